r"""The two-input kernel (NNGP) map, the correlation map C(c) and its fixed point c*.

For pre-activations (u1, u2), centred Gaussian with variances q1, q2 and correlation c,
``E[g(u1) g(u2)]`` with g = phi or phi': the activation's closed form where it has one
(arc-cosine kernels of homogeneous phi, arcsine kernel of erf, sin), otherwise a 2-D
quadrature: the outer average over z1 with the 1-D rule, the inner one over z2 in closed
form, by Gauss-Hermite when its spread is small, and when it is large by subtracting the
activation's smooth asymptote with a closed Gaussian average, or (no asymptote) by a rule
split where the argument crosses phi's kinks or 0. c* over many points interpolates a
2-D Chebyshev table of the kernel (:class:`_KernelTable`) and polishes on the quadrature.
Re-exported by :mod:`dltheory.meanfield`.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import activations as _acts
from .checks import integer as _integer
from .checks import real as _real
from .fixed_points import ConvergenceWarning, _q_or_q_star
from .quadrature import (
    _CHUNK,
    _GH_NODES,
    _GH_WEIGHTS,
    _H,
    _INNER_SIGMA_SWITCH,
    _breakpoint_rule,
    _check_q,
    _check_sigmas,
    _fast_moments,
    _limits,
    _moments,
    _out,
    _pdf,
    _rule,
)

__all__ = ["c_map", "c_star", "chi_c", "input_kernel", "kernel_layers", "kernel_map"]

_GENERIC_BLOCK = 2048  # points per block of the generic inner rule (~600 nodes each)


# ----------------------------------------------------------------------- the C-map


def _inner_smooth(act, which, m, s):
    """E_w[g(m + s w)] for smooth g, with m, s of shape (..., n1)."""
    g = act.phi if which == 0 else act.dphi
    out = np.empty(np.broadcast(m, s).shape)
    m, s = np.broadcast_arrays(m, s)
    small = s <= _INNER_SIGMA_SWITCH
    if np.any(small):
        v = m[small][:, None] + s[small][:, None] * _GH_NODES
        out[small] = g(v) @ _GH_WEIGHTS
    big = ~small
    if np.any(big) and act.asymptote is None:
        out[big] = _inner_generic(act, which, m[big], s[big])
    elif np.any(big):
        mb, sb = m[big], s[big]
        fa, fmean = act.asymptote[which]
        # localised remainder on a sinh grid in v (scale 1), Gaussian weights N(mb, sb^2);
        # the grid spacing grows like |v| h, so a narrow Gaussian (sb < 1) centred away from
        # 0 needs a finer step to be sampled to ~1e-15 of the remainder there
        res = np.empty(mb.shape)
        for fine in (False, True):
            sel = (sb < 1.0) == fine
            if not np.any(sel):
                continue
            h = _H / 2.0 if fine else _H
            n = np.ceil(np.arcsinh(60.0) / h)
            t = h * np.arange(-n, n + 1)
            v = np.sinh(t)
            loc = (g(v) - fa(v)) * (h * np.cosh(t))
            m_, s_ = mb[sel], sb[sel]
            dens = _pdf((v[None, :] - m_[:, None]) / s_[:, None]) / s_[:, None]
            res[sel] = fmean(m_, s_) + dens @ loc
        out[big] = res
    return out


def _inner_generic(act, which, m, s):
    """E_w[g(m + s w)] without closed form or asymptote (any phi the library accepts).

    The rule of :func:`_breakpoint_rule` split where ``m + s w`` crosses a kink of phi
    (for a smooth phi: 0, where its transition lies), so that a near step of width 1/s
    is resolved by the exp-sinh tails at every s; ``g(m)`` where s = 0. Slower than the
    asymptote path (some hundred nodes per point), as accurate.
    """
    g = act.phi if which == 0 else act.dphi
    m, s = np.broadcast_arrays(np.asarray(m, float), np.asarray(s, float))
    shape, m, s = m.shape, m.ravel(), s.ravel()
    out = np.empty(m.shape)
    flat = s == 0
    if np.any(flat):
        out[flat] = g(m[flat])
    idx = np.flatnonzero(~flat)
    kinks = np.asarray(act.kinks if act.kinks else (0.0,), dtype=float)
    for lo in range(0, idx.size, _GENERIC_BLOCK):
        sel = idx[lo : lo + _GENERIC_BLOCK]
        mm, ss = m[sel, None], s[sel, None]
        w, weight = _breakpoint_rule((kinks[None, :] - mm) / ss)
        out[sel] = np.sum(g(mm + ss * w) * weight, axis=-1)
    return out.reshape(shape)


def _inner(act, which, m, s):
    """E_w[g(m + s w)], g = phi or phi': closed form, else quadrature (see above)."""
    if act.inner is not None:
        return act.inner(which, m, s)
    if act.smooth:
        return _inner_smooth(act, which, m, s)
    return _inner_generic(act, which, m, s)


