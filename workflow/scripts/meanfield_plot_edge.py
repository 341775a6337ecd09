"""Figure `edge_of_chaos`: (sigma_w, sigma_b) with chi_1 = 1 for several activations."""

import numpy as np
from matplotlib import ticker
from matplotlib.lines import Line2D

from dltheory import io, style

Q_MARKS = {1.0: "o", 10.0: "s", 100.0: "^", 1000.0: "D"}


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        data = io.read_table(job.input.data)
        line = data[~data["start"]]
        starts = data[data["start"]].set_index("activation")
        fig, ax = style.figure(width=5.4, height=3.4)
        # below the lowest sigma_b of the range drawn; a line starting at sigma_b = 0 (log axis)
        # runs into this floor, where a triangle marks its start
        y_floor = 0.5 * np.nanmin(
            line.loc[line["q_star"] >= line["q_star"].min(), "sigma_b"].where(
                line["sigma_b"] > 1e-2
            )
        )
        handles = []
        for colour, (act, curve) in zip(
            style.PALETTE, line.groupby("activation", sort=False), strict=False
        ):
            ok = np.isfinite(curve["sigma_b"]) & (curve["sigma_b"] > 0)
            (h,) = ax.plot(curve["sigma_w"][ok], curve["sigma_b"][ok], color=colour)
            q0, sw0 = starts.loc[act, "q_star"], starts.loc[act, "sigma_w"]
            label = style.activation_name(act)
            if q0 > curve["q_star"].min():
                # the line begins inside the range: sigma_b = 0 there (off a log axis), marked
                # on the lower edge with the curve dropping into it
                ax.plot([sw0], [y_floor], "v", color=colour, ms=6, clip_on=False)
                label += f", from $q^*$={q0:.3g}"
            handles.append((h, label))
            for qq, marker in Q_MARKS.items():
                row = curve[np.isclose(curve["q_star"], qq, rtol=1e-9)]
                if len(row) and np.isfinite(row["sigma_b"].iloc[0]):
                    ax.plot(row["sigma_w"], row["sigma_b"], marker, ms=4, color=colour)
        ax.set(xlabel=r"$\sigma_w$", ylabel=r"$\sigma_b$", xscale="log", yscale="log")
        ax.set_ylim(bottom=y_floor)
        ax.set_title(r"Edge of chaos $\chi_1=1$")
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
        ax.set_xticks([1, 2, 5, 10, 20])
        marks = [
            Line2D([], [], ls="none", marker=m, color="0.3", ms=4, label=f"$q^*$={q:g}")
            for q, m in Q_MARKS.items()
        ]
        start_mark = Line2D(
            [], [], ls="none", marker="v", color="0.3", ms=6, label=r"$\sigma_b=0$ (start)"
        )
        # outside the axes: no data under it
        fig.legend(
            [h for h, _ in handles] + marks + [start_mark],
            [lab for _, lab in handles] + [m.get_label() for m in marks] + [start_mark.get_label()],
            loc="outside right upper",
            title="ordered left of a curve,\nchaotic right",
        )
        job.save_figure(fig)
        log.info("starts: %s", starts[["q_star", "sigma_w"]].to_dict("index"))
