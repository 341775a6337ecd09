"""Many narrow networks for figure `finite_width`: the two samplers against baselines.

Baselines, timed in the same run (interleaved repeats, best of each):

* the same explicit-weight simulation with the weights drawn in float64 (the module draws
  them in float32 and widens them: torch's float32 Gaussian generator is several times
  faster, and a 6e-8 relative rounding of each weight does not touch the statistics);
* a per-network loop of ``torch.matmul`` instead of one ``torch.bmm`` over networks.

And the conditional sampler (the exact law of one input, N normals per layer instead of
N^2) against the explicit-weight simulation, with the agreement of N Var(q^L) printed.
One torch thread, as the workflow's simulation jobs (``threads: 1``); the draws of the
weights dominate, so the bmm gains on the loop only where a network is small (N = 32).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from timing import best_of_interleaved

from dltheory import finite_width, networks

DEPTH, REPEATS = 6, 3
SIZES = ((32, 4096), (128, 512))  # (width, networks)


def weights_float64(n, width, depth, sigma_w, sigma_b, gen):
    a = torch.ones(n, width, 1, dtype=torch.float64)
    for _ in range(depth):
        w = torch.randn(n, width, width, generator=gen, dtype=torch.float64)
        b = torch.randn(n, width, 1, generator=gen, dtype=torch.float64)
        z = torch.bmm(w, a).mul_(sigma_w / math.sqrt(width)).add_(b, alpha=sigma_b)
        a = torch.tanh(z)
    return z


def per_network_loop(n, width, depth, sigma_w, sigma_b, gen):
    out = []
    for _ in range(n):
        a = torch.ones(width, dtype=torch.float64)
        for _ in range(depth):
            w = torch.randn(width, width, generator=gen, dtype=torch.float32).to(torch.float64)
            b = torch.randn(width, generator=gen, dtype=torch.float64)
            z = torch.matmul(w, a) * (sigma_w / math.sqrt(width)) + sigma_b * b
            a = torch.tanh(z)
        out.append(z)
    return out


def measure(WIDTH, NETS):
    args = (2.0, 0.3, WIDTH, DEPTH, NETS)
    res = {}

    def module_weights():
        res["w"] = finite_width.simulate_lengths(*args, seed=1, sampler="weights")

    def module_conditional():
        res["c"] = finite_width.simulate_lengths(*args, seed=2, sampler="conditional")

    def base_f64():
        weights_float64(NETS, WIDTH, DEPTH, 2.0, 0.3, networks.generator(3))

    def base_loop():
        per_network_loop(NETS, WIDTH, DEPTH, 2.0, 0.3, networks.generator(4))

    fns = [module_weights, module_conditional, base_f64, base_loop]
    for f in fns:
        f()  # warm-up
    t_w, t_c, t_64, t_loop = best_of_interleaved(fns, REPEATS)
    print(f"N={WIDTH}, L={DEPTH}, {NETS} networks, torch threads {torch.get_num_threads()}")
    rows = [
        ("weights sampler (float32 draws, one bmm)", t_w, ""),
        ("baseline: float64 draws", t_64, f"slower by {t_64 / t_w:.2f}x"),
        ("baseline: loop over networks (matmul)", t_loop, f"slower by {t_loop / t_w:.2f}x"),
        ("conditional sampler (exact law)", t_c, f"faster by {t_w / t_c:.1f}x"),
    ]
    for label, t, note in rows:
        print(f"  {label:42s} {t * 1e3:8.1f} ms  {note}")
    theory = finite_width.length_corrections(2.0, 0.3, DEPTH).n_var()[-1]
    for name in ("w", "c"):
        var, se = finite_width.variance_with_se(res[name][:, -1])
        print(f"  accuracy ({name}): N Var(q^L) = {WIDTH * var:.2f} +- {WIDTH * se:.2f} "
              f"(s.e.), theory 2K0^2 + V = {theory:.2f}")  # fmt: skip
    assert np.isfinite(res["w"]).all() and np.isfinite(res["c"]).all()


def main():
    torch.set_num_threads(1)
    for width, nets in SIZES:
        measure(width, nets)


if __name__ == "__main__":
    main()
