"""Figure `finite_width`: network-to-network fluctuations and mean shift of q^l against 1/N."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from dltheory import io, style

SE = 2  # error bars: +-2 standard errors
SE_RELU = 1  # panel (b): +-1 s.e. (heavy tails: +-2 would reach 0 on the log axis)


def count_label(name, part, se=SE, spread="s.e."):
    """x label with the run's size under it (the error bars fill the panels)."""
    n = int(part["n_networks"].iloc[0])
    return f"{name}\n({n} nets/width, {part['sampler'].iloc[0]}; $\\pm${se} {spread})"


def regime(chi1):
    if abs(chi1 - 1) < 1e-6:
        return "critical"
    return "ordered" if chi1 < 1 else "chaotic"


def setting_title(row):
    return (
        f"{regime(row.chi1)}: $\\sigma_w={row.sigma_w:.3g}$, $\\sigma_b={row.sigma_b:g}$, "
        f"$\\chi_1={row.chi1:.2f}$"
    )


def fluctuation_panel(ax, sim, th, widths):
    """(a) N Var(q^l) / 2K0^2 against l, every width, with (2 K0^2 + V) / 2K0^2.

    Divided by the Gaussian part 2 K0^2 (the variance if G^l were not random), so that the
    four-point vertex V shows as the excess over 1 in every layer.
    """
    offsets = np.linspace(-0.3, 0.2, len(widths))
    gauss = (2 * th.set_index("layer")["K0"] ** 2).rename("gauss")
    for colour, width, dx in zip(style.PALETTE, widths, offsets, strict=False):
        s = sim[sim["width"] == width].join(gauss, on="layer")
        ax.errorbar(s["layer"] + dx, width * s["var"] / s["gauss"],
                    yerr=SE * width * s["var_se"] / s["gauss"], fmt="o", ms=2.5, lw=0.8,
                    color=colour, label=f"N={width}")  # fmt: skip
    # the leading N Var(q^l) does not depend on N: the inverse-variance mean over widths
    # (independent networks) shows the vertex with sqrt(#widths) smaller errors
    ratio = sim.join(gauss, on="layer").assign(
        r=lambda d: d["width"] * d["var"] / d["gauss"],
        w=lambda d: (d["gauss"] / (d["width"] * d["var_se"])) ** 2,
    )
    pooled = ratio.groupby("layer").apply(
        lambda d: pd.Series({"r": np.average(d["r"], weights=d["w"]), "se": d["w"].sum() ** -0.5}),
        include_groups=False,
    )
    ax.errorbar(pooled.index + 0.4, pooled["r"], yerr=SE * pooled["se"], fmt="D", ms=4,
                color="k", mfc="white", lw=1, label="all widths pooled")  # fmt: skip
    ax.plot(th["layer"], th["n_var"] / (2 * th["K0"] ** 2), "k-", lw=1.2,
            label=r"$(2K_0^2+V)/2K_0^2$")  # fmt: skip
    ax.axhline(1.0, color="0.5", ls="--", lw=1, label="Gaussian part only ($V=0$)")
    ax.set(xlabel="layer $l$", ylabel=r"$N\,\mathrm{Var}(q^l)\,/\,2K_0^2$")


def relu_panel(ax, sim, th, widths):
    """(b) ReLU at criticality: Var(q^l)/K^2 against l/N, exact curve and 1/N line."""
    for colour, width in zip(style.PALETTE, widths, strict=False):
        s = sim[sim["width"] == width]
        t = th[th["width"] == width]
        k = t["K0"].to_numpy()
        x = s["layer"] / width
        # s.e. of a sample variance of n networks under the exact law (the sample's own
        # fourth moment misses the rare large q^l at large l/N, see the caption)
        n = s["n_networks"].to_numpy()
        var, mu4 = t["exact_var_ratio"].to_numpy(), t["exact_mu4_ratio"].to_numpy()
        se = np.sqrt((mu4 - var**2 * (n - 3) / (n - 1)) / n)
        y = (s["var"] / k**2).to_numpy()
        ax.plot(x, y, "o", ms=2.5, color=colour, label=f"N={width}")
        # error bars (+-1 s.e.: +-2 reach 0 on the log axis) at about 12 layers per width
        bars = np.unique(np.linspace(0, len(y) - 1, 12).round().astype(int))
        ax.errorbar(x.to_numpy()[bars], y[bars], yerr=SE_RELU * se[bars], fmt="none", lw=0.8,
                    color=colour)  # fmt: skip
        xt = t["layer"] / width
        ax.plot(xt, t["exact_var_ratio"], color=colour, lw=1)
        ax.plot(xt, t["n_var"] / (width * k**2), color=colour, lw=1, ls="--")
    ax.plot([], [], "k-", lw=1, label=r"exact $(1+\frac{2}{N})(1+\frac{5}{N})^{l-1}-1$")
    ax.plot([], [], "k--", lw=1, label=r"1/N: $(2+5(l-1))/N$")
    ax.set(xlabel="depth / width  $l/N$", ylabel=r"$\mathrm{Var}(q^l)/K^2$", yscale="log")
    ax.set_title(r"ReLU at criticality ($\sigma_w^2=2$, $\sigma_b=0$)")


