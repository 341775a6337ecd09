r"""Initialisation of a single layer (TTIC 31230 "Highways" sheet, Problem 1).

A unit ``u = W x + b`` with ``W`` a ``d_u x d_x`` matrix, ``b = 0``, inputs with
``E x_j = 0`` and ``E x_j^2 = 1``, and weights ``W_ij ~ N(0, sigma)``. Following the sheet,
``sigma`` is the weight *variance* (the sheet writes "variance sigma"; its standard
deviation is ``sqrt(sigma)``).

Problem 1(a). Over the joint distribution of ``x`` and the independent ``W``,

.. math::  E u_i = 0, \qquad \operatorname{Var} u_i = \sum_j E W_{ij}^2 \, E x_j^2 = d_x \sigma,

so unit variance needs ``sigma = 1 / d_x`` (standard deviation ``1/sqrt(d_x)``).

Problem 1(b). For ``z ~ N(0, v)``,

.. math::  E\,\mathrm{relu}(z) = \sqrt{v/(2\pi)}, \qquad
           E\,\mathrm{relu}(z)^2 = v/2, \qquad
           \operatorname{Var}\mathrm{relu}(z) = v\,(1/2 - 1/(2\pi)) \approx 0.3408\, v .

``u' = relu(Wx + b) - b'`` is centred by ``b' = sqrt(v/(2 pi))`` and has unit variance when
``v = d_x sigma = 1/(1/2 - 1/(2 pi)) ~= 2.934``: the initialisation variance must go *up*,
by the factor ``1/(1/2 - 1/(2 pi))`` relative to ``1/d_x``. He et al.'s factor 2 keeps the
second moment ``E relu(z)^2 = 1`` (the right quantity when the next layer sees the
uncentred activations); keeping the variance of the centred ``u'`` needs the larger 2.934.

The Gaussian form of ``z = W x`` holds for large ``d_x`` (central limit). For Gaussian
``x`` it is exact at every ``d_x`` conditionally on ``x``: ``z | x ~ N(0, sigma |x|^2)``,
hence with ``m_d = E|x| = sqrt(2) Gamma((d+1)/2) / Gamma(d/2)`` (the chi mean)

.. math::  E\,\mathrm{relu}(z) = m_d \sqrt{\sigma / (2\pi)}, \qquad
           \operatorname{Var}\mathrm{relu}(z) = \sigma\,(d/2 - m_d^2/(2\pi)),

which tends to the Gaussian result as ``m_d^2 = d - 1/2 + O(1/d)``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = [
    "RELU_MEAN",
    "RELU_VARIANCE",
    "chi_mean",
    "linear_weight_variance",
    "relu_moments",
    "relu_weight_variance",
    "simulate_unit",
]

#: E relu(z) and Var relu(z) for z ~ N(0, 1)
RELU_MEAN = 1.0 / np.sqrt(2.0 * np.pi)
RELU_VARIANCE = 0.5 - 1.0 / (2.0 * np.pi)


def _check_dim(d_x, name="d_x"):
    d = np.asarray(d_x, dtype=float)
    if np.any(~np.isfinite(d)) or np.any(d < 1) or np.any(d != np.round(d)):
        raise ValueError(f"{name} must be a positive integer (or array of them), got {d_x!r}")
    return d


def _check_sigma(sigma, name="sigma"):
    s = np.asarray(sigma, dtype=float)
    if np.any(~np.isfinite(s)) or np.any(s < 0):
        raise ValueError(f"{name} (weight variance) must be finite and >= 0, got {sigma!r}")
    return s


def chi_mean(d):
    r"""``E|x|`` for ``x ~ N(0, I_d)``: :math:`\sqrt2\,\Gamma((d+1)/2)/\Gamma(d/2)`."""
    d = _check_dim(d, "d")
    return np.sqrt(2.0) * np.exp(special.gammaln((d + 1) / 2) - special.gammaln(d / 2))


def linear_weight_variance(d_x):
    """Problem 1(a): the weight variance ``sigma = 1/d_x`` giving ``Var u_i = 1``."""
    return 1.0 / _check_dim(d_x)


def relu_moments(sigma, d_x, exact=False):
    """Mean and variance of ``relu(W x)_i`` for weight variance ``sigma``.

    ``exact=False``: ``W x`` treated as Gaussian with variance ``d_x sigma`` (the sheet's
    intended large-``d_x`` answer). ``exact=True``: exact for Gaussian ``x`` at every ``d_x``
    (see the module docstring). Broadcasts over ``sigma`` and ``d_x``.
    """
    s, d = np.broadcast_arrays(_check_sigma(sigma), _check_dim(d_x))
    if exact:
        m = chi_mean(d)
        return m * np.sqrt(s / (2 * np.pi)), s * (d / 2 - m**2 / (2 * np.pi))
    v = d * s
    return RELU_MEAN * np.sqrt(v), RELU_VARIANCE * v


def relu_weight_variance(d_x, exact=False):
    """Problem 1(b): weight variance giving ``Var u' = 1`` for ``u' = relu(Wx) - b'``.

    ``1 / (d_x (1/2 - 1/(2 pi)))`` (Gaussian ``Wx``), or exactly for Gaussian ``x``
    ``1 / (d_x/2 - m_d^2/(2 pi))``.
    """
    d = _check_dim(d_x)
    if exact:
        return 1.0 / (d / 2 - chi_mean(d) ** 2 / (2 * np.pi))
    return 1.0 / (d * RELU_VARIANCE)


def _moments(a):
    """Sample mean, variance, and the standard error of the variance (from the 4th moment)."""
    n = a.size
    mean = a.mean()
    c = a - mean
    var = np.mean(c**2)
    m4 = np.mean(c**4)
    return mean, var, np.sqrt(max(m4 - var**2, 0.0) / n)


def simulate_unit(d_x, sigma, n_samples, rng, chunk=2**22):
    """Monte Carlo of Problem 1 over ``x ~ N(0, I)`` and ``W_ij ~ N(0, sigma)``, ``b = 0``.

    Draws ``n_samples`` independent pairs ``(W row, x)`` literally (no conditional
    shortcut) and returns a dict with the sample mean/variance of ``u = W x`` and of
    ``relu(u)``, each with the standard error of the variance, plus ``b_prime`` (the sample
    mean of ``relu(u)``, the shift that centres ``u'``).
    """
    d_x = int(_check_dim(d_x))
    sigma = float(_check_sigma(sigma))
    if int(n_samples) < 2:
        raise ValueError(f"n_samples must be >= 2, got {n_samples!r}")
    n_samples = int(n_samples)
    rows = max(1, chunk // d_x)
    parts = []
    done = 0
    while done < n_samples:
        m = min(rows, n_samples - done)
        w = rng.standard_normal((m, d_x)) * np.sqrt(sigma)
        x = rng.standard_normal((m, d_x))
        parts.append(np.einsum("nj,nj->n", w, x))
        done += m
    u = np.concatenate(parts)
    r = np.maximum(u, 0.0)
    mean_u, var_u, se_u = _moments(u)
    mean_r, var_r, se_r = _moments(r)
    return {
        "d_x": d_x,
        "sigma": sigma,
        "n_samples": n_samples,
        "mean_u": mean_u,
        "var_u": var_u,
        "se_var_u": se_u,
        "se_mean_u": np.sqrt(var_u / n_samples),
        "b_prime": mean_r,
        "se_b_prime": np.sqrt(var_r / n_samples),
        "var_u_prime": var_r,
        "se_var_u_prime": se_r,
    }
