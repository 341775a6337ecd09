r"""Finite-width (1/N) corrections to the length map: mean shift and network-to-network spread.

Roberts, Yaida and Hanin, *The Principles of Deep Learning Theory* (2022), chs. 4-5;
Yaida (2020). One input ``x`` (length ``q0 = |x|^2 / N_0``), equal hidden widths ``N``,
fresh weights in every layer, ``C_W = sigma_w^2``, ``C_b = sigma_b^2``::

    z^1 = W^1 x + b^1,   z^{l+1} = W^{l+1} phi(z^l) + b^{l+1},
    W^l_ij ~ N(0, C_W / N_{l-1}),   b^l_i ~ N(0, C_b).

The measured length of layer ``l`` is ``q^l = (1/N) sum_i (z^l_i)^2``; it differs from
network to network. Gaussian expectations of the activation, ``u ~ N(0, K)``::

    g(K) = E[phi(u)^2],   h(K) = E[phi(u)^4],   g'(K), g''(K)  (derivatives in K).

Derivation
----------
*Conditional Gaussianity.* Given layer ``l``, ``W^{l+1}`` is independent of ``phi(z^l)``,
so the rows of ``W^{l+1} phi(z^l) + b^{l+1}`` are iid Gaussian::

    z^{l+1}_i | z^l  ~iid  N(0, G^{l+1}),   G^{l+1} = C_b + C_W (1/N) sum_j phi(z^l_j)^2,

and ``G^1 = C_b + C_W q0`` is not random. Everything about one input is therefore a
Markov chain in the scalar ``G^l`` (this is also how :func:`simulate_lengths` with
``sampler="conditional"`` draws networks: exact in law for one input).

*Measured length given G.* ``q^l = G^l chi^2_N / N``, hence ``E[q^l | G^l] = G^l`` and
``Var(q^l | G^l) = 2 (G^l)^2 / N``. With ``K^l = E[G^l]`` and ``Var(G^l) = V^l / N``::

    E[q^l] = K^l,    N Var(q^l) = 2 (K^l)^2 + V^l + 2 V^l / N  =  2 (K0^l)^2 + V^l + O(1/N).

*One layer.* Given ``G^l``, ``G^{l+1}`` is ``C_b`` plus ``C_W`` times a mean of ``N`` iid
variables ``phi(sqrt(G^l) xi)^2``::

    E[G^{l+1} | G^l] = C_b + C_W g(G^l),   Var(G^{l+1} | G^l) = C_W^2 [h(G^l) - g(G^l)^2] / N.

*Mean.* Expand ``g`` about ``K^l``; the fluctuation ``delta = G^l - K^l`` has variance
``V^l/N`` and third moment ``O(1/N^2)`` (a mean of N iid terms, propagated), so
``E[g(G^l)] = g(K^l) + g''(K^l) V^l / (2N) + O(1/N^2)``. Writing ``K = K0 + K1/N``::

    K0^{l+1} = C_b + C_W g(K0^l)                              (mean-field length map)
    K1^{l+1} = chi^l K1^l + (C_W / 2) g''(K0^l) V^l,           K1^1 = 0,
    chi^l    = C_W g'(K0^l)                                   (slope of the length map).

*Variance* (law of total variance; ``Var E[G^{l+1}|G^l] = (C_W g'(K0))^2 V^l / N + ...``)::

    V^{l+1} = C_W^2 [h(K0^l) - g(K0^l)^2] + (chi^l)^2 V^l,     V^1 = 0.

So each layer injects fresh vertex ``C_W^2 (h - g^2)`` and transports the old one with the
squared slope of the q-map; at a stable fixed point (``chi < 1``) ``V`` saturates at
``V* = C_W^2 (h - g^2) / (1 - chi^2)``, at ``chi = 1`` (ReLU at criticality) it grows
linearly in depth: the expansion parameter is ``l/N``.

*ReLU, exact at any width.* For ``phi = relu`` and ``C_b = 0``,
``G^{l+1} = G^l R_l`` with ``R_l = (C_W/N) sum_j relu(xi_j)^2`` (xi iid N(0, 1)), i.e.
``R = (C_W/N) chi^2_M`` with ``M ~ Binomial(N, 1/2)``, independent across layers. Hence
``q^l / G^1 = R_1 ... R_{l-1} chi^2_N / N`` exactly, and every moment factorises::

    E[(q^l)^k] = (G^1)^k E[R^k]^(l-1) E[(chi^2_N/N)^k],
    E[R^k] = (C_W/N)^k E[M (M+2) ... (M+2k-2)],   E[(chi^2_N/N)^k] = prod_{i<k} (1 + 2i/N).

For ``C_W = 2`` (criticality): ``E[R] = 1``, ``E[R^2] = 1 + 5/N`` and
``E[(q^l)^2] / (G^1)^2 = (1 + 2/N)(1 + 5/N)^(l-1)``; its ``1/N`` expansion
``1 + (2 + 5(l-1))/N`` is the recursion above (``K1 = 0``, ``V^l = 5 (l-1) K^2``); at
fixed ``l/N`` the exact value tends to ``exp(5 l/N)``, which the 1/N line does not follow.

*Two inputs* (:func:`pair_corrections`). The same argument with the 2 x 2 kernel
``G_ij = C_b + C_W (1/N) sum_k phi(z_ki) phi(z_kj)`` gives a 3 x 3 vertex over the entries
(aa, bb, ab), ``V^{l+1} = C_W^2 (M4 - M2 M2^T) + C_W^2 D V^l D^T`` (fourth moments M4,
kernel M2, its Jacobian D by Price's theorem), and the measured correlation
``c^l = q_ab / sqrt(q_aa q_bb)`` fluctuates with ``N Var(c^l) = grad^T (W + V) grad``
(W the Wishart covariance of a sample Gram matrix, grad the gradient of c). Its diagonal
reproduces the single-input recursion; against simulation it holds to O(1/N) (tests).

Numerics
--------
``g, g', g'', h`` come from the engine's Gaussian quadrature rules
(:mod:`dltheory.meanfield`: sinh-mapped trapezoid for smooth phi, Gauss-Legendre panels
split at kinks otherwise) with derivatives taken analytically on the weight, not by finite
differences: ``d/dK E[f(sqrt(K) z)] = E[f(sqrt(K) z) (z^2 - 1)] / (2K)``, and more
generally ``d^n/dK^n E[f] = E[f He_{2n}(z)] / (2K)^n`` (Hermite polynomials). For smooth
phi, ``g' = E[phi'^2 + phi phi'']`` (Stein's lemma, no cancellation) and
``g'' = E[(phi'^2 + phi phi'')(u) (z^2 - 1)] / (2K)``; for kinked phi the Hermite forms
``E[phi^2 He_2] / (2K)`` and ``E[phi^2 He_4] / (4K^2)``. Positively homogeneous
activations (relu, leaky_relu, abs, linear) use their closed forms (``g''= 0``).
The rounding error of ``g''`` grows like ``1e-16 / K`` for ``K << 1``, which is negligible
where it is used, multiplied by ``V = O(K^2)``.

The simulation functions import torch and :mod:`dltheory.networks` where they run, so the
theory loads without torch (a theory or plotting job starts about 1.7 s sooner).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from . import activations as _acts
from . import meanfield as _mf
from . import seeds as _seeds
from .quadrature import _check_sigmas, _out, _rule

__all__ = [
    "LengthCorrections",
    "PairCorrections",
    "activation_moments",
    "length_corrections",
    "pair_corrections",
    "panel_settings",
    "q_std_stationary",
    "q_std_theory",
    "relu_exact_central_moments",
    "relu_exact_moments",
    "relu_ratio_moments",
    "simulate_lengths",
    "simulate_pairs",
    "stationary_vertex",
    "summarise_lengths",
    "variance_with_se",
]

SAMPLERS = ("weights", "conditional")
#: sigma_w of ReLU at criticality (C_W = 2)
RELU_CRITICAL_SIGMA_W = math.sqrt(2.0)

# ------------------------------------------------------------------ Gaussian moments


def activation_moments(K, activation="tanh"):
    """``(g, g', g'', h)`` at ``u ~ N(0, K)``: g = E[phi^2], its K-derivatives, h = E[phi^4].

    Vectorised over ``K`` (any shape; NaN propagates). ``K`` must be > 0 and finite:
    ``g''`` is singular at 0 for some activations (e.g. selu) and the moments of unbounded
    phi are infinite at K = inf. See the module docstring for the quadrature.
    """
    act = _acts.get(activation)
    K = np.asarray(K, dtype=float)
    bad = ~np.isnan(K) & ~((K > 0) & np.isfinite(K))
    if np.any(bad):
        raise ValueError(f"K must be > 0 and finite, got {K[bad].ravel()[:3]}")
    if act.homogeneous:  # E[phi^2] = gain K, E[phi^4] = quartic K^2
        gain, quartic = act.gain, act.quartic
        g = gain * K
        return g, np.full(K.shape, gain) + 0.0 * K, np.zeros(K.shape) + 0.0 * K, quartic * K**2
    nan = np.isnan(K)
    Kc = np.where(nan, 1.0, K)
    z, w = _rule(Kc, act)
    Kx = Kc[..., None]
    u = np.sqrt(Kx) * z
    phi = act.phi(u)
    p2 = phi * phi
    he2 = z * z - 1.0
    g = np.sum(p2 * w, axis=-1)
    h = np.sum(p2 * p2 * w, axis=-1)
    if act.smooth:
        dphi = act.dphi(u)
        f = dphi * dphi + phi * act.d2phi(u)  # (phi^2)'' / 2
        g1 = np.sum(f * w, axis=-1)
        g2 = np.sum(f * he2 * w, axis=-1) / (2.0 * Kc)
    else:
        he4 = z**4 - 6.0 * z * z + 3.0
        g1 = np.sum(p2 * he2 * w, axis=-1) / (2.0 * Kc)
        g2 = np.sum(p2 * he4 * w, axis=-1) / (4.0 * Kc * Kc)
    if act.moments is not None:  # the activation's closed forms of g and g' where it has them
        g, _, g1 = act.moments(Kc)
    return tuple(np.where(nan, np.nan, x) for x in (g, g1, g2, h))


# ------------------------------------------------------------------ the recursion


@dataclass(frozen=True)
class LengthCorrections:
    """K0, K1, V and the q-map slope chi per layer l = 1..L (last axis), see module doc.

    Arrays have shape ``broadcast(sigma_w, sigma_b, q0).shape + (L,)``; ``layer`` is 1..L.
    """

    layer: np.ndarray
    K0: np.ndarray
    K1: np.ndarray
    V: np.ndarray
    chi: np.ndarray

    def n_var(self):
        """Leading N Var(q^l) = 2 K0^2 + V."""
        return 2.0 * self.K0**2 + self.V

    def mean(self, width):
        """E[q^l] to O(1/N): K0 + K1 / N."""
        return self.K0 + self.K1 / width


def _check_width(width):
    width = np.asarray(width, dtype=float)
    if np.any(~(width >= 1)) or np.any(~np.isfinite(width)):
        raise ValueError(f"width must be finite and >= 1, got {width}")
    return width


def length_corrections(sigma_w, sigma_b, depth: int, activation="tanh", q0=1.0):
    """Iterate K0, K1, V (and chi) through layers 1..depth (vectorised over the sigmas, q0).

    ``K0^1 = sigma_w^2 q0 + sigma_b^2``, ``K1^1 = V^1 = 0`` (the first layer acts on the
    fixed input); then the recursions of the module docstring. A layer whose K0 overflows
    float64 (unbounded phi in the chaotic phase) gives ``inf`` there and NaN/inf after.
    """
    sw, sb, _ = _check_sigmas(sigma_w, sigma_b)
    q0 = np.asarray(q0, dtype=float)
    if np.any(~(q0 > 0)) or np.any(~np.isfinite(q0)):
        raise ValueError(f"q0 must be > 0 and finite, got {q0}")
    if int(depth) != depth or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth}")
    depth = int(depth)
    sw, sb, q0 = np.broadcast_arrays(sw, sb, q0)
    if np.any(sw == 0):
        raise ValueError("sigma_w must be > 0 (with sigma_w = 0 every layer is the bias)")
    cw, cb = sw**2, sb**2
    shape = sw.shape + (depth,)
    K0, K1, V, chi = (np.empty(shape) for _ in range(4))
    k0, k1, v = cw * q0 + cb, np.zeros(sw.shape), np.zeros(sw.shape)
    for layer in range(depth):
        K0[..., layer], K1[..., layer], V[..., layer] = k0, k1, v
        ok = np.isfinite(k0)
        g, g1, g2, h = activation_moments(np.where(ok, k0, 1.0), activation)
        g, g1, g2, h = (np.where(ok, x, np.nan) for x in (g, g1, g2, h))
        slope = cw * g1
        chi[..., layer] = slope
        with np.errstate(over="ignore", invalid="ignore"):
            k0, k1, v = (
                np.where(ok, cb + cw * g, np.inf),
                slope * k1 + 0.5 * cw * g2 * v,
                cw**2 * (h - g * g) + slope**2 * v,
            )
    return LengthCorrections(np.arange(1, depth + 1), K0, K1, V, chi)


def q_std_theory(sigma_w, sigma_b, width, depth: int, activation="tanh", q0=1.0):
    """Leading network-to-network std of q^l, ``sqrt((2 K0^2 + V) / N)``, layers 1..depth.

    Shape ``broadcast(sigma_w, sigma_b, q0).shape + (depth,)``; ``width`` a scalar.
    """
    width = _check_width(width)
    corr = length_corrections(sigma_w, sigma_b, depth, activation, q0)
    return np.sqrt(corr.n_var() / width)


def stationary_vertex(sigma_w, sigma_b, activation="tanh"):
    """``V* = C_W^2 (h - g^2) / (1 - chi^2)`` at q*, the deep limit of V (inf if chi >= 1).

    chi is the slope of the length map at q*; q* = inf or 0 (no fixed point with K > 0)
    give inf and 0 respectively.
    """
    sw, sb, _ = _check_sigmas(sigma_w, sigma_b)
    act = _acts.get(activation)
    qs = np.asarray(_mf.q_star(sw, sb, act), dtype=float)
    sw, sb, qs = np.broadcast_arrays(sw, sb, qs)
    good = np.isfinite(qs) & (qs > 0)
    g, g1, _, h = activation_moments(np.where(good, qs, 1.0), act)
    chi = sw**2 * g1
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(chi < 1.0, sw**4 * (h - g * g) / (1.0 - chi**2), np.inf)
    v = np.where(good, v, np.where(qs > 0, np.inf, 0.0))
    return _out(v)


def q_std_stationary(sigma_w, sigma_b, width, activation="tanh"):
    """Deep-layer std of q^l about q*: ``sqrt((2 q*^2 + V*) / N)`` (the qstar_empirical band)."""
    width = _check_width(width)
    act = _acts.get(activation)
    qs = np.asarray(_mf.q_star(sigma_w, sigma_b, act), dtype=float)
    v = np.asarray(stationary_vertex(sigma_w, sigma_b, act), dtype=float)
    with np.errstate(invalid="ignore"):
        return _out(np.sqrt((2.0 * qs**2 + v) / width))


# ------------------------------------------------------------------ ReLU, exact


def _rising_even(m, k):
    """M (M+2) ... (M+2k-2) (k factors), elementwise; 1 for k = 0."""
    out = np.ones_like(m, dtype=float)
    for i in range(k):
        out = out * (m + 2.0 * i)
    return out


def relu_ratio_moments(width: int, k: int, sigma_w=RELU_CRITICAL_SIGMA_W):
    """E[R^k], R = (C_W/N) sum_j relu(xi_j)^2 = (C_W/N) chi^2_M, M ~ Binomial(N, 1/2)."""
    width = int(width)
    if width < 1 or k < 0:
        raise ValueError("width must be >= 1 and k >= 0")
    m = np.arange(width + 1, dtype=float)
    pmf = stats.binom.pmf(m, width, 0.5)
    return float((sigma_w**2 / width) ** k * np.sum(pmf * _rising_even(m, k)))


def relu_exact_moments(width, depth: int, k: int = 2, sigma_w=RELU_CRITICAL_SIGMA_W):
    """Exact ``E[(q^l / G^1)^k]`` of a ReLU network with sigma_b = 0, layers 1..depth.

    ``G^1 = sigma_w^2 q0`` is the first layer's variance. Returns an array (depth,)
    (``width`` a scalar). ``k = 2`` at ``sigma_w^2 = 2`` is
    ``(1 + 2/N)(1 + 5/N)^(l-1)``; ``E[q^l] = G^1 (sigma_w^2/2)^(l-1)`` (k = 1).
    """
    width = int(width)
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    if not sigma_w > 0:
        raise ValueError(f"sigma_w must be > 0, got {sigma_w}")
    chi2 = float(np.prod(1.0 + 2.0 * np.arange(k) / width))
    r = relu_ratio_moments(width, k, sigma_w)
    layer = np.arange(1, int(depth) + 1)
    return chi2 * r ** (layer - 1.0)


def relu_exact_central_moments(width, depth: int, sigma_w=RELU_CRITICAL_SIGMA_W):
    """Exact variance and fourth central moment of ``q^l / G^1`` (ReLU, sigma_b = 0).

    Returns ``(var, mu4)``, arrays (depth,), from the raw moments k = 1..4 of
    :func:`relu_exact_moments`. They give the exact standard error of a sample variance
    over n networks, ``sqrt((mu4 - var^2 (n-3)/(n-1)) / n)``: q^l is heavy-tailed at
    large l/N, and a sample's own fourth moment then misses the rare large values that
    dominate mu4 (it underestimates the s.e. by 2-4x at l/N = 0.3 with 4000 networks).
    """
    m1, m2, m3, m4 = (relu_exact_moments(width, depth, k, sigma_w) for k in (1, 2, 3, 4))
    var = m2 - m1**2
    mu4 = m4 - 4 * m3 * m1 + 6 * m2 * m1**2 - 3 * m1**4
    return var, mu4


# ------------------------------------------------------------------ statistics


def variance_with_se(x, axis=0):
    """Unbiased sample variance along ``axis`` and its standard error (delta method).

    ``se^2 = (m4 - s^4 (n - 3)/(n - 1)) / n``, m4 the fourth central sample moment:
    the large-sample variance of s^2 for iid draws, valid for any distribution with a
    finite fourth moment (no Gaussian assumption, which would understate heavy tails).
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[axis]
    if n < 4:
        raise ValueError(f"need at least 4 samples along axis {axis}, got {n}")
    d = x - x.mean(axis=axis, keepdims=True)
    s2 = np.sum(d * d, axis=axis) / (n - 1)
    m4 = np.mean(d**4, axis=axis)
    se2 = (m4 - s2 * s2 * (n - 3) / (n - 1)) / n
    return s2, np.sqrt(np.maximum(se2, 0.0))


def summarise_lengths(q):
    """Per layer (columns of ``q``, networks along rows): mean, its s.e., variance, its s.e."""
    q = np.asarray(q, dtype=float)
    var, var_se = variance_with_se(q, axis=0)
    return {
        "mean": q.mean(axis=0),
        "mean_se": q.std(axis=0, ddof=1) / np.sqrt(q.shape[0]),
        "var": var,
        "var_se": var_se,
    }


# ------------------------------------------------------------------ workflow settings


def panel_settings(cfg, panel: str, width=None):
    """Networks of one panel of figure ``finite_width`` from its config slice, as dicts.

    ``cfg`` is the ``finite_width`` section; ``panel`` one of ``fluctuations``, ``shift``
    (tanh-like: ``sigma_w`` entries are numbers or ``"critical"``, the sigma_w with
    chi_1 = 1 at ``sigma_b``) or ``relu`` (ReLU at sigma_w^2 = 2, sigma_b = 0, depth
    ``round(depth_over_width * N)``, which needs ``width``) or ``correlation`` (as the
    tanh-like panels, two inputs of correlation ``c0``). Keys: activation, sigma_w,
    sigma_b, depth, q0 (and c0 for ``correlation``).
    """
    sub = cfg[panel]
    q0 = float(cfg["q0"])
    if panel == "relu":
        if width is None:
            raise ValueError("the relu panel's depth depends on the width")
        depth = max(1, int(round(float(sub["depth_over_width"]) * int(width))))
        return [{"activation": "relu", "sigma_w": RELU_CRITICAL_SIGMA_W, "sigma_b": 0.0,
                 "depth": depth, "q0": q0}]  # fmt: skip
    if panel not in ("fluctuations", "shift", "correlation"):
        raise ValueError(
            f"unknown panel {panel!r}; allowed: fluctuations, relu, shift, correlation"
        )
    sb = float(sub["sigma_b"])
    out = []
    for sw in sub["sigma_w"]:
        if sw == "critical":
            sw = _mf.critical_sigma_w(sb, sub["activation"])
        out.append({"activation": sub["activation"], "sigma_w": float(sw), "sigma_b": sb,
                    "depth": int(sub["depth"]), "q0": q0})  # fmt: skip
        if panel == "correlation":
            out[-1]["c0"] = float(sub["c0"])
    return out


# ------------------------------------------------------------------ simulation


def _chunk_sizes(n, size):
    sizes = [size] * (n // size)
    if n % size:
        sizes.append(n % size)
    return sizes


def simulate_lengths(
    sigma_w: float,
    sigma_b: float,
    width: int,
    depth: int,
    n_networks: int,
    *,
    activation="tanh",
    q0=1.0,
    seed=0,
    sampler="weights",
    max_elements=1 << 18,
):
    """q^l of ``n_networks`` independent random networks, shape (n_networks, depth), l = 1..L.

    ``sampler="weights"``: explicit weight matrices, every layer one ``torch.bmm`` of the
    (n, N, N) weights of n networks with their (n, N, 1) activations, in float64 (the
    Gaussian weights are drawn in float32 and widened, 3.4-3.7 times faster than float64
    draws in benchmarks/bench_finite_width.py and statistically irrelevant here: a
    relative rounding of 6e-8 per weight).
    ``sampler="conditional"``: the exact law of one input through such a network,
    ``z^{l+1} = sqrt(G^{l+1}) xi`` with ``G^{l+1} = C_b + C_W |phi(z^l)|^2 / N`` (module
    docstring), N normals per layer instead of N^2. The input is
    ``x = sqrt(q0) (1, ..., 1)`` of width N. Networks are processed in chunks of at most
    ``max_elements`` weights (2^18 keeps a chunk's weights in cache: 1.4-2.3 times faster
    than 2^23 on one thread); each chunk has its own generator seeded from ``seed`` and
    the chunk index, so the result is a function of (arguments, seed) only.
    Lengths that overflow float64 are returned as inf/NaN.
    """
    from . import networks as _nets

    _nets._check(sigma_w, sigma_b, width, depth)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    if int(n_networks) < 1:
        raise ValueError(f"n_networks must be >= 1, got {n_networks}")
    if not (q0 > 0 and math.isfinite(q0)):
        raise ValueError(f"q0 must be > 0 and finite, got {q0}")
    phi = _nets.torch_activation(activation)
    width, depth, n_networks = int(width), int(depth), int(n_networks)
    per_net = width * width if sampler == "weights" else width
    chunk = max(1, min(n_networks, int(max_elements) // per_net))
    out = np.empty((n_networks, depth))
    start = 0
    for index, size in enumerate(_chunk_sizes(n_networks, chunk)):
        gen = _nets.generator(_seeds.derive(seed, "chunk", index))
        run = _run_weights if sampler == "weights" else _run_conditional
        out[start : start + size] = run(size, width, depth, sigma_w, sigma_b, phi, q0, gen)
        start += size
    return out


def _run_weights(n, width, depth, sigma_w, sigma_b, phi, q0, gen):
    import torch

    from . import networks as _nets

    dt = _nets.DTYPE
    q = torch.empty(n, depth, dtype=dt)
    a = torch.full((n, width, 1), math.sqrt(q0), dtype=dt)
    scale = sigma_w / math.sqrt(width)
    for layer in range(depth):
        w = torch.randn(n, width, width, generator=gen, dtype=torch.float32).to(dt)
        b = torch.randn(n, width, 1, generator=gen, dtype=dt)
        z = torch.bmm(w, a).mul_(scale).add_(b, alpha=sigma_b)
        q[:, layer] = z.square().mean(dim=(1, 2))
        a = phi(z)
    return q.numpy()


def _run_conditional(n, width, depth, sigma_w, sigma_b, phi, q0, gen):
    import torch

    from . import networks as _nets

    dt = _nets.DTYPE
    q = torch.empty(n, depth, dtype=dt)
    cw, cb = sigma_w**2, sigma_b**2
    G = torch.full((n, 1), cw * q0 + cb, dtype=dt)
    for layer in range(depth):
        z = torch.randn(n, width, generator=gen, dtype=dt) * G.sqrt()
        q[:, layer] = z.square().mean(dim=1)
        G = cb + cw * phi(z).square().mean(dim=1, keepdim=True)
    return q.numpy()


# ------------------------------------------------------------------ two inputs

#: the three independent entries of a 2 x 2 kernel, in this order
PAIRS = ((0, 0), (1, 1), (0, 1))
_PAIR_Z_MAX = 9.5  # |z| beyond which the N(0, 1) density is < 1e-19


def _pair_grid(k_max):
    """Trapezoid nodes and weights for E_z[f(z)], z ~ N(0, 1), f analytic in a strip.

    The integrands phi(sqrt(K) (c z1 + s z2)) of tanh-like phi have their nearest complex
    singularity at distance d ~ pi / (2 sqrt(K)); the trapezoid error ~ exp(-2 pi d / h)
    is ~1e-17 for h = 0.25 / sqrt(K) (capped at 0.2 for the Gaussian weight itself).
    """
    h = min(0.2, 0.25 / math.sqrt(max(k_max, 1e-12)))
    n = int(math.ceil(_PAIR_Z_MAX / h))
    x = h * np.arange(-n, n + 1)
    return x, h * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _pair_expectations(kaa, kbb, kab, act):
    """E over (u_a, u_b) ~ N(0, [[kaa, kab], [kab, kbb]]) of the products the vertex needs.

    Tensor trapezoid rule of :func:`_pair_grid` (smooth phi only). Returns M2 (3,), M4
    (3, 3) and the derivative matrix D (3, 3), D[P, Q] = dE[phi_i phi_j]/dK_Q for
    P = (i, j), from Price's theorem: dE[f]/dK_ab = E[d_a d_b f], dE[f]/dK_aa = E[d_a^2 f]/2.
    """
    x, w = _pair_grid(max(kaa, kbb))
    z1, z2 = np.meshgrid(x, x, indexing="ij")
    ww = np.outer(w, w)
    c = kab / np.sqrt(kaa * kbb)
    ua = np.sqrt(kaa) * z1
    ub = np.sqrt(kbb) * (c * z1 + np.sqrt(max(1.0 - c * c, 0.0)) * z2)
    phi = (act.phi(ua), act.phi(ub))
    dphi = (act.dphi(ua), act.dphi(ub))
    d2phi = (act.d2phi(ua), act.d2phi(ub))

    def mean(f):
        return float(np.sum(f * ww))

    m2 = np.array([mean(phi[i] * phi[j]) for i, j in PAIRS])
    m4 = np.array([[mean(phi[i] * phi[j] * phi[k] * phi[m]) for k, m in PAIRS] for i, j in PAIRS])
    d = np.zeros((3, 3))
    for p, i in ((0, 0), (1, 1)):  # diagonal entries depend on their own K only
        d[p, p] = mean(dphi[i] ** 2 + phi[i] * d2phi[i])
    d[2, 0] = 0.5 * mean(d2phi[0] * phi[1])
    d[2, 1] = 0.5 * mean(phi[0] * d2phi[1])
    d[2, 2] = mean(dphi[0] * dphi[1])
    return m2, m4, d


@dataclass(frozen=True)
class PairCorrections:
    """Two inputs: mean-field kernel K0 (L, 3) and vertex V (L, 3, 3) per layer l = 1..L.

    Entries in the order of :data:`PAIRS` (aa, bb, ab); ``c0`` (L,) the mean-field
    correlation; ``n_var_c`` (L,) the leading N Var(c^l) of the measured correlation.
    """

    layer: np.ndarray
    K0: np.ndarray
    V: np.ndarray
    c0: np.ndarray
    n_var_c: np.ndarray


def _wishart(k):
    """N Cov(q_P, q_Q | G = k) of q = (1/N) z^T z with rows z ~ N(0, k): k_ik k_jl + k_il k_jk."""
    full = np.array([[k[0], k[2]], [k[2], k[1]]])
    return np.array(
        [[full[i, m] * full[j, n] + full[i, n] * full[j, m] for m, n in PAIRS] for i, j in PAIRS]
    )


def pair_corrections(sigma_w, sigma_b, depth: int, activation="tanh", q0=1.0, c0=0.5):
    """1/N fluctuation of the correlation of two inputs (both of length q0, correlation c0).

    The single-input argument with the 2 x 2 kernel: given layer l the rows of z^{l+1} are
    iid N(0, G^{l+1}), ``G^{l+1}_ij = C_b + C_W (1/N) sum_k phi(z_ki) phi(z_kj)``, so
    ``N Cov(G_P, G_Q) = V_PQ`` with ``V^{l+1} = C_W^2 (M4 - M2 M2^T) + C_W^2 D V^l D^T``
    (M, D of :func:`_pair_expectations` at K0^l) and ``V^1 = 0``. The measured
    ``q^l_ij = (1/N) sum_k z_ki z_kj`` has ``N Cov(q_P, q_Q) = W_PQ + V_PQ + O(1/N)``, W
    the Wishart part, and ``c^l = q_ab / sqrt(q_aa q_bb)`` by the delta method
    ``N Var(c^l) = g^T (W + V) g``, ``g = (-c/2K_aa, -c/2K_bb, 1/sqrt(K_aa K_bb))``.
    Smooth activations only (the Gauss-Hermite rule needs an analytic phi).
    """
    act = _acts.get(activation)
    if not act.smooth:
        raise ValueError(f"pair_corrections needs a smooth activation, got {act.name!r}")
    if not (q0 > 0 and math.isfinite(q0)) or not -1 <= c0 <= 1:
        raise ValueError("q0 must be > 0 and finite and c0 in [-1, 1]")
    if not sigma_w > 0 or not sigma_b >= 0:
        raise ValueError("sigma_w must be > 0 and sigma_b >= 0")
    cw, cb = sigma_w**2, sigma_b**2
    depth = int(depth)
    K0, V = np.empty((depth, 3)), np.empty((depth, 3, 3))
    k = np.array([cw * q0 + cb, cw * q0 + cb, cw * q0 * c0 + cb])
    v = np.zeros((3, 3))
    for layer in range(depth):
        K0[layer], V[layer] = k, v
        m2, m4, d = _pair_expectations(k[0], k[1], k[2], act)
        k, v = cb + cw * m2, cw**2 * (m4 - np.outer(m2, m2)) + cw**2 * d @ v @ d.T
    c = K0[:, 2] / np.sqrt(K0[:, 0] * K0[:, 1])
    grad = np.stack([-c / (2 * K0[:, 0]), -c / (2 * K0[:, 1]), 1 / np.sqrt(K0[:, 0] * K0[:, 1])])
    cov = np.stack([_wishart(kk) for kk in K0]) + V
    n_var_c = np.einsum("pl,lpq,ql->l", grad, cov, grad)
    return PairCorrections(np.arange(1, depth + 1), K0, V, c, n_var_c)


def simulate_pairs(
    sigma_w: float,
    sigma_b: float,
    width: int,
    depth: int,
    n_networks: int,
    *,
    activation="tanh",
    q0=1.0,
    c0=0.5,
    seed=0,
    sampler="conditional",
    max_elements=1 << 18,
):
    """q_aa, q_bb, q_ab of two inputs through ``n_networks`` networks, each (n, depth).

    As :func:`simulate_lengths`; the conditional sampler draws the rows of z^{l+1} as
    ``L xi`` with ``L L^T = G^{l+1}`` (Cholesky, 2 x 2 per network). The inputs have
    length q0 and correlation c0 exactly (the same two inputs for every network).
    """
    from . import networks as _nets

    _nets._check(sigma_w, sigma_b, width, depth)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    if not -1 < c0 < 1:
        raise ValueError(f"c0 must be in (-1, 1), got {c0}")
    phi = _nets.torch_activation(activation)
    width, depth, n_networks = int(width), int(depth), int(n_networks)
    per_net = width * width if sampler == "weights" else width
    chunk = max(1, min(n_networks, int(max_elements) // per_net))
    out = np.empty((3, n_networks, depth))
    x = _nets.input_pair(q0, c0, width, _nets.generator(seed)).T  # (N, 2)
    start = 0
    for index, size in enumerate(_chunk_sizes(n_networks, chunk)):
        gen = _nets.generator(_seeds.derive(seed, "chunk", index))
        out[:, start : start + size] = _run_pairs(
            size, x, depth, sigma_w, sigma_b, phi, gen, sampler
        )
        start += size
    return out[0], out[1], out[2]


def _run_pairs(n, x, depth, sigma_w, sigma_b, phi, gen, sampler):
    import torch

    from . import networks as _nets

    dt = _nets.DTYPE
    width = x.shape[0]
    q = torch.empty(3, n, depth, dtype=dt)
    cw, cb = sigma_w**2, sigma_b**2
    a = x.expand(n, width, 2)
    for layer in range(depth):
        if sampler == "weights":
            w = torch.randn(n, width, width, generator=gen, dtype=torch.float32).to(dt)
            b = torch.randn(n, width, 1, generator=gen, dtype=dt)
            z = torch.bmm(w, a).mul_(sigma_w / math.sqrt(width)).add_(b, alpha=sigma_b)
        else:
            G = cb + cw * torch.bmm(a.transpose(1, 2), a) / width  # (n, 2, 2)
            chol = torch.linalg.cholesky(G)
            xi = torch.randn(n, width, 2, generator=gen, dtype=dt)
            z = torch.bmm(xi, chol.transpose(1, 2))
        gram = torch.bmm(z.transpose(1, 2), z) / width
        q[0, :, layer], q[1, :, layer], q[2, :, layer] = gram[:, 0, 0], gram[:, 1, 1], gram[:, 0, 1]
        a = phi(z)
    return q.numpy()
