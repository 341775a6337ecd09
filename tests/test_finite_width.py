"""Finite-width (1/N) theory of dltheory.finite_width against mpmath and simulation.

Statistical tests use fixed seeds; every tolerance is a stated number of standard errors
(computed from the sample, or exactly for ReLU) plus, where the theory is an expansion,
a stated allowance for the O(1/N) remainder. Each statistical test also checks that it
has power: the prediction without the 1/N term is rejected by the same data.
"""

from __future__ import annotations

import functools
import math

import mpmath as mp
import numpy as np
import pytest
import torch

from dltheory import activations, finite_width, meanfield, quadrature

SEED = 20220101


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One torch thread, as the workflow's simulation jobs: the many small bmm chunks
    gain nothing from two, and on a shared machine two spin in thread barriers."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ----------------------------------------------------------- independent references


def _mp_phi(name):
    """mpmath version of a registry activation and its kinks (in u)."""
    sq2 = mp.sqrt(2)
    table = {
        "tanh": (mp.tanh, []),
        "erf": (mp.erf, []),
        "hard_tanh": (lambda u: mp.mpf(1) if u > 1 else (mp.mpf(-1) if u < -1 else u), [-1, 1]),
        "gelu": (lambda u: u * (1 + mp.erf(u / sq2)) / 2, []),
        "sigmoid": (lambda u: 1 / (1 + mp.exp(-u)), []),
        "selu": (
            lambda u: (
                activations.SELU_SCALE * (u if u > 0 else activations.SELU_ALPHA * mp.expm1(u))
            ),
            [0],
        ),
    }
    return table[name]


@functools.cache
def _mp_moment(name, power, K):
    """E[phi(u)^power], u ~ N(0, K), by mpmath quadrature split at the kinks."""
    phi, kinks = _mp_phi(name)
    K = mp.mpf(K)
    pts = [-mp.inf] + [mp.mpf(k) / mp.sqrt(K) for k in kinks] + [mp.inf]
    if not kinks:
        pts = [-mp.inf, 0, mp.inf]
    f = lambda z: phi(mp.sqrt(K) * z) ** power * mp.exp(-(z**2) / 2)  # noqa: E731
    return mp.quad(f, pts) / mp.sqrt(2 * mp.pi)


def _mp_moments(name, K, step="1e-6"):
    """(g, g', g'', h) from mpmath quadrature and central finite differences in K."""
    with mp.workdps(35):
        K, h = mp.mpf(K), mp.mpf(step)
        g = lambda k: _mp_moment(name, 2, k)  # noqa: E731
        g0, gp, gm = g(K), g(K + h), g(K - h)
        return (
            float(g0),
            float((gp - gm) / (2 * h)),
            float((gp - 2 * g0 + gm) / h**2),
            float(_mp_moment(name, 4, K)),
        )


# ----------------------------------------------------------------- Gaussian moments


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tanh", "erf", "hard_tanh", "gelu", "selu"])
def test_moments_against_mpmath_finite_differences(name):
    # reference: 35-digit quadrature, central differences with h = 1e-6 (truncation
    # error ~ h^2 g'''' ~ 1e-12, quadrature noise / h^2 ~ 1e-20); tolerance 1e-9
    Ks = np.array([0.05, 1.7, 30.0])
    ours = np.array(finite_width.activation_moments(Ks, name)).T
    for K, row in zip(Ks, ours, strict=True):
        ref = _mp_moments(name, K)
        np.testing.assert_allclose(row, ref, rtol=1e-9, atol=1e-11, err_msg=f"{name} K={K}")


def test_moments_closed_forms_and_engine_agree():
    K = np.geomspace(1e-3, 1e3, 13)
    # erf: g' and g'' from differentiating g = (2/pi) arcsin(2K/(1+2K)) by hand
    g, g1, g2, _ = finite_width.activation_moments(K, "erf")
    g2_exact = -(4 / np.pi) * (
        2 / ((1 + 2 * K) ** 2 * np.sqrt(1 + 4 * K)) + 2 / ((1 + 2 * K) * (1 + 4 * K) ** 1.5)
    )
    np.testing.assert_allclose(g2, g2_exact, rtol=1e-9)
    np.testing.assert_allclose(g, 2 / np.pi * np.arcsin(2 * K / (1 + 2 * K)), rtol=1e-13)
    # relu: g = K/2, g' = 1/2, g'' = 0, h = 3K^2/2
    g, g1, g2, h = finite_width.activation_moments(K, "relu")
    np.testing.assert_array_equal(g2, 0.0)
    np.testing.assert_allclose((g, g1, h), (K / 2, 0.5 + 0 * K, 1.5 * K**2), rtol=1e-15)
    # g' is the engine's slope dE[phi^2]/dq for every activation
    for name in activations.NAMES:
        _, g1, _, _ = finite_width.activation_moments(K, name)
        _, _, slope = quadrature._moments(K, activations.get(name))
        np.testing.assert_allclose(g1, slope, rtol=1e-10, atol=1e-13, err_msg=name)


