r"""Learning dynamics of deep linear networks (Saxe, McClelland & Ganguli 2014): gradient
flow and its analytic solutions.

Exercise 1 (the 7x4 toy task): forward-Euler integration of the gradient-flow equations

.. math::

    \tau \dot W^1 = W^{2T}(\Sigma^{yx} - W^2 W^1 \Sigma^x), \qquad
    \tau \dot W^2 = (\Sigma^{yx} - W^2 W^1 \Sigma^x) W^{1T}, \qquad
    \tau \dot W^s = \Sigma^{yx} - W^s \Sigma^x,

one Euler update being :math:`W \leftarrow W + (\Delta t/\tau)\,\tau\dot W`, so that T time
units are :math:`T/\Delta t` updates (the sheet: dt = 0.1, tau = 1/eta = 2.5, T = 15, 150
updates, i.e. a step of :math:`\eta\Delta t = 0.04` on the gradient). For whitened inputs and
a *decoupled* initialisation (the product already diagonal in the singular vectors of
:math:`\Sigma^{yx} = U S V^T`, and balanced layers) every mode evolves on its own:

.. math::

    a_\alpha(t) = \frac{s_\alpha e^{2 s_\alpha t/\tau}}{e^{2 s_\alpha t/\tau} - 1
    + s_\alpha/a^0_\alpha}, \qquad
    b_\alpha(t) = s_\alpha(1 - e^{-t/\tau}) + b^0_\alpha e^{-t/\tau}.

A mode of the one-hidden-layer net is half learnt at :math:`t_{1/2} = \frac{\tau}{2 s}
\ln(s/a^0 - 1)`: larger singular values are learnt first and sigmoidally (stage-like
transitions); the shallow net learns every mode on the same time scale tau. For a chain of
:math:`N_l` weight matrices with balanced decoupled modes :math:`a = u^{N_l}`,

.. math::

    \tau \dot a = N_l\, a^{2 - 2/N_l} (s - a),

whose half-learning time :func:`learning_time` integrates numerically (closed form for
:math:`N_l = 1, 2`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate

from . import seeds

__all__ = [
    "SIGMA_X",
    "SIGMA_YX",
    "analytic_deep",
    "analytic_shallow",
    "euler_deep",
    "euler_shallow",
    "exercise1",
    "half_time",
    "learning_time",
    "singular_values",
    "tau_epochs",
]

SIGMA_YX = np.array(
    [
        [1, 1, 1, 1],
        [1, 1, 0, 0],
        [0, 0, 1, 1],
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
    ],
    dtype=float,
)
SIGMA_X = np.eye(4)


def _check_positive(name, value, integer=False):
    if integer and (not isinstance(value, (int, np.integer)) or isinstance(value, bool)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def _check_moments(sigma_yx, sigma_x):
    sigma_yx = np.asarray(sigma_yx, dtype=float)
    sigma_x = np.asarray(sigma_x, dtype=float)
    if sigma_yx.ndim != 2:
        raise ValueError(f"sigma_yx must be a 2-d (outputs x inputs) matrix, got {sigma_yx.shape}")
    n_in = sigma_yx.shape[1]
    if sigma_x.shape != (n_in, n_in):
        raise ValueError(f"sigma_x must be ({n_in}, {n_in}) to match sigma_yx, got {sigma_x.shape}")
    return sigma_yx, sigma_x


def singular_values(mat):
    """Singular values (descending) of a matrix or a stack of matrices (last two axes)."""
    return np.linalg.svd(np.asarray(mat, dtype=float), compute_uv=False)


def _euler(sigma_yx, sigma_x, dt, tau, steps, deep, hidden, init_var, seed):
    sigma_yx, sigma_x = _check_moments(sigma_yx, sigma_x)
    for name, val in (("dt", dt), ("tau", tau), ("init_var", init_var)):
        _check_positive(name, val)
    _check_positive("steps", steps, integer=True)
    n_out, n_in = sigma_yx.shape
    rng = np.random.default_rng(seed)
    std = math.sqrt(init_var)
    h = dt / tau
    out = np.empty((steps + 1, min(n_out, n_in)))
    if deep:
        _check_positive("hidden", hidden, integer=True)
        w1 = rng.normal(0.0, std, (hidden, n_in))
        w2 = rng.normal(0.0, std, (n_out, hidden))
        out[0] = singular_values(w2 @ w1)
        for k in range(steps):
            err = sigma_yx - w2 @ w1 @ sigma_x
            w1, w2 = w1 + h * (w2.T @ err), w2 + h * (err @ w1.T)
            out[k + 1] = singular_values(w2 @ w1)
    else:
        w = rng.normal(0.0, std, (n_out, n_in))
        out[0] = singular_values(w)
        for k in range(steps):
            w = w + h * (sigma_yx - w @ sigma_x)
            out[k + 1] = singular_values(w)
    return out


def euler_deep(sigma_yx, sigma_x, hidden=16, dt=0.1, tau=2.5, steps=150, init_var=0.01, seed=0):
    """Forward-Euler integration of equations (1)-(2) (one hidden layer of ``hidden`` units).

    ``W1`` (hidden x n_in) and ``W2`` (n_out x hidden) start i.i.d. N(0, init_var) from
    ``numpy.random.default_rng(seed)``; both are updated simultaneously by
    ``W += (dt/tau) * (tau dW/dt)``. Returns the singular values of ``W2 W1`` (descending),
    shape (steps + 1, min(n_out, n_in)), row k at time k dt (row 0: the initial product).
    """
    return _euler(sigma_yx, sigma_x, dt, tau, steps, True, hidden, init_var, seed)


def euler_shallow(sigma_yx, sigma_x, dt=0.1, tau=2.5, steps=150, init_var=0.01, seed=0):
    """Forward-Euler integration of equation (3); same conventions as :func:`euler_deep`."""
    return _euler(sigma_yx, sigma_x, dt, tau, steps, False, None, init_var, seed)


def analytic_deep(t, s, a0, tau):
    r"""Equation (4): :math:`a(t) = s e^{2st/\tau} / (e^{2st/\tau} - 1 + s/a_0)`, broadcast.

    Written as :math:`s / (1 + (s/a_0 - 1) e^{-2st/\tau})` to avoid overflow at large t.
    """
    t, s, a0 = np.asarray(t, float), np.asarray(s, float), np.asarray(a0, float)
    if np.any(a0 <= 0):
        raise ValueError("a0 must be > 0 (a mode at exactly 0 never grows)")
    _check_positive("tau", tau)
    return s / (1.0 + (s / a0 - 1.0) * np.exp(-2.0 * s * t / tau))


def analytic_shallow(t, s, b0, tau):
    r"""Equation (5): :math:`b(t) = s (1 - e^{-t/\tau}) + b_0 e^{-t/\tau}`, broadcast."""
    _check_positive("tau", tau)
    decay = np.exp(-np.asarray(t, float) / tau)
    return np.asarray(s, float) * (1.0 - decay) + np.asarray(b0, float) * decay


def half_time(t, a, s):
    """First time at which each trajectory ``a[..., k]`` reaches s/2 (linear interpolation).

    ``t`` has shape (T,), ``a`` (T, modes) and ``s`` (modes,); NaN where never reached.
    """
    t, a, s = np.asarray(t, float), np.asarray(a, float), np.asarray(s, float)
    target = 0.5 * s
    out = np.full(a.shape[1:], np.nan)
    for idx in np.ndindex(*a.shape[1:]):
        col, tgt = a[(slice(None),) + idx], target[idx[-1]] if target.ndim else target
        above = np.nonzero(col >= tgt)[0]
        if above.size == 0:
            continue
        k = above[0]
        if k == 0:
            out[idx] = t[0]
        else:
            frac = (tgt - col[k - 1]) / (col[k] - col[k - 1])
            out[idx] = t[k - 1] + frac * (t[k] - t[k - 1])
    return out


def learning_time(s, a0, tau, n_layers):
    r"""Time for a decoupled balanced mode to go from ``a0`` to ``s/2`` with ``n_layers`` weights.

    :math:`t = \frac{\tau}{N_l} \int_{a_0}^{s/2} \frac{da}{a^{2-2/N_l}(s-a)}`; closed forms
    :math:`\tau \ln(2(s-a_0)/s)` for :math:`N_l = 1` and :math:`\frac{\tau}{2s}\ln(s/a_0 - 1)`
    for :math:`N_l = 2` (equation (4)). Scalars (use ``np.vectorize`` for grids).
    """
    _check_positive("n_layers", n_layers, integer=True)
    _check_positive("tau", tau)
    s, a0 = float(s), float(a0)
    if not 0 < a0 < s / 2:
        raise ValueError(f"need 0 < a0 < s/2, got a0={a0}, s={s}")
    if n_layers == 1:
        return tau * math.log(2.0 * (s - a0) / s)
    if n_layers == 2:
        return tau / (2.0 * s) * math.log(s / a0 - 1.0)
    p = 2.0 - 2.0 / n_layers
    # substitute a = exp(x) for accuracy across the many decades between a0 and s/2
    val, _ = integrate.quad(
        lambda x: math.exp(x * (1.0 - p)) / (s - math.exp(x)),
        math.log(a0),
        math.log(s / 2),
        epsabs=0.0,
        epsrel=1e-11,
        limit=200,
    )
    return tau / n_layers * val


def tau_epochs(n_outputs, lr):
    """Time constant, in epochs, of per-sample SGD with ``MSELoss`` (mean over outputs)."""
    _check_positive("n_outputs", n_outputs, integer=True)
    _check_positive("lr", lr)
    return n_outputs / (2.0 * lr)


def exercise1(
    sigma_yx=SIGMA_YX,
    sigma_x=SIGMA_X,
    hidden=16,
    dt=0.1,
    tau=2.5,
    t_max=15.0,
    init_var=0.01,
    a0=0.001,
    seed=0,
):
    """Exercise 1 as a tidy table: Euler and analytic singular values of both networks.

    Columns: ``net`` (deep, shallow), ``curve`` (euler; theory_a0: equations (4)/(5) from
    ``a0``; theory_own: the same from the simulation's own initial singular values, matched
    by rank), ``t``, ``mode`` (0 = largest), ``value``, ``s`` (target singular value).
    Deep and shallow runs start from independent draws (streams ``(seed, "deep")`` and
    ``(seed, "shallow")`` of :mod:`dltheory.seeds`).
    """
    import pandas as pd

    steps = int(round(t_max / dt))
    if steps < 1 or not math.isclose(steps * dt, t_max, rel_tol=1e-9):
        raise ValueError(f"t_max={t_max} must be a positive multiple of dt={dt}")
    s = singular_values(sigma_yx)
    t = np.arange(steps + 1) * dt
    deep_seed, shallow_seed = seeds.derive(seed, "deep"), seeds.derive(seed, "shallow")
    runs = {
        "deep": (
            euler_deep(sigma_yx, sigma_x, hidden, dt, tau, steps, init_var, deep_seed),
            analytic_deep,
        ),
        "shallow": (
            euler_shallow(sigma_yx, sigma_x, dt, tau, steps, init_var, shallow_seed),
            analytic_shallow,
        ),
    }
    frames = []
    for net, (sim, formula) in runs.items():
        curves = {
            "euler": sim,
            "theory_a0": formula(t[:, None], s, a0, tau),
            "theory_own": formula(t[:, None], s, sim[0], tau),
        }
        for curve, values in curves.items():
            frames.append(
                pd.DataFrame(
                    {
                        "net": net,
                        "curve": curve,
                        "t": np.repeat(t, s.size),
                        "mode": np.tile(np.arange(s.size), t.size),
                        "value": values.ravel(),
                        "s": np.tile(s, t.size),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)
