"""Figure `edge_of_chaos`: (sigma_w, sigma_b) with chi_1 = 1, coloured by q*."""

import numpy as np
from matplotlib import ticker

from dltheory import io, style

job = io.job()
log = job.log
data = io.read_table(job.input.data)
fig, ax = style.figure(width=3.8, height=3.2)
for colour, (act, curve) in zip(
    style.PALETTE, data.groupby("activation", sort=False), strict=False
):
    ok = np.isfinite(curve["sigma_b"])
    ax.plot(curve["sigma_w"][ok], curve["sigma_b"][ok], color=colour, label=act)
    for qq in (1, 10, 100, 1000):
        row = curve.iloc[[int(np.argmin(np.abs(np.log(curve["q_star"]) - np.log(qq))))]]
        if np.isfinite(row["sigma_b"].iloc[0]):
            ax.plot(row["sigma_w"], row["sigma_b"], "o", ms=3, color=colour)
            if act == "tanh":
                ax.annotate(
                    f"q*={qq:g}",
                    (row["sigma_w"].iloc[0], row["sigma_b"].iloc[0]),
                    fontsize=6,
                    xytext=(3, -8),
                    textcoords="offset points",
                )
ax.set(xlabel=r"$\sigma_w$", ylabel=r"$\sigma_b$", xscale="log", yscale="log")
ax.set_title(r"Edge of chaos $\chi_1=1$, $q^*\in[1,1000]$")
ax.legend(loc="upper left")
ax.xaxis.set_minor_formatter(ticker.NullFormatter())
ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
ax.set_xticks([1, 2, 5, 10, 20])
style.caption(ax, "chaotic right of each curve, ordered left\ndots: q* = 1, 10, 100, 1000")
style.save(fig, job.output)
log.info("wrote %s", list(job.output))
