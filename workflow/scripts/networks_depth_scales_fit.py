"""Fitted decay lengths of |q^l - q*| and |c^l - c*| per sigma_w^2 (`depth_scales`)."""

import numpy as np
import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import meanfield, network_fits

        log = job.log
        cfg = job.cfg
        act, sb = cfg["activation"], float(np.sqrt(cfg["sigma_b2"]))
        sws = [float(np.sqrt(s)) for s in cfg["sigma_w2"]]
        fixed = pd.DataFrame(
            {
                "sigma_w": sws,
                "q_star": [float(meanfield.q_star(sw, sb, act)) for sw in sws],
                "c_star": [float(meanfield.c_star(sw, sb, act)) for sw in sws],
            }
        )
        lengths = io.read_table(job.input.lengths)
        correlations = io.read_table(job.input.correlations)
        fit = network_fits.fitted_depth_scales(lengths, correlations, fixed)
        fit.insert(0, "sigma_w2", np.asarray(cfg["sigma_w2"], dtype=float))

        def simulated_start(table, column, sigma_w):
            """The one start (q0 or c0) the simulation used at sigma_w, read from its table."""
            starts = table.loc[np.isclose(table["sigma_w"], sigma_w), column].unique()
            if starts.size != 1:
                raise ValueError(f"expected one {column} at sigma_w = {sigma_w}, got {starts}")
            return float(starts[0])

        # the same fit on the noise-free mean-field iteration from the same starts over the same
        # layers: separates the transient of the maps from finite-width effects
        xi_q_map, xi_c_map = [], []
        for fp, row in zip(fixed.itertuples(), fit.itertuples(), strict=True):
            sw = fp.sigma_w
            c0 = simulated_start(correlations, "c0", sw)
            xi_q_map.append(
                network_fits.map_depth_scale(
                    lambda q, sw=sw: meanfield.q_map(q, sw, sb, act),
                    simulated_start(lengths, "q0", sw),
                    fp.q_star,
                    1,
                    row.q_last,
                )
            )
            xi_c_map.append(
                network_fits.map_depth_scale(
                    lambda c, sw=sw: meanfield.c_map(c, sw, sb, act), c0, fp.c_star, 1, row.c_last
                )
            )
        fit["xi_q_map"], fit["xi_c_map"] = xi_q_map, xi_c_map
        io.write_table(fit, job.output[0], params=job.params)
        log.info("%s", fit.to_dict("records"))
