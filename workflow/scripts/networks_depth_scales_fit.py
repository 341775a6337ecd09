"""Fitted decay lengths of |q^l - q*| and |c^l - c*| per sigma_w^2 (`depth_scales`)."""

import numpy as np
import pandas as pd

from dltheory import io, meanfield, networks

log = io.script_logger(snakemake.log[0])
cfg = snakemake.params.cfg
act, sb = cfg["activation"], float(np.sqrt(cfg["sigma_b2"]))
sws = [float(np.sqrt(s)) for s in cfg["sigma_w2"]]
fixed = pd.DataFrame(
    {
        "sigma_w": sws,
        "q_star": [float(meanfield.q_star(sw, sb, act)) for sw in sws],
        "c_star": [float(meanfield.c_star(sw, sb, act)) for sw in sws],
    }
)
fit = networks.fitted_depth_scales(
    io.read_table(snakemake.input.lengths), io.read_table(snakemake.input.correlations), fixed
)
fit.insert(0, "sigma_w2", np.asarray(cfg["sigma_w2"], dtype=float))
io.write_table(fit, snakemake.output[0], params=snakemake.params)
log.info("%s", fit.to_dict("records"))
