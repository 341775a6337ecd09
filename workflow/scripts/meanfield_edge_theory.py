"""The chi_1 = 1 line parametrised by q* for several activations (figure `edge_of_chaos`).

Rows ``start`` (one per activation) hold where the line begins at sigma_b = 0: q* -> 0
for tanh, erf, hard tanh; q* ~ 45 for the sigmoid (dltheory.isometry.critical_line_start;
NaN where the line has no such start). Rows ``decade`` are the powers of ten inside the
q* range, added to the grid for the figure's markers.
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
        q_min, q_max = cfg["q_star"]["min"], cfg["q_star"]["max"]
        if not q_min < q_max:
            raise ValueError(
                f"config meanfield.edge_of_chaos.q_star: min ({q_min:g}) must be below "
                f"max ({q_max:g})"
            )
        q = np.geomspace(q_min, q_max, cfg["q_star"]["n"])
        # the powers of ten inside the range are on every line (the figure marks them)
        decades = 10.0 ** np.arange(np.ceil(np.log10(q_min)), np.floor(np.log10(q_max)) + 1)
        q = np.unique(np.concatenate([q, decades]))
        frames = []
        for act in cfg["activations"]:
            try:
                q0, sw0 = isometry.critical_line_start(act)
            except ValueError as err:  # no sigma_b >= 0 on the critical line: no start
                log.info("%s: %s", act, err)
                q0, sw0 = np.nan, np.nan
            # the line from its start (if inside the range) over the grid
            grid = np.unique(np.concatenate([q, [q0 * (1 + 1e-9)] if q0 > q[0] else []]))
            decade = np.isin(grid, decades)
            sw, sb = meanfield.edge_of_chaos(grid, act)
            frames.append(
                pd.DataFrame(
                    {
                        "activation": act,
                        "q_star": grid,
                        "sigma_w": sw,
                        "sigma_b": sb,
                        "start": False,
                        "decade": decade,
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
                        "decade": False,
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
