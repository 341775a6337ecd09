"""Figure `saxe_svd_dynamics`: Euler singular values of W2 W1 and W_shallow (Exercise 1.2)."""

from matplotlib.lines import Line2D

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        data = io.read_table(job.input.data)
        cfg = io.read_params(job.input.data)["cfg"]  # eta and dt of the run that made the data
        tau, dt = 1.0 / cfg["eta"], cfg["dt"]
        sim = data[data["curve"] == "euler"]
        fig, axes = style.figure(ncols=2, width=3.6, height=3.1, sharey=True)
        titles = {"deep": r"one hidden layer: $W^2W^1$", "shallow": r"shallow: $W^{shallow}$"}
        for ax, net in zip(axes, ["deep", "shallow"], strict=True):
            part = sim[sim["net"] == net]
            for colour, (mode, curve) in zip(style.PALETTE, part.groupby("mode"), strict=False):
                s = curve["s"].iloc[0]
                ax.plot(
                    curve["t"],
                    curve["value"],
                    color=colour,
                    label=rf"$\hat a_{mode + 1}$, $s={s:.3g}$",
                )
                ax.axhline(s, color=colour, ls="--", lw=0.8)
            ax.set(
                xlabel=f"t (time units, {round(1 / dt):d} Euler updates each)", title=titles[net]
            )
        axes[0].set_ylabel("singular value")
        handles, labels = axes[0].get_legend_handles_labels()
        handles.append(Line2D([], [], color="0.3", ls="--", lw=0.8))
        labels.append(rf"$s_\alpha$ of $\Sigma^{{yx}}$ ($\tau=1/\eta={tau:g}$, $\Delta t={dt:g}$)")
        # below the panels: the curves cross the middle of both
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
        job.save_figure(fig)
        log.info("wrote %s", list(job.output))
