r"""Mean-field signal propagation (Poole et al. 2016, Schoenholz et al. 2017).

Notation of the problem sheets: ``W_ij ~ N(0, sigma_w^2 / N)``, ``b_i ~ N(0, sigma_b^2)``;
every function takes the standard deviations ``sigma_w`` and ``sigma_b`` and broadcasts
its array arguments like a ufunc (scalars in, float out). ``rho`` is the dropout keep
probability (1 = no dropout), applied to the activations of every layer.

Length map and its fixed point::

    V(q) = sigma_w^2 / rho * E_z[phi(sqrt(q) z)^2] + sigma_b^2,    q* = V(q*)

where q* is the fixed point the iteration ``q^{l+1} = V(q^l)`` reaches from
``q^0 = sigma_w^2 + sigma_b^2`` (a unit-variance input; any ``q0`` can be given): 0 where
it decays, ``inf`` where it diverges (see :func:`q_star`; gelu, swish and softplus have
two fixed points and the start decides).

Correlation map at length q, by default q* (``u1 = sqrt(q) z1``,
``u2 = sqrt(q) (c z1 + sqrt(1-c^2) z2)``)::

    C(c) = (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / V(q)

normalised by ``V(q)`` computed with the same rule, so that without dropout
``C(1) == 1`` exactly in floating point, and with dropout ``C(1) < 1``. It is the
equal-length case of the two-input kernel map (NNGP recursion) :func:`kernel_map`,
``(q1, q2, q12) -> (V(q1), V(q2), sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2)``. At q = 0
and inf it is the limit (q-independent for relu, leaky_relu, abs, linear).

Slopes and depth scales (Schoenholz et al. 2017, eqs. 5, 9, 12)::

    chi_1  = sigma_w^2 E[phi'(u)^2]                       (slope of C at c = 1)
    chi_c* = sigma_w^2 E[phi'(u1) phi'(u2)] at c*          (slope of C at c*)
    chi_q  = sigma_w^2 / rho * E[phi'(u)^2 + phi(u) phi''(u)]   (slope of V at q*)
    xi_q = -1 / log chi_q,   xi_c = -1 / log chi_c*,   xi_grad = -1 / log chi_1

Every function that needs q* takes it as ``q=`` (solved once by the caller); without it
q* is solved again (nothing is cached between calls).

Numerics: closed forms where they exist (relu/leaky_relu/abs: arc-cosine kernels; erf:
arcsine kernel; linear; hard_tanh and selu per-piece Gaussian integrals); otherwise a
trapezoid rule on a sinh-mapped grid ``z = a sinh(t)`` with ``a = min(1, 1/sqrt(q))``,
which resolves the transition of ``phi(sqrt(q) z)`` at every q (tanh at q = 1000 is a
near step of width 1/30 in z) and converges exponentially for analytic phi. The
2-D C-map integral uses the same outer rule; the inner Gaussian average over z2 is done
by Gauss-Hermite when ``sigma = sqrt(q (1-c^2))`` is small and, when it is large, by
subtracting a smooth asymptote with a closed-form Gaussian average and integrating the
localised remainder. For speed the one-dimensional moments are tabulated once per
activation (piecewise Chebyshev in ln q, checked against the quadrature when built) and
c* over many points uses a 2-D Chebyshev table of the kernel (:class:`_KernelTable`),
polished on the quadrature where its error could matter. Fixed points by vectorised,
safeguarded Newton iterations whose answers are checked before they are returned.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

import numpy as np
from scipy import special

from . import activations as _acts

__all__ = [
    "ConvergenceWarning",
    "c_map",
    "c_star",
    "chi1",
    "chi_c",
    "chi_q",
    "convergence_depth",
    "critical_sigma_w",
    "depth_scales",
    "edge_of_chaos",
    "gaussian_expectation",
    "input_kernel",
    "kernel_layers",
    "kernel_map",
    "q_map",
    "q_star",
]

_SQRT2 = np.sqrt(2.0)
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
    zk = np.clip(zk, -_Z_MAX, _Z_MAX)
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
    z = np.concatenate(nodes, axis=1).reshape(q.shape + (-1,))
    w = np.concatenate(weights, axis=1).reshape(q.shape + (-1,))
    return z, w


def _rule(q, act):
    if act.smooth:
        return _sinh_rule(q)
    return _piecewise_rule(q, act.kinks)


def gaussian_expectation(f: Callable, q, activation="tanh"):
    """E_z[f(sqrt(q) z)], z ~ N(0, 1), with the quadrature rule suited to ``activation``."""
    act = _acts.get(activation)
    q = np.asarray(q, dtype=float)
    z, w = _rule(q, act)
    return _out(np.sum(f(np.sqrt(q)[..., None] * z) * w, axis=-1))


# ---------------------------------------------------------- one-dimensional moments


def _gain(act):
    """E[phi(u)^2] / q for a positively homogeneous phi (relu 1/2, leaky (1+a^2)/2, ...)."""
    if act.family == "relu":
        return 0.5
    if act.family == "leaky_relu":
        return (1.0 + act.param**2) / 2.0
    return 1.0  # abs, linear


def _closed_moments(act, q):
    """(E[phi^2], E[phi'^2], E[phi'^2 + phi phi'']) in closed form, or None (any q >= 0, inf)."""
    act = _acts.get(act)
    if act.homogeneous:
        g = np.full(np.shape(q), _gain(act))  # q-independent: also exact at q = 0 and inf
        return g * q, g, g.copy()
    if act.family == "erf":
        with np.errstate(divide="ignore"):
            ratio = 1.0 / (1.0 + 0.5 / q)  # 2q / (1 + 2q), also at q = 0 and inf
        m2 = 2.0 / np.pi * np.arcsin(ratio)
        d2 = 4.0 / np.pi / np.sqrt(1.0 + 4.0 * q)
        slope = 4.0 / (np.pi * (1.0 + 2.0 * q) * np.sqrt(1.0 + 4.0 * q))
        return m2, d2, slope
    if act.family == "hard_tanh":
        with np.errstate(divide="ignore", invalid="ignore"):
            k = 1.0 / np.sqrt(q)
            inside = special.erf(k / _SQRT2)
            edge = np.where(q > 0, 2.0 * k * _pdf(k), 0.0)
            m2 = np.where(np.isinf(q), 1.0, q * (inside - edge) + (1.0 - inside))
        return m2, inside, inside - edge  # dE[phi^2]/dq = P(|u|<1) - 2 k pdf(k)
    return None


@functools.lru_cache(maxsize=64)
def _limits(activation):
    """Moments in the limits q -> 0+ and q -> inf, and the slopes of phi at 0 and infinity.

    Returns a dict: ``m2_0, d2_0, slope_0`` (q -> 0+: phi(0)^2 and the means over the two
    sides of 0 of phi'^2 and phi'^2 + phi phi''), ``m2_inf, d2_inf, slope_inf`` (q -> inf:
    means over u -> +-inf of phi^2, phi'^2 and (phi/u)^2), ``p0 = (phi'(0+), phi'(0-))`` and
    ``pinf = lim phi(u)/u at +inf and -inf``.
    """
    act = _acts.get(activation)
    tiny, big = np.array([1e-300, -1e-300]), np.array([1e300, -1e300])
    with np.errstate(all="ignore"):
        phi0 = float(act.phi(np.array(0.0)))
        d0 = act.dphi(tiny)
        s0 = d0 * d0 + phi0 * act.d2phi(tiny)
        pb, db = act.phi(big), act.dphi(big)
        ratio = act.phi(big * 1e-150) / (big * 1e-150)  # phi(u)/u at |u| = 1e150
        m2_inf = float(np.mean(np.where(np.abs(pb) > 1e200, np.inf, pb * pb)))
    ratio = np.where(np.abs(ratio) < 1e-100, 0.0, ratio)
    return {
        "phi0": phi0,
        "m2_0": phi0 * phi0,
        "d2_0": float(np.mean(d0 * d0)),
        "slope_0": float(np.mean(s0)),
        "m2_inf": m2_inf,
        "d2_inf": float(np.mean(db * db)),
        "slope_inf": float(np.mean(ratio * ratio)),
        "p0": (float(d0[0]), float(d0[1])),
        "pinf": (float(ratio[0]), float(ratio[1])),
    }


def _moments(q, activation):
    """E[phi^2], E[phi'^2] and dE[phi^2]/dq = E[phi'^2 + phi phi''] at u ~ N(0, q).

    By quadrature (or closed form), for every q >= 0 including the limits q = 0 (the
    one-sided means at u = 0+-) and q = inf; NaN for NaN.
    """
    act = _acts.get(activation)
    q = np.asarray(q, dtype=float)
    closed = _closed_moments(act, q)
    if closed is not None:
        return tuple(np.broadcast_to(c, q.shape).astype(float) for c in closed)
    out = [np.full(q.shape, np.nan) for _ in range(3)]
    lim = _limits(act.name)
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
def _unit_grid(name, n, h=None):
    """phi^2, phi'^2, phi phi'' at u = sinh(t_k), t_k = _H k, |k| <= n (shape (n_t, 3))."""
    act = _acts.get(name)
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
        u, jac, values = _unit_grid(act.name, n, _H)
        w = np.exp(-0.5 * np.square(u)[None, :] / q[:, None]) * (jac * _INV_SQRT_2PI)
        m2, d2, slope = (w @ values).T / np.sqrt(q)[None, :]
        return m2, d2, slope
    z, w = _rule(q, act)
    u = np.sqrt(q)[..., None] * z
    if act.name == "tanh":  # one transcendental: phi' = 1 - t^2, phi phi'' = -2 t^2 phi'
        t2 = np.square(np.tanh(u))
        s2 = 1.0 - t2
        m2 = np.sum(t2 * w, axis=-1)
        d2 = np.sum(s2 * s2 * w, axis=-1)
        return m2, d2, d2 - 2.0 * np.sum(t2 * s2 * w, axis=-1)
    phi, dphi = act.phi(u), act.dphi(u)
    m2 = np.sum(phi * phi * w, axis=-1)
    d2 = np.sum(dphi * dphi * w, axis=-1)
    slope = d2 + np.sum(phi * act.d2phi(u) * w, axis=-1)
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
def _table(name):
    return _MomentTable(_acts.get(name))


def _fast_moments(q, act, which=(0, 1, 2), out=None):
    """The moments ``which`` of :func:`_moments` (0: m2, 1: d2, 2: slope), tabulated.

    Closed forms where they exist, the table inside its range, the quadrature elsewhere.
    ``out``: arrays (1-D, q's size) the table may write the results to (not always).
    """
    q = np.asarray(q, dtype=float)
    closed = _closed_moments(act, q)
    if closed is not None:
        return [np.broadcast_to(closed[w], q.shape).astype(float) for w in which]
    inside = (q >= _TABLE_QLO) & (q <= _TABLE_QHI)
    if np.all(inside):
        return _table(act.name).evaluate(q, which, out if q.ndim == 1 else None)
    outside = ~inside
    n_out = np.count_nonzero(outside)
    if 2 * n_out <= q.size:  # the table everywhere (1 as a stand-in outside), no copies
        res = _table(act.name).evaluate(np.where(inside, q, 1.0), which)
    else:
        res = [np.empty(q.shape) for _ in which]
        if n_out < q.size:
            for dst, val in zip(res, _table(act.name).evaluate(q[inside], which), strict=True):
                dst[inside] = val
    exact = _moments(q[outside], act)
    for dst, w in zip(res, which, strict=True):
        dst[outside] = exact[w]
    return res


@functools.lru_cache(maxsize=64)
def _segments(name):
    """Pieces of [0, inf) on which q -> E[phi(sqrt(q) z)^2] is convex or concave.

    A tuple of (lo, hi, kind), kind 'convex' or 'concave' ('linear' for homogeneous phi),
    from the slope dE[phi^2]/dq on 4000 log-spaced q over the table's range and its limits
    at 0 and inf: the slope rises on a convex piece and falls on a concave one (changes
    below 1e-10 of the largest slope count as either). The breaks are the slope's extrema,
    refined on a finer grid. gelu and swish: convex, then concave (the slope overshoots
    its limit 1/2); tanh, erf, sigmoid, hard_tanh, selu: concave; softplus: convex.
    Returns None if the slope is negative somewhere (V not monotone).
    """
    act = _acts.get(name)
    if act.homogeneous:
        return ((0.0, np.inf, "linear"),)
    lim = _limits(name)
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
    sw, sb, rho = (np.asarray(x, dtype=float) for x in (sigma_w, sigma_b, rho))
    if np.any(sw < 0) or np.any(~np.isfinite(sw)):
        raise ValueError("sigma_w must be finite and >= 0")
    if np.any(sb < 0) or np.any(~np.isfinite(sb)):
        raise ValueError("sigma_b must be finite and >= 0")
    if np.any(rho <= 0) or np.any(rho > 1):
        raise ValueError("rho (dropout keep probability) must be in (0, 1]")
    return sw, sb, rho


def _check_q(q, name="q"):
    q = np.asarray(q, dtype=float)
    if np.any(q < 0):
        raise ValueError(f"{name} must be >= 0")
    return q


def q_map(q, sigma_w, sigma_b, activation="tanh", rho=1.0):
    """Length map V(q) = sigma_w^2/rho E[phi(sqrt(q) z)^2] + sigma_b^2 (broadcasts).

    By quadrature or closed form at every q >= 0. ``q = inf`` gives the limit
    ``sigma_w^2/rho (phi(+inf)^2 + phi(-inf)^2)/2 + sigma_b^2``: finite for bounded phi,
    ``inf`` otherwise (``sigma_b^2`` if ``sigma_w = 0``); NaN gives NaN.
    """
    sw, sb, rho = _check_sigmas(sigma_w, sigma_b, rho)
    q = _check_q(q)
    q, sw, sb, rho = np.broadcast_arrays(q, sw, sb, rho)
    m2, _, _ = _moments(q, activation)
    with np.errstate(invalid="ignore"):
        gain = np.where(sw == 0, 0.0, sw**2 / rho * m2)  # 0 * inf is 0 here
    return _out(gain + sb**2)


# ----------------------------------------------------------------- fixed point q*


class ConvergenceWarning(RuntimeWarning):
    """A fixed-point solver did not converge or could not verify its answer (NaN there)."""


def q_star(sigma_w, sigma_b, activation="tanh", rho=1.0, tol=1e-14, max_iter=100, q0=None):
    """Fixed point q* of the length map reached by iterating it from ``q0`` (broadcasts).

    q* is what a network sees: the limit of ``q^{l+1} = V(q^l)`` from ``q^0 = q0``; the
    default ``q0 = sigma_w^2 + sigma_b^2`` is the first layer of a unit-variance input
    (``sigma_w^2 |x|^2/d + sigma_b^2``). It is a fixed point with ``V'(q*) <= 1``, ``0``
    where the iteration decays to 0, and ``inf`` where it diverges. When V has several
    fixed points (gelu, swish, softplus: a stable one below an unstable one) the answer
    depends on ``q0``.

    Method. V is non-decreasing, so the iteration moves monotonically from q0 to the
    first fixed point in the direction of ``V(q0) - q0`` (or to inf). For relu, leaky_relu,
    abs and linear ``V = g sigma_w^2/rho q + sigma_b^2`` is linear: ``q* = sigma_b^2 /
    (1 - g sigma_w^2/rho)`` if ``g sigma_w^2 < rho``, else ``inf`` (or ``q0`` if also
    ``sigma_b = 0`` and ``g sigma_w^2 = rho``: every q is fixed). Otherwise [0, inf) is cut
    into pieces where V is convex or concave (from the moment table, see ``_segments``:
    one concave piece for tanh, erf, sigmoid, hard_tanh, selu; convex for softplus; convex
    then concave for gelu, swish, silu), and the first root of V(q) - q is bracketed
    piece by piece from q0 and found by Newton's method from the side where it is
    monotone (it cannot jump over the root). gelu at (1.45, 0.3) has a stable fixed point
    0.36 and an unstable one 1.44: q0 below 1.44 gives 0.36, the default q0 = 2.19 gives
    inf.

    Every finite q* > 0 is checked before it is returned: ``|V(q*)/q* - 1| <= 1e-12`` and
    ``V'(q*) <= 1``. Where a check fails or the solver has not converged after
    ``max_iter`` Newton steps the result is NaN and a :class:`ConvergenceWarning` is
    issued; never a point that is not a fixed point.
    """
    sw, sb, rho = _check_sigmas(sigma_w, sigma_b, rho)
    a, s = np.square(sw), np.square(sb)
    start = a + s if q0 is None else _check_q(q0, "q0")
    if not np.all(np.isfinite(start)):
        raise ValueError("q0 must be finite")
    if not np.all(rho == 1.0):
        a = a / rho
    a, s, start, _ = np.broadcast_arrays(a, s, start, rho)  # (read only: ravel copies)
    act = _acts.get(activation)
    qs = _q_star_solve(np.ravel(a), np.ravel(s), np.ravel(start), act, tol, max_iter)
    return _out(qs.reshape(a.shape))


def _q_star_solve(a, s, q0, act, tol, max_iter):
    """q* for V(q) = a E[phi^2] + s from q0 (1-D arrays); see :func:`q_star`."""
    if act.homogeneous:
        gain = _gain(act) * a
        # sigma_w = sqrt(2) squares to 2 + 4e-16: count rounding-level excess as critical
        gain = np.where(np.abs(gain - 1.0) <= 1e-12, 1.0, gain)
        with np.errstate(divide="ignore", invalid="ignore"):
            qs = np.where(gain < 1.0, s / (1.0 - gain), np.inf)
        qs = np.where((gain == 1.0) & (s == 0), q0, qs)
        return np.where((gain > 1.0) & (s == 0) & (q0 == 0), 0.0, qs)
    lim = _limits(act.name)
    segments = _segments(act.name)
    checked = np.full((2, a.size), np.nan)  # |f|/q and V' where Newton last evaluated them
    if segments is None:
        q = _iterate(a, s, q0, act, tol, max_iter)
    else:
        q = _first_root(a, s, q0, act, lim, segments, tol, max_iter, checked)
    return _verify_q_star(q, a, s, act, lim, checked)


def _residual(q, a, s, act, out=None):
    """f(q) = V(q) - q and f'(q) = V'(q) - 1 (possibly in ``out``, two arrays like q)."""
    m2, slope = _fast_moments(q, act, (0, 2), out)
    if not m2.shape == slope.shape == np.shape(a) == np.shape(s) == np.shape(q):
        return a * m2 + s - q, a * slope - 1.0
    m2 *= a  # in place (the moments are fresh arrays): the same operations
    m2 += s
    m2 -= q
    slope *= a
    slope -= 1.0
    return m2, slope


def _first_root(a, s, q0, act, lim, segments, tol, max_iter, checked):
    """The first root of f = V - q from q0 in the direction of sign f(q0).

    V is non-decreasing, so the iteration from q0 moves monotonically towards that root
    and stops there (or goes on to inf / to 0). The root is looked for piece by piece of
    :func:`_segments`, where f is convex or concave and Newton's method from the right
    side is monotone (see _root_in_piece); a piece without a root passes the search on to
    its neighbour. ``checked`` receives |f|/q and V' at the roots Newton returns.
    """
    n = a.size
    f0, fp0 = _residual(q0, a, s, act)  # reused while p is still q0
    at_q0 = f0 == 0
    q = np.where(at_q0, q0, np.nan) if np.any(at_q0) else None  # made when first needed
    up = f0 > 0
    edges = np.array([seg[0] for seg in segments[1:]])
    piece = np.searchsorted(edges, q0, side="right") if edges.size else None
    p = q0  # copied before it first changes
    active = None  # None: every point with f(q0) != 0 (the first sweep)
    for _sweep in range(2 * len(segments) + 1):
        if active is not None and active.size == 0:
            break
        still = []
        for k, (lo, hi, kind) in enumerate(segments):
            for direction in (True, False):
                sel = None  # every point, in order: views instead of copies
                if active is None:
                    mask = up if direction else ~up & ~at_q0
                    if piece is not None:
                        mask = mask & (piece == k)
                    if np.count_nonzero(mask) < n:
                        sel = np.flatnonzero(mask)
                else:
                    sel = active[(up[active] == direction) & (piece is None or piece[active] == k)]
                if sel is not None and sel.size == 0:
                    continue
                at = slice(None) if sel is None else sel
                known = (f0[at], fp0[at])
                if p is not q0:  # (a point may move on to the next piece within a sweep)
                    moved = p[at] != q0[at]
                    known = tuple(np.where(moved, np.nan, x) for x in known)
                root, check, failed = _root_in_piece(a[at], s[at], p[at], known, lo, hi, kind,
                                                     direction, act, lim, tol,
                                                     max_iter)  # fmt: skip
                checked[:, at] = check
                miss = np.isnan(root) & ~failed  # not converged stays NaN (reported)
                miss = np.flatnonzero(miss) if sel is None else sel[miss]
                if q is None:
                    q = root if sel is None else np.full(n, np.nan)  # (root is a fresh array)
                if q is not root:
                    q[at] = root
                if direction and np.isinf(hi):
                    q[miss] = np.inf
                    continue
                if not direction and lo == 0.0:
                    continue  # f < 0 down to 0 and f(0) > 0 is impossible: NaN (reported)
                edge = hi if direction else lo
                fe, _ = _residual(np.full(miss.shape, edge), a[miss], s[miss], act)
                q[miss[fe == 0]] = edge
                same = miss[(fe > 0) == direction]  # no root crossed: go on
                if p is q0:
                    p = q0.copy()
                p[same] = edge
                piece[same] += 1 if direction else -1
                still.append(same)
        active = np.concatenate(still) if still else np.array([], dtype=np.intp)
    return np.full(n, np.nan) if q is None else q


def _root_in_piece(a, s, p, known, lo, hi, kind, up, act, lim, tol, max_iter):
    """The first root of f from p (f(p) > 0 if ``up``, < 0 otherwise) within [lo, hi],
    where f is ``kind`` (convex or concave); NaN where there is none in the piece.
    ``known``: (f, f') at p where already evaluated (else NaN). Returns the roots (a
    fresh array), (|f|/q, V') at them where Newton evaluated these, and where Newton did
    not converge.

    Newton from the side where it is monotone (the tangent does not cross the root):
    concave f from the right of the root, convex f from the left. Starting there:

    * concave, up: from a point h <= hi with f(h) < 0 (hi itself, or for hi = inf a bound
      above the root); none if f(hi) >= 0;
    * concave, down: from p; none if f'(p) >= 0 or the iterates leave the piece;
    * convex, up: from p; none if f' >= 0 on the way or the iterates leave the piece;
    * convex, down: from lo; none if f(lo) < 0.
    """
    n = a.size
    fixed, value = None, np.nan  # where the root is known without Newton, and its value
    fp_p = known[1]
    if kind == "concave" and not up and np.any(np.isnan(fp_p)):
        miss = np.isnan(fp_p)
        fp_p = fp_p.copy()
        fp_p[miss] = _residual(p[miss], a[miss], s[miss], act)[1]
    if kind == "concave" and up:
        if np.isfinite(hi):
            fh, _ = _residual(np.full(n, hi), a, s, act)
            start = np.where(fh < 0, hi, np.nan)
            fixed, value = fh == 0, hi
        else:
            start = np.full(n, np.nan)
            finite = np.flatnonzero(a * lim["slope_inf"] < 1.0)  # else f' >= 0 for ever
            start[finite] = _upper_start(a[finite], s[finite], p[finite], act, lim)
    elif kind == "concave":
        start = np.where(fp_p < 0, p, np.nan)
        if lo == 0.0 and lim["m2_0"] == 0:  # f(0) = 0: root 0 unless f rises first
            fixed, value = s == 0, 0.0
            if np.any(fixed):
                at = np.flatnonzero(fixed)
                fixed[at] = a[at] * lim["slope_0"] <= 1.0
                start[fixed] = np.nan
    elif up:
        start = p.copy()
    else:
        fl, _ = _residual(np.full(n, lo), a, s, act)
        start = np.where(fl > 0, lo, np.nan)
        fixed, value = fl == 0, lo
    go = np.isfinite(start)
    count = np.count_nonzero(go)
    # (f, f') at the starts from ``known`` if it has them for every start
    reuse = not np.any(go & ((start != p) | np.isnan(known[0]) | np.isnan(known[1])))
    if 4 * count >= 3 * n:  # (nearly) all: Newton skips the NaN starts, no copies
        root, check, failed = _newton(a, s, start, act, tol, max_iter, lo, hi,
                                      known if reuse else None)  # fmt: skip
    else:
        root = np.full(n, np.nan)
        check = np.full((2, n), np.nan)
        failed = np.zeros(n, dtype=bool)
        if count:
            run = np.flatnonzero(go)
            first = (known[0][run], known[1][run]) if reuse else None
            root[run], check[:, run], failed[run] = _newton(a[run], s[run], start[run], act,
                                                            tol, max_iter, lo, hi,
                                                            first)  # fmt: skip
    if fixed is not None:
        root[fixed] = value  # (no Newton there: its start was NaN, or f(start) = 0)
    return root, check, failed


def _upper_start(a, s, q0, act, lim):
    """A point at or above the fixed point of V on its last (concave) piece, given one
    exists (a lim E[phi^2]/q < 1): there V(q) <= q."""
    if np.isfinite(lim["m2_inf"]):  # V <= a sup E[phi^2] + s
        return np.maximum(a * lim["m2_inf"] + s + 1.0, q0)
    # concave: V lies below its tangent at x, which meets the diagonal at `cross`
    x = np.maximum(q0, 1.0)
    out = np.full(a.shape, np.nan)
    todo = np.arange(a.size)
    for _ in range(40):
        m2, slope = _fast_moments(x[todo], act, (0, 2))
        aa, sa = a[todo], s[todo]
        denom = 1.0 - aa * slope
        with np.errstate(divide="ignore", invalid="ignore"):
            cross = (aa * (m2 - slope * x[todo]) + sa) / denom
        ok = denom > 0
        out[todo[ok]] = np.maximum(cross[ok], x[todo][ok])
        x[todo] *= 16.0
        todo = todo[~ok]
        if todo.size == 0:
            break
    return out


def _newton(a, s, q, act, tol, max_iter, lo=0.0, hi=np.inf, first=None):
    """Newton on f = V(q) - q from q; NaN where the iterates leave [lo, hi], where f' >= 0
    with f > 0 (no root ahead on a convex piece) or where not converged.

    Returns the last iterate at which f was evaluated once the step from it is below
    ``tol`` (relative), so its residual is known: (roots, (|f|/q, V') there, not
    converged). NaN in q: no root sought there (NaN, not failed). ``first``: (f, f') at
    every finite q, if known. Every point is independent of the others: they are solved
    in blocks of _BLOCK points that share one work space (cache-sized, so that no step
    allocates and touches fresh memory).
    """
    q = np.asarray(q, dtype=float)
    n = q.size
    out = np.full(n, np.nan)
    check = np.full((2, n), np.nan)
    failed = np.zeros(n, dtype=bool)
    # V(q) - q is known to rounding and, for tabulated moments, to the table's error
    closed = _closed_moments(act, np.ones(1)) is not None
    rel = 8.0 * np.finfo(float).eps + (0.0 if closed else 2.0 * _table(act.name).max_rel_error)
    ws = np.empty((6, min(n, _BLOCK)))
    for b in range(0, n, _BLOCK):
        blk = slice(b, b + _BLOCK)
        known = None if first is None else (first[0][blk], first[1][blk])
        _newton_block(a[blk], s[blk], q[blk], act, tol, max_iter, lo, hi, known, rel, ws,
                      (out[blk], check[:, blk], failed[blk]))  # fmt: skip
    if np.any(failed):
        warnings.warn(
            f"q_star ({act.name}): Newton not converged in {max_iter} steps at "
            f"{np.count_nonzero(failed)} point(s); NaN there",
            ConvergenceWarning,
            stacklevel=4,
        )
    return out, check, failed


def _newton_block(a, s, q, act, tol, max_iter, lo, hi, first, rel, ws, result):
    """:func:`_newton` on one block, into ``result`` = (out, check, failed) (views)."""
    out, check, failed = result
    # the points still iterating, compacted only when a quarter of them has finished (a
    # finished point keeps its last q and is ignored until then: cheaper than re-indexing)
    n = q.size
    ids, qa, aa, sa = np.arange(n), ws[5, :n], a, s
    np.copyto(qa, q)
    live = np.isfinite(qa)
    if not live.all():
        qa[~live] = 1.0  # a placeholder, never iterated (dropped at the first compaction)
    for it in range(max_iter):
        if ids.size == 0:
            break
        m = qa.size
        if it == 0 and first is not None:
            f, fp = first
        else:
            f, fp = _residual(qa, aa, sa, act, (ws[3, :m], ws[4, :m]))
        # in place, in the work space: noise = rel (|f + q - s| + s + q), the Newton step
        # -f / f' (kept as ratio = f / f'), new = max(q - ratio, 0)
        work, ratio, new = ws[0, :m], ws[1, :m], ws[2, :m]
        np.add(f, qa, out=work)
        work -= sa
        np.abs(work, out=work)
        work += sa
        work += qa
        work *= rel
        np.abs(f, out=ratio)
        hit = ratio <= work
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(f, fp, out=ratio)
        finite = np.isfinite(ratio)
        bad_step = None if finite.all() else ~finite
        if bad_step is not None:
            ratio[bad_step] = 0.0  # (such points are done below either way)
        np.subtract(qa, ratio, out=new)
        np.maximum(new, 0.0, out=new)
        # leaving the piece (beyond rounding) or stuck: no root here (unless hit)
        gone = (f > 0) & (fp >= 0)
        if bad_step is not None:
            gone |= bad_step
        if lo > 0:
            gone |= new < lo * (1 - 1e-12)
        if np.isfinite(hi):
            gone |= new > hi * (1 + 1e-12)
        np.abs(ratio, out=ratio)
        np.multiply(new, tol, out=work)
        done = ratio <= work
        done |= hit
        done |= gone
        done &= live
        if np.any(done):
            sel = ids[done]
            out[sel] = np.where(gone[done] & ~hit[done], np.nan, qa[done])
            with np.errstate(divide="ignore", invalid="ignore"):
                check[:, sel] = np.abs(f[done]) / qa[done], fp[done] + 1.0
            live ^= done  # (done is within live)
        np.copyto(qa, new, where=live)
        if (ids.size - np.count_nonzero(live)) * 4 >= ids.size:
            ids, qa, aa, sa, live = ids[live], qa[live], aa[live], sa[live], live[live]
    failed[ids[live]] = True


def _iterate(a, s, q, act, tol, max_iter):
    """q^{l+1} = V(q^l) until it settles, then Newton from there (V not monotone)."""
    q = np.array(q, dtype=float)
    out = np.full(q.shape, np.nan)
    active = np.arange(q.size)
    for _ in range(100 * max_iter):
        if active.size == 0:
            break
        qa, aa, sa = q[active], a[active], s[active]
        (m2,) = _fast_moments(qa, act, (0,))
        new = aa * m2 + sa
        diverged = (new > 1e30) & (new > qa)  # taken as divergence
        settled = np.abs(new - qa) <= 1e-6 * np.maximum(new, 1e-300)
        out[active[diverged]] = np.inf
        out[active[new == 0]] = 0.0
        polish = settled & ~diverged & (new > 0)
        if np.any(polish):
            sel = active[polish]
            out[sel] = _newton(a[sel], s[sel], new[polish], act, tol, max_iter)[0]
            # Newton must stay where the iteration was heading (within its contraction)
            far = np.abs(out[sel] - new[polish]) > 1e-4 * new[polish]
            out[sel[far]] = np.nan
        q[active] = new
        active = active[~(diverged | polish | (new == 0))]
    return out


def _verify_q_star(q, a, s, act, lim, checked=None):
    """NaN (with a warning) where q is not a fixed point that is stable for the iteration.

    ``checked``: (|V(q) - q|/q, V'(q)) where already evaluated at this very q (else NaN);
    filled in here. q and ``checked`` are the solver's own arrays, changed in place.
    """
    bad = np.isnan(q)
    pos = np.isfinite(q) & (q > 0)
    if checked is None:
        checked = np.full((2, q.size), np.nan)
    resid, vslope = checked  # (only read where pos)
    todo = np.flatnonzero(pos & np.isnan(resid))
    if todo.size:
        m2, slope = _fast_moments(q[todo], act, (0, 2))
        resid[todo] = np.abs(a[todo] * m2 + s[todo] - q[todo]) / q[todo]
        vslope[todo] = a[todo] * slope
    bad |= pos & ~((resid <= 1e-12) & (vslope <= 1.0 + 1e-9))
    zero = np.flatnonzero(q == 0)
    if zero.size:
        bad[zero] |= (s[zero] > 0) | (lim["m2_0"] != 0) | (a[zero] * lim["slope_0"] > 1.0 + 1e-9)
    if np.any(bad):
        warnings.warn(
            f"q_star ({act.name}): {int(bad.sum())} point(s) not converged to a stable fixed "
            "point; NaN there",
            ConvergenceWarning,
            stacklevel=3,
        )
        q[bad] = np.nan
    return q


def _q_or_q_star(q, sw, sb, activation, rho):
    """The given q (validated), or q* from the default start."""
    if q is None:
        return np.asarray(q_star(sw, sb, activation, rho), dtype=float)
    return _check_q(q)


def chi1(sigma_w, sigma_b, activation="tanh", rho=1.0, q=None):
    """chi_1 = sigma_w^2 E[phi'(sqrt(q) z)^2] at ``q`` (default q*): slope of the C-map at c = 1.

    At ``q = inf`` the limit ``sigma_w^2 (phi'(+inf)^2 + phi'(-inf)^2)/2`` (relu: sigma_w^2/2).
    """
    sw, sb, rho = _check_sigmas(sigma_w, sigma_b, rho)
    qs = _q_or_q_star(q, sw, sb, activation, rho)
    sw, qs = np.broadcast_arrays(sw, qs)
    (d2,) = _fast_moments(qs, _acts.get(activation), (1,))
    return _out(sw**2 * d2)


def chi_q(sigma_w, sigma_b, activation="tanh", rho=1.0, q=None):
    """Slope of the length map at ``q`` (default q*): sigma_w^2/rho E[phi'^2 + phi phi'']."""
    sw, sb, rho = np.broadcast_arrays(*_check_sigmas(sigma_w, sigma_b, rho))
    qs = _q_or_q_star(q, sw, sb, activation, rho)
    sw, rho, qs = np.broadcast_arrays(sw, rho, qs)
    (slope,) = _fast_moments(qs, _acts.get(activation), (2,))
    return _out(sw**2 / rho * slope)


# ----------------------------------------------------------------------- the C-map


def _inner_closed(name, which, m, s):
    """E_w[g(m + s w)], w ~ N(0, 1), g = phi (which=0) or phi' (which=1), closed form."""
    if name == "selu":
        lam, alpha = _acts.SELU_SCALE, _acts.SELU_ALPHA
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            r = m / s
            p_pos = _cdf(r)
            exp_neg = np.exp(m + 0.5 * s * s) * _cdf(-r - s)  # E[e^v; v < 0]
            exp_neg = np.where(s > 0, exp_neg, np.exp(np.minimum(m, 0)) * (m < 0))
            p_pos = np.where(s > 0, p_pos, (m > 0).astype(float))
            lin_pos = np.where(s > 0, m * p_pos + s * _pdf(r), np.maximum(m, 0))
        if which == 0:
            return lam * (lin_pos + alpha * (exp_neg - (1.0 - p_pos)))
        return lam * (p_pos + alpha * exp_neg)
    if name == "hard_tanh":
        with np.errstate(divide="ignore", invalid="ignore"):
            a, b = (-1.0 - m) / s, (1.0 - m) / s
            pa, pb = _cdf(a), _cdf(b)
            if which == 1:
                out = pb - pa
                return np.where(s > 0, out, (np.abs(m) < 1).astype(float))
            out = m * (pb - pa) + s * (_pdf(a) - _pdf(b)) + (1.0 - pb) - pa
        return np.where(s > 0, out, np.clip(m, -1.0, 1.0))
    return None


# Smooth asymptotes with closed Gaussian averages: g = asym + loc, loc localised near 0.
def _erf_step(kappa):
    def asym(v):
        return special.erf(kappa * v)

    def mean(m, s):
        return special.erf(kappa * m / np.sqrt(1.0 + 2.0 * kappa**2 * s * s))

    return asym, mean


def _smooth_relu(kappa):
    """v Phi(kappa v) + pdf(kappa v)/kappa and its Gaussian average (Stein's lemma)."""

    def asym(v):
        return v * _cdf(kappa * v) + _pdf(kappa * v) / kappa

    def mean(m, s):
        r = np.sqrt(1.0 + kappa**2 * s * s)
        x = kappa * m / r
        return m * _cdf(x) + s * s * kappa * _pdf(x) / r + _pdf(x) / (kappa * r)

    return asym, mean


def _cdf_step(kappa):
    def asym(v):
        return _cdf(kappa * v)

    def mean(m, s):
        return _cdf(kappa * m / np.sqrt(1.0 + kappa**2 * s * s))

    return asym, mean


#: zero asymptote: the function itself is localised near 0
_LOCALISED = (lambda v: 0.0 * v, lambda m, s: 0.0 * m)

_ASYMPTOTES = {
    # (phi asymptote, phi' asymptote); sigmoid goes through tanh, the rest have closed forms
    "tanh": (_erf_step(np.sqrt(np.pi) / 2.0), _LOCALISED),
    "softplus": (_smooth_relu(1.0), _cdf_step(1.0)),
    "swish": (_smooth_relu(0.6), _cdf_step(0.6)),
    "silu": (_smooth_relu(0.6), _cdf_step(0.6)),
    "gelu": (_smooth_relu(1.0), _cdf_step(1.0)),
}


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
    if np.any(big):
        mb, sb = m[big], s[big]
        if act.name not in _ASYMPTOTES:
            raise NotImplementedError(f"no C-map asymptote registered for {act.name!r}")
        fa, fmean = _ASYMPTOTES[act.name][which]
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


def _kernel(c, q1, activation, which, q2=None):
    """E[g(u1) g(u2)], g = phi (which=0) or phi' (which=1), for centred Gaussian (u1, u2)
    with variances q1, q2 (default q2 = q1) and correlation c (finite q1, q2 >= 0).

    ``u1 = sqrt(q1) z1``, ``u2 = sqrt(q2) (c z1 + sqrt(1 - c^2) z2)``: the outer average
    over z1 uses the 1-D rule (at the larger variance for smooth phi, so the inner
    average's transition in z1 is resolved too), the inner one over z2 is done in closed
    form, by Gauss-Hermite, or by subtracting a smooth asymptote (see _inner_smooth).
    """
    act = _acts.get(activation)
    name = act.name
    q2 = q1 if q2 is None else q2
    c, q1, q2 = np.broadcast_arrays(*(np.asarray(x, float) for x in (c, q1, q2)))
    if name == "sigmoid":  # sigmoid(v) = (1 + tanh(v/2))/2, sigmoid' = tanh'(v/2)/4
        if which == 0:  # E[tanh] = 0 by symmetry
            return 0.25 + 0.25 * _kernel(c, q1 / 4.0, "tanh", 0, q2 / 4.0)
        return _kernel(c, q1 / 4.0, "tanh", 1, q2 / 4.0) / 16.0
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
        inner = _inner_closed(name, which, m, s)
        if inner is None:
            inner = _inner_smooth(act, which, m, s)
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


def _slopes(act):
    """(p+, p-): the slopes of a homogeneous phi on the two sides of 0."""
    if act.family == "relu":
        return 1.0, 0.0
    if act.family == "leaky_relu":
        return 1.0, act.param
    if act.family == "abs":
        return 1.0, -1.0
    return 1.0, 1.0  # linear


def _closed_kernel(activation, which, c, q1, q2=None):
    """Closed-form E[g(u1) g(u2)] (see :func:`_kernel`), or None."""
    act = _acts.get(activation)
    q2 = q1 if q2 is None else q2
    if act.homogeneous:
        k = _leaky_kernel(c, _slopes(act), which)
        return np.sqrt(q1 * q2) * k if which == 0 else k + 0.0 * (q1 + q2)
    if act.family == "erf":
        with np.errstate(invalid="ignore"):
            q12 = np.clip(c, -1.0, 1.0) * np.sqrt(q1 * q2)
            if which == 0:
                return (2.0 / np.pi) * np.arcsin(2.0 * q12 / np.sqrt((1 + 2 * q1) * (1 + 2 * q2)))
            return (4.0 / np.pi) / np.sqrt((1.0 + 2.0 * q1) * (1.0 + 2.0 * q2) - 4.0 * q12 * q12)
    return None


def _limit_slopes(act, q, sb):
    """Slopes (p+, p-) of the homogeneous phi that the C-map at ``q`` reduces to, per point:
    the slopes at 0 where q = 0 and V(0) = 0 (phi ~ phi'(0+-) u), those at infinity where
    q = inf and phi is unbounded (phi ~ p+- u); NaN elsewhere (no limit needed or none)."""
    lim = _limits(act.name)
    p = np.full(np.shape(q) + (2,), np.nan)
    if act.homogeneous:
        p[...] = _slopes(act)
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
    zero_over_zero = (q == 0) & (sb == 0) & ((_limits(act.name)["m2_0"] == 0) | (sw == 0))
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
    c = np.asarray(c, dtype=float)
    if np.any(np.abs(c) > 1):
        raise ValueError("c must lie in [-1, 1]")
    qs = _q_or_q_star(q, sw, sb, activation, rho)
    c, sw, sb, rho, qs = np.broadcast_arrays(c, sw, sb, rho, qs)
    return _out(_normalised_map(c, sw, sb, rho, qs, _acts.get(activation), 0))


def chi_c(c, sigma_w, sigma_b, activation="tanh", rho=1.0, q=None):
    """Slope dC/dc of the C-map at c and length ``q`` (default q*).

    ``sigma_w^2 q E[phi'(u1) phi'(u2)] / V(q)``; at a fixed point q/V(q) = 1 and at c = 1
    without dropout this is chi_1. Limits at q = 0, inf as in :func:`c_map`.
    """
    sw, sb, rho = _check_sigmas(sigma_w, sigma_b, rho)
    c = np.asarray(c, dtype=float)
    qs = _q_or_q_star(q, sw, sb, activation, rho)
    c, sw, sb, rho, qs = np.broadcast_arrays(c, sw, sb, rho, qs)
    return _out(_normalised_map(c, sw, sb, rho, qs, _acts.get(activation), 1))


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
    qs = _q_or_q_star(q, sw, sb, activation, rho)
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


def depth_scales(sigma_w, sigma_b, activation="tanh", rho=1.0, q=None):
    """Depth scales of Schoenholz et al. (2017) as a dict of floats/arrays.

    ``xi_q = -1/log chi_q``, ``xi_c = -1/log chi_c(c*)`` (correlation; chi_c(c*) = chi_1 in
    the ordered phase), ``xi_grad = -1/log chi_1`` (gradients; negative in the chaotic
    phase, where gradients grow), all at ``q`` (default q*, solved once). Also returns
    q_star, c_star, chi1, chi_c, chi_q.
    """
    sw, sb, rho = np.broadcast_arrays(*_check_sigmas(sigma_w, sigma_b, rho))
    qs = _q_or_q_star(q, sw, sb, activation, rho)
    cs = np.asarray(c_star(sw, sb, activation, rho, q=qs), dtype=float)
    slope_c = np.asarray(chi_c(np.nan_to_num(cs, nan=0.0), sw, sb, activation, rho, q=qs))
    slope_c = np.where(np.isnan(cs), np.nan, slope_c)
    x1 = np.asarray(chi1(sw, sb, activation, rho, q=qs), dtype=float)
    xq = np.asarray(chi_q(sw, sb, activation, rho, q=qs), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "xi_q": -1.0 / np.log(xq),
            "xi_c": -1.0 / np.log(slope_c),
            "xi_grad": -1.0 / np.log(x1),
            "q_star": qs,
            "c_star": cs,
            "chi1": x1,
            "chi_c": slope_c,
            "chi_q": xq,
        }
    return {k: _out(v) for k, v in out.items()}


# ------------------------------------------------------- two-input kernel (NNGP)


def input_kernel(x1, x2, sigma_w, sigma_b):
    """(q1, q2, q12) of the first layer for inputs x1, x2 (last axis: the d features).

    ``q_ab = sigma_w^2 x_a . x_b / d + sigma_b^2``, as neural-tangents' ``Dense``
    (W ~ N(0, sigma_w^2 / d)). Broadcasts over the leading axes.
    """
    sw, sb, _ = _check_sigmas(sigma_w, sigma_b)
    x1, x2 = np.asarray(x1, dtype=float), np.asarray(x2, dtype=float)
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
    q12 = np.asarray(q12, dtype=float)
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
    depth = int(depth)
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    state = tuple(np.asarray(x, dtype=float) for x in (q1, q2, q12))
    state = np.broadcast_arrays(*state)
    layers = [state]
    for _ in range(depth):
        state = tuple(np.asarray(x, float)
                      for x in kernel_map(*state, sigma_w, sigma_b, activation, rho))  # fmt: skip
        layers.append(state)
    return tuple(_out(np.stack([layer[i] for layer in layers])) for i in range(3))


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
    sb = np.asarray(sigma_b, dtype=float)
    if np.any(sb < 0):
        raise ValueError("sigma_b must be >= 0")

    def excess(log_sw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return np.asarray(chi1(np.exp(log_sw), sb, activation), float) - 1.0

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
        qs = np.asarray(q_star(sw, sb, activation), float)
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
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance must be in (0, 1), got {tolerance}")
    if int(max_depth) < 1:
        raise ValueError(f"max_depth must be >= 1, got {max_depth}")
    q0, sw, sb = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (q0, sigma_w, sigma_b)))
    if np.any(q0 < 0):
        raise ValueError("q0 must be >= 0")
    if q is None:
        qs = np.asarray(q_star(sw, sb, activation, q0=q0), dtype=float)
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
        q[active] = q_map(q[active], sw[active], sb[active], activation)
    return depth if depth.ndim else int(depth)
