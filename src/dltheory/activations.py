r"""Activation functions: one :class:`Activation` object carries all that is known of phi.

Modelled on neural-tangents' ``stax.Elementwise(fn, nngp_fn)`` and
``ElementwiseNumerical(fn, deg)``: an entry holds phi itself and whatever closed forms
exist; every module of the package asks the object, never its name. Fields:

``phi``, ``dphi``, ``d2phi``
    vectorised numpy callables (``d2phi`` is the classical second derivative away from
    the kinks);
``label``
    how the function is written in a figure (LaTeX allowed);
``smooth``
    phi is analytic on the real line, so the Gaussian integrals converge exponentially
    with a trapezoid rule on a sinh grid;
``kinks``
    points u where phi or one of its first two derivatives jumps (relu-type at 0,
    hard_tanh at +-1, softsign at 0); integrals are split there;
``bounded``
    |phi| is bounded, so the length map has a finite fixed point for every sigma_w;
``slopes``
    ``(p+, p-)`` for a positively homogeneous phi(u) = p+ u (u > 0), p- u (u < 0)
    (relu, leaky_relu, abs, linear): its moments and two-input kernel are the
    arc-cosine ones and the correlation map does not depend on the length q
    (:attr:`Activation.homogeneous`, :attr:`Activation.gain`);
``moments``
    optional closed form ``q -> (E[phi^2], E[phi'^2], dE[phi^2]/dq)`` at u ~ N(0, q),
    valid for every q >= 0 including ``inf``;
``kernel``
    optional closed form ``(which, c, q1, q2) -> E[g(u1) g(u2)]``, g = phi (which=0) or
    phi' (which=1), (u1, u2) centred Gaussian with variances q1, q2 and correlation c;
``inner``
    optional closed form ``(which, m, s) -> E_w[g(m + s w)]``, w ~ N(0, 1);
``asymptote``
    optional large-variance help for the two-input kernel: for phi and for phi' a pair
    :class:`Asymptote` ``(fn, mean)``: a smooth function that phi approaches away from
    0, with its Gaussian average in closed form (the remainder is localised);
``reduces_to``
    optional ``(base, offset, scale, stretch)`` with phi(v) = offset + scale
    base(stretch v) and ``base`` odd (sigmoid through tanh): the kernel is then the
    base's;
``integrands``
    optional ``u -> (phi^2, phi'^2, phi phi'')`` when one pass is cheaper than three calls;
``torch_phi``, ``torch_dphi``
    the same function on torch tensors for the simulated networks, None when absent;
``derivatives``
    how ``dphi``/``d2phi`` are obtained: ``"exact"`` or the numerical scheme.

Where no closed form or asymptote is given the library integrates numerically (slower,
but every function works). Names are the ones accepted everywhere an ``activation=``
argument appears (and in ``config.yaml``); :func:`get` also takes an :class:`Activation`
or any vectorised callable (see :meth:`Activation.from_function`). ``"leaky_relu:0.2"`` is
a leaky relu with negative slope 0.2 (any real with ``|slope| <=``
:data:`MAX_LEAKY_SLOPE`); plain ``"leaky_relu"`` has slope :data:`LEAKY_SLOPE` = 0.01.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

Array = np.ndarray

__all__ = [
    "LEAKY_SLOPE",
    "LOCALISED",
    "MAX_LEAKY_SLOPE",
    "NAMES",
    "REGISTRY",
    "SELU_ALPHA",
    "SELU_SCALE",
    "Activation",
    "Asymptote",
    "cdf_step",
    "erf_step",
    "get",
    "leaky_relu",
    "names",
    "numerical",
    "smooth_relu",
]

#: negative slope of ``leaky_relu``
LEAKY_SLOPE = 0.01
#: largest |slope| of ``"leaky_relu:<slope>"``: the fourth moment of phi (slope^4) stays
#: far from overflow, and for symmetric weights slope p is slope 1/p with sigma_w times |p|
MAX_LEAKY_SLOPE = 1e6
#: SELU constants (Klambauer et al. 2017)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_PI = np.sqrt(np.pi)
_SQRT_2 = np.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


class Asymptote(NamedTuple):
    """A smooth function ``fn`` and its Gaussian average ``mean(m, s) = E_w[fn(m + s w)]``."""

    fn: Callable[[Array], Array]
    mean: Callable[[Array, Array], Array]


@dataclass(frozen=True, eq=False)
class Activation:
    """One activation function and everything known about it (see the module docstring).

    Compared and hashed by identity: caches keyed by the object are built once per entry.
    """

    name: str
    phi: Callable[[Array], Array]
    dphi: Callable[[Array], Array]
    d2phi: Callable[[Array], Array]
    label: str = ""
    smooth: bool = True
    kinks: tuple[float, ...] = field(default=())
    bounded: bool = False
    slopes: tuple[float, float] | None = None
    moments: Callable | None = None
    kernel: Callable | None = None
    inner: Callable | None = None
    asymptote: tuple[Asymptote, Asymptote] | None = None
    reduces_to: tuple | None = None
    integrands: Callable | None = None
    torch_phi: Callable | None = None
    torch_dphi: Callable | None = None
    derivatives: str = "exact"
    param: float | None = None

    def __post_init__(self):
        if not self.label:
            object.__setattr__(self, "label", self.name)
        if self.smooth and self.kinks:
            raise ValueError(f"activation {self.name!r}: a smooth function has no kinks")

    @property
    def homogeneous(self) -> bool:
        """phi(lambda u) = lambda phi(u) for lambda > 0 (given by :attr:`slopes`)."""
        return self.slopes is not None

    @property
    def gain(self) -> float:
        """E[phi(u)^2] / q of a positively homogeneous phi, (p+^2 + p-^2) / 2."""
        if self.slopes is None:
            raise ValueError(f"activation {self.name!r} is not positively homogeneous")
        p_pos, p_neg = self.slopes
        return (p_pos**2 + p_neg**2) / 2.0

    @property
    def quartic(self) -> float:
        """E[phi(u)^4] / q^2 of a positively homogeneous phi, 3 (p+^4 + p-^4) / 2."""
        if self.slopes is None:
            raise ValueError(f"activation {self.name!r} is not positively homogeneous")
        p_pos, p_neg = self.slopes
        return 1.5 * (p_pos**4 + p_neg**4)

    @classmethod
    def from_function(cls, fn: Callable[[Array], Array], name: str | None = None, *,
                      dphi: Callable | None = None, d2phi: Callable | None = None,
                      kinks: tuple[float, ...] = (), bounded: bool = False,
                      label: str | None = None, torch_phi: Callable | None = None,
                      torch_dphi: Callable | None = None) -> Activation:  # fmt: skip
        """An activation from a vectorised numpy callable ``fn`` (no closed forms).

        Missing derivatives are numerical. phi': complex step ``Im fn(x + i h) / h`` with
        h = 1e-20 when ``fn`` accepts complex input (exact to rounding for an analytic fn),
        otherwise the five-point central difference with step ``h = 1e-3 max(1, |x|)``
        (error ~1e-12 relative for a smooth fn). phi'': the five-point central difference
        of phi' (error ~1e-11 relative). Near a kink (within 2h) a difference straddles
        it: for a kinked ``fn`` pass ``dphi`` and ``d2phi``. ``kinks`` makes the function
        non-smooth (integrals split there); ``bounded`` must be true only if |fn| is.

        The quadrature assumes that phi varies on a scale of at least ~1 far from 0 (it
        settles to a line or a constant, as every registered activation but sin does): a
        function that keeps oscillating, such as sin, is integrated accurately only for
        q up to ~2 (relative error 2e-13 at q = 2, 1e-10 at q = 4) and needs closed forms
        beyond (``moments=``, ``kernel=`` of :class:`Activation`).
        """
        if not callable(fn):
            raise ValueError(f"an activation must be callable, got {fn!r}")
        name = name or getattr(fn, "__name__", "custom")
        scheme = []
        if dphi is None:
            dphi, how = _numerical_derivative(fn)
            scheme.append(f"phi' by {how}")
        if d2phi is None:
            d2phi = _five_point(dphi)
            scheme.append("phi'' by five-point central differences")
        return cls(name, _vectorised(fn), _vectorised(dphi), _vectorised(d2phi),
                   label=label or name, smooth=not kinks,
                   kinks=tuple(sorted(float(k) for k in kinks)), bounded=bounded,
                   torch_phi=torch_phi, torch_dphi=torch_dphi,
                   derivatives="; ".join(scheme) or "exact")  # fmt: skip


def _f(x):
    return np.asarray(x, dtype=float)


def _vectorised(fn):
    """fn as a float-array function (a scalar answer is broadcast to the input's shape)."""

    def call(x):
        x = _f(x)
        return np.broadcast_to(np.asarray(fn(x), dtype=float), x.shape)

    return call


_COMPLEX_STEP = 1e-20


def _numerical_derivative(fn):
    """(phi', description): complex step if fn takes complex input, else differences."""
    probe = np.array([-1.7, 0.3, 2.9])
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(fn(probe + 1j * _COMPLEX_STEP))
        usable = np.iscomplexobj(out) and np.all(np.isfinite(out)) and np.any(out.imag != 0)
    except (TypeError, ValueError):
        usable = False
    if not usable:
        return _five_point(fn), "five-point central differences"
    fallback = _five_point(fn)

    def dphi(x):
        x = _f(x)
        with np.errstate(all="ignore"):
            d = np.imag(np.asarray(fn(x + 1j * _COMPLEX_STEP))) / _COMPLEX_STEP
        # a complex evaluation can overflow far out (tanh at |x| = 800): differences there
        bad = ~np.isfinite(d)
        return np.where(bad, fallback(x), d) if np.any(bad) else d

    return dphi, "complex step (h = 1e-20)"


def _five_point(fn):
    """x -> (fn(x-2h) - 8 fn(x-h) + 8 fn(x+h) - fn(x+2h)) / 12h, h = 1e-3 max(1, |x|)."""

    def derivative(x):
        x = _f(x)
        h = 1e-3 * np.maximum(1.0, np.abs(x))
        f = lambda y: np.asarray(fn(y), dtype=float)  # noqa: E731
        return (f(x - 2 * h) - 8.0 * f(x - h) + 8.0 * f(x + h) - f(x + 2 * h)) / (12.0 * h)

    return derivative


def _special():
    """``scipy.special``, imported on first use: every workflow launch reads the registry
    (the config schema's activation lists) and needs none of it (its import is about
    0.3 s of each launch)."""
    from scipy import special

    return special


def _erf(x):
    return _special().erf(x)


def _gauss_pdf(x):
    return _INV_SQRT_2PI * np.exp(-0.5 * np.square(_f(x)))


def _gauss_cdf(x):
    return _special().ndtr(_f(x))


def _sech2(x):
    return 1.0 / np.cosh(np.clip(_f(x), -350.0, 350.0)) ** 2


def _sigmoid(x):
    return _special().expit(_f(x))


def _zeros(x):
    return np.zeros_like(_f(x))


def _ones(x):
    return np.ones_like(_f(x))


def _torch():
    import torch  # lazily: the theory never needs torch

    return torch


# ------------------------------------------------- asymptotes for the two-input kernel


def erf_step(kappa: float) -> Asymptote:
    """erf(kappa v) and its Gaussian average erf(kappa m / sqrt(1 + 2 kappa^2 s^2))."""

    def asym(v):
        return _erf(kappa * v)

    def mean(m, s):
        return _erf(kappa * m / np.sqrt(1.0 + 2.0 * kappa**2 * s * s))

    return Asymptote(asym, mean)


def smooth_relu(kappa: float) -> Asymptote:
    """v Phi(kappa v) + pdf(kappa v)/kappa and its Gaussian average (Stein's lemma)."""

    def asym(v):
        return v * _gauss_cdf(kappa * v) + _gauss_pdf(kappa * v) / kappa

    def mean(m, s):
        r = np.sqrt(1.0 + kappa**2 * s * s)
        x = kappa * m / r
        return m * _gauss_cdf(x) + s * s * kappa * _gauss_pdf(x) / r + _gauss_pdf(x) / (kappa * r)

    return Asymptote(asym, mean)


def cdf_step(kappa: float) -> Asymptote:
    """Phi(kappa v) and its Gaussian average Phi(kappa m / sqrt(1 + kappa^2 s^2))."""

    def asym(v):
        return _gauss_cdf(kappa * v)

    def mean(m, s):
        return _gauss_cdf(kappa * m / np.sqrt(1.0 + kappa**2 * s * s))

    return Asymptote(asym, mean)


#: zero asymptote: the function itself is localised near 0
LOCALISED = Asymptote(lambda v: 0.0 * v, lambda m, s: 0.0 * m)


# --------------------------------------------------------------- closed forms


def _erf_moments(q):
    with np.errstate(divide="ignore"):
        ratio = 1.0 / (1.0 + 0.5 / q)  # 2q / (1 + 2q), also at q = 0 and inf
    m2 = 2.0 / np.pi * np.arcsin(ratio)
    d2 = 4.0 / np.pi / np.sqrt(1.0 + 4.0 * q)
    slope = 4.0 / (np.pi * (1.0 + 2.0 * q) * np.sqrt(1.0 + 4.0 * q))
    return m2, d2, slope


def _erf_kernel(which, c, q1, q2):
    """The arcsine kernel (Williams 1997) and that of erf'."""
    with np.errstate(invalid="ignore"):
        q12 = np.clip(c, -1.0, 1.0) * np.sqrt(q1 * q2)
        if which == 0:
            return (2.0 / np.pi) * np.arcsin(2.0 * q12 / np.sqrt((1 + 2 * q1) * (1 + 2 * q2)))
        return (4.0 / np.pi) / np.sqrt((1.0 + 2.0 * q1) * (1.0 + 2.0 * q2) - 4.0 * q12 * q12)


def _hard_tanh_moments(q):
    with np.errstate(divide="ignore", invalid="ignore"):
        k = 1.0 / np.sqrt(q)
        inside = _erf(k / _SQRT_2)
        edge = np.where(q > 0, 2.0 * k * _gauss_pdf(k), 0.0)
        m2 = np.where(np.isinf(q), 1.0, q * (inside - edge) + (1.0 - inside))
    return m2, inside, inside - edge  # dE[phi^2]/dq = P(|u|<1) - 2 k pdf(k)


def _hard_tanh_inner(which, m, s):
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = (-1.0 - m) / s, (1.0 - m) / s
        pa, pb = _gauss_cdf(a), _gauss_cdf(b)
        if which == 1:
            out = pb - pa
            return np.where(s > 0, out, (np.abs(m) < 1).astype(float))
        out = m * (pb - pa) + s * (_gauss_pdf(a) - _gauss_pdf(b)) + (1.0 - pb) - pa
    return np.where(s > 0, out, np.clip(m, -1.0, 1.0))


def _selu_inner(which, m, s):
    lam, alpha = SELU_SCALE, SELU_ALPHA
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = m / s
        p_pos = _gauss_cdf(r)
        exp_neg = np.exp(m + 0.5 * s * s) * _gauss_cdf(-r - s)  # E[e^v; v < 0]
        exp_neg = np.where(s > 0, exp_neg, np.exp(np.minimum(m, 0)) * (m < 0))
        p_pos = np.where(s > 0, p_pos, (m > 0).astype(float))
        lin_pos = np.where(s > 0, m * p_pos + s * _gauss_pdf(r), np.maximum(m, 0))
    if which == 0:
        return lam * (lin_pos + alpha * (exp_neg - (1.0 - p_pos)))
    return lam * (p_pos + alpha * exp_neg)


def _sin_moments(q):
    """E[sin^2 u] = (1 - e^{-2q})/2, E[cos^2 u] = (1 + e^{-2q})/2, slope e^{-2q}."""
    q = np.asarray(q, dtype=float)
    decay = np.exp(-2.0 * q)
    return -0.5 * np.expm1(-2.0 * q), 0.5 + 0.5 * decay, decay  # (expm1: exact at small q)


def _sin_kernel(which, c, q1, q2):
    """E[sin u1 sin u2] = e^{-(q1+q2)/2} sinh(q12), E[cos u1 cos u2] = e^{-(q1+q2)/2} cosh(q12)."""
    q12 = np.clip(c, -1.0, 1.0) * np.sqrt(q1 * q2)
    half = 0.5 * (q1 + q2)
    hyper = np.sinh if which == 0 else np.cosh
    with np.errstate(over="ignore", invalid="ignore"):
        direct = np.exp(-half) * hyper(q12)  # exact at small q12 (no cancellation)
        # large lengths: exp(+-q12 - half) does not overflow (|q12| <= half)
        up, down = np.exp(q12 - half), np.exp(-q12 - half)
        apart = 0.5 * (up - down) if which == 0 else 0.5 * (up + down)
    return np.where(half < 700.0, direct, apart)


def _tanh_integrands(u):
    """phi^2, phi'^2 and phi phi'' of tanh from one transcendental (phi' = 1 - t^2)."""
    t2 = np.square(np.tanh(u))
    s2 = 1.0 - t2
    return t2, s2 * s2, -2.0 * t2 * s2


def _selu(x):
    x = _f(x)
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0)))


