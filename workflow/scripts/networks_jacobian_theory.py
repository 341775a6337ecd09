"""Free-probability moments of the J J^T spectrum (dltheory.isometry), `jacobian_spectrum`."""

import numpy as np
import pandas as pd

from dltheory import io, isometry

log = io.script_logger(snakemake.log[0])
cfg = snakemake.params.cfg
depth = np.arange(1, max(cfg["depths"]) + 1)
frames = []
for act in cfg["activations"]:
    _, _, ratio = isometry.critical_setting(act)
    for wts in cfg["weights"]:
        frames.append(
            pd.DataFrame(
                {
                    "activation": act,
                    "weights": wts,
                    "depth": depth,
                    "mean": isometry.jjt_mean(depth),
                    "variance": isometry.jjt_variance(depth, ratio, wts),
                }
            )
        )
io.write_table(pd.concat(frames, ignore_index=True), snakemake.output[0], params=snakemake.params)
log.info("theory for %d settings", len(frames))
