"""Gradient covariance (Schoenholz et al. 2017, Sec. 4) and the curvature of a great circle
(Poole et al. 2016): theory against independent computations, simulation against theory.

Statistical checks use fixed seeds and state their tolerance: k standard errors over
networks (k = 4 unless said), plus, where the theory is the infinite-width limit, the
finite-width bias allowed at that width (measured O(l/N), stated per test).
"""

from __future__ import annotations

import math
from pathlib import Path

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
import torch
from scipy import integrate

from dltheory import curvature, gradient_covariance, meanfield

SB = math.sqrt(0.05)  # Schoenholz et al.'s sigma_b^2 = 0.05
ORDERED, CHAOTIC = math.sqrt(1.3), math.sqrt(3.0)  # chi_1 = 0.88 and 1.21 at SB
K = 4.0  # standard errors allowed


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One torch thread, as the workflow's simulation jobs (on a shared machine two spin
    in thread barriers over these small batched products)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ------------------------------------------------------------- gradient covariance


def _factor_dblquad(c, sigma_w, sigma_b, dphi, q):
    """sigma_w^2 E[phi'(u_a) phi'(u_b)] by scipy's adaptive 2-D quadrature."""
    s, sq = math.sqrt(1.0 - c * c), math.sqrt(q)

    def f(z2, z1):
        w = math.exp(-0.5 * (z1 * z1 + z2 * z2)) / (2.0 * math.pi)
        return w * dphi(sq * z1) * dphi(sq * (c * z1 + s * z2))

    return sigma_w**2 * integrate.dblquad(f, -12, 12, -12, 12, epsabs=1e-13, epsrel=1e-12)[0]


@pytest.mark.parametrize("sigma_w", [ORDERED, CHAOTIC])
@pytest.mark.parametrize("c", [-0.4, 0.3, 0.9])
def test_covariance_factor_of_tanh_matches_2d_quadrature(sigma_w, c):
    q = float(meanfield.q_star(sigma_w, SB, "tanh"))
    ref = _factor_dblquad(c, sigma_w, SB, lambda u: 1.0 / math.cosh(u) ** 2, q)
    got = float(gradient_covariance.covariance_factor(c, sigma_w, SB, "tanh"))
    assert got == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("sigma_w", [ORDERED, CHAOTIC])
def test_covariance_factor_at_c_equal_one_is_chi1_by_mpmath(sigma_w):
    q = float(meanfield.q_star(sigma_w, SB, "tanh"))
    mp.mp.dps = 25
    ref = sigma_w**2 * mp.quad(
        lambda z: mp.npdf(z) * mp.sech(mp.sqrt(q) * z) ** 4, [-mp.inf, 0, mp.inf]
    )
    got = float(gradient_covariance.covariance_factor(1.0, sigma_w, SB, "tanh"))
    assert got == pytest.approx(float(ref), rel=1e-10)
    assert got == pytest.approx(float(meanfield.chi1(sigma_w, SB, "tanh")), rel=1e-12)


@pytest.mark.parametrize("c", [-0.7, 0.0, 0.5, 0.99])
def test_covariance_factor_closed_forms_of_erf_and_relu(c):
    sw, sb = 1.7, 0.4
    q = float(meanfield.q_star(sw, sb, "erf"))
    # phi' = 2/sqrt(pi) exp(-u^2): E[phi'(u_a) phi'(u_b)] = (4/pi) / sqrt((1+2q)^2 - 4 q^2 c^2)
    erf = sw**2 * 4.0 / math.pi / math.sqrt((1 + 2 * q) ** 2 - 4 * q * q * c * c)
    assert float(gradient_covariance.covariance_factor(c, sw, sb, "erf")) == pytest.approx(
        erf, rel=1e-9
    )
    # relu: phi' a step, P(u_a > 0, u_b > 0) = (pi - arccos c) / (2 pi), any length
    relu = 1.2**2 * (math.pi - math.acos(c)) / (2 * math.pi)
    got = float(gradient_covariance.covariance_factor(c, 1.2, 0.3, "relu"))
    assert got == pytest.approx(relu, rel=1e-12)


