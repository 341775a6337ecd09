"""Random deep networks at initialisation, simulated in PyTorch (CPU, float64).

Convention of the sheets: ``h^l = W^l phi(h^{l-1}) + b^l`` with
``W^l_ij ~ N(0, sigma_w^2 / N)`` (or ``W^l = sigma_w O`` with ``O`` Haar orthogonal) and
``b^l_i ~ N(0, sigma_b^2)``, fresh weights in every layer. With dropout (keep probability
``rho``, Schoenholz et al. 2017) the post-activations are masked and rescaled,
``h^l = W^l (m^l * phi(h^{l-1}) / rho) + b^l``, ``m^l_i ~ Bernoulli(rho)``.

Measured per layer (``l = 0..L``, ``h^0`` the input):

* length ``q^l_a = (1/N) sum_i (h^l_{i,a})^2`` of every input ``a``;
* correlation ``c^l_ab = q^l_ab / sqrt(q^l_aa q^l_bb)``, ``q^l_ab = (1/N) h^l_a . h^l_b``;
* on request, the layer Jacobian ``J^l = dh^l/dh^{l-1} = W^l D^{l-1}``,
  ``D^{l-1} = diag(phi'(h^{l-1}))``, whose normalised trace
  ``(1/N) Tr(J^l J^l^T)`` estimates ``chi_1 = sigma_w^2 E[phi'(h)^2]`` at ``q*``,
  and the input-output Jacobian ``J = J^L ... J^1``;
* on request, gradients of ``E = 1/2 sum_a |h^L_a - y_a|^2`` with respect to every
  ``W^l`` (autograd).

All randomness comes from an explicit seeded :class:`torch.Generator` (the tables seed
each net from a named stream of :mod:`dltheory.seeds`), so a run is reproducible to the
bit. A length that overflows float64 (e.g. ReLU with ``sigma_w^2 > 2`` many layers deep)
is reported as ``q = inf`` with ``overflow = True`` from that layer on; the propagation
stops there instead of producing NaNs. The fits of the tables are in
:mod:`dltheory.network_fits` (re-exported here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from . import activations, isometry, meanfield, seeds
from .network_fits import (
    circle_setting,
    empirical_fixed_point,
    fit_decay_length,
    fitted_depth_scales,
    iterate_map,
    length_growth,
    map_depth_scale,
    price_bound,
    regime_settings,
)

__all__ = [
    "DTYPE",
    "WEIGHTS",
    "Propagation",
    "circle_setting",
    "correlation_table",
    "dw_table",
    "empirical_fixed_point",
    "fit_decay_length",
    "fitted_depth_scales",
    "gaussian_draws",
    "generator",
    "gradient_table",
    "input_circle",
    "input_pair",
    "input_with_length",
    "iterate_map",
    "jacobian_spectrum_table",
    "layer_gradients",
    "length_growth",
    "lengths_table",
    "map_depth_scale",
    "one_layer_q_map",
    "orthogonal",
    "price_bound",
    "propagate",
    "propagate_lengths",
    "random_layer",
    "regime_settings",
    "torch_activation",
    "torch_derivative",
    "trajectory_length",
    "trajectory_table",
]

DTYPE = torch.float64

WEIGHTS = ("gaussian", "orthogonal")


def torch_activation(name):
    """The torch version of an activation (a name or an Activation): its ``torch_phi``."""
    act = activations.get(name)
    if act.torch_phi is None:
        allowed = [n for n in activations.names() if activations.get(n).torch_phi is not None]
        raise ValueError(
            f"activation {act.name!r} has no torch implementation; allowed: {', '.join(allowed)}"
        )
    return act.torch_phi


def torch_derivative(name):
    """phi' of an activation (a name or an Activation), in torch: its ``torch_dphi``."""
    act = activations.get(name)
    torch_activation(act)
    if act.torch_dphi is None:
        raise ValueError(f"activation {act.name!r} has no torch derivative")
    return act.torch_dphi


def generator(seed: int) -> torch.Generator:
    if int(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return torch.Generator().manual_seed(int(seed))


def _check(sigma_w, sigma_b, width, depth=1, weights="gaussian", keep_prob=1.0):
    if not sigma_w > 0:
        raise ValueError(f"sigma_w must be > 0, got {sigma_w}")
    if not sigma_b >= 0:
        raise ValueError(f"sigma_b must be >= 0, got {sigma_b}")
    if int(width) < 1:
        raise ValueError(f"width must be a positive integer, got {width}")
    if int(depth) < 1:
        raise ValueError(f"depth must be a positive integer, got {depth}")
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {', '.join(WEIGHTS)}, got {weights!r}")
    if not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob}")


