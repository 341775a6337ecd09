"""Mean-field engine against independent high-precision (mpmath) computations.

Tolerance: relative error <= 1e-10 (the engine's target; it reaches ~1e-15).
"""

from __future__ import annotations

import ast
import dataclasses
import functools

import mpmath as mp
import numpy as np
import pytest
from conftest import ROOT
from mp_references import reference, tanh_kernel

from dltheory import activations, depth, quadrature
from dltheory import kernel as kern
from dltheory import meanfield as mf

RTOL = 1e-10
mp.mp.dps = 25


def mp_gauss(f, q):
    """E_z[f(sqrt(q) z)] by mpmath quad, split at the transition scale 1/sqrt(q)."""
    q = mp.mpf(q)
    s = mp.sqrt(q)
    pts = [-mp.inf, -12, -1 / s, 0, 1 / s, 12, mp.inf] if s > 1 / 12 else [-mp.inf, 0, mp.inf]
    pts = sorted(set(pts))
    return mp.quad(lambda z: f(s * z) * mp.npdf(z), pts)


def mp_tanh2(q):
    return mp_gauss(lambda u: mp.tanh(u) ** 2, q)


def mp_sech4(q):
    return mp_gauss(lambda u: mp.sech(u) ** 4, q)


@functools.cache
def mp_qstar(sigma_w, sigma_b):
    sw, sb = mp.mpf(sigma_w), mp.mpf(sigma_b)
    start = mf.q_star(sigma_w, sigma_b)
    return mp.findroot(lambda q: sw**2 * mp_tanh2(q) + sb**2 - q, mp.mpf(start))


POINTS = [(0.5, 0.1), (1.3, 0.3), (2.0, 0.3), (4.0, 0.3), (0.9, 2.0), (6.0, 1.0), (8.0, 4.0),
          (3.0, 0.0), (1.05, 0.0), (5.0, 3.7)]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("sigma_w,sigma_b", POINTS)
def test_qstar_and_chi1_match_mpmath(sigma_w, sigma_b):
    ref_q = mp_qstar(sigma_w, sigma_b)
    q = mf.q_star(sigma_w, sigma_b)
    assert isinstance(q, float)
    assert abs(q / float(ref_q) - 1) <= RTOL
    ref_chi = mp.mpf(sigma_w) ** 2 * mp_sech4(ref_q)
    assert abs(mf.chi1(sigma_w, sigma_b) / float(ref_chi) - 1) <= RTOL


def test_qstar_sheet_value():
    # Sheet 2 Q1(a): sigma_w = 2, sigma_b = 0.3 -> 2.2538 to 4 d.p.
    assert f"{mf.q_star(2.0, 0.3):.4f}" == f"{float(mp_qstar(2.0, 0.3)):.4f}" == "2.2538"


@pytest.mark.parametrize("q", [1.0, 10.0, 100.0, 1000.0])
def test_edge_of_chaos_matches_mpmath(q):
    sw, sb = mf.edge_of_chaos(q)
    ref_sw2 = 1 / mp_sech4(q)
    ref_sb = mp.sqrt(q - ref_sw2 * mp_tanh2(q))
    assert abs(sw / float(mp.sqrt(ref_sw2)) - 1) <= RTOL
    assert abs(sb / float(ref_sb) - 1) <= RTOL
    # and it is what it claims: chi1 = 1 with that fixed point
    assert abs(mf.chi1(sw, sb) - 1) <= 1e-12
    assert abs(mf.q_star(sw, sb) / q - 1) <= 1e-12


def test_edge_of_chaos_is_vectorised_beyond_1000():
    q = np.geomspace(1, 1e5, 50)
    sw, sb = mf.edge_of_chaos(q)
    assert sw.shape == sb.shape == q.shape
    assert np.all(np.diff(sw) > 0) and np.all(np.diff(sb) > 0)
    np.testing.assert_allclose(mf.chi1(sw, sb), 1.0, rtol=1e-12)


