"""Problem 2: the index-notation UGRNN backward against autograd and finite differences."""

from __future__ import annotations

import pytest
import torch

from dltheory import ugrnn

DT = torch.float64


def _problem(steps=5, batch=4, n_in=3, n_hidden=6, seed=3):
    gen = torch.Generator().manual_seed(seed)
    p = ugrnn.init_params(n_in, n_hidden, gen)
    xs = torch.randn(steps, batch, n_in, generator=gen, dtype=DT)
    h0 = torch.randn(batch, n_hidden, generator=gen, dtype=DT)
    g = torch.randn(steps, batch, n_hidden, generator=gen, dtype=DT)
    return p, xs, h0, g


@pytest.mark.parametrize(("steps", "batch"), [(1, 2), (6, 5), (20, 3)])
def test_gradcheck_per_tensor_within_1e10(steps, batch):
    rows = ugrnn.gradcheck(4, 6, steps, batch, seed=100 + steps)
    assert [r["tensor"] for r in rows] == list(ugrnn.TENSORS)
    for r in rows:
        assert r["rel_err_normwise"] <= 1e-10, r
        assert r["rel_err_elementwise"] <= 1e-10, r
        assert r["grad_scale"] > 1e-3, r  # a non-trivial gradient
    assert rows[0]["forward_max_abs_diff"] < 1e-13


def test_split_form_equals_concatenated_form():
    p, xs, h0, _ = _problem()
    h_split, _, _ = ugrnn.split_step(xs[0], h0, p)
    h_cat = ugrnn.concat_step(xs[0], h0, *p.concatenated())
    assert torch.allclose(h_split, h_cat, rtol=0, atol=1e-14)


def test_gate_gradients_match_autograd():
    """f^t.grad and d^t.grad accumulated by the index formulas, every step, against autograd."""
    p, xs, h0, g = _problem()
    hs, fs, ds = ugrnn.forward(xs, h0, p)
    ours = ugrnn.backward(xs, hs, fs, ds, p, g)
    h, loss, gates = h0.clone().requires_grad_(True), 0.0, []
    for t in range(xs.shape[0]):
        h, f, d = ugrnn.split_step(xs[t], h, p)
        f.retain_grad()
        d.retain_grad()
        gates.append((f, d))
        loss = loss + (g[t] * h).sum()
    loss.backward()
    for t, (f, d) in enumerate(gates):
        assert torch.allclose(ours["f"][t], f.grad, rtol=1e-12, atol=1e-14), t
        assert torch.allclose(ours["d"][t], d.grad, rtol=1e-12, atol=1e-14), t


def test_against_central_differences():
    """Independent of autograd: directional derivatives, O(eps^2) error with eps = 1e-5."""
    p, xs, h0, g = _problem(steps=4, batch=3)
    hs, fs, ds = ugrnn.forward(xs, h0, p)
    grads = ugrnn.backward(xs, hs, fs, ds, p, g)
    gen = torch.Generator().manual_seed(9)

    def loss(params, xs_, h0_):
        return float((g * ugrnn.forward(xs_, h0_, params)[0][1:]).sum())

    eps = 1e-5
    for name in ugrnn.INPUT_TENSORS:  # the intermediates are checked against autograd
        base = {"x": xs, "h0": h0}.get(name, getattr(p, name, None))
        v = torch.randn(base.shape, generator=gen, dtype=DT)

        def shifted(sign, name=name, v=v):
            params = ugrnn.Params(**{k: getattr(p, k) for k in ugrnn.Params.__annotations__})
            xs_, h0_ = xs, h0
            if name == "x":
                xs_ = xs + sign * eps * v
            elif name == "h0":
                h0_ = h0 + sign * eps * v
            else:
                setattr(params, name, getattr(p, name) + sign * eps * v)
            return loss(params, xs_, h0_)

        fd = (shifted(1) - shifted(-1)) / (2 * eps)
        analytic = float((grads[name] * v).sum())
        assert fd == pytest.approx(analytic, rel=1e-7, abs=1e-9), name


def test_deterministic_under_seed():
    assert ugrnn.gradcheck(3, 4, 3, 2, seed=5) == ugrnn.gradcheck(3, 4, 3, 2, seed=5)


def test_bad_shapes_are_named():
    p, xs, h0, _ = _problem()
    with pytest.raises(ValueError, match="h0"):
        ugrnn.forward(xs, h0[:, :2], p)
    with pytest.raises(ValueError, match="xs"):
        ugrnn.forward(xs[0], h0, p)
    with pytest.raises(ValueError, match="batch"):
        ugrnn.gradcheck(3, 4, 2, 0, seed=1)