def input_with_length(q: float | np.ndarray, width: int, gen: torch.Generator) -> torch.Tensor:
    """Inputs h of shape (len(q), width) with (1/N) sum_i h_i^2 = q exactly, random direction."""
    q = torch.as_tensor(np.atleast_1d(q), dtype=DTYPE)
    z = torch.randn(q.shape[0], width, generator=gen, dtype=DTYPE)
    z = z / z.norm(dim=1, keepdim=True) * np.sqrt(width)
    return z * q.sqrt()[:, None]


def input_pair(q: float, c: float, width: int, gen: torch.Generator) -> torch.Tensor:
    """Two inputs (2, width), both of length q exactly, with correlation c exactly."""
    if not -1 <= c <= 1:
        raise ValueError(f"correlation c must be in [-1, 1], got {c}")
    z = torch.randn(2, width, generator=gen, dtype=DTYPE)
    u = z[0] / z[0].norm()
    v = z[1] - (z[1] @ u) * u
    v = v / v.norm()
    scale = math.sqrt(q * width)
    return scale * torch.stack([u, c * u + math.sqrt(1.0 - c * c) * v])


def input_circle(q: float, n_points: int, width: int, gen: torch.Generator) -> torch.Tensor:
    """A great circle of inputs h(theta) = sqrt(N q) (u cos theta + v sin theta), (M, width)."""
    pair = input_pair(q, 0.0, width, gen)
    theta = torch.linspace(0, 2 * math.pi, n_points + 1, dtype=DTYPE)[:-1]
    return torch.cos(theta)[:, None] * pair[0] + torch.sin(theta)[:, None] * pair[1]


def gaussian_draws(*shape: int, gen: torch.Generator) -> torch.Tensor:
    """Standard normals of ``shape`` in :data:`DTYPE`, drawn in float32.

    torch draws float32 normals about 6x faster than float64 ones, and the weight draws
    are most of a simulation's time. Each value is a normal rounded to float32 (relative
    error below 6e-8), which moves any statistic of the networks by that relative amount,
    far below its standard error over networks; the arithmetic stays in float64.
    """
    return torch.randn(*shape, generator=gen, dtype=torch.float32).to(DTYPE)


def orthogonal(n: int, gen: torch.Generator) -> torch.Tensor:
    """Haar-distributed n x n orthogonal matrix (QR of a Gaussian with the sign fix)."""
    a = gaussian_draws(n, n, gen=gen)
    q, r = torch.linalg.qr(a)
    return q * torch.sign(torch.diagonal(r))[None, :]


def random_layer(
    width_in: int,
    width_out: int,
    sigma_w: float,
    sigma_b: float,
    gen: torch.Generator,
    weights: str = "gaussian",
):
    """Weights (width_out x width_in, variance sigma_w^2/width_in) and biases.

    ``weights="orthogonal"`` gives ``sigma_w O`` with ``O`` Haar orthogonal (square only),
    so that ``W W^T = sigma_w^2 I``; entries then have variance ``sigma_w^2 / N`` as well.
    """
    if weights == "orthogonal":
        if width_in != width_out:
            raise ValueError("orthogonal weights need width_in == width_out")
        w = orthogonal(width_in, gen) * sigma_w
    elif weights == "gaussian":
        w = gaussian_draws(width_out, width_in, gen=gen) * (sigma_w / np.sqrt(width_in))
    else:
        raise ValueError(f"weights must be one of {', '.join(WEIGHTS)}, got {weights!r}")
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


@dataclass
class Propagation:
    """What :func:`propagate` measured; arrays are indexed by layer l = 0..L first.

    ``q``: (L+1, B) lengths; ``c``: (L+1, B, B) correlations (NaN where undefined;
    ``None`` when :func:`propagate` ran with ``correlations=False``);
    ``overflow``: (L+1,) True from the first layer whose activity is not finite;
    ``chi_trace``: (L+1,) ``(1/N) Tr(J^l J^l^T)`` (NaN at l = 0 or when not requested);
    ``layer_jacobians``: list of the ``J^l`` of input 0 (l = 1..L) when requested;
    ``jacobian``: the input-output Jacobian of input 0 when requested.
    """

    q: np.ndarray
    c: np.ndarray | None
    overflow: np.ndarray
    chi_trace: np.ndarray
    layer_jacobians: list | None = None
    jacobian: torch.Tensor | None = None


