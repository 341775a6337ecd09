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
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: first S-transform coefficient of W W^T / sigma_w^2
S1 = {"gaussian": -1.0, "orthogonal": 0.0}

#: critical (chi_1 = 1) settings with closed-form moments: sigma_w, sigma_b, mu_2 / mu_1^2
CRITICAL_CLOSED_FORM = {"linear": (1.0, 0.0, 1.0), "relu": (np.sqrt(2.0), 0.0, 2.0)}


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


def jjt_variance(depth, moment_ratio, weights: str, mu1=1.0):
    """Variance of the J J^T spectrum: ``mu1^(2L) L (mu2/mu1^2 - 1 - s1)`` (broadcasts)."""
    depth = np.asarray(depth, dtype=float)
    m1 = np.asarray(mu1, dtype=float) ** depth
    return m1**2 * depth * (np.asarray(moment_ratio, dtype=float) - 1.0 - s1(weights))


def jjt_mean(depth, mu1=1.0):
    """Mean eigenvalue of J J^T: ``mu1^L`` (1 at criticality)."""
    return np.asarray(mu1, dtype=float) ** np.asarray(depth, dtype=float)
