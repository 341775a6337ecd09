"""Figure `trajectory_length`: length of a circle of inputs against depth."""

import numpy as np

from dltheory import io, style

job = io.job()
log = job.log
cfg = job.cfg
sim = io.read_table(job.input.simulation)
theory = io.read_table(job.input.theory)
acts = list(dict.fromkeys(theory["activation"]))

fig, axes = style.figure(ncols=len(acts), width=4.6, height=3.6)
for ax, act in zip(np.atleast_1d(axes), acts, strict=True):
    th_act, sim_act = theory[theory["activation"] == act], sim[sim["activation"] == act]
    groups = th_act.groupby("sigma_w", sort=True)
    for colour, (sigma_w, th) in zip(style.PALETTE, groups, strict=False):
        sm = sim_act[sim_act["sigma_w"] == sigma_w].groupby("layer")["ratio"]
        ax.plot(
            th["layer"],
            th["mean_field"],
            color=colour,
            lw=1.2,
            label=rf"$\sigma_w={sigma_w:.3g}$, $\sqrt{{\chi_1}}={th['growth'].iloc[0]:.3g}$",
        )
        if th["price_bound"].notna().all():
            ax.plot(th["layer"], th["price_bound"], ":", color=colour, lw=1.2)
        ax.errorbar(sm.mean().index, sm.mean(), yerr=sm.std(), fmt="o", ms=3, color=colour)
    sigma_b = th_act["sigma_b"].iloc[0]
    at = "at $q^*$" if th_act["q0"].nunique() > 1 or sigma_b > 0 else f"$q^0$={cfg['q0']:g}"
    ax.set(yscale="log", xlabel="layer $l$", ylabel="trajectory length / input length")
    ax.set_title(f"{act}, $\\sigma_b$={sigma_b:g}, circle {at}, N={cfg['width']}")
    ax.legend(loc="lower left", fontsize=7)
    note = (
        f"dots: {cfg['n_points']} points, mean, s.d. over nets\nlines: mean field $\\chi_1^{{l/2}}$"
    )
    if th_act["price_bound"].notna().all():
        ax.set_ylim(bottom=1e-12)
        note += "\ndotted: Price $(M/2)^l$, $M=\\sigma_w\\sqrt{2/(\\pi N)}$"
    style.caption(ax, note, loc="upper left")
style.save(fig, job.output)
log.info("wrote %s", list(job.output))
