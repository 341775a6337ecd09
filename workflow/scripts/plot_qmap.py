"""Figure `qmap`: the length map for tanh (Poole et al. 2016, Fig. 1A)."""

from matplotlib.lines import Line2D

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        theory = io.read_table(job.input.theory)
        sim = io.read_table(job.input.simulation)

        fig, ax = style.figure(width=3.6, height=3.9)
        for colour, (sigma_w, curve) in zip(
            style.PALETTE, theory.groupby("sigma_w", sort=True), strict=False
        ):
            ax.plot(curve["q_in"], curve["q_out"], color=colour, label=rf"$\sigma_w={sigma_w:g}$")
            q_star = curve["q_star"].iloc[0]
            ax.plot([q_star], [q_star], marker="*", ms=11, color=colour, mec="k", mew=0.5, zorder=5)
            dots = sim[sim["sigma_w"] == sigma_w]
            ax.plot(dots["q_in"], dots["q_out"], "o", ms=3, color=colour, alpha=0.8)
        q_max = theory["q_in"].max()
        ax.plot([0, q_max], [0, q_max], "--", color="0.5", lw=1, label="identity")
        ax.set(xlim=(0, q_max), ylim=(0, q_max), xlabel=r"$q^{l-1}$", ylabel=r"$q^{l}$")
        ax.set_title(rf"Length map, $\phi=\tanh$, $\sigma_b={theory['sigma_b'].iloc[0]:g}$")
        handles, labels = ax.get_legend_handles_labels()
        handles += [
            Line2D([], [], color="0.3", ls="none", marker="o", ms=3),
            Line2D([], [], color="0.3", ls="none", marker="*", ms=11, mec="k", mew=0.5),
        ]
        labels += [f"one random layer, N={int(sim['width'].iloc[0])}", r"fixed point $q^*$"]
        # below the axes: the curves and dots fill the square
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=2,
            fontsize=7,
            title="lines: mean-field length map",
            title_fontsize=7,
        )
        job.save_figure(fig)
        log.info("wrote %s", list(job.output))
