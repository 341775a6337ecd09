r"""The UGRNN cell in index notation, forward and backward by hand (TTIC "Highways", Problem 2).

Concatenated form (the sheet):

.. math::  h^{t+1} = f^t \odot h^t + (1 - f^t) \odot d^t, \quad
           f^t = \sigma(W^f [x^t, h^t] + b^f), \quad d^t = \tanh(W^d [x^t, h^t] + b^d).

(a) Split form, with :math:`W^f = [W^{f,x}, W^{f,h}]` and :math:`W^d = [W^{d,x}, W^{d,h}]`
(column blocks of widths ``n_in`` and ``n_hidden``):

.. math::  f^t = \sigma(W^{f,x} x^t + W^{f,h} h^t + b^f), \quad
           d^t = \tanh(W^{d,x} x^t + W^{d,h} h^t + b^d),

equal because :math:`W[x, h] = \sum_j W_{:,j} x_j + \sum_k W_{:,n_{in}+k} h_k`.

(b) Forward with batch index ``b``, hidden ``i, k``, input ``j``:

.. math::
   a^{f,t}_{b,i} = \sum_j W^{f,x}_{i,j} x^t_{b,j} + \sum_k W^{f,h}_{i,k} h^t_{b,k} + b^f_i,
   \quad f^t_{b,i} = \sigma(a^{f,t}_{b,i}),

   a^{d,t}_{b,i} = \sum_j W^{d,x}_{i,j} x^t_{b,j} + \sum_k W^{d,h}_{i,k} h^t_{b,k} + b^d_i,
   \quad d^t_{b,i} = \tanh(a^{d,t}_{b,i}),

   h^{t+1}_{b,i} = f^t_{b,i} h^t_{b,i} + (1 - f^t_{b,i}) d^t_{b,i}.

(c) Backward of the ``h^{t+1}`` equation, accumulating (``+=``) for all ``b, i``:

.. math::
   f^t.\mathrm{grad}_{b,i} \mathrel{+}= h^{t+1}.\mathrm{grad}_{b,i}\,(h^t_{b,i} - d^t_{b,i}),
   \quad
   h^t.\mathrm{grad}_{b,i} \mathrel{+}= h^{t+1}.\mathrm{grad}_{b,i}\, f^t_{b,i},
   \quad
   d^t.\mathrm{grad}_{b,i} \mathrel{+}= h^{t+1}.\mathrm{grad}_{b,i}\,(1 - f^t_{b,i}).

Then through the gates, with :math:`a^f.\mathrm{grad} = f.\mathrm{grad}\, f (1 - f)` and
:math:`a^d.\mathrm{grad} = d.\mathrm{grad}\,(1 - d^2)` (the ``d`` terms likewise):

.. math::
   W^{f,x}.\mathrm{grad}_{i,j} \mathrel{+}= \sum_b a^f.\mathrm{grad}_{b,i}\, x^t_{b,j}, \quad
   W^{f,h}.\mathrm{grad}_{i,k} \mathrel{+}= \sum_b a^f.\mathrm{grad}_{b,i}\, h^t_{b,k}, \quad
   b^f.\mathrm{grad}_i \mathrel{+}= \sum_b a^f.\mathrm{grad}_{b,i},

   x^t.\mathrm{grad}_{b,j} \mathrel{+}= \sum_i a^f.\mathrm{grad}_{b,i} W^{f,x}_{i,j}, \quad
   h^t.\mathrm{grad}_{b,k} \mathrel{+}= \sum_i a^f.\mathrm{grad}_{b,i} W^{f,h}_{i,k}.

Everything is written literally with :func:`torch.einsum` in float64; the reference for the
gradient check is torch autograd on the *concatenated* form (:func:`loss_autograd`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = [
    "INPUT_TENSORS",
    "TENSORS",
    "Params",
    "backward",
    "concat_gates",
    "concat_step",
    "forward",
    "gradcheck",
    "init_params",
    "loss_autograd",
    "relative_errors",
    "split_step",
]

DTYPE = torch.float64
#: the inputs of the loss: parameters, the sequence and the initial state
INPUT_TENSORS = ("W_fx", "W_fh", "b_f", "W_dx", "W_dh", "b_d", "x", "h0")
#: tensors whose gradients the check compares, in the order of the figure: the inputs and
#: the intermediates Problem 2(c) asks for, f^t.grad, d^t.grad and h^t.grad (t = 1..T, the
#: whole gradient of each state, through the loss and the later steps)
TENSORS = (*INPUT_TENSORS, "f", "d", "h")


@dataclass
class Params:
    """Split-form UGRNN parameters (hidden size H, input size X)."""

    W_fx: torch.Tensor  # (H, X)
    W_fh: torch.Tensor  # (H, H)
    b_f: torch.Tensor  # (H,)
    W_dx: torch.Tensor  # (H, X)
    W_dh: torch.Tensor  # (H, H)
    b_d: torch.Tensor  # (H,)

    def concatenated(self):
        """``(W^f, b^f, W^d, b^d)`` of the concatenated form, ``W^f = [W^{f,x}, W^{f,h}]``."""
        return (
            torch.cat([self.W_fx, self.W_fh], dim=1),
            self.b_f,
            torch.cat([self.W_dx, self.W_dh], dim=1),
            self.b_d,
        )


def init_params(n_in: int, n_hidden: int, gen: torch.Generator, bias_std: float = 0.5) -> Params:
    """Gaussian weights with variance 1/(n_in + n_hidden) (fan-in of ``[x, h]``), random biases."""
    for name, v in (("n_in", n_in), ("n_hidden", n_hidden)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    std = 1.0 / np.sqrt(n_in + n_hidden)

    def g(*shape, s=std):
        return torch.randn(*shape, generator=gen, dtype=DTYPE) * s

    return Params(
        g(n_hidden, n_in),
        g(n_hidden, n_hidden),
        g(n_hidden, s=bias_std),
        g(n_hidden, n_in),
        g(n_hidden, n_hidden),
        g(n_hidden, s=bias_std),
    )


def concat_gates(x, h, W_f, b_f, W_d, b_d):
    """The gates ``(f, d)`` of one step of the sheet's concatenated form."""
    xh = torch.cat([x, h], dim=-1)
    return torch.sigmoid(xh @ W_f.T + b_f), torch.tanh(xh @ W_d.T + b_d)


