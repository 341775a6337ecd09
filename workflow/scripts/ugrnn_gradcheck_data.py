"""Problem 2: hand-written UGRNN backward against autograd over sequences, per tensor."""

import itertools

import pandas as pd

from dltheory import io, seeds

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import ugrnn

        log = job.log
        cfg = job.cfg

        rows = []
        for k, (steps, batch) in enumerate(itertools.product(cfg["steps"], cfg["batch"])):
            case_seed = seeds.derive(job.base_seed, job.rule, "case", k)
            for row in ugrnn.gradcheck(cfg["n_in"], cfg["n_hidden"], steps, batch, case_seed):
                row.update(steps=int(steps), batch=int(batch), seed=case_seed)
                rows.append(row)
            worst = max(r["rel_err_elementwise"] for r in rows[-len(ugrnn.TENSORS) :])
            log.info(
                "steps=%d batch=%d: worst elementwise relative error %.3e", steps, batch, worst
            )
        io.write_table(pd.DataFrame(rows), job.output[0], params=job.params)