def test_critical_sigma_w_agrees_with_edge_of_chaos():
    sb = np.array([0.05, 0.3, 1.0, 2.0])
    sw = mf.critical_sigma_w(sb)
    np.testing.assert_allclose(mf.chi1(sw, sb), 1.0, atol=1e-12)
    sw_back, sb_back = mf.edge_of_chaos(mf.q_star(sw, sb))
    np.testing.assert_allclose(sw_back, sw, rtol=1e-10)
    np.testing.assert_allclose(sb_back, sb, rtol=1e-9)


def test_two_dimensional_kernel_matches_mpmath_in_the_near_step_regime():
    # q = 400: tanh(20 z) is a near step; c = 0.6 puts the inner transition anywhere
    q, c = 400.0, 0.6
    ref = reference(tanh_kernel, q, q, c, 12)  # good to ~1e-13 at 12 digits
    got = kern._kernel(c, q, activations.get("tanh"), 0)
    assert abs(got / ref - 1) <= RTOL


@pytest.mark.parametrize("asymptote", [True, False])
def test_numeric_kernel_agrees_with_closed_forms(asymptote):
    # erf has the arcsine kernel; run the 2-D quadrature for it (with an asymptote for the
    # inner average, or the generic rule without one) and compare
    c = np.array([-0.9, -0.3, 0.0, 0.4, 0.8, 0.99])
    q = np.array([0.1, 1.0, 5.0, 30.0, 200.0, 900.0])
    erf = activations.get("erf")
    closed = kern._closed_kernel(erf, 0, c, q)
    closed_d = kern._closed_kernel(erf, 1, c, q)
    help_ = (activations.erf_step(0.8), activations.LOCALISED) if asymptote else None
    numeric_erf = dataclasses.replace(erf, kernel=None, asymptote=help_)
    numeric = kern._kernel(c, q, numeric_erf, 0)
    numeric_d = kern._kernel(c, q, numeric_erf, 1)
    np.testing.assert_allclose(numeric, closed, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(numeric_d, closed_d, rtol=1e-11)


@pytest.mark.parametrize("name", ["relu", "abs", "hard_tanh", "erf", "leaky_relu"])
def test_closed_moments_agree_with_quadrature(name):
    act = activations.get(name)
    q = np.array([0.05, 0.7, 3.0, 40.0, 900.0])
    m2, d2, _ = quadrature._closed_moments(act, q)
    np.testing.assert_allclose(mf.gaussian_expectation(lambda u: act.phi(u) ** 2, q, name), m2,
                               rtol=1e-11)  # fmt: skip
    np.testing.assert_allclose(mf.gaussian_expectation(lambda u: act.dphi(u) ** 2, q, name), d2,
                               rtol=1e-11)  # fmt: skip


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "swish", "gelu", "selu"])
def test_numeric_moments_match_mpmath(name):
    act = activations.get(name)
    mp_phi = {
        "sigmoid": lambda u: 1 / (1 + mp.exp(-u)),
        "softplus": lambda u: mp.log1p(mp.exp(u)),
        "swish": lambda u: u / (1 + mp.exp(-u)),
        "gelu": lambda u: u * mp.ncdf(u),
        "selu": lambda u: (
            activations.SELU_SCALE * (u if u > 0 else activations.SELU_ALPHA * mp.expm1(u))
        ),
    }[name]
    for q in (0.3, 25.0):
        ref = mp_gauss(lambda u: mp_phi(u) ** 2, q)
        got = mf.gaussian_expectation(lambda u: act.phi(u) ** 2, q, name)
        assert abs(got / float(ref) - 1) <= RTOL, (name, q)


@pytest.mark.parametrize("sigma_w,sigma_b", [(4.0, 0.3), (2.5, 0.3), (1.3, 0.3), (3.0, 0.0)])
def test_c_equals_one_is_an_exact_fixed_point(sigma_w, sigma_b):
    assert mf.c_map(1.0, sigma_w, sigma_b) == 1.0
    # iterating from 1 stays at 1 even in the chaotic phase
    c = 1.0
    for _ in range(50):
        c = mf.c_map(c, sigma_w, sigma_b)
    assert c == 1.0


