"""A circle of inputs through random nets, length after every layer (`trajectory_length`)."""

import pandas as pd

from dltheory import io, seeds

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import networks

        log = job.log
        cfg = job.cfg
        tables = [
            networks.trajectory_table(
                activation,
                cfg["sigma_w"],
                cfg["sigma_b"],
                cfg["width"],
                cfg["depth"],
                cfg["n_points"],
                cfg["q0"],
                cfg["n_seeds"],
                seeds.derive(job.base_seed, job.rule, activation),
                log=log,
            )
            for activation in cfg["activations"]
        ]
        io.write_table(pd.concat(tables, ignore_index=True), job.output[0], params=job.params)
