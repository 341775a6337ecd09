"""The two-input kernel map (NNGP recursion) at unequal lengths, and parametrised leaky relu.

References: the arc-sine (erf) and arc-cosine (relu, Cho & Saul 2009) kernels written out
here, the engine's generic 2-D quadrature with its closed forms switched off, mpmath, and
simulated wide networks (fixed seeds, tolerance from the spread over networks).
"""

from __future__ import annotations

import dataclasses

import mp_references
import numpy as np
import pytest

from dltheory import activations
from dltheory import kernel as kern
from dltheory import meanfield as mf

# unequal lengths, several correlations (including negative and near +-1)
Q1 = np.array([0.3, 1.0, 4.0, 0.05, 12.0, 2.0])
Q2 = np.array([2.5, 0.2, 9.0, 30.0, 0.7, 2.0])
C = np.array([0.6, -0.4, 0.95, 0.1, -0.99, 0.999])


def arcsine(q1, q2, q12):
    """E[erf(u1) erf(u2)] (Williams 1997)."""
    return 2 / np.pi * np.arcsin(2 * q12 / np.sqrt((1 + 2 * q1) * (1 + 2 * q2)))


def arccos1(q1, q2, q12):
    """E[relu(u1) relu(u2)]: sqrt(q1 q2) (sin t + (pi - t) cos t) / (2 pi), cos t = c."""
    t = np.arccos(np.clip(q12 / np.sqrt(q1 * q2), -1, 1))
    return np.sqrt(q1 * q2) * (np.sin(t) + (np.pi - t) * np.cos(t)) / (2 * np.pi)


#: erf without its closed forms, with and without an asymptote for the inner average
ERF_ASYMPTOTE = (activations.erf_step(0.8), activations.LOCALISED)
ERF_NUMERIC = dataclasses.replace(activations.get("erf"), kernel=None, asymptote=ERF_ASYMPTOTE)
ERF_GENERIC = dataclasses.replace(activations.get("erf"), kernel=None)


@pytest.mark.parametrize("numeric", [ERF_NUMERIC, ERF_GENERIC], ids=["asymptote", "generic"])
def test_generic_quadrature_reproduces_the_arcsine_kernel_at_unequal_lengths(numeric):
    q12 = C * np.sqrt(Q1 * Q2)
    ref = 1.7**2 * arcsine(Q1, Q2, q12) + 0.2**2
    closed = mf.kernel_map(Q1, Q2, q12, 1.7, 0.2, "erf")[2]
    np.testing.assert_allclose(closed, ref, rtol=1e-13)
    got = mf.kernel_map(Q1, Q2, q12, 1.7, 0.2, numeric)[2]
    np.testing.assert_allclose(got, ref, rtol=1e-11)


def test_relu_kernel_is_the_arccosine_kernel_at_unequal_lengths():
    q12 = C * np.sqrt(Q1 * Q2)
    q1n, q2n, q12n = mf.kernel_map(Q1, Q2, q12, 1.3, 0.4, "relu")
    np.testing.assert_allclose(q12n, 1.69 * arccos1(Q1, Q2, q12) + 0.16, rtol=1e-13)
    np.testing.assert_allclose(q1n, 1.69 * Q1 / 2 + 0.16, rtol=1e-15)
    np.testing.assert_allclose(q2n, 1.69 * Q2 / 2 + 0.16, rtol=1e-15)


def test_leaky_relu_kernel_from_the_relu_kernel():
    # leaky(u) = relu(u) - a relu(-u): E = (1 + a^2) K(c) - 2 a K(-c) (both arc-cosine)
    a = 0.2
    q12 = C * np.sqrt(Q1 * Q2)
    ref = (1 + a * a) * arccos1(Q1, Q2, q12) - 2 * a * arccos1(Q1, Q2, -q12)
    got = mf.kernel_map(Q1, Q2, q12, 1.0, 0.0, "leaky_relu:0.2")[2]
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-15)


