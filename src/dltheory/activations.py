"""Registry of activation functions with their first and second derivatives.

Each entry is an :class:`Activation` holding vectorised numpy callables ``phi``, ``dphi``
and ``d2phi`` plus the facts the mean-field integrators need:

``smooth``
    phi is analytic on the real line (tanh, erf, sigmoid, softplus, swish, gelu), so the
    Gaussian integrals converge exponentially with a trapezoid rule on a sinh grid;
``kinks``
    points u where phi or phi' jumps (relu-type at 0, hard_tanh at +-1); integrals are
    split there;
``bounded``
    |phi| is bounded, so the length map has a finite fixed point for every sigma_w;
``homogeneous``
    phi(lambda u) = lambda phi(u) for lambda > 0 (relu, leaky_relu, abs, linear), so the
    correlation map does not depend on the length q;
``family``, ``param``
    the registry entry and its parameter (the negative slope of a parametrised leaky relu).

Names are the ones accepted everywhere an ``activation=`` argument appears (and in
``config.yaml``). ``"leaky_relu:0.2"`` is a leaky relu with negative slope 0.2 (any finite
real); plain ``"leaky_relu"`` has slope :data:`LEAKY_SLOPE` = 0.01. ``d2phi`` is the
classical second derivative away from the kinks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import special

Array = np.ndarray

#: negative slope of ``leaky_relu``
__all__ = [
    "LEAKY_SLOPE",
    "NAMES",
    "REGISTRY",
    "SELU_ALPHA",
    "SELU_SCALE",
    "Activation",
    "get",
    "leaky_relu",
]

LEAKY_SLOPE = 0.01
#: SELU constants (Klambauer et al. 2017)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_PI = np.sqrt(np.pi)
_SQRT_2 = np.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


@dataclass(frozen=True)
class Activation:
    name: str
    phi: Callable[[Array], Array]
    dphi: Callable[[Array], Array]
    d2phi: Callable[[Array], Array]
    smooth: bool = True
    kinks: tuple[float, ...] = field(default=())
    bounded: bool = False
    homogeneous: bool = False
    family: str = ""
    param: float | None = None

    def __post_init__(self):
        if not self.family:
            object.__setattr__(self, "family", self.name)


def _f(x):
    return np.asarray(x, dtype=float)


def _sech2(x):
    return 1.0 / np.cosh(np.clip(_f(x), -350.0, 350.0)) ** 2


def _sigmoid(x):
    return special.expit(_f(x))


def _zeros(x):
    return np.zeros_like(_f(x))


def _ones(x):
    return np.ones_like(_f(x))


def _gauss_pdf(x):
    return _INV_SQRT_2PI * np.exp(-0.5 * np.square(_f(x)))


def _gauss_cdf(x):
    return special.ndtr(_f(x))


def _selu(x):
    x = _f(x)
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0)))


def _dselu(x):
    x = _f(x)
    return SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0.0)))


def _d2selu(x):
    x = _f(x)
    return SELU_SCALE * np.where(x > 0, 0.0, SELU_ALPHA * np.exp(np.minimum(x, 0.0)))


REGISTRY: dict[str, Activation] = {}


def _register(act: Activation) -> None:
    REGISTRY[act.name] = act


_register(
    Activation("tanh", np.tanh, _sech2, lambda x: -2.0 * np.tanh(x) * _sech2(x), bounded=True)
)
_register(
    Activation(
        "hard_tanh",
        lambda x: np.clip(_f(x), -1.0, 1.0),
        lambda x: (np.abs(_f(x)) < 1).astype(float),
        _zeros,
        smooth=False,
        kinks=(-1.0, 1.0),
        bounded=True,
    )
)
_register(
    Activation(
        "erf",
        special.erf,
        lambda x: 2.0 / _SQRT_PI * np.exp(-np.square(_f(x))),
        lambda x: -4.0 * _f(x) / _SQRT_PI * np.exp(-np.square(_f(x))),
        bounded=True,
    )
)
_register(
    Activation(
        "relu",
        lambda x: np.maximum(_f(x), 0.0),
        lambda x: (_f(x) > 0).astype(float),
        _zeros,
        smooth=False,
        kinks=(0.0,),
        homogeneous=True,
    )
)


def leaky_relu(slope: float = LEAKY_SLOPE, name: str = "leaky_relu") -> Activation:
    """Leaky relu phi(u) = u for u > 0, ``slope * u`` otherwise (any finite real slope)."""
    slope = float(slope)
    if not np.isfinite(slope):
        raise ValueError(f"leaky_relu slope must be a finite number, got {slope}")
    return Activation(
        name,
        lambda x: np.where(_f(x) > 0, _f(x), slope * _f(x)),
        lambda x: np.where(_f(x) > 0, 1.0, slope),
        _zeros,
        smooth=False,
        kinks=(0.0,),
        homogeneous=True,
        family="leaky_relu",
        param=slope,
    )


_register(leaky_relu())
_register(Activation("abs", lambda x: np.abs(_f(x)), lambda x: np.sign(_f(x)), _zeros,
                     smooth=False, kinks=(0.0,), homogeneous=True))  # fmt: skip
_register(Activation("linear", _f, _ones, _zeros, homogeneous=True))
_register(
    Activation(
        "sigmoid",
        _sigmoid,
        lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)),
        lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)) * (1.0 - 2.0 * _sigmoid(x)),
        bounded=True,
    )
)
_register(
    Activation(
        "softplus",
        lambda x: np.logaddexp(0.0, _f(x)),
        _sigmoid,
        lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)),
    )
)
_swish = Activation(
    "swish",
    lambda x: _f(x) * _sigmoid(x),
    lambda x: _sigmoid(x) * (1.0 + _f(x) * (1.0 - _sigmoid(x))),
    lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)) * (2.0 + _f(x) * (1.0 - 2.0 * _sigmoid(x))),
)
_register(_swish)
_register(Activation("silu", _swish.phi, _swish.dphi, _swish.d2phi))
_register(
    Activation(
        "gelu",
        lambda x: _f(x) * _gauss_cdf(x),
        lambda x: _gauss_cdf(x) + _f(x) * _gauss_pdf(x),
        lambda x: (2.0 - np.square(_f(x))) * _gauss_pdf(x),
    )
)
_register(Activation("selu", _selu, _dselu, _d2selu, smooth=False, kinks=(0.0,)))

NAMES = tuple(REGISTRY)


def get(name: str | Activation) -> Activation:
    """Look up an activation by name, with a clear error listing the allowed names.

    ``"leaky_relu:<slope>"`` builds a leaky relu with that negative slope (e.g.
    ``"leaky_relu:0.2"``); an :class:`Activation` is returned as it is.
    """
    if isinstance(name, Activation):
        return name
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        pass
    if isinstance(name, str) and name.startswith("leaky_relu:"):
        return _parametrised_leaky(name)
    raise ValueError(
        f"unknown activation {name!r}; allowed: {', '.join(sorted(REGISTRY))}"
        " (and 'leaky_relu:<slope>')"
    )


@functools.lru_cache(maxsize=64)
def _parametrised_leaky(name: str) -> Activation:
    text = name.split(":", 1)[1]
    try:
        slope = float(text)
    except ValueError:
        raise ValueError(f"leaky_relu slope in {name!r} is not a number") from None
    return leaky_relu(slope, name=name)
