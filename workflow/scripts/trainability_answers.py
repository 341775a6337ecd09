"""Answers: per depth, the sigma_w^2 that train against those with L < 6 xi_c."""

import numpy as np

from dltheory import io

SHEET = "Depth scales and trainability (Schoenholz et al. 2017)"


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import trainability
        from dltheory.answers import Answer, write_part

        cfg = job.cfg
        theory = io.read_table(job.input.theory)
        threshold = float(cfg["threshold"])

        def fmt_range(lo, hi):
            return (
                "no sigma_w^2 of the grid" if np.isnan(lo) else f"sigma_w^2 in [{lo:.3g}, {hi:.3g}]"
            )

        def fmt_trained(row):
            # the values themselves where a grid point inside the range does not train
            if row.n_trained and not row.contiguous:
                return "sigma_w^2 = " + ", ".join(f"{v:.3g}" for v in row.trained)
            return fmt_range(row.lo, row.hi)

        answers = []
        for path in (job.input.plain, job.input.dropout):
            runs = io.read_table(path)
            grid = trainability.accuracy_grid(runs, "train_acc")
            measured = trainability.trained_range(grid, threshold)
            for row in measured.itertuples():
                cells = grid[
                    np.isclose(grid["keep_prob"], row.keep_prob) & (grid["depth"] == row.depth)
                ]
                curve = theory[
                    np.isclose(theory["keep_prob"], row.keep_prob)
                    & theory["sigma_w2"].between(cells["sigma_w2"].min(), cells["sigma_w2"].max())
                ]  # the theory range within the trained grid's span
                lo, hi = trainability.theory_range(curve, row.depth)
                xi = trainability.depth_scale_curve(
                    cells["sigma_w2"], cfg["sigma_b2"], row.keep_prob
                )
                predicted = (6 * xi["xi_c"].to_numpy()) > row.depth
                trained = cells["mean"].to_numpy() > threshold
                agree = float(np.mean(predicted == trained))
                drop = (
                    "no dropout"
                    if row.keep_prob == 1
                    else f"dropout keep probability {row.keep_prob:g}"
                )
                answers.append(
                    Answer(
                        id=f"trainability_keep{row.keep_prob:g}_L{row.depth}",
                        sheet=SHEET,
                        question=f"Which sigma_w^2 train at depth L = {row.depth} ({drop})?",
                        answer=f"trained (mean training accuracy of {int(cells['n_seeds'].min())} "
                        "seeds "
                        f"> {threshold:g}): {fmt_trained(row)} "
                        f"({row.n_trained} of {row.n_grid} grid points, best "
                        f"{cells['mean'].max():.2f}); mean field L < 6 xi_c: "
                        f"{fmt_range(lo, hi)}; the two agree on {agree:.0%} of the grid points",
                        value=agree,
                        formula="L < 6 xi_c, xi_c = -1/log chi_c(c*) "
                        "(dltheory.meanfield.depth_scales, "
                        "rho = keep probability)",
                        check="tests/test_trainability.py (batched trainer = single-network loop; "
                        "dropout xi_c = fit of the iterated C-map)",
                    )
                )
        write_part(answers, job.output[0], params=job.params)
        job.log.info("%d answers", len(answers))
