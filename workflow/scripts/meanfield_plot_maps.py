"""Figures `cmap` (Poole Fig. 2A) and `activation_comparison` (q-maps of |x|, ReLU, tanh)."""

import numpy as np
from matplotlib.lines import Line2D

from dltheory import io, style

#: the fixed-point star of both figures, on the curves and in the legend
STAR = dict(marker="*", ms=10, mec="k", mew=0.5)


def fixed_point_handles(star_label, diagonal_label):
    """Legend entries for the stars and the dashed diagonal (their colours vary by curve)."""
    handles = [
        Line2D([], [], ls="none", color="0.6", **STAR),
        Line2D([], [], color="0.5", ls="--", lw=1),
    ]
    return handles, [star_label, diagonal_label]


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        which = job.params.which
        data = io.read_table(job.input.data)
        if which == "cmap":
            fig, ax = style.figure(width=3.6, height=3.2)
            for colour, (sw, curve) in zip(style.PALETTE, data.groupby("sigma_w"), strict=False):
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
            ax.plot([-1, 1], [-1, 1], "--", color="0.5", lw=1)
            ax.set(xlabel=r"$c^{l-1}$", ylabel=r"$c^l$", xlim=(-1, 1), ylim=(-1, 1))
            ax.set_title(rf"C-map at $q^*$, tanh, $\sigma_b={data['sigma_b'].iloc[0]:g}$")
            handles, labels = ax.get_legend_handles_labels()
            extra = fixed_point_handles(
                r"stable fixed point $c^*$", r"$c^l=c^{l-1}$ ($c=1$ always a fixed point)"
            )
            handles, labels = handles + extra[0], labels + extra[1]
            ax.legend(handles, labels, loc="upper left")
        else:
            # left: the whole range; right: the neighbourhood of the finite fixed points, where
            # the ReLU and tanh stars sit close together
            fig, (ax, zoom) = style.figure(ncols=2, width=3.2, height=3.2)
            finite = data.loc[np.isfinite(data["q_star"]), "q_star"].unique()
            q_zoom = 2.0 * finite.max() if len(finite) else 1.0
            qm = data["q_in"].max()
            for colour, (act, curve) in zip(
                style.PALETTE, data.groupby("activation", sort=False), strict=False
            ):
                qs = curve["q_star"].iloc[0]
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
        job.save_figure(fig)
        log.info("wrote %s", list(job.output))