def test_tanh_kernel_at_unequal_lengths_matches_mpmath():
    q1, q2, c = 0.5, 20.0, 0.6  # the inner Gaussian's width differs from the outer one's
    ref = mp_references.reference(mp_references.tanh_kernel, q1, q2, c, 12)
    assert kern._kernel(c, q1, activations.get("tanh"), 0, q2) == pytest.approx(ref, rel=1e-10)
    # symmetric in the two inputs
    assert kern._kernel(c, q2, activations.get("tanh"), 0, q1) == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("name", ["tanh", "relu", "erf", "gelu", "selu", "leaky_relu:0.2"])
def test_c_map_is_the_kernel_map_at_equal_lengths(name):
    c = np.array([-0.7, 0.0, 0.35, 0.9, 1.0])
    for sw, sb, q in ((1.4, 0.3, 0.8), (2.2, 0.1, 5.0)):
        v = mf.q_map(q, sw, sb, name)
        k = mf.kernel_map(q, q, c * q, sw, sb, name)
        np.testing.assert_allclose(k[0], v, rtol=1e-14)
        np.testing.assert_allclose(mf.c_map(c, sw, sb, name, q=q), k[2] / v, rtol=1e-12)
    # at q = q* (here finite) the default
    q = mf.q_star(1.1, 0.3, name, q0=0.5)
    if np.isfinite(q):
        np.testing.assert_allclose(mf.c_map(c, 1.1, 0.3, name, q=q), mf.kernel_map(
            q, q, c * q, 1.1, 0.3, name)[2] / mf.q_map(q, 1.1, 0.3, name), rtol=1e-12)  # fmt: skip


@pytest.mark.parametrize("name", ["tanh", "gelu", "erf"])
def test_chi_c_with_explicit_q_is_the_slope_of_c_map(name):
    h = 1e-5
    for q in (0.4, 7.0):
        for c in (-0.3, 0.5):
            fd = (mf.c_map(c + h, 1.8, 0.2, name, q=q) - mf.c_map(c - h, 1.8, 0.2, name, q=q)) / (
                2 * h
            )
            assert mf.chi_c(c, 1.8, 0.2, name, q=q) == pytest.approx(fd, rel=1e-7)
        # at c = 1: sigma_w^2 E[phi'^2] q / V(q), i.e. chi_1 at q times q / V(q)
        ratio = q / mf.q_map(q, 1.8, 0.2, name)
        assert mf.chi_c(1.0, 1.8, 0.2, name, q=q) == pytest.approx(
            mf.chi1(1.8, 0.2, name, q=q) * ratio, rel=1e-12
        )


def test_input_kernel_divides_by_the_input_dimension():
    x1, x2 = np.array([1.0, 2.0, 0.5, -1.0]), np.array([0.3, -1.0, 2.5, 0.0])
    q1, q2, q12 = mf.input_kernel(x1, x2, 1.5, 0.3)
    assert q1 == pytest.approx(2.25 * (1 + 4 + 0.25 + 1) / 4 + 0.09)
    assert q2 == pytest.approx(2.25 * (0.09 + 1 + 6.25) / 4 + 0.09)
    assert q12 == pytest.approx(2.25 * (0.3 - 2 + 1.25) / 4 + 0.09)
    with pytest.raises(ValueError, match="features"):
        mf.input_kernel(x1, x2[:3], 1.5, 0.3)


def test_kernel_map_rejects_a_non_covariance():
    with pytest.raises(ValueError, match="covariance"):
        mf.kernel_map(1.0, 1.0, 1.5, 1.0, 0.0)
    with pytest.raises(ValueError, match="q1"):
        mf.kernel_map(-1.0, 1.0, 0.0, 1.0, 0.0)


def simulate(x1, x2, depth, sw, sb, phi, width, n_nets, rng):
    """Per net and layer: mean over neurons of h1^2, h2^2, h1 h2 (pre-activations)."""
    d = x1.size
    out = np.empty((n_nets, depth + 1, 3))
    for n in range(n_nets):
        x = np.stack([x1, x2], axis=1)  # (d, 2)
        w = rng.standard_normal((width, d)) * sw / np.sqrt(d)
        h = w @ x + sb * rng.standard_normal((width, 1))
        out[n, 0] = (h[:, 0] ** 2).mean(), (h[:, 1] ** 2).mean(), (h[:, 0] * h[:, 1]).mean()
        for layer in range(1, depth + 1):
            w = rng.standard_normal((width, width)) * sw / np.sqrt(width)
            h = w @ phi(h) + sb * rng.standard_normal((width, 1))
            out[n, layer] = (h[:, 0] ** 2).mean(), (h[:, 1] ** 2).mean(), (h[:, 0] * h[:, 1]).mean()
    return out


