"""Figure `resnet_variance`: Problem 3(a-d), variances per layer of a linear residual conv net."""

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from dltheory import io, style


def caption_facts(theory, sim, border_th, border_sim, n_layers):
    """The caption's numbers: agreement of the network means with the closed forms (in
    standard errors), the scatter of single networks against sqrt(4 l sigma_W / C), and
    the variance at the border pixel."""
    n_nets = sim["network"].nunique()
    g = sim.groupby(["label", "layer"], sort=False)
    mean, se = g[["var", "grad_var"]].mean(), g[["var", "grad_var"]].std() / np.sqrt(n_nets)
    th = theory.set_index(["label", "layer"])[["var", "grad_var", "sigma_w"]]
    z = ((mean - th[["var", "grad_var"]]) / se).reset_index()
    z = z.merge(th["sigma_w"].reset_index(), on=["label", "layer"])
    # layer 0 forward and layer L backward are the fixed unit inputs: no comparison
    fwd = z[z["layer"] > 0][["sigma_w", "layer", "var"]].rename(columns={"var": "z"})
    bwd = z[z["layer"] < n_layers][["sigma_w", "layer", "grad_var"]].rename(
        columns={"grad_var": "z"}
    )
    both = pd.concat([fwd.assign(kind="forward"), bwd.assign(kind="gradient")], ignore_index=True)
    both["abs"] = both["z"].abs()
    worst = both.loc[both["abs"].idxmax()]
    ratios = []
    for label, runs in sim.groupby("label", sort=False):
        spread = runs.groupby("layer")["var"].apply(lambda v: np.log(v).std(ddof=1))
        pred = theory[theory["label"] == label].set_index("layer")["log_spread"]
        r = (spread / pred)[spread.index > 0].dropna()
        ratios.append(r.rename(label))
    per_sigma = [r.mean() for r in ratios]
    singles = pd.concat(ratios)
    edge = border_sim[border_sim["distance"] == 0].set_index("label")
    ref = border_th.groupby("label")["var_unpadded"].first()
    edge_ratio = edge["var_forward_L"] / ref.loc[edge.index]
    labels = list(dict.fromkeys(theory["label"]))
    largest = theory.groupby("label")["sigma_w"].first().idxmax()
    sigmas = theory.groupby("label", sort=False)["sigma_w"].first()
    return {
        "n_nets": int(n_nets),
        "sigma_answers": [float(sigmas[lab]) for lab in labels[:2]],
        "sigma_extra": [float(sigmas[lab]) for lab in labels[2:]],
        "n_sigma": len(labels),
        "n_comparisons": int(len(both)),
        "n_within": int((both["abs"] <= 2).sum()),
        "worst_z": float(worst["abs"]),
        "worst_kind": str(worst["kind"]),
        "worst_sigma": float(worst["sigma_w"]),
        "worst_layer": int(worst["layer"]),
        "scatter_mean_min": float(min(per_sigma)),
        "scatter_mean_max": float(max(per_sigma)),
        "scatter_min": float(singles.min()),
        "scatter_max": float(singles.max()),
        "edge_answer": float(edge_ratio[labels[0]]),
        "edge_largest": float(edge_ratio[largest]),
        "sigma_largest": float(sigmas[largest]),
    }


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        theory = io.read_table(job.input.theory)
        border_th = io.read_table(job.input.border_theory)
        sim = io.read_table(job.input.simulation)
        border_sim = io.read_table(job.input.border_simulation)
        cfg = io.read_params(job.input.simulation)["cfg"]
        n_nets = sim["network"].nunique()

        fig, axes = style.figure(ncols=2, nrows=2, width=3.7, height=3.2)
        (ax_v, ax_g), (ax_s, ax_b) = axes
        for colour, (label, th) in zip(
            style.PALETTE, theory.groupby("label", sort=False), strict=False
        ):
            s = th["sigma_w"].iloc[0]
            name = rf"$\sigma_W$={s:.3g}" + (f" ({label.split('(')[1]}" if "(" in label else "")
            ax_v.plot(th["layer"], th["var"], color=colour, lw=1.2, label=name)
            ax_g.plot(th["layer"], th["grad_var"], color=colour, lw=1.2)
            runs = sim[sim["label"] == label]
            for ax, col in ((ax_v, "var"), (ax_g, "grad_var")):
                by_layer = runs.groupby("layer")[col]
                mean, se = by_layer.mean(), by_layer.std() / np.sqrt(n_nets)
                lo, hi = by_layer.min(), by_layer.max()
                ax.fill_between(mean.index, lo, hi, color=colour, alpha=0.15, lw=0)
                ax.errorbar(mean.index, mean, yerr=2 * se, fmt="o", ms=2.5, color=colour, lw=0.8)
            spread = runs.groupby("layer")["var"].apply(lambda v: np.log(v).std(ddof=1))
            grad_spread = runs.groupby("layer")["grad_var"].apply(lambda v: np.log(v).std(ddof=1))
            ax_s.plot(th["layer"], th["log_spread"], color=colour, lw=1.2)
            ax_s.plot(spread.index, spread, "o", ms=3, color=colour)
            ax_s.plot(th["layer"].max() - grad_spread.index, grad_spread, "x", ms=3.5, color=colour)
            bt = border_th[border_th["label"] == label]
            bs = border_sim[border_sim["label"] == label]
            ref = bt["var_unpadded"].iloc[0]
            ax_b.plot(bt["distance"], bt["var_padded"] / ref, color=colour, lw=1.2)
            ax_b.plot(bs["distance"], bs["var_forward_L"] / ref, "o", ms=3, color=colour)
            ax_b.plot(bs["distance"], bs["var_grad_0"] / ref, "x", ms=3.5, color=colour)

        L, N, C = cfg["n_layers"], cfg["n_filter"], cfg["channels"]
        ax_v.axhline(2.0, color="0.5", ls=":", lw=1, label=r"$\sigma_L^2=2$")
        ax_v.set(
            yscale="log",
            xlabel=r"layer $\ell$",
            ylabel=r"$\sigma_\ell^2$ (interior pixels)",
            title=r"(a,b) $\sigma_\ell^2=(1+N^2C\sigma_W)^\ell$",
        )
        ax_g.set(
            yscale="log",
            xlabel=r"layer $\ell$",
            ylabel=r"$\sigma^2_{\ell,\mathrm{grad}}$",
            title=r"(d) $\sigma^2_{\ell,grad}=(1+N^2C\sigma_W)^{L-\ell}$",
        )
        ax_s.set(
            xlabel=r"depth: $\ell$ for $x^\ell$ (o), $L-\ell$ for $x^\ell$.grad (x)",
            ylabel=r"std of $\ln\sigma_\ell^2$ over networks",
            title="scatter of single networks",
        )
        k = (N - 1) // 2
        ax_b.axhline(1.0, color="0.5", ls=":", lw=1)
        ax_b.axvline(L * k, color="0.5", ls="--", lw=0.8)
        ax_b.text(L * k, 0.5, r"$Lk$: interior ", fontsize=7, color="0.3", ha="right")
        ax_b.set(
            xlim=(-0.5, L * k + 4.5),
            ylim=(0, 1.15),
            xlabel="pixels from the left/right border",
            ylabel=r"variance / closed form (layer $L$)",
            title="borders (zero padding)",
        )
        handles, labels = ax_v.get_legend_handles_labels()
        handles += [
            Line2D([], [], color="0.3", lw=1.2),
            Line2D([], [], color="0.3", ls="none", marker="o", ms=3),
            Line2D([], [], color="0.3", ls="none", marker="x", ms=3.5),
            Patch(color="0.3", alpha=0.15, lw=0),
        ]
        labels += [
            "theory: closed form (a, b, d); $\\sqrt{4\\,\\mathrm{depth}\\,\\sigma_W/C}$ (scatter);"
            " padded recursion (borders)",
            f"forward $x^\\ell$ (borders: $x^L$); (a, d): mean of {n_nets} nets, bars 2 s.e.",
            "backward $x^\\ell$.grad (borders: $x^0$.grad), unit-variance $x^L$.grad",
            "range over the networks",
        ]
        fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=7)
        fig.suptitle(
            f"linear residual conv net: N={N}, C={C}, L={L}, {cfg['image']}x{cfg['image']} px,"
            f" batch {cfg['batch']}; variances over interior pixels",
            fontsize=9,
        )
        job.save_figure(fig, facts=caption_facts(theory, sim, border_th, border_sim, L))
        log.info("wrote %s", list(job.output))
