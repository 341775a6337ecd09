"""Figure `depth_scales`: xi_q and xi_c against sigma_w^2 (Schoenholz et al. 2017, Fig. 1).

Left and middle: the raw decays |q^l - q*| and |c^l - c*| against l (Fig. 1a) from which
the scales are fitted, with the finite-width floor (3 s.e. over nets), for up to five of
the simulated sigma_w^2 chosen from the grid by the phase they illustrate
(:func:`shown_sigmas`); right: the scales.
"""

import numpy as np
from matplotlib.lines import Line2D

from dltheory import io, style

#: the phases the left and middle panels illustrate, in the order of sigma_w^2
PHASES = ("ordered", "ordered, near critical", "near critical", "chaotic", "deep chaotic")


def shown_sigmas(grid, critical):
    """Up to five sigma_w^2 of ``grid`` with the phase each illustrates.

    The grid value nearest the critical sigma_w^2 (chi_1 = 1), the next one below it, the
    ones nearest the geometric means of the critical value with the smallest (ordered) and
    with the largest (chaotic) value, and the largest; each value once, so a short grid
    shows fewer.
    Without a critical point (NaN) the smallest, middle and largest values.
    """
    grid = np.sort(np.asarray(grid, dtype=float))
    if grid.size == 0:
        raise ValueError("config key networks.depth_scales.sigma_w2 is empty: give >= 1 value")
    if not np.isfinite(critical):
        picks = [(grid[0], "smallest"), (grid[grid.size // 2], "middle"), (grid[-1], "largest")]
    else:

        def nearest(target, among=grid):
            return among[np.argmin(np.abs(np.log(among) - np.log(target)))] if among.size else None

        crit = nearest(critical)
        below, above = grid[grid < crit], grid[grid > crit]
        picks = [
            (nearest(np.sqrt(grid[0] * critical), below), PHASES[0]),
            (below[-1] if below.size else None, PHASES[1]),
            (crit, PHASES[2]),
            (nearest(np.sqrt(grid[-1] * critical), above), PHASES[3]),
            (above[-1] if above.size else None, PHASES[4]),
        ]
    shown = {}
    for value, phase in picks:
        if value is not None and float(value) not in shown:
            shown[float(value)] = phase
    return shown


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import activations, meanfield

        log = job.log
        cfg = job.cfg
        theory = io.read_table(job.input.theory)
        fit = io.read_table(job.input.fit)
        lengths = io.read_table(job.input.lengths)
        correlations = io.read_table(job.input.correlations)
        act, sb = cfg["activation"], float(np.sqrt(cfg["sigma_b2"]))
        label = activations.get(act).label
        critical = float(meanfield.critical_sigma_w(sb, act)) ** 2
        shown = shown_sigmas(fit["sigma_w2"], critical)
        chi1 = {s: float(meanfield.chi1(np.sqrt(s), sb, act)) for s in fit["sigma_w2"]}
        n_nets = int(lengths.groupby("sigma_w")["seed"].nunique().min())
        width, n_layers = int(lengths["width"].iloc[0]), int(lengths["layer"].max())

        fig, (ax_q, ax_c, ax) = style.figure(ncols=3, width=3.4, height=3.3)
        colours = dict(zip(shown, style.PALETTE, strict=False))
        last_dev = {}  # |c^L - c*| and its floor at the last layer, per shown sigma_w^2
        for sw2 in shown:
            sw = float(np.sqrt(sw2))
            for axis, table, col, target in (
                (ax_q, lengths, "q", float(meanfield.q_star(sw, sb, act))),
                (ax_c, correlations, "c", float(meanfield.c_star(sw, sb, act))),
            ):
                sub = table[np.isclose(table["sigma_w"], sw)]
                per_net = sub.assign(dev=sub[col] - target).groupby(["layer", "seed"])["dev"].mean()
                dev = per_net.groupby("layer")
                mean, se = dev.mean().abs(), dev.std() / np.sqrt(dev.count())
                axis.plot(mean.index, mean, "o", ms=2.5, color=colours[sw2])
                # layer 0 is the same input in every net (s.e. 0): the floor starts at layer 1
                axis.plot(se.index[1:], 3 * se.iloc[1:], ":", lw=1, color=colours[sw2])
                if col == "c":
                    last_dev[sw2] = (float(mean.iloc[-1]), float(3 * se.iloc[-1]))
        for axis, name in ((ax_q, "q"), (ax_c, "c")):
            axis.set_ylim(bottom=1e-5)
            axis.set(
                yscale="log", xlabel="layer $l$", ylabel=rf"$|{name}^l-{name}^*|$ (mean of nets)"
            )
        ax_q.set_title(r"length: $|q^l-q^*|$")
        ax_c.set_title(r"correlation: $|c^l-c^*|$")

        # one meaning per colour: the left panels' colours are sigma_w^2 values, so xi_q and
        # xi_c take the first two colours they leave free
        free = [c for c in style.PALETTE if c not in colours.values()]
        xi_q_colour, xi_c_colour = (free + ["0.2", "0.55"])[:2]
        ax.plot(theory["sigma_w2"], theory["xi_q"], color=xi_q_colour)
        ax.plot(theory["sigma_w2"], theory["xi_c"], color=xi_c_colour)
        ax.plot(fit["sigma_w2"], fit["xi_q_fit"], "o", color=xi_q_colour, ms=4)
        ax.plot(fit["sigma_w2"], fit["xi_c_fit"], "s", color=xi_c_colour, ms=4)
        ax.plot(fit["sigma_w2"], fit["xi_q_map"], "o", color=xi_q_colour, ms=8, mfc="none")
        ax.plot(fit["sigma_w2"], fit["xi_c_map"], "s", color=xi_c_colour, ms=8, mfc="none")
        if np.isfinite(critical):
            ax.axvline(critical, color="0.6", ls=":", lw=1)
        ax.set(xlabel=r"$\sigma_w^2$", ylabel="depth scale (layers)", yscale="log")
        ax.set_title(rf"{label}, $\sigma_b^2={cfg['sigma_b2']:g}$")

        handles = [Line2D([], [], ls="none", marker="o", ms=3, color=colours[s]) for s in shown]
        labels = [rf"$\sigma_w^2$={s:g} ({phase})" for s, phase in shown.items()]
        handles += [
            Line2D([], [], color="0.3", ls=":", lw=1),
            Line2D([], [], color=xi_q_colour),
            Line2D([], [], color=xi_c_colour),
            Line2D([], [], ls="none", marker="o", ms=4, color="0.3"),
            Line2D([], [], ls="none", marker="o", ms=8, mfc="none", color="0.3"),
        ]
        labels += [
            f"3 s.e. over {n_nets} nets (fits stop there)",
            r"$\xi_q$ theory (right)",
            r"$\xi_c$ theory (right)",
            rf"fit to the simulation, N={width} (o: $\xi_q$, s: $\xi_c$)",
            "same fit on the mean-field iteration",
        ]
        if np.isfinite(critical):
            handles.append(Line2D([], [], color="0.6", ls=":", lw=1))
            labels.append(rf"$\chi_1=1$ ($\sigma_w^2$={critical:.3g})")
        fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=7)

        # numbers for the caption, from the tables
        scales = meanfield.depth_scales(np.sqrt(fit["sigma_w2"].to_numpy()), sb, act)
        xi_c_theory = np.asarray(scales["xi_c"], dtype=float)
        c_vs_map = fit["xi_c_fit"] / fit["xi_c_map"] - 1
        q_vs_map = fit["xi_q_fit"] / fit["xi_q_map"] - 1
        map_vs_theory = fit["xi_c_map"] / xi_c_theory
        close = (c_vs_map.abs() <= 0.1).to_numpy()
        fitted_c = c_vs_map.notna().to_numpy()
        crit_shown = min(shown, key=lambda s: abs(chi1[s] - 1))
        dev_crit, floor_crit = last_dev[crit_shown]
        q_fitted = fit.loc[fit["xi_q_fit"].notna(), "q_last"]
        facts = {
            "activation": act,
            "critical_sigma_w2": critical,
            "shown": [f"{s:g} ({phase})" for s, phase in shown.items()],
            "n_shown": len(shown),
            "n_nets": n_nets,
            "width": width,
            "depth": n_layers,
            "n_sigma": len(fit),
            # the layer ranges of the fits that exist (a setting without a fit has none)
            "q_last_min": int(q_fitted.min()) if len(q_fitted) else 0,
            "q_last_max": int(q_fitted.max()) if len(q_fitted) else 0,
            # NaN where too few layers are above the floor for a fit
            "n_q_fitted": int(q_vs_map.notna().sum()),
            "xi_q_fit_max": float(fit["xi_q_fit"].max()),
            "q_vs_map_min_pct": 100 * float(q_vs_map.min()),
            "q_vs_map_max_pct": 100 * float(q_vs_map.max()),
            "n_c_close": int(close.sum()),
            "c_close_sigmas": [float(s) for s in fit["sigma_w2"][close]],
            "c_far_sigmas": [float(s) for s in fit["sigma_w2"][~close & fitted_c]],
            "c_vs_map_far_pct": [100 * float(v) for v in c_vs_map[~close & fitted_c]],
            "c_unfitted_sigmas": [float(s) for s in fit["sigma_w2"][~fitted_c]],
            "map_vs_theory_min": float(np.nanmin(map_vs_theory)),
            "map_vs_theory_min_sigma": float(fit["sigma_w2"][np.nanargmin(map_vs_theory)]),
            "crit_sigma": crit_shown,
            "crit_chi1": chi1[crit_shown],
            "crit_dev_last": dev_crit,
            "crit_above_floor": bool(dev_crit > floor_crit),
            "crit_c_last": int(fit.loc[np.isclose(fit["sigma_w2"], crit_shown), "c_last"].iloc[0]),
        }
        log.info("facts %s", facts)
        job.save_figure(fig, facts=facts)
        log.info("wrote %s", list(job.output))
