"""A circle of inputs through random nets, length after every layer (`trajectory_length`)."""

import pandas as pd

from dltheory import io, networks

job = io.job()
log = job.log
cfg = job.cfg
tables = [
    networks.trajectory_table(
        activation,
        cfg["sigma_w"],
        cfg["sigma_b"],
        cfg["width"],
        cfg["depth"],
        cfg["n_points"],
        cfg["q0"],
        cfg["n_seeds"],
        networks.seed_for(job.seed, i_a),
        log=log,
    )
    for i_a, activation in enumerate(cfg["activations"])
]
io.write_table(pd.concat(tables, ignore_index=True), job.output[0], params=job.params)
