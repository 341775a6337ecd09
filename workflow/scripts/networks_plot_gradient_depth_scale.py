"""Figure `gradient_depth_scale`: |dE/dW^l|^2 against exp(-(L-l)/xi_grad) (Schoenholz Fig. 3)."""

import numpy as np
from matplotlib.lines import Line2D

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        theory = io.read_table(job.input.theory).sort_values("sigma_w")
        norms = io.read_table(job.input.norms)
        depth = int(norms["layer"].max())
        colours = [
            style.REGIME_COLOURS[k] for k in ("ordered", "critical", "chaotic")
        ] + style.PALETTE
        fig, ax = style.figure(width=4.2, height=3.4)
        for colour, th in zip(colours, theory.itertuples(), strict=False):
            sub = norms[norms["sigma_w"] == th.sigma_w]
            piv = sub.pivot(index="layer", columns="seed", values="grad_w_sq")
            rel = piv / piv.loc[depth]
            mean = rel.mean(axis=1)
            ax.plot(mean.index, mean, "o", ms=3.5, color=colour)
            layer = np.arange(1, depth + 1)
            ax.plot(
                layer,
                np.exp(-(depth - layer) / th.xi_grad),
                color=colour,
                # at chi_1 = 1 up to rounding xi_grad is ~1e15: say infinite
                label=rf"$\chi_1={th.chi1:.2f}$, $\xi_\nabla="
                + (r"\infty$" if abs(th.xi_grad) > 1e6 else f"{th.xi_grad:.3g}$"),
            )
        ax.set(
            yscale="log",
            xlabel="layer $l$",
            ylabel=r"$|\partial E/\partial W^l|^2 / |\partial E/\partial W^L|^2$",
        )
        ax.set_title(rf"tanh, $\sigma_b={theory['sigma_b'].iloc[0]:g}$, L={depth}")
        n_nets = norms.groupby("sigma_w")["seed"].nunique().min()  # seeds differ per setting
        handles, labels = ax.get_legend_handles_labels()
        handles += [
            Line2D([], [], color="0.3"),
            Line2D([], [], ls="none", marker="o", ms=3.5, color="0.3"),
        ]
        labels += [r"theory $e^{-(L-l)/\xi_\nabla}$", f"mean over {n_nets} nets"]
        # beside the panel: the points fill the lower left and the lines the upper right
        fig.legend(handles, labels, loc="outside right center")
        job.save_figure(fig)
        log.info("wrote %s", list(job.output))