def _lengths_and_correlations(h: torch.Tensor):
    n = h.shape[1]
    gram = h @ h.T / n
    q = torch.diagonal(gram).clone()
    c = gram / torch.sqrt(q[:, None] * q[None, :])
    return q.numpy(), c.numpy()


def _lengths_only(h: torch.Tensor):
    return (torch.linalg.vector_norm(h, dim=1) ** 2 / h.shape[1]).numpy(), None


def propagate(
    x: torch.Tensor,
    depth: int,
    sigma_w: float,
    sigma_b: float,
    activation: str,
    gen: torch.Generator,
    *,
    weights: str = "gaussian",
    keep_prob: float = 1.0,
    layer_jacobians: bool = False,
    trace: bool = False,
    jacobian: bool = False,
    correlations: bool = True,
) -> Propagation:
    """Send the inputs ``x`` (B, N) through ``depth`` fresh random layers of width N.

    ``trace`` records ``(1/N) Tr(J^l J^l^T) = (1/N) sum_ij (W^l_ij)^2 phi'(h^{l-1}_j)^2``
    for input 0 (no matrix product needed); ``layer_jacobians`` keeps every
    ``J^l = W^l diag(phi'(h^{l-1}))`` of input 0; ``jacobian`` accumulates the
    input-output Jacobian of input 0 (``J^1`` takes ``h^0`` through ``phi`` as well, so
    the first layer is treated like every other: ``J = prod_l W^l D^{l-1}``).
    ``correlations=False`` skips the B x B Gram matrices (``c`` is ``None``), which cost as
    much as the propagation itself when the batch is as large as the width.
    """
    width = x.shape[1]
    _check(sigma_w, sigma_b, width, depth, weights, keep_prob)
    phi = torch_activation(activation)
    dphi = torch_derivative(activation)
    n_in = x.shape[0]
    q = np.full((depth + 1, n_in), np.inf)
    c = np.full((depth + 1, n_in, n_in), np.nan) if correlations else None
    overflow = np.zeros(depth + 1, dtype=bool)
    chi = np.full(depth + 1, np.nan)
    jac_list = [] if layer_jacobians else None
    jac = None
    measure = _lengths_and_correlations if correlations else _lengths_only
    h = x.to(DTYPE)
    q[0], c_0 = measure(h)
    if correlations:
        c[0] = c_0
    for layer in range(1, depth + 1):
        w, b = random_layer(width, width, sigma_w, sigma_b, gen, weights)
        a = phi(h)
        if keep_prob < 1.0:
            mask = torch.rand(a.shape, generator=gen, dtype=DTYPE) < keep_prob
            a = a * mask / keep_prob
        if trace or layer_jacobians or jacobian:
            d = dphi(h[0])
            if trace:
                chi[layer] = float(((w**2) @ (d**2)).sum() / width)
            if layer_jacobians or jacobian:
                j_l = w * d[None, :]
                if layer_jacobians:
                    jac_list.append(j_l)
                if jacobian:
                    jac = j_l if jac is None else j_l @ jac
        h = torch.matmul(a, w.T)
        h.add_(b)
        q_l, c_l = measure(h)
        # an overflow anywhere in h makes its q infinite or NaN: checking q is enough
        if not np.all(np.isfinite(q_l)):
            overflow[layer:] = True
            break
        q[layer] = q_l
        if correlations:
            c[layer] = c_l
    return Propagation(q, c, overflow, chi, jac_list, jac)


def layer_gradients(
    x: torch.Tensor,
    y: torch.Tensor,
    depth: int,
    sigma_w: float,
    sigma_b: float,
    activation: str,
    gen: torch.Generator,
    *,
    weights: str = "gaussian",
):
    """Gradients of ``E = 1/2 sum_a |h^L_a - y_a|^2`` with respect to every ``W^l``.

    Returns ``(grads, h_grads)``: the list of ``dE/dW^l`` (l = 1..L, each N x N) and of
    ``dE/dh^l`` (l = 1..L, each B x N), by autograd in float64.
    """
    width = x.shape[1]
    _check(sigma_w, sigma_b, width, depth, weights)
    phi = torch_activation(activation)
    params, hidden = [], []
    h = x.to(DTYPE)
    for _ in range(depth):
        w, b = random_layer(width, width, sigma_w, sigma_b, gen, weights)
        w.requires_grad_(True)
        params.append(w)
        h = phi(h) @ w.T + b
        h.retain_grad()
        hidden.append(h)
    loss = 0.5 * ((h - y.to(DTYPE)) ** 2).sum()
    loss.backward()
    return [w.grad.detach() for w in params], [t.grad.detach() for t in hidden]


