"""q*, the edge of chaos and the limits q* = 0, inf: never a point that is not a fixed point.

References: the package's own quadrature length map ``q_map`` (itself tested against mpmath
in test_meanfield.py), the iterated length map (the definition of q*), and mpmath.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from mp_references import fixed_point, gauss_moment, reference

from dltheory import activations, fixed_points, quadrature
from dltheory import meanfield as mf

ALL = (*activations.NAMES, "leaky_relu:0.2")
SW = np.linspace(0.5, 3.0, 26)[:, None]
SB = np.array([0.0, 0.05, 0.3, 0.7, 1.5, 3.0])[None, :]


def fixed_point_checks(name, q, sw, sb):
    """Residual |V(q)/q - 1| (quadrature q_map) and slope V'(q) where q is finite > 0."""
    sw, sb, q = np.broadcast_arrays(sw, sb, q)
    fin = np.isfinite(q) & (q > 0)
    resid = np.abs(mf.q_map(q[fin], sw[fin], sb[fin], name) / q[fin] - 1)
    slope = mf.chi_q(sw[fin], sb[fin], name, q=q[fin])
    return np.atleast_1d(resid), np.atleast_1d(slope), fin


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("q0", [None, 0.01, 1.0, 10.0])
def test_q_star_is_a_stable_fixed_point_for_every_activation(name, q0):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no point may fail its own check either
        q = mf.q_star(SW, SB, name, q0=q0)
    assert q.shape == (26, 6) and not np.any(np.isnan(q))
    resid, slope, fin = fixed_point_checks(name, q, SW, SB)
    assert np.all(resid < 1e-12), (name, resid.max())
    assert np.all(slope <= 1 + 1e-9), (name, slope.max())
    # q* = 0 only where V(0) = 0 (no bias, phi(0) = 0) and 0 attracts (V'(0) <= 1)
    zero = np.broadcast_to(q == 0, q.shape)
    sb = np.broadcast_to(SB, q.shape)
    assert np.all(sb[zero] == 0)
    v0 = mf.q_map(0.0, np.broadcast_to(SW, q.shape)[zero], 0.0, name)
    assert np.all(np.asarray(v0) == 0)


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_q_star_is_where_the_iterated_length_map_goes(name):
    # the definition: iterate V from q0 = sigma_w^2 + sigma_b^2 (a unit-variance input)
    sw, sb = np.broadcast_arrays(SW[::2], SB)
    q = sw**2 + sb**2
    for _ in range(300):
        q = np.where(q > 1e8, np.inf, q)  # grown past any fixed point a bounded map could have
        fin = np.isfinite(q)
        q[fin] = mf.q_map(q[fin], sw[fin], sb[fin], name)
    ours = mf.q_star(sw, sb, name)
    nxt = np.full(q.shape, np.inf)
    fin = np.isfinite(q)
    nxt[fin] = mf.q_map(q[fin], sw[fin], sb[fin], name)
    with np.errstate(invalid="ignore"):
        settled = fin & (np.abs(nxt - q) <= 1e-12 * q) & (q > 1e-6)
    assert np.count_nonzero(settled) >= 10
    np.testing.assert_allclose(ours[settled], q[settled], rtol=1e-9)
    assert np.all(np.isinf(ours[np.isinf(q)]))
    decayed = q < 1e-9  # the iteration decays to 0 (slowly where V'(0) = 1)
    assert np.all(ours[decayed] <= 1e-3)


@pytest.mark.parametrize("name", ALL)
def test_q_star_over_a_plane_converges_everywhere(name):
    # a phase-diagram grid: every point converges (no warning, no NaN) and a sample of them
    # are fixed points of the quadrature length map
    sw, sb = np.meshgrid(np.linspace(0.5, 3.0, 201), np.linspace(0.0, 3.0, 201), indexing="ij")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q = mf.q_star(sw, sb, name)
    assert not np.any(np.isnan(q))
    pick = np.random.default_rng(11).choice(q.size, 500, replace=False)
    resid, slope, _ = fixed_point_checks(name, q.flat[pick], sw.flat[pick], sb.flat[pick])
    assert np.all(resid < 1e-12) and np.all(slope <= 1 + 1e-9)


@pytest.mark.slow
def test_swish_fixed_point_in_its_concave_piece():
    # swish: V(q) - q is convex, then concave beyond q = 14.4; here the stable fixed point
    # lies in the concave piece, where Newton once stalled at the table's rounding level
    # and the point was wrongly passed on as divergent
    sw, sb = 1.3625, 1.65
    q = mf.q_star(sw, sb, "swish")
    assert q == pytest.approx(reference(fixed_point, "swish", sw, sb, 33.0), rel=1e-10)
    assert mf.q_star(1.4125, 1.935, "swish") == pytest.approx(1518.3807, rel=1e-6)


