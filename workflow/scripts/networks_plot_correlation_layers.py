"""Figure `correlation_layers`: c^l of two inputs for chi_1 < 1, = 1, > 1 (Sheet 2 Q1)."""

from matplotlib.lines import Line2D

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import activations, meanfield

        log = job.log
        theory = io.read_table(job.input.theory)
        sim = io.read_table(job.input.simulation)
        label = activations.get(theory["activation"].iloc[0]).label
        c0s = sorted(theory["c0"].unique())
        depth = int(theory["layer"].max())
        fixed = theory.groupby("sigma_w", sort=True)[["chi1", "c_star"]].first()
        if len(fixed) > len(style.PALETTE) - 1:
            raise ValueError(
                f"networks.correlation_layers.sigma_w_factor has {len(fixed)} values; the "
                f"figure tells at most {len(style.PALETTE) - 1} apart"
            )
        colours = dict(zip(fixed.index, style.regime_colours(fixed["chi1"]), strict=True))
        n_nets = int(sim.groupby("sigma_w")["seed"].nunique().min())
        width = int(sim["width"].iloc[0])
        fig, axes = style.figure(ncols=len(c0s), width=3.5, height=3.1, squeeze=False)
        for ax, c0 in zip(axes[0], c0s, strict=True):
            for sigma_w, th in theory[theory["c0"] == c0].groupby("sigma_w", sort=True):
                chi1 = th["chi1"].iloc[0]
                colour = colours[sigma_w]
                ax.plot(
                    th["layer"],
                    th["c"],
                    color=colour,
                    label=rf"$\sigma_w={sigma_w:.3f}$, $\chi_1={chi1:.2f}$ "
                    f"({meanfield.phase(chi1)})",
                )
                sm = sim[(sim["sigma_w"] == sigma_w) & (sim["c0"] == c0)].groupby("layer")["c"]
                ax.errorbar(
                    sm.mean().index, sm.mean(), yerr=sm.std(), fmt="o", ms=2.5, lw=0.8, color=colour
                )
            per_layer = sim[sim["c0"] == c0].groupby(["sigma_w", "layer"])["c"]
            # every error bar on the axes, also where chaotic nets wander below zero
            bottom = min(-0.05, (per_layer.mean() - per_layer.std().fillna(0)).min())
            ax.set(xlabel="layer $l$", ylabel="$c^l$", ylim=(bottom - 0.02, 1.05))
            ax.set_title(rf"$c^0={c0:g}$, $\sigma_b={theory['sigma_b'].iloc[0]:g}$, {label}")
        handles, labels = axes[0][0].get_legend_handles_labels()
        handles += [
            Line2D([], [], color="0.3"),
            Line2D([], [], ls="none", marker="o", ms=2.5, color="0.3"),
        ]
        labels += [
            "C-map iterated",
            f"mean, s.d. over {n_nets} nets of N={width}",
        ]
        # below the panels: the curves fill every corner
        # one column under a single panel: three would be wider than the figure
        fig.legend(handles, labels, loc="outside lower center", ncols=1 if len(c0s) == 1 else 3)
        settings = []
        for sigma_w, fp in fixed.iterrows():
            th_last = theory[(theory["sigma_w"] == sigma_w) & (theory["layer"] == depth)]["c"]
            sm_last = sim[(sim["sigma_w"] == sigma_w) & (sim["layer"] == depth)]
            sm_last = sm_last.groupby("c0")["c"].mean()
            settings.append(
                {
                    "sigma_w": float(sigma_w),
                    "chi1": float(fp["chi1"]),
                    "regime": meanfield.phase(fp["chi1"]),
                    "c_star": float(fp["c_star"]),
                    "map_lo": float(th_last.min()),
                    "map_hi": float(th_last.max()),
                    "sim_lo": float(sm_last.min()),
                    "sim_hi": float(sm_last.max()),
                }
            )
        job.save_figure(
            fig,
            facts={
                "activation": label,
                "width": width,
                "n_nets": n_nets,
                "depth": depth,
                "n_c0": len(c0s),
                "settings": settings,
            },
        )
        log.info("settings %s", settings)
        log.info("wrote %s", list(job.output))
