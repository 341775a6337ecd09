"""Gradients of two inputs back-propagated through random nets, for one group of the
settings of `gradient_covariance` (dltheory.gradient_covariance.simulation_table).

The group is ``params.indices`` (positions in gradient_covariance.settings; all of them
when the script runs alone). Each setting draws from its own stream, named by the
config's seed, the rule and the setting, so the tables do not depend on the grouping; the
table's params are the slice and the seed (not the group), so a figure reads the groups
side by side.
"""

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import gradient_covariance, seeds

        cfg = job.cfg
        indices = job.params.get("indices") or range(len(gradient_covariance.settings(cfg)))
        table = gradient_covariance.simulation_table(
            cfg, indices, seeds.derive(job.base_seed, job.rule), log=job.log
        )
        io.write_table(table, job.output[0], params={"cfg": cfg, "seed": job.base_seed})
