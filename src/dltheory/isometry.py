"""Dynamical isometry (Pennington, Schoenholz & Ganguli 2017): free-probability moments
of the input-output Jacobian spectrum of a deep network at criticality.

For ``J = prod_l W^l D^l`` with ``D^l = diag(phi'(h^l))`` and weights of variance
``sigma_w^2/N``, let ``mu_k = E[(sigma_w phi'(h))^{2k}]`` at the fixed point ``q*``
(so ``chi_1 = mu_1``). The eigenvalues ``lambda`` of ``J J^T`` (squared singular values)
have, to leading order in 1/N,

    mean      m_1      = mu_1^L
    variance  sigma^2  = m_1^2 L (mu_2 / mu_1^2 - 1 - s_1)      (at chi_1 = 1: m_1 = 1)

with ``s_1`` the first S-transform coefficient of ``W W^T / sigma_w^2``: ``s_1 = -1`` for
Gaussian weights (Marchenko-Pastur) and ``s_1 = 0`` for orthogonal weights.

The critical point on the line chi_1 = 1 with fixed point ``q*`` comes from
:func:`dltheory.meanfield.edge_of_chaos`; the ``D`` moments are one-dimensional Gaussian
integrals by the engine's quadrature. Closed forms kept as cross-checks: ``linear``
(``phi' = 1``, ``mu_2 / mu_1^2 = 1``) and ``relu`` (``phi'^2`` a fair Bernoulli,
``sigma_w^2 = 2``, ``sigma_b = 0``, ``mu_2 / mu_1^2 = 2``), both at any ``q*``. For tanh,
``mu_2 / mu_1^2 -> 1`` as ``q* -> 0``: orthogonal weights then give variance ``-> 0``
(dynamical isometry), Gaussian weights never do (variance ``>= L``).

The whole density of the squared singular values (not only its moments) follows from the
S-transform: :func:`jjt_density` solves the self-consistent equation for any activation
(the law of ``(sigma_w phi'(h))^2`` as quadrature atoms, :func:`derivative_atoms`), with
closed forms as checks (Fuss-Catalan for linear Gaussian nets; for relu the equation is a
polynomial, e.g. the arcsine law at depth 2 with orthogonal weights); :func:`jjt_moments`
gives every moment by Lagrange inversion of the same S-transform, without the density.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .checks import integer as _integer
from .checks import real as _real
from .checks import real_scalar as _real_scalar

__all__ = [
    "S1",
    "CriticalPoint",
    "critical_line_start",
    "critical_point",
    "derivative_atoms",
    "jjt_density",
    "jjt_mean",
    "jjt_moments",
    "jjt_variance",
    "log_singular_value_density",
    "s1",
    "support_bounds",
    "zero_mass",
]

#: first S-transform coefficient of W W^T / sigma_w^2
S1 = {"gaussian": -1.0, "orthogonal": 0.0}


class CriticalPoint(NamedTuple):
    """A point of the critical line and the moments of ``(sigma_w phi'(h))^2`` there."""

    sigma_w: float
    sigma_b: float
    q_star: float
    mu1: float
    mu2: float

    @property
    def moment_ratio(self) -> float:
        """``mu_2 / mu_1^2``."""
        return self.mu2 / self.mu1**2


def s1(weights: str) -> float:
    """First S-transform coefficient of ``W W^T / sigma_w^2`` for ``weights``."""
    try:
        return S1[weights]
    except KeyError:
        raise ValueError(
            f"weights must be one of {', '.join(sorted(S1))}, got {weights!r}"
        ) from None


def critical_point(activation: str, q_star: float = 1.0) -> CriticalPoint:
    """The chi_1 = 1 point with fixed point ``q_star`` and ``mu_k = E[(sigma_w phi')^(2k)]``.

    ``mu_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]`` equals 1 there by construction (returned as
    computed, a check); raises ``ValueError`` if no ``sigma_b >= 0`` reaches ``q_star`` on
    the critical line.
    """
    from . import activations, meanfield

    dphi = activations.get(activation).dphi
    sigma_w, sigma_b = meanfield.edge_of_chaos(q_star, activation)
    if not np.isfinite(sigma_b):
        raise ValueError(
            f"activation {activation!r}: no sigma_b >= 0 puts the fixed point q* = {q_star} "
            "on the critical line"
        )
    mu1 = sigma_w**2 * meanfield.gaussian_expectation(lambda h: dphi(h) ** 2, q_star, activation)
    mu2 = sigma_w**4 * meanfield.gaussian_expectation(lambda h: dphi(h) ** 4, q_star, activation)
    return CriticalPoint(float(sigma_w), float(sigma_b), float(q_star), float(mu1), float(mu2))


def critical_line_start(activation: str, q_max: float = 1e6) -> tuple[float, float]:
    """``(q0, sigma_w0)``: where the critical line chi_1 = 1 starts, at ``sigma_b = 0``.

    On the line, ``sigma_w^2 = 1 / E[phi'(sqrt(q) z)^2]`` and ``sigma_b^2 = q - sigma_w^2
    E[phi(sqrt(q) z)^2]``; the line exists for ``q >= q0``, the root of ``sigma_b^2(q) = 0``.
    For odd phi with phi'(0) = 1-like behaviour (tanh, erf, hard tanh) ``sigma_b^2 > 0`` for
    every ``q > 0``: ``q0 = 0`` and ``sigma_w0 = 1 / |phi'(0)|``. A non-zero mean (sigmoid:
    ``E[phi^2] >= 1/4``) pushes ``q0`` up (about 45 for the sigmoid). Root by ``brentq``
    on log q, checked (``|sigma_b^2(q0)| <= 1e-10 q0``); raises ``ValueError`` if there is
    no root below ``q_max``.
    """
    from scipy import optimize

    from . import activations, meanfield

    act = activations.get(activation)

    def sb2_over_q(log_q):
        q = float(np.exp(log_q))
        m2 = meanfield.gaussian_expectation(lambda h: act.phi(h) ** 2, q, activation)
        d2 = meanfield.gaussian_expectation(lambda h: act.dphi(h) ** 2, q, activation)
        return 1.0 - float(m2 / d2) / q

    lo, hi = np.log(1e-10), np.log(float(q_max))
    if sb2_over_q(lo) >= 0:
        d2 = float(act.dphi(np.array(0.0)) ** 2)
        return 0.0, float(1.0 / np.sqrt(d2))
    if sb2_over_q(hi) < 0:
        raise ValueError(f"{activation!r}: no critical point with sigma_b >= 0 below q* = {q_max}")
    log_q0 = optimize.brentq(sb2_over_q, lo, hi, xtol=1e-14, rtol=1e-14)
    q0 = float(np.exp(log_q0))
    if abs(sb2_over_q(log_q0)) > 1e-10:
        raise RuntimeError(f"{activation!r}: critical-line start not converged")
    d2 = meanfield.gaussian_expectation(lambda h: act.dphi(h) ** 2, q0, activation)
    return q0, float(1.0 / np.sqrt(d2))


def jjt_variance(depth, moment_ratio, weights: str, mu1=1.0):
    """Variance of the J J^T spectrum: ``mu1^(2L) L (mu2/mu1^2 - 1 - s1)`` (broadcasts)."""
    depth = _real(depth, "depth")
    m1 = _real(mu1, "mu1") ** depth
    return m1**2 * depth * (_real(moment_ratio, "moment_ratio") - 1.0 - s1(weights))


def jjt_mean(depth, mu1=1.0):
    """Mean eigenvalue of J J^T: ``mu1^L`` (1 at criticality)."""
    return _real(mu1, "mu1") ** _real(depth, "depth")


# ------------------------------------------------------------- the spectral density
#
# Conventions (Pennington, Schoenholz & Ganguli 2017, Sec. 2.3). For a spectral density
# rho_X, G_X(z) = int rho_X(t) / (z - t) dt, the moment series psi_X(y) = sum_k m_k y^k =
# z G_X(z) - 1 at y = 1/z, chi_X its inverse function and S_X(m) = chi_X(m) (1 + m) / m.
# For J = prod_l W^l D^l the S-transform multiplies: S_{JJ^T} = S_A^L S_{W~}^L, where
# A = (sigma_w phi'(h))^2 with h ~ N(0, q*) and W~ = W / sigma_w; S_{W~}(m) = 1 / (1 + m)
# for Gaussian weights (Marchenko-Pastur, ratio 1) and 1 for orthogonal weights.
# Write x = chi_A(m) = 1/v, so that m = psi_A(1/v) = v G_A(v) - 1 = E[a / (v - a)] and
# 1 + m = v G_A(v). The self-consistent equation chi_{JJ^T}(m) = 1/z becomes
#
#     Gaussian:    z = v^(L+1) G_A(v) m^(L-1)
#     orthogonal:  z = v (m / G_A(v))^(L-1)
#
# one equation in one complex unknown v, well conditioned from z -> inf (v ~ z / mu_1^(L-1))
# to z -> 0 (v -> 0, m -> -1); rho_{JJ^T}(lam) = -Im G(lam + i0) / pi with G = (1 + m) / z.

_SINH_STEP = 0.1
_Z_MAX = 12.0
_GL_NODES = 48
_GL_PANELS = 4


def derivative_atoms(activation: str, q_star: float, sigma_w: float = 1.0):
    """Quadrature atoms ``(a_i, w_i)`` of ``a = (sigma_w phi'(h))^2``, ``h ~ N(0, q*)``.

    ``E[f(a)] ~= sum_i w_i f(a_i)``, with ``sum_i w_i = 1``. Smooth activations:
    sinh-mapped trapezoid in ``z = h / sqrt(q*)`` (exponential convergence).
    Activations with kinks: Gauss-Legendre panels in ``u = Phi(z)`` between the kinks, so
    a piecewise constant phi' (linear, relu, leaky relu, abs, hard tanh) gets its atoms
    and their probabilities exactly. Equal atoms are merged.
    """
    from scipy import special

    from . import activations

    act = activations.get(activation)
    q_star, sigma_w = _real_scalar(q_star, "q_star"), _real_scalar(sigma_w, "sigma_w")
    if not (np.isfinite(q_star) and q_star > 0 and np.isfinite(sigma_w) and sigma_w > 0):
        raise ValueError(f"need finite q_star > 0 and sigma_w > 0, got {q_star}, {sigma_w}")
    if act.smooth:
        # trapezoid in t with z = c sinh(t), c = min(1, 1/sqrt(q*)) (as the mean-field
        # engine): exponential convergence, also for the near-step phi' of large q*
        c = 1.0 / np.sqrt(max(q_star, 1.0))
        t_max = np.arcsinh(_Z_MAX / c)
        n_t = np.ceil(t_max / _SINH_STEP)
        t = _SINH_STEP * np.arange(-n_t, n_t + 1)
        z = c * np.sinh(t)
        w = _SINH_STEP * c * np.cosh(t) * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    else:
        cuts = np.concatenate(([0.0], special.ndtr(np.sort(act.kinks) / np.sqrt(q_star)), [1.0]))
        x, wx = np.polynomial.legendre.leggauss(_GL_NODES)
        panels = [
            np.linspace(lo, hi, _GL_PANELS + 1) for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)
        ]
        edges = np.unique(np.concatenate(panels))
        lo, hi = edges[:-1, None], edges[1:, None]
        u = (0.5 * (lo + hi) + 0.5 * (hi - lo) * x).ravel()
        w = (0.5 * (hi - lo) * wx).ravel()
        z = special.ndtri(u)
    a = sigma_w**2 * act.dphi(np.sqrt(q_star) * z) ** 2
    values, inverse = np.unique(a, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=w)
    return values, weights / weights.sum()


