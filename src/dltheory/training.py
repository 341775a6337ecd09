"""Training many small tanh networks at once, for the trainability sweep.

Networks of ``L`` hidden tanh layers of width ``N`` and a linear read-out to the classes,

    h^1 = x W^1 + b^1,   h^l = (m^l * phi(h^{l-1}) / rho) W^l + b^l  (l = 2..L),
    logits = (m^{L+1} * phi(h^L) / rho) W^{out} + b^{out},

initialised as in the mean-field papers, ``W^l_ij ~ N(0, sigma_w^2 / fan_in)``,
``b^l_i ~ N(0, sigma_b^2)`` (the read-out too), trained on the cross-entropy with SGD or
RMSProp for a fixed number of steps. ``m^l_i ~ Bernoulli(rho)`` is dropout on the hidden
activations (keep probability ``rho``; ``rho = 1``: none), fresh at every step and off
at evaluation (inverted dropout, as in :mod:`dltheory.networks`).

Speed: the sweep is many small independent networks. :func:`train_batched` trains every
``sigma_w^2`` (and seed) of one depth together: the parameters of ``G`` networks are
stacked along a leading axis (views of one flat buffer), and forward and backward are
written out by hand without autograd: one BLAS product per network and layer into
preallocated buffers (``numpy.matmul``, OpenBLAS: at these shapes ~1.3x torch's MKL
``bmm`` here), numpy's vectorised tanh, and one fused RMSProp pass per layer while its
gradient is fresh (:func:`rmsprop_step_`). :func:`train_single` is the plain PyTorch
reference loop, one network at a time (``addmm``, ``torch.tanh``, autograd,
``torch.optim``), with the same initial weights, batches and dropout masks; the two
compute the same networks, to ~1e-14 in float64 (``Settings.dtype``) and to float32
rounding in float32, but for rare elements whose gradient is itself near zero, where
RMSProp's normalised step turns rounding into a fraction of a step (tested). The
products are ~2/3 of the batched trainer's time.

Common random numbers: all ``sigma_w^2`` of one seed share the same standard-normal
draws (``W = sigma_w / sqrt(fan_in) Z``), the same batches and the same dropout masks,
so neighbouring columns of a heatmap differ by ``sigma_w`` only, not by luck.

Data (no download at run time): scikit-learn's bundled digits (:func:`load_digits_data`)
or MNIST / Fashion-MNIST from local IDX files (:func:`load_idx_data`).

This module imports nothing else of the package but :mod:`dltheory.seeds`, on purpose: the
sweep's jobs depend on these files only, so edits of the mean-field engine do not retrain
the networks.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from .seeds import torch_generator
from .training_data import (
    IDX_FILES,
    RECORD_SCHEMA,
    Dataset,
    IdxDataError,
    check_idx_dir,
    find_idx_files,
    load_data,
    load_digits_data,
    load_idx_data,
    read_idx,
    standardise,
)

__all__ = [
    "IDX_FILES",
    "OPTIMIZERS",
    "RECORD_SCHEMA",
    "Dataset",
    "IdxDataError",
    "Settings",
    "check_idx_dir",
    "find_idx_files",
    "load_data",
    "load_digits_data",
    "load_idx_data",
    "read_idx",
    "rmsprop_step_",
    "standardise",
    "train_batched",
    "train_single",
]

DTYPES = {"float32": torch.float32, "float64": torch.float64}
OPTIMIZERS = ("sgd", "rmsprop")


# ------------------------------------------------------------------------- training


@dataclass(frozen=True)
class Settings:
    """Everything of a training run except sigma_w^2 and the seed."""

    depth: int
    width: int
    steps: int
    batch: int
    lr: float
    optimizer: str = "rmsprop"
    keep_prob: float = 1.0
    sigma_b2: float = 0.05
    eval_batch: int = 2048
    #: "float32" (the sweep) or "float64" (tests: both trainers agree to ~1e-14 there,
    #: while in float32 RMSProp turns rounding in near-zero gradients into ~1e-6 steps)
    dtype: str = "float32"

    def __post_init__(self):
        for name in ("depth", "width", "steps", "batch", "eval_batch"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if not 0 < self.keep_prob <= 1:
            raise ValueError(f"keep_prob must be in (0, 1], got {self.keep_prob}")
        if not self.sigma_b2 >= 0:
            raise ValueError(f"sigma_b2 must be >= 0, got {self.sigma_b2}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {tuple(DTYPES)}, got {self.dtype!r}")

    @property
    def torch_dtype(self) -> torch.dtype:
        return DTYPES[self.dtype]


def _layer_sizes(d_in: int, s: Settings, n_classes: int) -> list[tuple[int, int]]:
    return [(d_in, s.width)] + [(s.width, s.width)] * (s.depth - 1) + [(s.width, n_classes)]


def _streams(base_seed: int, seed: int, depth: int) -> list[torch.Generator]:
    """Independent generators of network seed ``seed`` at depth ``depth``: initial
    weights, batches, dropout masks (streams of :mod:`dltheory.seeds`)."""
    return [
        torch_generator(base_seed, "depth", depth, "seed", seed, stream)
        for stream in ("init", "batches", "dropout")
    ]


def _normals(gen: torch.Generator, sizes, dtype) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Standard-normal draws (Z_W, Z_b) per layer, in layer order."""
    return [
        (torch.randn(i, o, generator=gen, dtype=dtype), torch.randn(o, generator=gen, dtype=dtype))
        for i, o in sizes
    ]


