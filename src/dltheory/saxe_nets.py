r"""Deep linear (or ReLU) networks of Saxe et al. 2014 and their training by SGD.

Networks: :class:`DeepNet` is the plain PyTorch model (optional ReLU after each hidden
layer) trained by :func:`train_reference`, the sheet's loop (shuffle each epoch, one sample
per step, ``MSELoss``, ``zero_grad``/``backward``/``step`` of ``SGD``). :func:`train_fast`
runs the same update sequence for a whole batch of networks (seeds x variants) with manual
forward/backward passes on stacked weights (numpy ``matmul``, BLAS ``dger``), in float64,
from the same initial weights and the same pre-drawn shuffles (:func:`epoch_orders`), each
net at its own rate if asked; :func:`stability_probe` trains such a stack without stopping
at a diverging net, recording per net the first epoch whose outputs are not finite (the
learning-rate scan of :func:`dltheory.saxe.largest_stable_lr` trains several candidate
rates as one stack).

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
    "stability_probe",
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
    ``lr``: one rate for every net, or an (n_nets,) array, net k stepping at ``lr[k]``
    (:func:`stability_probe` uses it to train many rates in one stack);
    ``relu``: a bool or a (n_nets,) bool array (ReLU after every hidden layer of those nets);
    ``orders``: (epochs, n_items) shuffles shared by every net, or (n_nets, epochs, n_items)
    one sequence per net (each net then sees its own item at each step). Each step does exactly what
    :func:`train_reference` does for every net: the output error
    :math:`\delta^{L} = \frac{2}{F}(\hat y - y)`, back-propagated through the pre-step weights
    (:math:`\delta^{l-1} = \phi'(z^{l-1}) \odot W^{lT}\delta^l`), then
    :math:`W^l \leftarrow W^l - \eta_k\,\delta^l h^{l-1\,T}`.

    Implementation (:class:`_StackedSGD`): numpy float64; the nets' transposed weights are
    stacked as (n_nets, in, out) C-contiguous arrays so that the batched forward and backward
    products are single ``matmul`` calls and each net's rank-one update is an in-place BLAS
    ``dger`` on a Fortran-ordered view (no temporaries). For one-hot inputs the first layer
    is a row gather and its update a row update. Every operation acts on one net's own
    arrays, so a net's arithmetic, to the last bit, does not depend on which other nets
    share its stack (a stack of rate copies reproduces separate runs exactly). One batched
    update per layer instead of the ``dger`` loop (``matmul`` of (n, in, 1) @ (n, 1, out)
    into a buffer, then subtract; or a broadcast product) was measured slower, 560 or 290
    against 80 us per step at 10 nets and 10 or 7.5 against 2.4 ms at 160 nets (the
    (64, 128, 128) nets of the tree), and it rounds differently (OpenBLAS's ``dger`` fuses
    the multiply-add), so the loop stays.

    Returns ``(maps, weights)``: the input-output maps (n_records, n_nets, n_items, n_out),
    on the identity input, at epoch 0 and after every ``record_every``-th epoch, and the final
    weights as a list of (n_nets, out, in) arrays. FloatingPointError (with the attribute
    ``epoch``) at the first recorded epoch at which a net's map is not finite.
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


class _StackedSGD:
    """Per-sample SGD state of a stack of nets: the engine of :func:`train_fast` and
    :func:`stability_probe`.

    ``wts``: the transposed weights, (n_nets, in, out) C-contiguous; ``lr``: (n_nets,)
    rates; :meth:`run_epoch` does one epoch of steps, :meth:`maps` evaluates the nets on
    the identity input, :meth:`keep` drops nets from the stack (their arrays are copied,
    the remaining nets' values untouched).
    """

    def __init__(self, weights, x, y, orders, lr, relu):
        self.x, self.y, self.orders, self.wts = _fast_inputs(weights, x, y, orders)
        n_nets = self.wts[0].shape[0]
        lr = np.asarray(lr, dtype=np.float64)
        if lr.ndim == 0:
            lr = np.full(n_nets, float(lr))
        if lr.shape != (n_nets,):
            raise ValueError(
                f"lr must be a number or an (n_nets,) = ({n_nets},) array, got {lr.shape}"
            )
        self.lr = lr
        self.relu = np.broadcast_to(np.asarray(relu, dtype=bool), (n_nets,)).copy()
        self.scale = 2.0 / self.y.shape[1]  # d MSELoss / d y_hat = (2/F) (y_hat - y)
        self.one_hot = self.x.shape[0] == self.x.shape[1] and np.array_equal(
            self.x, np.eye(self.x.shape[0])
        )
        self._prepare()

    @property
    def n_nets(self):
        return self.wts[0].shape[0]

    @property
    def n_epochs(self):
        return self.orders.shape[1]

    def _prepare(self):
        n_nets = self.n_nets
        self.nets = np.arange(n_nets)
        self.any_relu = bool(self.relu.any())
        self.linear_rows = (~self.relu)[:, None, None]
        self.lr_rows = self.lr[:, None]
        self.neg_lr = (-self.lr).tolist()
        self.views = [[w[k].T for k in range(n_nets)] for w in self.wts]  # Fortran (out, in)

    def keep(self, index):
        """Keep only the nets ``index`` (an integer array or a boolean mask), in order."""
        self.wts = [np.ascontiguousarray(w[index]) for w in self.wts]
        self.orders = self.orders[index]
        self.lr = self.lr[index]
        self.relu = self.relu[index]
        self._prepare()

    def maps(self, nets=None):
        """Outputs on the identity input, (n_nets, n_items, n_out) (only ``nets`` if given)."""
        if nets is None:
            return net_map([w.transpose(0, 2, 1) for w in self.wts], self.relu, numpy=True)
        return net_map([w[nets].transpose(0, 2, 1) for w in self.wts], self.relu[nets], numpy=True)

    def maps_finite(self):
        r"""Whether each net's map on the identity input is finite, (n_nets,) bool.

        Exactly ``np.isfinite(self.maps()).all(axis=(1, 2))``, mostly without the maps:
        row i of a map is :math:`e_i` through the layers, and
        :math:`|(hW)_j| \le n_{in} \max|h| \max|W|` (a ReLU only shrinks), so every
        entry is at most :math:`B = \max|W^1| \prod_{l>1} n^l_{in} \max|W^l|`. Finite
        weights with B < 1e300 give finite products and sums (a computed sum of such terms
        exceeds B by a relative ~n eps at most, far below the overflow at 1.8e308); only the
        nets without that certificate (non-finite weights, or B above it) are evaluated.
        Saves most of the per-epoch check's cost (a map costs about 1/7 of an epoch of steps).
        """
        bound = np.ones(self.n_nets)
        for layer, w in enumerate(self.wts):  # (n_nets, in, out); max|W| is NaN if a NaN
            top = np.maximum(w.max(axis=(1, 2)), -w.min(axis=(1, 2)))
            bound *= top if layer == 0 else w.shape[1] * top
        finite = bound < 1e300  # False for inf or NaN
        unsure = np.flatnonzero(~finite)
        if unsure.size:
            finite[unsure] = np.all(np.isfinite(self.maps(unsure)), axis=(1, 2))
        return finite

    def weights(self):
        """The weights as a list of (n_nets, out, in) arrays (copies)."""
        return [w.transpose(0, 2, 1).copy() for w in self.wts]

    def run_epoch(self, epoch):
        """The SGD steps of epoch ``epoch`` (1-based: shuffle ``orders[:, epoch - 1]``)."""
        x, y, wts, nets = self.x, self.y, self.wts, self.nets
        n_layers = len(wts)
        ger = blas.dger
        for idx in self.orders[:, epoch - 1, :].T:  # idx: (n_nets,) item of each net
            # forward with row vectors (n_nets, 1, width)
            if self.one_hot:
                z = wts[0][nets, idx][:, None, :]
            else:
                z = x[idx][:, None, :] @ wts[0]
            hs, gates = [x[idx][:, None, :]], []
            for layer in range(1, n_layers):
                if self.any_relu:
                    gate = (z > 0) | self.linear_rows
                    h = z * gate
                else:
                    gate, h = None, z
                hs.append(h)
                gates.append(gate)
                z = h @ wts[layer]
            # backward from the pre-step weights (all deltas before any update) ...
            delta = (z - y[idx][:, None, :]) * self.scale
            deltas = [None] * n_layers
            deltas[-1] = delta
            for layer in range(n_layers - 1, 0, -1):
                delta = delta @ wts[layer].transpose(0, 2, 1)
                if gates[layer - 1] is not None:
                    delta *= gates[layer - 1]
                deltas[layer - 1] = delta
            # ... then the SGD step, in place, each net at its own rate
            if self.one_hot:
                wts[0][nets, idx] -= self.lr_rows * deltas[0][:, 0, :]
            else:
                for k, a in enumerate(self.neg_lr):
                    ger(a, deltas[0][k, 0], hs[0][k, 0], a=self.views[0][k], overwrite_a=1)
            for layer in range(1, n_layers):
                d, h, vs = deltas[layer], hs[layer], self.views[layer]
                for k, a in enumerate(self.neg_lr):
                    ger(a, d[k, 0], h[k, 0], a=vs[k], overwrite_a=1)


def _train_fast(weights, x, y, orders, lr, relu, record_every):
    sgd = _StackedSGD(weights, x, y, orders, lr, relu)
    records = [sgd.maps()]
    for epoch in range(1, sgd.n_epochs + 1):
        sgd.run_epoch(epoch)
        if epoch % record_every == 0:
            records.append(sgd.maps())
            finite = np.all(np.isfinite(records[-1]), axis=(1, 2))
            if not finite.all():
                bad = np.nonzero(~finite)[0]
                rates = np.unique(sgd.lr[bad])
                rate = f"{rates[0]:g}" if rates.size == 1 else str(rates.tolist())
                err = FloatingPointError(
                    f"per-sample SGD diverged by epoch {epoch} (nets {bad.tolist()}): "
                    f"lr={rate} is above the stability limit for these data (roughly "
                    "lr * 2/F * s_max^(2-2/N_l) < 2); lower lr or use fewer/smaller targets"
                )
                err.epoch = epoch  # for callers probing the limit (largest_stable_lr)
                raise err
    return np.stack(records), sgd.weights()


def stability_probe(weights, x, y, orders, lr, relu=False, prune=None):
    r"""Per-sample SGD of a stack of nets, each at its own rate, recording divergence per net.

    The nets, shuffles and steps are those of :func:`train_fast` (``lr`` a number or an
    (n_nets,) array), but a net whose outputs overflow is not an error: its inf/NaN stay in
    its own arrays (every product and update of the stack acts on one net at a time, so the
    other nets' values are bit for bit those of a run without it). After every epoch the
    maps on the identity input are checked as :func:`train_fast` checks them (most of them
    certified finite from a bound on the weights instead, :meth:`_StackedSGD.maps_finite`).

    ``prune``: optional callable, after every epoch, of the (n_nets,) first non-finite
    epochs so far (NaN while finite), returning a boolean mask of the nets still needed;
    the others are dropped from the stack (no further steps), e.g. every rate copy above a
    rate already found unstable.

    Returns ``(loss_start, loss_end, epoch)``, each (n_nets,): the training ``MSELoss``
    (mean over items and outputs) of the initial and the final maps (NaN for a dropped
    net), and the first epoch whose map is not finite (NaN if none was seen).
    """
    with threadpool_limits(limits=1, user_api="blas"), np.errstate(all="ignore"):
        sgd = _StackedSGD(weights, x, y, orders, lr, relu)
        n_nets = sgd.n_nets
        loss_start = np.mean((sgd.maps() - sgd.y) ** 2, axis=(1, 2))
        loss_end = np.full(n_nets, np.nan)
        first_bad = np.full(n_nets, np.nan)
        alive = np.arange(n_nets)  # original index of each net in the stack
        for epoch in range(1, sgd.n_epochs + 1):
            if alive.size == 0:
                break
            sgd.run_epoch(epoch)
            if epoch == sgd.n_epochs:
                maps = sgd.maps()
                loss_end[alive] = np.mean((maps - sgd.y) ** 2, axis=(1, 2))
                bad = ~np.all(np.isfinite(maps), axis=(1, 2))
            else:
                bad = ~sgd.maps_finite()
            first_bad[alive[bad & np.isnan(first_bad[alive])]] = epoch
            if prune is not None and epoch < sgd.n_epochs:
                needed = np.asarray(prune(first_bad.copy()), dtype=bool)[alive]
                if not needed.all():
                    sgd.keep(needed)
                    alive = alive[needed]
    return loss_start, loss_end, first_bad
