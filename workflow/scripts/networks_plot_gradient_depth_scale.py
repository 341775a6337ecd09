"""Figure `gradient_depth_scale`: |dE/dW^l|^2 against exp(-(L-l)/xi_grad) (Schoenholz Fig. 3)."""

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import activations, meanfield

        log = job.log
        theory = io.read_table(job.input.theory).sort_values("sigma_w")
        norms = io.read_table(job.input.norms)
        if theory.empty:
            raise ValueError("config key networks.gradients.sigma_w_factor gives no setting")
        depth = int(norms["layer"].max())
        label = activations.get(str(theory["activation"].iloc[0])).label
        # the phase colour of each setting; a second setting of one phase takes the palette
        colours, spare = [], iter(style.PALETTE)
        for chi1 in theory["chi1"]:
            colour = style.REGIME_COLOURS[meanfield.phase(chi1)]
            colours.append(colour if colour not in colours else next(spare))
        fig, ax = style.figure(width=4.2, height=4.4)
        rows = []
        for colour, th in zip(colours, theory.itertuples(), strict=True):
            sub = norms[np.isclose(norms["sigma_w"], th.sigma_w)]
            piv = sub.pivot(index="layer", columns="seed", values="grad_w_sq")
            rel = piv / piv.loc[depth]
            mean = rel.mean(axis=1)
            ax.plot(mean.index, mean, "o", ms=3.5, color=colour)
            layer = np.arange(1, depth + 1)
            predicted = np.exp(-(depth - layer) / th.xi_grad)
            ax.plot(
                layer,
                predicted,
                color=colour,
                # at chi_1 = 1 up to rounding xi_grad is ~1e15: say infinite
                label=rf"$\sigma_w={th.sigma_w:.3g}$, $\chi_1={th.chi1:.2f}$, $\xi_\nabla="
                + (r"\infty$" if abs(th.xi_grad) > 1e6 else f"{th.xi_grad:.3g}$"),
            )
            ratio = (mean / np.exp(-(depth - mean.index) / th.xi_grad)).loc[1 : depth - 1]
            rows.append(
                {
                    "regime": meanfield.phase(th.chi1),
                    "sigma_w": float(th.sigma_w),
                    "chi1": float(th.chi1),
                    "at_layer_1": float(mean.loc[1]),
                    "ratio_below_top": float(ratio.loc[depth - 1]) if depth > 1 else np.nan,
                    "ratio_min": float(ratio.min()) if len(ratio) else np.nan,
                    "ratio_max": float(ratio.max()) if len(ratio) else np.nan,
                    "decades": float(abs(np.log10(mean.loc[1]))),
                }
            )
        ax.set(
            yscale="log",
            xlabel="layer $l$",
            ylabel=r"$|\partial E/\partial W^l|^2 / |\partial E/\partial W^L|^2$",
        )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # layers are whole numbers
        ax.set_title(rf"{label}, $\sigma_b={theory['sigma_b'].iloc[0]:g}$, L={depth}")
        n_nets = int(norms.groupby("sigma_w")["seed"].nunique().min())  # seeds differ per setting
        handles, labels = ax.get_legend_handles_labels()
        handles += [
            Line2D([], [], color="0.3"),
            Line2D([], [], ls="none", marker="o", ms=3.5, color="0.3"),
        ]
        labels += [r"theory $e^{-(L-l)/\xi_\nabla}$", f"mean over {n_nets} nets"]
        # below the panel (the points fill the lower left and the lines the upper right;
        # beside it, the long labels left the axes a third of the width)
        fig.legend(handles, labels, loc="outside lower center", ncols=1)
        facts = {
            "activation": str(theory["activation"].iloc[0]),
            "sigma_b": float(theory["sigma_b"].iloc[0]),
            "depth": depth,
            "n_nets": n_nets,
            "settings": rows,
        }
        log.info("facts %s", facts)
        job.save_figure(fig, facts=facts)
        log.info("wrote %s", list(job.output))
