r"""Learning dynamics of deep linear networks (Saxe, McClelland & Ganguli 2014).

The exercises, one module each, re-exported here under their public names:

* :mod:`dltheory.saxe_dynamics`: exercise 1, the 7x4 toy task: forward-Euler gradient
  flow (:func:`euler_deep`, :func:`euler_shallow`), the decoupled analytic solutions
  (:func:`analytic_deep`, :func:`analytic_shallow`) and half-learning times
  (:func:`half_time`, :func:`learning_time`);
* :mod:`dltheory.saxe_trees`: exercise 2's hierarchical data (:func:`diffuse_tree`) and
  its exact spectrum (:func:`tree_spectrum`);
* :mod:`dltheory.saxe_nets`: the networks (:class:`DeepNet`), their initialisations and
  SGD training, the plain loop (:func:`train_reference`), the batched one
  (:func:`train_fast`) and the divergence probe of a stack of rates (:func:`stability_probe`);
* this module: the experiments that put them together as tidy tables
  (:func:`exercise1`, :func:`tree_experiment`, :func:`depth_experiment`) and the
  learning-rate limits (:func:`gradient_flow_lr_limit`, :func:`largest_stable_lr`).

Every random stream of an experiment is named under its ``seed`` by :mod:`dltheory.seeds`:
the tree data ``(seed, "tree")``, net ``k`` ``(seed, "net", k)`` (its initial weights,
then its shuffles), so that a shorter run sees the first epochs of a longer one.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import seeds
from .saxe_dynamics import (
    SIGMA_X,
    SIGMA_YX,
    _check_positive,
    analytic_deep,
    analytic_shallow,
    euler_deep,
    euler_shallow,
    exercise1,
    half_time,
    learning_time,
    singular_values,
    tau_epochs,
)
from .saxe_nets import (
    DeepNet,
    decoupled_init,
    epoch_orders,
    gaussian_init,
    net_map,
    stability_probe,
    train_fast,
    train_reference,
)
from .saxe_trees import (
    diffuse_tree,
    tree_covariance,
    tree_singular_values,
    tree_spectrum,
    tree_statistics,
)

__all__ = [
    "SIGMA_X",
    "SIGMA_YX",
    "DeepNet",
    "analytic_deep",
    "analytic_shallow",
    "decoupled_init",
    "depth_experiment",
    "diffuse_tree",
    "epoch_orders",
    "euler_deep",
    "euler_shallow",
    "exercise1",
    "gaussian_init",
    "gradient_flow_lr_limit",
    "half_time",
    "largest_stable_lr",
    "learning_time",
    "mode_projection",
    "net_map",
    "singular_values",
    "stability_probe",
    "tau_epochs",
    "train_fast",
    "train_reference",
    "tree_covariance",
    "tree_data",
    "tree_experiment",
    "tree_singular_values",
    "tree_spectrum",
    "tree_statistics",
]


def mode_projection(maps, u, v):
    r"""Strength of each target mode in input-output maps: :math:`u_\alpha^T M v_\alpha`.

    ``maps`` (..., n_items, n_out) are network outputs on the one-hot items (``M^T``);
    ``u`` (n_out x r), ``v`` (n_items x r) the singular vectors of :math:`\Sigma^{yx}`.
    """
    return np.einsum("...io,or,ir->...r", np.asarray(maps), np.asarray(u), np.asarray(v))


def _theory_times(s, a0, tau, n_layers):
    """:func:`learning_time` of every target singular value in ``s``; NaN for a mode with
    ``s <= 2 a0`` (sampled tree data can have a zero singular value, e.g. two identical
    leaves), which has no half-learning time."""
    return np.array([learning_time(sk, a0, tau, n_layers) if sk > 2 * a0 else np.nan for sk in s])


def _layer_sizes(n_in, hidden_units, n_out):
    return [int(n_in), *map(int, hidden_units), int(n_out)]


def tree_data(depth, branching, n_features, epsilon, seed):
    """The items ``x`` and features ``y`` that :func:`tree_experiment`,
    :func:`largest_stable_lr` and :func:`depth_experiment` train on for ``seed``: a
    :func:`diffuse_tree` drawn from the stream ``(seed, "tree")``."""
    return diffuse_tree(depth, branching, n_features, epsilon, seeds.derive(seed, "tree"))


def _tree_nets(
    depth, branching, n_features, epsilon, hidden_units, variants, n_seeds, epochs, init_std, seed
):
    """Data, stacked initial weights, shuffles and ReLU mask of :func:`tree_experiment`.

    Net ``k`` of every variant: weights and then ``epochs`` shuffles from
    ``seeds.torch_generator(seed, "net", k)``, so a shorter run sees the first epochs
    of a longer one (:func:`largest_stable_lr`).
    """
    for v in variants:
        if v not in ("linear", "relu"):
            raise ValueError(f"variants entries must be 'linear' or 'relu', got {v!r}")
    _check_positive("n_seeds", n_seeds, integer=True)
    _check_positive("epochs", epochs, integer=True)
    x, y = tree_data(depth, branching, n_features, epsilon, seed)
    if not np.array_equal(x.T @ x, np.eye(x.shape[0])):
        raise AssertionError("Sigma_x of the one-hot items is not the identity")
    sizes = _layer_sizes(x.shape[0], hidden_units, n_features)
    weights, orders = [], []
    for k in range(n_seeds):
        gen = seeds.torch_generator(seed, "net", k)
        weights.append(gaussian_init(sizes, 1, init_std, gen))
        orders.append(epoch_orders(x.shape[0], epochs, gen).numpy())
    stacked = [
        torch.cat([weights[k][layer] for _ in variants for k in range(n_seeds)])
        for layer in range(len(sizes) - 1)
    ]
    all_orders = np.stack([orders[k] for _ in variants for k in range(n_seeds)])
    relu = np.repeat([v == "relu" for v in variants], n_seeds)
    return x, y, sizes, stacked, all_orders, relu


def gradient_flow_lr_limit(s_max, n_layers, n_features):
    r"""Largest stable rate of *full-batch* gradient descent at the balanced minimum.

    One epoch of per-sample SGD on the one-hot items sums to one gradient step on
    :math:`\sum_i \mathrm{MSELoss}_i = \frac{1}{F}\lVert W - \Sigma^{yx}\rVert^2`. At a
    balanced minimum (every layer carries :math:`s^{1/N_l}` of each mode) the Hessian's largest
    eigenvalue is :math:`\frac{2}{F} N_l s_{max}^{2-2/N_l}` (the top mode, all layers moving
    together), so that step is stable for :math:`\eta < F / (N_l s_{max}^{2-2/N_l})`: Saxe
    et al.'s 1/N_l scaling. Per-sample SGD is *not* bound by it: each step sees one item, and
    the nets train well above it (:func:`largest_stable_lr` measures the actual limit).
    """
    _check_positive("s_max", s_max)
    _check_positive("n_layers", n_layers, integer=True)
    _check_positive("n_features", n_features, integer=True)
    return n_features / (n_layers * s_max ** (2.0 - 2.0 / n_layers))


def largest_stable_lr(
    depth=3,
    branching=2,
    n_features=100,
    epsilon=0.05,
    hidden_units=(64, 128, 128),
    variants=("linear", "relu"),
    n_seeds=5,
    init_std=0.05,
    seed=0,
    lr_low=0.1,
    lr_high=2.0,
    step=0.01,
    epochs=50,
    block=2,
):
    """Largest per-sample SGD rate up to which no net of :func:`tree_experiment` diverges.

    The probes train exactly the nets of :func:`tree_experiment` with the same arguments
    (same data, initial weights and the first ``epochs`` shuffles of every seed and variant).
    A rate is *stable* if every net's outputs stay finite for ``epochs`` epochs and its
    final training loss is below its initial one; *unstable* otherwise. Per-sample SGD on
    these nets becomes unstable once the top mode is learnt (within a few tens of epochs).

    Stability is not monotone in the rate near the limit (the trajectory decides: on the
    branching-4 tree of the config, 100-epoch probes of the 10 nets: 0.32, 0.34 and 0.37
    diverge within 11 epochs, 0.33, 0.35, 0.36 and 0.38-0.40 do not, 0.41-0.45 all do), so
    this is a scan from below, not a bisection: ``lr_low``, ``lr_low + step``, ... until
    the first unstable rate. Returns ``(limit, probes)``: the last stable rate (every
    probed rate up to it is stable, the next one is not) and a table of the probes in order
    (lr, stable, epoch: the epoch of the first non-finite output, or NaN). ValueError if
    ``lr_low`` is unstable or no rate up to ``lr_high`` is.

    ``block``: consecutive candidate rates trained together, as one stack of (rate x net)
    copies of the nets, copy ``(r, k)`` stepping at rate ``r`` (:func:`stability_probe`),
    blocks from ``lr_low`` upwards until one contains an unstable rate. Within a block, once
    a rate is unstable (a net's map not finite) the copies of it and of every higher rate
    are dropped: the scan stops at or below it. Every product and update of the stack acts
    on one copy's own arrays with its own rate (the rank-one updates are the same BLAS
    ``dger`` calls as in a run of that rate alone, the forward and backward products the
    same per-net ``matmul`` kernels), so each copy repeats the sequential run bit for bit
    and the limit and probes are the sequential scan's: identical tables on the config's
    arguments (26 probes, limit 0.34, 0.35 diverging by epoch 10) and in the tests' small
    trees, with divergences inside a block.

    Why only 2 rates per stack: one SGD step of these nets is not dominated by the
    interpreter but by the BLAS products and updates, which stream each net's weights (332
    kB for hidden [64, 128, 128] on 64 items, read three times and written once per step)
    through the cache at about 70 GB/s: ~15 us per net and step, against ~3 us of Python
    and small elementwise work per net at 10 nets. Stacking rates saves only that share,
    while stacks of 80 nets or more (26 MB) overflow the 32 MB L3 cache and cost twice as
    much per net (measured, 2-core AMD EPYC, CPU time of the config's scan: 17-18 s
    sequentially, 15 s with ``block`` 2, 3 or 4, 31 s with 8, 37 s with 16). About half of
    the gain is the cheaper per-epoch finiteness check of :func:`stability_probe` (a bound
    on the weights instead of most maps).

    ``block=1``: the sequential scan, one :func:`train_fast` run per rate, as a reference.
    """
    import pandas as pd

    _check_positive("step", step)
    _check_positive("epochs", epochs, integer=True)
    _check_positive("block", block, integer=True)
    if not 0 < lr_low < lr_high:
        raise ValueError(f"need 0 < lr_low < lr_high, got {lr_low}, {lr_high}")
    x, y, _, stacked, orders, relu = _tree_nets(
        depth,
        branching,
        n_features,
        epsilon,
        hidden_units,
        variants,
        n_seeds,
        epochs,
        init_std,
        seed,
    )
    n_rates = int(math.floor((lr_high - lr_low) / step + 1e-9)) + 1
    rates = [round(lr_low + k * step, 12) for k in range(n_rates)]
    scan = _scan_sequential if block == 1 else _scan_blocks
    rows = scan(rates, block, x, y, stacked, orders, relu)
    probes = pd.DataFrame(rows, columns=["lr", "stable", "epoch"])
    if not probes["stable"].iloc[0]:
        raise ValueError(f"lr_low={lr_low} is already unstable; lower it")
    if probes["stable"].iloc[-1]:
        raise ValueError(f"no rate up to lr_high={lr_high} diverges; raise it")
    return float(probes["lr"].iloc[-2]), probes


def _scan_sequential(rates, block, x, y, stacked, orders, relu):
    """Probe rows (lr, stable, epoch) of :func:`largest_stable_lr`, one run per rate."""
    rows = []
    for lr in rates:
        with np.errstate(all="ignore"):
            try:
                maps, _ = train_fast(stacked, x, y, orders, lr=lr, relu=relu)
            except FloatingPointError as err:
                rows.append((lr, False, float(err.epoch)))
                break
        loss = np.mean((maps[[0, -1]] - y) ** 2, axis=(2, 3))
        ok = bool(np.all(loss[1] < loss[0]))
        rows.append((lr, ok, np.nan))
        if not ok:
            break
    return rows


def _scan_blocks(rates, block, x, y, stacked, orders, relu):
    """The rows of :func:`_scan_sequential`, ``block`` rates per :func:`stability_probe`."""
    n_nets = len(relu)
    base = [np.asarray(w) for w in stacked]
    rows = []
    for start in range(0, len(rates), block):
        chunk = rates[start : start + block]
        m = len(chunk)
        group = np.repeat(np.arange(m), n_nets)  # copy (r, k) at index r * n_nets + k

        def needed(first_bad, group=group):
            # copies of rates below the lowest one already unstable
            bad = group[~np.isnan(first_bad)]
            return group < bad.min() if bad.size else np.ones(group.size, dtype=bool)

        loss_start, loss_end, first_bad = stability_probe(
            [np.tile(w, (m, 1, 1)) for w in base],
            x,
            y,
            np.tile(orders, (m, 1, 1)),
            lr=np.repeat(chunk, n_nets),
            relu=np.tile(relu, m),
            prune=needed,
        )
        for r, lr in enumerate(chunk):
            own = slice(r * n_nets, (r + 1) * n_nets)
            if not np.isnan(first_bad[own]).all():
                rows.append((lr, False, float(np.nanmin(first_bad[own]))))
                return rows
            ok = bool(np.all(loss_end[own] < loss_start[own]))
            rows.append((lr, ok, np.nan))
            if not ok:
                return rows
    return rows


def tree_experiment(
    depth=3,
    branching=2,
    n_features=100,
    epsilon=0.05,
    hidden_units=(64, 128, 128),
    variants=("linear", "relu"),
    n_seeds=5,
    epochs=1000,
    lr=0.5,
    init_std=0.05,
    seed=0,
):
    """Exercise 2.3/2.4: all seeds x variants in one batched :func:`train_fast` run.

    One tree data set (stream ``(seed, "tree")``); net ``k`` of every variant starts from
    the same N(0, init_std^2) weights and sees the same shuffles, both drawn from
    ``seeds.torch_generator(seed, "net", k)``. Returns ``(curves, theory)``: singular
    values of the input-output map per epoch (columns variant, seed, epoch, mode, sv,
    projection = strength along the target mode) and per mode the target singular value,
    the measured half-learning epoch of each run (first epoch the sorted singular value
    reaches s/2) and the decoupled-theory prediction for the linear net
    (:func:`learning_time` with tau = F/(2 lr) epochs, ``N_l`` weight matrices and a0 the
    mean initial singular value of the linear nets' maps). The random start is not
    decoupled: its modes first have to align with those of Sigma_yx, so the measured times
    exceed this prediction (by about 20-40 % per mode at the default set-up);
    :func:`depth_experiment` shows the exact agreement from a decoupled start.
    """
    import pandas as pd

    x, y, sizes, stacked, all_orders, relu = _tree_nets(
        depth,
        branching,
        n_features,
        epsilon,
        hidden_units,
        variants,
        n_seeds,
        epochs,
        init_std,
        seed,
    )
    u, s, vt = np.linalg.svd(y.T @ x, full_matrices=False)
    n_var = len(variants)
    maps, _ = train_fast(stacked, x, y, all_orders, lr=lr, relu=relu)
    sv = singular_values(maps)  # (epochs + 1, nets, rank)
    proj = mode_projection(maps, u, vt.T)
    rank = sv.shape[-1]
    ep = np.arange(epochs + 1)
    curves = pd.DataFrame(
        {
            "variant": np.tile(np.repeat(np.repeat(variants, n_seeds), rank), epochs + 1),
            "seed": np.tile(np.tile(np.repeat(np.arange(n_seeds), rank), n_var), epochs + 1),
            "epoch": np.repeat(ep, n_var * n_seeds * rank),
            "mode": np.tile(np.arange(rank), (epochs + 1) * n_var * n_seeds),
            "sv": sv.ravel(),
            "projection": proj.ravel(),
            "s": np.tile(s, (epochs + 1) * n_var * n_seeds),
        }
    )
    tau = tau_epochs(n_features, lr)
    n_layers = len(sizes) - 1
    linear = ~relu
    a0 = float(np.mean(sv[0][linear] if linear.any() else sv[0]))
    t_theory = _theory_times(s, a0, tau, n_layers)
    halves = half_time(ep, sv, s)  # (nets, rank)
    theory = pd.DataFrame(
        {
            "variant": np.repeat(np.repeat(variants, n_seeds), rank),
            "seed": np.tile(np.repeat(np.arange(n_seeds), rank), n_var),
            "mode": np.tile(np.arange(rank), n_var * n_seeds),
            "s": np.tile(s, n_var * n_seeds),
            "t_half": halves.ravel(),
            "t_theory": np.tile(t_theory, n_var * n_seeds),
            "a0": a0,
            "tau": tau,
            "n_layers": n_layers,
        }
    )
    return curves, theory


def depth_experiment(
    depths=(1, 2, 3, 4, 5, 6, 7, 8),
    width=32,
    depth=3,
    branching=2,
    n_features=100,
    epsilon=0.05,
    inits=("random", "decoupled"),
    a0=0.05,
    n_seeds=5,
    epochs=600,
    lr=0.1,
    seed=0,
    lr_scaling="constant",
):
    """Half-learning epoch of each mode against the number of hidden layers.

    For each number of hidden layers (``width`` units each; ``N_l = hidden + 1`` weight
    matrices) and each initialisation, ``n_seeds`` nets trained by :func:`train_fast` on the
    tree data (``depth``, ``branching``, ... as in :func:`diffuse_tree`):

    * ``decoupled``: :func:`decoupled_init` with product :math:`a_0 U V^T` (orthogonal
      hidden bases; the theory's assumption);
    * ``random``: i.i.d. N(0, g^2/fan_in) with per-layer gain g = a0^{1/N_l}, i.e. the same
      typical product scale but random (coupled, unaligned) modes.

    ``lr_scaling``: ``"constant"`` trains every depth at ``lr``; ``"inverse_layers"`` at
    ``lr / N_l``, Saxe et al.'s scaling of the largest stable rate (the curvature of the
    loss grows like N_l), under which the decoupled learning time tends to a finite,
    depth-independent limit ``F / (2 lr s a0)`` instead of falling like 1/N_l.

    Returns a table (hidden, n_layers, lr, init, seed, mode, s, t_half, t_theory), t_theory
    from :func:`learning_time` with tau = F/(2 rate) epochs and the same a0; NaN t_half if
    the mode is not half learnt within ``epochs``.
    """
    # over 80 lines through its docstring: the two initialisations and the rate scaling
    import pandas as pd

    for v in inits:
        if v not in ("random", "decoupled"):
            raise ValueError(f"inits entries must be 'random' or 'decoupled', got {v!r}")
    if lr_scaling not in ("constant", "inverse_layers"):
        raise ValueError(f"lr_scaling must be 'constant' or 'inverse_layers', got {lr_scaling!r}")
    x, y = tree_data(depth, branching, n_features, epsilon, seed)
    u, s, vt = np.linalg.svd(y.T @ x, full_matrices=False)
    rank = s.size
    ep = np.arange(epochs + 1)
    rows = []
    for n_hidden in depths:
        _check_positive("depths entries", n_hidden, integer=True)
        sizes = _layer_sizes(x.shape[0], [width] * n_hidden, n_features)
        n_layers = len(sizes) - 1
        rate = lr / n_layers if lr_scaling == "inverse_layers" else lr
        tau = tau_epochs(n_features, rate)
        per_net, orders, labels = [], [], []
        for init in inits:
            for k in range(n_seeds):
                # net k of every initialisation draws from the same stream
                gen = seeds.torch_generator(seed, "hidden", n_hidden, "net", k)
                if init == "decoupled":
                    ws = decoupled_init(sizes, u, vt.T, a0, gen)
                else:
                    g = a0 ** (1.0 / n_layers)
                    ws = [
                        g / math.sqrt(a) * torch.randn(b, a, generator=gen, dtype=torch.float64)
                        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
                    ]
                per_net.append(ws)
                orders.append(epoch_orders(x.shape[0], epochs, gen).numpy())
                labels.append((init, k))
        stacked = [torch.stack([w[layer] for w in per_net]) for layer in range(n_layers)]
        maps, _ = train_fast(stacked, x, y, np.stack(orders), lr=rate)
        halves = half_time(ep, singular_values(maps), s)
        t_theory = _theory_times(s, a0, tau, n_layers)
        for (init, k), half in zip(labels, halves, strict=True):
            for mode in range(rank):
                rows.append(
                    (n_hidden, n_layers, rate, init, k, mode, s[mode], half[mode], t_theory[mode])
                )
    return pd.DataFrame(
        rows,
        columns=["hidden", "n_layers", "lr", "init", "seed", "mode", "s", "t_half", "t_theory"],
    )
