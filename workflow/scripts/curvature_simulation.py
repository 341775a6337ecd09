"""A great circle through random nets, measured after every layer, for one group of the
sigma_w of `curvature` (dltheory.curvature.simulation_table).

The group is ``params.indices`` (positions in ``sigma_w``; all of them when the script
runs alone); each sigma_w draws from the stream of its position, so the tables do not
depend on the grouping, and their params are the slice and the seed only.
"""

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import curvature, seeds

        cfg = job.cfg
        indices = job.params.get("indices") or range(len(cfg["sigma_w"]))
        table = curvature.simulation_table(
            cfg, indices, seeds.derive(job.base_seed, job.rule), log=job.log
        )
        res = curvature.resolution(table)
        worst = res.groupby(["sigma_w", "layer"])[["fd_error", "exact_error"]].max()
        job.log.info("finite-difference error estimates (max over nets):\n%s", worst.to_string())
        io.write_table(table, job.output[0], params={"cfg": cfg, "seed": job.base_seed})
