"""Figure `saxe_svd_dynamics`: Euler singular values of W2 W1 and W_shallow (Exercise 1.2)."""

import numpy as np
from matplotlib.lines import Line2D

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import saxe_dynamics

        log = job.log
        data = io.read_table(job.input.data)
        cfg = io.read_params(job.input.data)["cfg"]  # the config slice of the run that made it
        tau, dt = 1.0 / cfg["eta"], cfg["dt"]
        sim = data[data["curve"] == "euler"]
        fig, axes = style.figure(ncols=2, width=3.6, height=3.1, sharey=True)
        titles = {"deep": r"one hidden layer: $W^2W^1$", "shallow": r"shallow: $W^{shallow}$"}
        for ax, net in zip(axes, ["deep", "shallow"], strict=True):
            part = sim[sim["net"] == net]
            for colour, (mode, curve) in zip(style.PALETTE, part.groupby("mode"), strict=False):
                s = curve["s"].iloc[0]
                ax.plot(
                    curve["t"],
                    curve["value"],
                    color=colour,
                    label=rf"$\hat a_{mode + 1}$, $s={s:.3g}$",
                )
                ax.axhline(s, color=colour, ls="--", lw=0.8)
            ax.set(
                xlabel=f"t (time units, {round(1 / dt):d} Euler updates each)", title=titles[net]
            )
        axes[0].set_ylabel("singular value")
        handles, labels = axes[0].get_legend_handles_labels()
        handles.append(Line2D([], [], color="0.3", ls="--", lw=0.8))
        labels.append(rf"$s_\alpha$ of $\Sigma^{{yx}}$ ($\tau=1/\eta={tau:g}$, $\Delta t={dt:g}$)")
        # below the panels: the curves cross the middle of both
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))

        # the caption's numbers, from the data and the config slice of the run
        t_end = float(sim["t"].max())
        times = np.sort(sim["t"].unique())
        s = sim.groupby("mode")["s"].first().sort_index().to_numpy()
        deep = sim[sim["net"] == "deep"].pivot_table(index="t", columns="mode", values="value")
        half = saxe_dynamics.half_time(times, deep.loc[times].to_numpy(), s)
        end = sim[sim["t"] == t_end].pivot_table(index="net", columns="mode", values="value")
        sigma_x = np.asarray(cfg["sigma_x"], dtype=float)
        n_out, n_in = np.shape(cfg["sigma_yx"])
        facts = {
            "n_in": n_in,
            "n_out": n_out,
            "sigma_x_identity": bool(np.array_equal(sigma_x, np.eye(len(sigma_x)))),
            "tau": tau,
            "t_end": t_end,
            "n_updates": round(t_end / dt),
            "s": [float(v) for v in s],
            "half_times": [float(v) for v in half if np.isfinite(v)],
            "n_not_half": int(np.isnan(half).sum()),
            "larger_first": bool(np.all(np.diff(half[np.isfinite(half)]) >= -1e-9)),
            "deep_error": float(np.max(np.abs(end.loc["deep"].to_numpy() - s))),
            "shallow_short_pct": float(100 * np.max(1 - end.loc["shallow"].to_numpy() / s)),
            "exp_factor": float(np.exp(-t_end / tau)),
            "t_over_tau": t_end / tau,
        }
        job.save_figure(fig, facts=facts)
        log.info("wrote %s; facts %s", list(job.output), facts)
