"""xi_q, xi_c (dltheory.meanfield.depth_scales), q*, c*, chi_1 across sigma_w^2."""

import numpy as np
import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import meanfield

        log = job.log
        cfg = job.cfg
        act, sb = cfg["activation"], float(np.sqrt(cfg["sigma_b2"]))
        rows = []
        for sw2 in np.linspace(cfg["theory_range"][0], cfg["theory_range"][1], cfg["n_theory"]):
            sw = float(np.sqrt(sw2))
            scales = meanfield.depth_scales(sw, sb, act)
            rows.append(
                {
                    "sigma_w2": float(sw2),
                    "sigma_w": sw,
                    "xi_q": float(scales["xi_q"]),
                    "xi_c": float(scales["xi_c"]),
                    "chi1": float(meanfield.chi1(sw, sb, act)),
                }
            )
        io.write_table(pd.DataFrame(rows), job.output[0], params=job.params)
        log.info("%d theory points", len(rows))
