"""Speed of the hand-written UGRNN backward (index notation, torch.einsum) against autograd.

Plain script (``make bench``): times both on the same problem in the same run and prints the
ratio and the agreement. Target: the literal index-notation BPTT within 3x of autograd's
time (forward + backward) at float64, with relative error <= 1e-10.
"""

from __future__ import annotations

import torch
from timing import best_of

from dltheory import ugrnn


def main(steps=50, batch=64, n_in=32, n_hidden=128, seed=0):
    gen = torch.Generator().manual_seed(seed)
    p = ugrnn.init_params(n_in, n_hidden, gen)
    xs = torch.randn(steps, batch, n_in, generator=gen, dtype=torch.float64)
    h0 = torch.randn(batch, n_hidden, generator=gen, dtype=torch.float64)
    g = torch.randn(steps, batch, n_hidden, generator=gen, dtype=torch.float64)

    def ours():
        hs, fs, ds = ugrnn.forward(xs, h0, p)
        return ugrnn.backward(xs, hs, fs, ds, p, g)

    def reference():
        return ugrnn.loss_autograd(xs, h0, p, g)

    t_ours, t_ref = best_of(ours), best_of(reference)
    a, b = ours(), reference()
    err = max(ugrnn.relative_errors(a[k], b[k])[0] for k in ugrnn.TENSORS)
    ratio = t_ours / t_ref
    print(
        f"UGRNN T={steps} B={batch} X={n_in} H={n_hidden} float64: index-notation BPTT "
        f"{t_ours * 1e3:.1f} ms, autograd {t_ref * 1e3:.1f} ms, ratio {ratio:.2f} "
        f"(target <= 3), max normwise rel. error {err:.1e} (target <= 1e-10)"
    )
    return ratio, err


if __name__ == "__main__":
    main()
