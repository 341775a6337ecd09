"""Singular values of input-output Jacobians at criticality, for `jacobian_spectrum`."""

import torch

from dltheory import io, networks

log = io.script_logger(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
cfg = snakemake.params.cfg
table = networks.jacobian_spectrum_table(
    cfg["activations"],
    cfg["weights"],
    cfg["depths"],
    cfg["width"],
    cfg["n_seeds"],
    networks.seed_for(snakemake.params.seed, 503),
    q_star=cfg["q_star"],
    log=log,
)
io.write_table(table, snakemake.output[0], params=snakemake.params)
