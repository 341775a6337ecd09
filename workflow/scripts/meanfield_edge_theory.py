"""The chi_1 = 1 line parametrised by q* for several activations (figure `edge_of_chaos`)."""

import numpy as np
import pandas as pd

from dltheory import io, meanfield

job = io.job()
log = job.log
cfg = job.cfg
q = np.geomspace(cfg["q_star"]["min"], cfg["q_star"]["max"], cfg["q_star"]["n"])
frames = []
for act in cfg["activations"]:
    sw, sb = meanfield.edge_of_chaos(q, act)
    frames.append(pd.DataFrame({"activation": act, "q_star": q, "sigma_w": sw, "sigma_b": sb}))
    log.info("%s: %d of %d q* reachable", act, np.isfinite(sb).sum(), q.size)
frame = pd.concat(frames, ignore_index=True)
io.write_table(frame, job.output[0], params=job.params)
