r"""Linear residual convolutions at initialisation (TTIC "Highways" sheet, Problem 3).

The network is :math:`x^{l+1} = x^l + \mathrm{Conv}(W^l, x^l)`, ``l = 0 .. L-1``, with
``C`` channels, ``N x N`` filters (``N`` odd), stride 1, zero "same" padding and a fresh
``W^l`` per layer whose entries are i.i.d. with mean 0 and *variance* ``sigma_W`` (the
sheet's wording "variance sigma_W"; the standard deviation is ``sqrt(sigma_W)``). Inputs
``x^0`` have i.i.d. entries of mean 0 and variance 1.

(a) Each output of the convolution sums ``N^2 C`` products ``W x``, and the two summands of
the residual equation are uncorrelated (``E W^l = 0`` and ``W^l`` is independent of
``x^l``), so away from the borders

.. math::  \sigma_{l+1}^2 = \sigma_l^2 + N^2 C \sigma_W \sigma_l^2 = (1 + N^2 C\sigma_W)\sigma_l^2 .

(b) :math:`\sigma_l^2 = (1 + N^2 C \sigma_W)^l`.

(c) With :math:`(1+\epsilon)^L \approx e^{\epsilon L}`, :math:`\sigma_L^2 = 2` gives
:math:`N^2 C \sigma_W L = \ln 2`, i.e. :math:`\sigma_W = \ln 2 / (L N^2 C)`; exactly,
:math:`\sigma_W = (2^{1/L} - 1)/(N^2 C)`.

(d) Backward, :math:`x^l.\mathrm{grad} = x^{l+1}.\mathrm{grad} +
\mathrm{Conv}^\top(W^l, x^{l+1}.\mathrm{grad})`, whose second term again sums ``N^2 C``
products with a fresh, independent ``W^l``, so for a unit-variance ``x^L.grad``
:math:`\sigma_{l,\mathrm{grad}}^2 = (1 + N^2 C\sigma_W)^{L-l}`.

Borders: with zero padding a pixel within ``k = (N-1)/2`` of the edge sums fewer terms. The
expected per-pixel variance obeys exactly (no independence assumption needed)
:math:`v^{l+1}(p) = v^l(p) + C\sigma_W \sum_{|o|_\infty \le k,\ p + o \in \mathrm{image}} v^l(p+o)`
(:func:`padded_variance_maps`), which equals (b) at pixels at least ``l k`` from every
border and falls below it closer in.

(e) ``W^l.grad`` (PyTorch convolution is a cross-correlation,
:math:`\mathrm{Conv}(W, x)_{b,c,y,z} = \sum_{c',i,j} W_{c,c',i,j}\, x_{b,c',y+i-k,z+j-k}`):

.. math::  W^l.\mathrm{grad}_{c,c',i,j} = \sum_{b,y,z} x^{l+1}.\mathrm{grad}_{b,c,y,z}\;
           x^l_{b,c',y+i-k,z+j-k}

(zero outside the image). As :math:`\sigma_W \to 0` every convolution vanishes, so
:math:`x^l \to x^0` and :math:`x^{l+1}.\mathrm{grad} \to x^L.\mathrm{grad}`, and

.. math::  \lim_{\sigma_W\to 0} W^l.\mathrm{grad}_{c,c',i,j} = \sum_{b,y,z}
           x^L.\mathrm{grad}_{b,c,y,z}\; x^0_{b,c',y+i-k,z+j-k},

the same for every layer (:func:`weight_grad_limit`). With a relu around the convolution the
gradient carries the mask :math:`1[\mathrm{Conv}(W^l, x^l) > 0]`, which is invariant to the
scale of ``W^l``: along a ray ``W^l = sqrt(sigma_W) Z^l`` it tends to a limit that depends on
the direction ``Z^l`` (:func:`weight_grad_limit` with ``mask``), so ``W^l.grad`` has no
well-defined limit as ``sigma_W -> 0`` (and at ``W = 0`` torch's relu'(0) = 0 gives 0).

The simulation functions import torch where they run, so the closed forms load without it
(a theory or plotting job starts about 1.7 s sooner).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "border_distance",
    "border_profile",
    "convergence_slope",
    "draw_directions",
    "final_variance_sigma_w",
    "gain",
    "grad_variance",
    "padded_variance_maps",
    "relu_masks",
    "interior_mean",
    "log_variance_spread",
    "residual_forward",
    "sigma_w_cases",
    "simulate",
    "small_sigma_grads",
    "variance",
    "weight_grads",
    "weight_grad_limit",
]

ACTIVATIONS = ("linear", "relu")


def _check_filter(n_filter):
    if int(n_filter) != n_filter or n_filter < 1 or n_filter % 2 == 0:
        raise ValueError(
            f"n_filter must be a positive odd integer (same padding), got {n_filter!r}"
        )
    return int(n_filter)


def _check_positive_int(value, name):
    if int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _check_sigma_w(sigma_w):
    s = np.asarray(sigma_w, dtype=float)
    if np.any(~np.isfinite(s)) or np.any(s < 0):
        raise ValueError(f"sigma_w (weight variance) must be finite and >= 0, got {sigma_w!r}")
    return s


def gain(n_filter, channels, sigma_w):
    """Per-layer variance factor ``1 + N^2 C sigma_W`` (Problem 3a)."""
    return 1.0 + _check_filter(n_filter) ** 2 * channels * _check_sigma_w(sigma_w)


def variance(layer, n_filter, channels, sigma_w):
    """``sigma_l^2 = (1 + N^2 C sigma_W)^l`` for unit input variance (Problem 3b)."""
    return gain(n_filter, channels, sigma_w) ** np.asarray(layer, dtype=float)


def grad_variance(layer, n_layers, n_filter, channels, sigma_w):
    """``sigma_{l,grad}^2 = (1 + N^2 C sigma_W)^(L - l)`` for unit ``x^L.grad`` (Problem 3d)."""
    return gain(n_filter, channels, sigma_w) ** (n_layers - np.asarray(layer, dtype=float))


def log_variance_spread(depth, channels, sigma_w):
    r"""Leading-order std of :math:`\ln\sigma_\ell^2` across networks, ``sqrt(4 depth sigma_W/C)``.

    The formulas (a)-(d) hold for the average over the weights. For *one* network the cross
    term :math:`2\langle x^\ell, \mathrm{Conv}(W^\ell, x^\ell)\rangle` does not vanish: the
    centre tap :math:`W^\ell_{c,c,k,k}` multiplies the whole energy of channel ``c`` at every
    pixel (weight sharing), so the layer's gain is :math:`1 + N^2C\sigma_W + \delta_\ell` with
    :math:`\delta_\ell \approx (2/C)\sum_c W^\ell_{c,c,k,k}`, of variance
    :math:`4\sigma_W/C`, independent across layers. This is where "assume the two terms are
    independent" fails; it is O(sqrt(sigma_W)) per layer while the mean growth is O(sigma_W).
    ``depth`` is ``l`` for the forward pass and ``L - l`` for the gradients.
    """
    depth = np.asarray(depth, dtype=float)
    return np.sqrt(4.0 * depth * _check_sigma_w(sigma_w) / channels)


def final_variance_sigma_w(n_layers, n_filter, channels, target=2.0, exact=False):
    """``sigma_W`` with ``sigma_L^2 = target`` (Problem 3c).

    ``exact=False``: the sheet's ``(1 + eps)^L ~ e^(eps L)``, ``ln(target) / (L N^2 C)``;
    ``exact=True``: ``(target^(1/L) - 1) / (N^2 C)``.
    """
    n_layers = np.asarray(n_layers, dtype=float)
    if np.any(n_layers < 1):
        raise ValueError(f"n_layers must be >= 1, got {n_layers!r}")
    if target <= 1:
        raise ValueError(f"target variance must be > 1 (it only grows), got {target!r}")
    fan = _check_filter(n_filter) ** 2 * channels
    if exact:
        return (target ** (1.0 / n_layers) - 1.0) / fan
    return np.log(target) / (n_layers * fan)


def sigma_w_cases(n_layers, n_filter, channels, extra=()):
    """``[(label, sigma_W)]``: the two sigma_L^2 = 2 answers of (c), then ``extra`` values."""
    return [
        ("sigma_L^2=2 (e^x approx.)", float(final_variance_sigma_w(n_layers, n_filter, channels))),
        (
            "sigma_L^2=2 (exact)",
            float(final_variance_sigma_w(n_layers, n_filter, channels, exact=True)),
        ),
    ] + [(f"sigma_W={float(s):g}", float(s)) for s in extra]


def interior_mean(maps, n_filter, grad=False):
    """Mean of per-layer maps (..., L+1, H, W) over pixels unaffected by the padding.

    Forward layer ``l`` feels the border only within ``l k`` pixels of it (``k = (N-1)/2``);
    the gradient at layer ``l`` within ``(L - l) k``. Returns (..., L+1).
    """
    maps = np.asarray(maps)
    n_layers = maps.shape[-3] - 1
    k = (_check_filter(n_filter) - 1) // 2
    dist = border_distance(*maps.shape[-2:])
    out = []
    for layer in range(n_layers + 1):
        depth = (n_layers - layer) if grad else layer
        mask = dist >= depth * k
        if not mask.any():
            raise ValueError(
                f"image of {maps.shape[-2:]} pixels has no interior at layer {layer}: "
                f"needs more than {2 * depth * k} pixels per side"
            )
        out.append(maps[..., layer, :, :][..., mask].mean(axis=-1))
    return np.stack(out, axis=-1)


def border_profile(vmap, margin):
    """Variance against distance from the left/right border of an (H, W) map.

    Averages the rows at least ``margin`` pixels from the top and bottom (so only the
    left/right padding acts) and folds the two halves; returns ``ceil(W/2)`` values.
    """
    vmap = np.asarray(vmap)
    h, w = vmap.shape
    rows = vmap[margin : h - margin] if h > 2 * margin else vmap[h // 2 : h // 2 + 1]
    profile = rows.mean(axis=0)
    half = (w + 1) // 2
    return 0.5 * (profile[:half] + profile[::-1][:half])


def _box_sum(v, k):
    """Sum of ``v`` (…, H, W) over the (2k+1)^2 window with zero padding."""
    p = np.pad(v, [(0, 0)] * (v.ndim - 2) + [(k, k), (k, k)])
    h, w = v.shape[-2:]
    out = np.zeros_like(v)
    for i in range(2 * k + 1):
        for j in range(2 * k + 1):
            out += p[..., i : i + h, j : j + w]
    return out


def padded_variance_maps(n_layers, height, width, n_filter, channels, sigma_w):
    """Expected per-pixel variance maps ``v^l`` (L+1, H, W) with zero padding, ``v^0 = 1``.

    Exact in expectation over fresh zero-mean weights. The gradient maps of Problem 3d obey
    the same recursion from ``l = L`` down (the transposed box is the box), so
    ``grad map at layer l = v^{L-l}``.
    """
    k = (_check_filter(n_filter) - 1) // 2
    n_layers = _check_positive_int(n_layers, "n_layers")
    c_sigma = channels * float(_check_sigma_w(sigma_w))
    maps = [np.ones((int(height), int(width)))]
    for _ in range(n_layers):
        maps.append(maps[-1] + c_sigma * _box_sum(maps[-1], k))
    return np.stack(maps)


def border_distance(height, width):
    """Chebyshev distance (in pixels) of each pixel to the nearest border, (H, W)."""
    y = np.minimum(np.arange(height), np.arange(height)[::-1])
    x = np.minimum(np.arange(width), np.arange(width)[::-1])
    return np.minimum(y[:, None], x[None, :])


def draw_directions(n_layers, channels, n_filter, gen):
    """Standard-normal filters ``Z^l`` (L, C, C, N, N); ``W^l = sqrt(sigma_W) Z^l``."""
    import torch

    return torch.randn(
        n_layers, channels, channels, n_filter, n_filter, generator=gen, dtype=torch.float64
    )


def residual_forward(x0, weights, activation="linear"):
    """All activations ``[x^0, ..., x^L]`` of ``x^{l+1} = x^l + phi(Conv(W^l, x^l))``."""
    import torch
    import torch.nn.functional as F

    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    k = (weights[0].shape[-1] - 1) // 2
    xs = [x0]
    for w in weights:
        conv = F.conv2d(xs[-1], w, padding=k)
        xs.append(xs[-1] + (torch.relu(conv) if activation == "relu" else conv))
    return xs


def simulate(
    n_layers, channels, n_filter, image, batch, sigma_w, n_networks, seed, activation="linear"
):
    """Per-pixel variance maps of ``x^l`` and ``x^l.grad`` averaged over networks.

    Each network draws ``x^0`` and a top gradient ``x^L.grad`` with i.i.d. unit Gaussian
    entries and fresh filters of variance ``sigma_w``; the loss ``sum(x^L.grad * x^L)`` is
    backpropagated by autograd. Returns ``(var_maps, grad_maps)``, each
    (n_networks, L+1, H, W): the mean over batch and channels of ``x^2`` (all means are 0).
    """
    import torch

    n_layers = _check_positive_int(n_layers, "n_layers")
    channels = _check_positive_int(channels, "channels")
    n_filter = _check_filter(n_filter)
    image = _check_positive_int(image, "image")
    batch = _check_positive_int(batch, "batch")
    n_networks = _check_positive_int(n_networks, "n_networks")
    std = float(np.sqrt(_check_sigma_w(sigma_w)))
    gen = torch.Generator().manual_seed(int(seed))
    var_maps, grad_maps = [], []
    for _ in range(n_networks):
        x0 = torch.randn(batch, channels, image, image, generator=gen, dtype=torch.float64)
        x0.requires_grad_(True)
        top = torch.randn(batch, channels, image, image, generator=gen, dtype=torch.float64)
        weights = list(draw_directions(n_layers, channels, n_filter, gen) * std)
        xs = residual_forward(x0, weights, activation)
        for x in xs:
            x.retain_grad()
        (top * xs[-1]).sum().backward()
        var_maps.append(torch.stack([(x.detach() ** 2).mean(dim=(0, 1)) for x in xs]))
        grad_maps.append(torch.stack([(x.grad**2).mean(dim=(0, 1)) for x in xs]))
    return torch.stack(var_maps).numpy(), torch.stack(grad_maps).numpy()


def weight_grad_limit(x0, top_grad, n_filter, mask=None):
    """The sigma_W -> 0 limit of ``W^l.grad`` by its index expression (Problem 3e).

    ``G_{c,c',i,j} = sum_{b,y,z} g_{b,c,y,z} x0_{b,c',y+i-k,z+j-k}`` with ``g = x^L.grad``
    (times ``mask``, the relu mask ``1[Conv(Z^l, x^0) > 0]`` of a direction, if given) and
    zero padding. Written with explicit shifts and :func:`torch.einsum`, independently of
    torch's convolution backward.
    """
    import torch
    import torch.nn.functional as F

    n_filter = _check_filter(n_filter)
    k = (n_filter - 1) // 2
    g = top_grad if mask is None else top_grad * mask
    h, w = x0.shape[-2:]
    xp = F.pad(x0, (k, k, k, k))
    out = torch.empty(g.shape[1], x0.shape[1], n_filter, n_filter, dtype=x0.dtype)
    for i in range(n_filter):
        for j in range(n_filter):
            out[:, :, i, j] = torch.einsum("bcyz,bdyz->cd", g, xp[:, :, i : i + h, j : j + w])
    return out


def weight_grads(x0, top_grad, directions, sigma_w, activation="linear"):
    """Autograd ``W^l.grad`` for ``W^l = sqrt(sigma_W) Z^l`` and loss ``sum(top_grad * x^L)``."""
    std = float(np.sqrt(_check_sigma_w(sigma_w)))
    weights = [(z * std).requires_grad_(True) for z in directions]
    xs = residual_forward(x0, weights, activation)
    (top_grad * xs[-1]).sum().backward()
    return [w.grad for w in weights]


def relu_masks(x0, directions):
    """``1[Conv(Z^l, x^0) > 0]`` per layer: the scale-free relu mask at sigma_W -> 0."""
    import torch.nn.functional as F

    k = (directions.shape[-1] - 1) // 2
    return [(F.conv2d(x0, z, padding=k) > 0).to(x0.dtype) for z in directions]


def convergence_slope(sigma_w, error):
    """Least-squares slope of ``log(error)`` against ``log(sigma_W)`` (1/2 for the linear net)."""
    sigma_w, error = np.asarray(sigma_w, dtype=float), np.asarray(error, dtype=float)
    if sigma_w.size < 2 or np.any(sigma_w <= 0) or np.any(error <= 0):
        raise ValueError("convergence_slope needs >= 2 positive sigma_w and error values")
    return float(np.polyfit(np.log(sigma_w), np.log(error), 1)[0])


def _rel(a, b):
    return float((a - b).norm() / b.norm())


def small_sigma_grads(n_layers, channels, n_filter, image, batch, sigma_ws, seed):
    """Problem 3(e) numerically: ``W^l.grad`` against its limits at decreasing ``sigma_W``.

    Two independent filter directions ``Z_a``, ``Z_b`` share ``x^0`` and ``x^L.grad``. For
    each ``sigma_W``, layer and activation it records the relative distance of ``W^l.grad``
    (direction a) to the linear limit (:func:`weight_grad_limit`), to the directional relu
    limit of direction a, and to ``W^l.grad`` of direction b at the same ``sigma_W``.
    """
    import torch

    n_layers = _check_positive_int(n_layers, "n_layers")
    n_filter = _check_filter(n_filter)
    gen = torch.Generator().manual_seed(int(seed))
    x0 = torch.randn(batch, channels, image, image, generator=gen, dtype=torch.float64)
    top = torch.randn(batch, channels, image, image, generator=gen, dtype=torch.float64)
    z_a = draw_directions(n_layers, channels, n_filter, gen)
    z_b = draw_directions(n_layers, channels, n_filter, gen)
    limit = weight_grad_limit(x0, top, n_filter)
    relu_limit = [weight_grad_limit(x0, top, n_filter, m) for m in relu_masks(x0, z_a)]
    rows = []
    for sigma_w in sigma_ws:
        for activation in ACTIVATIONS:
            g_a = weight_grads(x0, top, z_a, sigma_w, activation)
            g_b = weight_grads(x0, top, z_b, sigma_w, activation)
            for layer in range(n_layers):
                rows.append(
                    {
                        "sigma_w": float(sigma_w),
                        "activation": activation,
                        "layer": layer,
                        "rel_to_linear_limit": _rel(g_a[layer], limit),
                        "rel_to_relu_limit_a": _rel(g_a[layer], relu_limit[layer]),
                        "rel_between_draws": _rel(g_a[layer], g_b[layer]),
                        "grad_norm": float(g_a[layer].norm()),
                    }
                )
    return rows
