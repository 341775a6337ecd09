"""Figure `c_dynamics`: c^l against layer l (Poole et al. 2016, Fig. 2B)."""

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        theory = io.read_table(job.input.theory)
        sim = io.read_table(job.input.simulation)
        sigmas = sorted(theory["sigma_w"].unique())
        fig, axes = style.figure(ncols=len(sigmas), width=3.4, height=3.3, squeeze=False)
        for ax, sigma_w in zip(axes[0], sigmas, strict=True):
            th = theory[theory["sigma_w"] == sigma_w]
            sm = sim[sim["sigma_w"] == sigma_w]
            style.iteration_panel(ax, th, sm, "c", "c0", "c_star", ms=3)
            # below 0 where chaotic nets wander about a small c*: every point on the axis
            bottom = min(-0.05, sm.groupby(["layer", "c0"])["c"].mean().min() - 0.03)
            ax.set(xlabel="layer $l$", ylabel="$c^l$", ylim=(bottom, 1.05))
            ax.set_title(
                rf"$\sigma_w={sigma_w:g}$, $\sigma_b={th['sigma_b'].iloc[0]:g}$, "
                rf"$\chi_1={th['chi1'].iloc[0]:.3f}$"
            )
            last = sm[sm["layer"] == sm["layer"].max()].groupby("c0")["c"].mean()
            log.info(
                "sigma_w %g: c at layer %d by c0: %s", sigma_w, sm["layer"].max(), last.to_dict()
            )
        style.iteration_legend(
            fig, axes[0][0], "c", "C-map", f"one net, N={int(sim['width'].iloc[0])}"
        )
        job.save_figure(fig)
        log.info("wrote %s", list(job.output))