def test_moments_domain():
    out = finite_width.activation_moments(np.array([1.0, np.nan]), "tanh")
    assert all(np.isfinite(x[0]) and np.isnan(x[1]) for x in out)
    for bad in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="K must be"):
            finite_width.activation_moments(bad, "tanh")
    with pytest.raises(ValueError, match="unknown activation"):
        finite_width.activation_moments(1.0, "nope")
    # scalar in, 0-d out; large K for a bounded phi: g -> 1, g' -> 0
    g, g1, g2, h = finite_width.activation_moments(1e6, "tanh")
    assert np.ndim(g) == 0 and abs(g - 1) < 1e-3 and 0 < g1 < 1e-3 and g2 < 0 and h < g


# ------------------------------------------------------------------- the recursion


def test_recursion_against_mpmath_reference():
    # the recursion fed with the mpmath finite-difference moments (independent numbers)
    sw, sb, depth = 2.0, 0.3, 4
    corr = finite_width.length_corrections(sw, sb, depth, "tanh", q0=1.0)
    k0, k1, v = sw**2 + sb**2, 0.0, 0.0
    for layer in range(depth):
        assert corr.K0[layer] == pytest.approx(k0, rel=1e-10)
        assert corr.K1[layer] == pytest.approx(k1, rel=1e-8, abs=1e-12)
        assert corr.V[layer] == pytest.approx(v, rel=1e-8, abs=1e-12)
        g, g1, g2, h = _mp_moments("tanh", k0)
        k0, k1, v = (
            sb**2 + sw**2 * g,
            sw**2 * g1 * k1 + sw**2 * g2 * v / 2,
            sw**4 * (h - g * g) + (sw**2 * g1) ** 2 * v,
        )


def test_recursion_vectorised_and_validated():
    sw = np.array([1.0, 2.0, 4.0])
    corr = finite_width.length_corrections(sw[:, None], np.array([0.0, 0.3]), 5, "erf")
    assert corr.K0.shape == (3, 2, 5) and list(corr.layer) == [1, 2, 3, 4, 5]
    one = finite_width.length_corrections(2.0, 0.3, 5, "erf")
    np.testing.assert_allclose(corr.V[1, 1], one.V, rtol=1e-14)
    # the mean-field part is the engine's length map
    np.testing.assert_allclose(one.K0[1:], meanfield.q_map(one.K0[:-1], 2.0, 0.3, "erf"))
    for bad in ({"depth": 0}, {"q0": 0.0}, {"q0": np.inf}, {"sigma_w": 0.0}, {"sigma_b": -1.0}):
        kw = {"sigma_w": 1.0, "sigma_b": 0.1, "depth": 3, "q0": 1.0} | bad
        with pytest.raises(ValueError):
            finite_width.length_corrections(**kw)


def test_relu_recursion_is_the_first_order_of_the_exact_moments():
    corr = finite_width.length_corrections(math.sqrt(2), 0.0, 20, "relu", q0=0.7)
    layer = corr.layer
    np.testing.assert_allclose(corr.K0, 1.4, rtol=1e-13)  # sqrt(2)^2 rounds
    np.testing.assert_array_equal(corr.K1, 0.0)
    np.testing.assert_allclose(corr.n_var() / corr.K0**2, 2 + 5 * (layer - 1), rtol=1e-13)
    for width in (3, 8, 100):
        exact = finite_width.relu_exact_moments(width, 20)
        np.testing.assert_allclose(exact, (1 + 2 / width) * (1 + 5 / width) ** (layer - 1))
        np.testing.assert_allclose(finite_width.relu_exact_moments(width, 20, k=1), 1.0)
    # general sigma_w: E[R] = C_W / 2, E[R^2] = (C_W/2)^2 (1 + 5/N)
    assert finite_width.relu_ratio_moments(10, 2, 1.3) == pytest.approx(1.3**4 / 4 * 1.5)