def test_recursion_structure_in_both_phases():
    for sw in (ORDERED, CHAOTIC):
        th = gradient_covariance.covariance_layers(12, 0.5, sw, SB)
        assert th["qt_ab"][-1] == 1.0 and th["qt_aa"][-1] == 1.0
        # one layer down: the factor at the forward c of that layer
        np.testing.assert_allclose(th["qt_ab"][:-1] / th["qt_ab"][1:], th["factor"][:-1])
        np.testing.assert_allclose(th["qt_aa"], th["chi1"] ** (12 - th["layer"]))
        assert np.all(th["corr"] <= 1.0 + 1e-12)
    ordered = gradient_covariance.covariance_layers(400, 0.5, ORDERED, SB)
    # c -> c* = 1: the factor tends to chi_1 = chi_c(c*)
    assert ordered["factor"][-2] == pytest.approx(ordered["chi1"], rel=1e-8)
    assert ordered["c_star"] == 1.0 and ordered["chi_c_star"] == pytest.approx(ordered["chi1"])


def test_identical_inputs_and_inputs_at_c_star():
    # c0 = 1: the two inputs are one, covariance = length, correlation 1 at every layer
    th = gradient_covariance.covariance_layers(10, 1.0, CHAOTIC, SB)
    np.testing.assert_allclose(th["qt_ab"], th["qt_aa"], rtol=1e-13)
    np.testing.assert_allclose(th["corr"], 1.0, rtol=1e-13)
    # c0 = c*: the forward correlation stays at c*, the recursion is the fixed-point limit
    c_star = float(meanfield.c_star(CHAOTIC, SB, "tanh"))
    th = gradient_covariance.covariance_layers(10, c_star, CHAOTIC, SB)
    np.testing.assert_allclose(th["c"], c_star, rtol=1e-10)
    np.testing.assert_allclose(th["qt_ab"], th["qt_ab_fixed_point"], rtol=1e-9)
    xi = -1.0 / math.log(th["chi_c_star"])
    assert th["xi_c"] == pytest.approx(xi, rel=1e-12) and th["chi_c_star"] < 1 < th["chi1"]


def _moments(out):
    n = out.shape[0]
    return out.mean(axis=0), out.std(axis=0, ddof=1) / math.sqrt(n)


@pytest.mark.parametrize("sigma_w", [ORDERED, CHAOTIC])
def test_simulated_covariance_follows_the_recursion(sigma_w):
    """N = 1000, depth 6, 160 nets x 4 top errors (conditional sampler, seed 11): the mean
    qt_ab and qt_aa per layer within 4 s.e. + 1% (the finite-width bias measured at
    N = 1000 is below 1% over 6 layers; at N = 200 it reaches 5% in the chaotic phase)."""
    depth, c0 = 6, 0.5
    th = gradient_covariance.covariance_layers(depth, c0, sigma_w, SB)
    out = gradient_covariance.simulate(sigma_w, SB, 1000, depth, c0, 160, seed=11, n_errors=4)
    mean, se = _moments(out)
    for col, name in ((2, "qt_ab"), (0, "qt_aa")):
        err = np.abs(mean[:, col] - th[name])
        assert np.all(err <= K * se[:, col] + 0.01 * th[name]), (name, mean[:, col], th[name])
    # forward correlation of the pair against the C-map
    np.testing.assert_allclose(mean[:, 5], th["c"], atol=K * se[:, 5].max() + 0.005)
    # the test can fail: the fixed-point limit chi_c(c*)^(L-l) alone, which ignores that
    # the forward c^l has not reached c*, is outside the same tolerance
    wrong = th["qt_ab_fixed_point"]
    assert np.any(np.abs(mean[:, 2] - wrong) > K * se[:, 2] + 0.01 * wrong)


