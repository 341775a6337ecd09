"""Iterated C-map c^l = C(c^{l-1}) at q* (dltheory.meanfield), chi_1 and c* per setting."""

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
        act = cfg["activation"]
        c0 = np.asarray(cfg["c0"], dtype=float)
        frames = []
        for sw, sb in network_fits.regime_settings(cfg):
            c = network_fits.iterate_map(
                lambda x, sw=sw, sb=sb: meanfield.c_map(x, sw, sb, act), c0, cfg["depth"]
            )
            layer, k = np.meshgrid(np.arange(c.shape[0]), np.arange(c0.size), indexing="ij")
            chi1 = float(meanfield.chi1(sw, sb, act))
            frames.append(
                pd.DataFrame(
                    {
                        "activation": act,
                        "sigma_w": sw,
                        "sigma_b": sb,
                        "layer": layer.ravel(),
                        "c0": c0[k.ravel()],
                        "c": c.ravel(),
                        "chi1": chi1,
                        "c_star": float(meanfield.c_star(sw, sb, act)),
                    }
                )
            )
            log.info("sigma_w %.4f sigma_b %g: chi_1 = %.4f", sw, sb, chi1)
        io.write_table(pd.concat(frames, ignore_index=True), job.output[0], params=job.params)
