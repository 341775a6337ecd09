"""Free-probability spectrum of the input-output Jacobian (dltheory.isometry).

The density from the S-transform equation is checked against three independent things:
closed forms (Fuss-Catalan for linear Gaussian nets, the arcsine law of ReLU orthogonal
nets at depth 2, Marchenko-Pastur at depth 1), the moments from power series (Lagrange
inversion, no density), and Monte Carlo products of random matrices.
"""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
from scipy import integrate, special

from dltheory import activations, isometry

SEED = 20260415


def atoms_at_criticality(act, q_star=1 / 64):
    point = isometry.critical_point(act, q_star)
    return point, isometry.derivative_atoms(act, q_star, point.sigma_w)


def test_atoms_reproduce_the_engine_moments_for_every_activation():
    # E[a] and E[a^2] by the atoms against the mean-field engine's quadrature (mu_1, mu_2
    # of critical_point), for smooth and kinked activations; kinked phi' exact atoms.
    for act in ("linear", "relu", "tanh", "erf", "hard_tanh"):
        for q_star in (1 / 64, 1.0):
            point, (a, w) = atoms_at_criticality(act, q_star)
            assert w.sum() == pytest.approx(1.0, abs=1e-14)
            assert np.sum(w * a) == pytest.approx(point.mu1, rel=1e-10)
            assert np.sum(w * a * a) == pytest.approx(point.mu2, rel=1e-10)
    a, w = isometry.derivative_atoms("relu", 0.3, np.sqrt(2.0))
    np.testing.assert_allclose(a, [0.0, 2.0])
    np.testing.assert_allclose(w, [0.5, 0.5], rtol=1e-14)
    a, w = isometry.derivative_atoms("hard_tanh", 4.0)
    np.testing.assert_allclose(
        w, [1 - special.erf(0.5 / np.sqrt(2)), special.erf(0.5 / np.sqrt(2))]
    )
    for bad in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(ValueError):
            isometry.derivative_atoms("tanh", bad)


def test_moments_by_lagrange_inversion_match_closed_forms():
    # linear Gaussian: Fuss-Catalan numbers; every case: mean mu1^L and the known variance
    for depth in (1, 2, 5, 32):
        m = isometry.jjt_moments(depth, "gaussian", np.ones(6))
        fc = [comb((depth + 1) * k, k) / (depth * k + 1) for k in range(1, 7)]
        np.testing.assert_allclose(m, fc, rtol=1e-12)
        np.testing.assert_allclose(isometry.jjt_moments(depth, "orthogonal", np.ones(4)), 1.0)
    for act in ("relu", "tanh"):
        point, (a, w) = atoms_at_criticality(act, 0.25)
        mu = [np.sum(w * a**k) for k in (1, 2)]
        for wts in ("gaussian", "orthogonal"):
            for depth in (1, 4, 16):
                m1, m2 = isometry.jjt_moments(depth, wts, mu)
                assert m1 == pytest.approx(point.mu1**depth, rel=1e-12)
                var = isometry.jjt_variance(depth, point.moment_ratio, wts, point.mu1)
                assert m2 - m1**2 == pytest.approx(var, rel=1e-10, abs=1e-14)
    with pytest.raises(ValueError):
        isometry.jjt_moments(2, "uniform", [1.0])


def test_density_matches_fuss_catalan_for_linear_gaussian_nets():
    # Penson & Zyczkowski 2011: products of s Ginibre matrices, parametric in phi
    atoms = isometry.derivative_atoms("linear", 1.0)
    for s in (1, 2, 8, 32):
        phi = np.linspace(0.02, np.pi / (s + 1) - 0.02, 25)
        x = np.sin((s + 1) * phi) ** (s + 1) / (np.sin(phi) * np.sin(s * phi) ** s)
        rho = np.sin(phi) ** 2 * np.sin(s * phi) ** (s - 1) / np.sin((s + 1) * phi) ** s / np.pi
        np.testing.assert_allclose(isometry.jjt_density(x, s, "gaussian", atoms), rho, rtol=1e-6)


