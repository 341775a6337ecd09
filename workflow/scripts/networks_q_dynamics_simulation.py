"""q^l against l through one N-unit net per sigma_w, for `q_dynamics` (Poole Fig. 1B)."""

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import networks

        log = job.log
        cfg = job.cfg
        table = networks.lengths_table(
            [cfg["width"]],
            cfg["depth"],
            cfg["q0"],
            cfg["sigma_w"],
            cfg["sigma_b"],
            cfg["activation"],
            cfg["n_seeds"],
            job.seed,
            log=log,
        )
        io.write_table(table, job.output[0], params=job.params)