def _dselu(x):
    x = _f(x)
    return SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0.0)))


def _d2selu(x):
    x = _f(x)
    return SELU_SCALE * np.where(x > 0, 0.0, SELU_ALPHA * np.exp(np.minimum(x, 0.0)))


def _torch_selu(x):
    return _torch().nn.functional.selu(x)


def _torch_dselu(x):
    torch = _torch()
    negative = SELU_ALPHA * torch.exp(x.clamp(max=0))
    return SELU_SCALE * torch.where(x > 0, torch.ones_like(x), negative)


def _torch_gelu(x):
    return 0.5 * x * (1.0 + (x / _SQRT_2).erf())


def _torch_dgelu(x):
    return 0.5 * (1.0 + (x / _SQRT_2).erf()) + x * _INV_SQRT_2PI * (-0.5 * x * x).exp()


# ------------------------------------------------------------------- the registry

REGISTRY: dict[str, Activation] = {}


def _register(act: Activation) -> Activation:
    REGISTRY[act.name] = act
    return act


_tanh = _register(
    Activation(
        "tanh",
        np.tanh,
        _sech2,
        lambda x: -2.0 * np.tanh(x) * _sech2(x),
        bounded=True,
        asymptote=(erf_step(np.sqrt(np.pi) / 2.0), LOCALISED),
        integrands=_tanh_integrands,
        torch_phi=lambda x: x.tanh(),
        torch_dphi=lambda x: 1.0 - x.tanh() ** 2,
    )  # fmt: skip
)
_register(
    Activation(
        "hard_tanh",
        lambda x: np.clip(_f(x), -1.0, 1.0),
        lambda x: (np.abs(_f(x)) < 1).astype(float),
        _zeros,
        label="hard tanh",
        smooth=False,
        kinks=(-1.0, 1.0),
        bounded=True,
        moments=_hard_tanh_moments,
        inner=_hard_tanh_inner,
        torch_phi=lambda x: x.clamp(-1.0, 1.0),
        torch_dphi=lambda x: (x.abs() < 1).to(x.dtype),
    )
)
_register(
    Activation(
        "erf",
        _erf,
        lambda x: 2.0 / _SQRT_PI * np.exp(-np.square(_f(x))),
        lambda x: -4.0 * _f(x) / _SQRT_PI * np.exp(-np.square(_f(x))),
        bounded=True,
        moments=_erf_moments,
        kernel=_erf_kernel,
        torch_phi=lambda x: x.erf(),
        torch_dphi=lambda x: (2.0 / np.sqrt(np.pi)) * (-(x**2)).exp(),
    )
)
_register(
    Activation(
        "relu",
        lambda x: np.maximum(_f(x), 0.0),
        lambda x: (_f(x) > 0).astype(float),
        _zeros,
        label="ReLU",
        smooth=False,
        kinks=(0.0,),
        slopes=(1.0, 0.0),
        torch_phi=lambda x: x.relu(),
        torch_dphi=lambda x: (x > 0).to(x.dtype),
    )
)


