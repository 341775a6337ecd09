"""Figure `dw_spectrum`: (1/N) Tr((DW)^T DW) against chi_1 and the singular values of DW."""

import numpy as np

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import activations, meanfield

        log = job.log
        theory = io.read_table(job.input.theory).sort_values("sigma_w")
        traces = io.read_table(job.input.traces)
        svs = io.read_table(job.input.singular_values)
        label = activations.get(theory["activation"].iloc[0]).label
        if len(theory) > len(style.PALETTE) - 1:
            raise ValueError(
                f"networks.dw.sigma_w_factor has {len(theory)} values; the figure tells at "
                f"most {len(style.PALETTE) - 1} apart"
            )
        colours = style.regime_colours(theory["chi1"])
        width = int(svs["index"].max()) + 1

        fig, (ax0, ax1) = style.figure(ncols=2, width=3.5, height=3.1)
        lim = [0, 1.1 * max(theory["chi1"].max(), traces["trace"].max())]
        ax0.plot(lim, lim, "--", color="0.6", lw=1, label="$y = x$")
        settings = []
        for colour, th in zip(colours, theory.itertuples(), strict=True):
            t = traces[traces["sigma_w"] == th.sigma_w]["trace"]
            ax0.errorbar(
                th.chi1,
                t.mean(),
                yerr=t.std(),
                fmt="o",
                color=colour,
                label=rf"$\sigma_w={th.sigma_w:.3f}$: {t.mean():.3f} vs {th.chi1:.3f}",
            )
            sv = svs[svs["sigma_w"] == th.sigma_w]["singular_value"].to_numpy()
            ax1.hist(
                sv,
                bins=np.linspace(0, sv.max() * 1.02, 50),
                density=True,
                histtype="step",
                color=colour,
                label=rf"$\chi_1={th.chi1:.2f}$",
            )
            ax1.axvline(np.sqrt(th.chi1), color=colour, ls=":", lw=1)
            settings.append(
                {
                    "sigma_w": float(th.sigma_w),
                    "chi1": float(th.chi1),
                    "regime": meanfield.phase(th.chi1),
                    "trace": float(t.mean()),
                    "pct": float(100 * (t.mean() / th.chi1 - 1)),
                    "sv_rms": float(np.sqrt(np.mean(sv**2))),
                }
            )
        ax0.set(
            xlim=lim,
            ylim=lim,
            xlabel=r"$\chi_1$ (mean field)",
            ylabel=r"$\frac{1}{N}\mathrm{Tr}((DW)^T DW)$ measured",
        )
        ax0.set_title(rf"{label}, $\sigma_b={theory['sigma_b'].iloc[0]:g}$")
        ax0.legend(loc="upper left", fontsize=7)
        style.caption(ax0, "mean, s.d. over layers and nets")
        ax1.set(xlabel="singular value of $DW$", ylabel="density")
        ax1.set_title(f"last layer, N={width}")
        # the note goes in the legend: any free corner of this panel is covered by a histogram
        ax1.legend(
            loc="upper right", title=r"dotted: $\sqrt{\chi_1}$ = r.m.s. s.v.", title_fontsize=7
        )
        job.save_figure(
            fig,
            facts={
                "activation": label,
                "width": width,
                "depth": int(traces["layer"].max()),
                "n_nets": int(traces.groupby("sigma_w")["seed"].nunique().min()),
                "settings": settings,
                "worst_pct": float(max(abs(s["pct"]) for s in settings)),
            },
        )
        log.info("settings %s", settings)
        log.info("wrote %s", list(job.output))
