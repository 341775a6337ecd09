"""Input pairs through random nets: c^l per layer (`c_dynamics`, `correlation_layers`)."""

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import networks

        log = job.log
        cfg = job.cfg
        settings = networks.regime_settings(cfg)
        table = networks.correlation_table(
            cfg["activation"],
            settings,
            cfg["c0"],
            cfg["width"],
            cfg["depth"],
            cfg["n_seeds"],
            job.seed,
            log=log,
        )
        io.write_table(table, job.output[0], params=job.params)