def _kernel(c, q1, act, which, q2=None):
    """E[g(u1) g(u2)], g = phi (which=0) or phi' (which=1), for centred Gaussian (u1, u2)
    with variances q1, q2 (default q2 = q1) and correlation c (finite q1, q2 >= 0).

    ``u1 = sqrt(q1) z1``, ``u2 = sqrt(q2) (c z1 + sqrt(1 - c^2) z2)``: the outer average
    over z1 uses the 1-D rule (at the larger variance for smooth phi, so the inner
    average's transition in z1 is resolved too), the inner one over z2 is done in closed
    form, by Gauss-Hermite, by subtracting a smooth asymptote (see _inner_smooth) or by
    the generic rule (see _inner_generic).
    """
    q2 = q1 if q2 is None else q2
    c, q1, q2 = np.broadcast_arrays(*(np.asarray(x, float) for x in (c, q1, q2)))
    if act.reduces_to is not None:  # phi(v) = offset + scale base(stretch v), base odd
        base, offset, scale, stretch = act.reduces_to
        k2 = stretch * stretch
        if which == 0:  # E[base] = 0 by symmetry
            return offset * offset + scale * scale * _kernel(c, q1 * k2, base, 0, q2 * k2)
        return (scale * stretch) ** 2 * _kernel(c, q1 * k2, base, 1, q2 * k2)
    closed = _closed_kernel(act, which, c, q1, q2)
    if closed is not None:
        return closed
    out = np.empty(c.shape)
    flat_c, flat_q1, flat_q2 = c.ravel(), q1.ravel(), q2.ravel()
    flat_out = out.reshape(-1)
    z_all, w_all = _rule(np.maximum(flat_q1, flat_q2) if act.smooth else flat_q1, act)
    n1 = z_all.shape[-1]
    step = max(1, _CHUNK // (n1 * 200))
    g = act.phi if which == 0 else act.dphi
    for start in range(0, flat_c.size, step):
        sl = slice(start, start + step)
        cc, sq1, sq2 = flat_c[sl, None], np.sqrt(flat_q1[sl, None]), np.sqrt(flat_q2[sl, None])
        z, w = z_all[sl], w_all[sl]
        m = sq2 * cc * z
        s = sq2 * np.sqrt(np.maximum(1.0 - cc * cc, 0.0)) + 0.0 * z
        inner = _inner(act, which, m, s)
        flat_out[sl] = np.sum(g(sq1 * z) * inner * w, axis=-1)
    return out


def _leaky_kernel(c, slopes, which):
    """E[g(u1) g(u2)] / sqrt(q1 q2) (which=0) or E[g'(u1) g'(u2)] (which=1) for the
    homogeneous g(u) = p+ u (u > 0), p- u (u < 0): the arc-cosine kernel of degree 1."""
    p_pos, p_neg = slopes
    lin, mod = ((p_pos + p_neg) / 2.0) ** 2, ((p_pos - p_neg) / 2.0) ** 2
    cc = np.clip(c, -1.0, 1.0)
    if which == 0:
        absk = (2.0 / np.pi) * (np.sqrt(np.maximum(1.0 - cc * cc, 0.0)) + cc * np.arcsin(cc))
        return lin * cc + mod * absk  # absk = E|z1||z2|
    return lin + mod * (2.0 / np.pi) * np.arcsin(cc)


def _closed_kernel(act, which, c, q1, q2=None):
    """Closed-form E[g(u1) g(u2)] (see :func:`_kernel`), or None."""
    q2 = q1 if q2 is None else q2
    if act.homogeneous:
        k = _leaky_kernel(c, act.slopes, which)
        return np.sqrt(q1 * q2) * k if which == 0 else k + 0.0 * (q1 + q2)
    if act.kernel is not None:
        return act.kernel(which, c, q1, q2)
    return None


def _limit_slopes(act, q, sb):
    """Slopes (p+, p-) of the homogeneous phi that the C-map at ``q`` reduces to, per point:
    the slopes at 0 where q = 0 and V(0) = 0 (phi ~ phi'(0+-) u), those at infinity where
    q = inf and phi is unbounded (phi ~ p+- u); NaN elsewhere (no limit needed or none)."""
    lim = _limits(act)
    p = np.full(np.shape(q) + (2,), np.nan)
    if act.homogeneous:
        p[...] = act.slopes
        return np.where((np.isinf(q) | ((q == 0) & (sb == 0)))[..., None], p, np.nan)
    at0 = (q == 0) & (sb == 0) & (lim["m2_0"] == 0)
    p[at0] = lim["p0"]
    if np.isinf(lim["m2_inf"]):
        p[np.isinf(q)] = lim["pinf"]
    return p


def _normalised_map(c, sw, sb, rho, q, act, which):
    """C(c) (which=0) or its slope dC/dc (which=1) at length q, per point (broadcast arrays).

    Finite q: C = (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / V(q), with E[phi^2] itself
    at c = 1 (so C(1) == 1 exactly at rho = 1), and dC/dc = sigma_w^2 q E[phi'(u1)
    phi'(u2)] / V(q). At q = inf, and at q = 0 with V(0) = 0, C is the limit of this ratio:
    the map of the homogeneous phi that phi reduces to (the arc-cosine map; the identity
    for a phi smooth at 0); NaN with a :class:`ConvergenceWarning` where that limit is not
    available (bounded phi at q = inf, phi'(0) = 0 at q = 0) and for NaN q.
    """
    out = np.full(c.shape, np.nan)
    p = _limit_slopes(act, q, sb)
    limit = np.isfinite(p[..., 0]) & (sw > 0)
    zero_over_zero = (q == 0) & (sb == 0) & ((_limits(act)["m2_0"] == 0) | (sw == 0))
    plain = np.isfinite(q) & ~limit & ~zero_over_zero
    if np.any(plain):
        cc, sw_, sb_, rho_, qq = (x[plain] for x in (c, sw, sb, rho, q))
        m2, d2 = _fast_moments(qq, act, (0, 1))
        denom = sw_**2 / rho_ * m2 + sb_**2
        # at c = 1 the 1-D moment itself (exactly C(1) = 1 without dropout, and cheap)
        k = (m2 if which == 0 else d2).copy()
        off = cc != 1.0
        if np.any(off):
            k[off] = _kernel(cc[off], qq[off], act, which)
        with np.errstate(invalid="ignore", divide="ignore"):
            if which == 0:
                out[plain] = (sw_**2 * k + sb_**2) / denom
            else:
                out[plain] = sw_**2 * k * qq / denom
    if np.any(limit):
        pl = p[limit]
        pp, pn = pl[:, 0], pl[:, 1]
        gain = (pp**2 + pn**2) / 2.0
        cc = c[limit]
        k = _leaky_kernel(cc, (pp, pn), which)
        if which == 0:
            k = np.where(cc == 1.0, gain, k)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[limit] = np.where(gain > 0, rho[limit] * k / gain, np.nan)
    missing = np.isnan(out) & ~np.isnan(c) & ~np.isnan(q)
    if np.any(missing):
        warnings.warn(
            f"C-map ({act.name}): no limit of the correlation map at q = 0 or inf for "
            f"{int(missing.sum())} point(s) (bounded phi at q = inf, or V(q) = 0); NaN there",
            ConvergenceWarning,
            stacklevel=3,
        )
    return out


def _check_c(c):
    """c as a float array of correlations, in [-1, 1] (NaN passes and gives NaN)."""
    c = _real(c, "c")
    bad = np.abs(c) > 1
    if np.any(bad):
        raise ValueError(f"c must lie in [-1, 1] (a correlation), got {float(c[bad].ravel()[0])!r}")
    return c


def c_map(c, sigma_w, sigma_b, activation="tanh", rho=1.0, q=None):
    """Correlation map C(c) at length ``q`` (default q*), broadcasting like a ufunc.

    ``C(c) = (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / V(q)`` with ``u1, u2 ~ N(0, q)``
    of correlation c: the correlation after one layer of two inputs of equal length q
    (at q = q* the map of Poole et al.), the special case ``q1 = q2 = q`` of
    :func:`kernel_map` normalised by ``V(q)``. C(1) == 1 exactly without dropout. At
    ``q = inf`` or ``q* = 0`` (with ``sigma_b = 0``) the limit: the q-independent map of
    relu, leaky_relu, abs and linear, the arc-cosine map of the relu-like limit of gelu,
    swish, softplus and selu at q = inf, ``C(c) = rho c`` for tanh-like phi at q = 0;
    NaN with a :class:`ConvergenceWarning` where no limit exists.
    """
    sw, sb, rho = _check_sigmas(sigma_w, sigma_b, rho)
    c = _check_c(c)
    act = _acts.get(activation)
    qs = _q_or_q_star(q, sw, sb, act, rho)
    c, sw, sb, rho, qs = np.broadcast_arrays(c, sw, sb, rho, qs)
    return _out(_normalised_map(c, sw, sb, rho, qs, act, 0))


def chi_c(c, sigma_w, sigma_b, activation="tanh", rho=1.0, q=None):
    """Slope dC/dc of the C-map at c and length ``q`` (default q*).

    ``sigma_w^2 q E[phi'(u1) phi'(u2)] / V(q)``; at a fixed point q/V(q) = 1 and at c = 1
    without dropout this is chi_1. Limits at q = 0, inf as in :func:`c_map`. ``ValueError``
    for c outside [-1, 1], where the map (and so its slope) is not defined.
    """
    sw, sb, rho = _check_sigmas(sigma_w, sigma_b, rho)
    c = _check_c(c)
    act = _acts.get(activation)
    qs = _q_or_q_star(q, sw, sb, act, rho)
    c, sw, sb, rho, qs = np.broadcast_arrays(c, sw, sb, rho, qs)
    return _out(_normalised_map(c, sw, sb, rho, qs, act, 1))


def c_star(sigma_w, sigma_b, activation="tanh", rho=1.0, tol=1e-14, max_iter=100, q=None):
    """Stable fixed point c* of the C-map at length ``q`` (default q*).

    Without dropout c* = 1 where the map's slope at c = 1 is <= 1 (ordered phase;
    ``chi_1 <= 1`` at a finite q*); otherwise the stable fixed point below 1, found by
    Newton's method from c = 0 (C is convex on [0, 1], so the iterates increase
    monotonically to c*). With dropout, c = 1 is not a fixed point and c* < 1 everywhere.
    At q = 0 or inf the limit map of :func:`c_map` is used (relu at q* = inf: the
    arc-cosine map, whose slope at 1 is 1, so c* = 1); NaN where it has none.

    Many points without a closed-form kernel (a phase diagram): the kernel
    E[phi(u1) phi(u2)] / E[phi^2] is tabulated once over their range of q (see
    :class:`_KernelTable`, which checks itself against the quadrature), Newton runs on the
    table, and each c* is then polished by Newton on the quadrature wherever the table's
    error, divided by 1 - C'(c*), could exceed 1e-11 relative (2e-13 absolute below
    c* = 0.02): near the edge of chaos, where C'(c*) -> 1.
    """
    sw, sb, rho = np.broadcast_arrays(*_check_sigmas(sigma_w, sigma_b, rho))
    act = _acts.get(activation)
    qs = _q_or_q_star(q, sw, sb, act, rho)
    sw, sb, rho, qs = np.broadcast_arrays(sw, sb, rho, qs)
    shape = sw.shape
    sw, sb, rho, qs = (np.ravel(x).astype(float) for x in (sw, sb, rho, qs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # reported once below
        slope1 = _normalised_map(np.ones(sw.shape), sw, sb, rho, qs, act, 1)
    undefined = np.isnan(slope1)
    ordered = (rho == 1.0) & (slope1 <= 1.0)
    c = np.zeros(sw.shape)
    active = ~ordered & ~undefined
    idx = np.flatnonzero(active)

    def exact(sel, cc):
        args = (sw[sel], sb[sel], rho[sel], qs[sel], act)
        return _normalised_map(cc, *args, 0), _normalised_map(cc, *args, 1)

    table = _kernel_table_for(act, qs[idx]) if idx.size >= _KTABLE_MIN_POINTS else None
    if table is not None:
        c_tab, ok, slope = _c_newton(np.zeros(idx.size), table.c_map(sw[idx], sb[idx], rho[idx],
                                     qs[idx]), tol, max_iter)  # fmt: skip
        # error of c* from the table's error in C, to first order; polish where it matters
        m2 = _fast_moments(qs[idx], act, (0,))[0]
        gain = sw[idx] ** 2 * m2 / (sw[idx] ** 2 / rho[idx] * m2 + sb[idx] ** 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            err = table.max_abs_error * gain / (1.0 - slope)
        good = ok & (err <= 1e-11 * np.maximum(c_tab, 0.02))
        c[idx[good]] = c_tab[good]
        rest = idx[~good]
        # restart just below the table's c* (Newton from the left stays monotone there)
        start = np.where(ok, np.maximum(c_tab - 10.0 * np.nan_to_num(err, nan=1.0), 0.0), 0.0)
        start = start[~good]
        above = np.flatnonzero(start > 0)
        if above.size:  # keep the start only if it is left of the root: C(c) >= c there
            fs, _ = exact(rest[above], start[above])
            start[above[fs < start[above]]] = 0.0
    else:
        rest, start = idx, np.zeros(idx.size)
    if rest.size:
        c_rest, ok, _ = _c_newton(start, lambda sel, cc: exact(rest[sel], cc), tol, max_iter)
        c[rest] = np.where(ok, c_rest, np.nan)
        active[rest[ok]] = False
    if table is not None:
        active[idx[good]] = False
    c = np.where(ordered, 1.0, c)
    c[undefined | active] = np.nan
    if np.any(undefined | active):
        warnings.warn(
            f"c_star ({act.name}): {int(np.sum(undefined))} point(s) without a C-map "
            f"(q = 0 or inf, no limit) and {int(np.sum(active))} not converged; NaN there",
            ConvergenceWarning,
            stacklevel=2,
        )
    return _out(c.reshape(shape))


def _c_newton(c, cmap, tol, max_iter):
    """Newton from the left on C(c) - c (convex on [0, 1]): ``cmap(sel, c)`` returns C and
    C' at the points ``sel``. Returns (c*, converged, C'(c*))."""
    c = np.array(c, dtype=float)
    ok = np.zeros(c.shape, dtype=bool)
    slope = np.full(c.shape, np.nan)
    active = np.arange(c.size)
    for _ in range(max_iter):
        if active.size == 0:
            break
        ca = c[active]
        value, dvalue = cmap(active, ca)
        f, df = value - ca, dvalue - 1.0
        bad = ~(np.isfinite(f) & np.isfinite(df))  # e.g. outside a table: not converged
        with np.errstate(divide="ignore", invalid="ignore"):
            new = ca - f / df
        new = np.where(np.isfinite(new), np.clip(new, ca, 1.0), ca)
        done = ~bad & (np.abs(new - ca) <= tol * np.maximum(np.abs(new), 1e-300))
        c[active] = new
        ok[active[done]] = True
        slope[active] = dvalue
        active = active[~done & ~bad]
    return c, ok, slope


# ------------------------------------------------------ tabulated two-input kernel
#
# c* over a plane needs the C-map at tens of thousands of (q, c): the 2-D quadrature costs
# ~0.1 ms each, so the kernel G(q, c) = E[phi(u1) phi(u2)] / E[phi^2] (u1, u2 ~ N(0, q),
# correlation c) is interpolated instead: a 2-D Chebyshev series in x = ln q over the
# points' range and y = ln theta, c = cos(theta), theta in [1e-3, pi/2]. In these variables
# G is smooth: the near-step behaviour of phi(sqrt(q) z) at large q turns c -> 1 into a
# transition at theta ~ 1/sqrt(q), a line of slope -1/2 in (x, y). The table is checked
# against the quadrature between its nodes when built; its error bounds the error of c*.

_KTABLE_MIN_POINTS = 1000
_KTABLE_THETA_MIN = 1e-3
_KTABLE_NY = 48


def _kernel_table_for(act, q):
    """A _KernelTable over the range of ``q`` (finite, > 0), or None (closed-form kernel,
    range too wide or table not accurate enough)."""
    if _closed_kernel(act, 0, np.zeros(1), np.ones(1)) is not None:
        return None  # a closed form is cheaper
    q = q[np.isfinite(q) & (q > 0)]
    if q.size == 0:
        return None
    lo, hi = np.log(q.min()) - 1e-9, np.log(q.max()) + 1e-9
    if hi - lo > 10.0:
        return None
    table = _KernelTable(act, lo, max(hi, lo + 0.1))
    return table if table.max_abs_error <= 1e-9 else None


class _KernelTable:
    """G(q, c) = E[phi(u1) phi(u2)] / E[phi^2] as a 2-D Chebyshev series (see above)."""

    def __init__(self, act, x0, x1):
        self.act, self.x0, self.x1 = act, x0, x1
        self.y0, self.y1 = np.log(_KTABLE_THETA_MIN), np.log(np.pi / 2)
        nq = int(min(64, 20 + 3 * (x1 - x0)))  # G is smoother in ln q than in ln theta
        ny = _KTABLE_NY
        xi = np.cos(np.pi * (np.arange(nq) + 0.5) / nq)
        eta = np.cos(np.pi * (np.arange(ny) + 0.5) / ny)
        values = self._g(self._q(xi)[:, None], self._theta(eta)[None, :])
        cheb = np.polynomial.chebyshev
        coef = np.linalg.solve(cheb.chebvander(xi, nq - 1), values)
        self.coef = np.linalg.solve(cheb.chebvander(eta, ny - 1), coef.T).T  # (nq, ny)
        # check midway between the nodes in both variables (every 4th row and column)
        xm = np.cos(np.pi * np.arange(1, nq, 4) / nq)
        ym = np.cos(np.pi * np.arange(1, ny, 4) / ny)
        ref = self._g(self._q(xm)[:, None], self._theta(ym)[None, :])
        got = cheb.chebvander(xm, nq - 1) @ self.coef @ cheb.chebvander(ym, ny - 1).T
        self.max_abs_error = float(np.max(np.abs(got - ref)))

    def _q(self, xi):
        return np.exp(self.x0 + (xi + 1.0) * (self.x1 - self.x0) / 2.0)

    def _theta(self, eta):
        return np.exp(self.y0 + (eta + 1.0) * (self.y1 - self.y0) / 2.0)

    def _g(self, q, theta):
        q, theta = np.broadcast_arrays(q, theta)
        m2 = _moments(q, self.act)[0]
        return _kernel(np.cos(theta), q, self.act, 0) / m2

    def c_map(self, sw, sb, rho, q):
        """``cmap(sel, c)`` for :func:`_c_newton`: C and C' from the table (NaN outside)."""
        cheb = np.polynomial.chebyshev
        xi = 2.0 * (np.log(q) - self.x0) / (self.x1 - self.x0) - 1.0
        rows = cheb.chebvander(xi, self.coef.shape[0] - 1) @ self.coef  # (P, ny): q fixed
        deriv = cheb.chebder(np.eye(self.coef.shape[1]), axis=0)  # (ny-1, ny): d/d eta
        drows = rows @ deriv.T
        m2 = _fast_moments(q, self.act, (0,))[0]
        norm = sw**2 * m2 / (sw**2 / rho * m2 + sb**2)
        bias = sb**2 / (sw**2 / rho * m2 + sb**2)
        scale = 2.0 / (self.y1 - self.y0)

        def cmap(sel, c):
            with np.errstate(divide="ignore", invalid="ignore"):
                theta = np.arccos(np.clip(c, -1.0, 1.0))
                eta = scale * (np.log(theta) - self.y0) - 1.0
                inside = (eta >= -1.0) & (eta <= 1.0)
                eta = np.clip(np.nan_to_num(eta, nan=-1.0), -1.0, 1.0)
                basis = cheb.chebvander(eta, rows.shape[1] - 1)
                g = np.einsum("ij,ij->i", rows[sel], basis)
                g_eta = np.einsum("ij,ij->i", drows[sel], basis[:, :-1])
                # dG/dc = dG/deta * deta/dy * dy/dtheta * dtheta/dc
                g_c = g_eta * scale / (theta * -np.sin(theta))
            value = np.where(inside, norm[sel] * g + bias[sel], np.nan)
            return value, np.where(inside, norm[sel] * g_c, np.nan)

        return cmap


# ------------------------------------------------------- two-input kernel (NNGP)


def input_kernel(x1, x2, sigma_w, sigma_b):
    """(q1, q2, q12) of the first layer for inputs x1, x2 (last axis: the d features).

    ``q_ab = sigma_w^2 x_a . x_b / d + sigma_b^2``, as neural-tangents' ``Dense``
    (W ~ N(0, sigma_w^2 / d)). Broadcasts over the leading axes.
    """
    sw, sb, _ = _check_sigmas(sigma_w, sigma_b)
    x1, x2 = _real(x1, "x1"), _real(x2, "x2")
    d = x1.shape[-1]
    if x2.shape[-1] != d:
        raise ValueError(f"x1 and x2 need the same number of features, got {d}, {x2.shape[-1]}")
    dot = lambda u, v: np.sum(u * v, axis=-1) / d  # noqa: E731
    return tuple(_out(sw**2 * k + sb**2) for k in (dot(x1, x1), dot(x2, x2), dot(x1, x2)))


def kernel_map(q1, q2, q12, sigma_w, sigma_b, activation="tanh", rho=1.0):
    """One layer of the two-input kernel recursion (NNGP): (q1, q2, q12) -> (q1', q2', q12').

    For pre-activations (u1, u2) ~ N(0, [[q1, q12], [q12, q2]])::

        q1'  = sigma_w^2/rho E[phi(u1)^2] + sigma_b^2 = V(q1)    (likewise q2')
        q12' = sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2

    (dropout with keep probability rho on the activations: independent masks for the two
    inputs, so only the diagonal gains 1/rho). ``c_map(c, q=q)`` is
    ``q12' / V(q)`` at ``q1 = q2 = q``, ``q12 = c q``. Broadcasts; needs finite
    ``q1, q2 >= 0`` and ``q12^2 <= q1 q2`` (to 1e-12).
    """
    sw, sb, rho = _check_sigmas(sigma_w, sigma_b, rho)
    q1, q2 = _check_q(q1, "q1"), _check_q(q2, "q2")
    q12 = _real(q12, "q12")
    q1, q2, q12, sw, sb, rho = np.broadcast_arrays(q1, q2, q12, sw, sb, rho)
    if np.any(~np.isfinite(q1)) or np.any(~np.isfinite(q2)):
        raise ValueError("q1 and q2 must be finite")
    root = np.sqrt(q1 * q2)
    if np.any(np.abs(q12) > root * (1.0 + 1e-12) + 1e-300):
        raise ValueError("need q12^2 <= q1 q2 (a covariance)")
    act = _acts.get(activation)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(root > 0, np.clip(q12 / root, -1.0, 1.0), 0.0)
    m2a, m2b = (_moments(x, act)[0] for x in (q1, q2))
    diag = (q1 == q2) & (c == 1.0)
    k = np.where(diag, m2a, _kernel(c, q1, act, 0, q2))
    new1, new2 = (np.where(sw == 0, 0.0, sw**2 / rho * m) + sb**2 for m in (m2a, m2b))
    return _out(new1), _out(new2), _out(sw**2 * k + sb**2)


def kernel_layers(q1, q2, q12, depth, sigma_w, sigma_b, activation="tanh", rho=1.0):
    """(q1, q2, q12) after 0, 1, ..., depth layers of :func:`kernel_map` (leading axis).

    Start from :func:`input_kernel` for a network ``Dense, (phi, Dense) x depth`` as in
    neural-tangents' ``stax.serial``; the last entry is its NNGP kernel.
    """
    depth = _integer(depth, "depth", minimum=0)
    state = tuple(_real(x, n) for x, n in ((q1, "q1"), (q2, "q2"), (q12, "q12")))
    state = np.broadcast_arrays(*state)
    layers = [state]
    act = _acts.get(activation)
    for _ in range(depth):
        state = tuple(np.asarray(x, float)
                      for x in kernel_map(*state, sigma_w, sigma_b, act, rho))  # fmt: skip
        layers.append(state)
    return tuple(_out(np.stack([layer[i] for layer in layers])) for i in range(3))
