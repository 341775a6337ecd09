"""Figure `curvature`: Euclidean length, extrinsic curvature and Grassmannian length of a
great circle of inputs after each layer, simulation against the mean-field recursions
(Poole et al. 2016, Figs. 3-4)."""

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from dltheory import io, style


def setting_facts(theory, fd, exact) -> list[dict]:
    """Per sigma_w: the recursion's numbers at the input and the last layer, and the
    simulation against it (exact derivatives) and the resolution of the differences."""
    from dltheory import meanfield

    out = []
    for sw, th in theory.groupby("sigma_w", sort=True):
        th = th.set_index("layer").sort_index()
        last = int(th.index.max())
        chi1 = float(th["chi1"].iloc[0])
        kstar = float(th["kappa_star"].iloc[0])
        ex = exact[exact["sigma_w"] == sw].set_index("layer").sort_index()
        f = fd[fd["sigma_w"] == sw].set_index("layer").sort_index()
        layers = ex.index.intersection(th.index)
        dev = {
            col: ex.loc[layers, col] / th.loc[layers, col] - 1.0
            for col in ("length_ratio", "grassmann", "kappa2")
        }
        unresolved = f.index[~f["resolved"].astype(bool)]
        row = {
            "sigma_w": float(sw),
            "regime": meanfield.phase(chi1),
            "chi1": chi1,
            "sqrt_chi1": chi1**0.5,
            "last": last,
            "kappa_input": float(th.loc[0, "kappa"]),
            "kappa_last": float(th.loc[last, "kappa"]),
            "kappa2_last": float(th.loc[last, "kappa2"]),
            "length_last": float(th.loc[last, "length_ratio"]),
            "grassmann_last": float(th.loc[last, "grassmann"]),
            "grassmann_limit": float(th["grassmann_limit"].iloc[0]),
            "kappa_star": kstar,
            "finite_star": bool(np.isfinite(kstar)),
            # exact derivatives against the recursion, every layer
            "geometry_pct": 100
            * float(max(dev["length_ratio"].abs().max(), dev["grassmann"].abs().max())),
            "kappa2_above_pct": 100 * float(max(dev["kappa2"].max(), 0.0)),
            "kappa2_below_pct": 100 * float(max(-dev["kappa2"].min(), 0.0)),
            "kappa2_sim_last": float(ex.loc[last, "kappa2"]),
            "kappa2_sd_last": float(ex.loc[last, "kappa2_sd"]),
            "kappa2_rel_sd_last": float(ex.loc[last, "kappa2_sd"] / ex.loc[last, "kappa2"]),
            "all_resolved": bool(len(unresolved) == 0),
            "first_unresolved": int(unresolved.min()) if len(unresolved) else -1,
            "fd_length_last": float(f.loc[last, "length_ratio"]),
            "fd_kappa2_last": float(f.loc[last, "kappa2"]),
        }
        if row["finite_star"]:  # first layer where kbar^2 is within 3% of kbar*^2
            near = th.index[(th["kappa2"] / kstar**2 - 1.0).abs() <= 0.03]
            row["near_star_layer"] = int(near.min()) if len(near) else -1
        out.append(row)
    return out


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import activations, curvature

        log = job.log
        cfg = job.cfg
        theory = io.read_table(job.input.theory)
        sim = pd.concat([io.read_table(p) for p in job.input.simulation], ignore_index=True)
        summary = curvature.summarise(sim, float(cfg["resolution_tolerance"]))
        fd = summary[(summary["method"] == "finite_difference") & (summary["step"] == 1)]
        exact = summary[summary["method"] == "exact"]

        panels = [
            ("length_ratio", r"length ratio $L^E_l / L^E_0$", "Euclidean length"),
            ("kappa", r"$\bar\kappa^l = \sqrt{N}\,\kappa$ (rms over $\theta$)", "curvature"),
            ("grassmann", r"Grassmannian length $L^G_l$", "Grassmannian length"),
        ]
        fig, axes = style.figure(ncols=3, width=3.5, height=3.3)
        for colour, (sw, th) in zip(style.PALETTE, theory.groupby("sigma_w", sort=True),
                                    strict=False):  # fmt: skip
            chi1 = float(th["chi1"].iloc[0])
            for ax, (col, _, _) in zip(axes, panels, strict=True):
                ax.plot(th["layer"], th[col], color=colour, lw=1.3,
                        label=rf"$\sigma_w={sw:g}$, $\chi_1={chi1:.3f}$")  # fmt: skip
                for table, marker, ms in ((fd, "o", 3.4), (exact, "x", 4.5)):
                    sm = table[table["sigma_w"] == sw].copy()
                    if col == "kappa":  # kbar = sqrt of the mean of kbar^2 over theta
                        sm["kappa"] = np.sqrt(sm["kappa2"])
                        sm["kappa_sd"] = sm["kappa2_sd"] / (2.0 * sm["kappa"])
                    for resolved, face in ((True, colour), (False, "white")):
                        pts = sm[sm["resolved"] == resolved]
                        if marker == "x" and not resolved:
                            continue
                        ax.errorbar(pts["layer"], pts[col], yerr=pts[f"{col}_sd"], fmt=marker,
                                    ms=ms, mfc=face, mec=colour, ecolor=colour, elinewidth=0.8,
                                    lw=0)  # fmt: skip
            kstar = float(th["kappa_star"].iloc[0])
            if np.isfinite(kstar):
                axes[1].axhline(kstar, color=colour, ls="--", lw=0.9)
        for ax, (_, ylabel, title) in zip(axes, panels, strict=True):
            ax.set(yscale="log", xlabel="layer $l$", ylabel=ylabel)
            ax.set_title(title)
        act = activations.get(cfg["activation"]).label
        sb = float(theory["sigma_b"].iloc[0])
        width = int(sim["width"].iloc[0])
        n_points = int(sim["n_points"].iloc[0])
        n_nets = int(summary["n_nets"].min())
        fig.suptitle(
            f"a great circle at $q^*$ through random {act} nets, $\\sigma_b={sb:g}$, N={width}"
        )
        handles, labels = axes[0].get_legend_handles_labels()
        handles += [
            Line2D([], [], color="0.3", lw=1.3),
            Line2D([], [], color="0.3", ls="--", lw=0.9),
            Line2D([], [], ls="none", marker="o", ms=3.4, color="0.3"),
            Line2D([], [], ls="none", marker="o", ms=3.4, mfc="white", mec="0.3"),
            Line2D([], [], ls="none", marker="x", ms=4.5, color="0.3"),
        ]
        labels += [
            "mean-field recursion",
            r"curvature fixed point $\bar\kappa^*$",
            f"central differences, {n_points} points (mean $\\pm$ s.d., {n_nets} nets)",
            f"not resolved (estimated error > {100 * float(cfg['resolution_tolerance']):g}%)",
            "tangent and acceleration propagated exactly",
        ]
        fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=7)
        settings = setting_facts(theory, fd, exact)
        facts = {
            "activation": activations.get(cfg["activation"]).name,
            "sigma_b": sb,
            "width": width,
            "n_points": n_points,
            "n_nets": n_nets,
            "n_exact": int(cfg["n_exact"]),
            "tolerance_pct": 100 * float(cfg["resolution_tolerance"]),
            "settings": settings,
            "chaotic": [r for r in settings if r["finite_star"]],
            "ordered": [r for r in settings if not r["finite_star"]],
            "sigma_w": [r["sigma_w"] for r in settings],
            "geometry_pct": max(r["geometry_pct"] for r in settings),
            # the relative scatter of kbar^2 between networks at the last layer is largest
            # in a setting where the curve shrinks
            "scatter_largest_where_shrinking": bool(
                any(not r["finite_star"] for r in settings)
                and max(r["kappa2_rel_sd_last"] for r in settings if not r["finite_star"])
                > max((r["kappa2_rel_sd_last"] for r in settings if r["finite_star"]), default=0)
            ),
        }
        job.save_figure(fig, facts=facts)
        log.info("summary (central differences):\n%s", fd.to_string())
        log.info("wrote %s", list(job.output))
