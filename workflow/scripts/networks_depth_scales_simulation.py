"""q^l and c^l relaxing to q*, c* for one chunk of the sigma_w^2 sweep (`depth_scales`).

The chunk is ``params.sigma_indices`` (positions in ``sigma_w2``; all of them when the
script runs alone); each sigma_w^2 draws from the stream of its position in the whole
list, so the merged tables do not depend on how the sweep was split.
"""

import numpy as np
import pandas as pd

from dltheory import io, seeds

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import meanfield, networks

        log = job.log
        cfg = job.cfg
        act, sb = cfg["activation"], float(np.sqrt(cfg["sigma_b2"]))
        # the whole sweep's streams (not the chunk's, job.seed): each sigma_w^2 draws by its
        # position in the grid, so a chunk draws the same numbers whatever the chunking
        indices = job.params.get("sigma_indices") or range(len(cfg["sigma_w2"]))
        lengths, correlations = [], []
        for i in indices:
            sw2 = cfg["sigma_w2"][i]
            sw = float(np.sqrt(sw2))
            q_star = float(meanfield.q_star(sw, sb, act))
            q0 = np.full(cfg["n_inputs"], q_star * cfg["q0_factor"])
            lengths.append(
                networks.lengths_table(
                    [cfg["width"]],
                    cfg["depth"],
                    q0,
                    sw,
                    sb,
                    act,
                    cfg["n_seeds"],
                    seeds.derive(job.base_seed, job.rule, "lengths", "sigma_w2", i),
                )
            )
            c_star = float(meanfield.c_star(sw, sb, act))
            c0 = cfg["c0_ordered"] if c_star > 1 - 1e-6 else cfg["c0_chaotic"]
            correlations.append(
                networks.correlation_table(
                    act,
                    [(sw, sb)],
                    np.full(cfg["n_inputs"] // 2, c0),
                    cfg["width"],
                    cfg["depth"],
                    cfg["n_seeds"],
                    seeds.derive(job.base_seed, job.rule, "correlations", "sigma_w2", i),
                )
            )
            log.info("sigma_w^2 %g: q* %.4f c* %.4f", sw2, q_star, c_star)
        lengths = pd.concat(lengths, ignore_index=True)
        correlations = pd.concat(correlations, ignore_index=True)
        io.write_table(lengths, job.output.lengths, params=job.params)
        io.write_table(correlations, job.output.correlations, params=job.params)
