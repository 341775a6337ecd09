"""One N-unit random layer per sigma_w: empirical q^l against q^{l-1} for `qmap`."""

import numpy as np
import pandas as pd

from dltheory import io, networks

job = io.job()
log = job.log
cfg = job.cfg
seed = job.seed
# Start just above 0: q = 0 is the degenerate all-zero input.
q_in = np.linspace(cfg["q_max"] / cfg["n_sim"], cfg["q_max"], cfg["n_sim"])

frames = []
for i, sigma_w in enumerate(cfg["sigma_w"]):
    q_out = networks.one_layer_q_map(
        q_in, sigma_w, cfg["sigma_b"], cfg["width"], cfg["activation"], seed=seed + i
    )
    frames.append(
        pd.DataFrame(
            {
                "sigma_w": float(sigma_w),
                "q_in": q_in,
                "q_out": q_out,
                "width": cfg["width"],
                "seed": seed + i,
            }
        )
    )
    log.info(
        "sigma_w=%.3f: simulated %d inputs through one N=%d layer", sigma_w, q_in.size, cfg["width"]
    )
io.write_table(pd.concat(frames, ignore_index=True), job.output[0], params=job.params)
