"""Figure `edge_of_chaos`: (sigma_w, sigma_b) with chi_1 = 1 for several activations."""

import itertools

import numpy as np
from matplotlib import ticker
from matplotlib.lines import Line2D

from dltheory import activations, io, style

#: markers of the powers of ten of q* on the lines, cycled
MARKERS = ["o", "s", "^", "D", "p", "h", "P", "X"]


def rst_label(name):
    """An activation's label for a reST caption (math as :math:, ``|`` escaped)."""
    label = activations.get(name).label
    if label.startswith("$") and label.endswith("$"):
        return f":math:`{label[1:-1]}`"
    return label.replace("|", r"\|").replace("*", r"\*")


def nice_ticks(lo, hi):
    """1, 2, 5 times powers of ten between lo and hi (a log axis's labelled ticks)."""
    ticks = [
        m * 10.0**k
        for k in range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)
        for m in (1, 2, 5)
    ]
    return [t for t in ticks if lo <= t <= hi]


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        data = io.read_table(job.input.data)
        line = data[~data["start"]]
        starts = data[data["start"]].set_index("activation")
        drawable = np.isfinite(line["sigma_b"]) & (line["sigma_b"] > 0)
        if not drawable.any():
            raise ValueError(
                "figure edge_of_chaos: no activation of config "
                "meanfield.edge_of_chaos.activations has a critical point with sigma_b > 0 "
                "for q* in meanfield.edge_of_chaos.q_star; choose activations such as a "
                "bounded one (e.g. tanh or erf) or another q* range"
            )
        q_lo, q_hi = float(line["q_star"].min()), float(line["q_star"].max())
        # marked q*: the powers of ten in the range (rows `decade`), else the range's ends
        q_marks = sorted(line.loc[line["decade"], "q_star"].unique())
        if not q_marks:
            q_marks = [q_lo, q_hi]
        marker_of = dict(zip(q_marks, itertools.cycle(MARKERS)))
        fig, ax = style.figure(width=5.4, height=3.4)
        # below the lowest sigma_b drawn; a line starting at sigma_b = 0 (log axis) runs
        # into this floor, where a triangle marks its start
        positive = line.loc[drawable, "sigma_b"]
        y_floor = 0.5 * float(
            positive[positive > 1e-2].min() if (positive > 1e-2).any() else positive.min()
        )
        handles = []
        per_act = []
        groups = list(line.groupby("activation", sort=False))
        colours = style.PALETTE * (len(groups) // len(style.PALETTE) + 1)
        for colour, (act, curve) in zip(colours, groups, strict=False):
            ok = np.isfinite(curve["sigma_b"]) & (curve["sigma_b"] > 0)
            (h,) = ax.plot(curve["sigma_w"][ok], curve["sigma_b"][ok], color=colour)
            q0, sw0 = float(starts.loc[act, "q_star"]), float(starts.loc[act, "sigma_w"])
            label = style.activation_name(act)
            start_inside = bool(np.isfinite(q0) and q0 > q_lo and np.isfinite(sw0))
            if start_inside:
                # the line begins inside the range: sigma_b = 0 there (off a log axis), marked
                # on the lower edge with the curve dropping into it
                ax.plot([sw0], [y_floor], "v", color=colour, ms=6, clip_on=False)
                label += f", from $q^*$={q0:.3g}"
            if not ok.any():
                label += r" (no $\sigma_b>0$)"
            handles.append((h, label))
            present, absent = [], []
            for qq, marker in marker_of.items():
                row = curve[np.isclose(curve["q_star"], qq, rtol=1e-12)]
                if len(row) and np.isfinite(row["sigma_b"].iloc[0]) and row["sigma_b"].iloc[0] > 0:
                    ax.plot(row["sigma_w"], row["sigma_b"], marker, ms=4, color=colour)
                    present.append(float(qq))
                else:
                    absent.append(float(qq))
            per_act.append(
                {
                    "label": rst_label(act),
                    "q0": q0,
                    "sigma_w0": sw0,
                    "has_start": bool(np.isfinite(q0) and np.isfinite(sw0)),
                    "start_inside": start_inside,
                    "n_drawn": int(ok.sum()),
                    "n_grid": int(len(curve)),
                    "absent_marks": absent,
                }
            )
        ax.set(xlabel=r"$\sigma_w$", ylabel=r"$\sigma_b$", xscale="log", yscale="log")
        ax.set_ylim(bottom=y_floor)
        ax.set_title(r"Edge of chaos $\chi_1=1$")
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
        x_lo, x_hi = ax.get_xlim()
        ticks = nice_ticks(x_lo, x_hi)
        if len(ticks) >= 2:
            ax.set_xticks(ticks)
        marks = [
            Line2D([], [], ls="none", marker=m, color="0.3", ms=4, label=f"$q^*$={q:g}")
            for q, m in marker_of.items()
        ]
        extra = marks
        if any(a["start_inside"] for a in per_act):
            extra = marks + [
                Line2D(
                    [], [], ls="none", marker="v", color="0.3", ms=6, label=r"$\sigma_b=0$ (start)"
                )
            ]
        # outside the axes: no data under it
        fig.legend(
            [h for h, _ in handles] + extra,
            [lab for _, lab in handles] + [m.get_label() for m in extra],
            loc="outside right upper",
            title="ordered left of a curve,\nchaotic right",
        )
        facts = {
            "q_range": (q_lo, q_hi),
            "n_q": int(len(np.unique(line["q_star"]))),
            "activations": per_act,
            "q_marks": [float(q) for q in q_marks],
            "marks_are_decades": bool(line["decade"].any()),
        }
        log.info("facts: %s", facts)
        job.save_figure(fig, facts=facts)
        log.info("starts: %s", starts[["q_star", "sigma_w"]].to_dict("index"))
