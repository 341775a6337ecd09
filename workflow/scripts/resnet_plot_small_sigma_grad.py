"""Figure `resnet_small_sigma_grad`: Problem 3(e), W^l.grad as sigma_W -> 0."""

import numpy as np
from matplotlib.lines import Line2D

from dltheory import io, style

# each curve is a different relative distance; g_a, g_b: W^l.grad of two draws of the
# filter directions Z_a, Z_b at the same sigma_W; G the linear limit, G_a^m the masked
# (relu) limit of draw a
SERIES = {
    "rel_to_linear_limit": (
        style.PALETTE[0],
        r"$\|g_a-G\|/\|G\|$: to the linear limit $G$",
    ),
    "rel_between_draws": (
        style.PALETTE[1],
        r"$\|g_a-g_b\|/\|g_b\|$: between two draws of $W$",
    ),
    "rel_to_relu_limit_a": (
        style.PALETTE[2],
        r"$\|g_a-G^m_a\|/\|G^m_a\|$: to draw a's masked limit",
    ),
}


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        data = io.read_table(job.input.data)
        cfg = io.read_params(job.input.data)["cfg"]
        layers = sorted(data["layer"].unique())
        shades = np.linspace(0.35, 1.0, len(layers))
        values = data[list(SERIES)].to_numpy().ravel()
        values = values[np.isfinite(values) & (values > 0)]
        ylim = (0.3 * values.min(), 3 * values.max())

        fig, (ax_l, ax_r) = style.figure(ncols=2, width=3.7, height=3.3, sharey=True)
        for ax, act in ((ax_l, "linear"), (ax_r, "relu")):
            d = data[data["activation"] == act]
            cols = ["rel_to_linear_limit", "rel_between_draws"]
            if act == "relu":
                cols.append("rel_to_relu_limit_a")
            for col in cols:
                colour = SERIES[col][0]
                for layer, alpha in zip(layers, shades, strict=True):
                    sel = d[d["layer"] == layer].sort_values("sigma_w")
                    ax.plot(sel["sigma_w"], sel[col], "o-", ms=2.5, lw=1, color=colour, alpha=alpha)
            ax.set(xscale="log", yscale="log", ylim=ylim, xlabel=r"weight variance $\sigma_W$")
        s = np.array(sorted(data["sigma_w"].unique()))
        guide = data[(data["activation"] == "linear")]["rel_to_linear_limit"].median()
        ax_l.plot(s, np.sqrt(s / np.median(s)) * guide, "k:", lw=1)
        ax_l.set(
            ylabel="relative distance of $g_a=W^\\ell$.grad",
            title=r"(e) linear: $W^\ell.\mathrm{grad}\to G$ for every $\ell$",
        )
        ax_r.set(title=r"relu around the conv: no limit")
        handles = [Line2D([], [], marker="o", ms=2.5, lw=1, color=c) for c, _ in SERIES.values()]
        labels = [name for _, name in SERIES.values()]
        handles += [
            Line2D([], [], color="k", ls=":", lw=1),
            Line2D([], [], marker="o", ms=2.5, lw=1, color="0.3", alpha=shades[0]),
        ]
        labels += [
            r"$\propto\sigma_W^{1/2}$",
            f"shade: layer 0 (light) to {len(layers) - 1} (dark); C={cfg['channels']}, "
            f"N={cfg['n_filter']}, {cfg['image']}x{cfg['image']}, B={cfg['batch']}",
        ]
        fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=7)
        # the caption's numbers, from the data
        from dltheory import resnet

        lin = data[data["activation"] == "linear"]
        rel = data[data["activation"] == "relu"]
        # the slope over the smaller half of the sigma_W values (at least two)
        small = s[: max(2, len(s) // 2)]
        tail = lin[lin["sigma_w"].isin(small)]
        at_min = data[data["sigma_w"] == s[0]]
        facts = {
            "n_sigma": len(s),
            "slope": resnet.convergence_slope(tail["sigma_w"], tail["rel_to_linear_limit"]),
            "fit_max": float(small[-1]),
            "sigma_min": float(s[0]),
            "linear_to_limit": float(
                at_min[at_min["activation"] == "linear"]["rel_to_linear_limit"].max()
            ),
            "linear_between": float(
                at_min[at_min["activation"] == "linear"]["rel_between_draws"].max()
            ),
            # "stay apart", "never approaches": over every sigma_W, not only the smallest
            "relu_between_min": float(rel["rel_between_draws"].min()),
            "relu_to_own": float(
                at_min[at_min["activation"] == "relu"]["rel_to_relu_limit_a"].max()
            ),
            "relu_to_linear_min": float(rel["rel_to_linear_limit"].min()),
            "n_layers": len(layers),
            "has_relu": bool(len(rel)),
        }
        job.save_figure(fig, facts=facts)
        log.info("wrote %s", list(job.output))
