"""Figures `saxe_deep_linear_tree` / `saxe_relu_tree`: singular values per epoch (Ex. 2.3/2.4)."""

import numpy as np
from matplotlib import ticker

from dltheory import io, style

job = io.job()
log = job.log
variant = job.params.variant
curves = io.read_table(job.input.curves)
theory = io.read_table(job.input.theory)
curves = curves[curves["variant"] == variant]
theory = theory[theory["variant"] == variant]
n_seeds = curves["seed"].nunique()

fig, (ax, ax_t) = style.figure(ncols=2, width=3.7, height=3.2)
for colour, (_mode, part) in zip(style.PALETTE * 4, curves.groupby("mode"), strict=False):
    for seed, run in part.groupby("seed"):
        ax.plot(run["epoch"], run["sv"], color=colour, lw=1.4 if seed == 0 else 0.5, alpha=0.9)
    ax.axhline(part["s"].iloc[0], color=colour, ls="--", lw=0.8)
ax.set_xscale("symlog", linthresh=10, linscale=0.5)
ax.set_xlim(0, curves["epoch"].max())
ax.set_ylim(-0.5, 1.3 * curves["s"].max())
ax.set(xlabel="epoch", ylabel=r"singular values of $\Sigma^{\hat y x}$")
name = "ReLU" if variant == "relu" else "linear"
ax.set_title(f"{name} net, hidden {job.params.hidden}")
style.caption(
    ax,
    f"{n_seeds} seeds (bold: seed 0); dashed: $s_\\alpha$\n"
    "per-sample SGD noise at lr 0.5 on the top mode",
    loc="upper left",
)

mean = theory.groupby("mode").agg(s=("s", "first"), t=("t_half", "mean"), sd=("t_half", "std"))
ax_t.errorbar(mean["s"], mean["t"], yerr=mean["sd"], fmt="o", ms=4, label=f"{name} net (mean, sd)")
grid = theory.groupby("mode")[["s", "t_theory"]].first().sort_values("s")
ax_t.plot(grid["s"], grid["t_theory"], "k--", lw=1, label="decoupled linear theory")
ax_t.set(xscale="log", yscale="log", xlabel=r"$s_\alpha$", ylabel="epoch at half the mode")
ax_t.xaxis.set_major_formatter(ticker.ScalarFormatter())
ax_t.xaxis.set_minor_formatter(ticker.NullFormatter())
ax_t.yaxis.set_major_formatter(ticker.ScalarFormatter())
ax_t.yaxis.set_minor_formatter(ticker.NullFormatter())
ax_t.set_xticks([4, 6, 10, 20])
ax_t.set_yticks([10, 20, 50, 100])
ax_t.legend(loc="upper right")
row = theory.iloc[0]
ratio = np.nanmean(theory["t_half"] / theory["t_theory"])
style.caption(
    ax_t,
    f"$\\tau=F/2\\eta$={row['tau']:g} epochs, $N_l$={int(row['n_layers'])}, "
    f"a0={row['a0']:.3f} (mean initial s.v.)\n"
    f"measured/theory = {ratio:.2f} on average: "
    + (
        "ReLU gates\n(~half the units active) slow every mode"
        if variant == "relu"
        else "the random\nstart is not decoupled and must first align"
    ),
    loc="lower left",
)
log.info("%s: mean measured/theory half-time ratio %.3f", variant, ratio)
style.save(fig, job.output)
