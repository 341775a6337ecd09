"""Input pairs through random nets: c^l per layer (`c_dynamics`, `correlation_layers`)."""

import torch

from dltheory import io, networks

log = io.script_logger(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
cfg = snakemake.params.cfg
settings = networks.regime_settings(cfg)
table = networks.correlation_table(
    cfg["activation"],
    settings,
    cfg["c0"],
    cfg["width"],
    cfg["depth"],
    cfg["n_seeds"],
    networks.seed_for(snakemake.params.seed, snakemake.params.offset),
    log=log,
)
io.write_table(table, snakemake.output[0], params=snakemake.params)
