"""Depth scales fitted to the simulated gradient covariance, beside xi_c and xi_grad
(`gradient_covariance`; dltheory.gradient_covariance.fit_table)."""

import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import gradient_covariance

        sim = pd.concat([io.read_table(p) for p in job.input.simulation], ignore_index=True)
        layers = io.read_table(job.input.layers)
        fit = gradient_covariance.fit_table(sim, layers, job.cfg)
        for r in fit.itertuples():
            job.log.info(
                "%s sigma_w^2 %.4f N %d: xi fitted %.3f +/- %.3f over L-l <= %g; recursion "
                "%.3f, xi_c %.3f, xi_grad %.3f",
                r.panel, r.sigma_w2, r.width, r.xi_fit, r.xi_fit_se, r.last_from_top,
                r.xi_recursion, r.xi_c, r.xi_grad,
            )  # fmt: skip
        io.write_table(fit, job.output[0], params=job.params)