def test_both_samplers_draw_the_same_law():
    """Explicit weights against the conditional sampler at N = 12, depth 4 (where the
    gradient-independence approximation is far off): every layer's mean of qt_ab, qt_aa
    and c agrees within 4 combined standard errors (seeds 1 and 2)."""
    args = (CHAOTIC, SB, 12, 4, 0.5)
    w = gradient_covariance.simulate(*args, 1500, seed=1, n_errors=2, sampler="weights")
    c = gradient_covariance.simulate(*args, 3000, seed=2, n_errors=2, sampler="conditional")
    (mw, sw), (mc, sc) = _moments(w), _moments(c)
    for col in (0, 2, 5):
        se = np.sqrt(sw[:-1, col] ** 2 + sc[:-1, col] ** 2)
        assert np.all(np.abs(mw[:-1, col] - mc[:-1, col]) <= K * se), col
    # and both are far from the infinite-width recursion at this width
    th = gradient_covariance.covariance_layers(4, 0.5, CHAOTIC, SB)
    assert abs(mc[0, 2] - th["qt_ab"][0]) > 5 * sc[0, 2]


def test_identical_inputs_simulate_without_nan():
    """c0 = 1 makes the Gram matrices singular (the symmetric-root path): both inputs
    receive identical gradients in every net."""
    out = gradient_covariance.simulate(CHAOTIC, SB, 50, 3, 1.0, 8, seed=3, n_errors=2)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out[..., 2], out[..., 0], rtol=1e-10)
    np.testing.assert_allclose(out[..., 5], 1.0, rtol=1e-12)


def test_simulation_is_reproducible_and_split_independent():
    cfg = _tiny_covariance_config()
    every = gradient_covariance.settings(cfg)
    whole = gradient_covariance.simulation_table(cfg, range(len(every)), 5)
    parts = pd.concat(
        [gradient_covariance.simulation_table(cfg, [k], 5) for k in range(len(every))],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(whole, parts)
    assert whole["panel"].tolist()[0] == "regimes" and set(whole["panel"]) == {"regimes", "sweep"}


def _tiny_covariance_config():
    return {
        "activation": "tanh",
        "sigma_b2": 0.05,
        "c0": 0.5,
        "sigma_w2": [1.3, "critical", 3.0],
        "widths": [20, 30],
        "depth": 5,
        "n_nets": 4,
        "n_errors": 2,
        "sampler": "conditional",
        "sweep": {"sigma_w2": [2.0, 4.0], "width": 20, "depth": 5, "n_nets": 4},
        "fit_layers": 5,
        "noise_factor": 3.0,
        "theory_range": [1.0, 4.0],
        "n_theory": 5,
    }


def test_critical_setting_has_chi1_one():
    cfg = _tiny_covariance_config()
    crit = [s for s in gradient_covariance.settings(cfg) if s["index"] == 1][0]
    chi1 = float(meanfield.chi1(crit["sigma_w"], crit["sigma_b"], "tanh"))
    assert chi1 == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match="critical"):
        gradient_covariance.resolve_sigma_w2(-1.0, SB)


def test_fit_depth_scale_recovers_an_exponential_and_stops_at_the_noise():
    x = np.arange(0, 21)
    y = np.exp(-x / 7.5)
    xi, _, last = gradient_covariance.fit_depth_scale(x, y)
    assert xi == pytest.approx(7.5, rel=1e-12) and last == 20
    se = np.full_like(y, 0.05)
    se[0] = 0.0
    xi, xi_se, last = gradient_covariance.fit_depth_scale(x, y, se, noise_factor=3.0)
    # the run ends before the first y <= 3 * 0.05, at x = 7.5 log(1/0.15) = 14.2
    assert last == 14 and xi == pytest.approx(7.5, rel=1e-12)
    assert xi_se > 0
    assert math.isnan(gradient_covariance.fit_depth_scale(x[:2], y[:2])[0])
    # a growing series has no decay length
    assert gradient_covariance.fit_depth_scale(x, 1 / y)[0] == math.inf


