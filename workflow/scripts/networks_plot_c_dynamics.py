"""Figure `c_dynamics`: c^l against layer l (Poole et al. 2016, Fig. 2B)."""

import numpy as np

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import activations, meanfield

        log = job.log
        theory = io.read_table(job.input.theory)
        sim = io.read_table(job.input.simulation)
        if theory["c0"].nunique() > len(style.PALETTE):
            raise ValueError(
                f"networks.c_dynamics.c0 has {theory['c0'].nunique()} values; the figure "
                f"tells at most {len(style.PALETTE)} apart"
            )
        label = activations.get(theory["activation"].iloc[0]).label
        width = int(sim["width"].iloc[0])
        n_nets = int(sim.groupby("sigma_w")["seed"].nunique().min())
        depth = int(theory["layer"].max())
        sigmas = sorted(theory["sigma_w"].unique())
        fig, axes = style.figure(ncols=len(sigmas), width=3.4, height=3.3, squeeze=False)
        settings = []
        for ax, sigma_w in zip(axes[0], sigmas, strict=True):
            th = theory[theory["sigma_w"] == sigma_w]
            sm = sim[sim["sigma_w"] == sigma_w]
            style.iteration_panel(ax, th, sm, "c", "c0", "c_star", ms=3)
            means = sm.groupby(["layer", "c0"])["c"].mean()
            # below 0 where chaotic nets wander about a small c*: every point on the axis
            bottom = min(-0.05, means.min() - 0.03)
            ax.set(xlabel="layer $l$", ylabel="$c^l$", ylim=(bottom, 1.05))
            chi1, c_star = float(th["chi1"].iloc[0]), float(th["c_star"].iloc[0])
            ax.set_title(
                rf"$\sigma_w={sigma_w:g}$, $\sigma_b={th['sigma_b'].iloc[0]:g}$, {label}, "
                rf"$\chi_1={chi1:.3f}$"
            )
            # first layer from which the map has every pair within 0.01 of c*
            far = (
                th.groupby("layer")["c"].agg(lambda c, c_star=c_star: np.abs(c - c_star).max())
                > 0.01
            )
            within = None if far.iloc[-1] else (int(far[far].index.max()) + 1 if far.any() else 0)
            late = means[means.index.get_level_values("layer") >= depth // 2]
            settings.append(
                {
                    "sigma_w": float(sigma_w),
                    "chi1": chi1,
                    "regime": meanfield.phase(chi1),
                    "c_star": c_star,
                    "xi_c": float(-1 / np.log(chi1)) if chi1 < 1 else None,
                    "map_within": within,
                    "map_last": float(np.abs(th[th["layer"] == depth]["c"] - c_star).max()),
                    "sim_last": float(
                        np.abs(means[means.index.get_level_values("layer") == depth] - c_star).max()
                    ),
                    "sim_late_max": float(np.abs(late - c_star).max()),
                    "sim_late_sd": float(np.sqrt(np.mean((late - c_star) ** 2))),
                    "sim_min": float(means.min()),
                }
            )
            last = sm[sm["layer"] == sm["layer"].max()].groupby("c0")["c"].mean()
            log.info(
                "sigma_w %g: c at layer %d by c0: %s", sigma_w, sm["layer"].max(), last.to_dict()
            )
        nets = "one net" if n_nets == 1 else f"mean of {n_nets} nets"
        style.iteration_legend(fig, axes[0][0], "c", "C-map", f"{nets}, N={width}")
        if len(sigmas) < 3:  # one row of entries is wider than one or two panels
            legend = fig.legends[-1]
            fig.legend(
                legend.legend_handles,
                [t.get_text() for t in legend.get_texts()],
                loc="outside lower center",
                ncols=2 * len(sigmas),
            )
            legend.remove()
        job.save_figure(
            fig,
            facts={
                "activation": label,
                "width": width,
                "n_nets": n_nets,
                "depth": depth,
                "late_from": depth // 2,
                "settings": settings,
            },
        )
        log.info("wrote %s", list(job.output))
