"""All chunks of one trainability sweep in one table (sorted by keep_prob, depth, seed)."""

import json

import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import training_data

        # chunks differ in their seeds only; a chunk left by another configuration stops here
        made_with = {
            json.dumps(
                {k: v for k, v in io.read_params(p).items() if k != "seeds"}, sort_keys=True
            ): p
            for p in job.input.chunks
        }
        if len(made_with) > 1:
            raise io.MixedParamsError(
                f"chunks {sorted(made_with.values())} come from different configurations; "
                "rerun them with: .venv/bin/snakemake --cores 2 --forcerun trainability_sweep"
            )
        runs = pd.concat([io.read_table(p) for p in job.input.chunks], ignore_index=True)
        runs = runs.sort_values(["keep_prob", "depth", "seed", "sigma_w2"], ignore_index=True)
        job.log.info("%d runs from %d chunks", len(runs), len(job.input.chunks))
        io.write_table(runs, job.output[0], schema=training_data.RECORD_SCHEMA, params=job.params)
