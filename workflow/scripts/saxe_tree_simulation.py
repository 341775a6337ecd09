"""Exercise 2.3/2.4: deep linear and ReLU nets on hierarchical tree data, all seeds batched."""

import time

from dltheory import io, saxe

job = io.job()
log = job.log
cfg = job.cfg
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
    seed=job.seed_for("saxe_tree"),  # the same tree data as saxe_depth_simulation
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
io.write_table(curves, job.output.curves, params=job.params)
io.write_table(theory, job.output.theory, params=job.params)
