r"""Covariance of the back-propagated gradients of two inputs (Schoenholz et al. 2017, Sec. 4).

Network and notation as in :mod:`dltheory.networks`: ``h^l = W^l phi(h^{l-1}) + b^l``,
l = 1..L, ``W^l_ij ~ N(0, sigma_w^2 / N)``, ``b^l_i ~ N(0, sigma_b^2)``, equal widths N,
``h^0`` the input. For a loss E the error ``delta^l = dE/dh^l`` obeys

    delta^L = dE/dh^L,        delta^l = phi'(h^l) * (W^{l+1})^T delta^{l+1}   (l = L-1..0)

(``*`` elementwise), and ``dE/dW^l = delta^l phi(h^{l-1})^T``. For two inputs a and b the
gradient covariance and lengths per unit are

    qt^l_ab = (1/N) delta^l_a . delta^l_b,      qt^l_aa = (1/N) |delta^l_a|^2.

**The recursion implemented** (:func:`covariance_layers`). Treat the weights of the
backward pass as independent of those of the forward pass (the gradient-independence
approximation of Schoenholz et al.; exact for the top layer, whose error does not depend on
``W^L`` here, and an approximation below it, because ``phi'(h^l)`` and ``W^{l+1}`` both
enter ``delta^l`` and ``h^{l+1} = W^{l+1} phi(h^l) + b``). Then, coordinate j of
``delta^l_a delta^l_b`` averages to

    E[phi'(h^l_ja) phi'(h^l_jb)] sum_ik E[W_ij W_kj] delta^{l+1}_ia delta^{l+1}_kb
        = E[phi'(u_a) phi'(u_b)] (sigma_w^2 / N) delta^{l+1}_a . delta^{l+1}_b,

so that, layer by layer,

    qt^l_ab = chi_ab(c^l) qt^{l+1}_ab,     chi_ab(c) = sigma_w^2 E[phi'(u_a) phi'(u_b)],

with ``(u_a, u_b)`` centred Gaussian, variances q^l_aa, q^l_bb and correlation ``c^l``:
the *forward* kernel of layer l, not only its fixed point. Here both inputs sit at the
fixed point q* (``q^l = q*`` for every l) and ``c^l`` is the C-map iterated from the
input correlation ``c^0`` (:func:`dltheory.meanfield.c_map`), so
``chi_ab(c) = chi_c(c) V(q*) / q*`` with :func:`dltheory.meanfield.chi_c` (``V(q*) = q*``
to rounding). At ``c = 1`` the factor is ``chi_1``, hence ``qt^l_aa = chi_1^{L-l} qt^L_aa``
(the length recursion, depth scale ``xi_grad = -1/log chi_1``), and the gradient
correlation is ``ct^l = qt^l_ab / sqrt(qt^l_aa qt^l_bb) = prod_{k=l}^{L-1} chi_ab(c^k) /
chi_1``. Once ``c^k`` has reached ``c*`` the factor is ``chi_c(c*)``, the slope of the
C-map at its fixed point, and ``qt^l_ab ~ exp(-(L-l)/xi_c)``, ``xi_c = -1/log chi_c(c*)``:
the covariance hypothesis. In the ordered phase c* = 1 and xi_c = xi_grad; in the chaotic
phase ``chi_c(c*) < 1 < chi_1``: the covariance decays on xi_c while the lengths grow.

**The top error.** Both inputs receive the same error vector ``e`` (``delta^L_a =
delta^L_b = e``, drawn uniformly on the sphere of radius sqrt(N), independent of the
network): the gradient of the linear loss ``E = e . h^L``. So ``qt^L_ab = qt^L_aa = 1``
exactly and all that happens below is back-propagation. ``n_errors`` independent vectors
per network are back-propagated through the same weights and their qt averaged.

**The simulation** (:func:`simulate`) forward-propagates the pair through a random net
and back-propagates the errors through the same weights, in one of two samplers that
draw the same joint law:

* ``"weights"``: explicit ``W^l`` (as :func:`dltheory.networks.random_layer`), each layer
  drawn from its own seeded stream in the forward pass and drawn again from that stream
  in the backward pass (O(N^2) numbers per layer, no weights stored);
* ``"conditional"``: the backward pass only needs ``W^T Delta`` for the errors
  ``Delta`` (N x 2K), and the forward pass only ``Y = W X`` for ``X = phi(h^{l-1})``
  (N x 2). Given ``Y``, W is Gaussian: ``W = Y X^+ + W~ P``, ``X^+ = (X^T X)^+ X^T``,
  ``P = I - X X^+``, W~ independent with the same law, so
  ``W^T Delta = X (X^T X)^+ Y^T Delta + P W~^T Delta`` where the rows of ``W~^T Delta``
  are i.i.d. ``N(0, (sigma_w^2/N) Delta^T Delta)``. Forward rows ``Y_i ~ N(0,
  (sigma_w^2/N) X^T X)``. Errors depend on ``W^l`` only through ``Y^l`` (both inputs'
  pre-activations), so this is the exact law of the network's gradients, with the
  forward-backward correlation that the independence approximation drops (the first
  term), in O(N K^2) per layer.

All randomness comes from :mod:`dltheory.seeds` streams named by the caller's seed.

The simulation functions import torch and :mod:`dltheory.networks` where they run, so the
theory and the fits load without torch (a theory or plotting job starts about 1.7 s sooner).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import activations, meanfield, seeds

__all__ = [
    "SAMPLERS",
    "covariance_factor",
    "covariance_layers",
    "fit_depth_scale",
    "fit_table",
    "resolve_sigma_w2",
    "settings",
    "simulate",
    "simulation_table",
    "summarise",
    "theory_table",
]

SAMPLERS = ("conditional", "weights")
#: networks drawn together by the conditional sampler (one seeded stream per block)
BLOCK = 32


# ----------------------------------------------------------------------------- theory


def resolve_sigma_w2(value, sigma_b: float, activation="tanh") -> float:
    """sigma_w^2 of a config entry: a number, or ``"critical"`` (chi_1 = 1 at sigma_b)."""
    if value == "critical":
        return float(meanfield.critical_sigma_w(sigma_b, activation)) ** 2
    value = float(value)
    if not value > 0:
        raise ValueError(f"sigma_w^2 must be > 0 or 'critical', got {value}")
    return value


def covariance_factor(c, sigma_w, sigma_b, activation="tanh", q=None):
    """``chi_ab(c) = sigma_w^2 E[phi'(u_a) phi'(u_b)]``, u_a, u_b ~ N(0, q), correlation c.

    At length ``q`` (default q*): ``chi_c(c) V(q) / q`` (:func:`dltheory.meanfield.chi_c`
    is ``sigma_w^2 q E[phi' phi'] / V(q)``); chi_1 at c = 1. Broadcasts over ``c``.
    """
    act = activations.get(activation)
    q = float(meanfield.q_star(sigma_w, sigma_b, act)) if q is None else float(q)
    if not (q > 0 and math.isfinite(q)):
        raise ValueError(f"the length q must be > 0 and finite, got {q}")
    v = float(meanfield.q_map(q, sigma_w, sigma_b, act))
    return np.asarray(meanfield.chi_c(c, sigma_w, sigma_b, act, q=q)) * (v / q)


def covariance_layers(depth: int, c0: float, sigma_w, sigma_b, activation="tanh"):
    """The layer-by-layer recursion (module docstring) for two inputs at q*, as a dict.

    Arrays indexed by layer l = 0..L: ``c`` (forward correlation, C-map from ``c0``),
    ``factor`` (chi_ab(c^l); the last entry, at l = L, is not used), ``qt_ab``
    (prod_{k=l}^{L-1} chi_ab(c^k), 1 at l = L), ``qt_aa`` (chi_1^{L-l}), ``corr``
    (qt_ab / qt_aa) and ``qt_ab_fixed_point`` (chi_c(c*)^{L-l}, the fixed-point limit);
    scalars q_star, c_star, chi1, chi_c_star, xi_c, xi_grad.
    """
    depth = int(depth)
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    if not -1.0 <= c0 <= 1.0:
        raise ValueError(f"c0 must lie in [-1, 1], got {c0}")
    act = activations.get(activation)
    scales = meanfield.depth_scales(sigma_w, sigma_b, act)
    q = float(scales["q_star"])
    if not (q > 0 and math.isfinite(q)):
        raise ValueError(
            f"q* = {q} at sigma_w = {sigma_w}, sigma_b = {sigma_b} ({act.name}): the inputs "
            "need a finite, positive fixed point"
        )
    c = np.empty(depth + 1)
    c[0] = c0
    for layer in range(depth):
        c[layer + 1] = float(meanfield.c_map(c[layer], sigma_w, sigma_b, act, q=q))
    factor = covariance_factor(c, sigma_w, sigma_b, act, q=q)
    qt_ab = np.ones(depth + 1)
    for layer in range(depth - 1, -1, -1):
        qt_ab[layer] = qt_ab[layer + 1] * factor[layer]
    chi1 = float(scales["chi1"])
    from_top = depth - np.arange(depth + 1)
    chi_c_star = float(scales["chi_c"])
    return {
        "layer": np.arange(depth + 1),
        "from_top": from_top,
        "c": c,
        "factor": factor,
        "qt_ab": qt_ab,
        "qt_aa": chi1**from_top,
        "corr": qt_ab / chi1**from_top,
        "qt_ab_fixed_point": chi_c_star**from_top,
        "q_star": q,
        "c_star": float(scales["c_star"]),
        "chi1": chi1,
        "chi_c_star": chi_c_star,
        "xi_c": float(scales["xi_c"]),
        "xi_grad": float(scales["xi_grad"]),
    }


def settings(cfg) -> list[dict]:
    """The simulated settings of a ``geometry.gradient_covariance`` slice, in a fixed order.

    First panel ``regimes`` (every sigma_w^2 of ``sigma_w2`` at every width of
    ``widths``), then panel ``sweep`` (every sigma_w^2 of ``sweep.sigma_w2`` at
    ``sweep.width``). Keys: panel, index (position in its panel's sigma_w^2 list),
    sigma_w2, sigma_w, sigma_b, width, depth, n_nets.
    """
    sb = math.sqrt(float(cfg["sigma_b2"]))
    act = cfg["activation"]
    out = []
    for i, value in enumerate(cfg["sigma_w2"]):
        sw2 = resolve_sigma_w2(value, sb, act)
        for width in cfg["widths"]:
            out.append({"panel": "regimes", "index": i, "sigma_w2": sw2, "width": int(width),
                        "depth": int(cfg["depth"]), "n_nets": int(cfg["n_nets"])})  # fmt: skip
    sweep = cfg["sweep"]
    for i, value in enumerate(sweep["sigma_w2"]):
        sw2 = resolve_sigma_w2(value, sb, act)
        out.append({"panel": "sweep", "index": i, "sigma_w2": sw2, "width": int(sweep["width"]),
                    "depth": int(sweep["depth"]), "n_nets": int(sweep["n_nets"])})  # fmt: skip
    for s in out:
        s.update(sigma_w=math.sqrt(s["sigma_w2"]), sigma_b=sb)
    return out


def theory_table(cfg) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(layers, scales): the recursion of every simulated sigma_w^2 (one depth per panel),
    and xi_c, xi_grad, c*, chi_1, chi_c(c*) on ``n_theory`` points of ``theory_range``."""
    sb = math.sqrt(float(cfg["sigma_b2"]))
    act = cfg["activation"]
    frames, seen = [], set()
    for s in settings(cfg):
        key = (s["panel"], s["index"])
        if key in seen:  # one row set per sigma_w^2 of a panel (widths share the theory)
            continue
        seen.add(key)
        th = covariance_layers(s["depth"], float(cfg["c0"]), s["sigma_w"], sb, act)
        frame = pd.DataFrame({k: v for k, v in th.items() if np.ndim(v) == 1})
        for k, v in th.items():
            if np.ndim(v) == 0:
                frame[k] = v
        frame.insert(0, "panel", s["panel"])
        frame.insert(1, "index", s["index"])
        frame.insert(2, "sigma_w2", s["sigma_w2"])
        frame.insert(3, "sigma_b", sb)
        frames.append(frame)
    lo, hi = cfg["theory_range"]
    sw2 = np.linspace(float(lo), float(hi), int(cfg["n_theory"]))
    scales = meanfield.depth_scales(np.sqrt(sw2), sb, act)
    grid = pd.DataFrame(
        {
            "sigma_w2": sw2,
            "sigma_b": sb,
            "q_star": scales["q_star"],
            "c_star": scales["c_star"],
            "chi1": scales["chi1"],
            "chi_c_star": scales["chi_c"],
            "xi_c": scales["xi_c"],
            "xi_grad": scales["xi_grad"],
        }
    )
    return pd.concat(frames, ignore_index=True), grid


# ------------------------------------------------------------------------- simulation


def _unit_errors(n_nets, width, n_errors, gen):
    """(n, N, K) error vectors, each uniform on the sphere of radius sqrt(N)."""
    import torch

    from . import networks

    e = torch.randn(n_nets, width, n_errors, generator=gen, dtype=networks.DTYPE)
    return e * (math.sqrt(width) / e.norm(dim=1, keepdim=True))


def _pairs(n_nets, q, c0, width, gen):
    """(n, N, 2): pairs of length q and correlation c0 exactly (networks.input_pair)."""
    import torch

    from . import networks

    return torch.stack([networks.input_pair(q, c0, width, gen).T for _ in range(n_nets)])


#: eigenvalues of a Gram matrix below this fraction of its largest count as zero
SINGULAR = 1e-12


def _gram_root(gram):
    """R (n, k, k) with R R^T = gram: Cholesky, or, where the matrix is singular to
    :data:`SINGULAR` (identical inputs, c0 = 1, give an exactly singular one that rounding
    makes barely positive, and its Cholesky factor a spurious 1e-8 part), ``V
    sqrt(Lambda)`` from the eigendecomposition with the eigenvalues below SINGULAR x the
    largest set to zero (a change of the covariance by at most that fraction)."""
    import torch

    root, info = torch.linalg.cholesky_ex(gram)
    pivot = torch.diagonal(root, dim1=-2, dim2=-1).square().amin(dim=-1)
    scale = torch.diagonal(gram, dim1=-2, dim2=-1).amax(dim=-1)
    bad = (info != 0) | (pivot <= SINGULAR * scale)
    if bool(bad.any()):
        lam, vec = torch.linalg.eigh(gram[bad])
        floor = SINGULAR * lam.amax(dim=-1, keepdim=True)
        lam = torch.where(lam > floor, lam, torch.zeros_like(lam))
        root[bad] = vec * lam.sqrt()[:, None, :]
    return root


def _measure(d, h, n_errors, width):
    """qt_aa, qt_bb, qt_ab (means over the K errors) and q_a, q_b, c of one layer, (n,)."""
    import torch

    da, db = d[..., :n_errors], d[..., n_errors:]
    qt = [(x * y).sum(dim=1).mean(dim=-1) / width for x, y in ((da, da), (db, db), (da, db))]
    qa, qb = (h[..., 0] ** 2).mean(dim=1), (h[..., 1] ** 2).mean(dim=1)
    c = (h[..., 0] * h[..., 1]).mean(dim=1) / torch.sqrt(qa * qb)
    return torch.stack([*qt, qa, qb, c], dim=-1)


def _backward_phi(dphi, h, g, n_errors):
    """delta^l = phi'(h^l) * g for the K errors of input a and the K of input b."""
    import torch

    d = dphi(h)  # (n, N, 2)
    return torch.cat([d[..., :1] * g[..., :n_errors], d[..., 1:] * g[..., n_errors:]], dim=-1)


def _run_conditional(h0, depth, sigma_w, sigma_b, phi, dphi, n_errors, gen):
    import torch

    n, width, _ = h0.shape
    s = sigma_w / math.sqrt(width)
    hs, ys = [h0], []
    for _ in range(depth):
        x = phi(hs[-1])
        root = _gram_root(x.transpose(1, 2) @ x)
        y = s * torch.randn(n, width, 2, generator=gen, dtype=h0.dtype) @ root.transpose(1, 2)
        b = sigma_b * torch.randn(n, width, 1, generator=gen, dtype=h0.dtype)
        ys.append(y)
        hs.append(y + b)
    e = _unit_errors(n, width, n_errors, gen)
    d = torch.cat([e, e], dim=-1)
    out = torch.empty(n, depth + 1, 6, dtype=h0.dtype)
    out[:, depth] = _measure(d, hs[depth], n_errors, width)
    for layer in range(depth, 0, -1):
        x, y = phi(hs[layer - 1]), ys[layer - 1]
        ginv = torch.linalg.pinv(x.transpose(1, 2) @ x, rtol=SINGULAR)  # (X^T X)^+
        mean = x @ (ginv @ (y.transpose(1, 2) @ d))
        root = _gram_root(d.transpose(1, 2) @ d)
        free = s * torch.randn(n, width, d.shape[-1], generator=gen, dtype=h0.dtype)
        free = free @ root.transpose(1, 2)
        free = free - x @ (ginv @ (x.transpose(1, 2) @ free))
        d = _backward_phi(dphi, hs[layer - 1], mean + free, n_errors)
        out[:, layer - 1] = _measure(d, hs[layer - 1], n_errors, width)
    return out


def _run_weights(h0, depth, sigma_w, sigma_b, act, n_errors, seed):
    """One net (h0 of shape (1, N, 2)); layer l's (W, b) from stream (seed, "layer", l)."""
    import torch

    from . import networks

    phi, dphi = networks.torch_activation(act), networks.torch_derivative(act)
    width = h0.shape[1]

    def layer_weights(layer):
        gen = networks.generator(seeds.derive(seed, "layer", layer))
        return networks.random_layer(width, width, sigma_w, sigma_b, gen)

    hs = [h0[0]]
    for layer in range(1, depth + 1):
        w, b = layer_weights(layer)
        hs.append(w @ phi(hs[-1]) + b[:, None])
    e = _unit_errors(1, width, n_errors, networks.generator(seeds.derive(seed, "errors")))[0]
    d = torch.cat([e, e], dim=-1)
    out = torch.empty(1, depth + 1, 6, dtype=h0.dtype)
    out[:, depth] = _measure(d[None], hs[depth][None], n_errors, width)
    for layer in range(depth, 0, -1):
        w, _ = layer_weights(layer)
        d = _backward_phi(dphi, hs[layer - 1][None], (w.T @ d)[None], n_errors)[0]
        out[:, layer - 1] = _measure(d[None], hs[layer - 1][None], n_errors, width)
    return out


def simulate(
    sigma_w: float,
    sigma_b: float,
    width: int,
    depth: int,
    c0: float,
    n_nets: int,
    seed: int,
    *,
    n_errors: int = 8,
    activation="tanh",
    sampler: str = "conditional",
) -> np.ndarray:
    """Gradients of a pair of inputs (length q*, correlation c0) through ``n_nets`` nets.

    Returns an array (n_nets, depth + 1, 6) over layers l = 0..L of qt_aa, qt_bb, qt_ab
    (each averaged over ``n_errors`` top errors back-propagated through the same net) and
    the forward q_a, q_b, c. ``sampler``: ``"conditional"`` (networks in blocks of
    :data:`BLOCK`, block j from stream ``(seed, "block", j)``) or ``"weights"`` (net i from
    stream ``(seed, "net", i)``); see the module docstring. Both give the same law.
    """
    import torch

    from . import networks

    networks._check(sigma_w, sigma_b, width, depth)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    if int(n_nets) < 1 or int(n_errors) < 1:
        raise ValueError(f"n_nets and n_errors must be >= 1, got {n_nets}, {n_errors}")
    act = activations.get(activation)
    phi, dphi = networks.torch_activation(act), networks.torch_derivative(act)
    q = float(meanfield.q_star(sigma_w, sigma_b, act))
    if not (q > 0 and math.isfinite(q)):
        raise ValueError(f"q* = {q}: the inputs need a finite, positive fixed point")
    width, depth, n_nets, n_errors = int(width), int(depth), int(n_nets), int(n_errors)
    parts = []
    if sampler == "conditional":
        for j, start in enumerate(range(0, n_nets, BLOCK)):
            gen = networks.generator(seeds.derive(seed, "block", j))
            h0 = _pairs(min(BLOCK, n_nets - start), q, c0, width, gen)
            parts.append(_run_conditional(h0, depth, sigma_w, sigma_b, phi, dphi, n_errors, gen))
    else:
        for i in range(n_nets):
            net_seed = seeds.derive(seed, "net", i)
            h0 = _pairs(1, q, c0, width, networks.generator(seeds.derive(net_seed, "input")))
            parts.append(_run_weights(h0, depth, sigma_w, sigma_b, act, n_errors, net_seed))
    return torch.cat(parts).numpy()


_COLUMNS = ("qt_aa", "qt_bb", "qt_ab", "q_a", "q_b", "c")


def simulation_table(cfg, indices, base_seed: int, log=None) -> pd.DataFrame:
    """Simulated gradients of the settings ``indices`` (positions in :func:`settings`).

    Setting k draws from the stream ``(base_seed, panel, "sigma_w2", index, "width", N)``,
    so a table does not depend on how the settings were split into jobs. Columns: panel,
    index, sigma_w2, sigma_b, width, net, layer, from_top, qt_aa, qt_bb, qt_ab, q_a, q_b, c.
    """
    every = settings(cfg)
    frames = []
    for k in indices:
        s = every[k]
        stream = (s["panel"], "sigma_w2", s["index"], "width", s["width"])
        out = simulate(
            s["sigma_w"],
            s["sigma_b"],
            s["width"],
            s["depth"],
            float(cfg["c0"]),
            s["n_nets"],
            seeds.derive(base_seed, *stream),
            n_errors=int(cfg["n_errors"]),
            activation=cfg["activation"],
            sampler=cfg["sampler"],
        )
        n, layers = out.shape[0], out.shape[1]
        net, layer = np.meshgrid(np.arange(n), np.arange(layers), indexing="ij")
        frame = pd.DataFrame(
            {
                "panel": s["panel"],
                "index": s["index"],
                "sigma_w2": s["sigma_w2"],
                "sigma_b": s["sigma_b"],
                "width": s["width"],
                "net": net.ravel(),
                "layer": layer.ravel(),
                "from_top": (layers - 1 - layer).ravel(),
            }
        )
        for i, name in enumerate(_COLUMNS):
            frame[name] = out[..., i].ravel()
        frames.append(frame)
        if log:
            log.info(
                "%s sigma_w^2 %.4f N %d: %d nets of depth %d",
                s["panel"], s["sigma_w2"], s["width"], n, s["depth"],
            )  # fmt: skip
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------- analysis


def summarise(sim: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard error over nets per (panel, index, sigma_w2, width, layer).

    Columns: ..., from_top, n_nets, qt_ab, qt_ab_se, qt_aa, qt_aa_se, corr, corr_se (the
    gradient correlation qt_ab / sqrt(qt_aa qt_bb) of each net, averaged), c, c_se.
    """
    sim = sim.assign(corr=sim["qt_ab"] / np.sqrt(sim["qt_aa"] * sim["qt_bb"]))
    keys = ["panel", "index", "sigma_w2", "width", "layer", "from_top"]
    g = sim.groupby(keys, sort=True)
    out = g.size().rename("n_nets").reset_index()
    for col in ("qt_ab", "qt_aa", "corr", "c"):
        mean, std = g[col].mean().to_numpy(), g[col].std(ddof=1).to_numpy()
        out[col] = mean
        out[f"{col}_se"] = std / np.sqrt(out["n_nets"].to_numpy())
    return out


def fit_depth_scale(from_top, mean, se=None, noise_factor: float = 3.0, max_from_top=None):
    """Depth scale xi of ``mean ~ exp(-(L-l)/xi)`` from a (weighted) log-linear fit.

    Uses the leading run of layers, from the top (L - l = 0) down, whose mean exceeds
    ``noise_factor`` standard errors (deeper points are lost in the finite-width noise)
    and ``L - l <= max_from_top``; log(mean) has standard error se / mean. Returns
    ``(xi, xi_se, last)``: ``xi = -1/slope`` (+inf for a slope >= 0), its standard error
    from the fit (se / slope^2) and the deepest L - l used; NaN with fewer than 3 points.
    """
    x = np.asarray(from_top, dtype=float)
    y = np.asarray(mean, dtype=float)
    order = np.argsort(x)
    x, y = x[order], y[order]
    se = None if se is None else np.asarray(se, dtype=float)[order]
    keep = np.isfinite(y) & (y > 0)
    if se is not None:
        keep &= (y > noise_factor * se) | (se == 0)
    if max_from_top is not None:
        keep &= x <= max_from_top
    n_run = int(np.argmin(keep)) if not keep.all() else keep.size
    if n_run < 3:
        return float("nan"), float("nan"), float("nan")
    x, ly = x[:n_run], np.log(y[:n_run])
    if se is None or np.all(se[:n_run] == 0):
        w = np.ones(n_run)
    else:
        rel = se[:n_run] / y[:n_run]
        floor = np.min(rel[rel > 0]) if np.any(rel > 0) else 1.0
        w = 1.0 / np.maximum(rel, floor)  # the exact top point gets the best weight seen
    coef, cov = np.polyfit(x, ly, 1, w=w, cov="unscaled")
    slope, slope_se = float(coef[0]), float(np.sqrt(cov[0, 0]))
    if se is None:
        slope_se = float("nan")
    xi = -1.0 / slope if slope < 0 else float("inf")
    return xi, slope_se / slope**2 if slope < 0 else float("nan"), float(x[-1])


#: groups of nets left out in turn for the jackknife standard error of a fitted xi
JACKKNIFE_GROUPS = 10


def _mean_se(sub: pd.DataFrame):
    """Mean and standard error over the nets of ``sub`` (one setting) of qt_ab per L - l."""
    g = sub.groupby("from_top", sort=True)["qt_ab"]
    return g.mean(), (g.std(ddof=1) / np.sqrt(g.count())).fillna(0.0)


def _fit_nets(sub: pd.DataFrame, noise_factor: float, max_from_top: int):
    """:func:`fit_depth_scale` of the mean qt_ab over the nets of ``sub`` (one setting)."""
    mean, se = _mean_se(sub)
    return fit_depth_scale(mean.index, mean, se, noise_factor, max_from_top)


def fit_table(sim: pd.DataFrame, layers: pd.DataFrame, cfg) -> pd.DataFrame:
    """Depth scales fitted to the simulated covariance qt_ab, per setting and width.

    Each simulated (panel, sigma_w^2, width): :func:`fit_depth_scale` of the mean qt_ab
    over nets (weighted, ``noise_factor`` and ``fit_layers`` of the config); its standard
    error by the delete-a-group jackknife over :data:`JACKKNIFE_GROUPS` groups of nets
    (the layers of one net are correlated, so the fit's own error would be too small),
    each group's fit over the layers the whole sample used. Beside it the same fit, with
    the same layers and weights, of the recursion (``xi_recursion``: what the fit gives at
    infinite width, transient of c^l included; the recursion is not exactly exponential,
    so the weights matter), xi_c and xi_grad.
    """
    nf, top = float(cfg["noise_factor"]), int(cfg["fit_layers"])
    rows = []
    for key, sub in sim.groupby(["panel", "index", "sigma_w2", "width"], sort=True):
        panel, index, sw2, width = key
        th = layers[(layers["panel"] == panel) & (layers["index"] == index)]
        xi, _, last = _fit_nets(sub, nf, top)
        xi_se = float("nan")
        n_nets = int(sub["net"].nunique())
        if np.isfinite(last) and n_nets >= 2 * JACKKNIFE_GROUPS:
            group = sub["net"] % JACKKNIFE_GROUPS
            # the leave-one-out fits use the same layers: noise factor 0, range fixed
            loo = np.array(
                [_fit_nets(sub[group != k], 0.0, int(last))[0] for k in range(JACKKNIFE_GROUPS)]
            )
            if np.all(np.isfinite(loo)):
                n = JACKKNIFE_GROUPS
                xi_se = float(np.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2)))
        xi_th = float("nan")
        if np.isfinite(last):
            _, se = _mean_se(sub)
            th = th.set_index("from_top").sort_index()
            xi_th = fit_depth_scale(th.index, th["qt_ab"], se.reindex(th.index), 0.0, last)[0]
        rows.append(
            {
                "panel": panel,
                "index": int(index),
                "sigma_w2": float(sw2),
                "width": int(width),
                "n_nets": n_nets,
                "xi_fit": xi,
                "xi_fit_se": xi_se,
                "last_from_top": last,
                "xi_recursion": xi_th,
                "xi_c": float(th["xi_c"].iloc[0]),
                "xi_grad": float(th["xi_grad"].iloc[0]),
                "c_star": float(th["c_star"].iloc[0]),
                "chi1": float(th["chi1"].iloc[0]),
                "chi_c_star": float(th["chi_c_star"].iloc[0]),
            }
        )
    return pd.DataFrame(rows)
