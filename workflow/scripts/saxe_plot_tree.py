"""Figures `saxe_deep_linear_tree` / `saxe_relu_tree`: singular values per epoch (Ex. 2.3/2.4).

Top row: the branching-2 tree at the sheet's rate (config saxe.tree, saxe.network); bottom
row: the wide tree (saxe.tree_wide) at a fraction of its largest stable rate.
"""

import numpy as np
from matplotlib import ticker
from matplotlib.lines import Line2D

from dltheory import io, style

#: levels drawn in the curves panel of the wide tree; its deepest level (48 weak modes of
#: similar strength for B = 4) only on the right
MAX_CURVE_LEVEL_WIDE = 2


def tree_levels(n_modes, branching):
    """Tree level of each mode, strongest first: level 0 (the root: what all items share)
    has 1 mode, level k >= 1 has B^(k-1) (B - 1) (the splits below the level-(k-1) nodes)."""
    levels, k = [0], 1
    while len(levels) < n_modes:
        levels += [k] * (branching ** (k - 1) * (branching - 1))
        k += 1
    return levels[:n_modes]


def level_colour(level):
    return style.PALETTE[level % len(style.PALETTE)]


def log_ticks(lo, hi):
    """1-2-5 ticks covering [lo, hi] (log axes)."""
    ticks = [m * 10.0**e for e in range(-1, 5) for m in (1, 2, 5)]
    return [t for t in ticks if lo <= t <= hi]


def tree_row(ax, ax_t, curves, theory, branching, title, max_level):
    """Singular values per epoch of the levels up to ``max_level`` (left) and half-learning
    epoch against s (right; the mean over seeds only where every seed got there).

    Returns the number of modes per tree level, the mean measured/theory ratio and the level
    of each mode.
    """
    modes = sorted(curves["mode"].unique())
    level_of = dict(zip(modes, tree_levels(len(modes), branching), strict=True))
    shown = curves[curves["mode"].map(level_of) <= max_level]
    for mode, part in shown.groupby("mode"):
        colour = level_colour(level_of[mode])
        for seed, run in part.groupby("seed"):
            ax.plot(run["epoch"], run["sv"], color=colour, lw=1.4 if seed == 0 else 0.5, alpha=0.9)
        ax.axhline(part["s"].iloc[0], color=colour, ls="--", lw=0.8)
    # linear up to epoch 10, logarithmic beyond: the first epochs and the late ones both show
    ax.set_xscale("symlog", linthresh=10, linscale=0.5)
    ax.set_xlim(0, curves["epoch"].max())
    ax.set_ylim(-0.5, max(1.15 * curves["s"].max(), 1.05 * shown["sv"].max()))
    ax.set(
        xlabel="epoch (linear to 10, log beyond)", ylabel=r"singular values of $\Sigma^{\hat y x}$"
    )
    ax.set_title(title, fontsize=9)

    mean = theory.groupby("mode").agg(
        s=("s", "first"),
        t=("t_half", lambda t: t.mean(skipna=False)),
        sd=("t_half", lambda t: t.std(skipna=False)),
    )
    for lev in sorted(set(level_of.values())):
        rows = mean[mean.index.map(level_of) == lev]
        ax_t.errorbar(
            rows["s"], rows["t"], yerr=rows["sd"], fmt="o", ms=3.5, color=level_colour(lev)
        )
    grid = theory.groupby("mode")[["s", "t_theory"]].first().sort_values("s")
    ax_t.plot(grid["s"], grid["t_theory"], "k--", lw=1)
    ax_t.set(xscale="log", yscale="log", xlabel=r"$s_\alpha$", ylabel="epoch at half the mode")
    for axis in (ax_t.xaxis, ax_t.yaxis):
        axis.set_major_formatter(ticker.ScalarFormatter())
        axis.set_minor_formatter(ticker.NullFormatter())
    ax_t.set_xticks(log_ticks(0.8 * grid["s"].min(), 1.25 * grid["s"].max()))
    t_all = np.concatenate([mean["t"].dropna(), grid["t_theory"]])
    ax_t.set_yticks(log_ticks(0.8 * t_all.min(), 1.25 * t_all.max()))
    ratio = float(np.nanmean(theory["t_half"] / theory["t_theory"]))
    ax_t.set_title(f"measured/theory = {ratio:.2f} on average", fontsize=9)
    counts = {lev: sum(1 for m in modes if level_of[m] == lev) for lev in set(level_of.values())}
    return counts, ratio, level_of


