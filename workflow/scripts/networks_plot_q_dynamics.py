"""Figure `q_dynamics`: q^l against layer l (Poole et al. 2016, Fig. 1B)."""

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        theory = io.read_table(job.input.theory)
        sim = io.read_table(job.input.simulation)

        sigmas = sorted(theory["sigma_w"].unique())
        fig, axes = style.figure(ncols=len(sigmas), width=3.4, height=3.2, squeeze=False)
        for ax, sigma_w in zip(axes[0], sigmas, strict=True):
            th = theory[theory["sigma_w"] == sigma_w]
            sm = sim[sim["sigma_w"] == sigma_w]
            style.iteration_panel(ax, th, sm, "q", "q0", "q_star", ms=3.5)
            ax.set(xlabel="layer $l$", ylabel="$q^l$", ylim=(0, 1.08 * th["q"].max()))
            ax.set_title(
                rf"$\sigma_w={sigma_w:g}$, $\sigma_b={th['sigma_b'].iloc[0]:g}$, tanh: "
                rf"$q^*={th['q_star'].iloc[0]:.3f}$"
            )
            last = sm[sm["layer"] == sm["layer"].max()].groupby("q0")["q"].mean()
            log.info(
                "sigma_w %g: q at layer %d by q0: %s", sigma_w, sm["layer"].max(), last.to_dict()
            )
        style.iteration_legend(
            fig,
            axes[0][0],
            "q",
            "q-map",
            f"one net, N={int(sim['width'].iloc[0])}, fresh weights per layer",
            ms=3.5,
        )
        job.save_figure(fig)
        log.info("wrote %s", list(job.output))