SIMULATED = [
    ("tanh", 1.5, 0.3),
    ("relu", 1.3, 0.2),
    ("leaky_relu:0.2", 1.2, 0.5),
    ("gelu", 1.6, 0.1),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,sw,sb", SIMULATED)
def test_kernel_layers_match_simulated_wide_networks(name, sw, sb):
    rng = np.random.default_rng(20261123)
    d, depth, width, n_nets = 40, 3, 1000, 16
    x1 = rng.standard_normal(d)
    x2 = 0.6 * x1 + 0.8 * rng.standard_normal(d)
    x2 *= np.sqrt(3.0) / np.sqrt((x2**2).mean())  # |x2|^2/d = 3, |x1|^2/d ~ 1: unequal
    sim = simulate(x1, x2, depth, sw, sb, activations.get(name).phi, width, n_nets, rng)
    theory = np.stack(mf.kernel_layers(*mf.input_kernel(x1, x2, sw, sb), depth, sw, sb, name),
                      axis=-1)  # fmt: skip
    mean = sim.mean(axis=0)
    se = sim.std(axis=0, ddof=1) / np.sqrt(n_nets)
    # 4 standard errors over nets; finite width biases the kernel by O(1/width) only
    assert np.all(np.abs(mean - theory) <= 4 * se + 2.0 / width * np.abs(theory)), (
        mean - theory
    ) / se


def test_leaky_relu_slope_is_a_parameter():
    act = activations.get("leaky_relu:0.2")
    assert act.slopes == (1.0, 0.2) and act.param == 0.2 and act.homogeneous
    np.testing.assert_allclose(act.phi(np.array([-2.0, 3.0])), [-0.4, 3.0])
    np.testing.assert_allclose(act.dphi(np.array([-2.0, 3.0])), [0.2, 1.0])
    assert activations.get("leaky_relu").param == activations.LEAKY_SLOPE == 0.01
    assert activations.get("leaky_relu:0.2") is act  # built once
    with pytest.raises(ValueError, match="not a number"):
        activations.get("leaky_relu:steep")
    with pytest.raises(ValueError, match="finite"):
        activations.get("leaky_relu:inf")
    gain = (1 + 0.04) / 2
    # closed forms carry the slope: moments, q*, chi_1, critical point
    q = np.array([0.05, 0.7, 3.0, 40.0])
    m2 = mf.gaussian_expectation(lambda u: act.phi(u) ** 2, q, "leaky_relu:0.2")
    np.testing.assert_allclose(mf.q_map(q, 1.0, 0.0, "leaky_relu:0.2"), m2, rtol=1e-12)
    np.testing.assert_allclose(m2, gain * q, rtol=1e-12)
    assert mf.q_star(1.1, 0.5, "leaky_relu:0.2") == pytest.approx(0.25 / (1 - 1.21 * gain))
    assert mf.chi1(1.1, 0.5, "leaky_relu:0.2") == pytest.approx(1.21 * gain, rel=1e-15)
    assert mf.critical_sigma_w(0.0, "leaky_relu:0.2") == pytest.approx(np.sqrt(1 / gain))
    # and differs from the default slope
    assert mf.q_star(1.1, 0.5, "leaky_relu") != mf.q_star(1.1, 0.5, "leaky_relu:0.2")


@pytest.mark.long
@pytest.mark.parametrize("key", sorted(mp_references.stored()))
def test_stored_mpmath_references_are_reproduced(key):
    """Every stored reference (tests/mp_references.py) recomputed from scratch."""
    entry = mp_references.stored()[key]
    assert mp_references.compute(entry) == pytest.approx(float(entry["value"]), rel=1e-15)
