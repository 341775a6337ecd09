"""One N-unit random layer per sigma_w: empirical q^l against q^{l-1} for `qmap`."""

import numpy as np
import pandas as pd

from dltheory import io, seeds

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import networks

        log = job.log
        cfg = job.cfg
        # Start just above 0: q = 0 is the degenerate all-zero input.
        q_in = np.linspace(cfg["q_max"] / cfg["n_sim"], cfg["q_max"], cfg["n_sim"])

        frames = []
        for i, sigma_w in enumerate(cfg["sigma_w"]):
            layer_seed = seeds.derive(job.base_seed, job.rule, "sigma_w", i)
            q_out = networks.one_layer_q_map(
                q_in, sigma_w, cfg["sigma_b"], cfg["width"], cfg["activation"], seed=layer_seed
            )
            frames.append(
                pd.DataFrame(
                    {
                        "sigma_w": float(sigma_w),
                        "sigma_b": float(cfg["sigma_b"]),
                        "activation": cfg["activation"],
                        "q_in": q_in,
                        "q_out": q_out,
                        "width": cfg["width"],
                        "seed": layer_seed,
                    }
                )
            )
            log.info(
                "sigma_w=%.3f: simulated %d inputs through one N=%d layer",
                sigma_w,
                q_in.size,
                cfg["width"],
            )
        io.write_table(pd.concat(frames, ignore_index=True), job.output[0], params=job.params)
