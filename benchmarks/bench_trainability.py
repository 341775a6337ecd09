"""Speed of the batched trainability trainer against one network at a time.

Plain script (``make bench``). Slices of one job of the default sweep (12 sigma_w^2 in
[1, 4] x 2 seeds = 24 tanh networks, width 64, batch 128, RMSProp at the sweep's lr,
digits) are trained twice in the same run, on one thread (torch's and the BLAS's):

* ``training.train_batched``: the 24 networks stacked, hand-written forward and
  backward, one BLAS product per network and layer into preallocated buffers (numpy's
  OpenBLAS), one fused RMSProp pass per layer;
* a loop of ``training.train_single``: one network at a time, the plain PyTorch way
  (``addmm``, ``torch.tanh``, autograd, ``torch.optim.RMSprop``), with the same initial
  weights, batches and dropout masks. (At one network's size ``torch.tanh`` is faster
  than the sigmoid identity the loop used before, so this is the faster loop.)

Slices: depth 10 with 100 steps, without and with dropout (keep 0.8), and depth 45 (the
middle of the sweep's depths) with 50 steps. Fewer steps than the sweep's 600: the
training cost is linear in the steps, the final evaluation on the full training and
test sets is paid once per run (a few % of these short runs, negligible at 600 steps).

Times are the best of interleaved repeats (a slow spell of the shared machine hits both
alike), in CPU time of this process and in wall time; the line also gives the median of
the per-repeat ratios, images per second, and the largest difference of the final
losses (the two must train the same networks; float32, different summation orders).
A first line times the bare products of one layer (24 x (128 x 64) @ (64 x 64)): a loop of
``torch.mm`` (what the loop's autograd runs), one ``torch.bmm`` (MKL) and one
``numpy.matmul`` (OpenBLAS, what the batched trainer runs). The products are most of the
batched trainer's time, so they bound the ratio: each slice's line ends with the ratio a
trainer would reach that did nothing but its products, at that bare rate (data in cache).
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import best_of_interleaved, interleaved_times  # noqa: E402

from dltheory import training  # noqa: E402

TARGET = 5.0


def product_flops(depth, width, batch, steps, nets, d_in=64, n_classes=10):
    """Float operations of the matrix products of training (forward, dW, da; not the final
    evaluation): per network and step 2 B (2 (d N + (L - 1) N^2 + N C) + (L - 1) N^2 + N C)."""
    hidden = (depth - 1) * width**2
    per_step = (
        2 * batch * (2 * (d_in * width + hidden + width * n_classes) + hidden + width * n_classes)
    )
    return nets * steps * per_step


def main(
    depth=10, steps=100, width=64, batch=128, keep_prob=1.0, seeds=(0, 1), repeats=3, rate=None
):
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

    rounds = interleaved_times([batched, loop], repeats)
    (c_batched, t_batched), (c_loop, t_loop) = (
        tuple(min(r[i][j] for r in rounds) for j in range(2)) for i in range(2)
    )
    median = statistics.median(r[1][0] / r[0][0] for r in rounds)
    loss_loop = np.array([r["final_loss"].iloc[0] for r in out["loop"]])
    err = float(np.max(np.abs(out["batched"]["final_loss"].to_numpy() - loss_loop)))
    nets = len(sw2) * len(seeds)
    images = nets * steps * batch
    label = "no dropout" if keep_prob == 1 else f"dropout keep {keep_prob:g}"
    ratio = c_loop / c_batched
    # the best any batched trainer could do: nothing but its products, at the bare rate
    ceiling = c_loop / (product_flops(depth, width, batch, steps, nets) / rate) if rate else None
    print(
        f"trainability, {nets} networks (12 sigma_w^2 x {len(seeds)} seeds), depth {depth}, "
        f"width {width}, batch {batch}, {steps} RMSProp steps, {label}, float32, 1 thread: "
        f"CPU time loop {c_loop:.2f} s ({images / c_loop:,.0f} images/s), batched "
        f"{c_batched:.2f} s ({images / c_batched:,.0f} images/s): speed-up {ratio:.1f}x "
        f"(median of {repeats} rounds {median:.1f}x; wall {t_loop / t_batched:.1f}x; target "
        f">= {TARGET:g}: {'met' if ratio >= TARGET else 'NOT met'}); "
        f"max |final loss difference| {err:.1e}"
        + (
            f"; products only, at numpy.matmul's bare rate: at most {ceiling:.1f}x"
            if ceiling
            else ""
        )
    )
    return ratio


def bare_products(nets=24, batch=128, width=64, repeats=5, calls=200):
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(nets, batch, width, generator=gen)
    w = torch.randn(nets, width, width, generator=gen)
    out = torch.empty(nets, batch, width)
    a_np, w_np, out_np = a.numpy(), w.numpy(), out.numpy()

    def loop():
        for _ in range(calls):
            for g in range(nets):
                torch.mm(a[g], w[g])

    def bmm():
        for _ in range(calls):
            torch.bmm(a, w, out=out)

    def numpy_matmul():
        for _ in range(calls):
            np.matmul(a_np, w_np, out=out_np)

    t_loop, t_bmm, t_np = best_of_interleaved([loop, bmm, numpy_matmul], repeats)
    gflops = 2 * nets * batch * width * width * calls / 1e9
    print(
        f"bare products of one layer ({nets} x ({batch} x {width}) @ ({width} x {width}), "
        f"float32, 1 thread): loop of torch.mm {gflops / t_loop:.0f} GFLOP/s, torch.bmm "
        f"{gflops / t_bmm:.0f} GFLOP/s, numpy.matmul {gflops / t_np:.0f} GFLOP/s"
    )
    return gflops * 1e9 / t_np


if __name__ == "__main__":
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        rate = bare_products()
        main(rate=rate)
        main(keep_prob=0.8, rate=rate)
        main(depth=45, steps=50, rate=rate)