@pytest.mark.slow
def test_gelu_with_a_stable_and_an_unstable_fixed_point():
    # two fixed points: stable 0.3611322829 and unstable 1.4440203 (mpmath)
    lo = reference(fixed_point, "gelu", 1.45, 0.3, 0.36)
    hi = reference(fixed_point, "gelu", 1.45, 0.3, 1.44)
    assert lo == pytest.approx(0.3611322829, abs=1e-10)
    assert hi == pytest.approx(1.4440203, abs=1e-7)
    for q0 in (0.01, 0.5, 1.0, 0.999 * hi):
        assert mf.q_star(1.45, 0.3, "gelu", q0=q0) == pytest.approx(lo, rel=1e-12)
    # a unit-variance input starts at q0 = 1.45^2 + 0.3^2 = 2.19 > 1.444: it diverges
    assert mf.q_star(1.45, 0.3, "gelu") == np.inf
    assert mf.q_star(1.45, 0.3, "gelu", q0=1.001 * hi) == np.inf
    chi = mf.chi1(1.45, 0.3, "gelu", q=mf.q_star(1.45, 0.3, "gelu", q0=1.0))
    ref = 1.45**2 * reference(gauss_moment, "gelu", "dphi2", lo)
    assert chi == pytest.approx(ref, rel=1e-10) and chi == pytest.approx(0.804, abs=1e-3)


@pytest.mark.parametrize(
    "name", ["gelu", "swish", "softplus", "selu", "sigmoid", "tanh", "softsign", "sin"]
)
@pytest.mark.slow
def test_q_star_matches_mpmath_for_smooth_activations(name):
    for sw, sb, q0 in ((1.3, 0.3, 0.5), (1.1, 1.0, 0.5), (0.8, 0.5, 1.0)):
        q = mf.q_star(sw, sb, name, q0=q0)
        if not np.isfinite(q):
            continue
        # findroot from our q* to 6 digits (a start that stays put when q* moves in its
        # last digits, so the stored reference still applies)
        ref = reference(fixed_point, name, sw, sb, float(f"{q:.6g}"))
        assert abs(q / ref - 1) <= 1e-10, (name, sw, sb)


@pytest.mark.parametrize(
    "name", ["tanh", "sigmoid", "softplus", "swish", "gelu", "selu", "softsign"]
)
@pytest.mark.slow
def test_moment_tables_match_mpmath(name):
    act = activations.get(name)
    rng = np.random.default_rng(3)
    # random q over the table's range plus panel edges (ln q on a multiple of 1/8)
    # (the random ones to 12 digits: the same arguments, and stored references, whatever
    # the last bit of exp on this machine)
    drawn = np.exp(rng.uniform(np.log(2e-6), np.log(1e7), 5))
    q = np.concatenate([[float(f"{v:.12g}") for v in drawn], np.exp([-3.0, 0.0, 2.125])])
    m2, d2, slope = quadrature._fast_moments(q, act)
    for k, qk in enumerate(q):
        ref_m2, ref_d2, ref_slope = (
            reference(gauss_moment, name, kind, float(qk)) for kind in ("phi2", "dphi2", "slope")
        )
        assert abs(m2[k] / ref_m2 - 1) <= 1e-12, (name, qk)
        assert abs(d2[k] / ref_d2 - 1) <= 1e-12, (name, qk)
        # dE[phi^2]/dq = E[phi'^2 + phi phi''] (Gaussian integration by parts)
        assert abs(slope[k] - ref_slope) <= 1e-12 * max(abs(ref_slope), d2[k])


def test_q_star_general_iteration_path_agrees(monkeypatch):
    # the fall-back for a length map that is not monotone: iterate, then Newton
    sw, sb = np.broadcast_arrays(SW[::3], SB[:, 1:])
    fast = {name: mf.q_star(sw, sb, name, q0=0.5) for name in ("tanh", "gelu")}
    monkeypatch.setattr(fixed_points, "_segments", lambda act: None)
    for name, ref in fast.items():
        slow = mf.q_star(sw, sb, name, q0=0.5)
        fin = np.isfinite(ref)
        np.testing.assert_allclose(slow[fin], ref[fin], rtol=1e-10)
        assert np.all(np.isinf(slow[~fin]))


