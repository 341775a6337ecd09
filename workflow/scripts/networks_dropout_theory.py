"""Dropout C-map iterates and xi_c against sigma_w^2 (dltheory.meanfield, rho), `dropout_cmap`."""

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
        act, sw, sb = cfg["activation"], cfg["sigma_w"], cfg["sigma_b"]
        c0 = np.asarray(cfg["c0"], dtype=float)
        iterates, scales = [], []
        sw2 = np.linspace(cfg["theory_range"][0], cfg["theory_range"][1], cfg["n_theory"])
        for rho in cfg["rho"]:
            c = network_fits.iterate_map(
                lambda x, rho=rho: meanfield.c_map(x, sw, sb, act, rho=rho), c0, cfg["depth"]
            )
            layer, k = np.meshgrid(np.arange(c.shape[0]), np.arange(c0.size), indexing="ij")
            iterates.append(
                pd.DataFrame(
                    {
                        "keep_prob": float(rho),
                        "layer": layer.ravel(),
                        "c0": c0[k.ravel()],
                        "c": c.ravel(),
                        "c_star": float(meanfield.c_star(sw, sb, act, rho=rho)),
                    }
                )
            )
            ds = meanfield.depth_scales(np.sqrt(sw2), sb, act, rho=rho)
            scales.append(
                pd.DataFrame({"keep_prob": float(rho), "sigma_w2": sw2, "xi_c": ds["xi_c"]})
            )
            log.info(
                "rho %g: c* = %.4f, max xi_c = %.3g",
                rho,
                iterates[-1]["c_star"].iloc[0],
                np.nanmax(ds["xi_c"]),
            )
        io.write_table(
            pd.concat(iterates, ignore_index=True), job.output.iterates, params=job.params
        )
        io.write_table(pd.concat(scales, ignore_index=True), job.output.scales, params=job.params)
