"""Figure `trajectory_length`: length of a circle of inputs against depth."""

from dltheory import io, style

log = io.script_logger(snakemake.log[0])
cfg = snakemake.params.cfg
sim = io.read_table(snakemake.input.simulation)
theory = io.read_table(snakemake.input.theory)

fig, ax = style.figure(width=4.6, height=3.6)
for colour, (sigma_w, th) in zip(style.PALETTE, theory.groupby("sigma_w", sort=True), strict=False):
    sm = sim[sim["sigma_w"] == sigma_w].groupby("layer")["ratio"]
    ax.plot(
        th["layer"],
        th["mean_field"],
        color=colour,
        lw=1.2,
        label=rf"$\sigma_w={sigma_w:.3g}$, $\sqrt{{\chi_1}}={th['growth'].iloc[0]:.3g}$",
    )
    ax.plot(th["layer"], th["price_bound"], ":", color=colour, lw=1.2)
    ax.errorbar(sm.mean().index, sm.mean(), yerr=sm.std(), fmt="o", ms=3, color=colour)
ax.set(
    yscale="log", xlabel="layer $l$", ylabel="trajectory length / input length", ylim=(1e-12, None)
)
ax.set_title(f"circle of {cfg['n_points']} inputs, {cfg['activation']}, N={cfg['width']}")
ax.legend(loc="lower left", fontsize=7)
style.caption(
    ax,
    "dots: simulation (mean, s.d. over nets)\nlines: mean field $\\chi_1^{l/2}$;"
    " dotted: Price $(M/2)^l$, $M=\\sigma_w\\sqrt{2/(\\pi N)}$",
    loc="upper left",
)
style.save(fig, snakemake.output)
log.info("wrote %s", list(snakemake.output))
