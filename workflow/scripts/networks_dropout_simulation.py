"""Input pairs through tanh nets with dropout (keep probability rho), `dropout_cmap`."""

import pandas as pd

from dltheory import io, networks

job = io.job()
log = job.log
cfg = job.cfg
seed = job.seed
frames = [
    networks.correlation_table(
        cfg["activation"],
        [(cfg["sigma_w"], cfg["sigma_b"])],
        cfg["c0"],
        cfg["width"],
        cfg["depth"],
        cfg["n_seeds"],
        networks.seed_for(seed, i),
        keep_prob=rho,
        log=log,
    )
    for i, rho in enumerate(cfg["rho"])
]
io.write_table(pd.concat(frames, ignore_index=True), job.output[0], params=job.params)
