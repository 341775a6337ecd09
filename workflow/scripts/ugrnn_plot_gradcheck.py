"""Figure `ugrnn_gradcheck`: hand-written UGRNN backward against autograd, error per tensor."""

import numpy as np

from dltheory import io, style

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        log = job.log
        data = io.read_table(job.input.data)
        tensors = list(dict.fromkeys(data["tensor"]))
        cases = list(dict.fromkeys(zip(data["steps"], data["batch"], strict=True)))
        labels = {
            "W_fx": r"$W^{f,x}$",
            "W_fh": r"$W^{f,h}$",
            "b_f": r"$b^f$",
            "W_dx": r"$W^{d,x}$",
            "W_dh": r"$W^{d,h}$",
            "b_d": r"$b^d$",
            "x": r"$x^t$",
            "h0": r"$h^0$",
            "f": r"$f^t$",
            "d": r"$d^t$",
            "h": r"$h^t$",
        }

        #: the bound the tests require of every relative error
        BOUND = 1e-10
        worst = data[["rel_err_normwise", "rel_err_elementwise"]].max()
        top = max(1e-8, 10 ** np.ceil(np.log10(max(worst.max(), 1e-18)) + 1))
        fig, axes = style.figure(ncols=2, width=4.6, height=3.2, sharey=True)
        width = 0.8 / len(cases)
        for ax, col, title in zip(
            axes,
            ("rel_err_normwise", "rel_err_elementwise"),
            (
                r"normwise: $\max|g-g_{ref}|/\max|g_{ref}|$",
                r"elementwise: $\max_e |g-g_{ref}|/\max(|g|,|g_{ref}|)$",
            ),
            strict=True,
        ):
            for c, (steps, batch) in enumerate(cases):
                sel = data[(data["steps"] == steps) & (data["batch"] == batch)].set_index("tensor")
                vals = np.maximum(sel.loc[tensors, col].to_numpy(), 1e-18)
                ax.bar(
                    np.arange(len(tensors)) + (c - (len(cases) - 1) / 2) * width,
                    vals,
                    width,
                    color=style.PALETTE[c % len(style.PALETTE)],
                    label=f"T={steps}, B={batch}",
                )
            ax.axhline(BOUND, color="k", ls="--", lw=1)
            ax.axhline(np.finfo(float).eps, color="0.5", ls=":", lw=1)
            ax.set_xticks(np.arange(len(tensors)), [labels.get(t, t) for t in tensors])
            ax.set(yscale="log", ylim=(1e-18, top), title=title)
        axes[0].set_ylabel("relative error vs autograd (float64)")
        axes[1].legend(loc="upper left", ncols=2, fontsize=6)
        style.caption(
            axes[0],
            "index-notation BPTT vs autograd of the concatenated form;\n"
            f"dashed: test bound {BOUND:.0e}, dotted: float64 eps\n"
            f"worst: {worst.iloc[0]:.1e} (normwise), {worst.iloc[1]:.1e} (elementwise)",
            loc="upper left",
        )
        facts = {
            "steps": sorted(int(v) for v in data["steps"].unique()),
            "batch": sorted(int(v) for v in data["batch"].unique()),
            "worst_normwise": float(worst.iloc[0]),
            "worst_elementwise": float(worst.iloc[1]),
            "eps": float(np.finfo(float).eps),
            # the caption's multiple of the machine epsilon (a fact, as every number it prints)
            "normwise_over_eps": float(worst.iloc[0]) / float(np.finfo(float).eps),
            "forward_max": float(data["forward_max_abs_diff"].max()),
            "intermediates": [t for t in tensors if t in ("f", "d", "h")],
            "bound": BOUND,
        }
        job.save_figure(fig, facts=facts)
        log.info("wrote %s; worst errors %s", list(job.output), worst.to_dict())
