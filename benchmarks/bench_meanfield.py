"""Mean-field grids: the vectorised engine against per-point scipy quad + root finding.

Both are timed in this run. The baseline is the approach the problem sheet hints at
(``scipy.integrate.quad`` for the Gaussian integral, ``brentq`` for the fixed point, tight
tolerances), timed on a random sample of grid points and extrapolated to the grid. The
accuracy of both is measured against mpmath on a few of the sampled points. The engine
times ``q_star`` then ``chi1`` as a user drawing both phase diagrams would call them;
``chi1`` finds the grid's q* in the engine's memo instead of solving again (the baseline
reuses its q* as well).

Usage: python benchmarks/bench_meanfield.py [--n 401] [--sample 40] [--cn 101]
"""

from __future__ import annotations

import argparse
import time
import warnings

import mpmath as mp
import numpy as np
from scipy import integrate, optimize

from dltheory import meanfield as mf

QUAD = dict(epsabs=1e-14, epsrel=1e-13, limit=400)
# the baseline asks quad for near machine precision, which it reports as round-off; its
# actual error is measured against mpmath and printed, so the warnings add nothing
warnings.filterwarnings("ignore", category=integrate.IntegrationWarning)


def gauss_quad(f, q):
    s = np.sqrt(q)
    g = lambda z: f(s * z) * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)  # noqa: E731
    lim = 12.0
    pts = [-1 / s, 0.0, 1 / s] if s > 1 else [0.0]
    return integrate.quad(g, -lim, lim, points=pts, **QUAD)[0]


def baseline_point(sw, sb):
    """q* by brentq on quad, then chi1 by quad."""
    if sb == 0 and sw <= 1:
        return 0.0, sw**2
    f = lambda q: sw**2 * gauss_quad(lambda u: np.tanh(u) ** 2, q) + sb**2 - q  # noqa: E731
    qs = optimize.brentq(f, 1e-12, sw**2 + sb**2 + 1, xtol=1e-15, rtol=1e-15)
    chi = sw**2 * gauss_quad(lambda u: 1 / np.cosh(u) ** 4, qs)
    return qs, chi


def baseline_kernel(c, q):
    s, r = np.sqrt(q), np.sqrt(1 - c * c)

    def inner(z1):
        return integrate.quad(
            lambda w: np.tanh(s * (c * z1 + r * w)) * np.exp(-0.5 * w * w), -12, 12, **QUAD
        )[0] / np.sqrt(2 * np.pi)

    return gauss_quad(lambda u: np.tanh(u) * inner(u / s), q)


def baseline_cstar(sw, sb, qs):
    def cmap(c):
        return (sw**2 * baseline_kernel(c, qs) + sb**2) / qs - c

    return optimize.brentq(cmap, 0.0, 1 - 1e-6, xtol=1e-12)


def mp_point(sw, sb, start):
    mp.mp.dps = 25
    sw, sb = mp.mpf(sw), mp.mpf(sb)

    def E(f, q):
        s = mp.sqrt(q)
        pts = [-mp.inf, -12, -1 / s, 0, 1 / s, 12, mp.inf]
        return mp.quad(lambda z: f(s * z) * mp.npdf(z), pts)

    qs = mp.findroot(lambda q: sw**2 * E(lambda u: mp.tanh(u) ** 2, q) + sb**2 - q, start)
    return float(qs), float(sw**2 * E(lambda u: mp.sech(u) ** 4, qs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=401)
    ap.add_argument("--sample", type=int, default=40)
    ap.add_argument("--cn", type=int, default=101)
    ap.add_argument("--csample", type=int, default=2)
    args = ap.parse_args()
    rng = np.random.default_rng(0)

    sw = np.linspace(1.0, 5.0, args.n)
    sb = np.linspace(0.0, 4.0, args.n)
    SW, SB = np.meshgrid(sw, sb, indexing="ij")
    mf._Q_STAR_MEMO.clear()  # time the solve, not an earlier run's memo
    t0 = time.perf_counter()
    Q = mf.q_star(SW, SB)
    X = mf.chi1(SW, SB)
    t_engine = time.perf_counter() - t0

    idx = rng.choice(SW.size, args.sample, replace=False)
    t0 = time.perf_counter()
    base = np.array([baseline_point(SW.flat[i], SB.flat[i]) for i in idx])
    t_base_sample = time.perf_counter() - t0
    t_base = t_base_sample / args.sample * SW.size

    check = idx[: min(6, idx.size)]
    ref = np.array([mp_point(SW.flat[i], SB.flat[i], Q.flat[i]) for i in check])
    err_engine = np.max(np.abs(np.c_[Q.flat[check], X.flat[check]] / ref - 1))
    err_base = np.max(np.abs(base[: check.size] / ref - 1))
    print(f"q* and chi1 on a {args.n}x{args.n} tanh grid ({SW.size} points)")
    print(f"  engine (vectorised):      {t_engine:9.2f} s   max rel err vs mpmath {err_engine:.1e}")
    print(
        f"  baseline quad + brentq:   {t_base:9.1f} s   (extrapolated from {args.sample} points,"
        f" {t_base_sample / args.sample * 1e3:.1f} ms each)   max rel err vs mpmath {err_base:.1e}"
    )
    print(f"  speed-up: {t_base / t_engine:.0f}x (target >= 300x)")

    # C-map: c* over the plane
    cw = np.linspace(1.0, 5.0, args.cn)
    cb = np.linspace(0.0, 4.0, args.cn)
    CW, CB = np.meshgrid(cw, cb, indexing="ij")
    t0 = time.perf_counter()
    C = mf.c_star(CW, CB)
    t_c = time.perf_counter() - t0
    chaotic = np.flatnonzero((C.ravel() < 0.9) & (C.ravel() > 0.05))
    pick = rng.choice(chaotic, args.csample, replace=False)
    t0 = time.perf_counter()
    cb_base = np.array(
        [baseline_cstar(CW.flat[i], CB.flat[i], mf.q_star(CW.flat[i], CB.flat[i])) for i in pick]
    )
    t_cb = (time.perf_counter() - t0) / args.csample
    diff = np.max(np.abs(cb_base - C.flat[pick]))
    per_point = t_c / CW.size
    print(f"c* on a {args.cn}x{args.cn} tanh grid")
    print(f"  engine: {t_c:.2f} s ({per_point * 1e3:.2f} ms/point)")
    print(
        f"  baseline nested quad + brentq: {t_cb:.1f} s/point on {args.csample} chaotic points;"
        f" max |c*_engine - c*_baseline| = {diff:.1e}"
    )
    print(f"  speed-up per point: {t_cb / per_point:.0f}x (target >= 300x)")


if __name__ == "__main__":
    main()
