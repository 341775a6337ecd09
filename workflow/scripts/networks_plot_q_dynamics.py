"""Figure `q_dynamics`: q^l against layer l (Poole et al. 2016, Fig. 1B)."""

import numpy as np

from dltheory import io, style


def layers_to_converge(curve, tol=0.01):
    """First layer from which the iterated map stays within ``tol`` (relative) of q*,
    or None when it does not within the table's depth."""
    q_star = curve["q_star"].iloc[0]
    far = np.abs(curve["q"].to_numpy() - q_star) > tol * q_star
    if far[-1]:
        return None
    return int(curve["layer"].to_numpy()[np.flatnonzero(far)[-1] + 1]) if far.any() else 0


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import activations

        log = job.log
        theory = io.read_table(job.input.theory)
        sim = io.read_table(job.input.simulation)
        if theory["q0"].nunique() > len(style.PALETTE):
            raise ValueError(
                f"networks.q_dynamics.q0 has {theory['q0'].nunique()} lengths; the figure "
                f"tells at most {len(style.PALETTE)} apart"
            )
        label = activations.get(theory["activation"].iloc[0]).label
        width = int(sim["width"].iloc[0])
        n_nets = int(sim.groupby("sigma_w")["seed"].nunique().min())

        sigmas = sorted(theory["sigma_w"].unique())
        fig, axes = style.figure(ncols=len(sigmas), width=3.4, height=3.2, squeeze=False)
        settings = []
        for ax, sigma_w in zip(axes[0], sigmas, strict=True):
            th = theory[theory["sigma_w"] == sigma_w]
            sm = sim[sim["sigma_w"] == sigma_w]
            style.iteration_panel(ax, th, sm, "q", "q0", "q_star", ms=3.5)
            top = max(th["q"].max(), sm.groupby(["layer", "q0"])["q"].mean().max())
            ax.set(xlabel="layer $l$", ylabel="$q^l$", ylim=(0, 1.08 * top))
            ax.set_title(
                rf"$\sigma_w={sigma_w:g}$, $\sigma_b={th['sigma_b'].iloc[0]:g}$, {label}: "
                rf"$q^*={th['q_star'].iloc[0]:.3f}$"
            )
            last = sm[sm["layer"] == sm["layer"].max()].groupby("q0")["q"].mean()
            converge = [layers_to_converge(c) for _, c in th.groupby("q0")]
            settings.append(
                {
                    "sigma_w": float(sigma_w),
                    "q_star": float(th["q_star"].iloc[0]),
                    "layers": None if None in converge else max(converge),
                    "sim_dev": float(np.max(np.abs(last.to_numpy() / th["q_star"].iloc[0] - 1))),
                }
            )
            log.info(
                "sigma_w %g: q at layer %d by q0: %s", sigma_w, sm["layer"].max(), last.to_dict()
            )
        nets = "one net" if n_nets == 1 else f"mean of {n_nets} nets"
        style.iteration_legend(
            fig,
            axes[0][0],
            "q",
            "q-map",
            f"{nets}, N={width}, fresh weights per layer",
            ms=3.5,
        )
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
                "depth": int(theory["layer"].max()),
                "settings": settings,
                "all_converge": all(s["layers"] is not None for s in settings),
                "max_layers": max((s["layers"] or 0) for s in settings),
            },
        )
        log.info("wrote %s", list(job.output))
