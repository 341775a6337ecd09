"""Mean-field growth chi_1^(l/2) and the Price et al. lower bound, `trajectory_length`.

The bound: if every row w_i of W satisfies E|u^T w_i| >= M ||u||, a ReLU layer stretches a
tangent vector u by E||relu(W u)|| >= (1/sqrt N) sum_i E relu(w_i^T u) = sqrt(N) (M/2) ||u||
(||v||_2 >= ||v||_1 / sqrt N): the expected length grows at least like (sqrt(N) M/2)^l.
For N(0, sigma_w^2/N) weights M = sigma_w sqrt(2/(pi N)) (networks.price_bound's per-row
constant), so the bound is (sigma_w / sqrt(2 pi))^l, against the mean-field growth
(sigma_w / sqrt 2)^l: loose by sqrt(pi) per layer, the l1-to-l2 step for half-Gaussian
coordinates, E relu(x) / sqrt(E relu(x)^2) = 1/sqrt(pi). Column ``price_bound_row`` keeps
the per-row form (M/2)^l of the slides (weights N(0, sigma_w^2), i.e. without sqrt N).
"""

import numpy as np
import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import activations, network_fits

        log = job.log
        cfg = job.cfg
        layer = np.arange(cfg["depth"] + 1)
        frames = []
        for activation in cfg["activations"]:
            # the theorem is for ReLU: phi(u) = u for u > 0, 0 otherwise (slopes 1 and 0)
            is_relu = activations.get(activation).slopes == (1.0, 0.0)
            for sigma_w in cfg["sigma_w"]:
                sigma_b, q0 = network_fits.circle_setting(
                    activation, sigma_w, cfg["sigma_b"], cfg["q0"]
                )
                growth = float(network_fits.length_growth(sigma_w, sigma_b, activation))
                frames.append(
                    pd.DataFrame(
                        {
                            "activation": activation,
                            "sigma_w": float(sigma_w),
                            "sigma_b": sigma_b,
                            "q0": q0,
                            "layer": layer,
                            "mean_field": growth**layer,
                            "price_bound": (
                                network_fits.price_bound(sigma_w, cfg["width"], layer)
                                * float(cfg["width"]) ** (layer / 2.0)
                                if is_relu
                                else np.nan
                            ),
                            "price_bound_row": (
                                network_fits.price_bound(sigma_w, cfg["width"], layer)
                                if is_relu
                                else np.nan
                            ),
                            "growth": growth,
                        }
                    )
                )
                log.info(
                    "%s sigma_w %g sigma_b %g q0 %.6g: mean-field growth %.6f per layer",
                    activation,
                    sigma_w,
                    sigma_b,
                    q0,
                    growth,
                )
        io.write_table(pd.concat(frames, ignore_index=True), job.output[0], params=job.params)