def _residual(v, log_z, a, w, depth, weights):
    """``f = rhs / z - 1`` of the equation above, ``d log(rhs) / dv`` and ``m``.

    ``m = E[a / (v - a)]`` is summed directly (not as ``v G_A(v) - 1``, which cancels to
    a relative error of 1e-16 |v| / mu_1 far above the support), and ``rhs / z`` is
    formed from logarithms (``log_z``: log z), so nothing overflows or underflows at large
    or tiny ``z``.
    """
    r = 1.0 / (v[..., None] - a)
    # r / max |r| (an atom a = 0 gives r = 1/v: r^2 would overflow for |v| < 1e-154)
    scale = np.max(np.abs(r), axis=-1)
    r = r / scale[..., None]
    g = np.sum(w * r, axis=-1)  # G_A(v) / scale
    m = np.sum(w * a * r, axis=-1)  # (v G_A(v) - 1) / scale
    dg = -np.sum(w * r * r, axis=-1) * scale  # G_A'(v) / scale
    dm = -np.sum(w * a * r * r, axis=-1) * scale
    log_scale = np.log(scale)
    L = depth
    if weights == "gaussian":
        log_ratio = (L + 1) * np.log(v) + np.log(g) + (L - 1) * np.log(m) + L * log_scale - log_z
        dlog = (L + 1) / v + dg / g + (L - 1) * dm / m
    else:
        log_ratio = np.log(v) + (L - 1) * (np.log(m) - np.log(g)) - log_z
        dlog = 1.0 / v + (L - 1) * (dm / m - dg / g)
    # the equation holds up to the branch of the logarithm: wrap the phase to (-pi, pi]
    log_ratio = log_ratio.real + 1j * np.angle(np.exp(1j * log_ratio.imag))
    return np.expm1(log_ratio), dlog, m * scale


