"""The chi_1 = 1 line parametrised by q* for several activations (figure `edge_of_chaos`).

Rows ``start`` (one per activation) hold where the line begins at sigma_b = 0: q* -> 0
for tanh, erf, hard tanh; q* ~ 45 for the sigmoid (dltheory.isometry.critical_line_start).
"""

import numpy as np
import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import isometry, meanfield

        log = job.log
        cfg = job.cfg
        q = np.geomspace(cfg["q_star"]["min"], cfg["q_star"]["max"], cfg["q_star"]["n"])
        frames = []
        for act in cfg["activations"]:
            q0, sw0 = isometry.critical_line_start(act)
            # the line from its start (if inside the range) over the grid
            grid = np.unique(np.concatenate([q, [q0 * (1 + 1e-9)] if q0 > q[0] else []]))
            sw, sb = meanfield.edge_of_chaos(grid, act)
            frames.append(
                pd.DataFrame(
                    {
                        "activation": act,
                        "q_star": grid,
                        "sigma_w": sw,
                        "sigma_b": sb,
                        "start": False,
                    }
                )
            )
            frames.append(
                pd.DataFrame(
                    {
                        "activation": [act],
                        "q_star": [q0],
                        "sigma_w": [sw0],
                        "sigma_b": [0.0],
                        "start": True,
                    }
                )
            )
            log.info(
                "%s: %d of %d q* reachable; line starts at q* = %.6g, sigma_w = %.6g",
                act,
                np.isfinite(sb).sum(),
                grid.size,
                q0,
                sw0,
            )
        frame = pd.concat(frames, ignore_index=True)
        io.write_table(frame, job.output[0], params=job.params)
