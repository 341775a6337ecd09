"""Answers: per sigma_w^2, the largest depth that trains against 6 xi_c (the ratio)."""

import numpy as np

from dltheory import io

SHEET = "Depth scales and trainability (Schoenholz et al. 2017)"


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import meanfield, trainability
        from dltheory.answers import Answer, write_part

        cfg = job.cfg
        critical = float(meanfield.critical_sigma_w(np.sqrt(cfg["sigma_b2"]))) ** 2
        answers = []
        plan, planned = io.read_table(job.input.plan), io.read_params(job.input.plan)
        for path in (job.input.plain, job.input.dropout):
            boundary = trainability.measured_boundary(io.read_table(path), plan, planned)
            for b in boundary.itertuples():
                six_xi, ratio = b.six_xi_c, b.ratio
                drop = (
                    "no dropout"
                    if b.keep_prob == 1
                    else f"dropout keep probability {b.keep_prob:g}"
                )
                side = "ordered" if b.sigma_w2 < critical else "chaotic"
                if b.censored == "above":
                    measured = f"every sampled depth trains, up to L = {b.depth_max:.0f}"
                elif b.censored == "below":
                    measured = f"none trains, not even L = {b.depth_max:.0f}"
                else:
                    measured = (
                        f"L = {b.depth_max:.0f} "
                        f"(single seeds {b.spread_lo:.0f} to {b.spread_hi:.0f}"
                        + (", across unsampled depths)" if b.gap else ")")
                    )
                answers.append(
                    Answer(
                        id=f"trainability_keep{b.keep_prob:g}_sw{b.sigma_w2:g}",
                        sheet=SHEET,
                        question=(
                            f"How deep does a network at sigma_w^2 = {b.sigma_w2:g} ({drop}, "
                            f"{side} side) train, against 6 xi_c?"
                        ),
                        answer=(
                            f"largest depth above accuracy {b.threshold:.2f} (halfway between "
                            f"chance and the shallow nets; {b.n_seeds} seeds, depths "
                            f"{list(b.depths)}): {measured}; 6 xi_c = {six_xi:.3g}; "
                            f"ratio {ratio:.2g}"
                            + (" (a lower bound)" if b.censored == "above" else "")
                        ),
                        value=float(ratio),
                        formula="largest L with mean accuracy > threshold, over "
                        "6 xi_c, xi_c = -1/log chi_c(c*) (dltheory.trainability.trainable_depth, "
                        "dltheory.meanfield.depth_scales, rho = keep probability)",
                        check="tests/test_trainability.py (boundary crossing and seed spread; "
                        "batched trainer = single-network loop; dropout xi_c = fit of the "
                        "iterated C-map)",
                    )
                )
        write_part(answers, job.output[0], params=job.params)
        job.log.info("%d answers", len(answers))