def test_not_converged_is_nan_with_a_warning():
    with pytest.warns(mf.ConvergenceWarning, match="not converged"):
        q = mf.q_star(np.array([2.0, 3.0]), 0.3, "tanh", max_iter=1)
    assert np.all(np.isnan(q))


def test_q0_is_validated():
    with pytest.raises(ValueError, match="q0"):
        mf.q_star(2.0, 0.3, q0=-1.0)
    with pytest.raises(ValueError, match="q0"):
        mf.q_star(2.0, 0.3, q0=np.inf)


@pytest.mark.parametrize("name", ALL)
def test_edge_of_chaos_is_a_stable_fixed_point_or_nan(name):
    q = np.geomspace(0.01, 1000, 41)
    sw, sb = mf.edge_of_chaos(q, name)
    ok = np.isfinite(sw)
    assert np.array_equal(ok, np.isfinite(sb))
    if ok.any():
        np.testing.assert_allclose(mf.chi1(sw[ok], sb[ok], name, q=q[ok]), 1.0, rtol=1e-12)
        np.testing.assert_allclose(mf.q_map(q[ok], sw[ok], sb[ok], name), q[ok], rtol=1e-12)
        assert np.all(mf.chi_q(sw[ok], sb[ok], name, q=q[ok]) <= 1 + 1e-10)
    if name in ("tanh", "erf", "sigmoid", "hard_tanh"):
        # phi phi'' <= 0: every q with sigma_b^2 = q - E[phi^2]/E[phi'^2] >= 0 is stable
        m2, d2, _ = quadrature._moments(q, activations.get(name))
        np.testing.assert_array_equal(ok, q - m2 / d2 >= -1e-14 * q)
        assert ok.sum() >= 10


def test_gelu_edge_of_chaos_only_where_the_fixed_point_is_stable():
    # at q = 1, 2 the chi_1 = 1 point (sigma_w^2 = 1/E[phi'^2], sigma_b^2 = q - sigma_w^2
    # E[phi^2]) has V'(q) = 1 + sigma_w^2 E[phi phi''] > 1: an unstable fixed point, and the
    # network never settles there; at q = 10 it is stable and a unit-variance input gets there
    q = np.array([1.0, 2.0, 10.0])
    m2, d2, slope = quadrature._moments(q, activations.get("gelu"))
    assert np.all((slope / d2)[:2] > 1) and (slope / d2)[2] < 1
    sw, sb = mf.edge_of_chaos(q, "gelu")
    assert np.all(np.isnan(sw[:2])) and np.all(np.isnan(sb[:2]))
    assert mf.q_star(sw[2], sb[2], "gelu") == pytest.approx(10.0, rel=1e-12)
    assert mf.chi1(sw[2], sb[2], "gelu") == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_q_map_at_infinity_is_its_limit(name):
    v = mf.q_map(np.inf, 1.3, 0.2, name)
    act = activations.get(name)
    if name == "sin":  # oscillates: the limit is its mean square
        assert v == pytest.approx(1.69 * 0.5 + 0.04, rel=1e-12)
    elif act.bounded:
        lim = (act.phi(np.array(1e15)) ** 2 + act.phi(np.array(-1e15)) ** 2) / 2
        assert v == pytest.approx(1.69 * float(lim) + 0.04, rel=1e-12)
    else:
        assert v == np.inf
    assert mf.q_map(np.inf, 0.0, 0.2, name) == pytest.approx(0.04)
    assert np.isnan(mf.q_map(np.nan, 1.3, 0.2, name))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["gelu", "swish", "softplus", "selu"])
def test_critical_sigma_w_does_not_overflow_and_checks_its_answer(name):
    sb = np.array([0.0, 0.3, 1.0, 2.0])
    sw = mf.critical_sigma_w(sb, name)
    ok = np.isfinite(sw)
    np.testing.assert_allclose(mf.chi1(sw[ok], sb[ok], name), 1.0, atol=1e-9)
    assert np.all(np.isfinite(mf.q_star(sw[ok], sb[ok], name)))
    if name in ("gelu", "swish"):
        assert ok[2:].all()  # large enough bias: a finite q* with chi_1 = 1 exists


def test_relu_family_at_q_star_zero_and_inf():
    # sigma_b = 0 at the critical point: every q is fixed, the iteration stays at q0
    assert mf.q_star(np.sqrt(2), 0.0, "relu") == pytest.approx(2.0)
    assert mf.q_star(np.sqrt(2), 0.0, "relu", q0=0.7) == pytest.approx(0.7)
    assert mf.q_star(1.2, 0.0, "relu") == 0.0
    assert mf.q_star(1.6, 0.3, "relu") == np.inf
    assert mf.chi1(1.6, 0.3, "relu") == pytest.approx(1.28, rel=1e-15)


