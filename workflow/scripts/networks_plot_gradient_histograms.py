"""Figure `gradient_histograms`: dE/dW^l per layer for chi_1 < 1, = 1, > 1 (Sheet 2 Q2)."""

import numpy as np
from matplotlib.lines import Line2D

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import activations, meanfield

        log = job.log
        theory = io.read_table(job.input.theory).sort_values("sigma_w")
        samples = io.read_table(job.input.samples)
        label = activations.get(theory["activation"].iloc[0]).label
        depth = int(samples["layer"].max())
        layers = sorted({1, max(1, depth // 2), depth})
        settings = []
        fig, axes = style.figure(ncols=len(theory), width=3.2, height=3.0, squeeze=False)
        for ax, th in zip(axes[0], theory.itertuples(), strict=True):
            sub = samples[samples["sigma_w"] == th.sigma_w]
            sd_top = sub[sub["layer"] == depth]["value"].std()
            for colour, layer in zip(style.PALETTE, layers, strict=False):
                v = np.log10(np.abs(sub[sub["layer"] == layer]["value"].to_numpy()) + 1e-300)
                sd = sd_top * th.chi1 ** ((depth - layer) / 2)
                ax.hist(
                    v,
                    bins=60,
                    density=True,
                    histtype="step",
                    color=colour,
                    label=f"layer $l={layer}$",
                )
                ax.axvline(np.log10(sd), color=colour, ls=":", lw=1.2)
            ax.set(xlabel=r"$\log_{10} |\partial E/\partial W^l_{ij}|$", ylabel="density")
            regime = meanfield.phase(th.chi1)
            ax.set_title(rf"{label}, {regime}: $\sigma_w={th.sigma_w:.3f}$, $\chi_1={th.chi1:.2f}$")
            sd_first = sub[sub["layer"] == 1]["value"].std()
            settings.append(
                {
                    "sigma_w": float(th.sigma_w),
                    "chi1": float(th.chi1),
                    "regime": regime,
                    "ratio": float(sd_first / sd_top),
                    "ratio_theory": float(th.chi1 ** ((depth - 1) / 2)),
                }
            )
        handles, labels = axes[0][0].get_legend_handles_labels()
        handles.append(Line2D([], [], color="0.3", ls=":", lw=1.2))
        labels.append(
            r"mean field: s.d. of layer $L$ times $\chi_1^{(L-l)/2}$"
            f" ($L={depth}$, {samples.groupby('sigma_w')['seed'].nunique().min()} nets)"
        )
        # below the panels: the histograms fill the panels' upper corners
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
        job.save_figure(
            fig,
            facts={
                "activation": label,
                "depth": depth,
                "layers": layers,
                "n_nets": int(samples.groupby("sigma_w")["seed"].nunique().min()),
                "settings": settings,
            },
        )
        log.info("wrote %s", list(job.output))
