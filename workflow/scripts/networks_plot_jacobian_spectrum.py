"""Figure `jacobian_spectrum`: input-output Jacobian singular values at criticality."""

import numpy as np

from dltheory import io, style

job = io.job()
log = job.log
sim = io.read_table(job.input.simulation)
theory = io.read_table(job.input.theory)
acts = list(dict.fromkeys(sim["activation"]))
depth_max = int(sim["depth"].max())
colours = {"gaussian": style.PALETTE[1], "orthogonal": style.PALETTE[0]}

fig, axes = style.figure(ncols=len(acts) + 1, width=3.2, height=3.0)
for ax, act in zip(axes[:-1], acts, strict=True):
    sub = sim[(sim["activation"] == act) & (sim["depth"] == depth_max)]
    for wts, grp in sub.groupby("weights", sort=True):
        sv = grp["singular_value"].to_numpy()
        log_sv = np.sort(np.log10(np.maximum(sv, 1e-300)))
        ax.step(
            log_sv,
            np.arange(1, sv.size + 1) / sv.size,
            where="post",
            color=colours[wts],
            label=f"{wts}, var$(\\lambda)$={np.var(sv**2):.3g}",
        )
    ax.set(xlabel=r"$\log_{10}$ singular value of $J$", ylabel="fraction below", xlim=(-6, 2))
    point = theory[theory["activation"] == act].iloc[0]
    ax.set_title(
        f"{act}, $\\sigma_w$={point['sigma_w']:.3f}, $\\sigma_b$={point['sigma_b']:.3g}, "
        f"L={depth_max}"
    )
    ax.legend(loc="upper left")

ax = axes[-1]
lam = sim.assign(lam=sim["singular_value"] ** 2)
var = lam.groupby(["activation", "weights", "depth", "seed"])["lam"].var(ddof=0).reset_index()
var = (
    var.groupby(["activation", "weights", "depth"])["lam"]
    .agg(lam="mean", se=lambda v: v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else 0.0)
    .reset_index()
)
markers = dict(zip(acts, "so^Dvx", strict=False))
styles = dict(zip(acts, ["-", "--", ":", "-."] * 2, strict=False))
for (act, wts), th in theory.groupby(["activation", "weights"], sort=False):
    ls = styles[act]
    ax.plot(th["depth"], th["variance"], ls, color=colours[wts], lw=1, label=f"{act}, {wts}")
    m = var[(var["activation"] == act) & (var["weights"] == wts)]
    ax.errorbar(
        m["depth"],
        m["lam"],
        yerr=m["se"],
        fmt=markers[act],
        color=colours[wts],
        ms=5,
        mfc="none",
        capsize=2,
    )
ax.set(xlabel="depth L", ylabel=r"variance of the $JJ^T$ spectrum")
ax.set_title("free probability: $L(\\mu_2/\\mu_1^2-1-s_1)$")
ax.legend(loc="upper left")
n_nets = sim.groupby(["activation", "weights", "depth"])["seed"].nunique().min()
style.caption(
    ax,
    f"N={int(sim['index'].max()) + 1}, mean $\\pm$ s.e. of {n_nets} nets\n"
    f"lines: theory, q*={theory['q_star'].iloc[0]:.4g}",
    loc="lower right",
)
ax.set_ylim(bottom=-0.25 * theory["variance"].max())
style.save(fig, job.output)
log.info("variances %s", var.to_dict("records"))