def arccos_map(c):
    """Normalised arc-cosine kernel of degree 1 (relu): Cho & Saul (2009)."""
    theta = np.arccos(c)
    return (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / np.pi


@pytest.mark.parametrize("sw,sb", [(np.sqrt(2), 0.0), (1.6, 0.3), (1.2, 0.0)])
def test_relu_c_map_where_q_star_is_zero_or_infinite(sw, sb):
    c = np.linspace(-1, 1, 21)
    np.testing.assert_allclose(mf.c_map(c, sw, sb, "relu"), arccos_map(c), rtol=1e-13, atol=1e-15)
    # the map's slope at 1 is 1 (not chi_1 = sigma_w^2/2): c* = 1, approached from below
    assert mf.chi_c(1.0, sw, sb, "relu") == pytest.approx(1.0, rel=1e-14)
    assert mf.c_star(sw, sb, "relu") == 1.0
    assert np.all(mf.c_map(c[:-1], sw, sb, "relu") > c[:-1])


def test_leaky_and_abs_c_maps_at_infinite_q_star():
    c = np.linspace(-0.9, 0.9, 7)
    a = 0.2
    lin, mod = ((1 + a) / 2) ** 2, ((1 - a) / 2) ** 2
    ref = (lin * c + mod * (2 / np.pi) * (np.sqrt(1 - c**2) + c * np.arcsin(c))) / ((1 + a**2) / 2)
    assert mf.q_star(1.6, 0.3, "leaky_relu:0.2") == np.inf
    np.testing.assert_allclose(mf.c_map(c, 1.6, 0.3, "leaky_relu:0.2"), ref, rtol=1e-13)
    assert mf.q_star(1.2, 0.0, "abs") == np.inf
    absk = (2 / np.pi) * (np.sqrt(1 - c**2) + c * np.arcsin(c))
    np.testing.assert_allclose(mf.c_map(c, 1.2, 0.0, "abs"), absk, rtol=1e-13)


def test_tanh_c_map_at_q_star_zero_is_its_linearisation():
    # q* = 0: tanh(u) ~ u, the C-map tends to the identity (rho c with dropout)
    c = np.linspace(-1, 1, 9)
    np.testing.assert_allclose(mf.c_map(c, 1.0, 0.0), c, atol=1e-15)
    np.testing.assert_allclose(mf.c_map(c, 0.9, 0.0, rho=0.9), 0.9 * c, atol=1e-15)
    assert mf.c_map(0.5, 1.0, 0.0, q=1e-8) == pytest.approx(0.5, rel=1e-7)


def test_c_map_without_a_limit_is_nan_with_the_reason():
    with pytest.warns(mf.ConvergenceWarning, match="no limit"):
        assert np.isnan(mf.c_map(0.5, 1.0, 0.3, "tanh", q=np.inf))
    with pytest.warns(mf.ConvergenceWarning, match="without a C-map"):
        assert np.isnan(mf.c_star(1.0, 0.3, "tanh", q=np.inf))


def test_gelu_c_map_at_infinite_q_star_is_the_relu_map():
    c = np.linspace(-0.9, 0.9, 7)
    assert mf.q_star(3.0, 0.3, "gelu") == np.inf
    np.testing.assert_allclose(mf.c_map(c, 3.0, 0.3, "gelu"), arccos_map(c), rtol=1e-13)
    # and the finite-q map approaches it
    far = mf.c_map(c, 3.0, 0.3, "gelu", q=1e6)
    np.testing.assert_allclose(far, arccos_map(c), atol=2e-3)


def test_memo_is_gone():
    assert not hasattr(mf, "_Q_STAR_MEMO")
    sw, sb = np.meshgrid(np.linspace(1.0, 3.0, 7), np.linspace(0.0, 1.0, 5), indexing="ij")
    first = mf.q_star(sw, sb)
    first[:] = -1.0
    assert np.all(mf.q_star(sw, sb) >= 0)
    # callers pass q* explicitly: same numbers as solving again
    q = mf.q_star(sw, sb)
    np.testing.assert_array_equal(mf.chi1(sw, sb, q=q), mf.chi1(sw, sb))
    np.testing.assert_array_equal(mf.c_star(sw, sb, q=q), mf.c_star(sw, sb))