def test_relu_exact_central_moments_against_the_product_law():
    # q^l / G^1 = R_1 R_2 chi^2_N / N, R = (2/N) chi^2_M, M ~ Bin(N, 1/2): sampled with
    # numpy (10^6 draws, independent of torch and of the moment formulas)
    width, depth, n = 8, 3, 1_000_000
    rng = np.random.default_rng(SEED)
    x = rng.chisquare(width, n) / width
    for _ in range(depth - 1):
        m = rng.binomial(width, 0.5, n)
        x = x * (2 / width) * np.where(m > 0, rng.chisquare(np.maximum(m, 1)), 0.0)
    var, mu4 = finite_width.relu_exact_central_moments(width, depth)
    d = x - 1.0  # E[q^l / G^1] = 1 exactly
    se_var = np.sqrt(((d**2 - var[-1]) ** 2).mean() / n)
    se_mu4 = np.sqrt(((d**4 - mu4[-1]) ** 2).mean() / n)
    assert abs((d**2).mean() - var[-1]) < 4 * se_var
    assert abs((d**4).mean() - mu4[-1]) < 4 * se_mu4
    assert var[0] == pytest.approx(2 / width) and mu4[0] == pytest.approx(
        12 * (width + 4) / width**3  # fourth central moment of chi^2_N / N
    )


def test_stationary_vertex_is_the_deep_limit():
    corr = finite_width.length_corrections(2.0, 0.3, 60, "tanh")
    assert finite_width.stationary_vertex(2.0, 0.3) == pytest.approx(corr.V[-1], rel=1e-10)
    band = finite_width.q_std_stationary(2.0, 0.3, 100)
    assert band == pytest.approx(np.sqrt(corr.n_var()[-1] / 100), rel=1e-10)
    std = finite_width.q_std_theory(2.0, 0.3, 100, 60)
    assert std[-1] == pytest.approx(band, rel=1e-10)
    assert finite_width.stationary_vertex(1.0, 0.0, "relu") == 0.0  # q* = 0
    assert finite_width.stationary_vertex(math.sqrt(2), 0.1, "relu") == np.inf  # q* = inf
    with pytest.raises(ValueError):
        finite_width.q_std_theory(2.0, 0.3, 0, 5)


# -------------------------------------------------------------------- simulations


def _compare(q, corr, width):
    """(N(Eq - K0) - K1, its s.e.; N Var q - (2K0^2 + V), its s.e.; mean-field-only z's)."""
    n = q.shape[0]
    shift = width * (q.mean(axis=0) - corr.K0)
    shift_se = width * q.std(axis=0, ddof=1) / np.sqrt(n)
    var, var_se = finite_width.variance_with_se(q)
    return shift, shift_se, width * var, width * var_se


def test_one_conditional_layer_is_exact():
    # from the fixed G^1 = C_W q0 + C_b, layer 2 has E[G^2] = C_b + C_W g(G^1) = K0^2 and
    # N Var(G^2) = C_W^2 (h - g^2) = V^2 exactly at any N, and q^2 = G^2 chi^2_N / N, so
    # E q^2 = K0^2 and N Var(q^2) = 2 (K0^2)^2 + V^2 + 2 V^2 / N with no remainder: N = 6
    width, n = 6, 200_000
    q = finite_width.simulate_lengths(1.5, 0.2, width, 2, n, q0=0.8, seed=SEED,
                                      sampler="conditional")  # fmt: skip
    corr = finite_width.length_corrections(1.5, 0.2, 2, "tanh", q0=0.8)
    k, v = corr.K0[1], corr.V[1]
    mean_se = q[:, 1].std(ddof=1) / np.sqrt(n)
    assert abs(q[:, 1].mean() - k) < 4 * mean_se  # 4 s.e.
    var, var_se = finite_width.variance_with_se(q[:, 1])
    assert abs(width * var - (2 * k**2 + v + 2 * v / width)) < 4 * width * var_se
    # power: the Gaussian part alone (V = 0) is rejected
    assert abs(width * var - 2 * k**2) > 6 * width * var_se


