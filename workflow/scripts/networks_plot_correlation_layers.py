"""Figure `correlation_layers`: c^l of two inputs for chi_1 < 1, = 1, > 1 (Sheet 2 Q1)."""

from matplotlib.lines import Line2D

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        theory = io.read_table(job.input.theory)
        sim = io.read_table(job.input.simulation)
        c0s = sorted(theory["c0"].unique())
        n_nets = sim["seed"].nunique() // theory["sigma_w"].nunique()
        fig, axes = style.figure(ncols=len(c0s), width=3.5, height=3.1, squeeze=False)
        for ax, c0 in zip(axes[0], c0s, strict=True):
            for (sigma_w, th), colour in zip(
                theory[theory["c0"] == c0].groupby("sigma_w", sort=True),
                [style.REGIME_COLOURS[k] for k in ("ordered", "critical", "chaotic")]
                + style.PALETTE,
                strict=False,
            ):
                chi1 = th["chi1"].iloc[0]
                ax.plot(
                    th["layer"],
                    th["c"],
                    color=colour,
                    label=rf"$\sigma_w={sigma_w:.3f}$, $\chi_1={chi1:.2f}$",
                )
                sm = sim[(sim["sigma_w"] == sigma_w) & (sim["c0"] == c0)].groupby("layer")["c"]
                ax.errorbar(
                    sm.mean().index, sm.mean(), yerr=sm.std(), fmt="o", ms=2.5, lw=0.8, color=colour
                )
            ax.set(xlabel="layer $l$", ylabel="$c^l$", ylim=(-0.05, 1.05))
            ax.set_title(rf"$c^0={c0:g}$, $\sigma_b={theory['sigma_b'].iloc[0]:g}$, tanh")
        handles, labels = axes[0][0].get_legend_handles_labels()
        handles += [
            Line2D([], [], color="0.3"),
            Line2D([], [], ls="none", marker="o", ms=2.5, color="0.3"),
        ]
        labels += [
            "C-map iterated",
            f"mean, s.d. over {n_nets} nets of N={int(sim['width'].iloc[0])}",
        ]
        # below the panels: the curves fill every corner
        fig.legend(handles, labels, loc="outside lower center", ncols=3)
        job.save_figure(fig)
        log.info("wrote %s", list(job.output))
