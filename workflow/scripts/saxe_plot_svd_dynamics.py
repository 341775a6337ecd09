"""Figure `saxe_svd_dynamics`: Euler singular values of W2 W1 and W_shallow (Exercise 1.2)."""

from dltheory import io, style

job = io.job()
log = job.log
data = io.read_table(job.input.data)
sim = data[data["curve"] == "euler"]
fig, axes = style.figure(ncols=2, width=3.6, height=3.1, sharey=True)
titles = {"deep": r"one hidden layer: $W^2W^1$", "shallow": r"shallow: $W^{shallow}$"}
for ax, net in zip(axes, ["deep", "shallow"], strict=True):
    part = sim[sim["net"] == net]
    for colour, (mode, curve) in zip(style.PALETTE, part.groupby("mode"), strict=False):
        s = curve["s"].iloc[0]
        ax.plot(
            curve["t"], curve["value"], color=colour, label=rf"$\hat a_{mode + 1}$, $s={s:.3g}$"
        )
        ax.axhline(s, color=colour, ls="--", lw=0.8)
    ax.set(xlabel="t (time units, 10 Euler updates each)", title=titles[net])
axes[0].set_ylabel("singular value")
axes[0].legend(loc="center right")
style.caption(axes[1], r"dashed: $s_\alpha$ of $\Sigma^{yx}$; $\tau=1/\eta=2.5$, $\Delta t=0.1$")
style.save(fig, job.output)
log.info("wrote %s", list(job.output))
