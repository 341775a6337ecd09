"""Input pairs through tanh nets with dropout (keep probability rho), `dropout_cmap`."""

import pandas as pd

from dltheory import io, seeds

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import networks

        log = job.log
        cfg = job.cfg
        frames = [
            networks.correlation_table(
                cfg["activation"],
                [(cfg["sigma_w"], cfg["sigma_b"])],
                cfg["c0"],
                cfg["width"],
                cfg["depth"],
                cfg["n_seeds"],
                seeds.derive(job.base_seed, job.rule, "rho", i),
                keep_prob=rho,
                log=log,
            )
            for i, rho in enumerate(cfg["rho"])
        ]
        io.write_table(pd.concat(frames, ignore_index=True), job.output[0], params=job.params)
