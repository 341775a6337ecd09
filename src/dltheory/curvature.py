r"""A great circle through a random network: length, extrinsic curvature, Grassmannian length.

Poole et al. (2016, Sec. 4 and appendix; Figs. 3-4). Network as in
:mod:`dltheory.networks` (``h^l = W^l phi(h^{l-1}) + b^l``, ``W_ij ~ N(0, sigma_w^2/N)``,
``b_i ~ N(0, sigma_b^2)``, width N); the input is the great circle

    h^0(theta) = sqrt(N q*) (u0 cos theta + u1 sin theta),   theta in [0, 2 pi),

u0, u1 orthonormal, every point on the fixed point q* (Poole's h^1; here phi is applied
to h^0 in layer 1, as everywhere in the package).

**Conventions.** For a curve h(theta) in R^N with velocity ``v = dh/dtheta`` and
acceleration ``a = d^2h/dtheta^2``:

* metric ``g(theta) = v . v``; its normalised form ``gbar = g / N`` (the circle: q*);
* Euclidean length ``L^E = int sqrt(g) dtheta``;
* extrinsic curvature ``kappa = sqrt((v.v)(a.a) - (v.a)^2) / (v.v)^{3/2}``, the
  inverse radius of the osculating circle; normalised ``kbar = sqrt(N) kappa`` (the
  circle: ``kbar^2 = 1/q*``);
* Grassmannian length ``L^G = int kappa sqrt(g) dtheta``: the length of the curve traced
  by the unit tangent ``v/|v|`` (the Gauss map), which does not change under a rescaling
  of h (the circle: 2 pi). ``kappa sqrt(g) = sqrt(kbar^2 gbar)``.

**The recursions** (:func:`curvature_layers`), re-derived. One layer maps
``v -> W (phi'(h) * v)`` and ``a -> W (phi''(h) * v * v + phi'(h) * a)`` (``*``
elementwise). For fixed vectors x, y and fresh Gaussian W, ``(Wx).(Wy) = sigma_w^2 x.y``
up to O(1/sqrt N), so with averages over the N coordinates (mean field):
``gbar' = sigma_w^2 <phi'(h)^2 v^2>``, ``A' = <a'^2> = sigma_w^2 <(phi'' v^2 + phi' a)^2>``,
``<v'a'> = sigma_w^2 <phi' v (phi'' v^2 + phi' a)>``. At large N the coordinates
(h_i, v_i, a_i) are draws of a Gaussian process in theta (the previous layer fixed), with
``<h^2> = q*`` constant along the curve, so ``<h v> = 0``, ``<h a> = -<v^2> = -gbar`` and
(constant speed) ``<v a> = 0``: v is independent of (h, a) and
``a = -(gbar/q*) h + a_perp`` with a_perp independent of h, ``<a_perp^2> = A - gbar^2/q*``.
Then ``<v'a'> = 0`` (odd in v), ``gbar' = chi_1 gbar`` with
``chi_1 = sigma_w^2 E[phi'(u)^2]``, and

    A' = sigma_w^2 [3 gbar^2 E[phi''^2] - 2 (gbar^2/q*) E[u phi' phi'']
                    + (gbar^2/q*^2) E[u^2 phi'^2] + (A - gbar^2/q*) E[phi'^2]]

(u ~ N(0, q*)). Gaussian integration by parts, ``E[u f(u)] = q* E[f'(u)]`` with
``f = u phi'^2``, gives ``E[u^2 phi'^2] = q* E[phi'^2] + 2 q* E[u phi' phi'']``: the
middle terms cancel against the ``gbar^2/q*`` part of the last. With ``kbar^2 = A/gbar^2``
(as ``<v a> = 0``):

    gbar^l = chi_1 gbar^{l-1},      (kbar^l)^2 = 3 chi_2 / chi_1^2 + (kbar^{l-1})^2 / chi_1,
    chi_2 = sigma_w^2 E[phi''(sqrt(q*) z)^2],    gbar^0 = q*,  (kbar^0)^2 = 1/q*,

Poole et al.'s equations (their layer 1 is our layer 0). Consequences:
``L^E_l / L^E_0 = chi_1^{l/2}``; ``(kbar^l)^2 = kbar*^2 + (1/q* - kbar*^2) chi_1^{-l}``
with ``kbar*^2 = 3 chi_2 / (chi_1 (chi_1 - 1))`` (``1/q* + 3 chi_2 l`` at chi_1 = 1):
in the chaotic phase (chi_1 > 1) the curvature tends to the fixed point kbar* while the
length grows, so ``L^G_l / 2 pi = sqrt(q* kbar*^2 chi_1^l + 1 - q* kbar*^2)`` grows by
sqrt(chi_1) per layer; in the ordered phase kbar grows by chi_1^{-1/2} per layer while
the curve shrinks, and L^G tends to ``2 pi sqrt(1 + 3 q* chi_2 / (chi_1 (1 - chi_1)))``.

Assumptions: infinite width (each layer's sums self-average; at width N the squared
length of a tangent vector is multiplied per layer by a random factor of relative spread
O(1/sqrt N), so the spread between networks grows like sqrt(l/N)), every point at q*,
and phi twice differentiable (for kinked phi, e.g. relu, phi'' has delta functions: the
image of the circle has corners and no finite curvature; :func:`chi2` refuses them).

**The simulation** (:func:`simulate_circle`) sends the circle, sampled at M points,
through one network and measures v and a by central differences at spacing
``dtheta = 2 pi k / M`` for k = 1, 2, 4 (the error is O(dtheta^2) while neighbouring
points stay on the same smooth piece of curve); the difference between k = 1 and k = 2,
divided by 3, estimates the error at k = 1 (Richardson). At ``n_exact`` angles it also
propagates v and a exactly (forward-mode derivatives through the same weights), the
limit M -> infinity.

The simulation functions import torch and :mod:`dltheory.networks` where they run, so the
theory and the summaries load without torch (a theory or plotting job starts about 1.7 s
sooner).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import activations, meanfield, seeds

if TYPE_CHECKING:
    import torch

__all__ = [
    "FD_STEPS",
    "chi2",
    "curvature_layers",
    "curve_geometry",
    "kappa_fixed_point",
    "resolution",
    "simulate_circle",
    "simulation_table",
    "summarise",
    "theory_table",
]

#: spacings (in units of 2 pi / M) of the central differences measured
FD_STEPS = (1, 2, 4)


# ----------------------------------------------------------------------------- theory


def _smooth(activation):
    act = activations.get(activation)
    if not act.smooth:
        raise ValueError(
            f"activation {act.name!r} is not twice differentiable (kinks at {act.kinks}): "
            "phi'' has delta functions and the image of a circle has corners, so the "
            "curvature recursion does not apply; allowed: "
            + ", ".join(n for n in activations.names() if activations.get(n).smooth)
        )
    return act


def chi2(sigma_w, sigma_b, activation="tanh", q=None) -> float:
    """``chi_2 = sigma_w^2 E[phi''(sqrt(q) z)^2]``, z ~ N(0, 1), at ``q`` (default q*).

    The expectation is :func:`dltheory.meanfield.gaussian_expectation` (a sinh-mapped
    trapezoid rule): about 1e-13 relative for tanh-like phi at any q; for an oscillating
    phi'' (sin) its error grows with q (1e-10 at q = 4, 6e-5 at q = 30).
    """
    act = _smooth(activation)
    q = float(meanfield.q_star(sigma_w, sigma_b, act)) if q is None else float(q)
    if not (q >= 0 and math.isfinite(q)):
        raise ValueError(f"q must be finite and >= 0, got {q}")
    m = meanfield.gaussian_expectation(lambda u: np.square(act.d2phi(u)), q, act)
    return float(sigma_w) ** 2 * float(m)


def kappa_fixed_point(chi_1: float, chi_2: float) -> float:
    """``kbar* = sqrt(3 chi_2 / (chi_1 (chi_1 - 1)))`` (chaotic phase), ``inf`` otherwise."""
    if chi_1 <= 1.0:
        return float("inf")
    return math.sqrt(3.0 * chi_2 / (chi_1 * (chi_1 - 1.0)))


def curvature_layers(depth: int, sigma_w, sigma_b, activation="tanh"):
    """The mean-field recursions (module docstring) for layers l = 0..L, as a dict.

    Arrays: ``layer``, ``g_bar`` (q* chi_1^l), ``length_ratio`` (chi_1^{l/2}), ``kappa2``
    ((kbar^l)^2 by the recursion), ``kappa`` (kbar^l), ``grassmann`` (L^G = 2 pi
    sqrt(gbar kbar^2)); scalars ``q_star``, ``chi1``, ``chi2``, ``kappa_star`` (inf where
    chi_1 <= 1), ``grassmann_limit`` (L^G as l -> inf: inf where chi_1 >= 1).
    """
    depth = int(depth)
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    act = _smooth(activation)
    q = float(meanfield.q_star(sigma_w, sigma_b, act))
    if not (q > 0 and math.isfinite(q)):
        raise ValueError(
            f"q* = {q} at sigma_w = {sigma_w}, sigma_b = {sigma_b}: the circle needs a "
            "finite, positive fixed point (sigma_b > 0 or the chaotic phase)"
        )
    c1 = float(meanfield.chi1(sigma_w, sigma_b, act, q=q))
    c2 = chi2(sigma_w, sigma_b, act, q=q)
    layer = np.arange(depth + 1)
    kappa2 = np.empty(depth + 1)
    kappa2[0] = 1.0 / q
    for i in range(1, depth + 1):
        kappa2[i] = 3.0 * c2 / c1**2 + kappa2[i - 1] / c1
    g_bar = q * c1**layer
    if c1 < 1.0:
        limit = 2.0 * math.pi * math.sqrt(1.0 + 3.0 * q * c2 / (c1 * (1.0 - c1)))
    else:
        limit = float("inf")
    return {
        "layer": layer,
        "g_bar": g_bar,
        "length_ratio": c1 ** (layer / 2.0),
        "kappa2": kappa2,
        "kappa": np.sqrt(kappa2),
        "grassmann": 2.0 * math.pi * np.sqrt(g_bar * kappa2),
        "q_star": q,
        "chi1": c1,
        "chi2": c2,
        "kappa_star": kappa_fixed_point(c1, c2),
        "grassmann_limit": limit,
    }


def theory_table(cfg) -> pd.DataFrame:
    """:func:`curvature_layers` of every sigma_w of a ``geometry.curvature`` slice."""
    frames = []
    for sw in cfg["sigma_w"]:
        th = curvature_layers(int(cfg["depth"]), float(sw), float(cfg["sigma_b"]),
                              cfg["activation"])  # fmt: skip
        frame = pd.DataFrame({k: v for k, v in th.items() if np.ndim(v) == 1})
        for k, v in th.items():
            if np.ndim(v) == 0:
                frame[k] = v
        frame.insert(0, "sigma_w", float(sw))
        frame.insert(1, "sigma_b", float(cfg["sigma_b"]))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------- simulation


def curve_geometry(v: torch.Tensor, a: torch.Tensor):
    """Per point (rows): ``gbar = |v|^2/N``, ``kbar^2 = N ((v.v)(a.a) - (v.a)^2)/(v.v)^3``."""
    width = v.shape[1]
    vv = (v * v).sum(dim=1)
    aa = (a * a).sum(dim=1)
    va = (v * a).sum(dim=1)
    kappa2 = width * (vv * aa - va * va).clamp(min=0.0) / vv**3
    return vv / width, kappa2


def _second_derivative(act):
    """phi'' on torch tensors: the derivative of the activation's ``torch_dphi``."""
    import torch

    from . import networks

    dphi = networks.torch_derivative(act)

    def d2phi(x):
        with torch.enable_grad():
            y = x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(dphi(y).sum(), y)
        return grad

    return d2phi


