"""Mean-field growth chi_1^(l/2) and the Price et al. (M/2)^l bound, `trajectory_length`."""

import numpy as np
import pandas as pd

from dltheory import io, networks

log = io.script_logger(snakemake.log[0])
cfg = snakemake.params.cfg
layer = np.arange(cfg["depth"] + 1)
frames = []
for sigma_w in cfg["sigma_w"]:
    growth = float(networks.homogeneous_growth(sigma_w, cfg["activation"]))
    frames.append(
        pd.DataFrame(
            {
                "sigma_w": float(sigma_w),
                "layer": layer,
                "mean_field": growth**layer,
                "price_bound": networks.price_bound(sigma_w, cfg["width"], layer),
                "growth": growth,
            }
        )
    )
    log.info("sigma_w %g: mean-field growth %.6f per layer", sigma_w, growth)
io.write_table(pd.concat(frames, ignore_index=True), snakemake.output[0], params=snakemake.params)
