"""Figure `saxe_analytic`: equations (4) and (5) against the Euler runs (Exercise 1.3)."""

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        data = io.read_table(job.input.data)
        a0 = job.params.a0
        fig, axes = style.figure(ncols=2, width=3.7, height=3.2, sharey=True)
        styles = {
            "euler": dict(ls="-", lw=1.6, alpha=0.55),
            "theory_a0": dict(ls="--", lw=1.2),
            "theory_own": dict(ls=":", lw=1.6),
        }
        for ax, net in zip(axes, ["deep", "shallow"], strict=True):
            part = data[data["net"] == net]
            for colour, (_mode, curve) in zip(style.PALETTE, part.groupby("mode"), strict=False):
                for kind, kw in styles.items():
                    c = curve[curve["curve"] == kind]
                    ax.plot(c["t"], c["value"], color=colour, **kw)
            ax.set(
                xlabel="t",
                title="one hidden layer, eq. (4)" if net == "deep" else "shallow, eq. (5)",
            )
        axes[0].set_ylabel("singular value")
        handles = [axes[0].plot([], [], color="0.3", **kw)[0] for kw in styles.values()]
        labels = [
            "Euler simulation",
            rf"theory, $a^0=b^0={a0:g}$",
            "theory from the run's own $a^0$",
        ]
        for colour, (mode, curve) in zip(style.PALETTE, data.groupby("mode"), strict=False):
            handles.append(axes[0].plot([], [], color=colour, lw=1.6)[0])
            labels.append(rf"mode {mode + 1}: $s={curve['s'].iloc[0]:.3g}$")
        # below the panels: the curves cross both panels everywhere
        fig.legend(handles, labels, loc="outside lower center", ncols=4)
        deep = data[data["net"] == "deep"]
        gap = (
            deep.pivot_table(index=["t", "mode"], columns="curve", values="value")
            .eval("abs(theory_a0 - euler)")
            .max()
        )
        own = (
            deep.pivot_table(index=["t", "mode"], columns="curve", values="value")
            .eval("abs(theory_own - euler)")
            .max()
        )
        a_init = deep[(deep["curve"] == "euler") & (deep["t"] == 0)].sort_values("mode")["value"]
        log.info(
            "one hidden layer: the run starts at a0 = %s (the sheet's a0 = %g)",
            a_init.round(3).tolist(),
            a0,
        )
        job.save_figure(fig)
        log.info("max |theory(a0) - Euler| = %.4f, max |theory(own a0) - Euler| = %.4f", gap, own)
