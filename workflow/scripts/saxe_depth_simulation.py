"""Learning time of each mode against depth, random against decoupled initialisation."""

import time

from dltheory import io, saxe

log = io.script_logger(snakemake.log[0])
cfg = snakemake.params.cfg
tree, dep = cfg["tree"], cfg["depth"]
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
    seed=snakemake.params.seed + 610,  # the same tree data as saxe_tree_simulation
)
log.info("depth sweep in %.1f s", time.perf_counter() - start)
log.info("\n%s", frame.groupby(["hidden", "init"])["t_half"].mean().to_string())
io.write_table(frame, snakemake.output[0], params=snakemake.params)