def support_bounds(depth: int, weights: str, atoms) -> tuple[float, float]:
    """Bounds ``(lo, hi)`` of the support of the absolutely continuous J J^T spectrum.

    ``hi``: ``max(a)^L`` times the edge of the product of L free Marchenko-Pastur laws,
    ``(L+1)^(L+1) / L^L`` (Fuss-Catalan), for Gaussian weights, ``max(a)^L`` for orthogonal
    ones (the norm of a product of free elements is at most the product of their norms).
    ``lo``: ``min(a)^L`` for orthogonal weights when every atom is > 0 (the same bound for
    the inverse), else 0. The density is 0 outside ``[lo, hi]``.
    """
    s1(weights)
    depth = int(depth)
    a = np.asarray(atoms[0], dtype=float)
    log_hi = depth * np.log(float(np.max(a)))
    if weights == "gaussian":
        log_hi += (depth + 1) * np.log(depth + 1.0) - depth * np.log(float(depth))
    lo = 0.0
    if weights == "orthogonal" and np.min(a) > 0:
        lo = float(np.exp(max(depth * np.log(float(np.min(a))), -745.0)))
    return lo, float(np.exp(min(log_hi, 709.0)))


def jjt_density(lam, depth: int, weights: str, atoms, eta: float = 1e-13, steps: int = 60):
    """Density ``rho(lam)`` of the eigenvalues of ``J J^T`` (squared singular values of J).

    Solves the S-transform equation above for ``v`` at ``z = lam + i eta lam`` by Newton's
    method, continued along ``Im z`` from ``Im z = 100 (lam + m_2 / m_1)`` (far above the
    support, where ``v ~ z / mu_1^(L-1)``) down to ``eta lam`` in at least ``steps`` steps of
    at most a factor 10^(1/3) (the physical branch is
    analytic in the upper half plane, so the vertical path does not jump to another root).
    ``atoms = (a_i, w_i)`` from :func:`derivative_atoms`. Returns the absolutely continuous
    part: a point mass (at 0 when ``P(a = 0) > 0``, e.g. relu, see :func:`zero_mass`; at
    ``mu_1^L`` for orthogonal linear nets) is not in it. Outside :func:`support_bounds` the
    density is 0 (returned without solving); elsewhere outside the support it is the
    smoothing's tail, of order ``eta / lam``. Any ``lam`` in (0, 1e300] works (the
    equation is solved in logarithms). Raises ``RuntimeError`` if the residual does not
    reach 1e-9 or the root is off the physical branch (``Im G > 0``).
    """
    s1(weights)
    depth = _integer(depth, "depth", minimum=1)
    a, w = (np.asarray(v, dtype=float) for v in atoms)
    lam = _real(lam, "lam")
    if np.any(~np.isfinite(lam)) or np.any(lam <= 0):
        raise ValueError("lam must be finite and > 0 (the point mass at 0 is not a density)")
    eta = _real_scalar(eta, "eta")
    if not (np.isfinite(eta) and 0 < eta < 1):
        raise ValueError(f"eta must lie in (0, 1), got {eta}")
    out = np.zeros(lam.size)
    lo, hi = support_bounds(depth, weights, (a, w))
    inside = np.flatnonzero((lam.ravel() >= lo) & (lam.ravel() <= hi))
    if inside.size:
        out[inside] = _density_inside(lam.ravel()[inside], depth, weights, a, w, eta, steps)
    return out.reshape(lam.shape)


