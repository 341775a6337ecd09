"""Figures `cmap` (Poole Fig. 2A) and `activation_comparison` (q-maps of several phi)."""

import numpy as np
from matplotlib.lines import Line2D

from dltheory import activations, io, style

#: the fixed-point star of both figures, on the curves and in the legend
STAR = dict(marker="*", ms=10, mec="k", mew=0.5)

#: the activation of the paper's figures (Poole et al. 2016 draw them for tanh)
PAPER_ACTIVATION = "tanh"


def rst_label(name):
    """An activation's label for a reST caption (math as :math:, ``|`` escaped)."""
    label = activations.get(name).label
    if label.startswith("$") and label.endswith("$"):
        return f":math:`{label[1:-1]}`"
    return label.replace("|", r"\|").replace("*", r"\*")


def fixed_point_handles(star_label, diagonal_label):
    """Legend entries for the stars and the dashed diagonal (their colours vary by curve)."""
    handles = [
        Line2D([], [], ls="none", color="0.6", **STAR),
        Line2D([], [], color="0.5", ls="--", lw=1),
    ]
    return handles, [star_label, diagonal_label]


def cycled(n):
    """n colours of the palette, repeated when there are more curves than colours."""
    return (style.PALETTE * (n // len(style.PALETTE) + 1))[:n]


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        which = job.params.which
        data = io.read_table(job.input.data)
        if which == "cmap":
            act = data["activation"].iloc[0]
            sigma_b = float(data["sigma_b"].iloc[0])
            fig, ax = style.figure(width=3.8, height=4.0)
            groups = list(data.groupby("sigma_w"))
            settings = []
            for colour, (sw, curve) in zip(cycled(len(groups)), groups, strict=True):
                x1 = curve["chi1"].iloc[0]
                ax.plot(
                    curve["c_in"],
                    curve["c_out"],
                    color=colour,
                    label=rf"$\sigma_w={sw:g}$, $\chi_1={x1:.2f}$",
                )
                cs = curve["c_star"].iloc[0]
                # clip_on=False: the star at c* = 1 sits in the panel's corner
                ax.plot([cs], [cs], ls="none", color=colour, zorder=5, clip_on=False, **STAR)
                settings.append({"sigma_w": float(sw), "chi1": float(x1), "c_star": float(cs)})
            ax.plot([-1, 1], [-1, 1], "--", color="0.5", lw=1)
            ax.set(xlabel=r"$c^{l-1}$", ylabel=r"$c^l$", xlim=(-1, 1), ylim=(-1, 1))
            ax.set_title(rf"C-map at $q^*$, {style.activation_name(act)}, $\sigma_b={sigma_b:g}$")
            handles, labels = ax.get_legend_handles_labels()
            extra = fixed_point_handles(
                r"stable fixed point $c^*$", r"$c^l=c^{l-1}$ ($c=1$ always a fixed point)"
            )
            handles, labels = handles + extra[0], labels + extra[1]
            # below the axes: with more settings an inside legend would cover curves
            fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=7)
            facts = {
                "activation": rst_label(act),
                "paper_activation": act == PAPER_ACTIVATION,
                "sigma_b": sigma_b,
                "sigma_w": [s["sigma_w"] for s in settings],
                "settings": settings,
                "ordered": [s["sigma_w"] for s in settings if s["chi1"] < 1],
                "chaotic": [s["sigma_w"] for s in settings if s["chi1"] > 1],
                "critical": [s["sigma_w"] for s in settings if s["chi1"] == 1],
            }
        else:
            # left: the whole range; right: the neighbourhood of the finite fixed points,
            # where stars of different activations may sit close together
            fig, (ax, zoom) = style.figure(ncols=2, width=3.2, height=3.2)
            qm = float(data["q_in"].max())
            shown = data.loc[np.isfinite(data["q_star"]) & (data["q_star"] <= qm), "q_star"]
            q_zoom = min(2.0 * float(shown.max()), qm) if len(shown) else qm
            if q_zoom <= 0:
                q_zoom = qm
            groups = list(data.groupby("activation", sort=False))
            per_act = []
            for colour, (act, curve) in zip(cycled(len(groups)), groups, strict=True):
                qs = float(curve["q_star"].iloc[0])
                label = style.activation_name(act)
                label += f": $q^*={qs:.3f}$" if np.isfinite(qs) else r": no finite $q^*$"
                for a in (ax, zoom):
                    a.plot(
                        curve["q_in"],
                        curve["q_out"],
                        color=colour,
                        label=label if a is ax else None,
                    )
                    if np.isfinite(qs) and qs <= curve["q_in"].max():
                        a.plot([qs], [qs], ls="none", color=colour, zorder=5, **STAR)
                obj = activations.get(act)
                sw = float(data["sigma_w"].iloc[0])
                per_act.append(
                    {
                        "label": rst_label(act),
                        "q_star": qs,
                        "finite": bool(np.isfinite(qs)),
                        "beyond": bool(np.isfinite(qs) and qs > qm),
                        "homogeneous": obj.homogeneous,
                        "slope": sw**2 * obj.gain if obj.homogeneous else float("nan"),
                        "bounded": obj.bounded,
                    }
                )
                log.info("%s: q* = %s", act, qs)
            for a, top in ((ax, qm), (zoom, q_zoom)):
                a.plot([0, top], [0, top], "--", color="0.5", lw=1)
                a.set(xlabel=r"$q^{l-1}$", ylabel=r"$q^l$", xlim=(0, top), ylim=(0, top))
            ax.set_title(
                rf"q-maps, $\sigma_w={data['sigma_w'].iloc[0]:g}$, "
                rf"$\sigma_b={data['sigma_b'].iloc[0]:g}$"
            )
            zoom.set_title(rf"near the fixed points ($q \leq {q_zoom:.2g}$)")
            handles, labels = ax.get_legend_handles_labels()
            extra = fixed_point_handles(r"fixed point $q^*$", r"$q^l=q^{l-1}$")
            handles, labels = handles + extra[0], labels + extra[1]
            fig.legend(handles, labels, loc="outside lower center", ncols=3)
            facts = {
                "sigma_w": float(data["sigma_w"].iloc[0]),
                "sigma_b": float(data["sigma_b"].iloc[0]),
                "q_max": qm,
                "q_zoom": q_zoom,
                "activations": per_act,
                "any_homogeneous": any(a["homogeneous"] for a in per_act),
                "any_bounded": any(a["bounded"] for a in per_act),
            }
        log.info("facts: %s", facts)
        job.save_figure(fig, facts=facts)
        log.info("wrote %s", list(job.output))
