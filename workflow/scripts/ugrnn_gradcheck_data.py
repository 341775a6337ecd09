"""Problem 2: hand-written UGRNN backward against autograd over sequences, per tensor."""

import itertools

import pandas as pd

from dltheory import io, ugrnn

job = io.job()
log = job.log
cfg = job.cfg
seed = job.seed

rows = []
for k, (steps, batch) in enumerate(itertools.product(cfg["steps"], cfg["batch"])):
    for row in ugrnn.gradcheck(cfg["n_in"], cfg["n_hidden"], steps, batch, seed + k):
        row.update(steps=int(steps), batch=int(batch), seed=seed + k)
        rows.append(row)
    worst = max(r["rel_err_elementwise"] for r in rows[-len(ugrnn.TENSORS) :])
    log.info("steps=%d batch=%d: worst elementwise relative error %.3e", steps, batch, worst)
io.write_table(pd.DataFrame(rows), job.output[0], params=job.params)
