"""Deep-network propagation throughput against a bare torch.matmul of the same shapes.

`dltheory.networks.propagate` draws fresh Gaussian weights and biases for every layer,
applies tanh, the affine map and measures q^l of every input (float64, no Gram matrices).
The baseline does only the L matmuls (B x N) @ (N x N) on pre-drawn weights, timed in the
same run. Both are counted at 2 B N^2 flops per layer. Target: ratio >= 0.70 at the
target batch B = 4 N. Drawing fresh weights costs O(N^2) per layer (single-threaded
torch.randn, about 10% of a layer at B = 4 N) and tanh another ~9%, the matmul O(B N^2),
so the ratio grows with B; smaller batches are printed too, for the record. The two are
timed in turn (interleaved repeats, best of each), so a slow spell of the shared machine
hits both alike.
"""

from __future__ import annotations

import numpy as np
import torch
from timing import best_of_interleaved

from dltheory import meanfield, networks

WIDTH, DEPTH, REPEATS = 1000, 8, 5
BATCHES, TARGET_BATCH = (1000, 2000, 4000), 4000


def measure(BATCH):
    flops = 2.0 * BATCH * WIDTH**2 * DEPTH
    gen = networks.generator(1)
    x = networks.input_with_length(np.full(BATCH, 2.0), WIDTH, gen)
    weights = [torch.randn(WIDTH, WIDTH, generator=gen, dtype=torch.float64) for _ in range(DEPTH)]

    def bare():
        h = x
        for w in weights:
            h = torch.matmul(h, w.T)
        return h

    result = {}

    def deep():
        result["p"] = networks.propagate(
            x, DEPTH, 2.0, 0.3, "tanh", networks.generator(2), correlations=False
        )

    bare()
    deep()  # warm-up
    t_bare, t_deep = best_of_interleaved([bare, deep], REPEATS)
    g_bare, g_deep = flops / t_bare / 1e9, flops / t_deep / 1e9
    q_last = result["p"].q[-1]
    q_star = meanfield.q_star(2.0, 0.3, "tanh")
    print(
        f"B={BATCH:5d}: bare torch.matmul {g_bare:6.2f} GFLOP/s, networks.propagate "
        f"{g_deep:6.2f} GFLOP/s, ratio {g_deep / g_bare:.3f}"
        + ("  <- target >= 0.70" if BATCH == TARGET_BATCH else "")
    )
    # all inputs share one net, so their spread says nothing of the net-to-net spread of
    # q^L, which is about sqrt(2/N) relative (q^L is an average of N squared units)
    print(
        f"         accuracy: mean q^L = {q_last.mean():.4f} vs q* = {q_star:.4f} "
        f"({q_last.mean() / q_star - 1:+.2%}; one net, net-to-net spread ~"
        f"{np.sqrt(2 / WIDTH):.1%})"
    )


def main():
    print(f"torch threads: {torch.get_num_threads()}; N={WIDTH}, L={DEPTH}, float64, tanh")
    for batch in BATCHES:
        measure(batch)


if __name__ == "__main__":
    main()
