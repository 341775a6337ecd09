"""Figure `qstar_empirical`: q^l deep in wide tanh nets against q* (Sheet 2 Q1(b))."""

import numpy as np

from dltheory import io, meanfield, networks, style

job = io.job()
log = job.log
cfg = job.cfg
sim = io.read_table(job.input.simulation)
q_star = float(meanfield.q_star(cfg["sigma_w"], cfg["sigma_b"], cfg["activation"]))
est = networks.empirical_fixed_point(sim, cfg["layer_min"])

fig, (ax0, ax1) = style.figure(ncols=2, width=3.5, height=3.0)
widths = sorted(sim["width"].unique())
for colour, width in zip(style.PALETTE, widths, strict=False):
    sub = sim[sim["width"] == width]
    per_layer = sub.groupby("layer")["q"]
    mean, lo, hi = per_layer.mean(), per_layer.quantile(0.05), per_layer.quantile(0.95)
    ax0.fill_between(mean.index, lo, hi, color=colour, alpha=0.2, lw=0)
    ax0.plot(mean.index, mean, color=colour, lw=1, label=f"N={width}")
ax0.axhline(q_star, color="k", ls="--", lw=1, label=f"q* = {q_star:.4f}")
ax0.axvline(cfg["layer_min"], color="0.6", lw=0.8, ls=":")
ax0.set(xlabel="layer $l$", ylabel="$q^l$", yscale="log")
ax0.set_title("lengths through the net")
ax0.legend(loc="upper right", ncol=2)
style.caption(ax0, "bands: 5-95% over nets and inputs", loc="lower right")

ax1.errorbar(
    est["width"],
    est["q_mean"] - q_star,
    yerr=3 * est["q_se"],
    fmt="o",
    color=style.PALETTE[0],
    capsize=3,
    label=r"empirical $-$ q*, $\pm 3$ s.e.",
)
n = np.geomspace(min(widths) / 1.3, max(widths) * 1.3, 50)
# finite-width spread of one layer's q about q*: s.d. of q^l at one net scales as N^-1/2;
# normalise it by the measured spread of the widest net
sd_wide = est["q_std"].iloc[-1] * np.sqrt(est["width"].iloc[-1])
ax1.fill_between(
    n,
    -3 * sd_wide / np.sqrt(n * est["n_nets"].iloc[-1]),
    3 * sd_wide / np.sqrt(n * est["n_nets"].iloc[-1]),
    color="0.85",
    lw=0,
    label=r"$\pm 3\,\sigma\sqrt{N_{max}/N}$/$\sqrt{n}$",
)
ax1.axhline(0, color="k", ls="--", lw=1)
ax1.set(xscale="log", xlabel="width N", ylabel=r"$\hat q^* - q^*$")
ax1.set_title(rf"$\sigma_w={cfg['sigma_w']:g}$, $\sigma_b={cfg['sigma_b']:g}$, {cfg['activation']}")
ax1.legend(loc="upper right")
style.caption(
    ax1,
    f"{int(est['n_nets'].iloc[0])} nets/width, layers {cfg['layer_min']}-{cfg['depth']}",
)
style.save(fig, job.output)
log.info("q* %.6f; estimates %s", q_star, est.to_dict("records"))