@pytest.mark.parametrize("sigma_w,sigma_b", [(1.0, 0.05), (2.0, 0.3)])
def test_mean_shift_and_variance_against_conditional_map(sigma_w, sigma_b):
    # 6 x 10^4 draws of the conditional-Gaussian layer map at N = 32, 8 layers.
    # Tolerance: 4 s.e. plus an allowance for the O(1/N) remainder of the expansion:
    # 3/N absolute on N (E q - K0) (K1 is 0.1-0.25 here) and 4/N relative on N Var(q).
    width, depth, n = 32, 8, 60_000
    q = finite_width.simulate_lengths(sigma_w, sigma_b, width, depth, n, seed=SEED,
                                      sampler="conditional")  # fmt: skip
    corr = finite_width.length_corrections(sigma_w, sigma_b, depth, "tanh")
    shift, shift_se, nvar, nvar_se = _compare(q, corr, width)
    assert np.all(np.abs(shift - corr.K1) < 4 * shift_se + 3.0 / width), (shift, corr.K1)
    rel = np.abs(nvar / corr.n_var() - 1)
    assert np.all(rel < 4 * nvar_se / corr.n_var() + 4.0 / width), (nvar, corr.n_var())
    # power: mean field alone (K1 = 0) and the Gaussian part alone (V = 0) are rejected
    if sigma_w == 1.0:
        assert np.max(np.abs(shift) / shift_se) > 10
    assert np.max((nvar - 2 * corr.K0**2) / nvar_se) > 6


def test_weight_sampler_has_the_law_of_the_conditional_map():
    # explicit weights (bmm) vs conditional draws: two-sample z-tests of means and of
    # variances at every layer, 4 s.e. of the difference
    width, depth, n = 16, 5, 20_000
    args = (2.0, 0.3, width, depth, n)
    a = finite_width.simulate_lengths(*args, seed=SEED, sampler="weights")
    b = finite_width.simulate_lengths(*args, seed=SEED + 1, sampler="conditional")
    se_mean = np.sqrt(a.var(0) / n + b.var(0) / n)
    assert np.all(np.abs(a.mean(0) - b.mean(0)) < 4 * se_mean)
    (va, sa), (vb, sb) = finite_width.variance_with_se(a), finite_width.variance_with_se(b)
    assert np.all(np.abs(va - vb) < 4 * np.hypot(sa, sb))


@pytest.mark.parametrize("width,depth,n", [(8, 4, 60_000), (32, 8, 6_000)])
def test_relu_exact_second_moment_against_networks(width, depth, n):
    # real networks (explicit weights, bmm), ReLU at sigma_w^2 = 2, sigma_b = 0.
    # The s.e. of the sample mean of (q/G^1)^2 is exact: sqrt((E q^4 - (E q^2)^2) / n)
    # from the exact moments; tolerance 4 s.e.
    q0 = 0.5
    q = finite_width.simulate_lengths(math.sqrt(2), 0.0, width, depth, n, activation="relu",
                                      q0=q0, seed=SEED)  # fmt: skip
    r = q / (2 * q0)
    m1 = finite_width.relu_exact_moments(width, depth, k=1)
    m2 = finite_width.relu_exact_moments(width, depth, k=2)
    m4 = finite_width.relu_exact_moments(width, depth, k=4)
    se2 = np.sqrt((m4 - m2**2) / n)
    se1 = np.sqrt((m2 - m1**2) / n)
    assert np.all(np.abs(r.mean(0) - m1) < 4 * se1)
    assert np.all(np.abs((r**2).mean(0) - m2) < 4 * se2), ((r**2).mean(0), m2, se2)
    # power: the 1/N line 1 + (2 + 5(l-1))/N is rejected at the last layer at N = 8
    if width == 8:
        line = 1 + (2 + 5 * (depth - 1)) / width
        assert abs((r[:, -1] ** 2).mean() - line) > 4 * se2[-1]  # expected 10 s.e. away


def test_simulation_is_deterministic_under_a_seed():
    for sampler in finite_width.SAMPLERS:
        kw = {"seed": 7, "sampler": sampler, "max_elements": 5000}
        a = finite_width.simulate_lengths(1.5, 0.1, 12, 3, 100, **kw)
        b = finite_width.simulate_lengths(1.5, 0.1, 12, 3, 100, **kw)
        c = finite_width.simulate_lengths(1.5, 0.1, 12, 3, 100, **(kw | {"seed": 8}))
        assert a.shape == (100, 3) and np.all(a > 0)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


def test_simulation_validates_arguments():
    base = {"sigma_w": 1.0, "sigma_b": 0.1, "width": 4, "depth": 2, "n_networks": 5}
    for bad, match in (
        ({"sampler": "nope"}, "sampler"),
        ({"n_networks": 0}, "n_networks"),
        ({"q0": 0.0}, "q0"),
        ({"width": 0}, "width"),
        ({"activation": activations.Activation.from_function(np.tanh, "no_torch")}, "torch"),
    ):
        with pytest.raises(ValueError, match=match):
            finite_width.simulate_lengths(**(base | bad))