def _stats(v, a):
    g, k2 = curve_geometry(v, a)
    speed = g.sqrt()
    return {
        "g_bar": float(g.mean()),
        "kappa2": float(k2.mean()),
        "speed": float(speed.mean()),
        "grassmann": 2.0 * math.pi * float((k2 * g).sqrt().mean()),
    }


def simulate_circle(
    sigma_w: float,
    sigma_b: float,
    width: int,
    depth: int,
    n_points: int,
    n_exact: int,
    seed: int,
    activation="tanh",
) -> pd.DataFrame:
    """One network, the great circle at q*: the geometry after every layer l = 0..L.

    Rows per layer: ``method`` "finite_difference" for each spacing ``step`` in
    :data:`FD_STEPS` (central differences on the M = ``n_points`` sampled points, spacing
    2 pi step / M, every point a centre) and "exact" (step 0: v and a propagated by
    forward-mode differentiation at ``n_exact`` equally spaced angles). Columns: layer,
    method, step, g_bar (mean |v|^2/N), kappa2 (mean N kappa^2), length_ratio (mean |v|
    over its layer-0 value), grassmann (2 pi mean kappa |v|). Stream: ``seed``.
    """
    import torch

    from . import networks

    networks._check(sigma_w, sigma_b, width, depth)
    if int(n_points) < 3 * max(FD_STEPS) or int(n_exact) < 1:
        raise ValueError(
            f"need n_points >= {3 * max(FD_STEPS)} and n_exact >= 1, got {n_points}, {n_exact}"
        )
    act = _smooth(activation)
    phi, dphi = networks.torch_activation(act), networks.torch_derivative(act)
    d2phi = _second_derivative(act)
    q = float(meanfield.q_star(sigma_w, sigma_b, act))
    width, depth, m, n = int(width), int(depth), int(n_points), int(n_exact)
    gen = networks.generator(seed)
    pair = networks.input_pair(q, 0.0, width, gen)
    theta = torch.linspace(0.0, 2.0 * math.pi, m + 1, dtype=networks.DTYPE)[:-1]
    h = torch.cos(theta)[:, None] * pair[0] + torch.sin(theta)[:, None] * pair[1]
    te = torch.linspace(0.0, 2.0 * math.pi, n + 1, dtype=networks.DTYPE)[:-1]
    he = torch.cos(te)[:, None] * pair[0] + torch.sin(te)[:, None] * pair[1]
    ve = -torch.sin(te)[:, None] * pair[0] + torch.cos(te)[:, None] * pair[1]
    ae = -he
    dtheta = 2.0 * math.pi / m
    rows, speed0 = [], {}
    for layer in range(depth + 1):
        if layer:
            w, b = networks.random_layer(width, width, sigma_w, sigma_b, gen)
            d1 = dphi(he)
            stacked = torch.cat([phi(h), phi(he), d1 * ve, d2phi(he) * ve * ve + d1 * ae])
            out = stacked @ w.T
            h, he = out[:m] + b, out[m : m + n] + b
            ve, ae = out[m + n : m + 2 * n], out[m + 2 * n :]
        measured = [("exact", 0, _stats(ve, ae))]
        for step in FD_STEPS:
            hp, hm = torch.roll(h, -step, dims=0), torch.roll(h, step, dims=0)
            v = (hp - hm) / (2.0 * step * dtheta)
            a = (hp - 2.0 * h + hm) / (step * dtheta) ** 2
            measured.append(("finite_difference", step, _stats(v, a)))
        for method, step, st in measured:
            if layer == 0:
                speed0[(method, step)] = st["speed"]
            rows.append(
                {
                    "layer": layer,
                    "method": method,
                    "step": step,
                    "g_bar": st["g_bar"],
                    "kappa2": st["kappa2"],
                    "length_ratio": st["speed"] / speed0[(method, step)],
                    "grassmann": st["grassmann"],
                }
            )
    return pd.DataFrame(rows)


