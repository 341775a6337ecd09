"""Loss gradients per layer, chi_1 < 1, = 1, > 1 (`gradient_histograms`, `gradient_depth_scale`)."""

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import networks

        log = job.log
        cfg = job.cfg
        norms, samples = networks.gradient_table(
            cfg["activation"],
            networks.regime_settings(cfg),
            cfg["width"],
            cfg["depth"],
            cfg["batch"],
            cfg["n_seeds"],
            job.seed,
            n_sample=cfg["n_sample"],
            log=log,
        )
        io.write_table(norms, job.output.norms, params=job.params)
        io.write_table(samples, job.output.samples, params=job.params)
