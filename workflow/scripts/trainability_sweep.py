"""One chunk of the trainability sweep: the planned sigma_w^2 x seeds of one depth, together."""

import time

import numpy as np

from dltheory import io, seeds

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import training

        cfg = job.cfg
        data = training.load_data(cfg["data"], seeds.derive(job.base_seed, "trainability_data"))
        settings = training.Settings(
            depth=int(job.wildcards.depth),
            width=cfg["width"],
            steps=cfg["steps"],
            batch=cfg["batch"],
            lr=cfg["lr"],
            optimizer=cfg["optimizer"],
            keep_prob=float(job.wildcards.keep_prob),
            sigma_b2=cfg["sigma_b2"],
        )
        seeds = list(job.params.seeds)
        plan = io.read_table(job.input.plan)
        at = np.isclose(plan["keep_prob"], settings.keep_prob) & (plan["depth"] == settings.depth)
        cells = plan[at]
        if cells.empty:  # a depth the plan samples at no sigma_w^2 of this keep probability
            job.log.info("%s: no sigma_w^2 of the plan at this depth", settings)
            records = training.RECORD_SCHEMA.empty_table().to_pandas()
        else:
            start = time.perf_counter()
            records = training.train_batched(
                data, cells["sigma_w2"].to_numpy(), seeds, settings, job.seed
            )
            job.log.info(
                "%s: %d networks (seeds %s) in %.1f s; %d diverged",
                settings,
                len(records),
                seeds,
                time.perf_counter() - start,
                int(records["diverged"].sum()),
            )
        io.write_table(records, job.output[0], schema=training.RECORD_SCHEMA, params=job.params)
