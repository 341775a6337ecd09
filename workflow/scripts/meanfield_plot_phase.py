"""Figures `qstar_phase`, `q_convergence_depth`, `cstar_phase`, `chi1_phase` (Poole Figs 1C-2D).

The settings of figure `qmap` that fall inside the grid are marked as Poole et al. do;
chi_1 has a diverging colour map centred at chi_1 = 1, the convergence depth log colours;
explanations sit in the legend below the axes, not over the data. Non-finite values (q* =
inf) are left blank and counted in the caption.
"""

import itertools

import numpy as np
from matplotlib import colormaps, colors
from matplotlib import patheffects as pe
from matplotlib.lines import Line2D

from dltheory import activations, io, style

#: open markers of the qmap settings, cycled when there are more settings
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "h"]

#: the activation of the paper's figures (Poole et al. 2016 draw them for tanh)
PAPER_ACTIVATION = "tanh"


def rst_label(name):
    """An activation's label for a reST caption (math as :math:, ``|`` escaped)."""
    label = activations.get(name).label
    if label.startswith("$") and label.endswith("$"):
        return f":math:`{label[1:-1]}`"
    return label.replace("|", r"\|").replace("*", r"\*")


def span(values):
    """(min, max) of a non-empty array as floats, or None."""
    values = np.asarray(values, dtype=float)
    return (float(values.min()), float(values.max())) if values.size else None


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import meanfield

        log = job.log
        which = job.params.which
        qmap = job.params.qmap
        data = io.read_table(job.input.data)
        sw = np.unique(data["sigma_w"])
        sb = np.unique(data["sigma_b"])
        grid = data.set_index(["sigma_w", "sigma_b"]).sort_index()
        col = {
            "qstar_phase": "q_star",
            "q_convergence_depth": "depth",
            "cstar_phase": "c_star",
        }.get(which, "chi1")
        Z = grid[col].to_numpy(dtype=float).reshape(sw.size, sb.size).T
        X1 = grid["chi1"].to_numpy(dtype=float).reshape(sw.size, sb.size).T
        SW, SB = np.meshgrid(sw, sb)
        finite = np.isfinite(Z)
        if not finite.any():
            raise ValueError(
                f"figure {which}: no finite {col} on the grid of config "
                "meanfield.phase_diagram (sigma_w, sigma_b, activation); choose a grid "
                "where the fixed point is finite"
            )
        labels = {
            "qstar_phase": r"$q^*$",
            "q_convergence_depth": r"layers $l$ until $|q^l-q^*|\leq$"
            + (f"{100 * float(data['tolerance'].iloc[0]):g}% " if "tolerance" in data else "")
            + r"$q^*$",
            "cstar_phase": r"$c^*$",
            "chi1_phase": r"$\chi_1$",
        }
        act = data["activation"].iloc[0]
        act_label = style.activation_name(act)
        fig, ax = style.figure(width=4.0, height=3.6)
        extend = "neither"
        lo, hi = float(np.min(Z[finite])), float(np.max(Z[finite]))
        if which == "chi1_phase":
            # diverging, centred on the order-to-chaos transition chi_1 = 1 (kept inside
            # the colour range even when the grid lies on one side of it)
            norm = colors.TwoSlopeNorm(
                vmin=min(lo, 1.0 - 1e-6), vcenter=1.0, vmax=max(hi, 1.0 + 1e-6)
            )
            cmap = "PuOr_r"
        elif which == "q_convergence_depth":
            # depths span 1 to the cap: log colours; the cap (no convergence) is its own colour
            cap = int(data["max_depth"].iloc[0])
            norm = colors.LogNorm(vmin=max(1.0, lo), vmax=float(max(cap, 2)))
            # a start already within tolerance (0 layers) has its own colour, below the scale
            cmap = colormaps["viridis"].with_extremes(under="lightgrey")
            if (Z == 0).any():
                extend = "min"
        else:
            norm, cmap = None, "viridis"
        # a start already within tolerance (q* = q^0) takes 0 layers: below the log scale
        shown = np.where(Z == 0, 0.5, Z) if which == "q_convergence_depth" else Z
        mesh = ax.pcolormesh(
            sw, sb, np.ma.masked_invalid(shown), shading="auto", cmap=cmap, norm=norm
        )
        fig.colorbar(mesh, ax=ax, label=labels[which], extend=extend)
        # white line with a black edge: visible on every colour of the maps and on white
        edge = [pe.Stroke(linewidth=2.6, foreground="k"), pe.Normal()]
        handles, names = [], []
        crosses = np.nanmin(X1) < 1.0 < np.nanmax(X1)
        if crosses:
            ax.contour(sw, sb, X1, levels=[1.0], colors="w", linewidths=1.2).set(path_effects=edge)
            handles.append(Line2D([], [], color="w", lw=1.2, path_effects=edge))
            names.append(r"$\chi_1=1$ (ordered left, chaotic right)")

        # the settings of figure qmap inside the grid, with the values of this diagram there
        qmap_b = float(qmap["sigma_b"])
        same_act = qmap["activation"] == act
        inside = [
            float(s)
            for s in qmap["sigma_w"]
            if sw.min() <= s <= sw.max() and sb.min() <= qmap_b <= sb.max()
        ]
        outside = [float(s) for s in qmap["sigma_w"] if float(s) not in inside]
        marks = []
        for marker, s_w in zip(itertools.cycle(MARKERS), inside):
            ax.plot([s_w], [qmap_b], marker, ms=7, mfc="none", mec="k", mew=1.5)
            ax.plot([s_w], [qmap_b], marker, ms=7, mfc="none", mec="w", mew=0.6)
            handles.append(
                Line2D([], [], ls="none", marker=marker, ms=7, mfc="none", mec="k", mew=1.5)
            )
            where = "figure qmap" if same_act else "figure qmap's setting"
            names.append(rf"{where}: $\sigma_w$={s_w:g}, $\sigma_b$={qmap_b:g}")
            q_s = float(meanfield.q_star(s_w, qmap_b, act))
            x1 = float(meanfield.chi1(s_w, qmap_b, act, q=q_s))
            c_s = float(meanfield.c_star(s_w, qmap_b, act, q=q_s)) if np.isfinite(q_s) else np.nan
            marks.append(
                {
                    "sigma_w": s_w,
                    "q_star": q_s,
                    "chi1": x1,
                    "c_star": c_s,
                    "phase": "chaotic" if x1 > 1 else ("critical" if x1 == 1 else "ordered"),
                }
            )
        ax.set(xlabel=r"$\sigma_w$", ylabel=r"$\sigma_b$")
        facts = {
            "paper_activation": act == PAPER_ACTIVATION,
            "activation": rst_label(act),
            "qmap_activation": rst_label(qmap["activation"]),
            "same_activation": bool(same_act),
            "sigma_w_range": span(sw),
            "sigma_b_range": span(sb),
            "n_sigma_w": int(sw.size),
            "n_sigma_b": int(sb.size),
            "crosses": bool(crosses),
            "qmap_sigma_b": qmap_b,
            "marks": marks,
            "mark_sigma_w": inside,
            "n_marks": len(marks),
            "outside": outside,
            "n_nonfinite": int((~finite).sum()),
            "n_points": int(Z.size),
        }
        if which == "q_convergence_depth":
            tol, q0 = float(data["tolerance"].iloc[0]), float(data["q0"].iloc[0])
            ax.set_title(
                rf"layers to $|q^l-q^*|\leq${100 * tol:g}% $q^*$, $q^0$={q0:g}, {act_label}",
                fontsize=9,
            )
            at_cap, at_zero = (Z >= cap) & finite, Z == 0
            quick = finite & ~at_cap
            facts.update(
                tolerance_pct=100 * tol,
                q0=q0,
                cap=cap,
                n_cap=int(at_cap.sum()),
                n_zero=int(at_zero.sum()),
                cap_sigma_w=span(SW[at_cap]),
                cap_sigma_b=span(SB[at_cap]),
                median_depth=float(np.median(Z[quick])) if quick.any() else float("nan"),
                p90_depth=float(np.percentile(Z[quick], 90)) if quick.any() else float("nan"),
            )
            log.info(
                "%d grid points reach the cap %d; %d need 0 layers",
                facts["n_cap"],
                cap,
                facts["n_zero"],
            )
        else:
            ax.set_title(rf"{labels[which]}, $\phi$ = {act_label}")
        if which == "qstar_phase":
            zero = finite & (Z <= 1e-12 * max(hi, 1.0))
            facts.update(
                n_zero=int(zero.sum()),
                zero_sigma_w=span(SW[zero]),
                zero_sigma_b=span(SB[zero]),
                q_range=(lo, hi),
            )
        if which == "cstar_phase":
            ordered = finite & (Z >= 1.0 - 1e-12)
            chaotic = finite & ~ordered
            c_min = float(Z[finite].min())
            lowest = finite & (Z <= c_min + 1e-9)
            facts.update(
                n_ordered=int(ordered.sum()),
                n_chaotic=int(chaotic.sum()),
                c_min=c_min,
                n_lowest=int(lowest.sum()),
                lowest_sigma_w=span(SW[lowest]),
                lowest_sigma_b=span(SB[lowest]),
            )
        if which == "chi1_phase":
            facts.update(chi1_range=(lo, hi))
            try:
                swc = float(meanfield.critical_sigma_w(qmap_b, act))
            except (ValueError, RuntimeError) as err:
                log.info("no critical sigma_w at sigma_b = %g: %s", qmap_b, err)
                swc = float("nan")
            facts.update(critical_sigma_w=swc, has_critical=bool(np.isfinite(swc)))
        if handles:
            ax.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=7)
        log.info("facts: %s", facts)
        job.save_figure(fig, facts=facts)
        log.info("wrote %s", list(job.output))
