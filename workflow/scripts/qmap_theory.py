"""Theory curves of the length map for the `qmap` figure."""

import numpy as np
import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import meanfield

        log = job.log
        cfg = job.cfg
        q_in = np.linspace(0.0, cfg["q_max"], cfg["n_theory"])
        sigma_w = np.asarray(cfg["sigma_w"], dtype=float)

        q_out = meanfield.q_map(q_in[None, :], sigma_w[:, None], cfg["sigma_b"], cfg["activation"])
        q_star = np.atleast_1d(meanfield.q_star(sigma_w, cfg["sigma_b"], cfg["activation"]))
        # slope of the map at q* (< 1: a stable fixed point); none where q* is infinite
        finite = np.isfinite(q_star)
        slope = np.full(q_star.shape, np.nan)
        if finite.any():
            slope[finite] = meanfield.chi_q(
                sigma_w[finite], cfg["sigma_b"], cfg["activation"], q=q_star[finite]
            )
        frame = pd.DataFrame(
            {
                "sigma_w": np.repeat(sigma_w, q_in.size),
                "sigma_b": float(cfg["sigma_b"]),
                "activation": cfg["activation"],
                "q_in": np.tile(q_in, sigma_w.size),
                "q_out": np.ravel(q_out),
                "q_star": np.repeat(q_star, q_in.size),
                "chi_q": np.repeat(slope, q_in.size),
            }
        )
        for sw, qs in zip(sigma_w, q_star, strict=True):
            log.info("sigma_w=%.3f sigma_b=%.3f: q*=%.6f", sw, cfg["sigma_b"], qs)
        io.write_table(frame, job.output[0], params=job.params)
        log.info("wrote %d rows to %s", len(frame), job.output[0])