def leaky_relu(slope: float = LEAKY_SLOPE, name: str = "leaky_relu") -> Activation:
    """Leaky relu phi(u) = u for u > 0, ``slope * u`` otherwise, for a real slope with
    ``|slope| <=`` :data:`MAX_LEAKY_SLOPE`."""
    from .checks import real_scalar

    slope = real_scalar(slope, "leaky_relu slope")
    if not (np.isfinite(slope) and abs(slope) <= MAX_LEAKY_SLOPE):
        raise ValueError(
            f"leaky_relu slope must be a finite number with |slope| <= {MAX_LEAKY_SLOPE:g}, "
            f"got {slope!r} (in {name!r})"
        )

    def torch_phi(x):
        return _torch().where(x > 0, x, slope * x)

    def torch_dphi(x):
        torch = _torch()
        return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, slope))

    label = "leaky ReLU" if name == "leaky_relu" else f"leaky ReLU ({slope:g})"
    return Activation(
        name,
        lambda x: np.where(_f(x) > 0, _f(x), slope * _f(x)),
        lambda x: np.where(_f(x) > 0, 1.0, slope),
        _zeros,
        label=label,
        smooth=False,
        kinks=(0.0,),
        slopes=(1.0, slope),
        torch_phi=torch_phi,
        torch_dphi=torch_dphi,
        param=slope,
    )


