"""Problem 1 of the TTIC "Highways" sheet: closed forms against mpmath and Monte Carlo."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from dltheory import initialisation as init

mp.mp.dps = 30


def test_relu_moments_against_quadrature():
    phi = lambda z: mp.exp(-(z**2) / 2) / mp.sqrt(2 * mp.pi)  # noqa: E731
    mean = mp.quad(lambda z: z * phi(z), [0, mp.inf])
    second = mp.quad(lambda z: z**2 * phi(z), [0, mp.inf])
    assert abs(init.RELU_MEAN - float(mean)) < 1e-15
    assert abs(init.RELU_VARIANCE - float(second - mean**2)) < 1e-15
    m, v = init.relu_moments(0.3, 10)  # Gaussian form, Var(Wx) = 3
    assert m == pytest.approx(float(mean) * np.sqrt(3.0), rel=1e-14)
    assert v == pytest.approx(float(second - mean**2) * 3.0, rel=1e-14)


@pytest.mark.parametrize("d", [1, 2, 3, 7, 40, 500])
def test_chi_mean_against_quadrature(d):
    pdf_norm = 2 ** (mp.mpf(d) / 2 - 1) * mp.gamma(mp.mpf(d) / 2)
    peak = mp.sqrt(d)
    points = [0, max(peak - 12, 0), peak, peak + 12, mp.inf]
    mean = mp.quad(lambda r: r**d * mp.exp(-(r**2) / 2), points) / pdf_norm
    assert float(init.chi_mean(d)) == pytest.approx(float(mean), rel=1e-13)


def test_weight_variances_closed_forms():
    d = np.array([1, 4, 100])
    assert np.allclose(init.linear_weight_variance(d) * d, 1.0)
    factor = 1.0 / (0.5 - 1.0 / (2.0 * np.pi))
    assert np.allclose(init.relu_weight_variance(d) * d, factor, rtol=1e-15)
    # the exact (Gaussian x) answer gives unit variance and tends to the Gaussian one
    exact = init.relu_weight_variance(d, exact=True)
    assert np.allclose(init.relu_moments(exact, d, exact=True)[1], 1.0, rtol=1e-13)
    big = 10**5
    assert init.relu_weight_variance(big, exact=True) * big == pytest.approx(factor, rel=1e-5)
    # it is larger than He's 2/d_x at every d_x: the variance must go up, not just double
    assert np.all(exact * d > 2.0) and np.all(np.diff(exact * d) > 0)
    # He's 2/d_x keeps the second moment E relu^2 = 1 (Gaussian form), not the variance
    m, v = init.relu_moments(2.0 / 50, 50)
    assert v + m**2 == pytest.approx(1.0, rel=1e-14) and v < 0.7


@pytest.mark.parametrize("d_x", [1, 8])
def test_monte_carlo_matches_closed_forms(d_x):
    """5 standard errors (from the sample 4th moment), n = 40000, fixed seed."""
    sigma = float(init.relu_weight_variance(d_x, exact=True))
    r = init.simulate_unit(d_x, sigma, 40_000, np.random.default_rng([7, d_x]))
    mean_th, var_th = init.relu_moments(sigma, d_x, exact=True)
    assert abs(r["var_u"] - d_x * sigma) < 5 * r["se_var_u"]
    assert abs(r["mean_u"]) < 5 * r["se_mean_u"]
    assert abs(r["var_u_prime"] - 1.0) < 5 * r["se_var_u_prime"]
    assert abs(r["b_prime"] - mean_th) < 5 * r["se_b_prime"]
    # the tolerances are tight enough to see the non-Gaussian correction at d_x = 1
    if d_x == 1:
        gauss_var = init.relu_moments(sigma, d_x)[1]
        assert abs(r["var_u_prime"] - gauss_var) > 5 * r["se_var_u_prime"]


def test_simulation_is_deterministic():
    a = init.simulate_unit(3, 0.5, 5000, np.random.default_rng(11))
    b = init.simulate_unit(3, 0.5, 5000, np.random.default_rng(11))
    assert a == b


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: init.linear_weight_variance(0), "d_x"),
        (lambda: init.relu_weight_variance(2.5), "d_x"),
        (lambda: init.relu_moments(-1.0, 3), "sigma"),
        (lambda: init.simulate_unit(3, 1.0, 1, np.random.default_rng(0)), "n_samples"),
    ],
)
def test_bad_input_names_the_argument(call, named):
    with pytest.raises(ValueError, match=named):
        call()


# ---- the workflow of the section (tiny config) ------------------------------------------

FIGURES = ["init_variance", "ugrnn_gradcheck", "resnet_variance", "resnet_small_sigma_grad"]


def _tiny_config() -> dict:
    from conftest import load_config

    cfg = load_config()
    cfg["initialisation"] = {
        "unit": {"d_x": [1, 4], "sigma_dx": [1.0, 3.0], "n_samples": 3000, "n_theory": 11},
        "ugrnn": {"n_in": 2, "n_hidden": 3, "steps": [3], "batch": [2]},
        "resnet": {
            "channels": 4,
            "n_filter": 3,
            "n_layers": 3,
            "image": 10,
            "batch": 2,
            "n_networks": 2,
            "sigma_w": [0.01],
        },
        "small_sigma": {
            "channels": 2,
            "n_filter": 3,
            "n_layers": 2,
            "image": 6,
            "batch": 2,
            "sigma_w": [1.0e-4, 1.0e-6, 1.0e-8],
        },
    }
    return cfg


@pytest.mark.parametrize(
    ("path", "value", "named", "allowed"),
    [
        (("resnet", "n_filter"), 4, "initialisation.resnet.n_filter", "allowed values"),
        (("unit", "d_x"), [0, 3], "initialisation.unit.d_x.0", ">= 1"),
        (("ugrnn", "stpes"), [2], "initialisation.ugrnn", "allowed keys"),
    ],
)
def test_bad_section_config_is_rejected_by_key(path, value, named, allowed):
    """The config check the Snakefile runs before any job (validation.validate_config; that
    Snakemake stops on it is tested once, in tests/test_bad_input.py)."""
    from conftest import ROOT

    from dltheory import validation

    cfg = _tiny_config()
    cfg["initialisation"][path[0]][path[1]] = value
    with pytest.raises(validation.ConfigError) as err:
        validation.validate_config(cfg, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    message = str(err.value)
    assert f"config key '{named}'" in message, message
    assert allowed in message, message
