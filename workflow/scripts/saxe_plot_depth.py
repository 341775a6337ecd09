"""Figure `saxe_depth`: learning time of each mode against depth and initialisation."""

from matplotlib import ticker
from matplotlib.lines import Line2D

from dltheory import io, style


def log_ticks(lo, hi):
    """1-2-5 ticks covering [lo, hi] (log axes)."""
    ticks = [m * 10.0**e for e in range(-2, 8) for m in (1, 2, 5)]
    return [t for t in ticks if lo <= t <= hi]


def init_facts(data, limits, init):
    """The caption's numbers of one initialisation, from the data."""
    part = data[data["init"] == init].assign(r=lambda d: d["t_half"] / d["t_theory"])
    deepest = part["hidden"].max()
    per = part.groupby(["hidden", "mode"])["r"].mean()
    last = part[part["hidden"] == deepest]
    mean_last = last.groupby("mode")["t_half"].mean()
    theory_last = last.groupby("mode")["t_theory"].first()
    out = {
        "late_min_pct": float(100 * (per.min() - 1)),
        "late_max_pct": float(100 * (per.max() - 1)),
        "ratio_shallowest": float(part[part["hidden"] == part["hidden"].min()]["r"].mean()),
        "ratio_deepest_min": float(last["r"].min()),
        "ratio_deepest_max": float(last["r"].max()),
        "top_deepest": float(mean_last.iloc[0]),
        "weak_deepest": float(mean_last.iloc[-1]),
        "weak_seeds": int(last[last["mode"] == last["mode"].max()]["t_half"].notna().sum()),
        "n_missing": int(part["t_half"].isna().sum()),
    }
    if limits is not None:
        pct = 100 * mean_last / limits
        out.update(
            limit_min_pct=float(pct.min()),
            limit_max_pct=float(pct.max()),
            theory_limit_min_pct=float((100 * theory_last / limits).min()),
            theory_limit_max_pct=float((100 * theory_last / limits).max()),
        )
    return out


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        data = io.read_table(job.input.data)
        params = io.read_params(job.input.data)  # the simulation's config slices
        cfg = {**params["depth"], "n_features": params["tree"]["n_features"]}
        modes = sorted(data["mode"].unique())
        shown = list(dict.fromkeys([modes[0], modes[len(modes) // 2], modes[-1]]))
        markers = {"decoupled": "o", "random": "s"}
        names = {"decoupled": "orthogonal (decoupled)", "random": "Gaussian, same gain"}
        scaled = cfg["lr_scaling"] == "inverse_layers"

        def limit_of(s):
            # N_l -> inf limit of (tau/N_l) int da / (a^(2-2/N_l) (s-a)) at rate lr/N_l
            # = F/(2 lr) int_{a0}^{s/2} da / (a^2 (s - a)), to leading order in a0 / s
            return cfg["n_features"] / (2 * cfg["lr"]) * (1 / (s * cfg["a0"]) - 2 / s**2)

        fig, ax = style.figure(width=4.2, height=3.6)
        handles, labels = [], []
        for colour, mode in zip(style.PALETTE, shown, strict=False):
            part = data[data["mode"] == mode]
            s = part["s"].iloc[0]
            theory = part.groupby("hidden")["t_theory"].first()
            (line,) = ax.plot(theory.index, theory.values, color=colour, lw=1)
            handles.append(line)
            labels.append(f"mode {mode + 1}, $s$={s:.2f}")
            if scaled:
                ax.axhline(limit_of(s), color=colour, ls=":", lw=1)
            for init, grp in part.groupby("init"):
                stats = grp.groupby("hidden")["t_half"].agg(["mean", "std"])
                ax.errorbar(
                    stats.index + (0.1 if init == "random" else -0.1),
                    stats["mean"],
                    yerr=stats["std"],
                    fmt=markers[init],
                    ms=4,
                    color=colour,
                    mfc="none" if init == "random" else colour,
                )
        inits = sorted(data["init"].unique())
        for init in inits:
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="none",
                    marker=markers[init],
                    ms=4,
                    color="0.3",
                    mfc="none" if init == "random" else "0.3",
                )
            )
            labels.append(f"{names[init]} start")
        handles.append(Line2D([], [], color="0.3", lw=1))
        labels.append("decoupled theory")
        if scaled:
            handles.append(Line2D([], [], color="0.3", ls=":", lw=1))
            labels.append(r"limit $N_l\to\infty$: $F/(2\eta N_l s a_0)$")
        ax.set(xlabel=r"hidden layers ($N_l-1$)", ylabel="epochs to half the mode, $t_{1/2}$")
        ax.set_yscale("log")
        rate = rf"$\eta={cfg['lr']:g}/N_l$" if scaled else rf"$\eta={cfg['lr']:g}$"
        ax.set_title(f"Learning time against depth, {rate}")
        ax.yaxis.set_major_formatter(ticker.ScalarFormatter())
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        lo, hi = ax.get_ylim()
        ax.set_yticks(log_ticks(lo, hi))
        ax.set_ylim(lo, hi)
        ax.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=7,
            title=f"mean $\\pm$ s.d. of {data['seed'].nunique()} seeds",
            title_fontsize=7,
        )

        # the caption's numbers, from the data and the simulation's config slices
        s_all = data.groupby("mode")["s"].first()
        limits = limit_of(s_all) if scaled else None
        by_depth = data.groupby("hidden")["lr"].first()
        facts = {
            "hidden_min": int(data["hidden"].min()),
            "hidden_max": int(data["hidden"].max()),
            "n_depths": int(data["hidden"].nunique()),
            "n_seeds": int(data["seed"].nunique()),
            "n_modes": len(modes),
            "shown_s": [float(round(s_all[m], 2)) for m in shown],
            "scaled": scaled,
            "lr_shallowest": float(by_depth.iloc[0]),
            "lr_deepest": float(by_depth.iloc[-1]),
            "tau_coefficient": cfg["n_features"] / (2 * cfg["lr"]),
            "inits": inits,
            "init": {init: init_facts(data, limits, init) for init in inits},
        }
        job.save_figure(fig, facts=facts)
        log.info("facts: %s", facts)
        summary = data.groupby(["init", "mode", "hidden"])["t_half"].mean().unstack("hidden")
        log.info("mean t_half by init, mode and hidden layers:\n%s", summary.to_string())
        log.info(
            "t_half / t_theory:\n%s",
            (
                data.assign(r=data["t_half"] / data["t_theory"])
                .groupby(["init", "hidden"])["r"]
                .agg(["mean", "min", "max"])
                .to_string()
            ),
        )
