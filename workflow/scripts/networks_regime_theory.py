"""chi_1, q* and the depth scales (dltheory.meanfield) of each (sigma_w, sigma_b) setting."""

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
        rows = []
        for sw, sb in network_fits.regime_settings(cfg):
            scales = meanfield.depth_scales(sw, sb, act)
            rows.append(
                {
                    "activation": act,
                    "sigma_w": sw,
                    "sigma_b": sb,
                    "q_star": float(meanfield.q_star(sw, sb, act)),
                    "chi1": float(meanfield.chi1(sw, sb, act)),
                    "xi_grad": float(scales["xi_grad"]),
                }
            )
            log.info("%s", rows[-1])
        io.write_table(pd.DataFrame(rows), job.output[0], params=job.params)