def concat_step(x, h, W_f, b_f, W_d, b_d):
    """One step of the sheet's concatenated form (plain torch ops, autograd-friendly)."""
    f, d = concat_gates(x, h, W_f, b_f, W_d, b_d)
    return f * h + (1 - f) * d


def split_step(x, h, p: Params):
    """One step of the split form in index notation; returns ``(h_next, f, d)``."""
    a_f = torch.einsum("ij,bj->bi", p.W_fx, x) + torch.einsum("ik,bk->bi", p.W_fh, h) + p.b_f
    a_d = torch.einsum("ij,bj->bi", p.W_dx, x) + torch.einsum("ik,bk->bi", p.W_dh, h) + p.b_d
    f = 1.0 / (1.0 + torch.exp(-a_f))
    d = torch.tanh(a_d)
    h_next = torch.einsum("bi,bi->bi", f, h) + torch.einsum("bi,bi->bi", 1 - f, d)
    return h_next, f, d


def _check_sequence(xs, h0, p: Params):
    if xs.ndim != 3:
        raise ValueError(f"xs must have shape (steps, batch, n_in), got {tuple(xs.shape)}")
    if h0.ndim != 2 or h0.shape[0] != xs.shape[1] or h0.shape[1] != p.W_fh.shape[0]:
        raise ValueError(
            f"h0 must have shape (batch, n_hidden) = ({xs.shape[1]}, {p.W_fh.shape[0]}), "
            f"got {tuple(h0.shape)}"
        )
    if xs.shape[2] != p.W_fx.shape[1]:
        raise ValueError(f"xs has n_in = {xs.shape[2]} but W_fx expects {p.W_fx.shape[1]}")


def forward(xs: torch.Tensor, h0: torch.Tensor, p: Params):
    """Run the split form over ``xs`` (steps, batch, n_in) from ``h0`` (batch, n_hidden).

    Returns ``hs`` (steps + 1, batch, n_hidden) with ``hs[0] = h0`` and the gate values
    ``fs``, ``ds`` (steps, batch, n_hidden) needed by :func:`backward`.
    """
    _check_sequence(xs, h0, p)
    hs, fs, ds = [h0], [], []
    for t in range(xs.shape[0]):
        h_next, f, d = split_step(xs[t], hs[-1], p)
        hs.append(h_next)
        fs.append(f)
        ds.append(d)
    return torch.stack(hs), torch.stack(fs), torch.stack(ds)


def backward(xs, hs, fs, ds, p: Params, h_grads):
    """Backpropagation through time by the index formulas of the module docstring.

    ``h_grads`` (steps, batch, n_hidden) are the direct loss gradients of ``h^1 .. h^T``
    (``dL/dh^{t+1}`` from the loss alone). Returns a dict of gradients named as
    :data:`TENSORS` (``x`` of shape (steps, batch, n_in)); ``f`` and ``d`` are the
    accumulated gate gradients and ``h`` the gradients of ``h^1 .. h^T`` (steps, batch,
    n_hidden).
    """
    steps = xs.shape[0]
    grads = {
        "W_fx": torch.zeros_like(p.W_fx),
        "W_fh": torch.zeros_like(p.W_fh),
        "b_f": torch.zeros_like(p.b_f),
        "W_dx": torch.zeros_like(p.W_dx),
        "W_dh": torch.zeros_like(p.W_dh),
        "b_d": torch.zeros_like(p.b_d),
        "x": torch.zeros_like(xs),
        "f": torch.zeros_like(fs),
        "d": torch.zeros_like(ds),
    }
    h_grad = torch.zeros_like(hs)  # h^t.grad for t = 0..T
    h_grad[1:] += h_grads
    for t in reversed(range(steps)):
        g_next, h, f, d, x = h_grad[t + 1], hs[t], fs[t], ds[t], xs[t]
        # backward of h^{t+1} = f * h + (1 - f) * d
        grads["f"][t] += torch.einsum("bi,bi->bi", g_next, h - d)
        h_grad[t] += torch.einsum("bi,bi->bi", g_next, f)
        grads["d"][t] += torch.einsum("bi,bi->bi", g_next, 1 - f)
        # backward of f = sigmoid(a_f) and d = tanh(a_d)
        a_f_grad = torch.einsum("bi,bi->bi", grads["f"][t], f * (1 - f))
        a_d_grad = torch.einsum("bi,bi->bi", grads["d"][t], 1 - d * d)
        for gate, a_grad in (("f", a_f_grad), ("d", a_d_grad)):
            W_x, W_h = getattr(p, f"W_{gate}x"), getattr(p, f"W_{gate}h")
            grads[f"W_{gate}x"] += torch.einsum("bi,bj->ij", a_grad, x)
            grads[f"W_{gate}h"] += torch.einsum("bi,bk->ik", a_grad, h)
            grads[f"b_{gate}"] += torch.einsum("bi->i", a_grad)
            grads["x"][t] += torch.einsum("bi,ij->bj", a_grad, W_x)
            h_grad[t] += torch.einsum("bi,ik->bk", a_grad, W_h)
    grads["h0"] = h_grad[0]
    grads["h"] = h_grad[1:]
    return grads


