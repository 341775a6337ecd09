"""Free-probability moments of the J J^T spectrum (dltheory.isometry), `jacobian_spectrum`."""

import numpy as np
import pandas as pd

from dltheory import io, isometry

job = io.job()
log = job.log
cfg = job.cfg
depth = np.arange(1, max(cfg["depths"]) + 1)
frames = []
for act in cfg["activations"]:
    point = isometry.critical_point(act, cfg["q_star"])
    log.info("%s: %s, mu2/mu1^2 = %.12g", act, point, point.moment_ratio)
    for wts in cfg["weights"]:
        frames.append(
            pd.DataFrame(
                {
                    "activation": act,
                    "weights": wts,
                    "depth": depth,
                    "sigma_w": point.sigma_w,
                    "sigma_b": point.sigma_b,
                    "q_star": point.q_star,
                    "moment_ratio": point.moment_ratio,
                    "mean": isometry.jjt_mean(depth, point.mu1),
                    "variance": isometry.jjt_variance(depth, point.moment_ratio, wts, point.mu1),
                }
            )
        )
io.write_table(pd.concat(frames, ignore_index=True), job.output[0], params=job.params)
log.info("theory for %d settings", len(frames))
