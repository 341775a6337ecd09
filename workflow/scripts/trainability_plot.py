"""Figures `trainability` and `trainability_dropout`: accuracy over (sigma_w^2, L), the measured
largest trainable depth and 6 xi_c."""

import matplotlib.colors as mcolors
import matplotlib.patheffects as pe
import numpy as np

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import trainability

        runs = io.read_table(job.input.runs)
        theory = io.read_table(job.input.theory)
        plan = io.read_table(job.input.plan)
        grid = trainability.accuracy_grid(runs, "train_acc")
        keep_probs = sorted(grid["keep_prob"].unique(), reverse=True)
        plan = plan[plan["keep_prob"].isin(keep_probs)]
        planned = io.read_params(job.input.plan)
        boundary = trainability.measured_boundary(runs, plan, planned)
        # the sweep's depth grid (the plan may sample none of its cells at some depths)
        grid_depths = trainability.sweep_depths(planned, keep_probs)
        sw2 = np.sort(grid["sigma_w2"].unique())
        depths = np.sort(plan["depth"].unique())
        x_edges = trainability.cell_edges(sw2)
        y_edges = np.concatenate([[0.0], trainability.cell_edges(depths)[1:]])
        n_seeds = int(grid["n_seeds"].min())
        norm = mcolors.Normalize(vmin=0.0, vmax=1.0)
        BOUNDARY_COLOUR = "#E69F00"
        UNSAMPLED = "0.8"
        # a dark rim keeps the light curves visible over the bright (trained) cells
        RIM = [pe.withStroke(linewidth=3.0, foreground="0.1")]
        # (censored, across unsampled grid depths) -> marker; open markers for the latter
        CENSORED = {("", False): "o", ("", True): "o", ("above", False): "^", ("below", False): "v"}

        fig, axes = style.figure(ncols=len(keep_probs), width=3.6, height=3.5, squeeze=False)
        for ax, kp in zip(axes[0], keep_probs, strict=True):
            sub = grid[np.isclose(grid["keep_prob"], kp)]
            # cells the plan did not sample stay grey (the axes' background)
            ax.set_facecolor(UNSAMPLED)
            table = sub.pivot(index="depth", columns="sigma_w2", values="mean")
            values = np.ma.masked_invalid(table.reindex(index=depths, columns=sw2).to_numpy())
            mesh = ax.pcolormesh(x_edges, y_edges, values, norm=norm, cmap="viridis")
            if values.mask.any():
                ax.fill_between([], [], color=UNSAMPLED, label="not sampled")
            bad = runs[np.isclose(runs["keep_prob"], kp) & runs["diverged"]]
            if len(bad):
                ax.plot(bad["sigma_w2"], bad["depth"], "rx", ms=4, label="diverged run")
            curve = theory[np.isclose(theory["keep_prob"], kp)]
            ax.plot(
                curve["sigma_w2"], curve["six_xi_c"], color="white", lw=1.6, path_effects=RIM,
                label=r"$6\,\xi_c$",
            )  # fmt: skip
            ax.plot(
                curve["sigma_w2"], curve["xi_c"], color="white", lw=1.0, ls="--", path_effects=RIM,
                label=r"$\xi_c$",
            )  # fmt: skip
            if kp < 1:
                plain = theory[np.isclose(theory["keep_prob"], 1.0)]
                ax.plot(
                    plain["sigma_w2"],
                    plain["six_xi_c"],
                    color="0.85",
                    lw=1.0,
                    ls=":",
                    path_effects=RIM,
                    label=r"$6\,\xi_c$ without dropout",
                )
            measured = boundary[np.isclose(boundary["keep_prob"], kp)]
            for (kind, gap), marker in CENSORED.items():
                pts = measured[(measured["censored"] == kind) & (measured["gap"] == gap)]
                if pts.empty:
                    continue
                label = {
                    ("", False): "largest trained L (bars: seeds)",
                    ("", True): "the same, across unsampled L",
                    ("above", False): "trains at every sampled L",
                    ("below", False): "fails at the shallowest L",
                }[kind, gap]
                ax.errorbar(
                    pts["sigma_w2"], pts["depth_max"],
                    yerr=[pts["depth_max"] - pts["spread_lo"], pts["spread_hi"] - pts["depth_max"]],
                    fmt=marker, color=BOUNDARY_COLOUR, ms=4.5, mec="0.1", mew=0.6, elinewidth=1.2,
                    capsize=2, label=label, zorder=5, mfc="white" if gap else BOUNDARY_COLOUR,
                )  # fmt: skip
            ax.set(xlim=(x_edges[0], x_edges[-1]), ylim=(0, y_edges[-1]))
            ax.set(xlabel=r"$\sigma_w^2$", ylabel="depth $L$ (hidden tanh layers)")
            title = "no dropout" if kp == 1 else rf"dropout, keep probability $\rho={kp:g}$"
            ax.set_title(title)
        legend = {}  # every label once, from whichever panel has it
        for ax in axes[0]:
            for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
                legend.setdefault(label, handle)
        fig.legend(
            legend.values(),
            legend.keys(),
            loc="outside lower center",
            ncols=min(len(legend), 2 * len(keep_probs)),
            fontsize="small",
            facecolor="0.6",
            frameon=True,
        )
        fig.colorbar(
            mesh, ax=axes[0].tolist(), label=f"training accuracy (mean of {n_seeds} seeds)"
        )
        made = io.read_params(job.input.runs)["cfg"]  # the settings the networks were trained with
        fig.suptitle(
            f"{made['data']['source']}, tanh width {made['width']}, "
            f"$\\sigma_b^2={made['sigma_b2']:g}$\n"
            f"{made['optimizer']} lr {made['lr']:g}, {made['steps']} steps of batch "
            f"{made['batch']}",
            fontsize=8,
        )
        data = io.read_table(job.input.data).iloc[0]
        plain = theory[np.isclose(theory["keep_prob"], 1.0)]
        rows = []
        for b in boundary.sort_values(
            ["keep_prob", "sigma_w2"], ascending=[False, True]
        ).itertuples():
            rows.append(
                {
                    "keep_prob": float(b.keep_prob),
                    "sigma_w2": float(b.sigma_w2),
                    "depth_max": float(b.depth_max),
                    "censored": b.censored,
                    "spread_lo": float(b.spread_lo),
                    "spread_hi": float(b.spread_hi),
                    "six_xi_c": float(b.six_xi_c),
                    "ratio": float(b.ratio),
                    "depths": list(b.depths),
                    "gap": bool(b.gap),
                }
            )
        per_kp = []
        for kp in keep_probs:
            sub = grid[np.isclose(grid["keep_prob"], kp)]
            deepest = sub[sub["depth"] == sub["depth"].max()]
            best = deepest.loc[deepest["mean"].idxmax()]
            cells = plan[np.isclose(plan["keep_prob"], kp)]
            per_kp.append(
                {
                    "keep_prob": float(kp),
                    "threshold": float(
                        boundary.loc[np.isclose(boundary["keep_prob"], kp), "threshold"].iloc[0]
                    ),
                    "deepest": int(best["depth"]),
                    "best": float(best["mean"]),
                    "best_sigma_w2": float(best["sigma_w2"]),
                    "n_cells": len(cells),
                    "n_grid": len(sw2) * len(grid_depths),
                    "depths": [int(d) for d in grid_depths],
                    "six_xi_max": float(
                        theory.loc[np.isclose(theory["keep_prob"], kp), "six_xi_c"].max()
                    ),
                }
            )
        facts = {
            "data_name": str(data["name"]),
            "n_train": int(data["n_train"]),
            "n_classes": int(data["n_classes"]),
            "chance": 1.0 / int(data["n_classes"]),
            "n_seeds": n_seeds,
            "sigma_w2": [float(v) for v in sw2],
            "keep_probs": [float(kp) for kp in keep_probs],
            # where xi_c diverges without dropout (to the theory curve's spacing)
            "critical_sigma_w2": float(plain.loc[plain["xi_c"].idxmax(), "sigma_w2"]),
            "sample_within": planned["cfg"]["sample_within"],
            "n_gap": int(boundary["gap"].sum()),
            "per_kp": per_kp,
            "boundary": rows,
            "n_diverged": int(runs["diverged"].sum()),
            "n_runs": len(runs),
        }
        job.log.info("facts %s", facts)
        job.save_figure(fig, facts=facts)
        job.log.info("wrote %s", list(job.output))
