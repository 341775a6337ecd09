"""Learning time of each mode against depth, random against decoupled initialisation."""

import time

from dltheory import io, seeds

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import saxe

        log = job.log
        tree, dep = job.params.tree, job.params.depth
        start = time.perf_counter()
        frame = saxe.depth_experiment(
            depths=dep["hidden_layers"],
            width=dep["width"],
            depth=tree["depth"],
            branching=tree["branching"],
            n_features=tree["n_features"],
            epsilon=tree["epsilon"],
            inits=dep["inits"],
            a0=dep["a0"],
            n_seeds=dep["n_seeds"],
            epochs=dep["epochs"],
            lr=dep["lr"],
            lr_scaling=dep["lr_scaling"],
            # the stream "saxe_tree": the same tree data as saxe_tree_simulation
            seed=seeds.derive(job.base_seed, "saxe_tree"),
        )
        log.info("depth sweep in %.1f s", time.perf_counter() - start)
        log.info("\n%s", frame.groupby(["hidden", "init"])["t_half"].mean().to_string())
        io.write_table(frame, job.output[0], params=job.params)
