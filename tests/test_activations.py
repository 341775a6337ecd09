"""The activation object: registry, user callables, and the two entries added through it.

``softsign`` (no closed forms: every theory function takes the numerical path) and ``sin``
(closed-form moments and kernel) are checked against mpmath (mp.quad, findroot) in both
phases, to the 1e-10 relative tolerance of the other mpmath tests; the closed sin kernel
against the library's own numerical quadrature with its closed forms removed.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from mp_references import c_star as mp_c_star
from mp_references import chi1, fixed_point, gauss_moment, reference
from scipy import special

from dltheory import activations, finite_width, networks, quadrature
from dltheory import meanfield as mf

RTOL = 1e-10
SRC = Path(__file__).resolve().parents[1] / "src" / "dltheory"

# (sigma_w, sigma_b): ordered phase (chi_1 < 1, c* = 1) and chaotic phase (c* < 1)
ORDERED = {"softsign": [(1.2, 0.3), (0.8, 0.05)], "sin": [(1.2, 0.3), (0.8, 0.05)]}
CHAOTIC = {"softsign": [(2.5, 0.5), (4.0, 0.1)], "sin": [(1.6, 0.3), (2.5, 0.5)]}


# ------------------------------------------------------------------- the registry


def test_names_and_lookup():
    assert activations.names() == activations.NAMES
    assert {"softsign", "sin", "tanh", "leaky_relu"} <= set(activations.names())
    act = activations.get("tanh")
    assert activations.get(act) is act and act.label
    with pytest.raises(ValueError, match="unknown activation 'tanhh'.*allowed:.*softsign"):
        activations.get("tanhh")
    with pytest.raises(ValueError, match="unknown activation"):
        activations.get(3)


@pytest.mark.parametrize("name", [*activations.NAMES, "leaky_relu:0.2"])
def test_derivatives_and_torch_agree_with_phi(name):
    act = activations.get(name)
    u = np.array([-3.1, -1.7, -0.4, 0.35, 1.3, 2.6])  # away from every kink
    h = 1e-5
    fd1 = (act.phi(u + h) - act.phi(u - h)) / (2 * h)
    fd2 = (act.dphi(u + h) - act.dphi(u - h)) / (2 * h)
    np.testing.assert_allclose(act.dphi(u), fd1, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(act.d2phi(u), fd2, rtol=1e-7, atol=1e-8)
    assert act.torch_phi is not None and act.torch_dphi is not None
    x = torch.tensor(u, dtype=torch.float64)
    np.testing.assert_allclose(networks.torch_activation(name)(x).numpy(), act.phi(u),
                               rtol=1e-14, atol=1e-15)  # fmt: skip
    np.testing.assert_allclose(networks.torch_derivative(name)(x).numpy(), act.dphi(u),
                               rtol=1e-14, atol=1e-15)  # fmt: skip


def test_homogeneous_gain_from_the_slopes():
    leaky = activations.get("leaky_relu:0.2")
    assert leaky.homogeneous and leaky.gain == pytest.approx((1 + 0.04) / 2)
    # the finite-width moments use the object's gain for any slope, not a name table
    g, _, _, h = finite_width.activation_moments(np.array([2.0]), leaky)
    np.testing.assert_allclose(g, 2.0 * (1 + 0.2**2) / 2, rtol=1e-15)
    np.testing.assert_allclose(h, 3 * 4.0 * (1 + 0.2**4) / 2, rtol=1e-15)
    with pytest.raises(ValueError, match="'tanh' is not positively homogeneous"):
        _ = activations.get("tanh").gain


def test_no_activation_is_known_by_name_outside_the_registry():
    # every module asks the object: no name comparison or name-keyed table elsewhere
    pattern = re.compile(r"\.(name|family)\s*(==|!=|in\b|not in\b)|\bname\s*==\s*[\"']|"
                         r"_TORCH_PHI|ACTIVATION_NAMES|_HOMOGENEOUS|_ASYMPTOTES")  # fmt: skip
    hits = [
        f"{path.name}:{i}: {line.strip()}"
        for path in sorted(SRC.glob("*.py"))
        if path.name != "activations.py"
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line) and "activation" in path.read_text()
    ]
    assert not hits, hits


# --------------------------------------------------------------- user callables


def test_a_user_callable_works_like_the_registered_tanh():
    sw, sb = np.array([0.8, 1.2, 2.0, 3.0]), np.array([0.1, 0.3, 0.3, 0.5])
    user = lambda x: np.tanh(x)  # noqa: E731
    act = activations.get(user)
    assert activations.get(user) is act and "complex step" in act.derivatives
    q = mf.q_star(sw, sb, user)
    np.testing.assert_allclose(q, mf.q_star(sw, sb, "tanh"), rtol=1e-12)
    np.testing.assert_allclose(mf.chi1(sw, sb, user), mf.chi1(sw, sb, "tanh"), rtol=1e-12)
    # phi'' by differences: the slope of V to ~1e-11
    np.testing.assert_allclose(mf.chi_q(sw, sb, user), mf.chi_q(sw, sb, "tanh"), rtol=1e-9)
    # no asymptote: the generic inner rule of the two-input kernel
    np.testing.assert_allclose(mf.c_star(sw, sb, user), mf.c_star(sw, sb, "tanh"), rtol=1e-11)
    np.testing.assert_allclose(mf.c_map(0.4, sw, sb, act), mf.c_map(0.4, sw, sb, "tanh"),
                               rtol=1e-12)  # fmt: skip


def test_a_callable_without_complex_support_gets_central_differences():
    act = activations.Activation.from_function(special.expit, "expit", bounded=True)
    assert "five-point" in act.derivatives and "complex" not in act.derivatives
    u = np.linspace(-5, 5, 11)
    sig = activations.get("sigmoid")
    np.testing.assert_allclose(act.dphi(u), sig.dphi(u), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(mf.q_star(1.5, 0.2, act), mf.q_star(1.5, 0.2, sig), rtol=1e-12)
    np.testing.assert_allclose(mf.chi1(1.5, 0.2, act), mf.chi1(1.5, 0.2, sig), rtol=1e-9)


# --------------------------------------------------------- softsign and sin vs mpmath


@pytest.mark.slow
@pytest.mark.parametrize("name", ["softsign", "sin"])
def test_q_star_and_chi1_match_mpmath_in_both_phases(name):
    for sw, sb in ORDERED[name] + CHAOTIC[name]:
        q = mf.q_star(sw, sb, name)
        start = float(f"{q:.6g}")  # findroot's start: stays put when q* moves in its last digits
        ref = reference(fixed_point, name, sw, sb, start)
        assert abs(q / ref - 1) <= RTOL, (name, sw, sb)
        chi = reference(chi1, name, sw, sb, start)
        assert abs(mf.chi1(sw, sb, name) / chi - 1) <= RTOL, (name, sw, sb)
        assert (chi < 1) == ((sw, sb) in ORDERED[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["softsign", "sin"])
def test_c_star_matches_mpmath_in_both_phases(name):
    for sw, sb in ORDERED[name]:  # chi_1 < 1 (checked against mpmath above): c* = 1
        assert mf.c_star(sw, sb, name) == 1.0
    for sw, sb in CHAOTIC[name]:
        c = mf.c_star(sw, sb, name)
        assert 0 < c < 1
        # c* by mpmath (findroot of C(c) - c on the mpmath kernel at the mpmath q*), started
        # from ours to 6 digits; the kernel is good to ~1e-12, over 1 - C'(c*) in c*
        q_start = float(f"{mf.q_star(sw, sb, name):.6g}")
        ref = reference(mp_c_star, name, sw, sb, q_start, float(f"{c:.6g}"))
        assert abs(c / ref - 1) <= RTOL, (name, sw, sb, c, ref)


def test_sin_closed_kernel_matches_the_numerical_quadrature():
    # the quadrature's grid widens away from u = 0 (right for a phi that settles to a line
    # or a constant); sin keeps oscillating, so the check stays at q <= 2 (about one period
    # over the Gaussian's bulk), where the quadrature is good to ~2e-13
    sin = activations.get("sin")
    numeric = dataclasses.replace(sin, kernel=None, moments=None)  # the quadrature path
    q1 = np.array([0.3, 1.0, 2.0, 0.05, 1.5, 2.0])
    q2 = np.array([1.5, 0.2, 1.8, 2.0, 0.7, 2.0])
    q12 = np.array([0.6, -0.4, 0.95, 0.1, -0.99, 0.999]) * np.sqrt(q1 * q2)
    closed = mf.kernel_map(q1, q2, q12, 1.4, 0.2, sin)
    quad = mf.kernel_map(q1, q2, q12, 1.4, 0.2, numeric)
    np.testing.assert_allclose(quad, closed, rtol=1e-11, atol=1e-14)
    sw, sb = np.array([0.9, 1.3, 1.6]), np.array([0.1, 0.3, 0.3])  # q* <= 1.3
    np.testing.assert_allclose(mf.q_star(sw, sb, numeric), mf.q_star(sw, sb, sin), rtol=1e-12)
    np.testing.assert_allclose(mf.c_star(sw, sb, numeric), mf.c_star(sw, sb, sin), rtol=1e-11)


@pytest.mark.parametrize("name", ["softsign", "sin"])
def test_every_theory_function_accepts_the_new_activations(name):
    sw, sb = np.array([0.9, 1.6, 2.5]), np.array([0.1, 0.3, 0.5])
    ds = mf.depth_scales(sw, sb, name)
    assert np.all(np.isfinite(ds["xi_q"])) and np.all(np.isfinite(ds["c_star"]))
    np.testing.assert_allclose(mf.chi_c(1.0, sw, sb, name), mf.chi1(sw, sb, name), rtol=1e-12)
    layers = mf.kernel_layers(1.5, 0.7, 0.4, 3, 1.3, 0.2, name)
    assert np.all(np.isfinite(np.stack(layers)))
    e_sw, e_sb = mf.edge_of_chaos(np.array([0.5, 2.0]), name)
    np.testing.assert_allclose(mf.chi1(e_sw, e_sb, name, q=np.array([0.5, 2.0])), 1.0, rtol=1e-12)
    crit = mf.critical_sigma_w(0.3, name)
    assert mf.chi1(crit, 0.3, name) == pytest.approx(1.0, abs=1e-9)
    assert np.all(mf.convergence_depth(3.0, sw, sb, name) <= 100)
    assert np.isfinite(finite_width.stationary_vertex(1.2, 0.3, name))


@pytest.mark.slow
def test_sin_closed_moments_match_mpmath():
    sin = activations.get("sin")
    q = np.array([1e-6, 0.05, 0.7, 3.0, 10.0])
    m2, d2, slope = quadrature._moments(q, sin)
    for k, qk in enumerate(q):
        assert abs(m2[k] / reference(gauss_moment, "sin", "phi2", float(qk)) - 1) <= 1e-12
        assert abs(d2[k] / reference(gauss_moment, "sin", "dphi2", float(qk)) - 1) <= 1e-12
        ref = reference(gauss_moment, "sin", "slope", float(qk))  # E[phi'^2 + phi phi'']
        assert abs(slope[k] / ref - 1) <= 1e-12
