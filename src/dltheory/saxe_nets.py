r"""Deep linear (or ReLU) networks of Saxe et al. 2014 and their training by SGD.

Networks: :class:`DeepNet` is the plain PyTorch model (optional ReLU after each hidden
layer) trained by :func:`train_reference`, the sheet's loop (shuffle each epoch, one sample
per step, ``MSELoss``, ``zero_grad``/``backward``/``step`` of ``SGD``). :func:`train_fast`
runs the same update sequence for a whole batch of networks (seeds x variants) with manual
forward/backward passes on stacked weights (``torch.bmm``), in float64, from the same
initial weights and the same pre-drawn shuffles (:func:`epoch_orders`).

With ``MSELoss`` (mean over the F outputs) one SGD step is
:math:`W \leftarrow W - \eta\,\frac{2}{F}\,\partial_W \tfrac12\lVert \hat y - y\rVert^2`, so an
epoch over the N one-hot items approximates gradient flow with
:math:`\tau = F/(2\eta)` epochs per unit time (:func:`tau_epochs`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from scipy.linalg import blas
from threadpoolctl import threadpool_limits

from .saxe_dynamics import _check_positive

__all__ = [
    "DeepNet",
    "decoupled_init",
    "epoch_orders",
    "gaussian_init",
    "net_map",
    "train_fast",
    "train_reference",
]


class DeepNet(torch.nn.Module):
    """Deep (linear or ReLU) network ``n_in -> hidden_units... -> n_out`` without biases.

    ``relu=True`` applies a ReLU after every hidden layer (not after the output).
    """

    def __init__(self, n_in, hidden_units: Sequence[int], n_out, relu=False):
        super().__init__()
        sizes = [n_in, *hidden_units, n_out]
        for name, val in (("n_in", n_in), ("n_out", n_out)):
            _check_positive(name, val, integer=True)
        for h in hidden_units:
            _check_positive("hidden_units entries", h, integer=True)
        self.relu = bool(relu)
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(a, b, bias=False, dtype=torch.float64)
            for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        )

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = layer(x)
            if self.relu:
                x = torch.relu(x)
        return self.layers[-1](x)

    def set_weights(self, weights):
        with torch.no_grad():
            for layer, w in zip(self.layers, weights, strict=True):
                layer.weight.copy_(torch.as_tensor(w, dtype=torch.float64))


def gaussian_init(sizes, n_nets, std, generator):
    """Stacked i.i.d. N(0, std^2) weights: a list of (n_nets, out, in) float64 tensors."""
    return [
        std * torch.randn(n_nets, b, a, generator=generator, dtype=torch.float64)
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def _random_orthonormal(n, k, generator):
    q, r = torch.linalg.qr(torch.randn(n, k, generator=generator, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))


def decoupled_init(sizes, u, v, a0, generator):
    r"""Balanced decoupled weights whose product is :math:`a_0 \sum_\alpha u_\alpha v_\alpha^T`.

    ``u`` (n_out x r) and ``v`` (n_in x r) are the singular vectors of :math:`\Sigma^{yx}`;
    each of the :math:`N_l` layers carries the scale :math:`a_0^{1/N_l}` and random
    orthonormal hidden bases :math:`R_l`: :math:`W^1 = a_0^{1/N_l} R_1 V^T`,
    :math:`W^l = a_0^{1/N_l} R_l R_{l-1}^T`, :math:`W^{N_l} = a_0^{1/N_l} U R_{N_l-1}^T`
    (the "orthogonal" initialisation of Saxe et al., restricted to the r modes). Returns a list
    of (out, in) tensors.
    """
    u = torch.as_tensor(u, dtype=torch.float64)
    v = torch.as_tensor(v, dtype=torch.float64)
    r = u.shape[1]
    n_layers = len(sizes) - 1
    if min(sizes[1:-1], default=r) < r:
        raise ValueError(f"hidden layers need >= {r} units for a decoupled init, got {sizes}")
    g = float(a0) ** (1.0 / n_layers)
    bases = [v] + [_random_orthonormal(n, r, generator) for n in sizes[1:-1]] + [u]
    return [g * bases[i + 1] @ bases[i].T for i in range(n_layers)]


def epoch_orders(n_items, epochs, generator):
    """Pre-drawn shuffles: (epochs, n_items) int64 permutations from ``generator``."""
    return torch.stack([torch.randperm(n_items, generator=generator) for _ in range(epochs)])


def net_map(weights, relu=False, x=None, numpy=False):
    """Outputs of stacked nets for inputs ``x`` (default identity): (n_nets, n_items, n_out).

    ``relu``: bool or (n_nets,) bool tensor, ReLU after every hidden layer of those nets.
    ``numpy=True``: numpy arrays in and out.
    """
    if numpy:
        n_nets = weights[0].shape[0]
        keep = np.broadcast_to(np.asarray(relu, dtype=bool), (n_nets,))[:, None, None]
        h = weights[0].transpose(0, 2, 1) if x is None else x @ weights[0].transpose(0, 2, 1)
        for w in weights[1:]:
            h = np.where(keep & (h <= 0), 0.0, h) @ w.transpose(0, 2, 1)
        return h
    n_nets = weights[0].shape[0]
    keep = torch.as_tensor(relu, dtype=torch.bool).expand(n_nets).view(n_nets, 1, 1)
    h = weights[0].transpose(1, 2) if x is None else x @ weights[0].transpose(1, 2)
    for w in weights[1:]:
        h = torch.where(keep & (h <= 0), torch.zeros_like(h), h) @ w.transpose(1, 2)
    return h


def train_reference(model, x, y, orders, lr=0.5, record=None):
    """The sheet's loop: per epoch, shuffle, then one (x, y) pair per SGD step on ``MSELoss``.

    ``orders`` (epochs, n_items) are the shuffles (see :func:`epoch_orders`). After every
    epoch ``record(model)`` is called if given; returns the list of its values.
    """
    x = torch.as_tensor(x, dtype=torch.float64)
    y = torch.as_tensor(y, dtype=torch.float64)
    loss_fn = torch.nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    out = []
    for order in orders:
        for i in order.tolist():
            opt.zero_grad()
            loss = loss_fn(model(x[i]), y[i])
            loss.backward()
            opt.step()
        if record is not None:
            out.append(record(model))
    return out


def train_fast(weights, x, y, orders, lr=0.5, relu=False, record_every=1):
    r"""Per-sample SGD on ``MSELoss`` for a batch of nets at once, manual backward pass.

    ``weights``: list of (n_nets, out, in) float64 tensors or arrays (not modified);
    ``relu``: a bool or a (n_nets,) bool array (ReLU after every hidden layer of those nets);
    ``orders``: (epochs, n_items) shuffles shared by every net, or (n_nets, epochs, n_items)
    one sequence per net (each net then sees its own item at each step). Each step does exactly what
    :func:`train_reference` does for every net: the output error
    :math:`\delta^{L} = \frac{2}{F}(\hat y - y)`, back-propagated through the pre-step weights
    (:math:`\delta^{l-1} = \phi'(z^{l-1}) \odot W^{lT}\delta^l`), then
    :math:`W^l \leftarrow W^l - \eta\,\delta^l h^{l-1\,T}`.

    Implementation: numpy float64; the nets' transposed weights are stacked as
    (n_nets, in, out) C-contiguous arrays so that the batched forward and backward products
    are single ``matmul`` calls and each net's rank-one update is an in-place BLAS ``dger``
    on a Fortran-ordered view (no temporaries). For one-hot inputs the first layer is a row
    gather and its update a row update.

    Returns ``(maps, weights)``: the input-output maps (n_records, n_nets, n_items, n_out),
    on the identity input, at epoch 0 and after every ``record_every``-th epoch, and the final
    weights as a list of (n_nets, out, in) arrays.
    """
    # one BLAS thread: the products are tiny, and spinning BLAS threads under a busy
    # machine (parallel Snakemake jobs) cost far more than they save
    with threadpool_limits(limits=1, user_api="blas"):
        return _train_fast(weights, x, y, orders, lr, relu, record_every)


def _fast_inputs(weights, x, y, orders):
    """Float64 data, per-net shuffles (n_nets, epochs, n_items) and the weights as
    contiguous (n_nets, in, out) arrays, checked to chain."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    orders = np.asarray(orders)
    if orders.ndim == 2:
        orders = np.broadcast_to(orders, (len(weights[0]),) + orders.shape)
    if orders.ndim != 3 or orders.shape[0] != len(weights[0]):
        raise ValueError(
            f"orders must be (epochs, n_items) or (n_nets, epochs, n_items), got {orders.shape}"
        )
    wts = [
        np.ascontiguousarray(np.asarray(w, dtype=np.float64).transpose(0, 2, 1)) for w in weights
    ]
    n_items, n_out = y.shape
    if x.shape[0] != n_items or wts[0].shape[1] != x.shape[1] or wts[-1].shape[2] != n_out:
        raise ValueError(
            f"shapes do not chain: x {x.shape}, y {y.shape}, weights "
            f"{[tuple(w.shape) for w in weights]}"
        )
    return x, y, orders, wts


