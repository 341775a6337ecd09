"""Random deep networks at initialisation, simulated in PyTorch (CPU, float64).

Convention of the sheets: ``h^l = W^l phi(h^{l-1}) + b^l`` with
``W^l_ij ~ N(0, sigma_w^2 / N)`` and ``b^l_i ~ N(0, sigma_b^2)``, fresh weights in every
layer. All randomness comes from an explicit seeded :class:`torch.Generator`, so a run is
reproducible to the bit.
"""

from __future__ import annotations

import numpy as np
import torch

from . import activations

DTYPE = torch.float64

_TORCH_PHI = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "abs": torch.abs,
    "erf": torch.erf,
    "linear": lambda x: x,
}


def torch_activation(name: str):
    """The torch version of a registry activation."""
    activations.get(name)  # validates the name with the registry's error message
    try:
        return _TORCH_PHI[name]
    except KeyError:
        raise ValueError(f"activation {name!r} has no torch implementation yet") from None


def generator(seed: int) -> torch.Generator:
    gen = torch.Generator().manual_seed(int(seed))
    return gen


def input_with_length(q: float | np.ndarray, width: int, gen: torch.Generator) -> torch.Tensor:
    """Inputs h of shape (len(q), width) with (1/N) sum_i h_i^2 = q exactly, random direction."""
    q = torch.as_tensor(np.atleast_1d(q), dtype=DTYPE)
    z = torch.randn(q.shape[0], width, generator=gen, dtype=DTYPE)
    z = z / z.norm(dim=1, keepdim=True) * np.sqrt(width)
    return z * q.sqrt()[:, None]


def random_layer(
    width_in: int, width_out: int, sigma_w: float, sigma_b: float, gen: torch.Generator
):
    """Gaussian weights (width_out x width_in, variance sigma_w^2/width_in) and biases."""
    w = torch.randn(width_out, width_in, generator=gen, dtype=DTYPE) * (sigma_w / np.sqrt(width_in))
    b = torch.randn(width_out, generator=gen, dtype=DTYPE) * sigma_b
    return w, b


def one_layer_q_map(q_in, sigma_w: float, sigma_b: float, width: int, activation: str, seed: int):
    """Empirical length map: q^l of one random layer applied to inputs with q^{l-1} = q_in.

    All inputs go through the *same* network (one draw of W and b), as in Poole et al.
    Fig. 1A, so the scatter about the theory curve is that of a single net.
    """
    gen = generator(seed)
    phi = torch_activation(activation)
    h_prev = input_with_length(q_in, width, gen)
    w, b = random_layer(width, width, sigma_w, sigma_b, gen)
    h = phi(h_prev) @ w.T + b
    return (h**2).mean(dim=1).numpy()
