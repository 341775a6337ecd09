"""q^l against l through one N-unit net per sigma_w, for `q_dynamics` (Poole Fig. 1B)."""


from dltheory import io, networks

job = io.job()
log = job.log
cfg = job.cfg
table = networks.lengths_table(
    [cfg["width"]],
    cfg["depth"],
    cfg["q0"],
    cfg["sigma_w"],
    cfg["sigma_b"],
    cfg["activation"],
    cfg["n_seeds"],
    job.seed,
    log=log,
)
io.write_table(table, job.output[0], params=job.params)