def _train_fast(weights, x, y, orders, lr, relu, record_every):
    x, y, orders, wts = _fast_inputs(weights, x, y, orders)
    n_nets = wts[0].shape[0]
    n_out = y.shape[1]
    relu_mask = np.broadcast_to(np.asarray(relu, dtype=bool), (n_nets,))
    any_relu = bool(relu_mask.any())
    linear_rows = (~relu_mask)[:, None, None]
    scale = 2.0 / n_out  # d MSELoss / d y_hat = (2/F) (y_hat - y)
    one_hot = x.shape[0] == x.shape[1] and np.array_equal(x, np.eye(x.shape[0]))
    n_layers = len(wts)
    views = [[w[k].T for k in range(n_nets)] for w in wts]  # Fortran (out, in) views
    ger = blas.dger

    def record():
        return net_map([w.transpose(0, 2, 1) for w in wts], relu_mask, numpy=True)

    nets = np.arange(n_nets)
    records = [record()]
    for epoch in range(1, orders.shape[1] + 1):
        for idx in orders[:, epoch - 1, :].T:  # idx: (n_nets,) item of each net at this step
            # forward with row vectors (n_nets, 1, width)
            if one_hot:
                z = wts[0][nets, idx][:, None, :]
            else:
                z = x[idx][:, None, :] @ wts[0]
            hs, gates = [x[idx][:, None, :]], []
            for layer in range(1, n_layers):
                if any_relu:
                    gate = (z > 0) | linear_rows
                    h = z * gate
                else:
                    gate, h = None, z
                hs.append(h)
                gates.append(gate)
                z = h @ wts[layer]
            # backward from the pre-step weights (all deltas before any update) ...
            delta = (z - y[idx][:, None, :]) * scale
            deltas = [None] * n_layers
            deltas[-1] = delta
            for layer in range(n_layers - 1, 0, -1):
                delta = delta @ wts[layer].transpose(0, 2, 1)
                if gates[layer - 1] is not None:
                    delta *= gates[layer - 1]
                deltas[layer - 1] = delta
            # ... then the SGD step, in place
            if one_hot:
                wts[0][nets, idx] -= lr * deltas[0][:, 0, :]
            else:
                for k in range(n_nets):
                    ger(-lr, deltas[0][k, 0], hs[0][k, 0], a=views[0][k], overwrite_a=1)
            for layer in range(1, n_layers):
                d, h, vs = deltas[layer], hs[layer], views[layer]
                for k in range(n_nets):
                    ger(-lr, d[k, 0], h[k, 0], a=vs[k], overwrite_a=1)
        if epoch % record_every == 0:
            records.append(record())
            if not np.all(np.isfinite(records[-1])):
                bad = np.nonzero(~np.all(np.isfinite(records[-1]), axis=(1, 2)))[0].tolist()
                err = FloatingPointError(
                    f"per-sample SGD diverged by epoch {epoch} (nets {bad}): lr={lr} is above "
                    "the stability limit for these data (roughly lr * 2/F * s_max^(2-2/N_l) "
                    "< 2); lower lr or use fewer/smaller targets"
                )
                err.epoch = epoch  # for callers probing the limit (largest_stable_lr)
                raise err
    return np.stack(records), [w.transpose(0, 2, 1).copy() for w in wts]
