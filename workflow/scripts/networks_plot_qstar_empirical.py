"""Figure `qstar_empirical`: q^l deep in wide random nets against q* (Sheet 2 Q1(b))."""

import numpy as np
import pandas as pd
from matplotlib import ticker

from dltheory import io, style

N_BOOT = 400  # bootstrap resamples of the nets of one width


def pooled_sd(q):
    """sqrt of the mean over columns of the variance over rows (nets) of ``q``."""
    return float(np.sqrt(np.mean(np.var(q, axis=0, ddof=1))))


def measured_spread(sim, layer_min, seed):
    """Per width: s.d. of q^l between nets at one deep layer and input, with a bootstrap s.e.

    For each (layer >= layer_min, input) the variance of q^l over nets (ddof=1) is pooled
    by averaging over layers and inputs; the s.e. comes from resampling the nets (layers and
    inputs of one net are correlated, nets are independent).
    """
    rng = np.random.default_rng(seed)
    rows = []
    deep = sim[(sim["layer"] >= layer_min) & ~sim["overflow"]]
    for width, sub in deep.groupby("width", sort=True):
        table = sub.pivot_table(index="seed", columns=["layer", "q0"], values="q")
        q = table.to_numpy()  # nets x (layer, input)
        n = q.shape[0]
        boot = [pooled_sd(q[rng.integers(0, n, n)]) for _ in range(N_BOOT)]
        rows.append({"width": width, "sd": pooled_sd(q), "sd_se": np.std(boot), "n_nets": n})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import activations, finite_width, meanfield, network_fits

        log = job.log
        cfg = job.cfg
        sim = io.read_table(job.input.simulation)
        sw, sb, act = cfg["sigma_w"], cfg["sigma_b"], cfg["activation"]
        depth = int(sim["layer"].max())
        if cfg["layer_min"] >= depth:
            raise ValueError(
                f"networks.qstar_empirical.layer_min = {cfg['layer_min']} leaves no deep layer "
                f"to average: it must be below networks.qstar_empirical.depth = {depth}"
            )
        q_star = float(meanfield.q_star(sw, sb, act))
        if not np.isfinite(q_star):
            raise ValueError(
                f"q* diverges for networks.qstar_empirical (activation {act}, sigma_w {sw:g}, "
                f"sigma_b {sb:g}): choose a sigma_w with a finite fixed point"
            )
        est = network_fits.empirical_fixed_point(sim, cfg["layer_min"])
        spread = measured_spread(sim, cfg["layer_min"], job.seed)

        fig, (ax0, ax1, ax2) = style.figure(ncols=3, width=3.3, height=3.2)
        widths = sorted(sim["width"].unique())
        # bands for the narrowest and the widest network only: four overlapping bands
        # merged into one grey
        banded = {widths[0], widths[-1]}
        for colour, width in zip(style.PALETTE, widths, strict=False):
            sub = sim[sim["width"] == width]
            per_layer = sub.groupby("layer")["q"]
            mean, lo, hi = per_layer.mean(), per_layer.quantile(0.05), per_layer.quantile(0.95)
            if width in banded:
                ax0.fill_between(mean.index, lo, hi, color=colour, alpha=0.25, lw=0)
            ax0.plot(mean.index, mean, color=colour, lw=1, label=f"N={width}")
        ax0.axhline(q_star, color="k", ls="--", lw=1, label=f"$q^*$={q_star:.4f}")
        ax0.axvline(cfg["layer_min"], color="0.6", lw=0.8, ls=":")
        ax0.set(xlabel="layer $l$", ylabel="$q^l$", yscale="log")
        ax0.set_title("lengths through the net")
        ax0.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.3),
            ncols=2,
            fontsize=7,
            title="lines: mean; bands (narrowest, widest N): 5-95%",
            title_fontsize=7,
        )

        ax1.errorbar(
            est["width"],
            est["q_mean"] - q_star,
            yerr=3 * est["q_se"],
            fmt="o",
            color=style.PALETTE[0],
            capsize=3,
        )
        ax1.axhline(0, color="k", ls="--", lw=1)
        ax1.set(xscale="log", xlabel="width $N$", ylabel=r"$\hat q^* - q^*$")
        ax1.set_title(f"estimate of $q^*$, layers {cfg['layer_min']}-{depth}")
        ax1.legend(
            [ax1.containers[0]],
            [rf"mean over {int(est['n_nets'].iloc[0])} nets $\pm$ 3 s.e."],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.3),
            fontsize=7,
        )

        ax2.errorbar(
            spread["width"],
            spread["sd"],
            yerr=spread["sd_se"],
            fmt="o",
            color=style.PALETTE[1],
            capsize=3,
        )
        n = np.geomspace(min(widths) / 1.3, max(widths) * 1.3, 50)
        # hook for the finite-width theory: deep-layer s.d. sqrt((2 q*^2 + V*) / N)
        theory = finite_width.q_std_stationary(sw, sb, n, act)
        (theory_line,) = ax2.plot(n, theory, color="k", lw=1)
        # a slope needs two widths
        slope = (
            np.polyfit(np.log(spread["width"]), np.log(spread["sd"]), 1)[0]
            if len(spread) > 1
            else np.nan
        )
        ax2.set(xscale="log", yscale="log", xlabel="width $N$", ylabel="s.d. of $q^l$ between nets")

        # plain numbers on the log axes (not 6x10^0): the decades, and 2 and 5 times them
        # (3 too on the y axes, where the labels do not run into each other)
        def labelled(*mantissas):
            return ticker.FuncFormatter(
                lambda v, _: f"{v:g}" if round(v / 10 ** np.floor(np.log10(v))) in mantissas else ""
            )

        for axis, minor in ((ax0.yaxis, (2, 3, 5)), (ax1.xaxis, (2, 5)), (ax2.xaxis, (2, 5)),
                            (ax2.yaxis, (2, 3, 5))):  # fmt: skip
            axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            axis.set_minor_formatter(labelled(*minor))
        ax2.set_title("spread of one deep layer")
        ax2.legend(
            [ax2.containers[0], theory_line],
            [
                "measured ($\\pm$ s.e., bootstrap over nets)"
                + (f"; fitted slope {slope:.2f}" if np.isfinite(slope) else ""),
                r"theory $\sqrt{(2q^{*2}+V^*)/N}$ (dltheory.finite_width)",
            ],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.3),
            fontsize=7,
        )
        label = activations.get(act).label
        fig.suptitle(rf"{label}, $\sigma_w={sw:g}$, $\sigma_b={sb:g}$", fontsize=10)
        theory_at = finite_width.q_std_stationary(
            sw, sb, spread["width"].to_numpy(dtype=float), act
        )
        z_mean = (est["q_mean"] - q_star) / est["q_se"]
        z_sd = (spread["sd"].to_numpy() - theory_at) / spread["sd_se"].to_numpy()
        job.save_figure(
            fig,
            facts={
                "activation": label,
                "q_star": q_star,
                "depth": depth,
                "layer_min": int(cfg["layer_min"]),
                "widths": [int(w) for w in spread["width"]],
                "n_nets": int(est["n_nets"].min()),
                "n_boot": N_BOOT,
                "n_inputs": int(sim["q0"].nunique()),
                "n_mean_within": int((z_mean.abs() <= 3).sum()),
                "worst_mean_z": float(z_mean.abs().max()),
                "sd": [float(x) for x in spread["sd"]],
                "sd_theory": [float(x) for x in theory_at],
                "n_sd_within": int((np.abs(z_sd) <= 1).sum()),
                "worst_sd_z": float(np.abs(z_sd).max()),
                "slope": float(slope) if np.isfinite(slope) else None,
                "n_overflow": int(sim.groupby(["width", "seed"])["overflow"].any().sum()),
            },
        )
        log.info("q* %.6f; estimates %s", q_star, est.to_dict("records"))
        log.info("spread %s; theory %s; slope %.3f", spread.to_dict("records"), theory_at, slope)