def loss_autograd(xs, h0, p: Params, h_grads):
    """Reference: autograd of ``L = sum_t <h_grads[t], h^{t+1}>`` on the concatenated form,
    with the gradients of the gates and states kept (``retain_grad``)."""
    W_f, b_f, W_d, b_d = (t.detach().clone().requires_grad_(True) for t in p.concatenated())
    xs_r = xs.detach().clone().requires_grad_(True)
    h0_r = h0.detach().clone().requires_grad_(True)
    h, loss, kept = h0_r, 0.0, {"f": [], "d": [], "h": []}
    for t in range(xs.shape[0]):
        f, d = concat_gates(xs_r[t], h, W_f, b_f, W_d, b_d)
        h = f * h + (1 - f) * d
        for name, tensor in (("f", f), ("d", d), ("h", h)):
            tensor.retain_grad()
            kept[name].append(tensor)
        loss = loss + (h_grads[t] * h).sum()
    loss.backward()
    n_in = p.W_fx.shape[1]
    return {
        "W_fx": W_f.grad[:, :n_in],
        "W_fh": W_f.grad[:, n_in:],
        "b_f": b_f.grad,
        "W_dx": W_d.grad[:, :n_in],
        "W_dh": W_d.grad[:, n_in:],
        "b_d": b_d.grad,
        "x": xs_r.grad,
        "h0": h0_r.grad,
        **{name: torch.stack([t.grad for t in kept[name]]) for name in ("f", "d", "h")},
    }


def relative_errors(ours: torch.Tensor, ref: torch.Tensor):
    """``(normwise, elementwise)`` relative errors.

    normwise ``max|a - r| / max|r|``; elementwise ``max |a - r| / max(|a|, |r|)`` over the
    entries that are not both exactly zero.
    """
    diff = (ours - ref).abs()
    scale = ref.abs().max()
    normwise = float(diff.max() / scale) if scale > 0 else float(diff.max())
    denom = torch.maximum(ours.abs(), ref.abs())
    mask = denom > 0
    elementwise = float((diff[mask] / denom[mask]).max()) if mask.any() else 0.0
    return normwise, elementwise


def gradcheck(n_in: int, n_hidden: int, steps: int, batch: int, seed: int):
    """Hand-written BPTT against autograd for one random problem.

    Returns a list of dicts, one per tensor of :data:`TENSORS`, with the normwise and
    elementwise relative errors, the gradient scale and the forward agreement of the split
    and concatenated forms (max abs difference of all ``h^t``).
    """
    for name, v in (("steps", steps), ("batch", batch)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    gen = torch.Generator().manual_seed(int(seed))
    p = init_params(n_in, n_hidden, gen)
    xs = torch.randn(steps, batch, n_in, generator=gen, dtype=DTYPE)
    h0 = torch.randn(batch, n_hidden, generator=gen, dtype=DTYPE) * 0.5
    h_grads = torch.randn(steps, batch, n_hidden, generator=gen, dtype=DTYPE)
    hs, fs, ds = forward(xs, h0, p)
    ours = backward(xs, hs, fs, ds, p, h_grads)
    ref = loss_autograd(xs, h0, p, h_grads)
    W_f, b_f, W_d, b_d = p.concatenated()
    h, fwd = h0, 0.0
    for t in range(steps):
        h = concat_step(xs[t], h, W_f, b_f, W_d, b_d)
        fwd = max(fwd, float((h - hs[t + 1]).abs().max()))
    rows = []
    for name in TENSORS:
        normwise, elementwise = relative_errors(ours[name], ref[name])
        rows.append(
            {
                "tensor": name,
                "rel_err_normwise": normwise,
                "rel_err_elementwise": elementwise,
                "grad_scale": float(ref[name].abs().max()),
                "forward_max_abs_diff": fwd,
            }
        )
    return rows
