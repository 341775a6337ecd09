"""Numerical edges of the theory functions: each refused with the argument named, or
answered correctly, never a silent number or an unrelated error."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dltheory import activations, checks, isometry
from dltheory import meanfield as mf

# -- correlations outside [-1, 1] -----------------------------------------------------


@pytest.mark.parametrize("c", [1.5, 7.0, -1.0000001, [0.5, 1.5]])
@pytest.mark.parametrize("fn", [mf.chi_c, mf.c_map])
def test_a_correlation_outside_minus_one_one_is_refused(fn, c):
    with pytest.raises(ValueError, match=r"c must lie in \[-1, 1\] \(a correlation\)"):
        fn(c, 1.5, 0.3)


def test_chi_c_at_the_ends_of_the_interval_is_still_answered():
    assert mf.chi_c(1.0, 1.5, 0.3) == pytest.approx(mf.chi1(1.5, 0.3), rel=1e-12)
    assert np.isfinite(mf.chi_c(-1.0, 1.5, 0.3))


# -- rho, sigmas, slopes --------------------------------------------------------------


@pytest.mark.parametrize("rho", [float("nan"), float("inf"), 0.0, 1.5, -0.2])
def test_a_bad_dropout_rho_is_refused_naming_rho(rho):
    with pytest.raises(ValueError, match=r"rho \(dropout keep probability\) must be in \(0, 1\]"):
        mf.q_star(1.5, 0.3, rho=rho)
    with pytest.raises(ValueError, match="rho"):
        mf.depth_scales(1.5, 0.3, rho=rho)


def test_a_nan_sigma_b_is_refused_by_critical_sigma_w():
    with pytest.raises(ValueError, match="sigma_b must be finite and >= 0, got nan"):
        mf.critical_sigma_w(float("nan"))


@pytest.mark.parametrize("slope", ["1e308", "-1e7", "1e400", "nan", "inf"])
def test_an_absurd_leaky_slope_is_refused(slope):
    name = f"leaky_relu:{slope}"
    with pytest.raises(ValueError, match="leaky_relu slope") as err:
        mf.q_star(1.0, 0.3, name)
    assert "not a number" in str(err.value) or name in str(err.value)


def test_the_largest_allowed_leaky_slope_still_computes():
    big = activations.MAX_LEAKY_SLOPE
    gain = (1.0 + big**2) / 2.0
    sw = 0.5 / np.sqrt(gain)  # g sigma_w^2 = 1/4: q* = sigma_b^2 / (1 - 1/4)
    assert mf.q_star(sw, 0.3, f"leaky_relu:{big:g}") == pytest.approx(0.09 / 0.75, rel=1e-12)
    assert mf.q_star(sw, 0.3, f"leaky_relu:{-big:g}") == pytest.approx(0.09 / 0.75, rel=1e-12)


def test_a_sweep_whose_start_overflows_names_sigma_w_not_q0():
    with pytest.raises(ValueError, match="sigma_w = 1e[+]200") as err:
        mf.q_star(1e200, 0.3)
    assert "q0 must be finite" not in str(err.value)


# -- numbers only where numbers are meant ---------------------------------------------

NOT_NUMBERS = ["1.5", b"1.5", True, np.bool_(True), None, 1 + 1j, [1.0, True], [1.0, "2"]]


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=repr)
@pytest.mark.parametrize(
    "call, name",
    [
        (lambda v: mf.q_star(v, 0.3), "sigma_w"),
        (lambda v: mf.chi1(1.5, v), "sigma_b"),
        (lambda v: mf.q_map(1.0, 1.5, 0.3, rho=v), "rho"),
        (lambda v: mf.chi1(1.5, 0.3, q=v), "q"),
        (lambda v: mf.q_star(1.5, 0.3, q0=v), "q0"),
        (lambda v: mf.c_map(v, 1.5, 0.3), "c"),
        (lambda v: mf.chi_c(v, 1.5, 0.3), "c"),
        (lambda v: mf.kernel_map(1.0, 1.0, v, 1.5, 0.3), "q12"),
        (lambda v: mf.depth_scales(v, 0.3), "sigma_w"),
        (lambda v: mf.critical_sigma_w(v), "sigma_b"),
        (lambda v: mf.convergence_depth(v, 1.5, 0.3), "q0"),
        (lambda v: mf.edge_of_chaos(v), "q_star"),
        (lambda v: mf.gaussian_expectation(np.square, v), "q"),
        (lambda v: isometry.jjt_mean(3, v), "mu1"),
        (lambda v: isometry.derivative_atoms("tanh", v), "q_star"),
    ],
)
def test_strings_and_booleans_are_refused_where_numbers_are_meant(call, name, value):
    if value is None and name in ("q", "q0"):
        return  # None is their default: solve for q*, start from sigma_w^2 + sigma_b^2
    with pytest.raises(TypeError, match=f"^{name} must be a real number"):
        call(value)


@pytest.mark.parametrize("value", ["5", True, 2.5])
def test_counts_must_be_whole_numbers(value):
    with pytest.raises(TypeError, match="^depth must be a whole number"):
        mf.kernel_layers(1.0, 1.0, 0.5, value, 1.5, 0.3)
    with pytest.raises(TypeError, match="^max_depth must be a whole number"):
        mf.convergence_depth(1.0, 1.5, 0.3, max_depth=value)
    with pytest.raises(TypeError, match="^leaky_relu slope must be a real number"):
        activations.leaky_relu(str(value))


def test_real_numbers_of_every_kind_are_still_accepted():
    import pandas as pd

    expected = mf.q_star(1.5, 0.0)
    for sw in (1.5, np.float32(1.5), np.array(1.5), [1.5], pd.Series([1.5])):
        assert np.ravel(mf.q_star(sw, np.int64(0)))[0] == pytest.approx(expected, rel=1e-6)
    assert checks.integer(np.int64(3), "n") == 3 and checks.integer(3.0, "n") == 3
    assert checks.real(np.array([1, 2], dtype=object), "x").dtype == float


# -- the Jacobian spectrum far above its support and at tiny lambda -------------------


def _atoms(act, q_star=1.0):
    point = isometry.critical_point(act, q_star)
    return isometry.derivative_atoms(act, point.q_star, point.sigma_w)


@pytest.mark.parametrize("act", ["tanh", "linear"])
@pytest.mark.parametrize("depth", [2, 8, 32])
def test_the_density_is_zero_far_above_the_support(act, depth):
    atoms = _atoms(act)
    lam = np.array([5.6e5, 1e6, 1e7, 1e12, 1e300])
    for wts in ("gaussian", "orthogonal") if act == "tanh" else ("gaussian",):
        lo, hi = isometry.support_bounds(depth, wts, atoms)
        rho = isometry.jjt_density(lam, depth, wts, atoms)
        assert np.all(rho[lam > hi] == 0.0), (wts, rho)
        # below the bound but outside the support: the smoothing's tail, O(eta / lam)
        assert np.all(rho * lam <= 1e-12), (wts, rho)
    # log10 s up to 150: the density of log10 s reaches 0, no error
    u = np.linspace(-3.0, 150.0, 154)
    rho_u = isometry.log_singular_value_density(u, depth, "gaussian", atoms)
    assert np.all(np.isfinite(rho_u)) and rho_u[-1] == 0.0


def test_the_support_bound_is_the_fuss_catalan_edge_for_linear_nets():
    atoms = _atoms("linear")
    for depth in (1, 2, 8, 32):
        edge = (depth + 1) ** (depth + 1) / depth**depth
        assert isometry.support_bounds(depth, "gaussian", atoms) == pytest.approx((0.0, edge))
        # the density is positive just below the edge, 0 just above it
        below, above = isometry.jjt_density([0.99 * edge, 1.01 * edge], depth, "gaussian", atoms)
        assert below > 1e-6 * (1 / edge) and above == 0.0


@pytest.mark.parametrize(
    "act, depth, wts",
    [("linear", 2, "gaussian"), ("relu", 2, "orthogonal"), ("relu", 8, "gaussian"),
     ("tanh", 8, "gaussian"), ("tanh", 32, "orthogonal"), ("relu", 1, "gaussian")],
)  # fmt: skip
def test_tiny_lambda_gives_a_finite_density_without_overflow(act, depth, wts):
    atoms = _atoms(act)
    lam = np.array([1e-300, 1e-250, 1e-200, 1e-150])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        rho = isometry.jjt_density(lam, depth, wts, atoms)
    assert np.all(np.isfinite(rho)) and np.all(rho >= 0)


def test_tiny_lambda_follows_the_closed_forms():
    # linear Gaussian nets: rho ~ C lam^(-L/(L+1)) as lam -> 0 (Fuss-Catalan), so
    # rho(lam) lam^(L/(L+1)) is the same constant at every tiny lam
    atoms = _atoms("linear")
    lam = 10.0 ** np.array([-300.0, -250.0, -200.0, -100.0])
    for depth in (1, 2, 8):
        scaled = isometry.jjt_density(lam, depth, "gaussian", atoms) * lam ** (depth / (depth + 1))
        np.testing.assert_allclose(scaled, scaled[-1], rtol=1e-9)
    # relu with orthogonal weights at depth 2: the arcsine law 1 / (2 pi sqrt(lam (4 - lam)))
    atoms = isometry.derivative_atoms("relu", 1.0, np.sqrt(2.0))
    rho = isometry.jjt_density(lam, 2, "orthogonal", atoms)
    np.testing.assert_allclose(rho, 1 / (2 * np.pi * np.sqrt(lam * (4 - lam))), rtol=1e-9)
