"""Figure `saxe_analytic`: equations (4) and (5) against the Euler runs (Exercise 1.3)."""

import numpy as np

from dltheory import io, style


def largest_gap(part, kind):
    """(gap, mode, t) of the largest |theory - Euler| of one net, and the largest gap with
    the theory ahead of (above) the run and behind (below) it."""
    wide = part.pivot_table(index=["t", "mode"], columns="curve", values="value")
    diff = wide[kind] - wide["euler"]
    t, mode = diff.abs().idxmax()
    return {
        "gap": float(diff.abs().max()),
        "mode": int(mode) + 1,
        "t": float(t),
        "ahead": float(max(diff.max(), 0.0)),
        "behind": float(max(-diff.min(), 0.0)),
    }


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        data = io.read_table(job.input.data)
        a0 = job.params.exercise1["a0"]
        fig, axes = style.figure(ncols=2, width=3.7, height=3.2, sharey=True)
        styles = {
            "euler": dict(ls="-", lw=1.6, alpha=0.55),
            "theory_a0": dict(ls="--", lw=1.2),
            "theory_own": dict(ls=":", lw=1.6),
        }
        for ax, net in zip(axes, ["deep", "shallow"], strict=True):
            part = data[data["net"] == net]
            for colour, (_mode, curve) in zip(style.PALETTE, part.groupby("mode"), strict=False):
                for kind, kw in styles.items():
                    c = curve[curve["curve"] == kind]
                    ax.plot(c["t"], c["value"], color=colour, **kw)
            ax.set(
                xlabel="t",
                title="one hidden layer, eq. (4)" if net == "deep" else "shallow, eq. (5)",
            )
        axes[0].set_ylabel("singular value")
        handles = [axes[0].plot([], [], color="0.3", **kw)[0] for kw in styles.values()]
        labels = [
            "Euler simulation",
            rf"theory, $a^0=b^0={a0:g}$",
            "theory from the run's own $a^0$",
        ]
        for colour, (mode, curve) in zip(style.PALETTE, data.groupby("mode"), strict=False):
            handles.append(axes[0].plot([], [], color=colour, lw=1.6)[0])
            labels.append(rf"mode {mode + 1}: $s={curve['s'].iloc[0]:.3g}$")
        # below the panels: the curves cross both panels everywhere
        fig.legend(handles, labels, loc="outside lower center", ncols=4)

        # the caption's numbers, from the data
        deep = data[data["net"] == "deep"]
        shallow = data[data["net"] == "shallow"]
        euler = deep[deep["curve"] == "euler"]
        a_init = euler[euler["t"] == 0].sort_values("mode")["value"].to_numpy()
        top = euler[euler["mode"] == euler["mode"].min()].sort_values("t")["value"].to_numpy()
        facts = {
            "a0": a0,
            "a_init": [float(v) for v in np.round(a_init, 3)],
            "ratio_min": float(a_init.min() / a0),
            "ratio_max": float(a_init.max() / a0),
            "deep_a0": largest_gap(deep, "theory_a0"),
            "deep_own": largest_gap(deep, "theory_own"),
            "shallow_a0": largest_gap(shallow, "theory_a0"),
            "shallow_own": largest_gap(shallow, "theory_own"),
            # the strongest mode of the random product first falls before it grows
            "top_dips": bool(top.size > 1 and top[1] < top[0]),
        }
        log.info(
            "one hidden layer: the run starts at a0 = %s (the config's a0 = %g)",
            facts["a_init"],
            a0,
        )
        job.save_figure(fig, facts=facts)
        log.info("facts: %s", facts)
