"""Input pairs through tanh nets with dropout (keep probability rho), `dropout_cmap`."""

import pandas as pd
import torch

from dltheory import io, networks

log = io.script_logger(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
cfg = snakemake.params.cfg
seed = networks.seed_for(snakemake.params.seed, 510)
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
io.write_table(pd.concat(frames, ignore_index=True), snakemake.output[0], params=snakemake.params)
