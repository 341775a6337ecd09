"""Singular values of input-output Jacobians at criticality, for `jacobian_spectrum`."""

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import networks

        log = job.log
        cfg = job.cfg
        table = networks.jacobian_spectrum_table(
            cfg["activations"],
            cfg["weights"],
            cfg["depths"],
            cfg["width"],
            cfg["n_seeds"],
            job.seed,
            q_star=cfg["q_star"],
            log=log,
        )
        io.write_table(table, job.output[0], params=job.params)