def _density_inside(flat, depth, weights, a, w, eta, steps):
    """:func:`jjt_density` at the points ``flat`` (1-D, below the support bound)."""
    mu1 = float(np.sum(w * a))
    m1, m2 = jjt_moments(depth, weights, [mu1, float(np.sum(w * a * a))])
    # heights relative to lam: z = lam (1 + i t), from t = 100 (lam + m2/m1) / lam down to
    # eta (z itself is never formed: eta lam underflows for lam below ~1e-295)
    log_top = np.log10(100.0 * (flat + m2 / m1)) - np.log10(flat)
    # at least `steps` heights and at most a factor 10^(1/3) between two: continuation
    # needs small steps, and tiny lam spans many decades (1e-80 against 1e-2)
    steps = max(int(steps), int(np.ceil(3.0 * np.max(log_top - np.log10(eta)))))
    rel = 10.0 ** np.linspace(log_top, np.full(flat.shape, np.log10(eta)), steps, axis=-1)
    log_lam = np.log(flat)
    v = flat * (1.0 + 1j * rel[:, 0]) / mu1 ** (depth - 1)
    for j in range(steps):
        log_z = log_lam + np.log(1.0 + 1j * rel[:, j])
        active = np.ones(flat.size, dtype=bool)
        last = np.full(flat.size, np.inf)  # |f| of the previous iteration
        for _ in range(50):
            f, dlog, _m = _residual(v[active], log_z[active], a, w, depth, weights)
            step = f / ((f + 1.0) * dlog)
            # damp steps that would move v by more than half its size (stay on the branch);
            # the ratio first: |v| |step| underflows at tiny lam
            with np.errstate(divide="ignore", over="ignore"):
                shrink = np.minimum(1.0, 0.5 * np.abs(v[active]) / np.abs(step))
            v[active] -= step * shrink
            idx = np.flatnonzero(active)
            size = np.abs(f)
            # converged, or at the rounding floor (a few 1e-15 above 1e-14 for some
            # points): no longer decreasing once below 1e-12
            done = (size < 1e-14) | ((size < 1e-12) & (size >= last[idx]))
            last[idx] = size
            active[idx[done]] = False
            if not active.any():
                break
    f, _dlog, _m = _residual(v, log_z, a, w, depth, weights)
    # lam G = lam (1 + m) / z = v G_A(v) / (1 + i eta), minus the point mass at 0 (the
    # atoms a = 0 contribute exactly that mass to v G_A(v)), whose Lorentzian tail
    # p0 eta / (pi lam) would otherwise dominate the density far above the support;
    # summed over the atoms a > 0 only, so nothing cancels as m -> -1 at small lam
    pos = a > 0
    shift = 1.0 + 1j * rel[:, -1]
    lam_g = v * np.sum(w[pos] / (v[:, None] - a[pos]), axis=-1) / shift
    full_g = lam_g + zero_mass((a, w)) / shift
    bad = ~(np.abs(f) < 1e-9) | (full_g.imag > 1e-9 * np.abs(full_g))
    if np.any(bad):
        raise RuntimeError(
            f"S-transform equation not solved at lam = {flat[bad][:5]} "
            f"(depth {depth}, {weights}): residual {np.abs(f[bad][:5])}"
        )
    return np.maximum(-lam_g.imag / np.pi, 0.0) / flat


