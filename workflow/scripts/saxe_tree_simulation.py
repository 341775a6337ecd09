"""Exercise 2.3/2.4: deep linear and ReLU nets on hierarchical tree data, all seeds batched."""

import time

from dltheory import io, saxe

log = io.script_logger(snakemake.log[0])
cfg = snakemake.params.cfg
tree, net = cfg["tree"], cfg["network"]
start = time.perf_counter()
curves, theory = saxe.tree_experiment(
    depth=tree["depth"],
    branching=tree["branching"],
    n_features=tree["n_features"],
    epsilon=tree["epsilon"],
    hidden_units=net["hidden_units"],
    variants=net["variants"],
    n_seeds=net["n_seeds"],
    epochs=net["epochs"],
    lr=net["lr"],
    init_std=net["init_std"],
    seed=snakemake.params.seed + 610,
)
log.info(
    "trained %d nets x %d epochs in %.1f s",
    net["n_seeds"] * len(net["variants"]),
    net["epochs"],
    time.perf_counter() - start,
)
log.info(
    "half-learning epochs:\n%s",
    theory.groupby(["variant", "mode"])[["s", "t_half", "t_theory"]].mean().to_string(),
)
io.write_table(curves, snakemake.output.curves, params=snakemake.params)
io.write_table(theory, snakemake.output.theory, params=snakemake.params)