def shift_panel(ax, sim, th, widths):
    """(c) N (E[q^l] - K0^l) against K1^l for every setting, layer and width."""
    markers = ["o", "s", "^", "D", "v"]
    for (sw, sb), t in th.groupby(["sigma_w", "sigma_b"], sort=True):
        colour = style.REGIME_COLOURS[regime(t["chi1"].iloc[0])]
        for marker, width in zip(markers, widths, strict=False):
            s = sim[(sim["width"] == width) & np.isclose(sim["sigma_w"], sw)]
            s = s[np.isclose(s["sigma_b"], sb)].merge(t[["layer", "K0", "K1"]], on="layer")
            ax.errorbar(s["K1"], width * (s["mean"] - s["K0"]), yerr=SE * width * s["mean_se"],
                        fmt=marker, ms=3, lw=0.8, color=colour, mfc="none")  # fmt: skip
    lo = min(th["K1"].min(), 0.0) * 1.15 - 0.02
    ax.plot([lo, 0.02], [lo, 0.02], "k-", lw=1, label="$N(E[q^l]-K_0^l)=K_1^l$")
    ax.axhline(0, color="0.5", ls="--", lw=1, label="mean field (no shift)")
    for name, colour in style.REGIME_COLOURS.items():
        if any(regime(c) == name for c in th["chi1"]):
            ax.plot([], [], "o", color=colour, mfc="none", label=name)
    for marker, width in zip(markers, widths, strict=False):
        ax.plot([], [], marker, color="0.3", mfc="none", ls="none", label=f"N={width}")
    ax.set(xlabel=r"$K_1^l$ (theory)", ylabel=r"$N\,(E[q^l]-K_0^l)$ (simulated)")
    ax.set_title("mean shift of $q^l$")


def correlation_panel(ax, sim, th, widths):
    """(d) two inputs: N Var(c^l) against l, with the vertex and with its sampling part."""
    markers = ["o", "s", "^", "D", "v"]
    offsets = np.linspace(-0.15, 0.15, len(widths))
    for (sw, sb), t in th.groupby(["sigma_w", "sigma_b"], sort=True):
        colour = style.REGIME_COLOURS[regime(t["chi1"].iloc[0])]
        for marker, width, dx in zip(markers, widths, offsets, strict=False):
            s = sim[(sim["width"] == width) & np.isclose(sim["sigma_w"], sw)]
            s = s[np.isclose(s["sigma_b"], sb)]
            ax.errorbar(s["layer"] + dx, width * s["var"], yerr=SE * width * s["var_se"],
                        fmt=marker, ms=3, lw=0.8, color=colour, mfc="none")  # fmt: skip
        ax.plot(t["layer"], t["n_var_c"], color=colour, lw=1.2,
                label=f"{regime(t['chi1'].iloc[0])}, $\\sigma_w={sw:.3g}$")  # fmt: skip
        ax.plot(t["layer"], t["n_var_c_wishart"], color=colour, lw=1, ls="--")
    ax.plot([], [], "k-", lw=1.2, label="with the 2x2 vertex")
    ax.plot([], [], "k--", lw=1, label=r"sampling part $(1-c^2)^2$")
    for marker, width in zip(markers, widths, strict=False):
        ax.plot([], [], marker, color="0.3", mfc="none", ls="none", label=f"N={width}")
    c0 = th["c0"].iloc[0]
    ax.set(xlabel="layer $l$", ylabel=r"$N\,\mathrm{Var}(c^l)$")
    ax.set_title(f"two inputs, $c^0={c0:g}$: correlation")


def main(job):
    sim = pd.concat([io.read_table(p) for p in job.input.simulation], ignore_index=True)
    theory = io.read_table(job.input.theory)
    style.apply()
    fig, axes = plt.subplot_mosaic(
        [["a0", "a1", "a2"], ["b", "c", "d"]], figsize=(11.5, 8.6), constrained_layout=True
    )
    fluct, th_f = sim[sim["panel"] == "fluctuations"], theory[theory["panel"] == "fluctuations"]
    widths = sorted(fluct["width"].unique())
    settings = th_f.groupby(["sigma_w", "sigma_b"], sort=True)
    for i, ((sw, sb), th) in enumerate(settings):
        ax = axes[f"a{i}"]
        s = fluct[np.isclose(fluct["sigma_w"], sw) & np.isclose(fluct["sigma_b"], sb)]
        fluctuation_panel(ax, s, th, widths)
        ax.set_title("(a) " + setting_title(th.iloc[0]), fontsize=9)
        ax.set_xlabel(count_label("layer $l$", s))
    handles, labels = axes["a0"].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=len(labels))
    relu = sim[sim["panel"] == "relu"]
    relu_panel(axes["b"], relu, theory[theory["panel"] == "relu"], sorted(relu["width"].unique()))
    axes["b"].set_title("(b) " + axes["b"].get_title())
    axes["b"].set_xlabel(
        count_label("depth / width  $l/N$", relu, SE_RELU, "s.e. of the exact law")
    )
    shift = sim[sim["panel"] == "shift"]
    shift_panel(axes["c"], shift, theory[theory["panel"] == "shift"],
                sorted(shift["width"].unique()))  # fmt: skip
    axes["c"].set_title("(c) " + axes["c"].get_title())
    axes["c"].set_xlabel(count_label("$K_1^l$ (theory)", shift))
    corr = sim[sim["panel"] == "correlation"]
    correlation_panel(axes["d"], corr, theory[theory["panel"] == "correlation"],
                      sorted(corr["width"].unique()))  # fmt: skip
    axes["d"].set_title("(d) " + axes["d"].get_title())
    axes["d"].set_xlabel(count_label("layer $l$", corr))
    # the legends of the bottom row under their panels: the data fill every corner
    for key in "bcd":
        axes[key].legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=7)
    job.save_figure(fig)


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        main(job)
