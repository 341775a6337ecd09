"""Figure `gradient_covariance`: covariance and correlation of the back-propagated gradients
of two inputs against L - l, and the depth scale fitted to the covariance against xi_c and
xi_grad (the covariance hypothesis, Schoenholz et al. 2017, Sec. 4)."""

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from dltheory import io, style

#: markers of the simulated widths, widest first
MARKERS = ["o", "s", "^", "D", "v"]


def above_noise(frame: pd.DataFrame, col: str, factor: float) -> pd.DataFrame:
    """The leading run of layers, from the top down, whose mean exceeds ``factor``
    standard errors (as in the fit): deeper points that pass the test by chance would be
    a selection of upward fluctuations."""
    frame = frame.sort_values("from_top")
    se = frame[f"{col}_se"]
    ok = ((frame[col] > factor * se) | ((se == 0) & (frame[col] > 0))).to_numpy()
    n_run = int(np.argmin(ok)) if not ok.all() else ok.size
    return frame.iloc[:n_run]


def xi_text(xi: float) -> str:
    return r"\infty" if not np.isfinite(xi) or abs(xi) > 1e6 else f"{xi:.3g}"


def regime_facts(regimes, reg_sim, widths, nf) -> list[dict]:
    """Per simulated sigma_w^2 of the first panels: its regime, the recursion's transient
    and the simulation against the recursion at every width (the drawn points only)."""
    from dltheory import meanfield

    out = []
    for index, th in regimes.groupby("index", sort=True):
        th = th.sort_values("from_top").set_index("from_top")
        depth = int(th.index.max())
        half = depth // 2
        chi1 = float(th["chi1"].iloc[0])
        row = {
            "sigma_w2": float(th["sigma_w2"].iloc[0]),
            "regime": meanfield.phase(chi1),
            "chi1": chi1,
            "chi_c_star": float(th["chi_c_star"].iloc[0]),
            "c_bottom": float(th.loc[depth, "c"]),
            "c_top": float(th.loc[0, "c"]),
            "recursion_bottom": float(th.loc[depth, "qt_ab"]),
            "fixed_point_bottom": float(th.loc[depth, "qt_ab_fixed_point"]),
            "chi1_bottom": chi1**depth,
            "half": half,
            "corr_half": float(th.loc[half, "corr"]),
            "widths": [],
        }
        for width in widths:
            sm = reg_sim[(reg_sim["index"] == index) & (reg_sim["width"] == width)]
            pts = above_noise(sm, "qt_ab", nf).set_index("from_top")
            if pts.empty:
                continue
            ref = th.loc[pts.index, "qt_ab"]
            dev = pts["qt_ab"] / ref - 1.0
            z = (pts["qt_ab"] - ref) / pts["qt_ab_se"]
            sm = sm.set_index("from_top")
            norm = sm["qt_aa"] / th.loc[sm.index, "qt_aa"] - 1.0
            row["widths"].append(
                {
                    "width": int(width),
                    "last": int(pts.index.max()),
                    "max_pct": 100 * float(dev.abs().max()),
                    "max_above_pct": 100 * float(max(dev.max(), 0.0)),
                    "max_z": float(z.abs().max()),
                    "norm_pct": 100 * float(norm.abs().max()),
                }
            )
        out.append(row)
    return out