def test_variance_with_se():
    x = np.random.default_rng(0).standard_normal((20_000, 2)) * [1.0, 3.0]
    var, se = finite_width.variance_with_se(x)
    np.testing.assert_allclose(var, [1.0, 9.0], rtol=0.04)
    # Gaussian: se(s^2) = sigma^2 sqrt(2 / n)
    np.testing.assert_allclose(se, np.array([1.0, 9.0]) * np.sqrt(2 / 20_000), rtol=0.05)
    with pytest.raises(ValueError):
        finite_width.variance_with_se(np.ones(3))


# ------------------------------------------------------------- two inputs (aim)


def test_pair_theory_reduces_to_the_single_input_recursion():
    pair = finite_width.pair_corrections(2.0, 0.3, 6, "tanh", q0=1.3, c0=0.4)
    one = finite_width.length_corrections(2.0, 0.3, 6, "tanh", q0=1.3)
    for entry in (0, 1):  # both diagonals are single-input lengths
        np.testing.assert_allclose(pair.K0[:, entry], one.K0, rtol=1e-12)
        np.testing.assert_allclose(pair.V[:, entry, entry], one.V, rtol=1e-9, atol=1e-12)
    # layer 1: no vertex, the Wishart value of a sample correlation, (1 - c^2)^2
    assert pair.n_var_c[0] == pytest.approx((1 - pair.c0[0] ** 2) ** 2, rel=1e-12)
    np.testing.assert_allclose(pair.V, np.swapaxes(pair.V, 1, 2), atol=1e-13)
    with pytest.raises(ValueError, match="smooth"):
        finite_width.pair_corrections(1.0, 0.1, 3, "relu")


def test_pair_correlation_fluctuation_against_conditional_map():
    # N Var(c^l) of two inputs: 2 x 10^4 draws of the two-input conditional map at N = 48;
    # tolerance 4 s.e. plus 4/N relative for the O(1/N) remainder (measured ~1/N)
    width, depth, n = 48, 4, 20_000
    th = finite_width.pair_corrections(2.0, 0.3, depth, "tanh", c0=0.5)
    qa, qb, qab = finite_width.simulate_pairs(2.0, 0.3, width, depth, n, c0=0.5, seed=SEED)
    var, se = finite_width.variance_with_se(qab / np.sqrt(qa * qb))
    nvar, nse = width * var, width * se
    assert np.all(np.abs(nvar - th.n_var_c) < 4 * nse + 4.0 / width * th.n_var_c)
    wishart = (1 - th.c0**2) ** 2  # power: the sampling part alone is rejected
    assert np.max((nvar - wishart) / nse) > 20


def test_pair_weight_sampler_has_the_law_of_the_conditional_map():
    args = (1.5, 0.2, 16, 3, 20_000)
    a = finite_width.simulate_pairs(*args, c0=0.3, seed=SEED, sampler="weights")
    b = finite_width.simulate_pairs(*args, c0=0.3, seed=SEED + 1, sampler="conditional")
    for x, y in zip(a, b, strict=True):
        (vx, sx), (vy, sy) = finite_width.variance_with_se(x), finite_width.variance_with_se(y)
        se_mean = np.sqrt(x.var(0) / len(x) + y.var(0) / len(y))
        assert np.all(np.abs(x.mean(0) - y.mean(0)) < 4 * se_mean)
        assert np.all(np.abs(vx - vy) < 4 * np.hypot(sx, sy))


def test_panel_settings_of_the_config_slice():
    cfg = {
        "q0": 1.0,
        "fluctuations": {"activation": "tanh", "sigma_w": [1.0, "critical"], "sigma_b": 0.3,
                         "depth": 5},
        "relu": {"depth_over_width": 0.3},
        "correlation": {"activation": "tanh", "sigma_w": [2.0], "sigma_b": 0.3, "depth": 4,
                        "c0": 0.5},
    }  # fmt: skip
    fl = finite_width.panel_settings(cfg, "fluctuations")
    assert [s["sigma_w"] for s in fl][0] == 1.0
    assert meanfield.chi1(fl[1]["sigma_w"], 0.3) == pytest.approx(1.0, abs=1e-10)
    (relu,) = finite_width.panel_settings(cfg, "relu", 64)
    assert relu["depth"] == 19 and relu["sigma_w"] ** 2 == pytest.approx(2.0)
    assert finite_width.panel_settings(cfg, "correlation")[0]["c0"] == 0.5
    with pytest.raises(ValueError, match="width"):
        finite_width.panel_settings(cfg, "relu")
    with pytest.raises(ValueError, match="unknown panel"):
        finite_width.panel_settings(cfg | {"nope": {}}, "nope")
