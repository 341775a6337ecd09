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

import mpmath as mp
import numpy as np
import pytest
import torch
from scipy import special

from dltheory import activations, finite_width, networks, quadrature
from dltheory import meanfield as mf

RTOL = 1e-10
SRC = Path(__file__).resolve().parents[1] / "src" / "dltheory"

MP_PHI = {"softsign": lambda u: u / (1 + abs(u)), "sin": mp.sin}
MP_DPHI = {"softsign": lambda u: 1 / (1 + abs(u)) ** 2, "sin": mp.cos}
# (sigma_w, sigma_b): ordered phase (chi_1 < 1, c* = 1) and chaotic phase (c* < 1)
ORDERED = {"softsign": [(1.2, 0.3), (0.8, 0.05)], "sin": [(1.2, 0.3), (0.8, 0.05)]}
CHAOTIC = {"softsign": [(2.5, 0.5), (4.0, 0.1)], "sin": [(1.6, 0.3), (2.5, 0.5)]}


def mp_gauss(f, q, dps=25):
    """E_z[f(sqrt(q) z)] by mpmath quad, split at 0 (softsign's kink)."""
    with mp.workdps(dps):
        s = mp.sqrt(mp.mpf(q))
        return mp.quad(lambda z: f(s * z) * mp.npdf(z), [-mp.inf, -1, 0, 1, mp.inf])


def mp_q_star(name, sw, sb, start):
    phi = MP_PHI[name]
    with mp.workdps(25):
        return mp.findroot(
            lambda q: mp.mpf(sw) ** 2 * mp_gauss(lambda u: phi(u) ** 2, q) + mp.mpf(sb) ** 2 - q,
            mp.mpf(start),
        )


def mp_kernel(name, q, c, dps=12):
    """E[phi(u1) phi(u2)], u1, u2 ~ N(0, q) with correlation c = cos(theta0), by mp.quad in
    polar coordinates z = r (cos t, sin t): u1 = sqrt(q) r cos t, u2 = sqrt(q) r cos(t -
    theta0). The radial integral is smooth; the angular one is split where either argument
    changes sign (softsign's kink), over [0, pi] only (phi odd: period pi in t)."""
    phi = MP_PHI[name]
    if name == "sin":  # E_w[sin(m + s w)] = sin(m) exp(-s^2/2): a 1-D mp.quad suffices
        with mp.workdps(dps):
            q, c = mp.mpf(q), mp.mpf(c)
            damp = mp.exp(-q * (1 - c * c) / 2)
            f = lambda z: mp.sin(mp.sqrt(q) * z) * mp.sin(mp.sqrt(q) * c * z) * mp.npdf(z)  # noqa: E731
            return damp * mp.quad(f, [-mp.inf, 0, mp.inf])
    with mp.workdps(dps):
        s, th0 = mp.sqrt(mp.mpf(q)), mp.acos(mp.mpf(c))

        def radial(t):
            a, b = s * mp.cos(t), s * mp.cos(t - th0)
            f = lambda r: r * mp.exp(-r * r / 2) * phi(a * r) * phi(b * r)  # noqa: E731
            return mp.quad(f, [0, 1, mp.inf])

        cuts = sorted({mp.pi / 2, (th0 + mp.pi / 2) % mp.pi})
        return mp.quad(radial, [mp.mpf(0), *cuts, mp.pi]) / mp.pi


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
        ref = mp_q_star(name, sw, sb, q)
        assert abs(q / float(ref) - 1) <= RTOL, (name, sw, sb)
        chi = sw**2 * mp_gauss(lambda u: MP_DPHI[name](u) ** 2, ref)
        assert abs(mf.chi1(sw, sb, name) / float(chi) - 1) <= RTOL, (name, sw, sb)
        assert (float(chi) < 1) == ((sw, sb) in ORDERED[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["softsign", "sin"])
def test_c_star_matches_mpmath_in_both_phases(name):
    for sw, sb in ORDERED[name]:  # chi_1 < 1 (checked against mpmath above): c* = 1
        assert mf.c_star(sw, sb, name) == 1.0
    for sw, sb in CHAOTIC[name]:
        q = float(mp_q_star(name, sw, sb, mf.q_star(sw, sb, name)))
        c = mf.c_star(sw, sb, name)
        assert 0 < c < 1
        # C(c*) - c* by mpmath; to first order the error of c* is that over 1 - C'(c*)
        resid = float((sw**2 * mp_kernel(name, q, c) + sb**2) / q) - c
        slope = mf.chi_c(c, sw, sb, name, q=q)
        assert abs(resid) <= RTOL * c * (1 - slope), (name, sw, sb, resid, slope)


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
        assert abs(m2[k] / float(mp_gauss(lambda u: mp.sin(u) ** 2, qk)) - 1) <= 1e-12
        assert abs(d2[k] / float(mp_gauss(lambda u: mp.cos(u) ** 2, qk)) - 1) <= 1e-12
        ref = mp_gauss(lambda u: mp.cos(u) ** 2 - mp.sin(u) ** 2, qk)  # E[phi'^2 + phi phi'']
        assert abs(slope[k] / float(ref) - 1) <= 1e-12