def log_singular_value_density(u, depth: int, weights: str, atoms, **kwargs):
    """Density of ``u = log10 s`` for the singular values ``s`` of J.

    ``rho_u(u) = rho_lam(lam) dlam/du = 2 ln(10) lam rho_lam(lam)``, ``lam = 10^(2u)``.
    """
    lam = 10.0 ** (2.0 * _real(u, "u"))
    return 2.0 * np.log(10.0) * lam * jjt_density(lam, depth, weights, atoms, **kwargs)


def zero_mass(atoms) -> float:
    """Point mass of the J J^T spectrum at 0: ``P(a = 0)`` (each D^l has that fraction of
    zeros, and generic full-rank W^l between them keep the rank at ``N (1 - P(a = 0))``)."""
    a, w = (np.asarray(v, dtype=float) for v in atoms)
    return float(np.sum(w[a == 0]))


# -------------------------------------------------------- moments by Lagrange inversion


def _series_mul(p, q, k):
    return np.convolve(p, q)[:k]


def _series_pow(p, n, k):
    out = np.zeros(k)
    out[0] = 1.0
    base = np.asarray(p, dtype=float)[:k]
    while n:
        if n & 1:
            out = _series_mul(out, base, k)
        base = _series_mul(base, base, k)
        n >>= 1
    return out


