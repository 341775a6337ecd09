"""Mean-field growth chi_1^(l/2) and the Price et al. (M/2)^l bound, `trajectory_length`."""

import numpy as np
import pandas as pd

from dltheory import io, networks

job = io.job()
log = job.log
cfg = job.cfg
layer = np.arange(cfg["depth"] + 1)
frames = []
for activation in cfg["activations"]:
    for sigma_w in cfg["sigma_w"]:
        sigma_b, q0 = networks.circle_setting(activation, sigma_w, cfg["sigma_b"], cfg["q0"])
        growth = float(networks.length_growth(sigma_w, sigma_b, activation))
        frames.append(
            pd.DataFrame(
                {
                    "activation": activation,
                    "sigma_w": float(sigma_w),
                    "sigma_b": sigma_b,
                    "q0": q0,
                    "layer": layer,
                    "mean_field": growth**layer,
                    # the theorem is for ReLU networks
                    "price_bound": networks.price_bound(sigma_w, cfg["width"], layer)
                    if activation == "relu"
                    else np.nan,
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
