"""Singular values of input-output Jacobians at criticality, for `jacobian_spectrum`."""


from dltheory import io, networks

job = io.job()
log = job.log
cfg = job.cfg
table = networks.jacobian_spectrum_table(
    cfg["activations"],
    cfg["weights"],
    cfg["depths"],
    cfg["width"],
    cfg["n_seeds"],
    job.seed,
    q_star=cfg["q_star"],
    log=log,
)
io.write_table(table, job.output[0], params=job.params)
