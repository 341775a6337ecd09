"""Answers of Problem Sheet 2 (mean-field signal propagation)."""

from dltheory import io, meanfield
from dltheory.answers import Answer, write_part

log = io.script_logger(snakemake.log[0])
cfg = snakemake.params.cfg
qs = cfg["qstar"]
q_star = meanfield.q_star(qs["sigma_w"], qs["sigma_b"], qs["activation"])
log.info("q* = %.12f", q_star)
rows = [
    Answer(
        id="sheet2_q1a_qstar",
        sheet="Problem Sheet 2: networks at initialisation",
        question=f"Q1(a) q* for sigma_w = {qs['sigma_w']:g}, sigma_b = {qs['sigma_b']:g}, "
        f"phi = {qs['activation']}, to 4 d.p.",
        answer=f"{q_star:.4f}",
        value=float(q_star),
        formula="q* = sigma_w^2 E_z[phi(sqrt(q*) z)^2] + sigma_b^2, z ~ N(0,1)",
        check="figures qmap (fixed point on the map) and qstar_empirical (deep wide net)",
    )
]
write_part(rows, snakemake.output[0], params=snakemake.params)
