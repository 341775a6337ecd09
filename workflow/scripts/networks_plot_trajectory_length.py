"""Figure `trajectory_length`: length of a circle of inputs against depth."""

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from dltheory import io, style


def per_layer_check(sim_act, th_act):
    """Measured per-layer stretch of each net over the bound's per-layer factor.

    The bound's step E||relu(W u)|| >= sqrt(N) M/2 ||u|| holds for every layer; the
    minimum over nets and layers of (ratio_l / ratio_{l-1}) / (sqrt(N) M/2) must be >= 1
    up to the scatter of one layer.
    """
    rows = []
    for sigma_w, th in th_act.groupby("sigma_w"):
        factor = th["price_bound"].iloc[1]  # (sqrt(N) M/2)^1
        sm = sim_act[sim_act["sigma_w"] == sigma_w].sort_values(["seed", "layer"])
        step = sm.groupby("seed")["ratio"].transform(lambda r: r / r.shift(1)).dropna()
        rows.append(
            {
                "sigma_w": sigma_w,
                "bound_factor": factor,
                "min_step": step.min(),
                "mean_step": step.mean(),
                "min_over_bound": step.min() / factor,
            }
        )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        cfg = job.cfg
        sim = io.read_table(job.input.simulation)
        theory = io.read_table(job.input.theory)
        acts = list(dict.fromkeys(theory["activation"]))

        fig, axes = style.figure(ncols=len(acts), width=4.0, height=3.4)
        for ax, act in zip(np.atleast_1d(axes), acts, strict=True):
            th_act, sim_act = theory[theory["activation"] == act], sim[sim["activation"] == act]
            has_bound = th_act["price_bound"].notna().all()
            groups = th_act.groupby("sigma_w", sort=True)
            for colour, (sigma_w, th) in zip(style.PALETTE, groups, strict=False):
                sm = sim_act[sim_act["sigma_w"] == sigma_w].groupby("layer")["ratio"]
                ax.plot(
                    th["layer"],
                    th["mean_field"],
                    color=colour,
                    lw=1.2,
                    label=rf"$\sigma_w={sigma_w:.3g}$, "
                    rf"$\sqrt{{\chi_1}}={th['growth'].iloc[0]:.3g}$",
                )
                if has_bound:
                    ax.plot(th["layer"], th["price_bound"], ":", color=colour, lw=1.4)
                ax.errorbar(sm.mean().index, sm.mean(), yerr=sm.std(), fmt="o", ms=3, color=colour)
            sigma_b = th_act["sigma_b"].iloc[0]
            at = "at $q^*$" if th_act["q0"].nunique() > 1 or sigma_b > 0 else f"$q^0$={cfg['q0']:g}"
            ax.set(yscale="log", xlabel="layer $l$", ylabel=r"length ratio $\ell(z^l)/\ell(x)$")
            ax.set_title(
                f"{style.activation_name(act)}, $\\sigma_b$={sigma_b:g}, circle {at}, "
                f"N={cfg['width']}"
            )
            handles, labels = ax.get_legend_handles_labels()
            handles.append(Line2D([], [], ls="none", marker="o", ms=3, color="0.3"))
            labels.append(f"simulation ({cfg['n_points']} points), mean $\\pm$ s.d.")
            handles.append(Line2D([], [], color="0.3", lw=1.2))
            labels.append(r"mean field $\chi_1^{l/2}$")
            if has_bound:
                handles.append(Line2D([], [], color="0.3", ls=":", lw=1.4))
                labels.append(r"Price et al. $(\sqrt{N}M/2)^l=(\sigma_w/\sqrt{2\pi})^l$")
                check = per_layer_check(sim_act, th_act)
                log.info("per-layer stretch against the bound's factor:\n%s", check.to_string())
            # below the axes: the curves fill every corner of the log plot
            ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.25), fontsize=7)
        job.save_figure(fig)
        log.info("wrote %s", list(job.output))
