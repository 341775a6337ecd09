"""xi_c against sigma_w^2 (tanh, with and without dropout) for figures `trainability*`."""

import numpy as np
import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import trainability

        cfg = job.cfg
        # keep probability 1 (figure `trainability`) and each of `trainability_dropout`
        keep_probs = [1.0] + [float(kp) for kp in job.params["dropout"]["keep_probs"]]
        edges = trainability.cell_edges(cfg["sigma_w2"])
        grid = np.linspace(edges[0], edges[-1], cfg["n_theory"])
        curves = pd.concat(
            [trainability.depth_scale_curve(grid, cfg["sigma_b2"], kp) for kp in keep_probs],
            ignore_index=True,
        )
        io.write_table(curves, job.output[0], params=job.params)