def row_facts(curves, theory, tree, lr, level_of, max_level):
    """The caption's numbers of one row, from its tables."""
    from dltheory import saxe_trees

    def _mean_ratio(t_half, t_theory):
        # NaN for a mode no run learnt half-way (without numpy's empty-mean warning)
        ratio = (t_half / t_theory).to_numpy(dtype=float)
        return float(np.nanmean(ratio)) if np.isfinite(ratio).any() else float("nan")

    mean = theory.groupby("mode").agg(
        s=("s", "first"),
        t=("t_half", "mean"),
        ratio=("t_half", lambda t: _mean_ratio(t, theory.loc[t.index, "t_theory"])),
        some=("t_half", lambda t: int(t.isna().sum())),
        all_missing=("t_half", lambda t: bool(t.isna().all())),
    )
    mean["level"] = mean.index.map(level_of)
    _, lam, _ = saxe_trees.tree_spectrum(tree["depth"], tree["branching"], tree["epsilon"])
    levels = []
    for lev, rows in mean.groupby("level"):
        done = rows[rows["some"] == 0]
        levels.append(
            {
                "level": int(lev),
                "n_modes": len(rows),
                "expected": float(np.sqrt(tree["n_features"] * lam[lev])),
                "s_min": float(rows["s"].min()),
                "s_max": float(rows["s"].max()),
                "ratio_min": float(done["ratio"].min()) if len(done) else float("nan"),
                "ratio_max": float(done["ratio"].max()) if len(done) else float("nan"),
                "n_drawn": len(done),
                "left": len(rows),
                "shown_left": bool(lev <= max_level),
            }
        )
    drawn = mean[mean["some"] == 0]
    last = curves[curves["epoch"] == curves["epoch"].max()].groupby("mode")[["sv", "s"]].mean()
    last = last.loc[last.index.isin(drawn.index)]
    return {
        # largest relative distance of a drawn mode from its s at the last epoch (seed mean)
        "final_dev": float((last["sv"] / last["s"] - 1).abs().max()),
        "branching": int(tree["branching"]),
        "n_items": int(tree["branching"] ** tree["depth"]),
        "lr": float(lr),
        "n_seeds": int(curves["seed"].nunique()),
        "epochs": int(curves["epoch"].max()),
        "a0": float(theory["a0"].iloc[0]),
        "n_layers": int(theory["n_layers"].iloc[0]),
        "s_max": float(curves["s"].max()),
        "sv_max": float(curves["sv"].max()),
        "ratio": float(np.nanmean(theory["t_half"] / theory["t_theory"])),
        "ratio_min": float(drawn["ratio"].min()),
        "ratio_max": float(drawn["ratio"].max()),
        "levels": levels,
        "n_modes": len(mean),
        "n_not_drawn": int((mean["some"] > 0).sum()),
        "n_never": int(mean["all_missing"].sum()),
        "s_not_drawn_max": float(mean.loc[mean["some"] > 0, "s"].max())
        if (mean["some"] > 0).any()
        else float("nan"),
        "slowest": float(drawn["t"].max()),
        "half_means": mean["t"],
    }


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        variant = job.params.variant
        name = "ReLU" if variant == "relu" else "linear"
        rows, linear = [], []
        for key in ("", "wide_"):
            all_curves = io.read_table(job.input[f"{key}curves"])
            all_theory = io.read_table(job.input[f"{key}theory"])
            params = io.read_params(job.input[f"{key}curves"])
            tree = dict(params["tree"])
            if key:
                tree["branching"] = params["tree_wide"]["branching"]
            if variant not in set(all_curves["variant"]):
                raise ValueError(
                    f"figure saxe_{'relu' if variant == 'relu' else 'deep_linear'}_tree needs "
                    f"the {variant!r} nets, but config key saxe.network.variants is "
                    f"{sorted(set(all_curves['variant']))}: add {variant!r} to it"
                )
            curves = all_curves[all_curves["variant"] == variant]
            theory = all_theory[all_theory["variant"] == variant]
            lr = tree["n_features"] / (2 * theory["tau"].iloc[0])  # tau = F / (2 lr)
            rows.append((curves, theory, tree, lr))
            linear.append(all_theory[all_theory["variant"] == "linear"])
        search = io.read_table(job.input.wide_lr_search)
        limit = float(search["limit"].iloc[0])

        fig, axes = style.figure(ncols=2, nrows=2, width=3.7, height=3.4)
        counts, max_levels, facts = {}, {}, {}
        for (ax, ax_t), (curves, theory, tree, lr), wide, lin in zip(
            axes, rows, (False, True), linear, strict=True
        ):
            b, n_items = tree["branching"], tree["branching"] ** tree["depth"]
            title = f"B = {b} ({n_items} items), $\\eta$ = {lr:.4g}"
            if wide:  # the safety fraction of the largest stable rate
                title += f"\n= {lr / limit:.2g} $\\times$ the largest stable rate {limit:g}"
            max_level = MAX_CURVE_LEVEL_WIDE if wide else tree["depth"]
            max_levels[b] = max_level
            counts[b], ratio, level_of = tree_row(ax, ax_t, curves, theory, b, title, max_level)
            row = row_facts(curves, theory, tree, lr, level_of, max_level)
            half = row.pop("half_means")
            if variant != "linear" and len(lin):
                # this net's mean half-learning epoch per mode over the linear net's
                lin_half = lin.groupby("mode")["t_half"].mean()
                vs = (half / lin_half).dropna()
                row["vs_linear"] = {
                    "mean": float(vs.mean()) if len(vs) else float("nan"),
                    "min": float(vs.min()) if len(vs) else float("nan"),
                    "max": float(vs.max()) if len(vs) else float("nan"),
                    "top": float(vs.iloc[0]) if len(vs) else float("nan"),
                    "linear_not_drawn": int(
                        lin.groupby("mode")["t_half"].apply(lambda t: t.isna().any()).sum()
                    ),
                }
            else:
                row["vs_linear"] = None
            facts["wide" if wide else "top"] = row
            per_level = theory.assign(level=theory["mode"].map(level_of))
            per_level = per_level.assign(ratio=per_level["t_half"] / per_level["t_theory"])
            log.info(
                "%s, B = %d, lr = %.4g (%d seeds): mean measured/theory half-time ratio %.3f; per "
                "level (s range, measured/theory mean, half-learning epochs, modes x seeds not "
                "half learnt by epoch %d):\n%s",
                variant,
                b,
                lr,
                curves["seed"].nunique(),
                ratio,
                curves["epoch"].max(),
                per_level.groupby("level")
                .agg(
                    s_min=("s", "min"),
                    s_max=("s", "max"),
                    ratio=("ratio", "mean"),
                    t_min=("t_half", "min"),
                    t_max=("t_half", "max"),
                    not_learnt=("t_half", lambda t: int(t.isna().sum())),
                )
                .to_string(),
            )
            log.info(
                "B = %d: largest singular value of the map %.2f (s_max %.2f)",
                b,
                curves["sv"].max(),
                curves["s"].max(),
            )
        wide_params = io.read_params(job.input.wide_curves)["tree_wide"]
        stable = search[search["stable"]]
        unstable = search[~search["stable"]]
        facts["search"] = {
            "limit": limit,
            "fraction": float(facts["wide"]["lr"] / limit),
            "low": float(search["lr"].min()),
            "rates": [float(v) for v in stable["lr"].iloc[:3]],
            "diverged_at": float(unstable["lr"].iloc[0]) if len(unstable) else float("nan"),
            "diverged_epoch": int(unstable["epoch"].iloc[0]) if len(unstable) else 0,
            "epochs": int(wide_params["lr_search"]["epochs"]),
            "flow": float(search["gradient_flow_limit"].iloc[0]),
            "flow_factor": float(limit / search["gradient_flow_limit"].iloc[0]),
            # the top row's rate against the wide tree's largest stable rate
            "top_lr_unstable_wide": bool(facts["top"]["lr"] > limit),
        }

        row = rows[0][1].iloc[0]
        wide_row = rows[1][1].iloc[0]
        n_seeds = sorted({r[0]["seed"].nunique() for r in rows})
        handles, labels = [], []
        for lev in sorted(set().union(*counts.values())):
            handles.append(Line2D([], [], color=level_colour(lev), lw=1.4, marker="o", ms=3.5))
            parts = [
                f"B = {b}: {n[lev]}" + (" (right only)" if lev > max_levels[b] else "")
                for b, n in counts.items()
                if lev in n
            ]
            labels.append(f"tree level {lev}, modes: {', '.join(parts)}")
        handles.append(Line2D([], [], color="0.3", ls="--", lw=0.8))
        labels.append(r"$s_\alpha$ of $\Sigma^{yx}$ (left)")
        handles += [
            Line2D([], [], color="0.3", lw=1.4),
            Line2D([], [], color="0.3", lw=0.5),
            Line2D([], [], color="0.3", ls="none", marker="o", ms=3.5),
            Line2D([], [], color="k", ls="--", lw=1),
        ]
        labels += [
            "seed 0",
            "other seeds",
            f"{name} net: mean, s.d. over {'/'.join(map(str, n_seeds))} seeds",
            rf"decoupled linear theory ($\tau=F/2\eta$, $N_l$={int(row['n_layers'])}, "
            rf"$a^0$ = {row['a0']:.3f} / {wide_row['a0']:.3f})",
        ]
        hidden = list(job.params.network["hidden_units"])
        fig.suptitle(f"{name} net, hidden units {hidden}", fontsize=10)
        fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=7)
        facts["hidden_units"] = hidden
        hidden_levels = [lev for lev in facts["wide"]["levels"] if not lev["shown_left"]]
        facts["right_only_levels"] = [lev["level"] for lev in hidden_levels]
        facts["right_only_modes"] = sum(lev["n_modes"] for lev in hidden_levels)
        job.save_figure(fig, facts=facts)
        log.info("facts: %s", facts)
