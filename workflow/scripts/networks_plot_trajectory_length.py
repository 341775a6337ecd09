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
        from dltheory import activations

        log = job.log
        cfg = job.cfg
        sim = io.read_table(job.input.simulation)
        theory = io.read_table(job.input.theory)
        acts = list(dict.fromkeys(theory["activation"]))
        depth = int(theory["layer"].max())
        if theory["sigma_w"].nunique() > len(style.PALETTE):
            raise ValueError(
                f"networks.trajectory_length.sigma_w has {theory['sigma_w'].nunique()} values; "
                f"the figure tells at most {len(style.PALETTE)} apart"
            )

        n_nets = int(sim.groupby(["activation", "sigma_w"])["seed"].nunique().min())
        fig, axes = style.figure(ncols=len(acts), width=4.0, height=3.4)
        panels = []
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
            homogeneous = activations.get(act).homogeneous
            at = f"$q^0$={cfg['q0']:g}" if homogeneous else "at $q^*$"
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
            settings = []
            for sigma_w, th in groups:
                sm = sim_act[sim_act["sigma_w"] == sigma_w].groupby("layer")["ratio"].mean()
                mf = th.set_index("layer")["mean_field"].reindex(sm.index)
                # the first layer from which the measured mean stays below 0.8 of the line
                low = (sm / mf < 0.8).to_numpy()
                below = None
                if low[-1]:
                    below = int(sm.index[np.flatnonzero(~low)[-1] + 1]) if (~low).any() else 0
                settings.append(
                    {
                        "sigma_w": float(sigma_w),
                        "growth": float(th["growth"].iloc[0]),
                        "q0": float(th["q0"].iloc[0]),
                        "last_ratio": float(sm.iloc[-1]),
                        "last_mean_field": float(mf.iloc[-1]),
                        "below_from": below,
                    }
                )
            panel = {
                "activation": style.activation_name(act),
                "sigma_b": float(sigma_b),
                "homogeneous": homogeneous,
                "has_bound": bool(has_bound),
                "settings": settings,
            }
            if has_bound:
                sw = np.array([s["sigma_w"] for s in settings])
                panel.update(
                    min_over_bound=float(check["min_over_bound"].min()),
                    mean_over_bound=float((check["mean_step"] / check["bound_factor"]).mean()),
                    bound_growing=[float(x) for x in sw[sw > np.sqrt(2 * np.pi)]],
                    bound_growth_max=float(sw.max() / np.sqrt(2 * np.pi)),
                    row_form_min=float((sw.min() / np.sqrt(2 * np.pi * cfg["width"])) ** depth),
                    row_form_max=float((sw.max() / np.sqrt(2 * np.pi * cfg["width"])) ** depth),
                    loose=float(np.pi ** (depth / 2)),
                )
            panels.append(panel)
        job.save_figure(
            fig,
            facts={"n_nets": n_nets, "depth": depth, "panels": panels},
        )
        log.info("wrote %s", list(job.output))
