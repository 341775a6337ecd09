"""Figure `dropout_cmap`: correlations with dropout (Schoenholz et al. 2017, Sec. 5)."""

import numpy as np

from dltheory import io, style

job = io.job()
log = job.log
cfg = job.cfg
it = io.read_table(job.input.iterates)
scales = io.read_table(job.input.scales)
sim = io.read_table(job.input.simulation)
fig, (ax0, ax1) = style.figure(ncols=2, width=3.6, height=3.2)
for colour, (rho, th) in zip(style.PALETTE, it.groupby("keep_prob", sort=False), strict=False):
    for j, (c0, curve) in enumerate(th.groupby("c0", sort=True)):
        ax0.plot(
            curve["layer"],
            curve["c"],
            color=colour,
            ls="-" if j == 0 else "--",
            label=rf"$\rho={rho:g}$, $c^*={curve['c_star'].iloc[0]:.3f}$" if j == 0 else None,
        )
        sm = sim[np.isclose(sim["keep_prob"], rho) & np.isclose(sim["c0"], c0)]
        m = sm.groupby("layer")["c"]
        ax0.errorbar(m.mean().index, m.mean(), yerr=m.std(), fmt="o", ms=2.5, lw=0.7, color=colour)
    sc = scales[np.isclose(scales["keep_prob"], rho)]
    ax1.plot(sc["sigma_w2"], sc["xi_c"], color=colour, label=rf"$\rho={rho:g}$")
ax0.set(xlabel="layer $l$", ylabel="$c^l$", ylim=(-0.32, 1.05))
ax0.set_title(
    rf"tanh, $\sigma_w^2={cfg['sigma_w'] ** 2:.3g}$, $\sigma_b^2={cfg['sigma_b'] ** 2:.3g}$"
)
ax0.legend(loc="lower left", fontsize=7)
style.caption(
    ax0,
    f"lines: dropout C-map; dots: N={int(sim['width'].iloc[0])}, "
    f"{sim['seed'].nunique() // it['keep_prob'].nunique()} nets",
    loc="lower right",
)
ax1.set(xlabel=r"$\sigma_w^2$", ylabel=r"$\xi_c$ (layers)", yscale="log")
ax1.set_title(rf"$\xi_c$ with dropout, $\sigma_b^2={cfg['sigma_b'] ** 2:.3g}$")
ax1.legend(loc="upper right")
style.save(fig, job.output)
log.info("wrote %s", list(job.output))
