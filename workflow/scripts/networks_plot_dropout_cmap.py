"""Figure `dropout_cmap`: correlations with dropout (Schoenholz et al. 2017, Sec. 5).

Left: c^l against l, simulation against the dropout C-map. Middle: the C-map itself near
c = 1, where dropout moves the fixed point off c = 1. Right: xi_c against sigma_w^2, with
xi_c fitted from the simulated identical-input pairs at the simulated sigma_w^2.
"""

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from dltheory import io, style

NOISE = 0.05  # |c^l - c*| below this is within the scatter of the mean over a few nets
LINESTYLES = ["-", "--", "-.", ":"]  # one per input correlation c0, in increasing order


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import activations, meanfield, network_fits

        log = job.log
        cfg = job.cfg
        sw, sb, act = cfg["sigma_w"], cfg["sigma_b"], cfg["activation"]
        it = io.read_table(job.input.iterates)
        scales = io.read_table(job.input.scales)
        sim = io.read_table(job.input.simulation)
        rhos = list(dict.fromkeys(it["keep_prob"]))
        c0s = sorted(it["c0"].unique())
        if len(c0s) > len(LINESTYLES):
            raise ValueError(
                f"config key networks.dropout.c0 has {len(c0s)} values; the figure draws at "
                f"most {len(LINESTYLES)} (one line style each)"
            )
        styles = dict(zip(c0s, LINESTYLES, strict=False))
        colours = dict(zip(rhos, style.PALETTE, strict=False))
        c_stars = {r: float(it[np.isclose(it["keep_prob"], r)]["c_star"].iloc[0]) for r in rhos}
        # the middle panel spans c from below the lowest fixed point to 1
        c_lo = min(0.8, np.floor((min(c_stars.values()) - 0.05) * 20) / 20)
        fig, (ax0, ax1, ax2) = style.figure(ncols=3, width=3.3, height=3.2)

        fits = []
        for rho in rhos:
            colour = colours[rho]
            th = it[np.isclose(it["keep_prob"], rho)]
            c_star = float(th["c_star"].iloc[0])
            for c0, curve in th.groupby("c0", sort=True):
                ax0.plot(curve["layer"], curve["c"], color=colour, ls=styles[c0])
                sm = sim[np.isclose(sim["keep_prob"], rho) & np.isclose(sim["c0"], c0)]
                m = sm.groupby("layer")["c"]
                ax0.errorbar(
                    m.mean().index, m.mean(), yerr=m.std(), fmt="o", ms=2.5, lw=0.7, color=colour
                )
                if np.isclose(c0, min(th["c0"])):
                    # pairs from the smallest c0 (largest signal): |c^l - c*| ~ exp(-l / xi_c),
                    # fitted over the layers where the map's deviation exceeds NOISE (about the
                    # s.e. of the mean over the nets), weighted by that s.e.
                    mean, se = m.mean(), m.std(ddof=1) / np.sqrt(m.count())
                    map_dev = np.abs(curve.set_index("layer")["c"] - c_star).reindex(mean.index)
                    window = (map_dev > NOISE) & (mean.index > 0)
                    layers = mean.index[window]
                    if len(layers) < 2:
                        log.info("rho %g: fewer than 2 layers above the noise, no fit", rho)
                        continue
                    xi_fit = network_fits.fit_decay_length(
                        layers, np.abs(mean[window] - c_star), se=se[window]
                    )
                    xi_map = network_fits.fit_decay_length(layers, map_dev[window])
                    xi_theory = float(meanfield.depth_scales(sw, sb, act, rho=rho)["xi_c"])
                    fits.append(
                        {
                            "keep_prob": rho,
                            "c0": c0,
                            "layers": f"{layers.min()}-{layers.max()}",
                            "n_layers": int(len(layers)),
                            "xi_fit": xi_fit,
                            "xi_map": xi_map,
                            "xi_theory": xi_theory,
                        }
                    )
            # the C-map near c = 1
            c_in = np.linspace(c_lo, 1.0, 201)
            ax1.plot(c_in, meanfield.c_map(c_in, sw, sb, act, rho=rho), color=colour)
            if c_star >= c_lo:
                ax1.plot(
                    [c_star], [c_star], "*", ms=9, color=colour, mec="k", mew=0.5, zorder=5,
                    clip_on=False,  # c* = 1 sits on the axis' end
                )  # fmt: skip
            sc = scales[np.isclose(scales["keep_prob"], rho)]
            ax2.plot(sc["sigma_w2"], sc["xi_c"], color=colour)
        ax1.plot([c_lo, 1.0], [c_lo, 1.0], color="0.5", ls=":", lw=1)
        fits = pd.DataFrame(
            fits, columns=["keep_prob", "c0", "layers", "n_layers", "xi_fit", "xi_map", "xi_theory"]
        )
        for row in fits.itertuples():
            ax2.plot(
                [sw**2], [row.xi_fit], "o", ms=6, mfc="none", mec=colours[row.keep_prob], mew=1.5
            )
            ax2.plot([sw**2], [row.xi_map], "x", ms=6, color=colours[row.keep_prob])

        label = activations.get(act).label
        c_min = min(float(it["c"].min()), float(sim["c"].min()))
        ax0.set(xlabel="layer $l$", ylabel="$c^l$", ylim=(min(-0.05, c_min - 0.1), 1.05))
        ax0.set_title(rf"{label}, $\sigma_w^2={sw**2:.3g}$, $\sigma_b^2={sb**2:.3g}$")
        ax1.set(xlabel="$c^{l}$", ylabel="$c^{l+1}$", xlim=(c_lo, 1.0))
        ax1.set_title(f"dropout C-map near $c=1$ (from {c_lo:g})")
        ax2.set(xlabel=r"$\sigma_w^2$", ylabel=r"$\xi_c$ (layers)", yscale="log")
        ax2.set_title(rf"$\xi_c$ with dropout, $\sigma_b^2={sb**2:.3g}$")
        handles = [Line2D([], [], color=colours[r], lw=1.5) for r in rhos]
        labels = [rf"$\rho={r:g}$, $c^*={c_stars[r]:.3f}$" for r in rhos]
        n_nets = sim["seed"].nunique() // it["keep_prob"].nunique()
        handles += [Line2D([], [], color="0.3", ls=styles[c0]) for c0 in c0s]
        labels += [
            f"left: C-map iterated, $c^0$={c0:g}" + (" (identical inputs)" if c0 == 1 else "")
            for c0 in c0s
        ]
        handles += [
            Line2D([], [], color="0.3", ls="none", marker="o", ms=2.5),
            Line2D([], [], color="0.3", ls="none", marker="*", ms=9, mec="k", mew=0.5),
            Line2D([], [], color="0.3", ls="none", marker="o", ms=6, mfc="none", mew=1.5),
            Line2D([], [], color="0.3", ls="none", marker="x", ms=6),
        ]
        labels += [
            f"left: simulation, N={int(sim['width'].iloc[0])}, mean $\\pm$ s.d. of {n_nets} nets",
            "middle: fixed point $c^*$ (dotted: $c^{l+1}=c^l$)",
            rf"right: $\xi_c$ fitted to the simulated $c^0$={min(it['c0']):g} pairs",
            r"right: same fit on the C-map iterated (no noise)",
        ]
        fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=7)
        log.info("fitted xi_c:\n%s", fits.to_string())
        facts = {
            "activation": act,
            "rho": rhos,
            "c_star": [c_stars[r] for r in rhos],
            "c0": c0s,
            "n_nets": int(n_nets),
            "width": int(sim["width"].iloc[0]),
            "depth": int(it["layer"].max()),
            "noise": NOISE,
            "fits": fits.to_dict("records"),
            "fit_c0": float(min(c0s)),
            "unfitted": [r for r in rhos if r not in set(fits["keep_prob"])],
        }
        job.save_figure(fig, facts=facts)