def test_fitted_depth_scale_follows_xi_c_in_the_chaotic_phase():
    """sigma_w^2 = 3: xi_c = 9.05, |xi_grad| = 5.27. 96 nets of width 1000, depth 24
    (seed 7): the fitted decay length of qt_ab is within 4 jackknife s.e. of the same fit
    of the recursion, and closer to xi_c than to |xi_grad| by more than 4 s.e."""
    cfg = dict(_tiny_covariance_config(), sigma_w2=[3.0], widths=[1000], depth=24,
               n_nets=96, n_errors=8, fit_layers=20)  # fmt: skip
    cfg["sweep"] = dict(cfg["sweep"], sigma_w2=[])
    layers, _ = gradient_covariance.theory_table(cfg)
    sim = gradient_covariance.simulation_table(cfg, [0], 7)
    fit = gradient_covariance.fit_table(sim, layers, cfg).iloc[0]
    assert abs(fit.xi_fit - fit.xi_recursion) <= K * fit.xi_fit_se
    assert abs(fit.xi_grad) + K * fit.xi_fit_se < fit.xi_fit
    assert abs(fit.xi_fit - fit.xi_c) < abs(fit.xi_fit - abs(fit.xi_grad))


# ------------------------------------------------------------------------ curvature


def _mp_expectation(f, q):
    mp.mp.dps = 25
    return float(mp.quad(lambda z: mp.npdf(z) * f(mp.sqrt(q) * z), [-mp.inf, 0, mp.inf]))


@pytest.mark.parametrize("sigma_w", [1.3, 2.5, 4.0])
def test_chi2_of_tanh_matches_mpmath(sigma_w):
    q = float(meanfield.q_star(sigma_w, 0.3, "tanh"))
    # tanh'' = -2 tanh sech^2
    ref = sigma_w**2 * _mp_expectation(lambda u: (2 * mp.tanh(u) * mp.sech(u) ** 2) ** 2, q)
    assert curvature.chi2(sigma_w, 0.3, "tanh") == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("q", [0.05, 1.0, 30.0, 1000.0])
def test_chi2_closed_form_of_erf(q):
    # erf'' = -4u/sqrt(pi) exp(-u^2): E[erf''^2] = (16/pi) q / (1 + 4q)^(3/2)
    erf = 2.0**2 * 16.0 / math.pi * q / (1 + 4 * q) ** 1.5
    assert curvature.chi2(2.0, 0.1, "erf", q=q) == pytest.approx(erf, rel=1e-10)


@pytest.mark.parametrize("q", [0.05, 1.0, 2.0])
def test_chi2_closed_form_of_sin(q):
    # sin'' = -sin: E[sin^2 u] = (1 - exp(-2q)) / 2 (oscillatory: the rule of
    # meanfield.gaussian_expectation resolves sin(sqrt(q) z) to 1e-10 up to q = 4; at
    # q = 30 the error is 6e-5, see chi2's docstring)
    assert curvature.chi2(1.5, 0.1, "sin", q=q) == pytest.approx(
        1.5**2 * (1 - math.exp(-2 * q)) / 2, rel=1e-10
    )


def test_kinked_activations_are_refused():
    for act in ("relu", "hard_tanh", "abs"):
        with pytest.raises(ValueError, match="not twice differentiable"):
            curvature.chi2(1.5, 0.3, act)
        with pytest.raises(ValueError, match="allowed: .*tanh"):
            curvature.curvature_layers(3, 1.5, 0.3, act)


def test_a_kinked_curvature_activation_is_refused_by_the_config_check():
    # at validation, with the key and the smooth activations named (before any job)
    from configs import tiny_config

    from dltheory import validation

    cfg = tiny_config()
    schema = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "config.schema.yaml"
    validation.validate_config(cfg, schema)
    cfg["geometry"]["curvature"]["activation"] = "hard_tanh"
    with pytest.raises(validation.ConfigError) as err:
        validation.validate_config(cfg, schema)
    assert "geometry.curvature.activation" in str(err.value)
    assert "not twice differentiable" in str(err.value) and "allowed: tanh" in str(err.value)


