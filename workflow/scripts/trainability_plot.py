"""Figures `trainability` and `trainability_dropout`: accuracy over (sigma_w^2, L) with 6 xi_c."""

import matplotlib.colors as mcolors
import numpy as np

from dltheory import io, style, trainability

job = io.job()
cfg = job.cfg
runs = io.read_table(job.input.runs)
theory = io.read_table(job.input.theory)
grid = trainability.accuracy_grid(runs, "train_acc")
keep_probs = sorted(grid["keep_prob"].unique(), reverse=True)
sw2 = np.sort(grid["sigma_w2"].unique())
depths = np.sort(grid["depth"].unique())
x_edges = trainability.cell_edges(sw2)
y_edges = np.concatenate([[0.0], trainability.cell_edges(depths)[1:]])
n_seeds = int(grid["n_seeds"].min())
norm = mcolors.Normalize(vmin=0.0, vmax=1.0)

fig, axes = style.figure(ncols=len(keep_probs), width=3.6, height=3.3, squeeze=False)
for ax, kp in zip(axes[0], keep_probs, strict=True):
    sub = grid[np.isclose(grid["keep_prob"], kp)]
    table = sub.pivot(index="depth", columns="sigma_w2", values="mean").loc[depths, sw2]
    mesh = ax.pcolormesh(x_edges, y_edges, table.to_numpy(), norm=norm, cmap="viridis")
    bad = runs[np.isclose(runs["keep_prob"], kp) & runs["diverged"]]
    if len(bad):
        ax.plot(bad["sigma_w2"], bad["depth"], "rx", ms=4, label="diverged run")
    curve = theory[np.isclose(theory["keep_prob"], kp)]
    ax.plot(curve["sigma_w2"], curve["six_xi_c"], color="white", lw=1.6, label=r"$6\,\xi_c$")
    ax.plot(curve["sigma_w2"], curve["xi_c"], color="white", lw=1.0, ls="--", label=r"$\xi_c$")
    if kp < 1:
        plain = theory[np.isclose(theory["keep_prob"], 1.0)]
        ax.plot(
            plain["sigma_w2"],
            plain["six_xi_c"],
            color="0.85",
            lw=1.0,
            ls=":",
            label=r"$6\,\xi_c$ without dropout",
        )
    ax.set(xlim=(x_edges[0], x_edges[-1]), ylim=(0, y_edges[-1]))
    ax.set(xlabel=r"$\sigma_w^2$", ylabel="depth $L$ (hidden tanh layers)")
    title = "no dropout" if kp == 1 else rf"dropout, keep probability $\rho={kp:g}$"
    ax.set_title(title)
handles, labels = axes[0][-1].get_legend_handles_labels()
fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), facecolor="0.6",
           frameon=True)  # fmt: skip
fig.colorbar(mesh, ax=axes[0].tolist(), label=f"training accuracy (mean of {n_seeds} seeds)")
data = io.read_params(job.input.runs)["cfg"]["data"]
fig.suptitle(
    f"{data['source']}, width {cfg['width']}, {cfg['optimizer']} lr {cfg['lr']:g}, "
    f"{cfg['steps']} steps of batch {cfg['batch']}, $\\sigma_b^2={cfg['sigma_b2']:g}$",
    fontsize=8,
)
style.save(fig, job.output)
job.log.info("wrote %s", list(job.output))