def _series_inv(p, k):
    """``1 / p(t)`` as a power series to ``t^(k-1)`` (``p[0] != 0``)."""
    p = np.asarray(p, dtype=float)
    out = np.zeros(k)
    out[0] = 1.0 / p[0]
    for n in range(1, k):
        out[n] = -np.dot(p[1 : n + 1][:n], out[n - 1 :: -1][: len(p[1 : n + 1])]) / p[0]
    return out


def _lagrange(phi, n_terms):
    """Coefficients ``c_1..c_n`` of the solution ``m(y) = sum c_k y^k`` of ``m = y phi(m)``:
    ``c_k = (1/k) [t^(k-1)] phi(t)^k`` (Lagrange inversion)."""
    return np.array([_series_pow(phi, k, k)[k - 1] / k for k in range(1, n_terms + 1)], dtype=float)


def jjt_moments(depth: int, weights: str, a_moments) -> np.ndarray:
    """Moments ``m_k = int lam^k rho_{JJ^T}`` for ``k = 1..K`` from ``E[a^k]``, ``k = 1..K``.

    Independent of :func:`jjt_density`: power series only. With ``g(t) = t / psi_A(t) =
    1 / (mu_1 + mu_2 t + ...)``, ``chi_A`` solves ``x = m g(x)``; ``S_A = chi_A (1+m)/m``;
    ``S_J = S_A^L S_{W~}^L``; the moment series ``m(y)`` solves ``m = y (1 + m) / S_J(m)``.
    Both steps are Lagrange inversions. Linear Gaussian nets give the Fuss-Catalan numbers
    ``binom((L+1)k, k) / (Lk + 1)``.
    """
    s1(weights)
    mu = np.asarray(a_moments, dtype=float)
    n = mu.size
    if n < 1 or mu[0] <= 0:
        raise ValueError("need E[a] > 0 and at least one moment")
    g = _series_inv(mu, n)  # t / psi_A(t)
    chi = _lagrange(g, n)  # chi_A(m) = sum chi[k-1] m^k
    s_a = _series_mul(chi, [1.0, 1.0], n)  # chi_A(m) (1 + m) / m
    s_j = _series_pow(s_a, int(depth), n)
    if weights == "gaussian":
        s_j = _series_mul(s_j, _series_pow(_series_inv([1.0, 1.0], n), int(depth), n), n)
    phi = _series_mul([1.0, 1.0], _series_inv(s_j, n), n)
    return _lagrange(phi, n)
