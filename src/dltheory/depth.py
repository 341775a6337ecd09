r"""Depth scales, the edge of chaos and how many layers the length map needs to settle.

Built on :mod:`dltheory.fixed_points` and :mod:`dltheory.kernel`; re-exported by
:mod:`dltheory.meanfield`.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import activations as _acts
from .checks import integer as _integer
from .checks import real_scalar as _real_scalar
from .fixed_points import ConvergenceWarning, _q_or_q_star, chi1, chi_q, q_map, q_star
from .kernel import c_star, chi_c
from .quadrature import _check_q, _check_sigmas, _moments, _out

__all__ = [
    "CRITICAL_TOLERANCE",
    "convergence_depth",
    "critical_sigma_w",
    "depth_scales",
    "edge_of_chaos",
    "phase",
]

#: |chi_1 - 1| within which a setting is called critical (on the edge of chaos) in labels,
#: colours and answers: settings put on the edge by :func:`critical_sigma_w` land within
#: about 1e-12 of 1, settings chosen off it much further away
CRITICAL_TOLERANCE = 1e-6


#: a slope chi within this distance of 1 counts as 1 (a depth scale of +inf): chi_1 at a
#: critical sigma_w solved to the last ulp lands 1e-16..1e-14 either side of 1, which would
#: otherwise give depth scales of +-1e14..1e16 with either sign
CHI_IS_ONE = 1e-12


def phase(chi1, tol: float = CRITICAL_TOLERANCE) -> str:
    """The phase of a setting from its ``chi_1``: ``"ordered"`` (chi_1 < 1), ``"critical"``
    (``|chi_1 - 1| <= tol``) or ``"chaotic"`` (chi_1 > 1, +inf included).

    Raises ``ValueError`` for NaN (a setting whose chi_1 could not be computed has no phase).
    """
    chi1 = float(chi1)
    if np.isnan(chi1):
        raise ValueError("phase: chi_1 is NaN")
    if abs(chi1 - 1.0) <= tol:
        return "critical"
    return "ordered" if chi1 < 1.0 else "chaotic"


def _depth_scale(chi):
    """``-1 / log chi``: +inf where chi is 1 within :data:`CHI_IS_ONE` (no decay at all)."""
    chi = np.asarray(chi, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(chi - 1.0) <= CHI_IS_ONE, np.inf, -1.0 / np.log(chi))


def depth_scales(sigma_w, sigma_b, activation="tanh", rho=1.0, q=None):
    """Depth scales of Schoenholz et al. (2017) as a dict of floats/arrays.

    ``xi_q = -1/log chi_q``, ``xi_c = -1/log chi_c(c*)`` (correlation; chi_c(c*) = chi_1 in
    the ordered phase; ``inf`` at the edge of chaos, chi_1 = 1),
    ``xi_grad = -1/log chi_1`` (gradients; negative in the chaotic phase, where gradients
    grow), all at ``q`` (default q*, solved once). A chi within :data:`CHI_IS_ONE` of 1
    counts as 1: its depth scale is ``+inf``, never a huge number of either sign. Also
    returns q_star, c_star, chi1, chi_c, chi_q.
    """
    sw, sb, rho = np.broadcast_arrays(*_check_sigmas(sigma_w, sigma_b, rho))
    act = _acts.get(activation)
    qs = _q_or_q_star(q, sw, sb, act, rho)
    cs = np.asarray(c_star(sw, sb, act, rho, q=qs), dtype=float)
    slope_c = np.asarray(chi_c(np.nan_to_num(cs, nan=0.0), sw, sb, act, rho, q=qs))
    slope_c = np.where(np.isnan(cs), np.nan, slope_c)
    x1 = np.asarray(chi1(sw, sb, act, rho, q=qs), dtype=float)
    xq = np.asarray(chi_q(sw, sb, act, rho, q=qs), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        critical = np.abs(x1 - 1.0) <= CHI_IS_ONE
        xi_c = _depth_scale(slope_c)
        # c* is the stable fixed point, so chi_c(c*) <= 1; c* = 1 with chi_c >= 1 is the edge
        # of chaos up to round-off, and so is chi_1 = 1: there c* -> 1 is ill-conditioned
        # (an error of eps in chi_1 moves c* by about sqrt(eps)), so chi_c(c*) is not used.
        xi_c = np.where(((cs == 1.0) & (slope_c >= 1.0)) | critical, np.inf, xi_c)
        out = {
            "xi_q": _depth_scale(xq),
            "xi_c": xi_c,
            "xi_grad": _depth_scale(x1),
            "q_star": qs,
            "c_star": cs,
            "chi1": x1,
            "chi_c": slope_c,
            "chi_q": xq,
        }
    return {k: _out(v) for k, v in out.items()}


# ----------------------------------------------------------------- edge of chaos


def edge_of_chaos(q_star, activation="tanh"):
    """(sigma_w, sigma_b) with chi_1 = 1 at a stable fixed point ``q_star`` (vectorised).

    Explicit, no root finding: chi_1 = 1 gives sigma_w^2 = 1 / E[phi'(sqrt(q*) z)^2] and
    the fixed-point equation then gives sigma_b^2 = q* - sigma_w^2 E[phi^2]. The point is
    returned only if q* is a fixed point the iteration can settle on: V'(q*) = 1 +
    sigma_w^2 E[phi phi''] <= 1 (always for tanh, erf, hard_tanh, sigmoid: phi phi'' <= 0;
    marginal for relu-type; never for gelu, softplus, whose edge points are unstable fixed
    points). Where that fails, or sigma_b^2 < 0 (no sigma_b >= 0 reaches this q* on the
    critical line), both are NaN: no such point exists.
    """
    q = _check_q(q_star, "q_star")
    act = _acts.get(activation)
    m2, d2, slope = _moments(q, act)
    sw2 = 1.0 / d2
    sb2 = q - sw2 * m2
    ok = (sb2 >= -1e-14 * np.maximum(q, 1.0)) & (sw2 * slope <= 1.0 + 1e-10) & np.isfinite(q)
    sw = np.where(ok, np.sqrt(sw2), np.nan)
    sb = np.where(ok, np.sqrt(np.maximum(sb2, 0.0)), np.nan)
    return _out(sw), _out(sb)


def critical_sigma_w(sigma_b, activation="tanh", lo=1e-3, hi=1e3, tol=1e-14):
    """sigma_w at which chi_1 = 1 (at q* from the default start) for the given sigma_b.

    Vectorised bisection in log sigma_w on chi_1 - 1 between ``lo`` and ``hi``; the result
    is checked (``|chi_1 - 1| <= 1e-9`` at a finite q*). NaN where there is no such
    crossing: e.g. gelu and swish, whose q* jumps to inf (the unit-variance start lies
    above the unstable fixed point) before chi_1 reaches 1 for larger sigma_b.
    """
    _, sb, _ = _check_sigmas(1.0, sigma_b)
    act = _acts.get(activation)

    def excess(log_sw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return np.asarray(chi1(np.exp(log_sw), sb, act), float) - 1.0

    a = np.full(sb.shape, np.log(lo))
    b = np.full(sb.shape, np.log(hi))
    ok = (excess(a) < 0) & (excess(b) > 0)
    for _ in range(200):
        mid = 0.5 * (a + b)
        fm = excess(mid)
        a = np.where(fm < 0, mid, a)
        b = np.where(fm < 0, b, mid)
        if np.all(b - a <= tol):
            break
    # chi_1 may jump across 1 where q* jumps (to inf): take the end of the final bracket
    # closer to 1 and keep it only if chi_1 = 1 there at a finite q*
    ends = np.stack([a, b])
    miss = np.abs(np.stack([excess(a), excess(b)]))
    pick = np.argmin(np.where(np.isnan(miss), np.inf, miss), axis=0)
    log_sw = np.take_along_axis(ends, pick[None], axis=0)[0]
    sw = np.exp(log_sw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        qs = np.asarray(q_star(sw, sb, act), float)
    ok &= (np.abs(excess(log_sw)) <= 1e-9) & np.isfinite(qs)
    return _out(np.where(ok, sw, np.nan))


# ------------------------------------------------------------------ convergence depth


def convergence_depth(q0, sigma_w, sigma_b, activation="tanh", tolerance=0.01, max_depth=100,
                      q=None):  # fmt: skip
    """Layers l until the length map from ``q0`` satisfies |q^l - q*| <= tolerance * q*.

    q* is the fixed point reached from ``q0`` (:func:`q_star` with ``q0``) unless given as
    ``q``. Iterates q^{l} = V(q^{l-1}) on all points at once (only unconverged ones are
    updated). Returns an integer array; points not converged within ``max_depth`` (and
    those with q* = inf) get ``max_depth + 1`` (read: "more than max_depth"). q^0 itself
    counts as depth 0.
    """
    tolerance = _real_scalar(tolerance, "tolerance")
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance must be in (0, 1), got {tolerance}")
    max_depth = _integer(max_depth, "max_depth", minimum=1)
    sw, sb, _ = _check_sigmas(sigma_w, sigma_b)
    q0 = _check_q(q0, "q0")
    q0, sw, sb = np.broadcast_arrays(q0, sw, sb)
    act = _acts.get(activation)
    if q is None:
        qs = np.asarray(q_star(sw, sb, act, q0=q0), dtype=float)
    else:
        qs = np.broadcast_to(_check_q(q), q0.shape)
    q = q0.astype(float).copy()
    depth = np.full(q.shape, int(max_depth) + 1, dtype=np.int64)
    active = np.ones(q.shape, dtype=bool)
    for layer in range(int(max_depth) + 1):
        ok = active & np.isfinite(qs) & (np.abs(q - qs) <= tolerance * qs)
        depth[ok] = layer
        active &= ~ok
        if not active.any() or layer == int(max_depth):
            break
        q[active] = q_map(q[active], sw[active], sb[active], act)
    return depth if depth.ndim else int(depth)
