"""Deep nets of several widths and seeds for `qstar_empirical` (Sheet 2 Q1(b))."""

import torch

from dltheory import io, networks

log = io.script_logger(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
cfg = snakemake.params.cfg
table = networks.lengths_table(
    cfg["widths"],
    cfg["depth"],
    cfg["q0"],
    cfg["sigma_w"],
    cfg["sigma_b"],
    cfg["activation"],
    cfg["n_seeds"],
    networks.seed_for(snakemake.params.seed, 501),
    log=log,
)
io.write_table(table, snakemake.output[0], params=snakemake.params)
