"""Speed of the batched fast path (``saxe.train_fast``) against the sheet's autograd loop.

Plain script (``make bench``): the plain PyTorch loop (``saxe.train_reference``: shuffle,
one sample per step, ``MSELoss``, ``zero_grad``/``backward``/``step`` of ``SGD``) is run once
per net for every seed x variant of the ``saxe_deep_linear_tree``/``saxe_relu_tree`` set-up
(hidden [64, 128, 128], tree D = 3, B = 2, F = 100, lr 0.5), and the fast path once for all
nets together, from the same initial weights and shuffles, in the same run. Prints the time
ratio (target >= 10) and the largest deviation of the input-output maps after every epoch
(target <= 1e-6).

Then the largest-stable-rate scan (``saxe.largest_stable_lr``) of the wide tree (the
``saxe_tree_wide_simulation`` set-up: B = 4, 64 items, hidden [64, 128, 128], 5 seeds x
both variants; reduced to 20-epoch probes from rate 0.25): the batched scan (its default
block of candidate rates trained as one stack) against the sequential one (``block=1``, one
run per rate), interleaved in the same run, best CPU time of 3; prints the ratio (about 1.2:
the steps are bound by the BLAS kernels' memory traffic, not by the interpreter, see
``largest_stable_lr``) and whether both give the same limit and probes table (target: True).
"""

from __future__ import annotations

import inspect
import time

import numpy as np
import torch
from timing import interleaved_times

from dltheory import saxe, seeds


def main(epochs=100, n_seeds=5, variants=("linear", "relu"), seed=0):
    torch.set_num_threads(1)
    x, y = saxe.diffuse_tree(3, 2, 100, 0.05, seeds.derive(seed, "tree"))
    sizes = [x.shape[0], 64, 128, 128, y.shape[1]]
    inits, orders = [], []
    for k in range(n_seeds):
        gen = seeds.torch_generator(seed, "net", k)
        inits.append(saxe.gaussian_init(sizes, 1, 0.05, gen))
        orders.append(saxe.epoch_orders(x.shape[0], epochs, gen))
    nets = [(v, k) for v in variants for k in range(n_seeds)]
    eye = torch.eye(x.shape[0], dtype=torch.float64)

    t0 = time.perf_counter()
    ref_maps = []
    for variant, k in nets:
        model = saxe.DeepNet(sizes[0], sizes[1:-1], sizes[-1], relu=variant == "relu")
        model.set_weights([w[0] for w in inits[k]])
        rec = saxe.train_reference(
            model, x, y, orders[k], lr=0.5, record=lambda m: m(eye).detach().numpy().copy()
        )
        ref_maps.append(np.stack(rec))
    t_ref = time.perf_counter() - t0

    stacked = [torch.cat([inits[k][layer] for _, k in nets]) for layer in range(len(sizes) - 1)]
    all_orders = np.stack([orders[k].numpy() for _, k in nets])
    relu = np.array([v == "relu" for v, _ in nets])
    t0 = time.perf_counter()
    maps, _ = saxe.train_fast(stacked, x, y, all_orders, lr=0.5, relu=relu)
    t_fast = time.perf_counter() - t0

    err = max(np.max(np.abs(maps[1:, i] - ref_maps[i])) for i in range(len(nets)))
    scale = max(np.max(np.abs(r)) for r in ref_maps)
    ratio = t_ref / t_fast
    print(
        f"Saxe tree SGD, {len(nets)} nets ({n_seeds} seeds x {list(variants)}), {epochs} epochs "
        f"x {x.shape[0]} steps, float64, 1 thread: autograd loop {t_ref:.2f} s, fast path "
        f"{t_fast:.2f} s, speed-up {ratio:.1f}x (target >= 10); max |map difference| over all "
        f"epochs {err:.1e} (target <= 1e-6; maps up to {scale:.1f})"
    )
    return ratio, err


def scan(n_seeds=5, epochs=20, lr_low=0.25, step=0.01, repeats=3, seed=0):
    """CPU time of the batched largest-stable-rate scan against the sequential one."""
    kw = dict(
        depth=3,
        branching=4,
        n_features=100,
        epsilon=0.05,
        hidden_units=(64, 128, 128),
        variants=("linear", "relu"),
        n_seeds=n_seeds,
        init_std=0.05,
        seed=seeds.derive(seed, "saxe_tree"),
        lr_low=lr_low,
        lr_high=2.0,
        step=step,
        epochs=epochs,
    )
    out = {}

    def run(block):
        return lambda: out.__setitem__(block, saxe.largest_stable_lr(**kw, block=block))

    block = inspect.signature(saxe.largest_stable_lr).parameters["block"].default
    rounds = interleaved_times([run(1), run(block)], repeats)
    t_seq, t_batch = (min(row[i][0] for row in rounds) for i in range(2))
    (limit, probes), (limit_b, probes_b) = out[1], out[block]
    same = limit == limit_b and probes.equals(probes_b)
    ratio = t_seq / t_batch
    print(
        f"Saxe largest stable rate, wide tree (64 items), {2 * n_seeds} nets, {epochs} epochs, "
        f"rates {lr_low} + k x {step}: {len(probes)} probes (limit {limit:g}); sequential scan "
        f"{t_seq:.2f} s CPU, batched ({block} rates per stack) {t_batch:.2f} s, speed-up "
        f"{ratio:.1f}x; same limit and probes: {same}"
    )
    return ratio, same


if __name__ == "__main__":
    main()
    scan()