def simulation_table(cfg, indices, base_seed: int, log=None) -> pd.DataFrame:
    """:func:`simulate_circle` for the sigma_w at positions ``indices`` of ``cfg["sigma_w"]``,
    ``n_seeds`` networks each; net ``rep`` of sigma_w number i draws from the stream
    ``(base_seed, "sigma_w", i, "net", rep)`` (whatever the split into jobs). Columns: sigma_w,
    sigma_b, q_star, width, n_points, seed, then those of :func:`simulate_circle`."""
    frames = []
    for i in indices:
        sw, sb = float(cfg["sigma_w"][i]), float(cfg["sigma_b"])
        q = float(meanfield.q_star(sw, sb, cfg["activation"]))
        for rep in range(int(cfg["n_seeds"])):
            seed = seeds.derive(base_seed, "sigma_w", i, "net", rep)
            frame = simulate_circle(sw, sb, int(cfg["width"]), int(cfg["depth"]),
                                    int(cfg["n_points"]), int(cfg["n_exact"]), seed,
                                    cfg["activation"])  # fmt: skip
            for pos, (key, value) in enumerate(
                (("sigma_w", sw), ("sigma_b", sb), ("q_star", q), ("width", int(cfg["width"])),
                 ("n_points", int(cfg["n_points"])), ("seed", seed))
            ):  # fmt: skip
                frame.insert(pos, key, value)
            frames.append(frame)
        if log:
            log.info("sigma_w %g: %d circles of %d points through depth %d, N = %d",
                     sw, cfg["n_seeds"], cfg["n_points"], cfg["depth"], cfg["width"])  # fmt: skip
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------- analysis