def test_density_matches_closed_forms_for_relu():
    # sigma_w^2 = 2: a in {0, 2}, S_A(m) = (1 + m) / (1 + 2m).
    atoms = isometry.derivative_atoms("relu", 1.0, np.sqrt(2.0))
    assert isometry.zero_mass(atoms) == pytest.approx(0.5, abs=1e-14)
    # orthogonal, L = 2: (4 - z) m^2 + (4 - z) m + 1 = 0, the arcsine law of mass 1/2 on [0, 4]
    lam = np.linspace(0.01, 3.99, 40)
    rho = isometry.jjt_density(lam, 2, "orthogonal", atoms)
    np.testing.assert_allclose(rho, 1 / (2 * np.pi * np.sqrt(lam * (4 - lam))), rtol=1e-6)
    assert isometry.jjt_density([4.5, 9.0], 2, "orthogonal", atoms) == pytest.approx(0, abs=1e-8)
    # Gaussian, L = 1: the non-zero eigenvalues of 2 W P W^T (P a projection of rank N/2)
    # are Marchenko-Pastur with ratio 1/2, scaled by 2, and carry mass 1/2:
    # rho = sqrt((l+ - lam)(lam - l-)) / (4 pi lam), l+- = 2 (1 +- 1/sqrt 2)^2
    lo, hi = 2 * (1 - np.sqrt(0.5)) ** 2, 2 * (1 + np.sqrt(0.5)) ** 2
    lam = np.linspace(lo + 0.01, hi - 0.01, 30)
    rho = isometry.jjt_density(lam, 1, "gaussian", atoms)
    np.testing.assert_allclose(rho, np.sqrt((hi - lam) * (lam - lo)) / (4 * np.pi * lam), rtol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("wts", ["gaussian", "orthogonal"])
def test_density_mass_and_moments_match_lagrange_inversion(wts):
    # integrate the density of u = log10 s; depth 4 puts < 1e-4 of the mass below s = 1e-12;
    # the trapezoid rule's own error is ~1e-4 (1/sqrt edges of relu orthogonal)
    for act in ("relu", "tanh"):
        point, atoms = atoms_at_criticality(act, 0.25)
        a, w = atoms
        depth = 4
        # fine steps where the mass is (relu orthogonal has 1/sqrt edges there)
        u = np.concatenate([np.linspace(-12.0, -1.0, 221), np.linspace(-1.0, 1.5, 2001)[1:]])
        rho_u = isometry.log_singular_value_density(u, depth, wts, atoms)
        lam = 10.0 ** (2 * u)
        mass = integrate.trapezoid(rho_u, x=u)
        m = isometry.jjt_moments(depth, wts, [np.sum(w * a**k) for k in (1, 2, 3)])
        assert mass == pytest.approx(1 - isometry.zero_mass(atoms), abs=2e-3), (act, wts)
        for k in (1, 2, 3):
            assert integrate.trapezoid(rho_u * lam**k, x=u) == pytest.approx(m[k - 1], rel=3e-3)


@pytest.mark.slow
def test_density_matches_monte_carlo_products_of_random_matrices():
    # J = prod_l W^l D^l with i.i.d. D^l = diag(sigma_w phi'(h)), h ~ N(0, q*), numpy only:
    # the fraction of squared singular values below lam against the integrated density.
    # Kolmogorov distance of 2400 values (N = 200, 12 draws) to the N = inf law: 1.63 /
    # sqrt(2400) = 0.033 at the 1% level (values within a draw are repulsive, which only
    # lowers it), plus O(1/N) finite-width bias: tolerance 0.045.
    rng = np.random.default_rng(SEED)
    width, depth, n_draws = 200, 4, 12
    for act, wts in (("tanh", "gaussian"), ("tanh", "orthogonal"), ("relu", "gaussian")):
        point, atoms = atoms_at_criticality(act, 0.25)
        dphi = activations.get(act).dphi
        sample = []
        for _ in range(n_draws):
            jac = np.eye(width)
            for _layer in range(depth):
                h = rng.normal(0.0, np.sqrt(point.q_star), width)
                if wts == "gaussian":
                    weight = rng.normal(0.0, 1.0 / np.sqrt(width), (width, width))
                else:
                    q, r = np.linalg.qr(rng.normal(size=(width, width)))
                    weight = q * np.sign(np.diag(r))
                jac = jac @ (point.sigma_w * weight * dphi(h))
            sample.append(np.linalg.svd(jac, compute_uv=False) ** 2)
        sample = np.sort(np.concatenate(sample))
        u = np.linspace(-4.0, 1.5, 551)
        rho_u = isometry.log_singular_value_density(u, depth, wts, atoms)
        cdf = isometry.zero_mass(atoms) + integrate.cumulative_simpson(rho_u, x=u, initial=0)
        cdf += 1 - cdf[-1]  # mass above lam = 10^3 is < 1e-6; the rest lies below 10^-8
        grid = 10.0 ** (2 * u)
        empirical = np.searchsorted(sample, grid, side="right") / sample.size
        assert np.max(np.abs(empirical - cdf)) < 0.045, (act, wts)


def test_density_domain():
    atoms = isometry.derivative_atoms("tanh", 0.25, 1.1)
    for bad in ([0.0], [-1.0], [np.nan], [np.inf]):
        with pytest.raises(ValueError):
            isometry.jjt_density(bad, 2, "gaussian", atoms)
    with pytest.raises(ValueError):
        isometry.jjt_density([1.0], 0, "gaussian", atoms)
    with pytest.raises(ValueError):
        isometry.jjt_density([1.0], 2, "uniform", atoms)
    # far outside the support the density is 0 (a value, not an error)
    assert isometry.jjt_density([1e6], 3, "orthogonal", atoms)[0] == pytest.approx(0, abs=1e-12)


def test_critical_line_start():
    # odd activations reach sigma_b -> 0 as q* -> 0, at sigma_w = 1 / phi'(0)
    for act, sw0 in (("tanh", 1.0), ("erf", np.sqrt(np.pi) / 2), ("hard_tanh", 1.0)):
        assert isometry.critical_line_start(act) == pytest.approx((0.0, sw0), rel=1e-12)
    # sigmoid: E[phi^2] >= 1/4 keeps sigma_b^2 = q - sigma_w^2 E[phi^2] < 0 below q0
    from dltheory import meanfield

    q0, sw0 = isometry.critical_line_start("sigmoid")
    assert 40 < q0 < 50
    sw, sb = meanfield.edge_of_chaos(q0 * (1 + 1e-6), "sigmoid")
    assert sw == pytest.approx(sw0, rel=1e-5) and 0 < sb < 0.01
    assert np.isnan(meanfield.edge_of_chaos(q0 * (1 - 1e-6), "sigmoid")[1])
    with pytest.raises(ValueError, match="no critical point"):
        isometry.critical_line_start("sigmoid", q_max=10.0)