@pytest.mark.parametrize("sigma_w,sigma_b", [(2.0, 0.3), (2.5, 0.3), (4.0, 0.3), (3.0, 1.0)])
def test_c_star_is_a_stable_fixed_point_in_the_chaotic_phase(sigma_w, sigma_b):
    assert mf.chi1(sigma_w, sigma_b) > 1
    cs = mf.c_star(sigma_w, sigma_b)
    assert 0 <= cs < 1
    assert abs(mf.c_map(cs, sigma_w, sigma_b) - cs) <= 1e-13
    slope = mf.chi_c(cs, sigma_w, sigma_b)
    assert 0 < slope < 1
    ds = mf.depth_scales(sigma_w, sigma_b)
    assert ds["xi_c"] == pytest.approx(-1 / np.log(slope), rel=1e-12)


def test_c_star_is_one_in_the_ordered_phase_and_zero_for_odd_phi_without_bias():
    assert mf.c_star(1.3, 0.3) == 1.0
    assert mf.c_star(3.0, 0.0) == pytest.approx(0.0, abs=1e-14)


def test_slopes_match_finite_differences():
    sw, sb = 2.5, 0.3
    qs = mf.q_star(sw, sb)
    h = 1e-5
    fd_q = (mf.q_map(qs + h, sw, sb) - mf.q_map(qs - h, sw, sb)) / (2 * h)
    assert mf.chi_q(sw, sb) == pytest.approx(fd_q, rel=1e-8)
    c = 0.4
    fd_c = (mf.c_map(c + h, sw, sb) - mf.c_map(c - h, sw, sb)) / (2 * h)
    assert mf.chi_c(c, sw, sb) == pytest.approx(fd_c, rel=1e-7)
    fd_1 = (1.0 - mf.c_map(1 - h, sw, sb)) / h
    assert mf.chi1(sw, sb) == pytest.approx(fd_1, rel=1e-4)


def test_depth_scales_diverge_at_the_edge_of_chaos():
    sw_c = mf.critical_sigma_w(0.3)
    xi = [mf.depth_scales(sw_c * f, 0.3)["xi_c"] for f in (0.9, 0.99, 0.999)]
    assert xi[0] < xi[1] < xi[2] and xi[2] > 1000
    assert mf.depth_scales(1.3, 0.3)["xi_grad"] > 0
    assert mf.depth_scales(4.0, 0.3)["xi_grad"] < 0  # gradients grow in the chaotic phase


def test_dropout_breaks_the_c_equals_one_fixed_point():
    rho = 0.95
    assert mf.c_map(1.0, 2.0, 0.3, rho=rho) < 1.0
    sw_c = mf.critical_sigma_w(0.3)
    cs = mf.c_star(sw_c, 0.3, rho=rho)
    assert cs < 1.0
    assert abs(mf.c_map(cs, sw_c, 0.3, rho=rho) - cs) <= 1e-13
    assert np.isfinite(mf.depth_scales(sw_c, 0.3, rho=rho)["xi_c"])
    # q* with dropout: V(q) = sigma_w^2/rho E[phi^2] + sigma_b^2
    qs = mf.q_star(2.0, 0.3, rho=rho)
    assert mf.q_map(qs, 2.0, 0.3, rho=rho) == pytest.approx(qs, rel=1e-13)
    assert qs > mf.q_star(2.0, 0.3)


def test_relu_family_fixed_points():
    assert mf.q_star(1.0, 0.5, "relu") == pytest.approx(0.25 / 0.5)
    assert mf.q_star(1.5, 0.5, "relu") == np.inf
    # critical and unbiased: every q is fixed, q* is where the iteration starts
    assert mf.q_star(np.sqrt(2), 0.0, "relu") == pytest.approx(2.0)
    assert mf.q_star(1.2, 0.0, "relu") == 0.0
    assert mf.chi1(np.sqrt(2), 0.0, "relu") == pytest.approx(1.0)
    assert mf.q_star(0.9, 0.3, "abs") == pytest.approx(0.09 / (1 - 0.81))