_register(leaky_relu())
_register(Activation("abs", lambda x: np.abs(_f(x)), lambda x: np.sign(_f(x)), _zeros,
                     label="|x|", smooth=False, kinks=(0.0,), slopes=(1.0, -1.0),
                     torch_phi=lambda x: x.abs(), torch_dphi=lambda x: x.sign()))  # fmt: skip
_register(Activation("linear", _f, _ones, _zeros, slopes=(1.0, 1.0), torch_phi=lambda x: x,
                     torch_dphi=lambda x: _torch().ones_like(x)))  # fmt: skip
_register(
    Activation(
        "sigmoid",
        _sigmoid,
        lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)),
        lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)) * (1.0 - 2.0 * _sigmoid(x)),
        bounded=True,
        reduces_to=(_tanh, 0.5, 0.5, 0.5),  # sigmoid(v) = (1 + tanh(v/2)) / 2
        torch_phi=lambda x: x.sigmoid(),
        torch_dphi=lambda x: x.sigmoid() * (1.0 - x.sigmoid()),
    )
)
_register(
    Activation(
        "softplus",
        lambda x: np.logaddexp(0.0, _f(x)),
        _sigmoid,
        lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)),
        asymptote=(smooth_relu(1.0), cdf_step(1.0)),
        torch_phi=lambda x: _torch().logaddexp(x, _torch().zeros_like(x)),
        torch_dphi=lambda x: x.sigmoid(),
    )
)
_swish = _register(
    Activation(
        "swish",
        lambda x: _f(x) * _sigmoid(x),
        lambda x: _sigmoid(x) * (1.0 + _f(x) * (1.0 - _sigmoid(x))),
        lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)) * (2.0 + _f(x) * (1.0 - 2.0 * _sigmoid(x))),
        asymptote=(smooth_relu(0.6), cdf_step(0.6)),
        torch_phi=lambda x: x * x.sigmoid(),
        torch_dphi=lambda x: x.sigmoid() * (1.0 + x * (1.0 - x.sigmoid())),
    )
)
_register(Activation("silu", _swish.phi, _swish.dphi, _swish.d2phi, asymptote=_swish.asymptote,
                     torch_phi=_swish.torch_phi, torch_dphi=_swish.torch_dphi))  # fmt: skip
