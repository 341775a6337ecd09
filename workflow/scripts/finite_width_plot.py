"""Figure `finite_width`: network-to-network fluctuations and mean shift of q^l against 1/N."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from dltheory import io, style

SE = 2  # error bars: +-2 standard errors
SE_RELU = 1  # panel (b): +-1 s.e. (heavy tails: +-2 would reach 0 on the log axis)
MARKERS = ["o", "s", "^", "D", "v"]  # one per width in panels (c) and (d)


def count_label(name, part, se=SE, spread="s.e."):
    """x label with the run's size under it (the error bars fill the panels)."""
    n = int(part["n_networks"].iloc[0])
    return f"{name}\n({n} nets/width, {part['sampler'].iloc[0]}; $\\pm${se} {spread})"


def setting_title(row):
    from dltheory import meanfield

    return (
        f"{meanfield.phase(row.chi1)}: $\\sigma_w={row.sigma_w:.3g}$, $\\sigma_b={row.sigma_b:g}$, "
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
    sw2, sb = float(th["sigma_w"].iloc[0]) ** 2, float(th["sigma_b"].iloc[0])
    ax.set_title(rf"ReLU at criticality ($\sigma_w^2={sw2:.3g}$, $\sigma_b={sb:g}$)")


def setting_colours(th):
    """(sigma_w, sigma_b) -> colour of its phase; a second setting of one phase takes
    the next colour of the palette."""
    from dltheory import meanfield

    colours, spare = {}, iter(style.PALETTE[2:])
    for (sw, sb), t in th.groupby(["sigma_w", "sigma_b"], sort=True):
        colour = style.REGIME_COLOURS[meanfield.phase(t["chi1"].iloc[0])]
        colours[sw, sb] = colour if colour not in colours.values() else next(spare)
    return colours


def shift_panel(ax, sim, th, widths):
    """(c) N (E[q^l] - K0^l) against K1^l for every setting, layer and width."""
    from dltheory import meanfield

    markers = MARKERS
    colours = setting_colours(th)
    for (sw, sb), t in th.groupby(["sigma_w", "sigma_b"], sort=True):
        colour = colours[sw, sb]
        for marker, width in zip(markers, widths, strict=False):
            s = sim[(sim["width"] == width) & np.isclose(sim["sigma_w"], sw)]
            s = s[np.isclose(s["sigma_b"], sb)].merge(t[["layer", "K0", "K1"]], on="layer")
            ax.errorbar(s["K1"], width * (s["mean"] - s["K0"]), yerr=SE * width * s["mean_se"],
                        fmt=marker, ms=3, lw=0.8, color=colour, mfc="none")  # fmt: skip
    lo = min(th["K1"].min(), 0.0) * 1.15 - 0.02
    ax.plot([lo, 0.02], [lo, 0.02], "k-", lw=1, label="$N(E[q^l]-K_0^l)=K_1^l$")
    ax.axhline(0, color="0.5", ls="--", lw=1, label="mean field (no shift)")
    for (sw, sb), t in th.groupby(["sigma_w", "sigma_b"], sort=True):
        ax.plot([], [], "o", color=colours[sw, sb], mfc="none",
                label=f"{meanfield.phase(t['chi1'].iloc[0])}, $\\sigma_w={sw:.3g}$")  # fmt: skip
    for marker, width in zip(markers, widths, strict=False):
        ax.plot([], [], marker, color="0.3", mfc="none", ls="none", label=f"N={width}")
    ax.set(xlabel=r"$K_1^l$ (theory)", ylabel=r"$N\,(E[q^l]-K_0^l)$ (simulated)")
    ax.set_title("mean shift of $q^l$")


def correlation_panel(ax, sim, th, widths):
    """(d) two inputs: N Var(c^l) against l, with the vertex and with its sampling part."""
    from dltheory import meanfield

    markers = MARKERS
    offsets = np.linspace(-0.15, 0.15, len(widths))
    colours = setting_colours(th)
    for (sw, sb), t in th.groupby(["sigma_w", "sigma_b"], sort=True):
        colour = colours[sw, sb]
        for marker, width, dx in zip(markers, widths, offsets, strict=False):
            s = sim[(sim["width"] == width) & np.isclose(sim["sigma_w"], sw)]
            s = s[np.isclose(s["sigma_b"], sb)]
            ax.errorbar(s["layer"] + dx, width * s["var"], yerr=SE * width * s["var_se"],
                        fmt=marker, ms=3, lw=0.8, color=colour, mfc="none")  # fmt: skip
        ax.plot(t["layer"], t["n_var_c"], color=colour, lw=1.2,
                label=f"{meanfield.phase(t['chi1'].iloc[0])}, $\\sigma_w={sw:.3g}$")  # fmt: skip
        ax.plot(t["layer"], t["n_var_c_wishart"], color=colour, lw=1, ls="--")
    ax.plot([], [], "k-", lw=1.2, label="with the 2x2 vertex")
    ax.plot([], [], "k--", lw=1, label=r"sampling part $(1-c^2)^2$")
    for marker, width in zip(markers, widths, strict=False):
        ax.plot([], [], marker, color="0.3", mfc="none", ls="none", label=f"N={width}")
    c0 = th["c0"].iloc[0]
    ax.set(xlabel="layer $l$", ylabel=r"$N\,\mathrm{Var}(c^l)$")
    ax.set_title(f"two inputs, $c^0={c0:g}$: correlation")


def check_sizes(sim, theory):
    """Every setting and width gets a panel, a colour or a marker, or the job stops."""
    n_fluct = theory[theory["panel"] == "fluctuations"].groupby(["sigma_w", "sigma_b"]).ngroups
    if not 1 <= n_fluct <= 6:
        raise ValueError(
            f"config key finite_width.fluctuations.sigma_w gives {n_fluct} settings; the "
            "figure draws 1 to 6 panels (a)"
        )
    limits = {"fluctuations": len(style.PALETTE), "relu": len(style.PALETTE)}
    limits.update(shift=len(MARKERS), correlation=len(MARKERS))
    for panel, limit in limits.items():
        n = sim.loc[sim["panel"] == panel, "width"].nunique()
        if not 1 <= n <= limit:
            raise ValueError(
                f"config key finite_width.{panel}.widths has {n} widths; the figure draws "
                f"1 to {limit} (one colour or marker each)"
            )
    return n_fluct


def caption_facts(sim, theory):
    """The numbers the caption quotes, from the tables (z: deviation in standard errors)."""
    from dltheory import meanfield

    facts = {}
    # (a) N Var(q^l) against 2 K0^2 + V and against the Gaussian part 2 K0^2
    fl = sim[sim["panel"] == "fluctuations"].merge(
        theory[theory["panel"] == "fluctuations"][["sigma_w", "sigma_b", "layer", "K0", "n_var"]],
        on=["sigma_w", "sigma_b", "layer"],
    )
    se = fl["width"] * fl["var_se"]
    z = (fl["width"] * fl["var"] - fl["n_var"]) / se
    z_gauss = (fl["width"] * fl["var"] - 2 * fl["K0"] ** 2) / se
    deep = fl["layer"] >= 3
    settings = []
    for (sw, sb), t in theory[theory["panel"] == "fluctuations"].groupby(["sigma_w", "sigma_b"]):
        last = t[t["layer"] == t["layer"].max()].iloc[0]
        settings.append({"regime": meanfield.phase(last.chi1), "sigma_w": float(sw),
                         "sigma_b": float(sb), "chi1": float(last.chi1),
                         "vertex_pct": 100 * float(last.n_var / (2 * last.K0**2) - 1)})  # fmt: skip
    facts["a"] = {
        "settings": settings,
        "activation": str(fl["activation"].iloc[0]),
        "widths": sorted(int(w) for w in fl["width"].unique()),
        "n_networks": int(fl["n_networks"].iloc[0]),
        "sampler": str(fl["sampler"].iloc[0]),
        "depth": int(fl["layer"].max()),
        "z_deep": float(z[deep].mean()),
        "z_gauss_deep": float(z_gauss[deep].mean()),
        "z_layer1": float(z[fl["layer"] == 1].mean()),
        "n_layer1": int((fl["layer"] == 1).sum()),
        "n_points": len(fl),
        "beyond_pct": 100 * float((z.abs() > SE).mean()),
    }
    # (b) ReLU: measured Var(q^l)/K^2 against the exact law and its 1/N line
    rl = sim[sim["panel"] == "relu"].merge(
        theory[theory["panel"] == "relu"][
            ["width", "layer", "K0", "n_var", "exact_var_ratio", "exact_mu4_ratio"]
        ],
        on=["width", "layer"],
    )
    y = rl["var"] / rl["K0"] ** 2
    line = rl["n_var"] / (rl["width"] * rl["K0"] ** 2)
    n, var, mu4 = rl["n_networks"], rl["exact_var_ratio"], rl["exact_mu4_ratio"]
    z_exact = (y - var) / np.sqrt((mu4 - var**2 * (n - 3) / (n - 1)) / n)
    x = rl["layer"] / rl["width"]
    edges = np.linspace(0.0, float(x.max()), 5)
    bins = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (x > lo) & (x <= hi)
        if inside.any():
            bins.append({"lo": float(lo), "hi": float(hi),
                         "vs_line": float((y / line)[inside].median()),
                         "vs_exact": float((y / var)[inside].median())})  # fmt: skip
    widest = rl[rl["width"] == rl["width"].max()]
    end = widest[widest["layer"] == widest["layer"].max()].iloc[0]
    facts["b"] = {
        "widths": sorted(int(w) for w in rl["width"].unique()),
        "n_networks": int(rl["n_networks"].iloc[0]),
        "sampler": str(rl["sampler"].iloc[0]),
        "sigma_w2": float(rl["sigma_w"].iloc[0]) ** 2,
        "sigma_b": float(rl["sigma_b"].iloc[0]),
        "max_depth": int(rl["layer"].max()),
        "widest": int(end.width),
        "end_l_over_n": float(end.layer / end.width),
        "end_exact": float(end.exact_var_ratio),
        "end_line": float(end.n_var / (end.width * end.K0**2)),
        "bins": bins,
        "beyond_pct": 100 * float((z_exact.abs() > SE).mean()),
        "z_max": float(z_exact.abs().max()),
    }
    # (c) mean shift N (E[q^l] - K0) against K1
    sh = sim[sim["panel"] == "shift"].merge(
        theory[theory["panel"] == "shift"][["sigma_w", "sigma_b", "layer", "K0", "K1", "chi1"]],
        on=["sigma_w", "sigma_b", "layer"],
    )
    shift = sh["width"] * (sh["mean"] - sh["K0"])
    shift_se = sh["width"] * sh["mean_se"]
    z_shift = ((shift - sh["K1"]) / shift_se)[shift_se > 0]
    narrow = sh[sh["width"] == sh["width"].min()]
    at_end = []
    for (sw, _sb), t in narrow.groupby(["sigma_w", "sigma_b"]):
        r = t[t["layer"] == t["layer"].max()].iloc[0]
        at_end.append({"regime": meanfield.phase(r.chi1), "sigma_w": float(sw),
                       "shift": float(r.width * (r["mean"] - r.K0)),
                       "se": float(r.width * r.mean_se), "K1": float(r.K1)})  # fmt: skip
    facts["c"] = {
        "widths": sorted(int(w) for w in sh["width"].unique()),
        "n_networks": int(sh["n_networks"].iloc[0]),
        "sampler": str(sh["sampler"].iloc[0]),
        "depth": int(sh["layer"].max()),
        "narrow": int(narrow["width"].iloc[0]),
        "at_end": at_end,
        "n_points": int(z_shift.size),
        "z_mean": float(z_shift.mean()),
        "z_sd": float(z_shift.std()),
        "z_max": float(z_shift.abs().max()),
    }
    # (d) two inputs: N Var(c^l) against the 2 x 2 vertex theory
    co = sim[sim["panel"] == "correlation"].merge(
        theory[theory["panel"] == "correlation"][
            ["sigma_w", "sigma_b", "layer", "n_var_c", "n_var_c_wishart", "chi1"]
        ],
        on=["sigma_w", "sigma_b", "layer"],
    )
    wide = co[co["width"] == co["width"].max()]
    z_c = (wide["width"] * wide["var"] - wide["n_var_c"]) / (wide["width"] * wide["var_se"])
    rows = []
    for (sw, _sb), t in wide.groupby(["sigma_w", "sigma_b"]):
        r = t[t["layer"] == t["layer"].max()].iloc[0]
        rows.append({"regime": meanfield.phase(r.chi1), "sigma_w": float(sw),
                     "theory": float(r.n_var_c), "wishart": float(r.n_var_c_wishart),
                     "measured": float(r.width * r["var"]),
                     "se": float(r.width * r.var_se)})  # fmt: skip
    later = wide["layer"] >= 2
    facts["d"] = {
        "c0": float(co["c0"].iloc[0]),
        "widths": sorted(int(w) for w in co["width"].unique()),
        "n_networks": int(co["n_networks"].iloc[0]),
        "sampler": str(co["sampler"].iloc[0]),
        "depth": int(co["layer"].max()),
        "wide": int(wide["width"].iloc[0]),
        "at_end": rows,
        "within_pct": 100 * float((z_c[later].abs() <= SE).mean()),
        "n_later": int(later.sum()),
    }
    return facts


def main(job):
    sim = pd.concat([io.read_table(p) for p in job.input.simulation], ignore_index=True)
    theory = io.read_table(job.input.theory)
    n_fluct = check_sizes(sim, theory)
    style.apply()
    # top row: one panel (a) per setting; bottom row: (b), (c), (d)
    ncols = math.lcm(n_fluct, 3)
    top = [f"a{i}" for i in range(n_fluct) for _ in range(ncols // n_fluct)]
    bottom = [key for key in "bcd" for _ in range(ncols // 3)]
    fig, axes = plt.subplot_mosaic(
        [top, bottom], figsize=(11.5 * max(1.0, n_fluct / 3), 8.6), constrained_layout=True
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
    facts = caption_facts(sim, theory)
    job.log.info("facts %s", facts)
    job.save_figure(fig, facts=facts)


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        main(job)
