"""Theory curves of Problem 1 for `init_variance`: Var u, and the mean and variance of relu."""

import numpy as np
import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import initialisation

        log = job.log
        cfg = job.cfg
        sigma_dx = np.geomspace(0.1, 10.0, cfg["n_theory"])
        frames = []
        for d_x in cfg["d_x"]:
            sigma = sigma_dx / d_x
            mean_g, var_g = initialisation.relu_moments(sigma, d_x)
            mean_e, var_e = initialisation.relu_moments(sigma, d_x, exact=True)
            frames.append(
                pd.DataFrame(
                    {
                        "d_x": int(d_x),
                        "sigma_dx": sigma_dx,
                        "sigma": sigma,
                        "var_u": sigma * d_x,
                        "b_prime_gauss": mean_g,
                        "var_u_prime_gauss": var_g,
                        "b_prime_exact": mean_e,
                        "var_u_prime_exact": var_e,
                    }
                )
            )
        io.write_table(pd.concat(frames, ignore_index=True), job.output.curves, params=job.params)

        d_grid = np.unique(np.round(np.geomspace(1, 1000, 200)).astype(int))
        required = pd.DataFrame(
            {
                "d_x": d_grid,
                "sigma_dx_linear": initialisation.linear_weight_variance(d_grid) * d_grid,
                "sigma_dx_relu_gauss": initialisation.relu_weight_variance(d_grid) * d_grid,
                "sigma_dx_relu_exact": initialisation.relu_weight_variance(d_grid, exact=True)
                * d_grid,
            }
        )
        io.write_table(required, job.output.required, params=job.params)
        log.info(
            "relu factor 1/(1/2 - 1/(2 pi)) = %.6f; exact at d_x=1: %.6f",
            1 / initialisation.RELU_VARIANCE,
            required["sigma_dx_relu_exact"].iloc[0],
        )
