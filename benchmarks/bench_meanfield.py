"""Mean-field grids: the vectorised engine against per-point scipy quad + root finding.

Both are timed in this run. The baseline is the approach the problem sheet hints at
(``scipy.integrate.quad`` for the Gaussian integral, ``brentq`` for the fixed point, tight
tolerances), timed on a random sample of grid points and extrapolated to the grid. The
engine times ``q_star`` then ``chi1`` with q* passed explicitly, as a user drawing both
phase diagrams calls them; engine and baseline sample are timed alternately, best of 3
(there is no cache between runs). The accuracy
of engine and baseline is measured against mpmath on sampled points, separately for q*,
chi_1 and c* (c* through the residual of the mpmath C-map at the engine's c*, divided by
1 - C'(c*): the error of c* to first order). c* is timed with q* given, including the
kernel table it builds for the grid.

Usage: python benchmarks/bench_meanfield.py [--n 401] [--sample 20] [--cn 201]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import mpmath as mp
import numpy as np
from scipy import integrate, optimize
from timing import best_of_interleaved

# the tests' mpmath reference of the tanh kernel (tests/mp_references.py): one
# implementation for the accuracy the tests check and the one this benchmark prints
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from mp_references import tanh_kernel  # noqa: E402

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


def mp_gauss(f, q):
    s = mp.sqrt(q)
    return mp.quad(lambda z: f(s * z) * mp.npdf(z), [-mp.inf, -12, -1 / s, 0, 1 / s, 12, mp.inf])


def mp_point(sw, sb, start):
    """q* and chi_1 by mpmath (25 digits)."""
    with mp.workdps(25):
        sw, sb = mp.mpf(sw), mp.mpf(sb)
        f = lambda q: sw**2 * mp_gauss(lambda u: mp.tanh(u) ** 2, q) + sb**2 - q  # noqa: E731
        qs = mp.findroot(f, start)
        return float(qs), float(sw**2 * mp_gauss(lambda u: mp.sech(u) ** 4, qs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=401)
    ap.add_argument("--sample", type=int, default=20)
    ap.add_argument("--cn", type=int, default=201)
    ap.add_argument("--csample", type=int, default=2)
    args = ap.parse_args()
    rng = np.random.default_rng(0)

    sw = np.linspace(1.0, 5.0, args.n)
    sb = np.linspace(0.0, 4.0, args.n)
    SW, SB = np.meshgrid(sw, sb, indexing="ij")
    mf.q_star(1.5, 0.3)  # build the tanh moment table once (per process, ~0.01 s)
    result = {}

    def engine():
        result["q"] = mf.q_star(SW, SB)
        result["chi1"] = mf.chi1(SW, SB, q=result["q"])

    idx = rng.choice(SW.size, args.sample, replace=False)

    def baseline():
        result["base"] = np.array([baseline_point(SW.flat[i], SB.flat[i]) for i in idx])

    # interleaved best of 3: a busy spell of the shared machine hits both alike
    t_engine, t_base_sample = best_of_interleaved([engine, baseline], repeats=3)
    Q, X, base = result["q"], result["chi1"], result["base"]
    t_base = t_base_sample / args.sample * SW.size

    check = idx[: min(6, idx.size)]
    ref = np.array([mp_point(SW.flat[i], SB.flat[i], Q.flat[i]) for i in check])
    err_engine = np.abs(np.c_[Q.flat[check], X.flat[check]] / ref - 1).max(axis=0)
    err_base = np.abs(base[: check.size] / ref - 1).max(axis=0)
    print(f"q* and chi1 on a {args.n}x{args.n} tanh grid ({SW.size} points)")
    print(
        f"  engine (tabulated moments, Newton): {t_engine:8.3f} s   max rel err vs mpmath on"
        f" {check.size} points: q* {err_engine[0]:.1e}, chi1 {err_engine[1]:.1e}"
    )
    print(
        f"  baseline quad + brentq:   {t_base:9.1f} s   (extrapolated from {args.sample} points,"
        f" {t_base_sample / args.sample * 1e3:.1f} ms each)   max rel err vs mpmath:"
        f" q* {err_base[0]:.1e}, chi1 {err_base[1]:.1e}"
    )
    print(f"  speed-up: {t_base / t_engine:.0f}x (target >= 10000x)")

    # C-map: c* over the plane
    cw = np.linspace(1.0, 5.0, args.cn)
    cb = np.linspace(0.0, 4.0, args.cn)
    CW, CB = np.meshgrid(cw, cb, indexing="ij")
    CQ = mf.q_star(CW, CB)
    t0 = time.perf_counter()
    C = mf.c_star(CW, CB, q=CQ)
    t_c = time.perf_counter() - t0
    chaotic = np.flatnonzero((C.ravel() < 0.9) & (C.ravel() > 0.05))
    pick = rng.choice(chaotic, args.csample, replace=False)
    t0 = time.perf_counter()
    cb_base = np.array([baseline_cstar(CW.flat[i], CB.flat[i], CQ.flat[i]) for i in pick])
    t_cb = (time.perf_counter() - t0) / args.csample
    err_c = []
    for i in pick:  # c* error ~ (C_mp(c*) - c*) / (1 - C'(c*))
        sw_i, sb_i, q_i, c_i = CW.flat[i], CB.flat[i], CQ.flat[i], C.flat[i]
        resid = (sw_i**2 * float(tanh_kernel(q_i, q_i, c_i)) + sb_i**2) / q_i - c_i
        err_c.append(abs(resid / (1 - mf.chi_c(c_i, sw_i, sb_i, q=q_i))) / c_i)
    diff = np.max(np.abs(cb_base - C.flat[pick]) / C.flat[pick])
    per_point = t_c / CW.size
    print(f"c* on a {args.cn}x{args.cn} tanh grid ({CW.size} points, q* given)")
    print(
        f"  engine (tabulated kernel, Newton, quadrature polish): {t_c:.2f} s"
        f" ({per_point * 1e6:.0f} us/point; target < 2 s at 201x201)   max rel err vs mpmath"
        f" on {len(err_c)} points: c* {max(err_c):.1e}"
    )
    print(
        f"  baseline nested quad + brentq: {t_cb:.1f} s/point on {args.csample} chaotic points;"
        f" max |c*_engine / c*_baseline - 1| = {diff:.1e}"
    )
    print(f"  speed-up per point: {t_cb / per_point:.0f}x")


if __name__ == "__main__":
    main()
