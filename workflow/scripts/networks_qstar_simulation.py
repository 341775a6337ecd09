"""Deep nets of several widths and seeds for `qstar_empirical` (Sheet 2 Q1(b))."""


from dltheory import io, networks

job = io.job()
log = job.log
cfg = job.cfg
table = networks.lengths_table(
    cfg["widths"],
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
