"""Analysis of simulated network tables: fixed points and depth-scale fits.

Estimates from the tables of :mod:`dltheory.networks` (the empirical fixed point
``q*``, decay lengths of ``|q^l - q*|`` and ``|c^l - c*|``), the same fit applied to
the noise-free iteration of a mean-field map, the (sigma_w, sigma_b) settings of a
config slice and the Price et al. bound on trajectory lengths. Re-exported by
:mod:`dltheory.networks`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import activations, meanfield

__all__ = [
    "circle_setting",
    "empirical_fixed_point",
    "fit_decay_length",
    "fitted_depth_scales",
    "iterate_map",
    "length_growth",
    "map_depth_scale",
    "price_bound",
    "regime_settings",
]


def iterate_map(f, x0, depth: int) -> np.ndarray:
    """``[x0, f(x0), f(f(x0)), ...]`` (depth + 1 entries along axis 0), for a mean-field map."""
    out = [np.asarray(x0, dtype=float)]
    for _ in range(depth):
        out.append(np.asarray(f(out[-1]), dtype=float))
    return np.stack(out)


def empirical_fixed_point(table: pd.DataFrame, layer_min: int, by=("width",)) -> pd.DataFrame:
    """Estimate q* per group from q^l at layers >= ``layer_min`` (transient gone).

    Every net (seed) gives one value, the mean of its q^l over those layers and over its
    inputs; the estimate is the mean over nets and the standard error their standard
    deviation / sqrt(n_nets) (nets are independent; layers of one net are not).
    """
    deep = table[(table["layer"] >= layer_min) & ~table["overflow"]]
    per_net = deep.groupby([*by, "seed"], sort=True)["q"].mean().reset_index()
    g = per_net.groupby(list(by), sort=True)["q"]
    out = g.agg(q_mean="mean", q_std="std", n_nets="count").reset_index()
    out["q_se"] = out["q_std"] / np.sqrt(out["n_nets"])
    return out


def price_bound(sigma_w, width, depth):
    """Price et al. lower bound (M/2)^L on the expected length ratio of a trajectory.

    For rows w_i of W with i.i.d. N(0, sigma_w^2/N) entries, u^T w_i ~ N(0, sigma_w^2
    |u|^2 / N), so E|u^T w_i| = M |u| with ``M = sigma_w sqrt(2 / (pi N))``.
    """
    m = np.asarray(sigma_w, float) * np.sqrt(2.0 / (np.pi * np.asarray(width, float)))
    return (m / 2.0) ** np.asarray(depth, float)


def fit_decay_length(layer, deviation, floor: float = 0.0, se=None) -> float:
    """Depth scale xi from a log-linear fit |x^l - x*| ~ exp(-l / xi).

    Points with ``deviation <= floor`` (e.g. the finite-width noise level) or not finite
    are dropped; needs at least 3 points, else NaN. With standard errors ``se`` the fit
    is weighted: log|dev| has standard error ``se / |dev|``, so points near the noise
    floor count little.
    """
    layer = np.asarray(layer, dtype=float)
    dev = np.asarray(deviation, dtype=float)
    keep = np.isfinite(dev) & (dev > floor)
    weight = None
    if se is not None:
        se = np.asarray(se, dtype=float)
        keep &= np.isfinite(se) & (se > 0)
        weight = dev[keep] / se[keep]
    if keep.sum() < 3:
        return float("nan")
    slope = np.polyfit(layer[keep], np.log(dev[keep]), 1, w=weight)[0]
    return float(-1.0 / slope) if slope < 0 else float("inf")


def regime_settings(cfg) -> list[tuple[float, float]]:
    """(sigma_w, sigma_b) pairs of a config slice.

    Either explicit ``sigma_w`` (list) with ``sigma_b``, or ``sigma_w_factor`` (list):
    multiples of the critical ``sigma_w`` (chi_1 = 1) of ``sigma_b`` and ``activation`` from
    :func:`dltheory.meanfield.critical_sigma_w` (factor 1 is the edge of chaos).
    """
    sb = float(cfg["sigma_b"])
    if "sigma_w" in cfg:
        return [(float(sw), sb) for sw in np.atleast_1d(cfg["sigma_w"])]
    if "sigma_w_factor" in cfg:
        crit = float(meanfield.critical_sigma_w(sb, cfg["activation"]))
        return [(float(f) * crit, sb) for f in cfg["sigma_w_factor"]]
    raise ValueError("config slice needs 'sigma_w' or 'sigma_w_factor' (with 'sigma_b')")


def fitted_depth_scales(
    lengths: pd.DataFrame,
    correlations: pd.DataFrame,
    fixed_points: pd.DataFrame,
    noise_factor: float = 3.0,
    layer_min: int = 1,
) -> pd.DataFrame:
    """Decay lengths of |q^l - q*| and |c^l - c*| fitted per sigma_w (Schoenholz Fig. 1).

    ``lengths``/``correlations``: tables of :func:`lengths_table` / :func:`correlation_table`;
    ``fixed_points``: sigma_w, q_star, c_star. The signed deviations are averaged per net
    (seed) and layer, then over nets (inputs start on one side of the fixed point, so the
    approach is monotone). The standard error is taken over nets, not inputs: all inputs of
    one net share its weights, so their deviations fluctuate together. The fit of
    :func:`fit_decay_length` (weighted by those errors) uses the layers from ``layer_min``
    up to the first whose |mean deviation| is below ``noise_factor`` standard errors (the
    finite-width floor).
    Columns: sigma_w, xi_q_fit, xi_c_fit, and q_last, c_last (the last layer fitted).
    """
    rows = []
    for fp in fixed_points.itertuples():
        out = {"sigma_w": fp.sigma_w}
        for key, last, table, col, target in (
            ("xi_q_fit", "q_last", lengths, "q", fp.q_star),
            ("xi_c_fit", "c_last", correlations, "c", fp.c_star),
        ):
            sub = table[np.isclose(table["sigma_w"], fp.sigma_w) & (table["layer"] >= layer_min)]
            per_net = sub.assign(dev=sub[col] - target).groupby(["layer", "seed"])["dev"].mean()
            dev = per_net.groupby("layer")
            mean, se = dev.mean().abs(), dev.std() / np.sqrt(dev.count())
            keep = (mean > noise_factor * se).to_numpy()
            # the fit uses the leading run of layers above the floor only
            first_bad = np.argmin(keep) if not keep.all() else keep.size
            idx = mean.index[:first_bad]
            out[key] = fit_decay_length(idx, mean.loc[idx], se=se.loc[idx])
            out[last] = int(idx[-1]) if len(idx) else layer_min - 1
        rows.append(out)
    return pd.DataFrame(rows)


def map_depth_scale(f, x0, x_star, layer_min: int, layer_max: int) -> float:
    """The fit of :func:`fit_decay_length` applied to the noise-free iteration of a map.

    Iterates ``f`` from ``x0`` and fits |x^l - x*| over ``layer_min..layer_max``: what a
    simulation fitted over the same layers would give at infinite width, transient
    included (the asymptotic xi holds only once the approach is linear).
    """
    if layer_max - layer_min < 2:
        return float("nan")
    x = iterate_map(f, x0, layer_max)
    layer = np.arange(layer_min, layer_max + 1)
    return fit_decay_length(layer, np.abs(x[layer_min:] - x_star))


def length_growth(sigma_w, sigma_b, activation: str):
    """Mean-field per-layer growth ``sqrt(chi_1)`` of a curve's length (Poole et al. 2016).

    A tangent vector of a curve whose points all sit at the fixed point q* has its squared
    length multiplied by ``chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]`` in every layer, so the
    length grows (chaotic, chi_1 > 1) or shrinks (ordered) by ``sqrt(chi_1)``. For
    homogeneous activations at ``sigma_b = 0`` this holds at any input length (sigma_w /
    sqrt(2) for ReLU, sigma_w for abs and linear). Broadcasts like ``meanfield.chi1``.
    """

    return np.sqrt(meanfield.chi1(sigma_w, sigma_b, activation))


def circle_setting(activation: str, sigma_w: float, sigma_b: float, q0: float):
    """(sigma_b, q0) of the input circle: homogeneous phi at sigma_b = 0 and the given q0,
    any other phi on its fixed point q* (where :func:`length_growth` applies)."""

    if activations.get(activation).homogeneous:
        return 0.0, float(q0)
    return float(sigma_b), float(meanfield.q_star(sigma_w, sigma_b, activation))
