"""Figures `cmap` (Poole Fig. 2A) and `activation_comparison` (q-maps of |x|, ReLU, tanh)."""

import numpy as np

from dltheory import io, style

job = io.job()
log = job.log
which = job.params.which
data = io.read_table(job.input.data)
fig, ax = style.figure(width=3.6, height=3.2)
if which == "cmap":
    for colour, (sw, curve) in zip(style.PALETTE, data.groupby("sigma_w"), strict=False):
        x1 = curve["chi1"].iloc[0]
        ax.plot(
            curve["c_in"],
            curve["c_out"],
            color=colour,
            label=rf"$\sigma_w={sw:g}$, $\chi_1={x1:.2f}$",
        )
        cs = curve["c_star"].iloc[0]
        ax.plot([cs], [cs], "*", ms=10, color=colour, mec="k", mew=0.5, zorder=5)
    ax.plot([-1, 1], [-1, 1], "--", color="0.5", lw=1)
    ax.set(xlabel=r"$c^{l-1}$", ylabel=r"$c^l$", xlim=(-1, 1), ylim=(-1, 1))
    ax.set_title(rf"C-map at $q^*$, tanh, $\sigma_b={data['sigma_b'].iloc[0]:g}$")
    style.caption(ax, "stars: stable c*; c = 1 is always a fixed point")
else:
    for colour, (act, curve) in zip(
        style.PALETTE, data.groupby("activation", sort=False), strict=False
    ):
        ax.plot(curve["q_in"], curve["q_out"], color=colour, label=style.activation_name(act))
        qs = curve["q_star"].iloc[0]
        if np.isfinite(qs) and qs <= curve["q_in"].max():
            ax.plot([qs], [qs], "*", ms=10, color=colour, mec="k", mew=0.5, zorder=5)
    qm = data["q_in"].max()
    ax.plot([0, qm], [0, qm], "--", color="0.5", lw=1)
    ax.set(xlabel=r"$q^{l-1}$", ylabel=r"$q^l$", xlim=(0, qm), ylim=(0, qm))
    ax.set_title(
        rf"q-maps, $\sigma_w={data['sigma_w'].iloc[0]:g}$, "
        rf"$\sigma_b={data['sigma_b'].iloc[0]:g}$"
    )
    lost = ", ".join(
        a for a, c in data.groupby("activation") if not np.isfinite(c["q_star"].iloc[0])
    )
    style.caption(
        ax,
        "stars: q* (ReLU and tanh stars nearly coincide)"
        + (f"\nno finite q* for {lost} (q* = inf)" if lost else ""),
        loc="center right",
    )
ax.legend(loc="upper left")
style.save(fig, job.output)
log.info("wrote %s", list(job.output))
