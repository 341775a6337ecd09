"""Figure `saxe_depth`: learning time of each mode against depth and initialisation."""

from matplotlib import ticker
from matplotlib.lines import Line2D

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        data = io.read_table(job.input.data)
        params = io.read_params(job.input.data)["cfg"]  # the simulation's config slice
        cfg = {**params["depth"], "n_features": params["tree"]["n_features"]}
        modes = sorted(data["mode"].unique())
        shown = [modes[0], modes[len(modes) // 2], modes[-1]]
        markers = {"decoupled": "o", "random": "s"}
        names = {"decoupled": "orthogonal (decoupled)", "random": "Gaussian, same gain"}
        scaled = cfg["lr_scaling"] == "inverse_layers"
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
                # N_l -> inf limit of (tau/N_l) int da / (a^(2-2/N_l) (s-a)) at rate lr/N_l
                # = F/(2 lr) int_{a0}^{s/2} da / (a^2 (s - a)), to leading order in a0 / s
                limit = cfg["n_features"] / (2 * cfg["lr"]) * (1 / (s * cfg["a0"]) - 2 / s**2)
                ax.axhline(limit, color=colour, ls=":", lw=1)
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
        handles += [
            Line2D([], [], ls="none", marker="o", ms=4, color="0.3"),
            Line2D([], [], ls="none", marker="s", ms=4, color="0.3", mfc="none"),
            Line2D([], [], color="0.3", lw=1),
        ]
        labels += [
            f"{names['decoupled']} start",
            f"{names['random']} start",
            "decoupled theory",
        ]
        if scaled:
            handles.append(Line2D([], [], color="0.3", ls=":", lw=1))
            labels.append(r"limit $N_l\to\infty$: $F/(2\eta N_l s a_0)$")
        ax.set(xlabel=r"hidden layers ($N_l-1$)", ylabel="epochs to half the mode, $t_{1/2}$")
        ax.set_yscale("log")
        rate = rf"$\eta={cfg['lr']:g}/N_l$" if scaled else rf"$\eta={cfg['lr']:g}$"
        ax.set_title(f"Learning time against depth, {rate}")
        ax.yaxis.set_major_formatter(ticker.ScalarFormatter())
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_yticks([10, 20, 50, 100, 200, 500])
        ax.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=7,
            title=f"mean $\\pm$ s.d. of {data['seed'].nunique()} seeds",
            title_fontsize=7,
        )
        job.save_figure(fig)
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
