"""Length, curvature and Grassmannian length of a great circle by the mean-field
recursions of Poole et al. 2016 (`curvature`; dltheory.curvature)."""

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import curvature

        table = curvature.theory_table(job.cfg)
        for sw, th in table.groupby("sigma_w", sort=False):
            job.log.info(
                "sigma_w %g: q* %.5f chi_1 %.5f chi_2 %.5f kbar* %.5f; at l = %d kbar %.4f, "
                "L^G %.4g",
                sw, th["q_star"].iloc[0], th["chi1"].iloc[0], th["chi2"].iloc[0],
                th["kappa_star"].iloc[0], th["layer"].iloc[-1], th["kappa"].iloc[-1],
                th["grassmann"].iloc[-1],
            )  # fmt: skip
        io.write_table(table, job.output[0], params=job.params)
