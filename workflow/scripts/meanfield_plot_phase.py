"""Figures `qstar_phase`, `q_convergence_depth`, `cstar_phase`, `chi1_phase` (Poole Figs 1C-2D)."""

import numpy as np

from dltheory import io, style

job = io.job()
log = job.log
which = job.params.which
data = io.read_table(job.input.data)
sw = np.unique(data["sigma_w"])
sb = np.unique(data["sigma_b"])
grid = data.set_index(["sigma_w", "sigma_b"]).sort_index()
col = {"qstar_phase": "q_star", "q_convergence_depth": "depth", "cstar_phase": "c_star"}.get(
    which, "chi1"
)
Z = grid[col].to_numpy(dtype=float).reshape(sw.size, sb.size).T
X1 = grid["chi1"].to_numpy(dtype=float).reshape(sw.size, sb.size).T
titles = {
    "qstar_phase": r"$q^*$",
    "q_convergence_depth": "layers to reach q*",
    "cstar_phase": r"$c^*$",
    "chi1_phase": r"$\chi_1$",
}
fig, ax = style.figure(width=3.8, height=3.2)
vmax = float(np.nanpercentile(Z, 99)) if which == "q_convergence_depth" else None
mesh = ax.pcolormesh(sw, sb, Z, shading="auto", cmap="viridis", vmax=vmax)
fig.colorbar(mesh, ax=ax, label=titles[which], extend="max" if vmax else "neither")
ax.contour(sw, sb, X1, levels=[1.0], colors="w", linewidths=1.2)
act = data["activation"].iloc[0]
ax.set(xlabel=r"$\sigma_w$", ylabel=r"$\sigma_b$")
if which == "q_convergence_depth":
    tol, q0, cap = data["tolerance"].iloc[0], data["q0"].iloc[0], data["max_depth"].iloc[0]
    ax.set_title(f"layers to |q^l - q*| <= {100 * tol:g}% q*, q^0 = {q0:g}, {act}", fontsize=9)
    text = f"cap {cap}: colour clipped at 99th pct\nwhite: chi_1 = 1"
else:
    ax.set_title(rf"{titles[which]}, $\phi=${act}")
    text = "white line: chi_1 = 1\n(ordered left, chaotic right)"
style.caption(ax, text, loc="lower right")
style.save(fig, job.output)
log.info("wrote %s", list(job.output))
