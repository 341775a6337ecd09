"""Check the data of figures `trainability*` before any training job (IDX dir, sizes)."""

import pandas as pd

from dltheory import io, seeds

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import training_data

        cfg = job.cfg
        # a missing or malformed IDX directory raises IdxDataError naming the path and the files
        data = training_data.load_data(cfg, seeds.derive(job.base_seed, "trainability_data"))
        summary = pd.DataFrame(
            {
                "name": [data.name],
                "n_train": [len(data.y_train)],
                "n_test": [len(data.y_test)],
                "n_features": [data.n_features],
                "n_classes": [data.n_classes],
            }
        )
        job.log.info("data %s", summary.to_dict("records")[0])
        io.write_table(summary, job.output[0], params=job.params)
