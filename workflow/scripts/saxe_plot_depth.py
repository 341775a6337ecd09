"""Figure `saxe_depth`: learning time of each mode against depth and initialisation."""

from matplotlib import ticker

from dltheory import io, style

job = io.job()
log = job.log
data = io.read_table(job.input.data)
modes = sorted(data["mode"].unique())
shown = [modes[0], modes[len(modes) // 2], modes[-1]]
markers = {"decoupled": "o", "random": "s"}
fig, ax = style.figure(width=6.4, height=3.6)
for colour, mode in zip(style.PALETTE, shown, strict=False):
    part = data[data["mode"] == mode]
    theory = part.groupby("hidden")["t_theory"].first()
    ax.plot(theory.index, theory.values, color=colour, lw=1)
    for init, grp in part.groupby("init"):
        stats = grp.groupby("hidden")["t_half"].agg(["mean", "std"])
        ax.errorbar(
            stats.index + (0.1 if init == "random" else -0.1),
            stats["mean"],
            yerr=stats["std"],
            fmt=markers[init],
            ms=4,
            color=colour,
            mfc="none" if init == "random" else colour,
            label=f"mode {mode + 1} ($s$={part['s'].iloc[0]:.2f}), {init}",
        )
ax.set(xlabel="hidden layers", ylabel="epoch at half the mode", yscale="log")
ax.set_title("Learning time against depth")
ax.yaxis.set_major_formatter(ticker.ScalarFormatter())
ax.yaxis.set_minor_formatter(ticker.NullFormatter())
ax.set_yticks([20, 50, 100, 200, 500])
ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7)
style.caption(
    ax,
    "lines: decoupled theory (same a0, lr); filled: decoupled\n(orthogonal) init; "
    f"open: random Gaussian, same per-layer gain; {data['seed'].nunique()} seeds",
    loc="lower left",
)
style.save(fig, job.output)
log.info("wrote %s", list(job.output))
