"""Figure `init_variance`: Problem 1, Var u = d_x sigma and the relu-shifted unit u'."""

import numpy as np
from matplotlib.lines import Line2D

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        theory = io.read_table(job.input.theory)
        required = io.read_table(job.input.required)
        sim = io.read_table(job.input.simulation)
        RELU_FACTOR = 1.0 / (0.5 - 1.0 / (2.0 * np.pi))

        fig, (ax_u, ax_r, ax_f) = style.figure(ncols=3, width=3.3, height=3.3)
        d_handles, d_labels, f_top = [], [], 3.3
        for colour, (d_x, curve) in zip(
            style.PALETTE, theory.groupby("d_x", sort=True), strict=False
        ):
            dots = sim[sim["d_x"] == d_x]
            ax_u.errorbar(
                dots["sigma_dx"],
                dots["var_u"],
                yerr=2 * dots["se_var_u"],
                fmt="o",
                ms=3,
                color=colour,
            )
            ax_r.plot(curve["sigma_dx"], curve["var_u_prime_exact"], color=colour, lw=1, alpha=0.8)
            ax_r.errorbar(
                dots["sigma_dx"],
                dots["var_u_prime"],
                yerr=2 * dots["se_var_u_prime"],
                fmt="o",
                ms=3,
                color=colour,
            )
            at = dots[dots["point"] == "answer_1b_exact"]
            implied = at["sigma_dx"] / at["var_u_prime"]
            err = implied * at["se_var_u_prime"] / at["var_u_prime"]
            ax_f.errorbar(at["d_x"], implied, yerr=2 * err, fmt="o", ms=4, color=colour)
            f_top = max(f_top, float((implied + 2 * err).max()))
            d_handles.append(Line2D([], [], ls="none", marker="o", ms=3, color=colour))
            d_labels.append(rf"$d_x={d_x}$")
        curve = theory[theory["d_x"] == theory["d_x"].min()]
        ax_u.plot(curve["sigma_dx"], curve["sigma_dx"], "k-", lw=1, label=r"$d_x\sigma$", zorder=0)
        ax_u.axvline(1.0, color="0.5", ls=":", lw=1, label=r"answer (a): $\sigma d_x=1$")
        ax_u.set(
            xscale="log",
            yscale="log",
            xlabel=r"weight variance $\times d_x$, $\sigma d_x$",
            ylabel=r"$\mathrm{Var}\,u$",
            title=r"(a) $u=Wx$: $\sigma=1/d_x$",
        )
        ax_u.legend(loc="upper left")

        ax_r.plot(
            curve["sigma_dx"],
            curve["var_u_prime_gauss"],
            "k--",
            lw=1.2,
            label=r"Gaussian: $(\frac{1}{2}-\frac{1}{2\pi})\sigma d_x$",
        )
        ax_r.axhline(1.0, color="0.6", lw=0.8)
        for x, text in ((2.0, "He: 2"), (RELU_FACTOR, f"{RELU_FACTOR:.3f}")):
            ax_r.axvline(x, color="0.4", ls=":", lw=1)
            ax_r.text(x, 0.05, text, rotation=90, fontsize=7, ha="right", va="bottom", color="0.3")
        ax_r.set(
            xscale="log",
            yscale="log",
            xlabel=r"$\sigma d_x$",
            ylabel=r"$\mathrm{Var}\,u'$, $u'=\mathrm{relu}(Wx)-b'$",
            title=r"(b) centred relu unit",
        )
        handles, labels = ax_r.get_legend_handles_labels()
        handles.append(Line2D([], [], color="0.3", lw=1))
        labels.append(r"exact for Gaussian $x$, per $d_x$")
        ax_r.legend(handles, labels, loc="upper left")

        ax_f.plot(
            required["d_x"],
            required["sigma_dx_relu_exact"],
            "k-",
            lw=1.2,
            label="exact (Gaussian x)",
        )
        ax_f.axhline(
            RELU_FACTOR,
            color="k",
            ls="--",
            lw=1,
            label=r"$1/(\frac{1}{2}-\frac{1}{2\pi})=$" + f"{RELU_FACTOR:.4f}",
        )
        ax_f.axhline(2.0, color=style.PALETTE[1], ls=":", lw=1.2, label="He factor 2 (2nd moment)")
        ax_f.axhline(1.0, color="0.5", ls="-.", lw=1, label="no relu: 1")
        ax_f.set(
            xscale="log",
            ylim=(0.6, 1.05 * f_top),
            xlabel=r"$d_x$",
            ylabel=r"$\sigma d_x$ giving $\mathrm{Var}\,u'=1$",
            title="(c) the increase needed",
        )
        ax_f.legend(loc="lower right", bbox_to_anchor=(1.0, 0.12))
        n = int(sim["n_samples"].iloc[0])
        fig.legend(
            d_handles + [Line2D([], [], color="0.3", marker="|", ms=8, ls="none")],
            d_labels
            + [
                f"Monte Carlo ({n:,} draws)" + r", bars $\pm 2$ s.e.;"
                " (c): $\\sigma d_x/\\mathrm{Var}\\,u'$"
            ],
            loc="outside lower center",
            ncols=len(d_handles) + 1,
        )
        # the caption's numbers, from the tables
        smallest = theory[theory["d_x"] == theory["d_x"].min()]
        excess = smallest["var_u_prime_exact"] / smallest["var_u_prime_gauss"] - 1
        facts = {
            "d_x": sorted(int(d) for d in theory["d_x"].unique()),
            "n_samples": n,
            "relu_factor": RELU_FACTOR,
            "exact_at_1": float(required[required["d_x"] == 1]["sigma_dx_relu_exact"].iloc[0]),
            "d_x_min": int(smallest["d_x"].iloc[0]),
            "excess_pct_min_dx": float(100 * excess.max()),
        }
        job.save_figure(fig, facts=facts)
        log.info("wrote %s; facts %s", list(job.output), facts)
