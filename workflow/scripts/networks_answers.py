"""Answers measured in simulations of random deep networks (Problem Sheet 2)."""

from dltheory import io, meanfield, networks
from dltheory.answers import Answer, write_part

log = io.script_logger(snakemake.log[0])
cfg = snakemake.params.cfg["qstar_empirical"]
sim = io.read_table(snakemake.input.qstar)
q_star = float(meanfield.q_star(cfg["sigma_w"], cfg["sigma_b"], cfg["activation"]))
est = networks.empirical_fixed_point(sim, cfg["layer_min"])
rows = []
for rec in est.itertuples():
    z = (rec.q_mean - q_star) / rec.q_se
    rows.append(
        Answer(
            id=f"networks_sheet2_q1b_qstar_empirical_N{rec.width}",
            sheet="Problem Sheet 2: networks at initialisation",
            question=f"Q1(b) q^l deep in a random tanh net of width N = {rec.width} "
            f"(sigma_w = {cfg['sigma_w']:g}, sigma_b = {cfg['sigma_b']:g})",
            answer=f"{rec.q_mean:.4f} +/- {rec.q_se:.4f} (s.e., {rec.n_nets} nets); "
            f"theory q* = {q_star:.4f}, z = {z:+.2f}",
            value=float(rec.q_mean),
            formula="mean over nets of (1/N)|h^l|^2 for layers >= "
            f"{cfg['layer_min']} of {cfg['depth']}; s.e. = s.d. over nets / sqrt(nets)",
            check="figure qstar_empirical; tests/test_networks.py (within 3 s.e. at N=500)",
        )
    )
    log.info("N=%d: %.5f +/- %.5f (q* %.5f)", rec.width, rec.q_mean, rec.q_se, q_star)
write_part(rows, snakemake.output[0], params=snakemake.params)
