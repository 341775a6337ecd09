"""Exercise 1 of the Saxe sheet: Euler and analytic singular-value dynamics (tidy table)."""

import numpy as np

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import saxe_dynamics

        log = job.log
        cfg = job.cfg
        frame = saxe_dynamics.exercise1(
            sigma_yx=np.asarray(cfg["sigma_yx"], dtype=float),
            sigma_x=np.asarray(cfg["sigma_x"], dtype=float),
            hidden=cfg["hidden"],
            dt=cfg["dt"],
            tau=1.0 / cfg["eta"],
            t_max=cfg["t_max"],
            init_var=cfg["init_var"],
            a0=cfg["a0"],
            seed=job.seed,
        )
        last = frame[frame["t"] == frame["t"].max()]
        for (net, curve), grp in last.groupby(["net", "curve"]):
            log.info("%s %s at T: %s", net, curve, np.round(grp["value"].to_numpy(), 6))
        io.write_table(frame, job.output[0], params=job.params)
        log.info("wrote %d rows to %s", len(frame), job.output[0])
