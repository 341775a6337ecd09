"""Figure `depth_scales`: xi_q and xi_c against sigma_w^2 (Schoenholz et al. 2017, Fig. 1)."""

from dltheory import io, style

job = io.job()
log = job.log
cfg = job.cfg
theory = io.read_table(job.input.theory)
fit = io.read_table(job.input.fit)
fig, ax = style.figure(width=4.4, height=3.4)
ax.plot(theory["sigma_w2"], theory["xi_q"], color=style.PALETTE[0], label=r"$\xi_q$ theory")
ax.plot(theory["sigma_w2"], theory["xi_c"], color=style.PALETTE[1], label=r"$\xi_c$ theory")
ax.plot(fit["sigma_w2"], fit["xi_q_fit"], "o", color=style.PALETTE[0], ms=4, label=r"$\xi_q$ fit")
ax.plot(fit["sigma_w2"], fit["xi_c_fit"], "s", color=style.PALETTE[1], ms=4, label=r"$\xi_c$ fit")
for col, marker, colour in (
    ("xi_q_map", "o", style.PALETTE[0]),
    ("xi_c_map", "s", style.PALETTE[1]),
):
    ax.plot(
        fit["sigma_w2"],
        fit[col],
        marker,
        color=colour,
        ms=8,
        mfc="none",
        label="same fit, mean-field iteration" if col == "xi_c_map" else None,
    )
crit = theory.iloc[(theory["chi1"] - 1).abs().argmin()]["sigma_w2"]
ax.axvline(crit, color="0.6", ls=":", lw=1)
ax.set(xlabel=r"$\sigma_w^2$", ylabel="depth scale (layers)", yscale="log")
ax.set_title(rf"tanh, $\sigma_b^2={cfg['sigma_b2']:g}$")
ax.legend(loc="upper right")
style.caption(
    ax, f"fits: N={cfg['width']}, {cfg['n_seeds']} nets; dotted: chi_1 = 1", loc="lower right"
)
style.save(fig, job.output)
log.info("wrote %s", list(job.output))