def _batches(gen: torch.Generator, n: int, batch: int, steps: int) -> torch.Tensor:
    """(steps, batch) sample indices: consecutive slices of fresh permutations (epochs)."""
    need = steps * batch
    perms = [torch.randperm(n, generator=gen) for _ in range(-(-need // n))]
    return torch.cat(perms)[:need].view(steps, batch)


def _masks(gen: torch.Generator, s: Settings, out=None) -> torch.Tensor | None:
    """Dropout masks (depth, batch, width) / keep_prob of one step, or None without dropout.

    ``out``: a preallocated contiguous (depth, batch, width) buffer of the settings'
    dtype to fill (the same draws and values as without).
    """
    if s.keep_prob == 1.0:
        return None
    if out is None:
        out = torch.empty(s.depth, s.batch, s.width, dtype=s.torch_dtype)
    torch.rand(out.shape, generator=gen, dtype=s.torch_dtype, out=out)
    keep = out < s.keep_prob
    return out.copy_(keep).div_(s.keep_prob)


def _optimizer(params, s: Settings):
    if s.optimizer == "sgd":
        return torch.optim.SGD(params, lr=s.lr)
    return torch.optim.RMSprop(params, lr=s.lr)


def _check_grid(sigma_w2) -> np.ndarray:
    sw2 = np.atleast_1d(np.asarray(sigma_w2, dtype=float))
    if sw2.ndim != 1 or sw2.size == 0 or not np.all(np.isfinite(sw2) & (sw2 > 0)):
        raise ValueError(f"sigma_w2 must be a non-empty list of finite values > 0, got {sigma_w2}")
    return sw2


def _views(flat: torch.Tensor, shapes) -> list[torch.Tensor]:
    """Consecutive contiguous views of one flat buffer, one per shape."""
    out, at = [], 0
    for shape in shapes:
        n = math.prod(shape)
        out.append(flat[at : at + n].view(shape))
        at += n
    return out


def _pairs(tensors) -> list[tuple[torch.Tensor, np.ndarray]]:
    """Each buffer with its numpy view (same memory), made once: ``Tensor.numpy()`` costs
    microseconds a call, and the hot loop makes thousands of products."""
    return [(t, t.numpy()) for t in tensors]


def _forward_(weights, biases, x, acts, logits, masks=None, dropped=None):
    """Logits of G stacked networks on inputs x (G, B, d), written into ``logits`` (G, B, C).

    No autograd, and every result goes into a preallocated buffer. The products are
    ``numpy.matmul`` on float32 arrays (one BLAS ``sgemm`` per network, OpenBLAS in numpy's
    wheel: at these small shapes 1.3x the rate of ``torch.bmm`` with MKL on this machine,
    1.7x on data not in cache); ``+ b`` and the dropout masks are torch's (numpy's
    broadcasting is slower); tanh is numpy's vectorised ``tanh`` (torch's CPU tanh is ~8x
    slower on these stacked arrays).

    ``weights``: the (G, fan_in, fan_out) arrays; ``biases``: the (G, 1, fan_out) tensors;
    ``x``: an array; ``acts[k]``, ``logits``, ``dropped[k]``: (tensor, array) pairs of one
    buffer (:func:`_pairs`). ``acts[k]`` (G, B, N) receives ``phi(h^{k+1})`` (kept for the
    backward pass; at evaluation two buffers may alternate). ``masks[k]`` (S, 1, B, N):
    one dropout mask per seed, broadcast over the G / S networks of that seed; the masked
    activations go to ``dropped[k]``.
    """
    inp = x
    for k in range(len(weights) - 1):
        a, a_np = acts[k]
        np.matmul(inp, weights[k], out=a_np)
        a.add_(biases[k])
        np.tanh(a_np, out=a_np)
        if masks is not None:
            m = masks[k]
            d, a_np = dropped[k]
            torch.mul(a.view(m.shape[0], -1, *a.shape[1:]), m, out=d.view(
                m.shape[0], -1, *a.shape[1:]))  # fmt: skip
        inp = a_np
    np.matmul(inp, weights[-1], out=logits[1])
    return logits[0].add_(biases[-1])


def _backward_(
    weights_t, x, acts, dlogits, dweights, dbiases, work, masks=None, dropped=None, done=None
):
    """Gradients of the summed losses into ``dweights`` / ``dbiases`` (hand-written).

    ``dlogits`` (G, B, C) is the gradient at the logits; ``work`` three (G, B, N) buffers;
    buffers are (tensor, array) pairs as in :func:`_forward_`, ``dweights`` arrays,
    ``dbiases`` tensors. ``weights_t[k]`` holds ``W^k^T`` (G, fan_out, fan_in),
    contiguous: BLAS's product with a transposed view is ~1.7x slower here than the
    copy plus a plain product (``weights_t[0]`` is not used).
    Per layer: ``dW = a^T dh``, ``db = sum_B dh``, ``da = dh W^T`` (times the dropout
    mask), ``dh = da (1 - a^2)`` with ``a = tanh`` from the forward pass: the gradient
    autograd computes in :func:`train_single`. ``done(k)`` (optional) is called once
    ``W^k`` is no longer needed (its update, while the layer's gradient is still in cache).
    """
    dh, dh_np = dlogits
    one = torch.ones((), dtype=dh.dtype)
    slot = 0
    for k in range(len(weights_t) - 1, -1, -1):
        if k == 0:
            inp = x
        else:
            inp = (dropped if masks is not None else acts)[k - 1][1]
        np.matmul(inp.transpose(0, 2, 1), dh_np, out=dweights[k])
        torch.sum(dh, 1, keepdim=True, out=dbiases[k])
        if k == 0:
            if done is not None:
                done(k)
            break
        a = acts[k - 1][0]  # while in cache from the product above
        dtanh = torch.addcmul(one, a, a, value=-1.0, out=work[2][0])  # 1 - a^2
        da, da_np = work[slot]
        np.matmul(dh_np, weights_t[k], out=da_np)
        slot ^= 1
        if masks is not None:
            m = masks[k - 1]
            da.view(m.shape[0], -1, *da.shape[1:]).mul_(m)
        dh, dh_np = da.mul_(dtanh), da_np
        if done is not None:
            done(k)


def _evaluate_stacked(weights, biases, x, y, eval_batch):
    """Accuracy (G,) and mean cross-entropy (G,) on the full set (no dropout)."""
    g = weights[0].shape[0]
    width, n_classes = weights[0].shape[-1], weights[-1].shape[-1]
    weights_np = [w.numpy() for w in weights]
    correct = torch.zeros(g, dtype=torch.float64)
    loss = torch.zeros(g, dtype=torch.float64)
    rows = min(eval_batch, x.shape[0])
    ping_pong = [torch.empty(g * rows * width, dtype=x.dtype) for _ in range(2)]
    logits_buf = torch.empty(g * rows * n_classes, dtype=x.dtype)
    for start in range(0, x.shape[0], eval_batch):
        xb, yb = x[start : start + eval_batch], y[start : start + eval_batch]
        n = xb.shape[0]
        acts = _pairs(ping_pong[k][: g * n * width].view(g, n, width) for k in range(2))
        acts = [acts[k % 2] for k in range(len(weights) - 1)]
        logits = logits_buf[: g * n * n_classes].view(g, n, n_classes)
        x_np = np.broadcast_to(xb.numpy(), (g, *xb.shape))
        _forward_(weights_np, biases, x_np, acts, (logits, logits.numpy()))
        logits_t = logits.transpose(1, 2).contiguous()  # (G, C, n): see train_batched
        correct += (logits.argmax(-1) == yb).sum(-1).double()
        logp_t = torch.log_softmax(logits_t, 1)
        ce = logp_t.gather(1, yb.view(1, 1, n).expand(g, -1, -1)).view(g, n).neg_()
        loss += ce.sum(-1).double()
    return correct / x.shape[0], loss / x.shape[0]


def _records(sw2_of, seed_of, s: Settings, train, test, loss, bad, n_classes):
    """Per-network rows; a diverged network (non-finite loss) is at chance accuracy."""
    chance = 1.0 / n_classes
    bad = np.asarray(bad) | ~np.isfinite(np.asarray(loss))
    return pd.DataFrame(
        {
            "sigma_w2": np.asarray(sw2_of, dtype=float),
            "depth": np.full(len(sw2_of), s.depth, dtype=np.int64),
            "seed": np.asarray(seed_of, dtype=np.int64),
            "keep_prob": np.full(len(sw2_of), s.keep_prob),
            "train_acc": np.where(bad, chance, np.asarray(train, dtype=float)),
            "test_acc": np.where(bad, chance, np.asarray(test, dtype=float)),
            "final_loss": np.asarray(loss, dtype=float),
            "diverged": bad,
        }
    )


#: torch.optim.RMSprop defaults (train_single uses that class; train_batched the same update)
RMSPROP_ALPHA, RMSPROP_EPS = 0.99, 1e-8

#: a step count at which Adam's bias corrections ``1 - beta^t`` are exactly 1 in float64
#: for every beta <= 0.99 (``0.99^1e6`` underflows to 0), see :func:`rmsprop_step_`
_NO_BIAS_CORRECTION = torch.tensor(1.0e6)


def rmsprop_step_(param, grad, square_avg, first_moment, lr, alpha=RMSPROP_ALPHA, eps=RMSPROP_EPS):
    """``torch.optim.RMSprop``'s update, in place, in one fused pass over the memory.

        v <- alpha v + (1 - alpha) g^2,    p <- p - lr g / (sqrt(v) + eps).

    Computed by torch's fused CPU Adam kernel (the one behind ``Adam(fused=True)``) with
    ``beta1 = 0``, so that its first moment ``m`` is ``g`` itself, ``beta2 = alpha``, and
    a step count at which both bias corrections are exactly 1: Adam's
    ``p - lr m / (sqrt(v / 1) + eps)`` is then RMSProp's. One pass instead of five (mul,
    addcmul, sqrt, add, addcdiv): ~2.7x faster on this machine. Agrees with
    ``torch.optim.RMSprop`` to float32 rounding (tested); a NaN in ``g`` stays in its own
    elements. ``first_moment`` is that ``m`` buffer (overwritten); it must hold finite
    values, as Adam's ``m <- lerp(m, g, 1)`` is NaN where ``m`` is.
    """
    if not 0.0 <= alpha <= 0.99:
        raise ValueError(f"alpha must lie in [0, 0.99] (bias corrections exactly 1), got {alpha}")
    # A private torch op, kept for a measured reason: one pass instead of five public ones,
    # ~2.7x faster (bench_trainability); tests pin it to torch.optim.RMSprop.
    torch._fused_adam_(
        [param],
        [grad],
        [first_moment],
        [square_avg],
        [],
        [_NO_BIAS_CORRECTION],
        lr=lr,
        beta1=0.0,
        beta2=alpha,
        weight_decay=0.0,
        eps=eps,
        amsgrad=False,
        maximize=False,
    )


class _StackedNetworks:
    """Parameters, gradients and optimiser state of G stacked networks, in flat buffers.

    One flat parameter buffer: all weights (G, fan_in, fan_out), then all biases
    (G, 1, fan_out). A layer's weights are updated as soon as their gradient is known
    (:meth:`update_`), so the weight gradients of all layers share one scratch buffer.
    ``weights_t[k]`` holds ``W^k^T`` for the backward pass (:func:`_backward_`),
    refreshed after each update of ``W^k`` while it is in cache.
    """

    def __init__(self, g: int, sizes, s: Settings):
        dt = s.torch_dtype
        n = len(sizes)
        self.lr = s.lr
        shapes = [(g, i, o) for i, o in sizes] + [(g, 1, o) for _, o in sizes]
        sizes_flat = [math.prod(shape) for shape in shapes]
        total, n_bias = sum(sizes_flat), sum(sizes_flat[n:])
        self.params = torch.empty(total, dtype=dt)
        views = _views(self.params, shapes)
        self.weights, self.biases = views[:n], views[n:]
        largest = max(sizes_flat[:n])
        grad_w = torch.empty(largest, dtype=dt)
        self.dweights = [grad_w[: math.prod(shape)].view(shape) for shape in shapes[:n]]
        grad_b = torch.empty(n_bias, dtype=dt)
        self.dbiases = _views(grad_b, shapes[n:])
        # the optimiser's state in the same flat layout; ``chunks[k]``: (param, grad, state,
        # first-moment scratch) flat views of layer k's weights (k = 0..L), ``chunks[-1]``
        # of all biases
        self.rms = s.optimizer == "rmsprop"
        square_avg = torch.zeros(total, dtype=dt) if self.rms else None
        scratch = torch.empty(max(largest, n_bias), dtype=dt) if self.rms else None
        bounds = np.cumsum([0] + sizes_flat[:n] + [n_bias])
        grads_of = [dw.view(-1) for dw in self.dweights] + [grad_b]
        state = (lambda lo, hi: (square_avg[lo:hi], scratch[: hi - lo])) if self.rms else None
        self.chunks = [
            (self.params[lo:hi], grad, *(state(lo, hi) if state else ()))
            for (lo, hi), grad in zip(itertools.pairwise(bounds), grads_of, strict=True)
        ]
        self.weights_np = [w.numpy() for w in self.weights]
        dtype_np = self.weights_np[0].dtype
        self.weights_t = [None] + [np.empty((g, o, i), dtype=dtype_np) for i, o in sizes[1:]]
        self.dweights_np = [dw.numpy() for dw in self.dweights]

    def initialise_(self, normals, sigma_w2: np.ndarray, sigma_b2: float):
        """``W = sigma_w / sqrt(fan_in) Z_W``, ``b = sigma_b Z_b``, seed-major.

        ``normals[i]``: the draws of seed ``i`` (:func:`_normals`), shared by all of its
        ``sigma_w2`` (common random numbers).
        """
        dt = self.params.dtype
        n_sw = len(sigma_w2)
        scale_w = torch.as_tensor(np.sqrt(sigma_w2), dtype=dt).view(1, n_sw, 1, 1)
        for layer, w_out in enumerate(self.weights):
            fan_in = w_out.shape[1]
            zw = torch.stack([nz[layer][0] for nz in normals]).unsqueeze(1)  # (S, 1, i, o)
            zb = torch.stack([nz[layer][1] for nz in normals]).unsqueeze(1)  # (S, 1, o)
            w = (zw * scale_w / math.sqrt(fan_in)).reshape(-1, *zw.shape[2:])
            b = (zb.expand(-1, n_sw, -1) * math.sqrt(sigma_b2)).reshape(-1, 1, zb.shape[-1])
            w_out.copy_(w)
            self.biases[layer].copy_(b)
        for k in range(1, len(self.weights)):
            self.transpose_(k)

    def transpose_(self, k: int):
        np.copyto(self.weights_t[k], self.weights_np[k].transpose(0, 2, 1))

    def update_(self, k: int):
        """One optimiser step on chunk ``k`` (``-1``: the biases): torch.optim's update."""
        if not self.rms:
            p, grad = self.chunks[k]
            p.add_(grad, alpha=-self.lr)
        else:
            p, grad, square_avg, first_moment = self.chunks[k]
            # the first-moment scratch is shared by the chunks: cleared, so that a NaN of
            # a diverged network cannot reach another network's elements through it
            rmsprop_step_(p, grad, square_avg, first_moment.zero_(), self.lr)
        if k > 0:
            self.transpose_(k)


class _StepBuffers:
    """Preallocated inputs, activations, dropout masks and logits of one training step.

    Buffers read by numpy are (tensor, array) pairs (:func:`_pairs`). ``masks[k]``
    (S, 1, B, N): one dropout mask per seed and layer, views of ``mask_buf``
    (S, L, B, N) broadcast over the sigma_w^2 of that seed; None without dropout.
    """

    def __init__(self, n_seeds: int, n_sw: int, n_features: int, n_classes: int, s: Settings):
        dt = s.torch_dtype
        g = n_seeds * n_sw
        self.n_seeds, self.n_sw, self.batch = n_seeds, n_sw, s.batch
        self.x = torch.empty(g, s.batch, n_features, dtype=dt)
        self.acts = _pairs(torch.empty(g, s.batch, s.width, dtype=dt) for _ in range(s.depth))
        self.dropped, self.masks, self.mask_buf = None, None, None
        if s.keep_prob < 1:
            self.dropped = _pairs(
                torch.empty(g, s.batch, s.width, dtype=dt) for _ in range(s.depth)
            )
            self.mask_buf = torch.empty(n_seeds, s.depth, s.batch, s.width, dtype=dt)
            self.masks = [self.mask_buf[:, k].unsqueeze(1) for k in range(s.depth)]
        self.work = _pairs(torch.empty(g, s.batch, s.width, dtype=dt) for _ in range(3))
        self.logits = torch.empty(g, s.batch, n_classes, dtype=dt)
        self.logits_np = self.logits.numpy()
        self.logits_t = torch.empty(g, n_classes, s.batch, dtype=dt)
        self.d_logp_t = torch.empty(g, n_classes, s.batch, dtype=dt)
        self.d_logits_t = torch.empty(g, n_classes, s.batch, dtype=dt)


def _load_batch_(buf: _StepBuffers, x_train, y_train, idx, mask_streams, s: Settings):
    """Inputs of the step's batch ``idx`` (S, B) into ``buf.x`` (shared by the sigma_w^2 of
    a seed), fresh dropout masks from each seed's mask stream; returns the labels (S, B)."""
    buf.x.view(buf.n_seeds, buf.n_sw, buf.batch, -1).copy_(x_train[idx].unsqueeze(1))
    if buf.masks is not None:
        for i, gen in enumerate(mask_streams):
            _masks(gen, s, out=buf.mask_buf[i])
    return y_train[idx]


def _cross_entropy_grad_(buf: _StepBuffers, yb) -> torch.Tensor:
    """Per network the mean cross-entropy (G,) over the batch of the logits in ``buf``, and
    its gradient with respect to the logits, ``(p - onehot_y) / B``, written over them.

    On the transposed logits (G, C, B): with C = 10 classes torch's log-softmax along the
    last dimension is ~20x slower than along a middle one (same bits, tested). The
    gradient of the log-softmax is ``d - softmax * sum_C d`` for an upstream ``d``
    (the formula of torch's backward kernel, written with public operations).
    """
    n_seeds, n_sw, batch = buf.n_seeds, buf.n_sw, buf.batch
    buf.logits_t.copy_(buf.logits.transpose(1, 2))
    logp_t = torch.log_softmax(buf.logits_t, 1)
    target = yb.view(n_seeds, 1, 1, batch).expand(-1, n_sw, -1, -1)
    loss = logp_t.view(n_seeds, n_sw, -1, batch).gather(2, target).view(-1, batch)
    loss = loss.neg_().mean(1)
    d_logp_t = buf.d_logp_t.zero_()
    d_logp_t.view(n_seeds, n_sw, -1, batch).scatter_(2, target, -1.0 / batch)
    softmax_t = torch.exp(logp_t, out=buf.d_logits_t)
    d_logits_t = torch.addcmul(d_logp_t, softmax_t, d_logp_t.sum(1, keepdim=True), value=-1.0)
    buf.logits.copy_(d_logits_t.transpose(1, 2))
    return loss


def _train_step_(nets: _StackedNetworks, buf: _StepBuffers, yb) -> torch.Tensor:
    """Forward, loss, backward and the update of every layer of the batch in ``buf``;
    returns the batch loss (G,) of each network."""
    x_np = buf.x.numpy()
    logits = (buf.logits, buf.logits_np)
    _forward_(nets.weights_np, nets.biases, x_np, buf.acts, logits, buf.masks, buf.dropped)
    loss = _cross_entropy_grad_(buf, yb)
    _backward_(
        nets.weights_t, x_np, buf.acts, logits, nets.dweights_np, nets.dbiases, buf.work,
        buf.masks, buf.dropped, nets.update_,
    )  # fmt: skip
    nets.update_(-1)  # the biases
    return loss


@torch.no_grad()
@np.errstate(all="ignore")  # a diverging network's inf/NaN is flagged in its record, not warned
def train_batched(
    data: Dataset, sigma_w2, seeds, settings: Settings, base_seed: int, return_state=False
):
    """Train every (seed, sigma_w^2) network of one depth together; one row per network.

    The ``G = len(seeds) * len(sigma_w2)`` networks (seed-major) are stacked: weights
    (G, fan_in, fan_out), biases (G, 1, fan_out), all views of one flat parameter buffer
    (:class:`_StackedNetworks`). Each step (:func:`_train_step_`) is a hand-written
    forward and backward pass (``L + 1`` batched products forward, ``2 L + 1`` backward,
    each into a preallocated buffer of :class:`_StepBuffers`, no autograd) and an
    optimiser update of each layer's stack as soon as its gradient is known (SGD and
    RMSProp are element-wise, so this is exactly G separate optimisers; the update is
    that of ``torch.optim``). Each network's loss is the mean cross-entropy over its
    batch and gets its own gradient, so networks do not interact and a NaN stays in its
    own slice.

    Returns the records (columns of :data:`RECORD_SCHEMA`); ``diverged`` is set when a
    batch loss or the final loss is NaN/inf, and those networks get chance accuracy.
    With ``return_state`` also returns ``(weights, biases, batch_losses)``.
    """
    s = settings
    sw2 = _check_grid(sigma_w2)
    seeds = [int(k) for k in seeds]
    n_seeds, n_sw = len(seeds), len(sw2)
    sizes = _layer_sizes(data.n_features, s, data.n_classes)
    streams = [_streams(base_seed, k, s.depth) for k in seeds]
    nets = _StackedNetworks(n_seeds * n_sw, sizes, s)
    nets.initialise_([_normals(st[0], sizes, s.torch_dtype) for st in streams], sw2, s.sigma_b2)
    x_train = torch.from_numpy(data.x_train).to(s.torch_dtype)
    y_train = torch.from_numpy(data.y_train)
    order = torch.stack([_batches(st[1], len(y_train), s.batch, s.steps) for st in streams])
    buf = _StepBuffers(n_seeds, n_sw, data.n_features, data.n_classes, s)
    mask_streams = [st[2] for st in streams]
    bad = torch.zeros(n_seeds * n_sw, dtype=torch.bool)
    losses = []
    for step in range(s.steps):
        yb = _load_batch_(buf, x_train, y_train, order[:, step], mask_streams, s)
        loss = _train_step_(nets, buf, yb)
        bad |= ~torch.isfinite(loss)
        if return_state:
            losses.append(loss.clone())
    weights, biases = nets.weights, nets.biases
    train_acc, train_loss = _evaluate_stacked(weights, biases, x_train, y_train, s.eval_batch)
    x_test, y_test = torch.from_numpy(data.x_test).to(s.torch_dtype), torch.from_numpy(data.y_test)
    test_acc, _ = _evaluate_stacked(weights, biases, x_test, y_test, s.eval_batch)
    records = _records(
        np.tile(sw2, len(seeds)),
        np.repeat(seeds, n_sw),
        s,
        train_acc.numpy(),
        test_acc.numpy(),
        train_loss.numpy(),
        bad.numpy(),
        data.n_classes,
    )
    if return_state:
        return records, ([w.clone() for w in weights], [b.clone() for b in biases], losses)
    return records


def train_single(
    data: Dataset,
    sigma_w2: float,
    seed: int,
    settings: Settings,
    base_seed: int,
    return_state=False,
):
    """One network, trained by a plain loop (2-D matrix products): the reference.

    Same initial draws, batches and dropout masks as network (seed, sigma_w2) of
    :func:`train_batched`; returns its record (a one-row DataFrame), and with
    ``return_state`` also ``(weights, biases, batch_losses)``.
    """
    s = settings
    (sw2,) = _check_grid([sigma_w2])
    sizes = _layer_sizes(data.n_features, s, data.n_classes)
    gen_init, gen_batch, gen_mask = _streams(base_seed, seed, s.depth)
    weights, biases = [], []
    for (fan_in, _), (zw, zb) in zip(sizes, _normals(gen_init, sizes, s.torch_dtype), strict=True):
        weights.append((zw * math.sqrt(sw2) / math.sqrt(fan_in)).requires_grad_())
        biases.append((zb * math.sqrt(s.sigma_b2)).requires_grad_())
    opt = _optimizer(weights + biases, s)
    x_train = torch.from_numpy(data.x_train).to(s.torch_dtype)
    y_train = torch.from_numpy(data.y_train)
    order = _batches(gen_batch, len(y_train), s.batch, s.steps)

    def forward(x, masks=None):
        h = torch.addmm(biases[0], x, weights[0])
        for k in range(1, len(weights)):
            a = torch.tanh(h)
            if masks is not None:
                a = a * masks[k - 1]
            h = torch.addmm(biases[k], a, weights[k])
        return h

    bad, losses = False, []
    for step in range(s.steps):
        idx = order[step]
        loss = F.cross_entropy(forward(x_train[idx], _masks(gen_mask, s)), y_train[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        bad |= not bool(torch.isfinite(loss))
        if return_state:
            losses.append(loss.item())

    def evaluate(x, y):
        with torch.no_grad():
            logits = forward(x)
            acc = (logits.argmax(-1) == y).double().mean().item()
            return acc, F.cross_entropy(logits, y).item()

    train_acc, train_loss = evaluate(x_train, y_train)
    test_acc, _ = evaluate(
        torch.from_numpy(data.x_test).to(s.torch_dtype), torch.from_numpy(data.y_test)
    )
    rec = _records([sw2], [seed], s, [train_acc], [test_acc], [train_loss], [bad], data.n_classes)
    if return_state:
        return rec, ([w.detach() for w in weights], [b.detach() for b in biases], losses)
    return rec
