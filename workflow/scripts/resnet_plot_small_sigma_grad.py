"""Figure `resnet_small_sigma_grad`: Problem 3(e), W^l.grad as sigma_W -> 0."""

import numpy as np

from dltheory import io, style

job = io.job()
log = job.log
data = io.read_table(job.input.data)
cfg = io.read_params(job.input.data)["cfg"]
layers = sorted(data["layer"].unique())
shades = np.linspace(0.35, 1.0, len(layers))

fig, (ax_l, ax_r) = style.figure(ncols=2, width=3.7, height=3.3, sharey=True)
for ax, act in ((ax_l, "linear"), (ax_r, "relu")):
    d = data[data["activation"] == act]
    series = [("rel_to_linear_limit", style.PALETTE[0], "to the limit expression")]
    series.append(("rel_between_draws", style.PALETTE[1], "between two draws of $W$"))
    if act == "relu":
        series.append(("rel_to_relu_limit_a", style.PALETTE[2], "to the masked limit of draw a"))
    for col, colour, name in series:
        for layer, alpha in zip(layers, shades, strict=True):
            sel = d[d["layer"] == layer].sort_values("sigma_w")
            ax.plot(
                sel["sigma_w"],
                sel[col],
                "o-",
                ms=2.5,
                lw=1,
                color=colour,
                alpha=alpha,
                label=name if layer == layers[-1] else None,
            )
    ax.set(xscale="log", yscale="log", ylim=(3e-6, 3e3), xlabel=r"weight variance $\sigma_W$")
s = np.array(sorted(data["sigma_w"].unique()))
guide = data[(data["activation"] == "linear")]["rel_to_linear_limit"].median()
ref = np.sqrt(s / np.median(s)) * guide
ax_l.plot(s, ref, "k:", lw=1, label=r"$\propto\sigma_W^{1/2}$")
ax_l.set(
    ylabel=r"$\|W^\ell.\mathrm{grad}-G\|\,/\,\|G\|$",
    title=r"(e) linear: $W^\ell.\mathrm{grad}\to G$ for every $\ell$",
)
ax_r.set(title=r"relu around the conv: no limit")
ax_l.legend(loc="lower right")
ax_r.legend(loc="lower right")
style.caption(
    ax_l,
    f"C={cfg['channels']}, N={cfg['n_filter']}, L={cfg['n_layers']}, "
    f"{cfg['image']}x{cfg['image']}, B={cfg['batch']}; shade: layer 0 (light) to L-1\n"
    "G[c,c',i,j] = sum_{b,y,z} x^L.grad[b,c,y,z] x^0[b,c',y+i-k,z+j-k]",
    loc="upper left",
)
style.caption(
    ax_r,
    "mask 1[Conv(W,x)>0] is scale-free: W.grad tends to a\n"
    "limit that depends on the direction of W (green),\n"
    "so two draws stay O(1) apart (orange);\n"
    "green steps: single mask entries flipping",
    loc="upper left",
)
style.save(fig, job.output)
log.info("wrote %s", list(job.output))