@pytest.mark.parametrize("sigma_w", [1.3, 2.5, 4.0])
def test_curvature_recursion_closed_form_and_limits(sigma_w):
    th = curvature.curvature_layers(60, sigma_w, 0.3)
    q, c1, c2 = th["q_star"], th["chi1"], th["chi2"]
    assert th["g_bar"][0] == q and th["kappa2"][0] == pytest.approx(1 / q)
    assert th["grassmann"][0] == pytest.approx(2 * math.pi)
    k2 = 3 * c2 / (c1 * (c1 - 1))  # kbar*^2, negative in the ordered phase
    layer = th["layer"]
    np.testing.assert_allclose(th["kappa2"], k2 + (1 / q - k2) * c1 ** (-layer), rtol=1e-10)
    np.testing.assert_allclose(th["length_ratio"], c1 ** (layer / 2), rtol=1e-14)
    deep = curvature.curvature_layers(3000 if c1 < 1 else 200, sigma_w, 0.3)
    if c1 > 1:
        assert deep["kappa"][-1] == pytest.approx(th["kappa_star"], rel=1e-10)
        assert th["kappa_star"] == pytest.approx(math.sqrt(k2), rel=1e-14)
    else:
        assert math.isinf(th["kappa_star"])
        assert deep["grassmann"][-1] == pytest.approx(th["grassmann_limit"], rel=1e-8)


@pytest.mark.parametrize("sigma_w", [1.3, 4.0])
def test_exact_tangents_follow_the_recursion(sigma_w):
    """N = 2000, depth 3, 6 nets (seeds 100..105), 64 angles each: the mean over nets of
    kbar^2, gbar and L^G per layer within 4 s.e. + 2% (the finite-width bias of kbar^2
    measured at sigma_w = 2.5 is about 0.5% l / (N / 1000): 0.8% here)."""
    depth = 3
    th = curvature.curvature_layers(depth, sigma_w, 0.3)
    runs = [
        curvature.simulate_circle(sigma_w, 0.3, 2000, depth, 12, 64, seed)
        for seed in range(100, 106)
    ]
    ex = pd.concat(r[r["method"] == "exact"] for r in runs)
    g = ex.groupby("layer")
    for col in ("kappa2", "g_bar", "grassmann"):
        mean, se = g[col].mean().to_numpy(), (g[col].std(ddof=1) / math.sqrt(len(runs))).to_numpy()
        assert np.all(np.abs(mean - th[col]) <= K * se + 0.02 * th[col]), (col, mean, th[col])
    # the factor 3 of 3 chi_2 matters: without it layer 1 is far off
    wrong = th["chi2"] / th["chi1"] ** 2 + th["kappa2"][0] / th["chi1"]
    assert abs(g["kappa2"].mean()[1] - wrong) > 0.2 * wrong


def test_finite_differences_converge_to_the_exact_tangents():
    """One net (N = 200, sigma_w = 2.5, depth 2), exact tangents at every sampled angle: the
    relative error of the central-difference kbar^2 falls like M^-2 (ratio 4 +- 0.5 from
    M = 256 to 512) and the Richardson estimate is within a factor 1.5 of it."""
    errors = {}
    for m in (256, 512):
        d = curvature.simulate_circle(2.5, 0.3, 200, 2, m, m, seed=9)
        ex = d[d["method"] == "exact"].set_index("layer")["kappa2"]
        fd = d[(d["method"] == "finite_difference") & (d["step"] == 1)].set_index("layer")
        errors[m] = (fd["kappa2"] / ex - 1).abs()
        res = curvature.resolution(d.assign(sigma_w=2.5, seed=9)).set_index("layer")
        est = res["kappa2_error"]
        assert np.all((est[1:] / errors[m][1:]).between(1 / 1.5, 1.5)), (est, errors[m])
    ratio = errors[256][1:] / errors[512][1:]
    assert np.all(ratio.between(3.5, 4.5)), ratio


def test_unresolved_circles_are_flagged():
    """sigma_w = 4, 64 points, N = 300: neighbouring points separate within a few layers;
    the Richardson test (on gbar as well as kbar^2) flags every deep layer, although the
    random polygon's kbar^2 hardly depends on the spacing there."""
    d = curvature.simulate_circle(4.0, 0.3, 300, 8, 64, 8, seed=4)
    d = d.assign(sigma_w=4.0, seed=4, width=300, n_points=64)
    s = curvature.summarise(d, 0.01)
    fd = s[(s["method"] == "finite_difference") & (s["step"] == 1)].set_index("layer")
    assert fd.loc[0, "resolved"] and not fd.loc[8, "resolved"]
    assert fd["resolved"].is_monotonic_decreasing
