"""Figure `c_dynamics`: c^l against layer l (Poole et al. 2016, Fig. 2B)."""

from dltheory import io, style

job = io.job()
log = job.log
theory = io.read_table(job.input.theory)
sim = io.read_table(job.input.simulation)
sigmas = sorted(theory["sigma_w"].unique())
fig, axes = style.figure(ncols=len(sigmas), width=3.4, height=3.1, squeeze=False)
for ax, sigma_w in zip(axes[0], sigmas, strict=True):
    th = theory[theory["sigma_w"] == sigma_w]
    sm = sim[sim["sigma_w"] == sigma_w]
    style.iteration_panel(ax, th, sm, "c", "c0", "c_star", ms=3)
    ax.set(xlabel="layer $l$", ylabel="$c^l$", ylim=(-0.05, 1.05))
    ax.set_title(
        rf"$\sigma_w={sigma_w:g}$, $\sigma_b={th['sigma_b'].iloc[0]:g}$, "
        rf"$\chi_1={th['chi1'].iloc[0]:.3f}$"
    )
    style.caption(
        ax,
        f"lines: C-map; dots: one N={int(sm['width'].iloc[0])} net;"
        f" dashed c*={th['c_star'].iloc[0]:.3f}",
        loc="lower right",
    )
axes[0][0].legend(loc="lower left", ncol=2)
style.save(fig, job.output)
log.info("wrote %s", list(job.output))
