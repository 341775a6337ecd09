r"""Mean-field signal propagation (Poole et al. 2016, Schoenholz et al. 2017).

Notation of the problem sheets: ``W_ij ~ N(0, sigma_w^2 / N)``, ``b_i ~ N(0, sigma_b^2)``;
every function takes the standard deviations ``sigma_w`` and ``sigma_b`` and broadcasts
its array arguments like a ufunc (scalars in, float out). ``rho`` is the dropout keep
probability (1 = no dropout), applied to the activations of every layer.

Length map and its fixed point::

    V(q) = sigma_w^2 / rho * E_z[phi(sqrt(q) z)^2] + sigma_b^2,    q* = V(q*)

Correlation map at q = q* (``u1 = sqrt(q*) z1``, ``u2 = sqrt(q*) (c z1 + sqrt(1-c^2) z2)``)::

    C(c) = (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / V(q*)

normalised by ``V(q*)`` computed with the same rule, so that without dropout
``C(1) == 1`` exactly in floating point, and with dropout ``C(1) < 1``.

Slopes and depth scales (Schoenholz et al. 2017, eqs. 5, 9, 12)::

    chi_1  = sigma_w^2 E[phi'(u)^2]                       (slope of C at c = 1)
    chi_c* = sigma_w^2 E[phi'(u1) phi'(u2)] at c*          (slope of C at c*)
    chi_q  = sigma_w^2 / rho * E[phi'(u)^2 + phi(u) phi''(u)]   (slope of V at q*)
    xi_q = -1 / log chi_q,   xi_c = -1 / log chi_c*,   xi_grad = -1 / log chi_1

Numerics: closed forms where they exist (relu/leaky_relu/abs: arc-cosine kernels; erf:
arcsine kernel; linear; hard_tanh and selu per-piece Gaussian integrals); otherwise a
trapezoid rule on a sinh-mapped grid ``z = a sinh(t)`` with ``a = min(1, 1/sqrt(q))``,
which resolves the transition of ``phi(sqrt(q) z)`` at every q (tanh at q = 1000 is a
near step of width 1/30 in z) and converges exponentially for analytic phi. The
2-D C-map integral uses the same outer rule; the inner Gaussian average over z2 is done
by Gauss-Hermite when ``sigma = sqrt(q (1-c^2))`` is small and, when it is large, by
subtracting a smooth asymptote with a closed-form Gaussian average and integrating the
localised remainder. Fixed points by vectorised Newton iterations.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from scipy import special

from . import activations as _acts

__all__ = [
    "c_map",
    "c_star",
    "chi1",
    "chi_c",
    "chi_q",
    "critical_sigma_w",
    "depth_scales",
    "edge_of_chaos",
    "gaussian_expectation",
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

_LEAKY = _acts.LEAKY_SLOPE


def _closed_moments(name, q):
    """(E[phi^2], E[phi'^2], E[phi'^2 + phi phi'']) in closed form, or None."""
    if name == "relu":
        half = np.full(np.shape(q), 0.5)  # q-independent: also exact at q* = inf
        return q / 2.0, half, half.copy()
    if name == "leaky_relu":
        f = (1.0 + _LEAKY**2) / 2.0
        const = np.full(np.shape(q), f)
        return f * q, const, const.copy()
    if name in ("abs", "linear"):
        one = np.ones(np.shape(q))
        return q, one, one.copy()
    if name == "erf":
        m2 = 2.0 / np.pi * np.arcsin(2.0 * q / (1.0 + 2.0 * q))
        d2 = 4.0 / np.pi / np.sqrt(1.0 + 4.0 * q)
        # (1/2) d^2/dq^2-free form: dE[phi^2]/dq = 4 / (pi (1 + 2q) sqrt(1 + 4q))
        slope = 4.0 / (np.pi * (1.0 + 2.0 * q) * np.sqrt(1.0 + 4.0 * q))
        return m2, d2, slope
    if name == "hard_tanh":
        with np.errstate(divide="ignore"):
            k = 1.0 / np.sqrt(q)
        inside = special.erf(k / _SQRT2)
        edge = 2.0 * k * _pdf(k)
        m2 = q * (inside - edge) + (1.0 - inside)
        return m2, inside, inside - edge  # dE[phi^2]/dq = P(|u|<1) - 2 k pdf(k)
    return None


def _moments(q, activation):
    """E[phi^2], E[phi'^2] and dE[phi^2]/dq = E[phi'^2 + phi phi''] at u ~ N(0, q)."""
    act = _acts.get(activation)
    q = np.asarray(q, dtype=float)
    closed = _closed_moments(act.name, q)
    if closed is not None:
        return tuple(np.broadcast_to(c, q.shape).astype(float) for c in closed)
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


def _check_sigmas(sigma_w, sigma_b, rho=1.0):
    sw, sb, rho = (np.asarray(x, dtype=float) for x in (sigma_w, sigma_b, rho))
    if np.any(sw < 0) or np.any(~np.isfinite(sw)):
        raise ValueError("sigma_w must be finite and >= 0")
    if np.any(sb < 0) or np.any(~np.isfinite(sb)):
        raise ValueError("sigma_b must be finite and >= 0")
    if np.any(rho <= 0) or np.any(rho > 1):
        raise ValueError("rho (dropout keep probability) must be in (0, 1]")
    return sw, sb, rho


def q_map(q, sigma_w, sigma_b, activation="tanh", rho=1.0):
    """Length map V(q) = sigma_w^2/rho E[phi(sqrt(q) z)^2] + sigma_b^2 (broadcasts)."""
    sw, sb, rho = _check_sigmas(sigma_w, sigma_b, rho)
    q = np.asarray(q, dtype=float)
    if np.any(q < 0):
        raise ValueError("q must be >= 0")
    q, sw, sb, rho = np.broadcast_arrays(q, sw, sb, rho)
    m2, _, _ = _moments(q, activation)
    return _out(sw**2 / rho * m2 + sb**2)


# ----------------------------------------------------------------- fixed point q*

_RELU_GAIN = {"relu": 0.5, "leaky_relu": (1.0 + _LEAKY**2) / 2.0, "abs": 1.0, "linear": 1.0}


#: the last few q* results, keyed by the exact bytes of the arguments: chi1, chi_q,
#: c_map, c_star and depth_scales all start from q*, and a phase diagram asks for
#: several of them on the same grid, so each grid's Newton solve is done once
_Q_STAR_MEMO: dict = {}
_Q_STAR_MEMO_SIZE = 8


def q_star(sigma_w, sigma_b, activation="tanh", rho=1.0, tol=1e-14, max_iter=100):
    """Stable fixed point q* of the length map.

    Positively homogeneous activations (relu, leaky_relu, abs, linear) have
    ``V(q) = g sigma_w^2/rho q + sigma_b^2`` with gain g = 1/2, (1+a^2)/2, 1, 1, so
    ``q* = sigma_b^2 / (1 - g sigma_w^2/rho)`` if ``g sigma_w^2 < rho`` and ``inf``
    otherwise (the length grows without bound). With ``sigma_b = 0`` and ``phi(0) = 0``,
    q* = 0 whenever 0 is the stable fixed point (e.g. tanh with sigma_w <= 1); at
    exactly ``g sigma_w^2 = rho`` with sigma_b = 0 every q is fixed and 0 is returned.
    Otherwise Newton's method on V(q) - q from above (V is concave for bounded phi).
    """
    sw, sb, rho = _check_sigmas(sigma_w, sigma_b, rho)
    sw, sb, rho = np.broadcast_arrays(sw, sb, rho)
    name = _acts.get(activation).name
    key = (name, tol, max_iter, sw.shape, sw.tobytes(), sb.tobytes(), rho.tobytes())
    if key not in _Q_STAR_MEMO:
        if len(_Q_STAR_MEMO) >= _Q_STAR_MEMO_SIZE:
            del _Q_STAR_MEMO[next(iter(_Q_STAR_MEMO))]  # oldest first
        result = np.asarray(_q_star_solve(sw, sb, name, rho, tol, max_iter), dtype=float)
        result.setflags(write=False)
        _Q_STAR_MEMO[key] = result
    return _out(_Q_STAR_MEMO[key].copy())


def _q_star_solve(sw, sb, name, rho, tol, max_iter):
    """q* on broadcast arrays (see :func:`q_star`); ``name`` is a registry name."""
    if name in _RELU_GAIN:
        gain = _RELU_GAIN[name] * sw**2 / rho
        # sigma_w = sqrt(2) squares to 2 + 4e-16: count rounding-level excess as critical
        gain = np.where(np.abs(gain - 1.0) <= 1e-12, 1.0, gain)
        with np.errstate(divide="ignore", invalid="ignore"):
            qs = np.where(gain < 1.0, sb**2 / (1.0 - gain), np.inf)
        return np.where((sb == 0) & (gain <= 1.0), 0.0, qs)
    act = _acts.get(name)
    phi0, dphi0 = float(act.phi(np.array(0.0))), float(act.dphi(np.array(0.0)))
    # start above the fixed point: bounded phi -> V(q) <= sw^2/rho max phi^2 + sb^2
    q = np.where(np.isfinite(sw), 1.0 + sw**2 / rho * (1.0 + phi0**2) + sb**2, 1.0)
    if not act.bounded:
        q = np.maximum(q, 4.0 * sb**2 + 1.0)
    q = np.array(q, dtype=float).reshape(-1)
    swf, sbf, rhof = (np.ravel(x) for x in (sw, sb, rho))
    zero_stable = (sb == 0) & (phi0 == 0) & (sw**2 / rho * dphi0**2 <= 1.0)
    active = ~np.ravel(zero_stable)  # q* = 0 there: no iteration needed
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        qa, swa, sba, rhoa = q[idx], swf[idx], sbf[idx], rhof[idx]
        m2, _, slope = _moments(qa, name)
        f = swa**2 / rhoa * m2 + sba**2 - qa
        df = swa**2 / rhoa * slope - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(df < 0, -f / df, np.nan)
        # Newton from above on a concave map; fall back to a fixed-point step
        q_new = np.where(np.isfinite(step), qa + step, qa + f)
        q_new = np.where(q_new <= 0, 0.5 * qa, q_new)
        done = (np.abs(q_new - qa) <= tol * np.maximum(q_new, 1e-300)) | (q_new < 1e-280)
        q[idx] = q_new
        active[idx[done]] = False
    return np.where(zero_stable, 0.0, q.reshape(sw.shape))


def chi1(sigma_w, sigma_b, activation="tanh", rho=1.0):
    """chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]: slope of the C-map at c = 1."""
    qs = q_star(sigma_w, sigma_b, activation, rho)
    sw = np.broadcast_to(np.asarray(sigma_w, float), np.shape(qs))
    _, d2, _ = _moments(np.asarray(qs, dtype=float), activation)
    return _out(sw**2 * d2)


def chi_q(sigma_w, sigma_b, activation="tanh", rho=1.0):
    """Slope of the length map at q*: sigma_w^2/rho E[phi'^2 + phi phi'']."""
    sw, sb, rho = np.broadcast_arrays(*_check_sigmas(sigma_w, sigma_b, rho))
    qs = np.asarray(q_star(sw, sb, activation, rho), dtype=float)
    _, _, slope = _moments(qs, activation)
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
    "erf": (_erf_step(0.8), _LOCALISED),  # only used when checking the generic path
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
        # localised remainder on a sinh grid in v (scale 1), Gaussian weights N(mb, sb^2)
        t = _H * np.arange(-np.ceil(np.arcsinh(60.0) / _H), np.ceil(np.arcsinh(60.0) / _H) + 1)
        v = np.sinh(t)
        wt = _H * np.cosh(t)
        loc = g(v) - fa(v)
        dens = _pdf((v[None, :] - mb[:, None]) / sb[:, None]) / sb[:, None]
        out[big] = fmean(mb, sb) + (dens * (loc * wt)[None, :]).sum(axis=1)
    return out


def _kernel(c, q, activation, which):
    """E[g(u1) g(u2)] with g = phi (which=0) or phi' (which=1), corr c, variance q."""
    act = _acts.get(activation)
    name = act.name
    c, q = np.broadcast_arrays(np.asarray(c, float), np.asarray(q, float))
    if name == "sigmoid":  # sigmoid(v) = (1 + tanh(v/2))/2, sigmoid' = tanh'(v/2)/4
        if which == 0:  # E[tanh] = 0 by symmetry
            return 0.25 + 0.25 * _kernel(c, q / 4.0, "tanh", 0)
        return _kernel(c, q / 4.0, "tanh", 1) / 16.0
    closed = _closed_kernel(name, which, c, q)
    if closed is not None:
        return closed
    out = np.empty(c.shape)
    flat_c, flat_q, flat_out = c.ravel(), q.ravel(), out.reshape(-1)
    z_all, w_all = _rule(flat_q, act)
    n1 = z_all.shape[-1]
    step = max(1, _CHUNK // (n1 * 200))
    g = act.phi if which == 0 else act.dphi
    for start in range(0, flat_c.size, step):
        sl = slice(start, start + step)
        cc, qq = flat_c[sl, None], flat_q[sl, None]
        sq = np.sqrt(qq)
        z, w = z_all[sl], w_all[sl]
        m = sq * cc * z
        s = sq * np.sqrt(np.maximum(1.0 - cc * cc, 0.0)) + 0.0 * z
        inner = _inner_closed(name, which, m, s)
        if inner is None:
            inner = _inner_smooth(act, which, m, s)
        flat_out[sl] = np.sum(g(sq * z) * inner * w, axis=-1)
    return out


def _closed_kernel(name, which, c, q):
    with np.errstate(invalid="ignore"):
        cc = np.clip(c, -1.0, 1.0)
        root = np.sqrt(np.maximum(1.0 - cc * cc, 0.0))
        absk = (2.0 / np.pi) * (root + cc * np.arcsin(cc))  # E|z1||z2| / 1
    if name == "linear":
        return q * c if which == 0 else np.ones_like(c)
    if name == "abs":
        return q * absk if which == 0 else (2.0 / np.pi) * np.arcsin(cc)
    if name in ("relu", "leaky_relu"):
        a = 0.0 if name == "relu" else _LEAKY
        lin, mod = ((1.0 + a) / 2.0) ** 2, ((1.0 - a) / 2.0) ** 2
        if which == 0:
            return q * (lin * c + mod * absk)
        return lin + mod * (2.0 / np.pi) * np.arcsin(cc)
    if name == "erf":
        if which == 0:
            return (2.0 / np.pi) * np.arcsin(2.0 * q * cc / (1.0 + 2.0 * q))
        return (4.0 / np.pi) / np.sqrt((1.0 + 2.0 * q) ** 2 - (2.0 * q * cc) ** 2)
    return None


def c_map(c, sigma_w, sigma_b, activation="tanh", rho=1.0):
    """Correlation map C(c) at q = q* (broadcasts); C(1) == 1 exactly without dropout."""
    sw, sb, rho = _check_sigmas(sigma_w, sigma_b, rho)
    c = np.asarray(c, dtype=float)
    if np.any(np.abs(c) > 1):
        raise ValueError("c must lie in [-1, 1]")
    c, sw, sb, rho = np.broadcast_arrays(c, sw, sb, rho)
    qs = np.asarray(q_star(sw, sb, activation, rho), dtype=float)
    return _out(_c_map_at(c, sw, sb, rho, qs, activation))


def _kernel_with_diagonal(c, qs, activation, m2):
    """E[phi(u1) phi(u2)], taking the 1-D moment E[phi^2] itself where c == 1."""
    k = np.asarray(_kernel(c, qs, activation, 0), dtype=float)
    return np.where(c == 1.0, m2, k)


def _c_map_at(c, sw, sb, rho, qs, activation):
    m2 = _moments(qs, activation)[0]
    k = _kernel_with_diagonal(c, qs, activation, m2)
    # the denominator V(q*) uses the same m2, so without dropout C(1) == 1 exactly
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sw**2 * k + sb**2) / (sw**2 / rho * m2 + sb**2)


def chi_c(c, sigma_w, sigma_b, activation="tanh", rho=1.0):
    """Slope of the C-map at c: sigma_w^2 E[phi'(u1) phi'(u2)] (q* cancels), over V(q*)/q*."""
    sw, sb, rho = _check_sigmas(sigma_w, sigma_b, rho)
    c, sw, sb, rho = np.broadcast_arrays(np.asarray(c, float), sw, sb, rho)
    qs = np.asarray(q_star(sw, sb, activation, rho), dtype=float)
    return _out(_chi_c_at(c, sw, sb, rho, qs, activation))


def _chi_c_at(c, sw, sb, rho, qs, activation):
    m2, d2, _ = _moments(qs, activation)
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = qs / (sw**2 / rho * m2 + sb**2)  # 1 at the fixed point
    kd = np.where(c == 1.0, d2, _kernel(c, qs, activation, 1))
    return sw**2 * kd * norm


def c_star(sigma_w, sigma_b, activation="tanh", rho=1.0, tol=1e-14, max_iter=100):
    """Stable fixed point c* of the C-map.

    Without dropout c* = 1 in the ordered phase (chi_1 <= 1); in the chaotic phase the
    stable fixed point below 1, found by Newton's method from c = 0 (C is convex on
    [0, 1], so the iterates increase monotonically to c*). With dropout, c = 1 is not a
    fixed point and c* < 1 everywhere.
    """
    sw, sb, rho = np.broadcast_arrays(*_check_sigmas(sigma_w, sigma_b, rho))
    shape = sw.shape
    sw, sb, rho = (np.ravel(x) for x in (sw, sb, rho))
    qs = np.atleast_1d(np.asarray(q_star(sw, sb, activation, rho), dtype=float))
    ones = np.ones(sw.shape)
    slope1 = _chi_c_at(ones, sw, sb, rho, qs, activation)
    ordered = (rho == 1.0) & (slope1 <= 1.0)
    ordered |= ~np.isfinite(qs) | (qs == 0)
    c = np.zeros(sw.shape)
    active = ~ordered
    for _ in range(max_iter):
        if not np.any(active):
            break
        idx = np.nonzero(active)
        ca = c[idx]
        args = (sw[idx], sb[idx], rho[idx], qs[idx], activation)
        f = _c_map_at(ca, *args) - ca
        df = _chi_c_at(ca, *args) - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            new = ca - f / df
        new = np.where(np.isfinite(new), np.clip(new, ca, 1.0), ca)
        c[idx] = new
        done = np.abs(new - ca) <= tol * np.maximum(np.abs(new), 1e-300)
        sub = active[idx]
        sub[done] = False
        active[idx] = sub
    c = np.where(ordered, 1.0, c)
    return _out(c.reshape(shape))


def depth_scales(sigma_w, sigma_b, activation="tanh", rho=1.0):
    """Depth scales of Schoenholz et al. (2017) as a dict of floats/arrays.

    ``xi_q = -1/log chi_q`` (length), ``xi_c = -1/log chi_c(c*)`` (correlation; chi_c(c*)
    = chi_1 in the ordered phase), ``xi_grad = -1/log chi_1`` (gradients; negative in the
    chaotic phase, where gradients grow). Also returns q_star, c_star, chi1, chi_c, chi_q.
    """
    sw, sb, rho = np.broadcast_arrays(*_check_sigmas(sigma_w, sigma_b, rho))
    qs = q_star(sw, sb, activation, rho)
    cs = np.asarray(c_star(sw, sb, activation, rho), dtype=float)
    slope_c = _chi_c_at(cs, sw, sb, rho, np.asarray(qs, float), activation)
    x1 = np.asarray(chi1(sw, sb, activation, rho), dtype=float)
    xq = np.asarray(chi_q(sw, sb, activation, rho), dtype=float)
    with np.errstate(divide="ignore"):
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


# ----------------------------------------------------------------- edge of chaos


def edge_of_chaos(q_star, activation="tanh"):
    """(sigma_w, sigma_b) with chi_1 = 1 and fixed point ``q_star`` (vectorised).

    Explicit, no root finding: chi_1 = 1 gives sigma_w^2 = 1 / E[phi'(sqrt(q*) z)^2] and
    the fixed-point equation then gives sigma_b^2 = q* - sigma_w^2 E[phi^2]. Where that
    is negative no sigma_b >= 0 reaches this q* on the critical line: NaN is returned.
    """
    q = np.asarray(q_star, dtype=float)
    if np.any(q < 0):
        raise ValueError("q_star must be >= 0")
    m2, d2, _ = _moments(q, activation)
    sw2 = 1.0 / d2
    sb2 = q - sw2 * m2
    sb = np.where(sb2 >= -1e-14 * np.maximum(q, 1.0), np.sqrt(np.maximum(sb2, 0.0)), np.nan)
    return _out(np.sqrt(sw2)), _out(sb)


def critical_sigma_w(sigma_b, activation="tanh", lo=1e-3, hi=1e3, tol=1e-14):
    """sigma_w at which chi_1 = 1 for the given sigma_b (vectorised bisection in log sigma_w).

    chi_1 increases with sigma_w at fixed sigma_b for the activations here; NaN where
    no crossing lies in [lo, hi].
    """
    sb = np.asarray(sigma_b, dtype=float)
    if np.any(sb < 0):
        raise ValueError("sigma_b must be >= 0")
    a = np.full(sb.shape, np.log(lo))
    b = np.full(sb.shape, np.log(hi))
    fa = np.asarray(chi1(np.exp(a), sb, activation), float) - 1.0
    fb = np.asarray(chi1(np.exp(b), sb, activation), float) - 1.0
    ok = (fa < 0) & (fb > 0)
    for _ in range(200):
        mid = 0.5 * (a + b)
        fm = np.asarray(chi1(np.exp(mid), sb, activation), float) - 1.0
        a = np.where(fm < 0, mid, a)
        b = np.where(fm < 0, b, mid)
        if np.all(b - a <= tol):
            break
    return _out(np.where(ok, np.exp(0.5 * (a + b)), np.nan))


# ------------------------------------------------------------------ convergence depth


def convergence_depth(q0, sigma_w, sigma_b, activation="tanh", tolerance=0.01, max_depth=100):
    """Layers l until the length map from ``q0`` satisfies |q^l - q*| <= tolerance * q*.

    Iterates q^{l} = V(q^{l-1}) on all points at once (only unconverged ones are updated).
    Returns an integer array; points not converged within ``max_depth`` get ``max_depth + 1``
    (read: "more than max_depth"). q^0 itself counts as depth 0.
    """
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance must be in (0, 1), got {tolerance}")
    if int(max_depth) < 1:
        raise ValueError(f"max_depth must be >= 1, got {max_depth}")
    q0, sw, sb = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (q0, sigma_w, sigma_b)))
    if np.any(q0 < 0):
        raise ValueError("q0 must be >= 0")
    qs = np.asarray(q_star(sw, sb, activation), dtype=float)
    q = q0.astype(float).copy()
    depth = np.full(q.shape, int(max_depth) + 1, dtype=np.int64)
    active = np.ones(q.shape, dtype=bool)
    for layer in range(int(max_depth) + 1):
        ok = active & (np.abs(q - qs) <= tolerance * qs)
        depth[ok] = layer
        active &= ~ok
        if not active.any() or layer == int(max_depth):
            break
        q[active] = q_map(q[active], sw[active], sb[active], activation)
    return depth if depth.ndim else int(depth)
