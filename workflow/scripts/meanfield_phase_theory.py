"""q*, chi_1, c* and the depth to reach q* over the (sigma_w, sigma_b) plane."""

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
        act = cfg["activation"]
        sw = np.linspace(cfg["sigma_w"]["min"], cfg["sigma_w"]["max"], cfg["sigma_w"]["n"])
        sb = np.linspace(cfg["sigma_b"]["min"], cfg["sigma_b"]["max"], cfg["sigma_b"]["n"])
        SW, SB = np.meshgrid(sw, sb, indexing="ij")
        qs = np.asarray(meanfield.q_star(SW, SB, act), dtype=float)
        log.info("q* done")
        x1 = np.asarray(meanfield.chi1(SW, SB, act, q=qs), dtype=float)
        log.info("chi1 done")
        cs = np.asarray(meanfield.c_star(SW, SB, act, q=qs), dtype=float)
        log.info("c* done")
        depth = meanfield.convergence_depth(
            cfg["q0"], SW, SB, act, tolerance=cfg["tolerance"], max_depth=cfg["max_depth"]
        )
        log.info("depths done")
        frame = pd.DataFrame(
            {
                "sigma_w": SW.ravel(),
                "sigma_b": SB.ravel(),
                "q_star": qs.ravel(),
                "chi1": x1.ravel(),
                "c_star": cs.ravel(),
                "depth": np.asarray(depth).ravel(),
                "activation": act,
                "q0": float(cfg["q0"]),
                "tolerance": float(cfg["tolerance"]),
                "max_depth": int(cfg["max_depth"]),
            }
        )
        io.write_table(frame, job.output[0], params=job.params)
        log.info("wrote %d rows to %s", len(frame), job.output[0])
