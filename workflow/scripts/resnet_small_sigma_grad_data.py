"""Problem 3(e): W^l.grad at decreasing sigma_W against its limits, linear and relu."""

import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import resnet

        log = job.log
        cfg = job.cfg
        seed = job.seed
        rows = resnet.small_sigma_grads(
            cfg["n_layers"],
            cfg["channels"],
            cfg["n_filter"],
            cfg["image"],
            cfg["batch"],
            sorted(cfg["sigma_w"], reverse=True),
            seed,
        )
        table = pd.DataFrame(rows)
        table["seed"] = seed
        for (act, s), grp in table.groupby(["activation", "sigma_w"], sort=False):
            log.info(
                "%s sigma_W=%.1e: max rel. distance to linear limit %.3e, between draws %.3e",
                act,
                s,
                grp["rel_to_linear_limit"].max(),
                grp["rel_between_draws"].max(),
            )
        io.write_table(table, job.output[0], params=job.params)