_register(
    Activation(
        "gelu",
        lambda x: _f(x) * _gauss_cdf(x),
        lambda x: _gauss_cdf(x) + _f(x) * _gauss_pdf(x),
        lambda x: (2.0 - np.square(_f(x))) * _gauss_pdf(x),
        label="GELU",
        asymptote=(smooth_relu(1.0), cdf_step(1.0)),
        torch_phi=_torch_gelu,
        torch_dphi=_torch_dgelu,
    )
)
_register(Activation("selu", _selu, _dselu, _d2selu, label="SELU", smooth=False,
                     kinks=(0.0,), inner=_selu_inner, torch_phi=_torch_selu,
                     torch_dphi=_torch_dselu))  # fmt: skip
# softsign: phi'' = -2 sign(u) / (1 + |u|)^3 jumps at 0, so it is not analytic there: the
# integrals are split at u = 0 (each side is analytic), which keeps them exponentially
# convergent; no closed forms, so every theory function takes the numerical path
_register(
    Activation(
        "softsign",
        lambda x: _f(x) / (1.0 + np.abs(_f(x))),
        lambda x: 1.0 / np.square(1.0 + np.abs(_f(x))),
        lambda x: -2.0 * np.sign(_f(x)) / (1.0 + np.abs(_f(x))) ** 3,
        smooth=False,
        kinks=(0.0,),
        bounded=True,
        torch_phi=lambda x: x / (1.0 + x.abs()),
        torch_dphi=lambda x: 1.0 / (1.0 + x.abs()) ** 2,
    )
)
_register(
    Activation(
        "sin",
        lambda x: np.sin(_f(x)),
        lambda x: np.cos(_f(x)),
        lambda x: -np.sin(_f(x)),
        label=r"$\sin$",
        bounded=True,
        moments=_sin_moments,
        kernel=_sin_kernel,
        torch_phi=lambda x: x.sin(),
        torch_dphi=lambda x: x.cos(),
    )
)

