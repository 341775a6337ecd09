"""Figure `q_dynamics`: q^l against layer l (Poole et al. 2016, Fig. 1B)."""

from dltheory import io, style

job = io.job()
log = job.log
theory = io.read_table(job.input.theory)
sim = io.read_table(job.input.simulation)

sigmas = sorted(theory["sigma_w"].unique())
fig, axes = style.figure(ncols=len(sigmas), width=3.6, height=3.2, squeeze=False)
for ax, sigma_w in zip(axes[0], sigmas, strict=True):
    th = theory[theory["sigma_w"] == sigma_w]
    sm = sim[sim["sigma_w"] == sigma_w]
    style.iteration_panel(ax, th, sm, "q", "q0", "q_star", ms=3.5)
    ax.set(xlabel="layer $l$", ylabel="$q^l$", ylim=(-0.18 * th["q"].max(), 1.08 * th["q"].max()))
    ax.set_title(rf"$\sigma_w={sigma_w:g}$, $\sigma_b={th['sigma_b'].iloc[0]:g}$, tanh")
    style.caption(
        ax,
        f"lines: iterated q-map; dots: one N={int(sm['width'].iloc[0])} net;"
        f" dashed: q*={th['q_star'].iloc[0]:.3f}",
        loc="lower right",
    )
axes[0][0].legend(loc="upper right")
style.save(fig, job.output)
log.info("wrote %s", list(job.output))
