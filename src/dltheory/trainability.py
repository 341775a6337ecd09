"""Trainability of random tanh networks on real data (Schoenholz et al. 2017, Sec. 6).

Mean field predicts that a random network trains only if its depth is below a few
correlation depth scales, ``L <~ 6 xi_c(sigma_w^2, sigma_b^2, rho)``: ``xi_c`` diverges
at the critical ``sigma_w^2`` (1.76 at ``sigma_b^2 = 0.05``) without dropout and stays
finite with dropout (keep probability ``rho``). :func:`depth_scale_curve` gives that
curve from :func:`dltheory.meanfield.depth_scales`; :func:`accuracy_grid`,
:func:`trained_range` and :func:`theory_range` compare it with the trained networks.

The networks and the batched trainer are in :mod:`dltheory.training`, the data sets and
the sweep's record schema in :mod:`dltheory.training_data` (both kept free of the
mean-field engine, so that edits of the engine do not retrain the sweep).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import meanfield

__all__ = [
    "accuracy_grid",
    "cell_edges",
    "depth_scale_curve",
    "theory_range",
    "trainable_depth",
    "trained_range",
]


# ----------------------------------------------------------------- theory and answers


def depth_scale_curve(sigma_w2, sigma_b2: float = 0.05, keep_prob: float = 1.0) -> pd.DataFrame:
    """xi_c against sigma_w^2 from :func:`dltheory.meanfield.depth_scales` (tanh, rho).

    Columns sigma_w2, keep_prob, xi_c, six_xi_c (= 6 xi_c, the trainable depth of
    Schoenholz et al.). ``xi_c = inf`` exactly at chi_1 = 1 without dropout.
    """
    sw2 = np.asarray(sigma_w2, dtype=float)
    scales = meanfield.depth_scales(np.sqrt(sw2), math.sqrt(sigma_b2), "tanh", rho=keep_prob)
    xi_c = np.asarray(scales["xi_c"], dtype=float) * np.ones_like(sw2)
    return pd.DataFrame(
        {
            "sigma_w2": sw2,
            "keep_prob": np.full(sw2.shape, float(keep_prob)),
            "xi_c": xi_c,
            "six_xi_c": 6.0 * xi_c,
        }
    )


def cell_edges(centres) -> np.ndarray:
    """Edges of heatmap cells around sorted, possibly unevenly spaced ``centres``.

    Midpoints between neighbours; the outer edges lie half a spacing beyond the ends
    (one value: +-0.5).
    """
    c = np.unique(np.asarray(centres, dtype=float))
    if c.size == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = 0.5 * (c[1:] + c[:-1])
    return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])


def accuracy_grid(records: pd.DataFrame, value: str = "train_acc") -> pd.DataFrame:
    """Mean (over seeds) of ``value`` per (keep_prob, depth, sigma_w2), with n_seeds."""
    grouped = records.groupby(["keep_prob", "depth", "sigma_w2"])[value]
    return grouped.agg(["mean", "count"]).rename(columns={"count": "n_seeds"}).reset_index()


def trained_range(grid: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Per (keep_prob, depth): smallest and largest sigma_w^2 whose mean accuracy > threshold.

    ``grid`` from :func:`accuracy_grid`. Also ``n_trained`` (grid points above threshold),
    ``n_grid``, ``trained`` (those sigma_w^2, ascending) and ``contiguous`` (no grid point
    between lo and hi fails: the trained set is the interval); lo/hi are NaN where none
    trains.
    """
    rows = []
    for (kp, depth), sub in grid.groupby(["keep_prob", "depth"]):
        ok = sub.loc[sub["mean"] > threshold, "sigma_w2"]
        between = sub["sigma_w2"].between(ok.min(), ok.max()).sum() if len(ok) else 0
        rows.append(
            {
                "keep_prob": kp,
                "depth": depth,
                "lo": ok.min() if len(ok) else np.nan,
                "hi": ok.max() if len(ok) else np.nan,
                "n_trained": len(ok),
                "n_grid": len(sub),
                "trained": sorted(float(v) for v in ok),
                "contiguous": bool(between == len(ok)),
            }
        )
    return pd.DataFrame(rows)


