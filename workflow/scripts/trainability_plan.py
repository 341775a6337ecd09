"""The (sigma_w^2, depth) cells of each trainability sweep, dense near L = 6 xi_c."""

import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import trainability

        cfg, dropout = job.cfg, job.params["dropout"]
        sweeps = [(1.0, cfg["depths"])] + [(kp, dropout["depths"]) for kp in dropout["keep_probs"]]
        plan = pd.concat(
            [
                trainability.sweep_plan(
                    cfg["sigma_w2"], depths, cfg["sigma_b2"], float(kp), cfg["sample_within"]
                )
                for kp, depths in sweeps
            ],
            ignore_index=True,
        )
        for (kp, depth), cells in plan.groupby(["keep_prob", "depth"]):
            job.log.info(
                "keep probability %g, L = %d: %d sigma_w^2 (%s)",
                kp, depth, len(cells), ", ".join(sorted(set(cells["reason"]))),
            )  # fmt: skip
        io.write_table(plan, job.output[0], params=job.params)
