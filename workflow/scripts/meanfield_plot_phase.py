"""Figures `qstar_phase`, `q_convergence_depth`, `cstar_phase`, `chi1_phase` (Poole Figs 1C-2D).

The three settings of figure `qmap` are marked as Poole et al. do; chi_1 has a diverging
colour map centred at chi_1 = 1, the convergence depth log colours; explanations sit in
the legend below the axes, not over the data.
"""

import numpy as np
from matplotlib import colors
from matplotlib import patheffects as pe
from matplotlib.lines import Line2D

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
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
        labels = {
            "qstar_phase": r"$q^*$",
            "q_convergence_depth": r"layers $l$ until $|q^l-q^*|\leq$ tol $q^*$",
            "cstar_phase": r"$c^*$",
            "chi1_phase": r"$\chi_1$",
        }
        act = data["activation"].iloc[0]
        fig, ax = style.figure(width=4.0, height=3.6)
        extend = "neither"
        if which == "chi1_phase":
            # diverging, centred on the order-to-chaos transition chi_1 = 1
            norm = colors.TwoSlopeNorm(
                vmin=float(np.nanmin(Z)), vcenter=1.0, vmax=float(np.nanmax(Z))
            )
            cmap = "PuOr_r"
        elif which == "q_convergence_depth":
            # depths span 1 to the cap: log colours; the cap (no convergence) is its own colour
            cap = int(data["max_depth"].iloc[0])
            norm = colors.LogNorm(vmin=max(1.0, float(np.nanmin(Z))), vmax=float(cap))
            cmap = "viridis"
        else:
            norm, cmap = None, "viridis"
        # a start already within tolerance (q* = q^0) takes 0 layers: drawn as 1 on the log scale
        shown = np.maximum(Z, 1.0) if which == "q_convergence_depth" else Z
        mesh = ax.pcolormesh(sw, sb, shown, shading="auto", cmap=cmap, norm=norm)
        fig.colorbar(mesh, ax=ax, label=labels[which], extend=extend)
        # white line with a black edge: visible on every colour of the maps and on white
        edge = [pe.Stroke(linewidth=2.6, foreground="k"), pe.Normal()]
        ax.contour(sw, sb, X1, levels=[1.0], colors="w", linewidths=1.2).set(path_effects=edge)
        markers = ["o", "s", "^", "D", "v"]
        handles = [Line2D([], [], color="w", lw=1.2, path_effects=edge)]
        names = [r"$\chi_1=1$ (ordered left, chaotic right)"]
        for marker, s_w in zip(markers, qmap["sigma_w"], strict=False):
            ax.plot([s_w], [qmap["sigma_b"]], marker, ms=7, mfc="none", mec="k", mew=1.5)
            ax.plot([s_w], [qmap["sigma_b"]], marker, ms=7, mfc="none", mec="w", mew=0.6)
            handles.append(
                Line2D([], [], ls="none", marker=marker, ms=7, mfc="none", mec="k", mew=1.5)
            )
            names.append(rf"figure qmap: $\sigma_w$={s_w:g}, $\sigma_b$={qmap['sigma_b']:g}")
        ax.set(xlabel=r"$\sigma_w$", ylabel=r"$\sigma_b$")
        if which == "q_convergence_depth":
            tol, q0 = data["tolerance"].iloc[0], data["q0"].iloc[0]
            ax.set_title(
                rf"layers to $|q^l-q^*|\leq${100 * tol:g}% $q^*$, $q^0$={q0:g}, {act}", fontsize=9
            )
            log.info(
                "%d grid points reach the cap %d; %d need 0 layers",
                int(np.sum(Z >= cap)),
                cap,
                int(np.sum(Z == 0)),
            )
        else:
            ax.set_title(rf"{labels[which]}, $\phi=${act}")
        ax.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=7)
        job.save_figure(fig)
        log.info("wrote %s", list(job.output))
