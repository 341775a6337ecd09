"""Figure `depth_scales`: xi_q and xi_c against sigma_w^2 (Schoenholz et al. 2017, Fig. 1).

Left and middle: the raw decays |q^l - q*| and |c^l - c*| against l (Fig. 1a) from which
the scales are fitted, with the finite-width floor (3 s.e. over nets); right: the scales.
"""

import numpy as np
from matplotlib.lines import Line2D

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import meanfield

        log = job.log
        cfg = job.cfg
        theory = io.read_table(job.input.theory)
        fit = io.read_table(job.input.fit)
        lengths = io.read_table(job.input.lengths)
        correlations = io.read_table(job.input.correlations)
        act, sb = cfg["activation"], float(np.sqrt(cfg["sigma_b2"]))

        fig, (ax_q, ax_c, ax) = style.figure(ncols=3, width=3.4, height=3.3)
        shown = [s for s in (1.0, 1.5, 1.75, 2.5, 4.0) if np.any(np.isclose(cfg["sigma_w2"], s))]
        colours = dict(zip(shown, style.PALETTE, strict=False))
        for sw2 in shown:
            sw = float(np.sqrt(sw2))
            for axis, table, col, target in (
                (ax_q, lengths, "q", float(meanfield.q_star(sw, sb, act))),
                (ax_c, correlations, "c", float(meanfield.c_star(sw, sb, act))),
            ):
                sub = table[np.isclose(table["sigma_w"], sw)]
                per_net = sub.assign(dev=sub[col] - target).groupby(["layer", "seed"])["dev"].mean()
                dev = per_net.groupby("layer")
                mean, se = dev.mean().abs(), dev.std() / np.sqrt(dev.count())
                axis.plot(mean.index, mean, "o", ms=2.5, color=colours[sw2])
                # layer 0 is the same input in every net (s.e. 0): the floor starts at layer 1
                axis.plot(se.index[1:], 3 * se.iloc[1:], ":", lw=1, color=colours[sw2])
        for axis, name in ((ax_q, "q"), (ax_c, "c")):
            axis.set_ylim(bottom=1e-5)
            axis.set(
                yscale="log", xlabel="layer $l$", ylabel=rf"$|{name}^l-{name}^*|$ (mean of nets)"
            )
        ax_q.set_title(r"length: $|q^l-q^*|$")
        ax_c.set_title(r"correlation: $|c^l-c^*|$")

        ax.plot(theory["sigma_w2"], theory["xi_q"], color=style.PALETTE[0])
        ax.plot(theory["sigma_w2"], theory["xi_c"], color=style.PALETTE[1])
        ax.plot(fit["sigma_w2"], fit["xi_q_fit"], "o", color=style.PALETTE[0], ms=4)
        ax.plot(fit["sigma_w2"], fit["xi_c_fit"], "s", color=style.PALETTE[1], ms=4)
        ax.plot(fit["sigma_w2"], fit["xi_q_map"], "o", color=style.PALETTE[0], ms=8, mfc="none")
        ax.plot(fit["sigma_w2"], fit["xi_c_map"], "s", color=style.PALETTE[1], ms=8, mfc="none")
        crit = theory.iloc[(theory["chi1"] - 1).abs().argmin()]["sigma_w2"]
        ax.axvline(crit, color="0.6", ls=":", lw=1)
        ax.set(xlabel=r"$\sigma_w^2$", ylabel="depth scale (layers)", yscale="log")
        ax.set_title(rf"tanh, $\sigma_b^2={cfg['sigma_b2']:g}$")

        handles = [Line2D([], [], ls="none", marker="o", ms=3, color=colours[s]) for s in shown]
        labels = [rf"$\sigma_w^2$={s:g}" for s in shown]
        handles += [
            Line2D([], [], color="0.3", ls=":", lw=1),
            Line2D([], [], color=style.PALETTE[0]),
            Line2D([], [], color=style.PALETTE[1]),
            Line2D([], [], ls="none", marker="o", ms=4, color="0.3"),
            Line2D([], [], ls="none", marker="o", ms=8, mfc="none", color="0.3"),
            Line2D([], [], color="0.6", ls=":", lw=1),
        ]
        labels += [
            f"3 s.e. over {cfg['n_seeds']} nets (fits stop there)",
            r"$\xi_q$ theory (right)",
            r"$\xi_c$ theory (right)",
            rf"fit to the simulation, N={cfg['width']} (o: $\xi_q$, s: $\xi_c$)",
            "same fit on the mean-field iteration",
            r"$\chi_1=1$",
        ]
        fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=7)
        job.save_figure(fig)
        log.info("wrote %s", list(job.output))
