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

``D`` moments in closed form where they exist without a Gaussian integral:
``linear``: ``phi' = 1`` so ``mu_2 / mu_1^2 = 1``; ``relu``: ``phi'^2`` is a fair
Bernoulli at any ``q*`` with ``sigma_b = 0`` so ``mu_2 / mu_1^2 = 2``.
"""

from __future__ import annotations

import numpy as np

#: first S-transform coefficient of W W^T / sigma_w^2
S1 = {"gaussian": -1.0, "orthogonal": 0.0}

#: critical (chi_1 = 1) settings with closed-form moments: sigma_w, sigma_b, mu_2 / mu_1^2
CRITICAL_CLOSED_FORM = {"linear": (1.0, 0.0, 1.0), "relu": (np.sqrt(2.0), 0.0, 2.0)}


def s1(weights: str) -> float:
    try:
        return S1[weights]
    except KeyError:
        raise ValueError(
            f"weights must be one of {', '.join(sorted(S1))}, got {weights!r}"
        ) from None


def critical_setting(activation: str):
    """(sigma_w, sigma_b, mu_2/mu_1^2) of the closed-form critical point of ``activation``."""
    try:
        return CRITICAL_CLOSED_FORM[activation]
    except KeyError:
        raise ValueError(
            f"no closed-form critical point for activation {activation!r}; "
            f"allowed: {', '.join(sorted(CRITICAL_CLOSED_FORM))}"
        ) from None


def jjt_variance(depth, moment_ratio, weights: str, mu1=1.0):
    """Variance of the J J^T spectrum: ``mu1^(2L) L (mu2/mu1^2 - 1 - s1)`` (broadcasts)."""
    depth = np.asarray(depth, dtype=float)
    m1 = np.asarray(mu1, dtype=float) ** depth
    return m1**2 * depth * (np.asarray(moment_ratio, dtype=float) - 1.0 - s1(weights))


def jjt_mean(depth, mu1=1.0):
    """Mean eigenvalue of J J^T: ``mu1^L`` (1 at criticality)."""
    return np.asarray(mu1, dtype=float) ** np.asarray(depth, dtype=float)
