"""Figures `trainability` and `trainability_dropout`: accuracy over (sigma_w^2, L) with 6 xi_c."""

import matplotlib.colors as mcolors
import matplotlib.patheffects as pe
import numpy as np

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import trainability

        cfg = job.cfg
        runs = io.read_table(job.input.runs)
        theory = io.read_table(job.input.theory)
        grid = trainability.accuracy_grid(runs, "train_acc")
        keep_probs = sorted(grid["keep_prob"].unique(), reverse=True)
        sw2 = np.sort(grid["sigma_w2"].unique())
        depths = np.sort(grid["depth"].unique())
        x_edges = trainability.cell_edges(sw2)
        y_edges = np.concatenate([[0.0], trainability.cell_edges(depths)[1:]])
        n_seeds = int(grid["n_seeds"].min())
        norm = mcolors.Normalize(vmin=0.0, vmax=1.0)
        threshold = float(cfg["threshold"])
        THRESHOLD_COLOUR = "#E69F00"
        # a dark rim keeps the light curves visible over the bright (trained) cells
        RIM = [pe.withStroke(linewidth=3.0, foreground="0.1")]

        fig, axes = style.figure(ncols=len(keep_probs), width=3.6, height=3.3, squeeze=False)
        for ax, kp in zip(axes[0], keep_probs, strict=True):
            sub = grid[np.isclose(grid["keep_prob"], kp)]
            # cells a panel did not train (a depth of another keep probability) stay blank
            table = sub.pivot(index="depth", columns="sigma_w2", values="mean")
            values = np.ma.masked_invalid(table.reindex(index=depths, columns=sw2).to_numpy())
            mesh = ax.pcolormesh(x_edges, y_edges, values, norm=norm, cmap="viridis")
            if len(sw2) > 1 and len(depths) > 1 and values.min() < threshold < values.max():
                lines = ax.contour(
                    sw2, depths, values, levels=[threshold], colors=THRESHOLD_COLOUR, linewidths=1.2
                )
                lines.set(path_effects=RIM)
                ax.plot(
                    [], [], color=THRESHOLD_COLOUR, lw=1.2, path_effects=RIM,
                    label=f"accuracy {threshold:g} (mean)",
                )  # fmt: skip
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
            ncols=min(len(legend), 3 * len(keep_probs)),
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
        # per panel and depth: the trained range against L < 6 xi_c (as in the answers)
        data = io.read_table(job.input.data).iloc[0]
        measured = trainability.trained_range(grid, threshold)
        depth_rows = []
        for row in measured.itertuples():
            same_kp = np.isclose(grid["keep_prob"], row.keep_prob)
            cells = grid[same_kp & (grid["depth"] == row.depth)]
            curve = theory[
                np.isclose(theory["keep_prob"], row.keep_prob)
                & theory["sigma_w2"].between(cells["sigma_w2"].min(), cells["sigma_w2"].max())
            ]
            lo, hi = trainability.theory_range(curve, row.depth)
            best = cells.loc[cells["mean"].idxmax()]
            depth_rows.append(
                {
                    "keep_prob": float(row.keep_prob),
                    "depth": int(row.depth),
                    "lo": float(row.lo),
                    "hi": float(row.hi),
                    "n_trained": int(row.n_trained),
                    "n_grid": int(row.n_grid),
                    "trained": list(row.trained),
                    "contiguous": bool(row.contiguous),
                    "best": float(best["mean"]),
                    "best_sigma_w2": float(best["sigma_w2"]),
                    "theory_lo": lo,
                    "theory_hi": hi,
                }
            )
        depth_rows.sort(key=lambda r: (-r["keep_prob"], r["depth"]))  # the panels' order
        plain = theory[np.isclose(theory["keep_prob"], 1.0)]
        six_xi_max = {
            float(kp): float(theory.loc[np.isclose(theory["keep_prob"], kp), "six_xi_c"].max())
            for kp in keep_probs
        }
        facts = {
            "data_name": str(data["name"]),
            "n_train": int(data["n_train"]),
            "n_test": int(data["n_test"]),
            "n_classes": int(data["n_classes"]),
            "chance": 1.0 / int(data["n_classes"]),
            "n_seeds": n_seeds,
            "sigma_w2": [float(v) for v in sw2],
            "depths": [int(d) for d in depths],
            "keep_probs": [float(kp) for kp in keep_probs],
            # where xi_c diverges without dropout (to the theory curve's spacing)
            "critical_sigma_w2": float(plain.loc[plain["xi_c"].idxmax(), "sigma_w2"]),
            "six_xi_max": [six_xi_max[float(kp)] for kp in keep_probs],
            "per_depth": depth_rows,
            "n_diverged": int(runs["diverged"].sum()),
            "n_runs": len(runs),
        }
        job.log.info("facts %s", facts)
        job.save_figure(fig, facts=facts)
        job.log.info("wrote %s", list(job.output))
