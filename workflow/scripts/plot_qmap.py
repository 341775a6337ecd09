"""Figure `qmap`: the length map for the configured activation (Poole et al. 2016, Fig. 1A)."""

import numpy as np
from matplotlib.lines import Line2D

from dltheory import activations, io, style

#: the activation of the paper's figures (Poole et al. 2016 draw them for tanh)
PAPER_ACTIVATION = "tanh"


def rst_label(name):
    """An activation's label for a reST caption (math as :math:, ``|`` escaped)."""
    label = activations.get(name).label
    if label.startswith("$") and label.endswith("$"):
        return f":math:`{label[1:-1]}`"
    return label.replace("|", r"\|").replace("*", r"\*")


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        theory = io.read_table(job.input.theory)
        sim = io.read_table(job.input.simulation)
        act = theory["activation"].iloc[0]
        sigma_b = float(theory["sigma_b"].iloc[0])
        width = int(sim["width"].iloc[0])
        q_max = float(theory["q_in"].max())

        fig, ax = style.figure(width=3.6, height=3.9)
        groups = list(theory.groupby("sigma_w", sort=True))
        colours = style.PALETTE * (len(groups) // len(style.PALETTE) + 1)
        for colour, (sigma_w, curve) in zip(colours, groups, strict=False):
            ax.plot(curve["q_in"], curve["q_out"], color=colour, label=rf"$\sigma_w={sigma_w:g}$")
            q_star = curve["q_star"].iloc[0]
            if np.isfinite(q_star) and q_star <= q_max:
                ax.plot(
                    [q_star], [q_star], marker="*", ms=11, color=colour, mec="k", mew=0.5, zorder=5
                )
            dots = sim[sim["sigma_w"] == sigma_w]
            # not clipped: the last input sits on the axis' end (q_max)
            ax.plot(dots["q_in"], dots["q_out"], "o", ms=3, color=colour, alpha=0.8, clip_on=False)
        ax.plot([0, q_max], [0, q_max], "--", color="0.5", lw=1, label="identity")
        ax.set(xlim=(0, q_max), ylim=(0, q_max), xlabel=r"$q^{l-1}$", ylabel=r"$q^{l}$")
        ax.set_title(rf"Length map, $\phi$ = {style.activation_name(act)}, $\sigma_b={sigma_b:g}$")
        handles, labels = ax.get_legend_handles_labels()
        handles += [
            Line2D([], [], color="0.3", ls="none", marker="o", ms=3),
            Line2D([], [], color="0.3", ls="none", marker="*", ms=11, mec="k", mew=0.5),
        ]
        labels += [f"one random layer, N={width}", r"fixed point $q^*$"]
        # below the axes: the curves and dots fill the square
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=2,
            fontsize=7,
            title="lines: mean-field length map",
            title_fontsize=7,
        )
        per_sw = theory.groupby("sigma_w", sort=True).first()
        q_stars = per_sw["q_star"].to_numpy(dtype=float)
        slopes = per_sw["chi_q"].to_numpy(dtype=float)
        finite = np.isfinite(q_stars)
        facts = {
            "paper_activation": act == PAPER_ACTIVATION,
            "activation": rst_label(act),
            "sigma_w": [float(s) for s in per_sw.index],
            "sigma_b": sigma_b,
            "width": width,
            "q_max": q_max,
            "n_curves": len(per_sw),
            "n_finite": int(finite.sum()),
            "n_stable": int(np.sum(finite & (slopes < 1))),
            "infinite_sigma_w": [float(s) for s in per_sw.index[~finite]],
            "beyond_sigma_w": [float(s) for s in per_sw.index[finite & (q_stars > q_max)]],
            "unstable_sigma_w": [float(s) for s in per_sw.index[finite & ~(slopes < 1)]],
        }
        log.info("facts: %s", facts)
        job.save_figure(fig, facts=facts)
        log.info("wrote %s", list(job.output))