NAMES = tuple(REGISTRY)


def names() -> tuple[str, ...]:
    """The registered names (``"leaky_relu:<slope>"`` is accepted besides these)."""
    return tuple(REGISTRY)


def get(activation: str | Activation | Callable) -> Activation:
    """The :class:`Activation` for a name, an :class:`Activation` or a numpy callable.

    ``"leaky_relu:<slope>"`` builds a leaky relu with that negative slope (e.g.
    ``"leaky_relu:0.2"``); an :class:`Activation` is returned as it is; a callable is
    wrapped once by :meth:`Activation.from_function` (numerical derivatives). An unknown
    name raises ValueError listing the allowed ones.
    """
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, str):
        if activation in REGISTRY:
            return REGISTRY[activation]
        if activation.startswith("leaky_relu:"):
            return _parametrised_leaky(activation)
    elif callable(activation):
        return numerical(activation)
    raise ValueError(
        f"unknown activation {activation!r}; allowed: {', '.join(sorted(REGISTRY))}"
        " (and 'leaky_relu:<slope>', an Activation or a numpy callable)"
    )


@functools.lru_cache(maxsize=64)
def numerical(fn: Callable[[Array], Array]) -> Activation:
    """:meth:`Activation.from_function` with its defaults, built once per function."""
    return Activation.from_function(fn)


@functools.lru_cache(maxsize=64)
def _parametrised_leaky(name: str) -> Activation:
    text = name.split(":", 1)[1]
    try:
        slope = float(text)
    except ValueError:
        raise ValueError(f"leaky_relu slope in {name!r} is not a number") from None
    return leaky_relu(slope, name=name)
