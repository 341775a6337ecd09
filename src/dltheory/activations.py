"""Registry of activation functions with their first and second derivatives.

Each entry is an :class:`Activation` holding vectorised numpy callables ``phi``,
``dphi`` and ``d2phi``. Names are the ones accepted everywhere an ``activation=``
argument appears (and in ``config.yaml``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    name: str
    phi: Callable[[Array], Array]
    dphi: Callable[[Array], Array]
    d2phi: Callable[[Array], Array]


def _sech2(x):
    return 1.0 / np.cosh(np.clip(x, -350, 350)) ** 2


_SQRT_PI = np.sqrt(np.pi)

REGISTRY: dict[str, Activation] = {
    "tanh": Activation("tanh", np.tanh, _sech2, lambda x: -2.0 * np.tanh(x) * _sech2(x)),
    "relu": Activation(
        "relu",
        lambda x: np.maximum(x, 0.0),
        lambda x: (np.asarray(x) > 0).astype(float),
        lambda x: np.zeros_like(np.asarray(x, dtype=float)),
    ),
    "abs": Activation(
        "abs",
        np.abs,
        np.sign,
        lambda x: np.zeros_like(np.asarray(x, dtype=float)),
    ),
    "erf": Activation(
        "erf",
        special.erf,
        lambda x: 2.0 / _SQRT_PI * np.exp(-np.square(x)),
        lambda x: -4.0 * np.asarray(x) / _SQRT_PI * np.exp(-np.square(x)),
    ),
    "linear": Activation(
        "linear",
        lambda x: np.asarray(x, dtype=float),
        lambda x: np.ones_like(np.asarray(x, dtype=float)),
        lambda x: np.zeros_like(np.asarray(x, dtype=float)),
    ),
}

NAMES = tuple(REGISTRY)


def get(name: str) -> Activation:
    """Look up an activation by name, with a clear error listing the allowed names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; allowed: {', '.join(sorted(REGISTRY))}"
        ) from None