def test_qstar_zero_without_bias_in_the_ordered_phase():
    assert mf.q_star(0.8, 0.0) == 0.0
    assert mf.q_star(1.0, 0.0) == 0.0
    assert mf.q_star(1.2, 0.0) > 0


def test_broadcasting_like_a_ufunc():
    sw = np.linspace(1, 5, 7)[:, None]
    sb = np.linspace(0, 4, 5)[None, :]
    q = mf.q_star(sw, sb)
    assert q.shape == (7, 5)
    np.testing.assert_allclose(q[3, 2], mf.q_star(sw[3, 0], sb[0, 2]), rtol=1e-14)
    assert mf.c_star(sw, sb).shape == (7, 5)
    assert isinstance(mf.chi1(2.0, 0.3), float)


def test_gaussian_integration_by_parts_identity():
    # Sheet 2 eq. (2): E[F(z) z] = E[F'(z)], here with F(z) = tanh(sqrt(q) z)
    for q in (0.5, 20.0, 800.0):
        s = np.sqrt(q)
        lhs = mf.gaussian_expectation(lambda u, s=s: np.tanh(u) * u / s, q)
        rhs = mf.gaussian_expectation(lambda u, s=s: s / np.cosh(u) ** 2, q)
        assert lhs == pytest.approx(rhs, rel=1e-12)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="sigma_b"):
        mf.q_star(2.0, -0.1)
    with pytest.raises(ValueError, match="allowed: .*relu"):
        mf.q_map(1.0, 2.0, 0.3, activation="tanhh")
    with pytest.raises(ValueError, match="rho"):
        mf.c_map(0.5, 2.0, 0.3, rho=0.0)
    with pytest.raises(ValueError, match=r"c must lie in \[-1, 1\]"):
        mf.c_map(1.5, 2.0, 0.3)


@pytest.mark.parametrize("name", activations.NAMES)
def test_activation_derivatives_match_finite_differences(name):
    act = activations.get(name)
    x = np.array([-3.1, -1.7, -0.6, -0.2, 0.3, 0.8, 1.4, 2.9])
    h = 1e-6
    np.testing.assert_allclose(act.dphi(x), (act.phi(x + h) - act.phi(x - h)) / (2 * h),
                               rtol=1e-6, atol=1e-8)  # fmt: skip
    np.testing.assert_allclose(act.d2phi(x), (act.dphi(x + h) - act.dphi(x - h)) / (2 * h),
                               rtol=1e-5, atol=1e-7)  # fmt: skip


def test_convergence_depth_matches_explicit_iteration():
    from dltheory import meanfield as m

    qs = m.q_star(2.0, 0.3)
    q, layer = 3.0, 0
    while abs(q - qs) > 0.01 * qs:
        q = m.q_map(q, 2.0, 0.3)
        layer += 1
    assert m.convergence_depth(3.0, 2.0, 0.3) == layer
    grid = m.convergence_depth(3.0, [2.0, 1.0], [0.3, 0.0], max_depth=20)
    assert grid.tolist() == [layer, 21]  # q* = 0 at sigma_b = 0, sigma_w = 1: capped
    with pytest.raises(ValueError, match="tolerance"):
        m.convergence_depth(3.0, 2.0, 0.3, tolerance=2.0)


def test_relu_chi1_finite_beyond_critical_point():
    from dltheory import meanfield as m

    assert m.chi1(3.0, 0.0, "relu") == pytest.approx(4.5, rel=1e-15)
    assert m.q_star(3.0, 0.1, "relu") == np.inf
    assert m.critical_sigma_w(0.0, "relu") == pytest.approx(np.sqrt(2.0), rel=1e-14)