def theory_range(curve: pd.DataFrame, depth: int, factor: float = 6.0) -> tuple[float, float]:
    """Smallest and largest sigma_w^2 of ``curve`` with depth < factor * xi_c (NaN if none).

    ``curve`` from :func:`depth_scale_curve` on a fine grid; the answer is resolved to its
    spacing.
    """
    ok = curve.loc[factor * curve["xi_c"] > depth, "sigma_w2"]
    if ok.empty:
        return float("nan"), float("nan")
    return float(ok.min()), float(ok.max())


def _crossing(depths: np.ndarray, acc: np.ndarray, threshold: float) -> tuple[float, str]:
    """Largest depth at which ``acc`` (over ascending ``depths``) is above ``threshold``.

    Between the deepest depth above it and the next one below, linear in log depth (the
    grid is log-spaced and accuracy falls over a range of depths, not a point). Returns
    (depth, censored): ``"above"`` when the deepest depth still trains (the boundary is
    at least that depth), ``"below"`` when the shallowest does not (at most that depth).
    """
    above = np.flatnonzero(acc > threshold)
    if above.size == 0:
        return float(depths[0]), "below"
    i = above[-1]
    if i == depths.size - 1:
        return float(depths[i]), "above"
    t = (acc[i] - threshold) / (acc[i] - acc[i + 1])
    return float(np.exp(np.log(depths[i]) + t * np.log(depths[i + 1] / depths[i]))), ""


def trainable_depth(
    records: pd.DataFrame, value: str = "train_acc", n_classes: int = 10
) -> pd.DataFrame:
    """The measured trainability boundary: per (keep_prob, sigma_w2), the largest depth that
    trains, with its spread over seeds.

    "Trains": the mean (over seeds) of ``value`` is above the threshold halfway between
    chance (``1 / n_classes``) and the accuracy of the shallow networks (the mean over
    sigma_w^2 at the shallowest depth of that keep probability, where every sigma_w^2
    trains), so the measure does not depend on how well shallow networks fit the data.
    The crossing is interpolated in log depth (:func:`_crossing`); ``censored`` is
    ``"above"`` (every sampled depth trains: the boundary is at least ``depth_max``) or
    ``"below"`` (none does). ``seed_lo``/``seed_hi``: the smallest and largest crossing
    of the single seeds, the same threshold applied to each seed's own accuracies.
    Columns keep_prob, sigma_w2, depth_max, censored, seed_lo, seed_hi, threshold,
    n_seeds, depths (the depths sampled at that sigma_w^2).
    """
    rows = []
    chance = 1.0 / n_classes
    for kp, runs in records.groupby("keep_prob"):
        shallow = runs.loc[runs["depth"] == runs["depth"].min(), value].mean()
        threshold = chance + 0.5 * (shallow - chance)
        for sw2, sub in runs.groupby("sigma_w2"):
            per_depth = sub.groupby("depth")[value].mean()
            depths = per_depth.index.to_numpy(dtype=float)
            depth_max, censored = _crossing(depths, per_depth.to_numpy(), threshold)
            per_seed = [
                _crossing(d.index.to_numpy(dtype=float), d.to_numpy(), threshold)[0]
                for d in (s.groupby("depth")[value].mean() for _, s in sub.groupby("seed"))
            ]
            rows.append(
                {
                    "keep_prob": float(kp),
                    "sigma_w2": float(sw2),
                    "depth_max": depth_max,
                    "censored": censored,
                    "seed_lo": float(min(per_seed)),
                    "seed_hi": float(max(per_seed)),
                    "threshold": float(threshold),
                    "n_seeds": int(sub["seed"].nunique()),
                    "depths": [int(d) for d in depths],
                }
            )
    return pd.DataFrame(rows)
