"""Iterated length map q^l = V(q^{l-1}) (dltheory.meanfield) for `q_dynamics` and q*."""

import numpy as np
import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import meanfield, network_fits

        log = job.log
        cfg = job.cfg
        q0 = np.asarray(cfg["q0"], dtype=float)
        frames = []
        sb, act = cfg["sigma_b"], cfg["activation"]
        for sigma_w in np.atleast_1d(cfg["sigma_w"]):
            sw = float(sigma_w)
            q = network_fits.iterate_map(
                lambda x, sw=sw: meanfield.q_map(x, sw, sb, act), q0, cfg["depth"]
            )
            layer, inp = np.meshgrid(np.arange(q.shape[0]), np.arange(q0.size), indexing="ij")
            frames.append(
                pd.DataFrame(
                    {
                        "activation": act,
                        "sigma_w": sw,
                        "sigma_b": float(sb),
                        "layer": layer.ravel(),
                        "input": inp.ravel(),
                        "q0": q0[inp.ravel()],
                        "q": q.ravel(),
                        "q_star": float(meanfield.q_star(sw, sb, act)),
                    }
                )
            )
            log.info("sigma_w %g: q* = %.6f", sw, frames[-1]["q_star"].iloc[0])
        io.write_table(pd.concat(frames, ignore_index=True), job.output[0], params=job.params)
