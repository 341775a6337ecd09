"""Trainability of random tanh networks on real data (Schoenholz et al. 2017, Sec. 6).

Mean field predicts that a random network trains only if its depth is below a few
correlation depth scales, ``L <~ 6 xi_c(sigma_w^2, sigma_b^2, rho)``: ``xi_c`` diverges
at the critical ``sigma_w^2`` (1.76 at ``sigma_b^2 = 0.05``) without dropout and stays
finite with dropout (keep probability ``rho``). :func:`depth_scale_curve` gives that
curve from :func:`dltheory.meanfield.depth_scales`; :func:`accuracy_grid`,
:func:`trainable_depth`, :func:`measured_boundary` and :func:`sweep_plan` measure the
trained networks against it.

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
    "measured_boundary",
    "sweep_depths",
    "sweep_plan",
    "trainable_depth",
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
    records: pd.DataFrame, value: str = "train_acc", n_classes: int = 10, grid_depths=None
) -> pd.DataFrame:
    """The measured trainability boundary: per (keep_prob, sigma_w2), the largest depth that
    trains, with its spread over seeds.

    "Trains": the mean (over seeds) of ``value`` is above the threshold halfway between
    chance (``1 / n_classes``) and the accuracy of the shallow networks (the mean over
    sigma_w^2 at the shallowest depth of that keep probability, where every sigma_w^2
    trains), so the measure does not depend on how well shallow networks fit the data.
    The crossing is interpolated in log depth (:func:`_crossing`); ``censored`` is
    ``"above"`` (every sampled depth trains: the boundary is at least ``depth_max``) or
    ``"below"`` (none does). ``spread_lo``/``spread_hi``: the smallest and largest crossing
    of the single seeds, the same threshold applied to each seed's own accuracies.
    ``gap``: with ``grid_depths`` (the sweep's depths), the crossing lies between two
    sampled depths with an unsampled grid depth between them (a coarse measurement).
    Columns keep_prob, sigma_w2, depth_max, censored, spread_lo, spread_hi, threshold,
    n_seeds, depths (the depths sampled at that sigma_w^2), gap.
    """
    grid = np.asarray(sorted(grid_depths if grid_depths is not None else []), dtype=float)
    rows = []
    chance = 1.0 / n_classes
    for kp, runs in records.groupby("keep_prob"):
        shallow = runs.loc[runs["depth"] == runs["depth"].min(), value].mean()
        threshold = chance + 0.5 * (shallow - chance)
        for sw2, sub in runs.groupby("sigma_w2"):
            per_depth = sub.groupby("depth")[value].mean()
            depths = per_depth.index.to_numpy(dtype=float)
            depth_max, censored = _crossing(depths, per_depth.to_numpy(), threshold)
            lo = depths[depths <= depth_max].max()
            hi = depths[depths >= depth_max].min()
            gap = not censored and bool(np.any((grid > lo) & (grid < hi)))
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
                    "spread_lo": float(min(per_seed)),
                    "spread_hi": float(max(per_seed)),
                    "threshold": float(threshold),
                    "n_seeds": int(sub["seed"].nunique()),
                    "depths": [int(d) for d in depths],
                    "gap": gap,
                }
            )
    return pd.DataFrame(rows)


def sweep_plan(
    sigma_w2, depths, sigma_b2: float, keep_prob: float = 1.0, within: float | None = 2.5
) -> pd.DataFrame:
    """The (sigma_w^2, L) cells a sweep trains: dense where mean field puts the boundary.

    A cell is trained when ``L / (6 xi_c)`` lies within ``[1 / within, within]`` (around
    the predicted boundary, where the measured one is decided); at the shallowest depth
    at every sigma_w^2 (the shallow accuracy that :func:`trainable_depth`'s threshold
    needs); and at the deepest depth wherever that is predicted to train (near the edge
    of chaos, where 6 xi_c exceeds every depth, so the prediction is tested where it is
    strongest). Cells far on the untrainable side (``L > within * 6 xi_c``) and far inside
    the trainable one are skipped: their outcome is not in doubt, and they cost the most
    (deep) or say the least (shallow). ``within=None`` trains every cell.

    Columns keep_prob, depth, sigma_w2, six_xi_c, reason (``"shallowest"``, ``"near"``,
    ``"deepest"`` or ``"grid"``), sorted by depth then sigma_w^2.
    """
    if within is not None and not within >= 1:
        raise ValueError(f"within must be >= 1 (or None: every cell), got {within}")
    sw2 = np.unique(np.asarray(sigma_w2, dtype=float))
    six = depth_scale_curve(sw2, sigma_b2, keep_prob)["six_xi_c"].to_numpy()
    levels = sorted({int(d) for d in depths})
    rows = []
    for depth in levels:
        ratio = depth / six  # 0 where 6 xi_c is infinite (at the critical point)
        if within is None:
            reason = np.full(sw2.shape, "grid", dtype=object)
        else:
            reason = np.full(sw2.shape, "", dtype=object)
            reason[(ratio < 1 / within) & (depth == levels[-1])] = "deepest"
            reason[(ratio >= 1 / within) & (ratio <= within)] = "near"
            if depth == levels[0]:
                reason[:] = "shallowest"
        keep = reason != ""
        rows.append(
            pd.DataFrame(
                {
                    "keep_prob": float(keep_prob),
                    "depth": depth,
                    "sigma_w2": sw2[keep],
                    "six_xi_c": six[keep],
                    "reason": reason[keep].astype(str),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def sweep_depths(plan_params: dict, keep_probs) -> list[int]:
    """The depth grid (ascending) of the sweep of ``keep_probs``: the plan's ``cfg.depths``
    without dropout (every keep probability 1), its ``dropout.depths`` with."""
    plain = set(np.asarray(keep_probs, dtype=float)) == {1.0}
    return sorted(int(d) for d in plan_params["cfg" if plain else "dropout"]["depths"])


def measured_boundary(
    records: pd.DataFrame, plan: pd.DataFrame, plan_params: dict, value: str = "train_acc"
) -> pd.DataFrame:
    """:func:`trainable_depth` of one figure's sweep against the plan it was trained by.

    ``plan`` and ``plan_params`` are the plan table (:func:`sweep_plan` of every keep
    probability) and its params (``cfg.depths``: the grid without dropout,
    ``dropout.depths``: with). The grid of ``records``' sweep flags crossings across
    unsampled depths, and each row gets the plan's ``six_xi_c`` (every sigma_w^2 has a
    cell at the shallowest depth) and ``ratio`` = ``depth_max / six_xi_c``, so the figure
    and the answers compare the same numbers without evaluating the theory again.
    """
    grid_depths = sweep_depths(plan_params, records["keep_prob"])
    boundary = trainable_depth(records, value, grid_depths=grid_depths)
    six = plan.groupby(["keep_prob", "sigma_w2"], as_index=False)["six_xi_c"].first()
    boundary = boundary.merge(six, on=["keep_prob", "sigma_w2"], how="left", validate="1:1")
    if boundary["six_xi_c"].isna().any():
        missing = boundary.loc[boundary["six_xi_c"].isna(), ["keep_prob", "sigma_w2"]]
        raise ValueError(
            "the plan has no cell of these (keep_prob, sigma_w2) of the runs: "
            f"{missing.to_numpy().tolist()}; rebuild the plan and the sweep together"
        )
    boundary["ratio"] = boundary["depth_max"] / boundary["six_xi_c"]
    return boundary
