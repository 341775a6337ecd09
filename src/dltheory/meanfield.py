"""Mean-field signal propagation (Poole et al. 2016, Schoenholz et al. 2017).

Notation of the problem sheets: ``W ~ N(0, sigma_w^2 / N)``, ``b ~ N(0, sigma_b^2)``;
functions take the standard deviations ``sigma_w`` and ``sigma_b``.

Length map::

    q^l = V(q^{l-1}) = sigma_w^2 * E_z[phi(sqrt(q^{l-1}) z)^2] + sigma_b^2,   z ~ N(0, 1)

First version: Gauss-Hermite quadrature on a fixed rule. A later revision makes the
integrals exact to 1e-10 along the whole edge of chaos.
"""

from __future__ import annotations

import numpy as np

from . import activations

_GH_ORDER = 301
_nodes, _weights = np.polynomial.hermite_e.hermegauss(_GH_ORDER)
_weights = _weights / np.sqrt(2.0 * np.pi)  # expectation under N(0, 1)


def _scalar_or_array(x):
    x = np.asarray(x, dtype=float)
    return x.item() if x.ndim == 0 else x


def gaussian_expectation(f, scale):
    """E_z[f(scale * z)] for z ~ N(0, 1), broadcast over ``scale``."""
    scale = np.asarray(scale, dtype=float)
    return np.tensordot(f(scale[..., None] * _nodes), _weights, axes=([-1], [0]))


def q_map(q, sigma_w, sigma_b, activation="tanh"):
    """Length map V(q) = sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2 (broadcasts)."""
    phi = activations.get(activation).phi
    q, sigma_w, sigma_b = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (q, sigma_w, sigma_b))
    )
    if np.any(q < 0):
        raise ValueError("q must be non-negative")
    out = sigma_w**2 * gaussian_expectation(lambda u: phi(u) ** 2, np.sqrt(q)) + sigma_b**2
    return _scalar_or_array(out)


def q_star(sigma_w, sigma_b, activation="tanh", q0=1.0, tol=1e-13, max_iter=10_000):
    """Stable fixed point q* of the length map, found by iterating the map from ``q0``."""
    sigma_w, sigma_b = np.broadcast_arrays(np.asarray(sigma_w, float), np.asarray(sigma_b, float))
    q = np.full(sigma_w.shape, float(q0))
    for _ in range(max_iter):
        q_new = np.asarray(q_map(q, sigma_w, sigma_b, activation))
        if np.all(np.abs(q_new - q) <= tol * np.maximum(1.0, np.abs(q_new))):
            q = q_new
            break
        q = q_new
    return _scalar_or_array(q)