def trajectory_length(h: torch.Tensor) -> float:
    """Length of the closed polygon through the rows of ``h`` (a sampled closed curve)."""
    return float((torch.roll(h, -1, dims=0) - h).norm(dim=1).sum())


def propagate_lengths(
    x: torch.Tensor,
    depth: int,
    sigma_w: float,
    sigma_b: float,
    activation: str,
    gen: torch.Generator,
) -> np.ndarray:
    """Trajectory length of the closed curve ``x`` (M, N) after every layer, (L+1,)."""
    width = x.shape[1]
    _check(sigma_w, sigma_b, width, depth)
    phi = torch_activation(activation)
    out = np.empty(depth + 1)
    h = x.to(DTYPE)
    out[0] = trajectory_length(h)
    for layer in range(1, depth + 1):
        w, b = random_layer(width, width, sigma_w, sigma_b, gen)
        h = torch.addmm(b, phi(h), w.T)
        out[layer] = trajectory_length(h)
    return out


# --------------------------------------------------------------------------- sweeps
# Tidy tables: one row per seed x setting x layer (x input), for the workflow. Net ``rep``
# of a setting draws from the stream ``seeds.derive(base_seed, <setting keys>, "net", rep)``
# (:mod:`dltheory.seeds`); that seed is its ``seed`` column.


def lengths_table(
    widths,
    depth: int,
    q0,
    sigma_w,
    sigma_b: float,
    activation: str,
    n_seeds: int,
    base_seed: int,
    weights: str = "gaussian",
    log=None,
) -> pd.DataFrame:
    """q^l of the inputs of lengths ``q0`` through one net per (width, sigma_w, seed).

    Columns: width, sigma_w, sigma_b, seed, layer, input, q0, q, overflow.
    """
    rows = []
    for i_w, width in enumerate(np.atleast_1d(widths)):
        for i_s, sw in enumerate(np.atleast_1d(sigma_w)):
            for rep in range(int(n_seeds)):
                seed = seeds.derive(base_seed, "width", i_w, "sigma_w", i_s, "net", rep)
                gen = generator(seed)
                x = input_with_length(q0, int(width), gen)
                p = propagate(x, depth, float(sw), sigma_b, activation, gen, weights=weights)
                layer, inp = np.meshgrid(np.arange(depth + 1), np.arange(len(q0)), indexing="ij")
                rows.append(
                    pd.DataFrame(
                        {
                            "width": int(width),
                            "sigma_w": float(sw),
                            "sigma_b": float(sigma_b),
                            "seed": seed,
                            "layer": layer.ravel(),
                            "input": inp.ravel(),
                            "q0": np.asarray(q0, float)[inp.ravel()],
                            "q": p.q.ravel(),
                            "overflow": np.repeat(p.overflow, len(q0)),
                        }
                    )
                )
            if log:
                log.info("width %d, sigma_w %g: %d nets of depth %d", width, sw, n_seeds, depth)
    return pd.concat(rows, ignore_index=True)


def jacobian_spectrum_table(
    activations_,
    weights_,
    depths,
    width: int,
    n_seeds: int,
    base_seed: int,
    q_star: float = 1.0,
    log=None,
) -> pd.DataFrame:
    """Singular values of the input-output Jacobian on the critical line at fixed point q*.

    (sigma_w, sigma_b) from :func:`dltheory.isometry.critical_point`; one input of length
    q* through a net of each depth; columns: activation, weights, depth, seed, index,
    singular_value.
    """

    rows = []
    for i_a, act in enumerate(activations_):
        point = isometry.critical_point(act, q_star)
        sw, sb = point.sigma_w, point.sigma_b
        for i_w, wts in enumerate(weights_):
            for depth in depths:
                for rep in range(int(n_seeds)):
                    keys = ("activation", i_a, "weights", i_w, "depth", int(depth), "net", rep)
                    seed = seeds.derive(base_seed, *keys)
                    gen = generator(seed)
                    x = input_with_length([q_star], int(width), gen)
                    p = propagate(x, int(depth), sw, sb, act, gen, weights=wts, jacobian=True)
                    sv = torch.linalg.svdvals(p.jacobian).numpy()
                    rows.append(
                        pd.DataFrame(
                            {
                                "activation": act,
                                "weights": wts,
                                "depth": int(depth),
                                "seed": seed,
                                "index": np.arange(sv.size),
                                "singular_value": sv,
                            }
                        )
                    )
                if log:
                    log.info("%s %s depth %d: %d Jacobians", act, wts, depth, n_seeds)
    return pd.concat(rows, ignore_index=True)


