"""A circle of inputs through random nets, length after every layer (`trajectory_length`)."""

import pandas as pd
import torch

from dltheory import io, networks

log = io.script_logger(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
cfg = snakemake.params.cfg
tables = [
    networks.trajectory_table(
        activation,
        cfg["sigma_w"],
        cfg["sigma_b"],
        cfg["width"],
        cfg["depth"],
        cfg["n_points"],
        cfg["q0"],
        cfg["n_seeds"],
        networks.seed_for(snakemake.params.seed, 504, i_a),
        log=log,
    )
    for i_a, activation in enumerate(cfg["activations"])
]
io.write_table(pd.concat(tables, ignore_index=True), snakemake.output[0], params=snakemake.params)
