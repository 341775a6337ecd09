"""Figure `finite_width`: the 1/N theory of every panel (K0, K1, V per layer; ReLU exact)."""

import numpy as np
import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import finite_width, meanfield

        cfg = job.cfg
        frames = []
        for panel in ("fluctuations", "shift"):
            for s in finite_width.panel_settings(cfg, panel):
                corr = finite_width.length_corrections(
                    s["sigma_w"], s["sigma_b"], s["depth"], s["activation"], s["q0"]
                )
                chi1 = float(meanfield.chi1(s["sigma_w"], s["sigma_b"], s["activation"]))
                frames.append(
                    pd.DataFrame(
                        {
                            "panel": panel,
                            **{k: s[k] for k in ("activation", "sigma_w", "sigma_b", "q0")},
                            "chi1": chi1,
                            "width": 0,  # the 1/N coefficients do not depend on N
                            "layer": corr.layer,
                            "K0": corr.K0,
                            "K1": corr.K1,
                            "V": corr.V,
                            "n_var": corr.n_var(),
                            "exact_var_ratio": np.nan,
                            "exact_mu4_ratio": np.nan,
                        }
                    )
                )
        for width in cfg["relu"]["widths"]:
            (s,) = finite_width.panel_settings(cfg, "relu", width)
            corr = finite_width.length_corrections(s["sigma_w"], 0.0, s["depth"], "relu", s["q0"])
            # exact Var(q^l) / K^2 and fourth central moment / K^4 (K = sigma_w^2 q0 = E[q^l])
            exact, mu4 = finite_width.relu_exact_central_moments(width, s["depth"], s["sigma_w"])
            frames.append(
                pd.DataFrame(
                    {
                        "panel": "relu",
                        **{k: s[k] for k in ("activation", "sigma_w", "sigma_b", "q0")},
                        "chi1": float(meanfield.chi1(s["sigma_w"], 0.0, "relu")),
                        "width": int(width),
                        "layer": corr.layer,
                        "K0": corr.K0,
                        "K1": corr.K1,
                        "V": corr.V,
                        "n_var": corr.n_var(),
                        "exact_var_ratio": exact,
                        "exact_mu4_ratio": mu4,
                    }
                )
            )
        for s in finite_width.panel_settings(cfg, "correlation"):
            pair = finite_width.pair_corrections(
                s["sigma_w"], s["sigma_b"], s["depth"], s["activation"], s["q0"], s["c0"]
            )
            frames.append(
                pd.DataFrame(
                    {
                        "panel": "correlation",
                        **{k: s[k] for k in ("activation", "sigma_w", "sigma_b", "q0")},
                        "chi1": float(meanfield.chi1(s["sigma_w"], s["sigma_b"], s["activation"])),
                        "width": 0,
                        "layer": pair.layer,
                        "c0": s["c0"],
                        "c_mf": pair.c0,  # mean-field correlation c^l
                        "n_var_c": pair.n_var_c,  # leading N Var(c^l)
                        "n_var_c_wishart": (1.0 - pair.c0**2) ** 2,  # its sampling part alone
                    }
                )
            )
        table = pd.concat(frames, ignore_index=True)
        io.write_table(table, job.output[0], params=job.params)
        job.log.info("theory rows: %d", len(table))
