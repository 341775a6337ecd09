"""Speed of the batched trainability trainer against one network at a time (issue 11).

Plain script (``make bench``). The slice of one job of the default sweep (12 sigma_w^2 in
[1, 4] x 2 seeds, tanh, width 64, batch 128, RMSProp, digits; a shallower depth and fewer
steps: the training cost is linear in both, the final evaluation on the full training
and test sets is paid once per run, which 600 steps make negligible and 100 steps small)
is trained twice in the same run: ``training.train_batched`` (all 24 networks stacked,
hand-written forward and backward, one ``bmm`` per product into preallocated buffers,
one optimiser update per layer over the stack) and a loop of ``training.train_single``
(one network at a time: 2-D matrix products, autograd, ``torch.optim``; the same fast
tanh, initial weights, batches and masks). Times are the best of interleaved repeats on
one thread, in wall time and in CPU time of this process (less disturbed when other
processes share the machine). Prints the ratio (target >= 5), images per second of each,
and the largest difference of the final losses (the two must train the same networks).
A last line times the bare matrix products of one layer (one ``bmm`` over the networks
against a loop of ``mm``): at these shapes batching does not make the products
themselves much faster, so the speed-up comes from removing per-operation overhead (and
autograd, and the per-parameter optimiser), and the products bound what to expect: the
batched trainer spends most of its time in them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import best_of_interleaved  # noqa: E402

from dltheory import training  # noqa: E402


def best_wall_and_cpu(fns, repeats):
    """Best wall and best CPU (process) time of each of ``fns``, called in turn."""
    wall, cpu = [float("inf")] * len(fns), [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            cpu[i] = min(cpu[i], time.process_time() - c0)
            wall[i] = min(wall[i], time.perf_counter() - w0)
    return wall, cpu


def main(depth=10, steps=100, width=64, batch=128, keep_prob=1.0, seeds=(0, 1), repeats=3):
    torch.set_num_threads(1)
    data = training.load_digits_data(0.25, seed=0)
    sw2 = np.linspace(1.0, 4.0, 12)
    s = training.Settings(
        depth=depth, width=width, steps=steps, batch=batch, lr=1e-4, keep_prob=keep_prob
    )
    out = {}

    def batched():
        out["batched"] = training.train_batched(data, sw2, list(seeds), s, base_seed=1)

    def loop():
        out["loop"] = [
            training.train_single(data, x, k, s, base_seed=1) for k in seeds for x in sw2
        ]

    (t_batched, t_loop), (c_batched, c_loop) = best_wall_and_cpu([batched, loop], repeats)
    loss_loop = np.array([r["final_loss"].iloc[0] for r in out["loop"]])
    err = float(np.max(np.abs(out["batched"]["final_loss"].to_numpy() - loss_loop)))
    nets = len(sw2) * len(seeds)
    images = nets * steps * batch
    label = "no dropout" if keep_prob == 1 else f"dropout keep {keep_prob:g}"
    print(
        f"trainability, {nets} networks (12 sigma_w^2 in [1, 4] x {len(seeds)} seeds), depth "
        f"{depth}, width "
        f"{width}, batch {batch}, {steps} RMSProp steps, {label}, float32, 1 thread: loop "
        f"{t_loop:.2f} s ({images / t_loop:,.0f} images/s), batched {t_batched:.2f} s "
        f"({images / t_batched:,.0f} images/s), speed-up {t_loop / t_batched:.1f}x "
        f"(target >= 5; in CPU time {c_loop:.2f} s / {c_batched:.2f} s = "
        f"{c_loop / c_batched:.1f}x); max |final loss difference| {err:.1e}"
    )


def bare_matmul(nets=24, batch=128, width=64, repeats=5, calls=200):
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(nets, batch, width, generator=gen)
    w = torch.randn(nets, width, width, generator=gen)

    def bmm():
        for _ in range(calls):
            torch.bmm(a, w)

    def loop():
        for _ in range(calls):
            for g in range(nets):
                torch.mm(a[g], w[g])

    t_bmm, t_loop = best_of_interleaved([bmm, loop], repeats)
    print(
        f"bare products of one layer ({nets} x ({batch} x {width}) @ ({width} x {width}), "
        f"float32, 1 thread): loop of mm {t_loop:.3f} s, bmm {t_bmm:.3f} s, ratio "
        f"{t_loop / t_bmm:.2f}x (batching gains only the per-operation overhead)"
    )


if __name__ == "__main__":
    main()
    main(keep_prob=0.8)
    bare_matmul()
