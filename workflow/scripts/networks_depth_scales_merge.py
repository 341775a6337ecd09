"""The chunks of the depth-scales sweep in one lengths and one correlations table.

Chunks are concatenated in the order of ``sigma_w2``; they must come from one
configuration (their params agree but for their own ``sigma_indices``).
"""

import json

import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:

        def merged(paths):
            made_with = {
                json.dumps(
                    {k: v for k, v in io.read_params(p).items() if k != "sigma_indices"},
                    sort_keys=True,
                ): p
                for p in paths
            }
            if len(made_with) > 1:
                raise io.MixedParamsError(
                    f"chunks {sorted(made_with.values())} come from different configurations; "
                    "rerun "
                    "them with: .venv/bin/snakemake --cores 2 --forcerun "
                    "networks_depth_scales_simulation"
                )
            return pd.concat([io.read_table(p) for p in paths], ignore_index=True)

        for name in ("lengths", "correlations"):
            table = merged(job.input[name])
            job.log.info("%s: %d rows from %d chunks", name, len(table), len(job.input[name]))
            io.write_table(table, job.output[name], params=job.params)