def trajectory_table(
    activation: str,
    sigma_w,
    sigma_b: float,
    width: int,
    depth: int,
    n_points: int,
    q0: float,
    n_seeds: int,
    base_seed: int,
    log=None,
) -> pd.DataFrame:
    """Length of a great circle of ``n_points`` inputs after every layer.

    The circle's points have length q0 (homogeneous activations, run at sigma_b = 0) or
    the fixed point q*(sigma_w, sigma_b) (any other activation), see :func:`circle_setting`.
    Columns: activation, sigma_w, sigma_b, q0, seed, layer, length, ratio (length / input
    length).
    """
    rows = []
    for i_s, sw in enumerate(np.atleast_1d(sigma_w)):
        sb, q_in = circle_setting(activation, float(sw), sigma_b, q0)
        for rep in range(int(n_seeds)):
            seed = seeds.derive(base_seed, "setting", i_s, "net", rep)
            gen = generator(seed)
            x = input_circle(q_in, int(n_points), int(width), gen)
            lengths = propagate_lengths(x, int(depth), float(sw), sb, activation, gen)
            rows.append(
                pd.DataFrame(
                    {
                        "activation": activation,
                        "sigma_w": float(sw),
                        "sigma_b": sb,
                        "q0": q_in,
                        "seed": seed,
                        "layer": np.arange(depth + 1),
                        "length": lengths,
                        "ratio": lengths / lengths[0],
                    }
                )
            )
        if log:
            log.info(
                "%s sigma_w %g sigma_b %g q0 %.6g: %d circles through depth %d",
                activation,
                sw,
                sb,
                q_in,
                n_seeds,
                depth,
            )
    return pd.concat(rows, ignore_index=True)


def correlation_table(
    activation: str,
    settings,
    c0,
    width: int,
    depth: int,
    n_seeds: int,
    base_seed: int,
    q0=None,
    keep_prob: float = 1.0,
    log=None,
) -> pd.DataFrame:
    """Correlation c^l of input pairs (length q0, correlation c0) through one net per seed.

    ``settings``: iterable of (sigma_w, sigma_b); ``q0`` defaults to q* of each setting
    (:func:`dltheory.meanfield.q_star`, with ``rho = keep_prob``), as in Poole et al.
    Fig. 2B. Dropout masks are independent for every input. Every pair goes
    through the same net of one seed. Columns: sigma_w, sigma_b, keep_prob, width, seed, layer,
    c0, c, q_a, q_b, overflow.
    """

    c0 = np.atleast_1d(np.asarray(c0, dtype=float))
    rows = []
    for i_s, (sw, sb) in enumerate(settings):
        # with dropout the fixed point is that of the dropout length map (keep prob rho)
        kw = {} if keep_prob == 1.0 else {"rho": keep_prob}
        q_in = float(meanfield.q_star(sw, sb, activation, **kw)) if q0 is None else float(q0)
        for rep in range(int(n_seeds)):
            seed = seeds.derive(base_seed, "setting", i_s, "net", rep)
            gen = generator(seed)
            x = torch.cat([input_pair(q_in, float(c), int(width), gen) for c in c0])
            p = propagate(x, int(depth), float(sw), float(sb), activation, gen, keep_prob=keep_prob)
            a, b = np.arange(0, 2 * c0.size, 2), np.arange(1, 2 * c0.size, 2)
            layer, k = np.meshgrid(np.arange(depth + 1), np.arange(c0.size), indexing="ij")
            rows.append(
                pd.DataFrame(
                    {
                        "sigma_w": float(sw),
                        "sigma_b": float(sb),
                        "keep_prob": float(keep_prob),
                        "width": int(width),
                        "seed": seed,
                        "layer": layer.ravel(),
                        "c0": c0[k.ravel()],
                        "c": p.c[:, a, b].ravel(),
                        "q_a": p.q[:, a].ravel(),
                        "q_b": p.q[:, b].ravel(),
                        "overflow": np.repeat(p.overflow, c0.size),
                    }
                )
            )
        if log:
            log.info("sigma_w %g sigma_b %g: %d nets of depth %d", sw, sb, n_seeds, depth)
    return pd.concat(rows, ignore_index=True)


