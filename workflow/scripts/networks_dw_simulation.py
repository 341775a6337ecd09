"""(1/N) Tr((DW)^T DW) and singular values of DW for chi_1 < 1, = 1, > 1 (`dw_spectrum`)."""

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import networks

        log = job.log
        cfg = job.cfg
        traces, svs = networks.dw_table(
            cfg["activation"],
            networks.regime_settings(cfg),
            cfg["width"],
            cfg["depth"],
            cfg["n_seeds"],
            job.seed,
            log=log,
        )
        io.write_table(traces, job.output.traces, params=job.params)
        io.write_table(svs, job.output.singular_values, params=job.params)
