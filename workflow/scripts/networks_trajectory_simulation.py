"""A circle of inputs through random nets, length after every layer (`trajectory_length`)."""

import torch

from dltheory import io, networks

log = io.script_logger(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
cfg = snakemake.params.cfg
table = networks.trajectory_table(
    cfg["activation"],
    cfg["sigma_w"],
    0.0,
    cfg["width"],
    cfg["depth"],
    cfg["n_points"],
    cfg["q0"],
    cfg["n_seeds"],
    networks.seed_for(snakemake.params.seed, 504),
    log=log,
)
io.write_table(table, snakemake.output[0], params=snakemake.params)
