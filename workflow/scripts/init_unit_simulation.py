"""Monte Carlo of Problem 1 over x and W for `init_variance` and the answers."""

import pandas as pd

from dltheory import io, seeds

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import initialisation

        log = job.log
        cfg = job.cfg

        rows = []
        for i, d_x in enumerate(cfg["d_x"]):
            # the config grid, plus the two answers: sigma = 1/d_x (1a) and the relu value (1b)
            points = [(float(s), "grid") for s in cfg["sigma_dx"]]
            points += [(1.0, "answer_1a")]
            points += [(float(initialisation.relu_weight_variance(d_x) * d_x), "answer_1b_gauss")]
            points += [
                (
                    float(initialisation.relu_weight_variance(d_x, exact=True) * d_x),
                    "answer_1b_exact",
                )
            ]
            for j, (sigma_dx, kind) in enumerate(points):
                rng = seeds.rng(job.base_seed, job.rule, "d_x", i, "point", j)
                row = initialisation.simulate_unit(d_x, sigma_dx / d_x, cfg["n_samples"], rng)
                row.update(sigma_dx=sigma_dx, point=kind, seed_i=i, seed_j=j)
                rows.append(row)
                log.info(
                    "d_x=%d sigma*d_x=%.4f (%s): Var u=%.4f+-%.4f, Var u'=%.4f+-%.4f, b'=%.4f",
                    d_x,
                    sigma_dx,
                    kind,
                    row["var_u"],
                    row["se_var_u"],
                    row["var_u_prime"],
                    row["se_var_u_prime"],
                    row["b_prime"],
                )
        io.write_table(pd.DataFrame(rows), job.output[0], params=job.params)