def sweep_facts(sweep, fit_layers: int) -> dict:
    """The fitted depth scales of the sweep against xi_c and xi_grad: chaotic and ordered
    values whose xi_c the fit range resolves (xi_c <= fit_layers), and the others."""
    from dltheory import meanfield

    groups = {"chaotic": [], "ordered": [], "unresolved": []}
    n_dropped = 0
    for r in sweep.itertuples():
        if not np.isfinite(r.xi_fit):
            n_dropped += 1
            continue
        row = {
            "sigma_w2": float(r.sigma_w2),
            "xi_fit": float(r.xi_fit),
            "xi_fit_se": float(r.xi_fit_se),
            "xi_recursion": float(r.xi_recursion),
            "xi_c": float(r.xi_c),
            "xi_grad": abs(float(r.xi_grad)),
            "z_c": abs(float(r.xi_fit - r.xi_c)) / float(r.xi_fit_se),
            "regime": meanfield.phase(float(r.chi1)),
        }
        if not row["xi_c"] <= fit_layers:
            groups["unresolved"].append(row)
        elif row["regime"] == "chaotic":
            groups["chaotic"].append(row)
        else:
            groups["ordered"].append(row)
    chaotic, ordered = groups["chaotic"], groups["ordered"]
    out = {f"{k}_sigma_w2": [r["sigma_w2"] for r in v] for k, v in groups.items()}
    return (
        out
        | groups
        | {
            "chaotic_max_z": max((r["z_c"] for r in chaotic), default=float("nan")),
            "chaotic_nearer_xi_c": all(
                abs(r["xi_fit"] - r["xi_c"]) < abs(r["xi_fit"] - r["xi_grad"]) for r in chaotic
            ),
            "ordered_all_below": all(r["xi_fit"] < r["xi_c"] for r in ordered),
            "unresolved_all_below": all(r["xi_fit"] < r["xi_c"] for r in groups["unresolved"]),
            "n_dropped": n_dropped,
        }
    )


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import activations, gradient_covariance, meanfield

        log = job.log
        cfg = job.cfg
        layers = io.read_table(job.input.layers)
        scales = io.read_table(job.input.scales)
        fit = io.read_table(job.input.fit)
        sim = pd.concat([io.read_table(p) for p in job.input.simulation], ignore_index=True)
        summary = gradient_covariance.summarise(sim)
        nf = float(cfg["noise_factor"])

        fig, axes = style.figure(ncols=3, width=3.6, height=3.3)
        ax_cov, ax_corr, ax_xi = axes
        regimes = layers[layers["panel"] == "regimes"]
        reg_sim = summary[summary["panel"] == "regimes"]
        widths = sorted(reg_sim["width"].unique(), reverse=True)
        for index, th in regimes.groupby("index", sort=True):
            th = th.sort_values("from_top")
            chi1 = float(th["chi1"].iloc[0])
            colour = style.REGIME_COLOURS[meanfield.phase(chi1)]
            label = (
                rf"$\sigma_w^2={th['sigma_w2'].iloc[0]:.3g}$: $\chi_1={chi1:.3f}$, "
                rf"$\xi_c={xi_text(th['xi_c'].iloc[0])}$"
            )
            ax_cov.plot(th["from_top"], th["qt_ab"], color=colour, lw=1.3, label=label)
            ax_cov.plot(th["from_top"], th["qt_ab_fixed_point"], ":", color=colour, lw=1.2)
            ax_corr.plot(th["from_top"], th["corr"], color=colour, lw=1.3)
            for marker, width in zip(MARKERS, widths, strict=False):
                sm = reg_sim[(reg_sim["index"] == index) & (reg_sim["width"] == width)]
                face = colour if width == widths[0] else "white"
                for ax, col in ((ax_cov, "qt_ab"), (ax_corr, "corr")):
                    pts = above_noise(sm, col, nf)
                    ax.errorbar(pts["from_top"], pts[col], yerr=pts[f"{col}_se"], fmt=marker,
                                ms=3.2, mfc=face, mec=colour, ecolor=colour, elinewidth=0.8,
                                lw=0)  # fmt: skip
        sb2 = float(layers["sigma_b"].iloc[0]) ** 2
        act = activations.get(cfg["activation"]).label
        depth = int(regimes["from_top"].max())
        ax_cov.set(yscale="log", xlabel="$L - l$", ylabel=r"$\tilde q^{\,l}_{ab}$ (top: 1)")
        ax_cov.set_title(f"covariance, {act}, " + rf"$\sigma_b^2={sb2:.3g}$, L={depth}")
        ax_corr.set(
            yscale="log",
            xlabel="$L - l$",
            ylabel=r"$\tilde q^{\,l}_{ab} / (\tilde q^{\,l}_{aa}\tilde q^{\,l}_{bb})^{1/2}$",
        )
        ax_corr.set_title(rf"gradient correlation, $c^0={float(cfg['c0']):g}$")

        # depth scale fitted to the covariance against sigma_w^2
        ax_xi.plot(scales["sigma_w2"], scales["xi_c"], color="0.1", lw=1.4, label=r"$\xi_c$")
        ax_xi.plot(scales["sigma_w2"], np.abs(scales["xi_grad"]), "--", color="0.5", lw=1.2,
                   label=r"$|\xi_\nabla|$")  # fmt: skip
        sweep = fit[fit["panel"] == "sweep"].sort_values("sigma_w2")
        ax_xi.errorbar(sweep["sigma_w2"], sweep["xi_fit"], yerr=sweep["xi_fit_se"], fmt="o",
                       ms=3.5, color=style.PALETTE[0], elinewidth=0.9,
                       label=f"fitted to simulation, N={int(sweep['width'].iloc[0])}")  # fmt: skip
        ax_xi.plot(sweep["sigma_w2"], sweep["xi_recursion"], "x", ms=5, color=style.PALETTE[1],
                   label="the same fit of the recursion")  # fmt: skip
        top = 2.0 * float(np.nanmax(sweep[["xi_fit", "xi_recursion"]].to_numpy()))
        crit = float(np.interp(1.0, scales["chi1"], scales["sigma_w2"]))  # chi_1 increases
        ax_xi.axvline(crit, color="0.7", lw=0.8, ls=":")
        ax_xi.set(xlabel=r"$\sigma_w^2$", ylabel="depth scale (layers)", ylim=(0, top))
        ax_xi.set_title(r"decay length of $\tilde q_{ab}$")

        handles, labels = ax_cov.get_legend_handles_labels()
        handles += [Line2D([], [], color="0.3", lw=1.3), Line2D([], [], color="0.3", ls=":")]
        labels += ["recursion with the forward $c^l$", r"fixed-point limit $\chi_c(c^*)^{L-l}$"]
        for marker, width in zip(MARKERS, widths, strict=False):
            face = "0.3" if width == widths[0] else "white"
            handles.append(Line2D([], [], ls="none", marker=marker, ms=3.2, mfc=face, mec="0.3"))
            n_nets = int(reg_sim[reg_sim["width"] == width]["n_nets"].min())
            labels.append(f"simulation N={width} ({n_nets} nets, mean $\\pm$ s.e.)")
        xi_handles, xi_labels = ax_xi.get_legend_handles_labels()
        # below the panels: the curves and points fill every corner
        fig.legend(handles + xi_handles, labels + xi_labels, loc="outside lower center", ncols=4,
                   fontsize=7)  # fmt: skip
        by_regime = regime_facts(regimes, reg_sim, widths, nf)
        facts = {
            "activation": activations.get(cfg["activation"]).name,
            "sigma_b2": sb2,
            "depth": depth,
            "regimes": by_regime,
            "widths": [int(w) for w in sorted(widths)],
            "n_nets": int(reg_sim["n_nets"].min()),
            "sweep_width": int(sweep["width"].iloc[0]),
            "sweep_n_nets": int(sweep["n_nets"].min()),
            "sweep_depth": int(layers[layers["panel"] == "sweep"]["from_top"].max()),
            "jackknife_groups": gradient_covariance.JACKKNIFE_GROUPS,
            "fit_layers": int(cfg["fit_layers"]),
            **sweep_facts(sweep, int(cfg["fit_layers"])),
        }
        job.save_figure(fig, facts=facts)
        log.info("fits:\n%s", fit.to_string())
        log.info("wrote %s", list(job.output))
