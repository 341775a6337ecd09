"""(1/N) Tr((DW)^T DW) and singular values of DW for chi_1 < 1, = 1, > 1 (`dw_spectrum`)."""

import torch

from dltheory import io, networks

log = io.script_logger(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
cfg = snakemake.params.cfg
traces, svs = networks.dw_table(
    cfg["activation"],
    networks.regime_settings(cfg),
    cfg["width"],
    cfg["depth"],
    cfg["n_seeds"],
    networks.seed_for(snakemake.params.seed, 508),
    log=log,
)
io.write_table(traces, snakemake.output.traces, params=snakemake.params)
io.write_table(svs, snakemake.output.singular_values, params=snakemake.params)
