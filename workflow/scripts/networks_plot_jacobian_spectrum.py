"""Figure `jacobian_spectrum`: input-output Jacobian singular values at criticality.

Densities of log10 s (s the singular values of J) measured in simulated nets against the
free-probability density (Pennington et al. 2017, Fig. 2), Gaussian (top row) and
orthogonal (bottom row) weights at several depths; right, the variance of the J J^T
spectrum against depth on a log axis.
"""

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import NullFormatter

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        sim = io.read_table(job.input.simulation)
        theory = io.read_table(job.input.theory)
        density = io.read_table(job.input.density)
        acts = list(dict.fromkeys(sim["activation"]))
        weights = [w for w in ("gaussian", "orthogonal") if w in set(sim["weights"])]
        rows, spreads = [], []
        depths = sorted(sim["depth"].unique())
        if len(acts) > 6:
            raise ValueError(
                f"networks.jacobian_spectrum.activations has {len(acts)} entries; the "
                "variance panel tells at most 6 apart"
            )
        if len(depths) > len(style.PALETTE):
            raise ValueError(
                f"networks.jacobian_spectrum.depths has {len(depths)} values; the figure tells "
                f"at most {len(style.PALETTE)} apart"
            )
        depth_colours = dict(zip(depths, style.PALETTE, strict=False))
        X_MIN = float(density["u_left"].iloc[0])  # log10 s below this: reported, not drawn

        def panel_range(sim_panel):
            """log10 s range of a panel: every measured value, cut at X_MIN (reported below it).

            Not a quantile range: isolated values (orthogonal tanh keeps one singular value near
            chi_q^(L/2), the input's own direction) would fall off the axis unreported.
            """
            sv = sim_panel["singular_value"].to_numpy()
            logs = np.log10(np.maximum(sv, 1e-300))
            lo, hi = max(logs.min(), X_MIN), logs.max()
            pad = 0.08 * max(hi - lo, 0.02)
            return max(lo - pad, X_MIN), hi + pad

        def isolated(counts, bins, values, gap: int = 3):
            """Mask of ``values`` in histogram bins separated from the bulk (the run of bins around
            the highest one) by at least ``gap`` empty bins."""
            filled = counts > 0
            peak = int(np.argmax(counts))
            lo = hi = peak
            while True:  # widen the bulk over gaps shorter than ``gap`` empty bins
                left = np.flatnonzero(filled[max(lo - gap, 0) : lo])
                right = np.flatnonzero(filled[hi + 1 : hi + 1 + gap])
                if not left.size and not right.size:
                    break
                lo = max(lo - gap, 0) + left[0] if left.size else lo
                hi = hi + 1 + right[-1] if right.size else hi
            index = np.clip(np.searchsorted(bins, values, side="right") - 1, 0, len(counts) - 1)
            return (index < lo) | (index > hi)

        style.apply()
        mosaic = [[f"{w}-{a}" for a in acts] + ["variance"] for w in weights]
        fig, axd = style.plt.subplot_mosaic(
            mosaic,
            figsize=(3.0 * (len(acts) + 1), 1.2 + 2.3 * len(weights)),
            constrained_layout=True,
        )
        for wts in weights:
            for act in acts:
                ax = axd[f"{wts}-{act}"]
                sim_panel = sim[(sim["activation"] == act) & (sim["weights"] == wts)]
                dens_panel = density[(density["activation"] == act) & (density["weights"] == wts)]
                xlim = panel_range(sim_panel)
                bins = np.linspace(*xlim, 50)
                top, notes = 0.0, []
                for d in depths:
                    colour = depth_colours[d]
                    sv = sim_panel[sim_panel["depth"] == d]["singular_value"].to_numpy()
                    th = dens_panel[dens_panel["depth"] == d]
                    logs = np.log10(np.maximum(sv, 1e-300))
                    point = th["point_mass_at"].iloc[0]
                    if np.isfinite(point):
                        # orthogonal linear nets are exact isometries: a point mass, no density
                        ax.axvline(np.log10(point), color=colour, lw=1.5, ls=(0, (4, 2 + d % 5)))
                        notes.append(f"L={d}: all s = {point:g} (measured spread {np.ptp(sv):.0e})")
                        spreads.append(
                            {
                                "activation": act,
                                "depth": int(d),
                                "point": float(point),
                                "spread": float(np.ptp(sv)),
                            }
                        )
                        continue
                    inside = (logs >= xlim[0]) & (logs <= xlim[1])
                    # weights 1/(n bin width): the histogram integrates to the fraction inside the
                    # range, as the theory density does
                    w = np.full(inside.sum(), 1.0 / (sv.size * np.diff(bins)[0]))
                    counts, _, _ = ax.hist(
                        logs[inside], bins=bins, weights=w, histtype="step", color=colour, lw=1.0
                    )
                    ax.plot(th["log10_sv"], th["density"], color=colour, lw=1.4)
                    # values cut off from the bulk by empty bins make bars too low to see: say so
                    far = logs[inside][isolated(counts, bins, logs[inside])]
                    if far.size:
                        notes.append(
                            f"L={d}: {far.size} isolated s near {10 ** far.mean():.2g}"
                            "\n(bars too low to see)"
                        )
                    top = max(top, counts.max())
                    below_th = float(th["mass_below_u_left"].iloc[0])
                    below_sim = float(np.mean(logs < X_MIN))
                    if xlim[0] == X_MIN and (below_th > 0.005 or below_sim > 0.005):
                        notes.append(
                            f"L={d}: {below_sim:.0%} below $10^{{{X_MIN:g}}}$ (theory "
                            f"{below_th:.0%})"
                        )
                    rows.append(
                        {
                            "activation": act,
                            "weights": wts,
                            "depth": int(d),
                            "below_sim": below_sim,
                            "below_th": below_th,
                            "zero_mass": float(th["zero_mass"].iloc[0]),
                            "isolated": int(far.size),
                            "isolated_at": float(10 ** far.mean()) if far.size else None,
                        }
                    )
                    log.info(
                        "%s %s L=%d: below 10^%g measured %.4f theory %.4f (zero mass %.2f)",
                        act,
                        wts,
                        d,
                        X_MIN,
                        below_sim,
                        below_th,
                        th["zero_mass"].iloc[0],
                    )
                point = theory[theory["activation"] == act].iloc[0]
                # the theory may diverge at an edge (relu orthogonal: 1/sqrt); scale to the data
                ax.set(
                    xlim=xlim,
                    ylim=(0, 1.3 * top if top > 0 else 1.0),
                    xlabel=r"$\log_{10} s$",
                    ylabel=r"density of $\log_{10} s$",
                )
                ax.set_title(
                    f"{style.activation_name(act)}, {wts}: $\\sigma_w$={point['sigma_w']:.3f}, "
                    f"$\\sigma_b$={point['sigma_b']:.2g}",
                    fontsize=8,
                )
                if notes:
                    ax.legend(
                        [Patch(alpha=0)] * len(notes),
                        notes,
                        loc="upper left",
                        fontsize=6,
                        handlelength=0,
                        handletextpad=0,
                    )

        ax = axd["variance"]
        lam = sim.assign(lam=sim["singular_value"] ** 2)
        var = (
            lam.groupby(["activation", "weights", "depth", "seed"])["lam"].var(ddof=0).reset_index()
        )
        var = (
            var.groupby(["activation", "weights", "depth"])["lam"]
            .agg(lam="mean", se=lambda v: v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else 0.0)
            .reset_index()
        )
        w_colours = {"gaussian": style.PALETTE[1], "orthogonal": style.PALETTE[0]}
        markers = dict(zip(acts, "so^Dvx", strict=False))
        styles = dict(zip(acts, ["-", "--", ":", "-."] * 2, strict=False))
        for (act, wts), th in theory.groupby(["activation", "weights"], sort=False):
            if (th["variance"] <= 0).all():
                continue  # orthogonal linear: variance 0, off a log axis (measured ~1e-28)
            ax.plot(th["depth"], th["variance"], styles[act], color=w_colours[wts], lw=1)
            m = var[(var["activation"] == act) & (var["weights"] == wts)]
            ax.errorbar(
                m["depth"],
                m["lam"],
                yerr=m["se"],
                fmt=markers[act],
                color=w_colours[wts],
                ms=5,
                mfc="none",
                capsize=2,
            )
        ax.set(
            xlabel="depth $L$",
            ylabel=r"variance of the $JJ^T$ spectrum",
            xscale="log",
            yscale="log",
        )
        # ticks at the simulated depths: minor labels of a short log axis run together
        ticks = sorted({1, *(int(d) for d in depths)})
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(r"free probability: $L(\mu_2/\mu_1^2-1-s_1)$", fontsize=8)
        handles = [Line2D([], [], color=c, lw=1.4) for c in depth_colours.values()]
        labels = [f"L={d}: theory (line), measured (steps)" for d in depth_colours]
        handles += [
            Line2D([], [], color=w_colours[w], marker="s", ls="none", mfc="none") for w in weights
        ]
        labels += [f"variance, {w} weights" for w in weights]
        handles += [
            Line2D([], [], color="0.3", ls=styles[a], marker=markers[a], mfc="none") for a in acts
        ]
        labels += [f"{style.activation_name(a)}: theory, measured $\\pm$ s.e." for a in acts]
        n_nets = int(sim.groupby(["activation", "weights", "depth"])["seed"].nunique().min())
        width = int(sim["index"].max()) + 1
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=4,
            fontsize=7,
            title=f"N={width}, {n_nets} nets per setting, "
            f"critical point at $q^*$={theory['q_star'].iloc[0]:.4g} (linear and ReLU: any $q$)",
            title_fontsize=7,
        )
        points = theory.groupby("activation", sort=False)[
            ["sigma_w", "sigma_b", "moment_ratio"]
        ].first()
        deepest = int(theory["depth"].max())
        at_deepest = theory[theory["depth"] == deepest].set_index(["activation", "weights"])
        job.save_figure(
            fig,
            facts={
                "width": width,
                "n_nets": n_nets,
                "depths": [int(d) for d in depths],
                "x_min": X_MIN,
                "activations": [
                    {
                        "name": style.activation_name(a),
                        "sigma_w": float(points.loc[a, "sigma_w"]),
                        "sigma_b": float(points.loc[a, "sigma_b"]),
                        "moment_ratio": float(points.loc[a, "moment_ratio"]),
                        "variance": {
                            # rounding leaves about 1e-14 where the variance is 0 (+ 0.0: no -0)
                            w: round(float(at_deepest.loc[(a, w), "variance"]), 10) + 0.0
                            for w in weights
                            if (a, w) in at_deepest.index
                        },
                        "rows": [
                            {**r, "name": style.activation_name(a)}
                            for r in rows
                            if r["activation"] == a
                        ],
                    }
                    for a in acts
                ],
                "deepest": deepest,
                "spreads": spreads,
                "n_isolated": sum(1 for r in rows if r["isolated"]),
            },
        )
        log.info("variances %s", var.to_dict("records"))