def resolution(sim: pd.DataFrame) -> pd.DataFrame:
    """Estimated relative error of the finite differences per net and layer.

    Richardson: with an O(dtheta^2) error, ``x(step 1) - x(step 2)`` is -3 times the error
    of x at step 1, so ``|x(2) - x(1)| / (3 x(1))`` estimates its relative error, for
    x = kappa2 (``kappa2_error``) and x = g_bar (``g_bar_error``); ``fd_error`` is the
    larger. Both are needed: where neighbouring points no longer lie on one smooth piece
    of the curve (chaotic nets, deep), the differences measure a random polygon, whose
    kappa2 hardly depends on the spacing but whose g_bar falls like 1/step^2. Also
    ``exact_error = |kappa2(1) / kappa2(exact) - 1|`` (the exact method's angles are
    n_exact of the circle's: a check, not the criterion). Columns: sigma_w, seed, layer,
    kappa2_error, g_bar_error, fd_error, exact_error.
    """
    keys = ["sigma_w", "seed", "layer"]
    fd = sim[sim["method"] == "finite_difference"]
    errors = []
    for col in ("kappa2", "g_bar"):
        x = fd.pivot_table(index=keys, columns="step", values=col)
        errors.append((x[2] - x[1]).abs() / (3.0 * x[1]))
    k1 = fd[fd["step"] == 1].set_index(keys)["kappa2"]
    ex = sim[sim["method"] == "exact"].set_index(keys)["kappa2"]
    out = pd.DataFrame(
        {
            "kappa2_error": errors[0],
            "g_bar_error": errors[1],
            "fd_error": np.maximum(errors[0], errors[1]),
            "exact_error": (k1 / ex.reindex(k1.index) - 1.0).abs(),
        }
    )
    return out.reset_index()


def summarise(sim: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Mean and s.d. over nets per (sigma_w, method, step, layer) of g_bar, kappa2,
    length_ratio, grassmann; ``resolved``: every net's finite-difference error estimate
    (:func:`resolution`, scaled by step^2 for the coarser spacings) at most ``tolerance``
    (always True for the exact method)."""
    res = resolution(sim)
    worst = res.groupby(["sigma_w", "layer"])["fd_error"].max().rename("fd_error")
    keys = ["sigma_w", "method", "step", "layer"]
    g = sim.groupby(keys, sort=True)
    out = g.size().rename("n_nets").reset_index()
    for col in ("g_bar", "kappa2", "length_ratio", "grassmann"):
        out[col] = g[col].mean().to_numpy()
        out[f"{col}_sd"] = g[col].std(ddof=1).to_numpy()
    out = out.merge(worst.reset_index(), on=["sigma_w", "layer"], how="left")
    out["resolved"] = (out["method"] == "exact") | (out["fd_error"] * out["step"] ** 2 <= tolerance)
    return out
