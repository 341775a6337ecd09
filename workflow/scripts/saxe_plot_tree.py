"""Figures `saxe_deep_linear_tree` / `saxe_relu_tree`: singular values per epoch (Ex. 2.3/2.4)."""

import numpy as np
from matplotlib import ticker
from matplotlib.lines import Line2D

from dltheory import io, style


def tree_levels(n_modes, branching):
    """Tree level of each mode, strongest first: level 0 (the root: what all items share)
    has 1 mode, level k >= 1 has B^(k-1) (B - 1) (the splits below the level-(k-1) nodes)."""
    levels, k = [0], 1
    while len(levels) < n_modes:
        levels += [k] * (branching ** (k - 1) * (branching - 1))
        k += 1
    return levels[:n_modes]


job = io.job()
log = job.log
variant = job.params.variant
curves = io.read_table(job.input.curves)
theory = io.read_table(job.input.theory)
tree = io.read_params(job.input.curves)["cfg"]["tree"]
net = io.read_params(job.input.curves)["cfg"]["network"]
curves = curves[curves["variant"] == variant]
theory = theory[theory["variant"] == variant]
n_seeds = curves["seed"].nunique()
modes = sorted(curves["mode"].unique())
level_of = dict(zip(modes, tree_levels(len(modes), tree["branching"]), strict=True))
level_colour = {lev: style.PALETTE[lev % len(style.PALETTE)] for lev in set(level_of.values())}

fig, (ax, ax_t) = style.figure(ncols=2, width=3.7, height=3.4)
for mode, part in curves.groupby("mode"):
    colour = level_colour[level_of[mode]]
    for seed, run in part.groupby("seed"):
        ax.plot(run["epoch"], run["sv"], color=colour, lw=1.4 if seed == 0 else 0.5, alpha=0.9)
    ax.axhline(part["s"].iloc[0], color=colour, ls="--", lw=0.8)
# linear up to epoch 10, logarithmic beyond: the first epochs and the late ones both show
ax.set_xscale("symlog", linthresh=10, linscale=0.5)
ax.set_xlim(0, curves["epoch"].max())
ax.set_ylim(-0.5, 1.15 * curves["s"].max())
ax.set(xlabel="epoch (linear to 10, log beyond)", ylabel=r"singular values of $\Sigma^{\hat y x}$")
name = "ReLU" if variant == "relu" else "linear"
ax.set_title(f"{name} net, hidden {job.params.hidden}, $\\eta$={net['lr']:g}", fontsize=9)

mean = theory.groupby("mode").agg(s=("s", "first"), t=("t_half", "mean"), sd=("t_half", "std"))
for mode, row in mean.iterrows():
    ax_t.errorbar(
        [row["s"]], [row["t"]], yerr=[row["sd"]], fmt="o", ms=4, color=level_colour[level_of[mode]]
    )
grid = theory.groupby("mode")[["s", "t_theory"]].first().sort_values("s")
ax_t.plot(grid["s"], grid["t_theory"], "k--", lw=1)
ax_t.set(xscale="log", yscale="log", xlabel=r"$s_\alpha$", ylabel="epoch at half the mode")
ax_t.xaxis.set_major_formatter(ticker.ScalarFormatter())
ax_t.xaxis.set_minor_formatter(ticker.NullFormatter())
ax_t.yaxis.set_major_formatter(ticker.ScalarFormatter())
ax_t.yaxis.set_minor_formatter(ticker.NullFormatter())
ax_t.set_xticks([4, 6, 10, 20])
ax_t.set_yticks([10, 20, 50, 100])
row = theory.iloc[0]
ratio = np.nanmean(theory["t_half"] / theory["t_theory"])
ax_t.set_title(f"measured/theory = {ratio:.2f} on average", fontsize=9)

handles, labels = [], []
for lev, colour in sorted(level_colour.items()):
    n = sum(1 for m in modes if level_of[m] == lev)
    handles.append(Line2D([], [], color=colour, lw=1.4))
    labels.append(f"tree level {lev} ({n} mode{'s' if n > 1 else ''})")
handles += [
    Line2D([], [], color="0.3", lw=1.4),
    Line2D([], [], color="0.3", lw=0.5),
    Line2D([], [], color="0.3", ls="--", lw=0.8),
    Line2D([], [], color="0.3", ls="none", marker="o", ms=4),
    Line2D([], [], color="k", ls="--", lw=1),
]
labels += [
    "seed 0",
    f"seeds 1-{n_seeds - 1}",
    r"$s_\alpha$ of $\Sigma^{yx}$ (left)",
    f"{name} net: mean, s.d. over {n_seeds} seeds",
    rf"decoupled linear theory, $\tau=F/2\eta$={row['tau']:g}, $N_l$={int(row['n_layers'])}, "
    f"$a^0$={row['a0']:.3f}",
]
fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=7)
log.info("%s: mean measured/theory half-time ratio %.3f", variant, ratio)
style.save(fig, job.output)
