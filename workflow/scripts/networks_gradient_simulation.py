"""Loss gradients per layer, chi_1 < 1, = 1, > 1 (`gradient_histograms`, `gradient_depth_scale`)."""

import torch

from dltheory import io, networks

log = io.script_logger(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
cfg = snakemake.params.cfg
norms, samples = networks.gradient_table(
    cfg["activation"],
    networks.regime_settings(cfg),
    cfg["width"],
    cfg["depth"],
    cfg["batch"],
    cfg["n_seeds"],
    networks.seed_for(snakemake.params.seed, 507),
    n_sample=cfg["n_sample"],
    log=log,
)
io.write_table(norms, snakemake.output.norms, params=snakemake.params)
io.write_table(samples, snakemake.output.samples, params=snakemake.params)
