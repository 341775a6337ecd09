"""Problem 3(a-d) closed forms per layer, and the padded-border recursion, for `resnet_variance`."""

import numpy as np
import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import resnet

        log = job.log
        cfg = job.cfg
        L, N, C, H = cfg["n_layers"], cfg["n_filter"], cfg["channels"], cfg["image"]
        layers = np.arange(L + 1)
        frames, border = [], []
        for label, s in resnet.sigma_w_cases(L, N, C, cfg["sigma_w"]):
            frames.append(
                pd.DataFrame(
                    {
                        "label": label,
                        "sigma_w": s,
                        "layer": layers,
                        "var": resnet.variance(layers, N, C, s),
                        "grad_var": resnet.grad_variance(layers, L, N, C, s),
                        "log_spread": resnet.log_variance_spread(layers, C, s),
                        "grad_log_spread": resnet.log_variance_spread(L - layers, C, s),
                    }
                )
            )
            # forward at layer L and backward at layer 0 both follow the map v^L of the recursion
            v_last = resnet.padded_variance_maps(L, H, H, N, C, s)[L]
            profile = resnet.border_profile(v_last, margin=L * (N - 1) // 2)
            border.append(
                pd.DataFrame(
                    {
                        "label": label,
                        "sigma_w": s,
                        "distance": np.arange(profile.size),
                        "var_padded": profile,
                        "var_unpadded": float(resnet.variance(L, N, C, s)),
                    }
                )
            )
            log.info("%s: sigma_W=%.6g, sigma_L^2=%.6f", label, s, resnet.variance(L, N, C, s))
        io.write_table(pd.concat(frames, ignore_index=True), job.output.layers, params=job.params)
        io.write_table(pd.concat(border, ignore_index=True), job.output.border, params=job.params)
