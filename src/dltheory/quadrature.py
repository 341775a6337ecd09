r"""Gaussian quadrature of the mean-field theory: rules, one-dimensional moments, tables.

The moments ``E[phi^2]``, ``E[phi'^2]`` and ``dE[phi^2]/dq = E[phi'^2 + phi phi'']`` at
``u = sqrt(q) z``, z ~ N(0, 1), for an :class:`~dltheory.activations.Activation`: closed
forms where the activation has them; otherwise a trapezoid rule on a sinh-mapped grid
``z = a sinh(t)`` with ``a = min(1, 1/sqrt(q))`` (analytic phi: exponential convergence,
and the transition of ``phi(sqrt(q) z)`` is resolved at every q), or Gauss-Legendre
panels between the kinks with exp-sinh tails (kinked phi). For speed they are tabulated
once per activation (piecewise Chebyshev in ln q, checked against the quadrature when
built). Also the convexity pieces of the length map used by the fixed-point solver, and
the argument checks and output conversion shared by the mean-field modules.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from scipy import special

from . import activations as _acts
from .checks import real as _real

__all__ = ["gaussian_expectation"]

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)
_H = 0.125  # trapezoid step in t (error ~ exp(-pi^2 / (2 h)) ~ 1e-17)
_Z_MAX = 9.5  # |z| beyond which the N(0, 1) density is < 1e-19
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(60)
_GH_WEIGHTS = _GH_WEIGHTS / np.sqrt(2.0 * np.pi)
_INNER_SIGMA_SWITCH = 0.5
_CHUNK = 1 << 22  # elements per block of the 2-D integrals


def _out(x):
    x = np.asarray(x, dtype=float)
    return x.item() if x.ndim == 0 else x


def _pdf(x):
    return _INV_SQRT_2PI * np.exp(-0.5 * np.square(x))


def _cdf(x):
    return special.ndtr(x)


# --------------------------------------------------------------------------- 1-D rules


def _sinh_rule(q):
    """Nodes and weights (shape q.shape + (n,)) for E_z[f(z)], z ~ N(0, 1).

    z = a sinh(t), a = min(1, 1/sqrt(q)), trapezoid in t with step _H over the range
    that covers |z| <= _Z_MAX for the smallest a.
    """
    q = np.asarray(q, dtype=float)
    a = 1.0 / np.sqrt(np.maximum(q, 1.0))
    t_max = np.arcsinh(_Z_MAX / np.min(a)) if a.size else 0.0
    n = int(np.ceil(t_max / _H))
    t = _H * np.arange(-n, n + 1)
    z = a[..., None] * np.sinh(t)
    w = _H * a[..., None] * np.cosh(t) * _pdf(z)
    return z, w


def _piecewise_rule(q, kinks):
    """Rule for E_z[f(z)] when f(sqrt(q) z) has kinks at u in ``kinks``.

    Gauss-Legendre panels between the kinks (in z: kink / sqrt(q)) and an exp-sinh
    map z = z_k +- exp(pi/2 sinh t) on the two tails, so no node straddles a kink.
    """
    q = np.asarray(q, dtype=float)
    sq = np.sqrt(np.maximum(q, 1e-300))
    zk = np.sort(np.asarray(kinks, dtype=float))[None, :] / sq.reshape(-1, 1)  # (P, K)
    z, w = _panel_rule(np.clip(zk, -_Z_MAX, _Z_MAX))
    return z.reshape(q.shape + (-1,)), w.reshape(q.shape + (-1,))


def _breakpoint_rule(breaks):
    """Rule (nodes, weights of shape (P, n)) for E_w[f(w)], w ~ N(0, 1), when f has a
    kink or a sharp transition at each of the points ``breaks`` (shape (P, K), any
    order and size): :func:`_piecewise_rule` with w = 0 added to the breaks, so that the
    bulk of the Gaussian is always covered by panels or by the start of a tail."""
    breaks = np.asarray(breaks, dtype=float)
    zk = np.concatenate([breaks, np.zeros((breaks.shape[0], 1))], axis=1)
    return _panel_rule(np.sort(np.clip(zk, -_Z_MAX, _Z_MAX), axis=1))


def _panel_rule(zk):
    """Nodes and weights (P, n) for E_z[f(z)] split at the sorted points ``zk`` (P, K)."""
    nodes, weights = [], []
    # tails: exp-sinh with t in [-4, t_hi]
    t = (1.0 / 24.0) * np.arange(-96, 60)
    e = np.exp(0.5 * np.pi * np.sinh(t))
    de = e * 0.5 * np.pi * np.cosh(t) / 24.0
    keep = e < 2 * _Z_MAX
    e, de = e[keep], de[keep]
    for side, edge in ((-1.0, zk[:, :1]), (1.0, zk[:, -1:])):
        z = edge + side * e[None, :]
        nodes.append(z)
        weights.append(de[None, :] * _pdf(z))
    # interior panels: 48-point Gauss-Legendre split into 4 sub-panels each
    gl_x, gl_w = np.polynomial.legendre.leggauss(48)
    for j in range(zk.shape[1] - 1):
        lo, hi = zk[:, j : j + 1], zk[:, j + 1 : j + 2]
        for s in range(4):
            a = lo + (hi - lo) * s / 4.0
            b = lo + (hi - lo) * (s + 1) / 4.0
            z = 0.5 * (a + b) + 0.5 * (b - a) * gl_x[None, :]
            nodes.append(z)
            weights.append(0.5 * (b - a) * gl_w[None, :] * _pdf(z))
    return np.concatenate(nodes, axis=1), np.concatenate(weights, axis=1)


def _rule(q, act):
    if act.smooth:
        return _sinh_rule(q)
    return _piecewise_rule(q, act.kinks)


def gaussian_expectation(f: Callable, q, activation="tanh"):
    """E_z[f(sqrt(q) z)], z ~ N(0, 1), with the quadrature rule suited to ``activation``
    (a name, an :class:`~dltheory.activations.Activation` or a callable)."""
    act = _acts.get(activation)
    q = _check_q(q)
    z, w = _rule(q, act)
    return _out(np.sum(f(np.sqrt(q)[..., None] * z) * w, axis=-1))


# ---------------------------------------------------------- one-dimensional moments


def _closed_moments(act, q):
    """(E[phi^2], E[phi'^2], E[phi'^2 + phi phi'']) in closed form, or None (any q >= 0, inf)."""
    if act.homogeneous:
        g = np.full(np.shape(q), act.gain)  # q-independent: also exact at q = 0 and inf
        return g * q, g, g.copy()
    if act.moments is not None:
        return act.moments(q)
    return None


@functools.lru_cache(maxsize=64)
def _limits(act):
    """Moments in the limits q -> 0+ and q -> inf, and the slopes of phi at 0 and infinity.

    Returns a dict: ``m2_0, d2_0, slope_0`` (q -> 0+: phi(0)^2 and the means over the two
    sides of 0 of phi'^2 and phi'^2 + phi phi''), ``m2_inf, d2_inf, slope_inf`` (q -> inf:
    means over u -> +-inf of phi^2, phi'^2 and (phi/u)^2), ``p0 = (phi'(0+), phi'(0-))`` and
    ``pinf = lim phi(u)/u at +inf and -inf``. The limits at q = inf come from the
    closed-form moments where the activation has them (phi(u) need not settle as u -> inf:
    sin).
    """
    tiny, big = np.array([1e-300, -1e-300]), np.array([1e300, -1e300])
    with np.errstate(all="ignore"):
        phi0 = float(act.phi(np.array(0.0)))
        d0 = act.dphi(tiny)
        s0 = d0 * d0 + phi0 * act.d2phi(tiny)
        pb, db = act.phi(big), act.dphi(big)
        ratio = act.phi(big * 1e-150) / (big * 1e-150)  # phi(u)/u at |u| = 1e150
        m2_inf = float(np.mean(np.where(np.abs(pb) > 1e200, np.inf, pb * pb)))
    ratio = np.where(np.abs(ratio) < 1e-100, 0.0, ratio)
    closed = _closed_moments(act, np.array(np.inf))
    m2_inf, d2_inf, slope_inf = (
        (float(m2_inf), float(np.mean(db * db)), float(np.mean(ratio * ratio)))
        if closed is None
        else (float(x) for x in closed)
    )
    return {
        "phi0": phi0,
        "m2_0": phi0 * phi0,
        "d2_0": float(np.mean(d0 * d0)),
        "slope_0": float(np.mean(s0)),
        "m2_inf": m2_inf,
        "d2_inf": d2_inf,
        "slope_inf": slope_inf,
        "p0": (float(d0[0]), float(d0[1])),
        "pinf": (float(ratio[0]), float(ratio[1])),
    }


def _moments(q, act):
    """E[phi^2], E[phi'^2] and dE[phi^2]/dq = E[phi'^2 + phi phi''] at u ~ N(0, q).

    By quadrature (or closed form), for every q >= 0 including the limits q = 0 (the
    one-sided means at u = 0+-) and q = inf; NaN for NaN.
    """
    q = np.asarray(q, dtype=float)
    closed = _closed_moments(act, q)
    if closed is not None:
        return tuple(np.broadcast_to(c, q.shape).astype(float) for c in closed)
    out = [np.full(q.shape, np.nan) for _ in range(3)]
    lim = _limits(act)
    for sel, keys in ((q == 0, "_0"), (np.isinf(q), "_inf")):
        for dst, k in zip(out, ("m2", "d2", "slope"), strict=True):
            dst[sel] = lim[k + keys]
    inner = np.isfinite(q) & (q > 0)
    if np.any(inner):
        for dst, val in zip(out, _moments_interior(q[inner], act), strict=True):
            dst[inner] = val
    return tuple(out)


def _moments_interior(q, act):
    """Moments by quadrature on a 1-D array of finite q > 0."""
    if act.smooth and q.size > 1:
        # group points by the length of sinh grid they need (large q needs more nodes)
        need = np.ceil(np.arcsinh(_Z_MAX * np.sqrt(np.maximum(q, 1.0))) / _H / 8.0)
        need = np.where(q >= 1.0, need, -1)  # q < 1 and q >= 1 use different rules
        out = [np.empty(q.shape) for _ in range(3)]
        for n in np.unique(need):
            sel = need == n
            for dst, val in zip(out, _moments_numeric(q[sel], act), strict=True):
                dst[sel] = val
        return tuple(out)
    return _moments_numeric(q, act)


@functools.lru_cache(maxsize=64)
def _unit_grid(act, n, h=None):
    """phi^2, phi'^2, phi phi'' at u = sinh(t_k), t_k = _H k, |k| <= n (shape (n_t, 3))."""
    t = h * np.arange(-n, n + 1)
    u = np.sinh(t)
    phi, dphi = act.phi(u), act.dphi(u)
    values = np.stack([phi * phi, dphi * dphi, dphi * dphi + phi * act.d2phi(u)], axis=1)
    return u, h * np.cosh(t), values


def _moments_numeric(q, act):
    q = np.asarray(q, dtype=float)
    if act.smooth and q.ndim == 1 and np.all(q >= 1.0):
        # q >= 1: u = sqrt(q) z = sinh(t) does not depend on q, only the Gaussian weight
        # exp(-u^2 / 2q) / sqrt(2 pi q) does, so phi is evaluated once per grid.
        n = int(np.ceil(np.arcsinh(_Z_MAX * np.sqrt(q.max())) / _H))
        u, jac, values = _unit_grid(act, n, _H)
        w = np.exp(-0.5 * np.square(u)[None, :] / q[:, None]) * (jac * _INV_SQRT_2PI)
        m2, d2, slope = (w @ values).T / np.sqrt(q)[None, :]
        return m2, d2, slope
    z, w = _rule(q, act)
    u = np.sqrt(q)[..., None] * z
    if act.integrands is not None:  # phi^2, phi'^2, phi phi'' in one pass
        p2, d2u, pd2 = act.integrands(u)
    else:
        phi, dphi = act.phi(u), act.dphi(u)
        p2, d2u, pd2 = phi * phi, dphi * dphi, phi * act.d2phi(u)
    m2 = np.sum(p2 * w, axis=-1)
    d2 = np.sum(d2u * w, axis=-1)
    slope = d2 + np.sum(pd2 * w, axis=-1)
    return m2, d2, slope


# ------------------------------------------------------------ tabulated moments
#
# E[phi^2], E[phi'^2] and dE[phi^2]/dq depend on q alone, so for the activations without
# a closed form they are tabulated once per activation: piecewise Chebyshev series in
# x = ln q on [2^-20, 2^24] (panels of width 1/8, degree 7) of ln E[phi^2], ln E[phi'^2]
# and the elasticity q E[phi'^2 + phi phi''] / E[phi^2]. The series are interpolants of
# the quadrature above at Chebyshev points; each table is checked against the quadrature
# midway between its nodes when it is built (and against mpmath in the tests) and refuses
# to be used if the relative error exceeds _TABLE_RTOL. Outside its range (and at q = 0,
# inf) the quadrature is used directly.

_TABLE_LOG2Q = (-20.0, 24.0)
_TABLE_WIDTH = 0.125
_TABLE_DEGREE = 7
_TABLE_RTOL = 1e-13
# points per block of a table evaluation and of Newton's method: a block's work arrays
# (256 kB each) stay in cache and are reused, so a large grid touches little fresh
# memory (page faults cost more than the arithmetic); 2^14 to 2^16 time alike
_BLOCK = 1 << 15
_TABLE_QLO, _TABLE_QHI = 2.0 ** _TABLE_LOG2Q[0], 2.0 ** _TABLE_LOG2Q[1]


class _MomentTable:
    """Piecewise Chebyshev series of the three moment functions of one activation."""

    def __init__(self, act):
        n = _TABLE_DEGREE
        self.x0 = np.log(2.0) * _TABLE_LOG2Q[0]
        x1 = np.log(2.0) * _TABLE_LOG2Q[1]
        self.npanel = int(np.ceil((x1 - self.x0) / _TABLE_WIDTH))
        nodes = np.cos(np.pi * (np.arange(n + 1) + 0.5) / (n + 1))  # Chebyshev, 1st kind
        vander = np.polynomial.chebyshev.chebvander(nodes, n)
        values = self._targets(act, nodes)  # (3, npanel, n + 1)
        coefs = np.linalg.solve(vander, values.reshape(-1, n + 1).T).T.reshape(values.shape)
        # power basis in the panel's t in [-1, 1] (Horner is half the work of Clenshaw; the
        # coefficients decay fast, so the conversion loses nothing at degree 7), stored as
        # one contiguous column per degree for a single take() each
        power = np.apply_along_axis(np.polynomial.chebyshev.cheb2poly, -1, coefs)
        self.cols = [[np.ascontiguousarray(power[k, :, i]) for i in range(n + 1)]
                     for k in range(3)]  # fmt: skip
        # check between the nodes (the Chebyshev points of one degree higher)
        mid = np.cos(np.pi * (np.arange(n + 2) + 0.5) / (n + 2))
        x = self.x0 + _TABLE_WIDTH * (np.arange(self.npanel)[:, None] + (mid + 1) / 2)
        q = np.exp(x.ravel())
        ref = _moments_interior(q, act)
        got = self.evaluate(q, (0, 1, 2))
        # the slope relative to E[phi'^2] (the slope itself may pass through 0)
        scale = (ref[0], ref[1], np.maximum(np.abs(ref[2]), ref[1]))
        self.max_rel_error = max(
            float(np.max(np.abs(g - r) / d)) for g, r, d in zip(got, ref, scale, strict=True)
        )
        if not self.max_rel_error <= _TABLE_RTOL:
            raise RuntimeError(
                f"moment table of {act.name!r}: relative error {self.max_rel_error:.1e} "
                f"> {_TABLE_RTOL:.0e}"
            )

    def _targets(self, act, nodes):
        x = self.x0 + _TABLE_WIDTH * (np.arange(self.npanel)[:, None] + (nodes + 1) / 2)
        q = np.exp(x.ravel())
        m2, d2, slope = _moments_interior(q, act)
        out = np.stack([np.log(m2), np.log(d2), slope * q / m2])
        return out.reshape(3, self.npanel, nodes.size)

    def evaluate(self, q, which, out=None):
        """The moments ``which`` (0: E[phi^2], 1: E[phi'^2], 2: slope) at q in range.

        In blocks of _BLOCK points, in place: the temporaries stay in cache, and on
        large grids a fresh full-size array costs more in page faults than the arithmetic
        done on it. ``out``: arrays of q's size (1-D) to write the results to.
        """
        shape = np.shape(q)
        q = np.ravel(q)
        keys = sorted({0 if w == 2 else w for w in which} | set(which))
        series = dict(zip(which, out, strict=True)) if out is not None else {}
        for k in keys:
            if k not in series:
                series[k] = np.empty(q.shape)
        block = max(min(q.size, _BLOCK), 1)
        t, buf, j = np.empty(block), np.empty(block), np.empty(block, dtype=np.intp)
        for lo in range(0, q.size, block):
            qb = q[lo : lo + block]
            m = qb.size
            tb, bb, jb = t[:m], buf[:m], j[:m]
            np.log(qb, out=tb)
            tb -= self.x0
            tb *= 1.0 / _TABLE_WIDTH  # u: panel coordinate
            np.copyto(jb, tb, casting="unsafe")  # (truncates)
            np.maximum(jb, 0, out=jb)
            np.minimum(jb, self.npanel - 1, out=jb)
            tb -= jb  # t = 2 (u - j) - 1, the panel's local coordinate in [-1, 1]
            tb *= 2.0
            tb -= 1.0
            for k in keys:
                cols = self.cols[k]
                acc = series[k][lo : lo + m]
                # mode="clip" (j is in range already): with mode="raise" take() writes
                # to a buffer and copies it to ``out``
                cols[-1].take(jb, out=acc, mode="clip")
                for col in cols[-2::-1]:
                    acc *= tb
                    acc += col.take(jb, out=bb, mode="clip")
                if k != 2:
                    np.exp(acc, out=acc)
            if 2 in series:
                slope = series[2][lo : lo + m]
                slope *= series[0][lo : lo + m]
                slope /= qb
        return [series[w].reshape(shape) for w in which]


@functools.lru_cache(maxsize=32)
def _table(act):
    """The moment table of ``act``, or None for numerical derivatives whose rounding
    noise keeps the table from its tolerance (the quadrature is then used directly)."""
    try:
        return _MomentTable(act)
    except RuntimeError:
        if act.derivatives == "exact":
            raise
        return None


def _fast_moments(q, act, which=(0, 1, 2), out=None):
    """The moments ``which`` of :func:`_moments` (0: m2, 1: d2, 2: slope), tabulated.

    Closed forms where they exist, the table inside its range, the quadrature elsewhere.
    ``out``: arrays (1-D, q's size) the table may write the results to (not always).
    """
    q = np.asarray(q, dtype=float)
    closed = _closed_moments(act, q)
    if closed is not None:
        return [np.broadcast_to(closed[w], q.shape).astype(float) for w in which]
    table = _table(act)
    if table is None:
        exact = _moments(q, act)
        return [exact[w] for w in which]
    inside = (q >= _TABLE_QLO) & (q <= _TABLE_QHI)
    if np.all(inside):
        return table.evaluate(q, which, out if q.ndim == 1 else None)
    outside = ~inside
    n_out = np.count_nonzero(outside)
    if 2 * n_out <= q.size:  # the table everywhere (1 as a stand-in outside), no copies
        res = table.evaluate(np.where(inside, q, 1.0), which)
    else:
        res = [np.empty(q.shape) for _ in which]
        if n_out < q.size:
            for dst, val in zip(res, table.evaluate(q[inside], which), strict=True):
                dst[inside] = val
    exact = _moments(q[outside], act)
    for dst, w in zip(res, which, strict=True):
        dst[outside] = exact[w]
    return res


@functools.lru_cache(maxsize=64)
def _segments(act):
    """Pieces of [0, inf) on which q -> E[phi(sqrt(q) z)^2] is convex or concave.

    A tuple of (lo, hi, kind), kind 'convex' or 'concave' ('linear' for homogeneous phi),
    from the slope dE[phi^2]/dq on 4000 log-spaced q over the table's range and its limits
    at 0 and inf: the slope rises on a convex piece and falls on a concave one (changes
    below 1e-10 of the largest slope count as either). The breaks are the slope's extrema,
    refined on a finer grid. gelu and swish: convex, then concave (the slope overshoots
    its limit 1/2); tanh, erf, sigmoid, hard_tanh, selu: concave; softplus: convex.
    Returns None if the slope is negative somewhere (V not monotone).
    """
    if act.homogeneous:
        return ((0.0, np.inf, "linear"),)
    lim = _limits(act)
    q = np.geomspace(_TABLE_QLO, _TABLE_QHI, 4000)
    (slope,) = _fast_moments(q, act, (2,))
    q = np.concatenate([[0.0], q, [np.inf]])
    slope = np.concatenate([[lim["slope_0"]], slope, [lim["slope_inf"]]])
    if np.any(slope < 0):
        return None
    tol = 1e-10 * np.max(np.abs(slope))
    trend = np.sign(np.where(np.abs(np.diff(slope)) <= tol, 0.0, np.diff(slope)))
    pieces, lo, current = [], 0.0, 0.0
    for i, sign in enumerate(trend):
        if sign == 0 or sign == current:
            continue
        if current != 0:  # the slope turns at an extremum near q[i]: refine it
            fine = np.geomspace(q[max(i - 1, 1)], q[min(i + 1, q.size - 2)], 401)
            (fs,) = _fast_moments(fine, act, (2,))
            brk = float(fine[np.argmax(fs) if current > 0 else np.argmin(fs)])
            pieces.append((lo, brk, "convex" if current > 0 else "concave"))
            lo = brk
        current = sign
    pieces.append((lo, np.inf, "convex" if current > 0 else "concave"))
    return tuple(pieces)


def _check_sigmas(sigma_w, sigma_b, rho=1.0):
    """sigma_w, sigma_b, rho as float arrays: real numbers (not strings or booleans, see
    :func:`dltheory.checks.real`), finite, sigma_w and sigma_b >= 0, rho in (0, 1]."""
    sw, sb, rho = (_real(x, n) for x, n in ((sigma_w, "sigma_w"), (sigma_b, "sigma_b"),
                                             (rho, "rho")))  # fmt: skip
    for value, name in ((sw, "sigma_w"), (sb, "sigma_b")):
        bad = ~np.isfinite(value) | (value < 0)
        if np.any(bad):
            first = float(value[bad].ravel()[0])
            raise ValueError(f"{name} must be finite and >= 0, got {first!r}")
    bad = ~np.isfinite(rho) | (rho <= 0) | (rho > 1)
    if np.any(bad):
        raise ValueError(
            f"rho (dropout keep probability) must be in (0, 1], got {float(rho[bad].ravel()[0])!r}"
        )
    return sw, sb, rho


def _check_q(q, name="q"):
    """q as a float array: real numbers >= 0 (inf and NaN pass: they have meanings)."""
    q = _real(q, name)
    if np.any(q < 0):
        raise ValueError(f"{name} must be >= 0, got {float(q[q < 0].ravel()[0])!r}")
    return q
