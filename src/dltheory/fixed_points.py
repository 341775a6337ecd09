r"""Fixed point q* of the length map and the slopes chi_1, chi_q at it.

``V(q) = sigma_w^2 / rho E[phi(sqrt(q) z)^2] + sigma_b^2``; q* is the fixed point the
iteration ``q^{l+1} = V(q^l)`` reaches from ``q0`` (see :func:`q_star`), found by
vectorised, safeguarded Newton iterations on the pieces where V is convex or concave,
and checked before it is returned. Re-exported by :mod:`dltheory.meanfield`.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import activations as _acts
from .quadrature import (
    _BLOCK,
    _check_q,
    _check_sigmas,
    _closed_moments,
    _fast_moments,
    _limits,
    _moments,
    _out,
    _segments,
    _table,
)

__all__ = ["ConvergenceWarning", "chi1", "chi_q", "q_map", "q_star"]


def q_map(q, sigma_w, sigma_b, activation="tanh", rho=1.0):
    """Length map V(q) = sigma_w^2/rho E[phi(sqrt(q) z)^2] + sigma_b^2 (broadcasts).

    By quadrature or closed form at every q >= 0. ``q = inf`` gives the limit
    ``sigma_w^2/rho (phi(+inf)^2 + phi(-inf)^2)/2 + sigma_b^2``: finite for bounded phi,
    ``inf`` otherwise (``sigma_b^2`` if ``sigma_w = 0``); NaN gives NaN.
    """
    sw, sb, rho = _check_sigmas(sigma_w, sigma_b, rho)
    q = _check_q(q)
    q, sw, sb, rho = np.broadcast_arrays(q, sw, sb, rho)
    m2, _, _ = _moments(q, _acts.get(activation))
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
    with np.errstate(over="ignore"):  # an overflowing start is refused below
        a, s = np.square(sw), np.square(sb)
    start = a + s if q0 is None else _check_q(q0, "q0")
    if not np.all(np.isfinite(start)):
        if q0 is None:
            bad = ~np.isfinite(np.broadcast_to(start, np.broadcast(sw, sb).shape))
            w, b = (np.broadcast_to(x, bad.shape)[bad].ravel()[0] for x in (sw, sb))
            raise ValueError(
                "the default start q0 = sigma_w^2 + sigma_b^2 overflows at "
                f"sigma_w = {float(w)!r}, sigma_b = {float(b)!r}: q* needs sigma_w and "
                "sigma_b below about 1e154"
            )
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
        gain = act.gain * a
        # sigma_w = sqrt(2) squares to 2 + 4e-16: count rounding-level excess as critical
        gain = np.where(np.abs(gain - 1.0) <= 1e-12, 1.0, gain)
        with np.errstate(divide="ignore", invalid="ignore"):
            qs = np.where(gain < 1.0, s / (1.0 - gain), np.inf)
        qs = np.where((gain == 1.0) & (s == 0), q0, qs)
        return np.where((gain > 1.0) & (s == 0) & (q0 == 0), 0.0, qs)
    lim = _limits(act)
    segments = _segments(act)
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
    table = None if _closed_moments(act, np.ones(1)) is not None else _table(act)
    rel = 8.0 * np.finfo(float).eps + (0.0 if table is None else 2.0 * table.max_rel_error)
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


def _q_or_q_star(q, sw, sb, act, rho):
    """The given q (validated), or q* from the default start."""
    if q is None:
        return np.asarray(q_star(sw, sb, act, rho), dtype=float)
    return _check_q(q)


def chi1(sigma_w, sigma_b, activation="tanh", rho=1.0, q=None):
    """chi_1 = sigma_w^2 E[phi'(sqrt(q) z)^2] at ``q`` (default q*): slope of the C-map at c = 1.

    At ``q = inf`` the limit ``sigma_w^2 (phi'(+inf)^2 + phi'(-inf)^2)/2`` (relu: sigma_w^2/2).
    """
    sw, sb, rho = _check_sigmas(sigma_w, sigma_b, rho)
    act = _acts.get(activation)
    qs = _q_or_q_star(q, sw, sb, act, rho)
    sw, qs = np.broadcast_arrays(sw, qs)
    (d2,) = _fast_moments(qs, act, (1,))
    return _out(sw**2 * d2)


def chi_q(sigma_w, sigma_b, activation="tanh", rho=1.0, q=None):
    """Slope of the length map at ``q`` (default q*): sigma_w^2/rho E[phi'^2 + phi phi'']."""
    sw, sb, rho = np.broadcast_arrays(*_check_sigmas(sigma_w, sigma_b, rho))
    act = _acts.get(activation)
    qs = _q_or_q_star(q, sw, sb, act, rho)
    sw, rho, qs = np.broadcast_arrays(sw, rho, qs)
    (slope,) = _fast_moments(qs, act, (2,))
    return _out(sw**2 / rho * slope)