@pytest.mark.parametrize("activation", ["tanh", "erf", "sin", "softsign"])
@pytest.mark.parametrize("sigma_b", [0.05, 0.2236, 0.5])
def test_xi_c_is_infinite_on_the_edge_of_chaos_and_finite_beside_it(activation, sigma_b):
    """At the critical sigma_w, chi_1 = 1 up to an ulp either way: xi_c is +inf or beyond
    1e12 (-1/log(1 - ulp)), never a huge negative number; 1 % to either side it is finite
    and positive."""
    sw = float(mf.critical_sigma_w(sigma_b, activation))
    scales = mf.depth_scales(sw * np.array([0.99, 1.0, 1.01]), sigma_b, activation)
    assert scales["xi_c"][1] > 1e12
    assert np.all(np.isfinite(scales["xi_c"][[0, 2]])) and np.all(scales["xi_c"][[0, 2]] > 0)


@pytest.mark.parametrize(
    ("sigma_w", "sigma_b", "activation"),
    [
        (np.sqrt(2.0), 0.0, "relu"),
        (1.0, 0.0, "tanh"),
        (np.sqrt(np.pi / 4), 0.0, "erf"),
        (1.0, 0.0, "abs"),
    ],
)
def test_depth_scales_are_plus_infinity_where_a_chi_is_one(sigma_w, sigma_b, activation):
    # chi_1 = 1 (and chi_q = 1 at q* = 0) up to rounding: every such depth scale is +inf,
    # never -inf or a huge number of either sign (the finite side: the test above)
    scales = mf.depth_scales(sigma_w, sigma_b, activation)
    assert abs(scales["chi1"] - 1.0) <= depth.CHI_IS_ONE
    assert scales["xi_c"] == np.inf and scales["xi_grad"] == np.inf
    if scales["q_star"] == 0.0:
        assert abs(scales["chi_q"] - 1.0) <= depth.CHI_IS_ONE and scales["xi_q"] == np.inf


def test_phase_of_a_setting_over_the_whole_line():
    assert mf.phase(0.0) == mf.phase(0.5) == "ordered"
    assert mf.phase(1.0) == mf.phase(1 - 1e-7) == mf.phase(1 + 1e-7) == "critical"
    assert mf.phase(1.01) == mf.phase(np.inf) == "chaotic"
    assert mf.phase(1 + 1e-7, tol=1e-9) == "chaotic" and mf.phase(1.05, tol=0.1) == "critical"
    # a setting on the edge of chaos from the solver is critical; just off it is not
    sw = float(mf.critical_sigma_w(0.3))
    assert mf.phase(mf.chi1(sw, 0.3)) == "critical"
    assert mf.phase(mf.chi1(sw * 1.01, 0.3)) == "chaotic"
    with pytest.raises(ValueError, match="NaN"):
        mf.phase(float("nan"))


def _compares_chi1_with_one(test) -> bool:
    for node in ast.walk(test):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            named = any(
                "chi1" in ast.unparse(side) or "chi_1" in ast.unparse(side) for side in sides
            )
            # chi1 > 1, 1 <= chi1, abs(chi1 - 1) < tol: a 1 anywhere in the comparison
            one = any(isinstance(n, ast.Constant) and n.value == 1 for n in ast.walk(node))
            if named and one:
                return True
    return False


def test_no_script_decides_the_phase_itself():
    """Scripts ask meanfield.phase: a branch of their own on chi_1 against 1 that picks a
    phase name would drift from it (two once used a tolerance of 1e-3 against 1e-6)."""
    names = {"ordered", "critical", "chaotic"}
    for path in sorted((ROOT / "workflow" / "scripts").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.If | ast.IfExp) and _compares_chi1_with_one(node.test):
                branches = node.body if isinstance(node, ast.If) else [node.body]
                branches = [
                    *branches,
                    *([node.orelse] if isinstance(node, ast.IfExp) else node.orelse),
                ]
                picked = {
                    n.value
                    for b in branches
                    for n in ast.walk(b)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)
                }
                assert not picked & names, f"{path.name}:{node.lineno}: {ast.unparse(node.test)}"