def gradient_table(
    activation: str,
    settings,
    width: int,
    depth: int,
    batch: int,
    n_seeds: int,
    base_seed: int,
    n_sample: int = 2000,
    log=None,
):
    """Per-layer gradient norms and a sample of gradient entries, one net per seed.

    Inputs of length q* (of each (sigma_w, sigma_b) in ``settings``), Gaussian targets of
    unit variance, loss ``E = 1/2 sum |h^L - y|^2``. Returns ``(norms, samples)``:
    ``norms`` has columns sigma_w, sigma_b, seed, layer, grad_w_sq (|dE/dW^l|_F^2) and
    grad_h_sq (|dE/dh^l|^2 / B); ``samples`` has sigma_w, sigma_b, seed, layer, value
    (``n_sample`` entries of dE/dW^l drawn without replacement with the same generator).
    """

    norms, samples = [], []
    for i_s, (sw, sb) in enumerate(settings):
        q_in = float(meanfield.q_star(sw, sb, activation))
        for rep in range(int(n_seeds)):
            seed = seeds.derive(base_seed, "setting", i_s, "net", rep)
            gen = generator(seed)
            x = input_with_length(np.full(int(batch), q_in), int(width), gen)
            y = torch.randn(int(batch), int(width), generator=gen, dtype=DTYPE)
            grads, h_grads = layer_gradients(
                x, y, int(depth), float(sw), float(sb), activation, gen
            )
            layers = np.arange(1, depth + 1)
            norms.append(
                pd.DataFrame(
                    {
                        "sigma_w": float(sw),
                        "sigma_b": float(sb),
                        "seed": seed,
                        "layer": layers,
                        "grad_w_sq": [float((g**2).sum()) for g in grads],
                        "grad_h_sq": [float((g**2).sum()) / batch for g in h_grads],
                    }
                )
            )
            k = min(int(n_sample), width * width)
            for layer, g in zip(layers, grads, strict=True):
                idx = torch.randperm(width * width, generator=gen)[:k]
                samples.append(
                    pd.DataFrame(
                        {
                            "sigma_w": float(sw),
                            "sigma_b": float(sb),
                            "seed": seed,
                            "layer": int(layer),
                            "value": g.reshape(-1)[idx].numpy(),
                        }
                    )
                )
        if log:
            log.info("sigma_w %g sigma_b %g: gradients of %d nets", sw, sb, n_seeds)
    return pd.concat(norms, ignore_index=True), pd.concat(samples, ignore_index=True)


def dw_table(
    activation: str, settings, width: int, depth: int, n_seeds: int, base_seed: int, log=None
):
    """(1/N) Tr((DW)^T DW) per layer and the singular values of DW at the last layer.

    One input of length q* per (sigma_w, sigma_b), one net per seed. Returns
    ``(traces, singular_values)``: columns sigma_w, sigma_b, seed, layer, trace and
    sigma_w, sigma_b, seed, index, singular_value.
    """

    traces, svs = [], []
    for i_s, (sw, sb) in enumerate(settings):
        q_in = float(meanfield.q_star(sw, sb, activation))
        for rep in range(int(n_seeds)):
            seed = seeds.derive(base_seed, "setting", i_s, "net", rep)
            gen = generator(seed)
            x = input_with_length([q_in], int(width), gen)
            p = propagate(
                x,
                int(depth),
                float(sw),
                float(sb),
                activation,
                gen,
                trace=True,
                layer_jacobians=True,
            )
            traces.append(
                pd.DataFrame(
                    {
                        "sigma_w": float(sw),
                        "sigma_b": float(sb),
                        "seed": seed,
                        "layer": np.arange(1, depth + 1),
                        "trace": p.chi_trace[1:],
                    }
                )
            )
            sv = torch.linalg.svdvals(p.layer_jacobians[-1]).numpy()
            svs.append(
                pd.DataFrame(
                    {
                        "sigma_w": float(sw),
                        "sigma_b": float(sb),
                        "seed": seed,
                        "index": np.arange(sv.size),
                        "singular_value": sv,
                    }
                )
            )
        if log:
            log.info("sigma_w %g sigma_b %g: DW of %d nets", sw, sb, n_seeds)
    return pd.concat(traces, ignore_index=True), pd.concat(svs, ignore_index=True)
