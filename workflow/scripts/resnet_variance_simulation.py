"""Problem 3(a-d) simulated: per-layer variances of x^l and x^l.grad in a residual conv net."""

import numpy as np
import pandas as pd

from dltheory import io, seeds

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import resnet

        log = job.log
        cfg = job.cfg
        L, N, C, H = cfg["n_layers"], cfg["n_filter"], cfg["channels"], cfg["image"]
        margin = L * (N - 1) // 2
        layers_rows, border_rows = [], []
        for case, (label, s) in enumerate(resnet.sigma_w_cases(L, N, C, cfg["sigma_w"])):
            case_seed = seeds.derive(job.base_seed, job.rule, "case", case)
            var_maps, grad_maps = resnet.simulate(
                L, C, N, H, cfg["batch"], s, cfg["n_networks"], case_seed
            )
            var_in = resnet.interior_mean(var_maps, N)  # (networks, L+1)
            grad_in = resnet.interior_mean(grad_maps, N, grad=True)
            for net in range(cfg["n_networks"]):
                layers_rows.append(
                    pd.DataFrame(
                        {
                            "label": label,
                            "sigma_w": s,
                            "network": net,
                            "layer": np.arange(L + 1),
                            "var": var_in[net],
                            "grad_var": grad_in[net],
                            "seed": case_seed,
                        }
                    )
                )
            fwd = resnet.border_profile(var_maps[:, L].mean(axis=0), margin)
            bwd = resnet.border_profile(grad_maps[:, 0].mean(axis=0), margin)
            border_rows.append(
                pd.DataFrame(
                    {
                        "label": label,
                        "sigma_w": s,
                        "distance": np.arange(fwd.size),
                        "var_forward_L": fwd,
                        "var_grad_0": bwd,
                    }
                )
            )
            log.info(
                "%s sigma_W=%.6g: interior sigma_L^2 = %.4f (theory %.4f), grad var at 0 = %.4f",
                label,
                s,
                var_in[:, L].mean(),
                resnet.variance(L, N, C, s),
                grad_in[:, 0].mean(),
            )
        io.write_table(
            pd.concat(layers_rows, ignore_index=True), job.output.layers, params=job.params
        )
        io.write_table(
            pd.concat(border_rows, ignore_index=True), job.output.border, params=job.params
        )
