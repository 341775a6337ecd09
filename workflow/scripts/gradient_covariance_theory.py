"""Gradient covariance recursion layer by layer, and xi_c, xi_grad over sigma_w^2
(`gradient_covariance`; dltheory.gradient_covariance)."""

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import gradient_covariance

        log = job.log
        cfg, sweep = job.cfg, job.params.sweep
        # settings() also lists the simulated widths and network counts, which no theory
        # number depends on: placeholders, so that the rule needs only the theory's keys
        theory_cfg = {
            key: cfg[key]
            for key in ("activation", "sigma_b2", "c0", "sigma_w2", "depth", "theory_range",
                        "n_theory")
        } | {
            "widths": [0],
            "n_nets": 0,
            "sweep": {"sigma_w2": sweep["sigma_w2"], "depth": sweep["depth"], "width": 0,
                      "n_nets": 0},
        }  # fmt: skip
        layers, scales = gradient_covariance.theory_table(theory_cfg)
        for (panel, sw2), th in layers.groupby(["panel", "sigma_w2"], sort=False):
            top = th.sort_values("from_top")
            log.info(
                "%s sigma_w^2 %.4f: c* %.4f chi_1 %.4f chi_c(c*) %.4f xi_c %.4g xi_grad %.4g; "
                "qt_ab at L-l = %d: %.4g (fixed-point limit %.4g)",
                panel,
                sw2,
                top["c_star"].iloc[0],
                top["chi1"].iloc[0],
                top["chi_c_star"].iloc[0],
                top["xi_c"].iloc[0],
                top["xi_grad"].iloc[0],
                top["from_top"].iloc[-1],
                top["qt_ab"].iloc[-1],
                top["qt_ab_fixed_point"].iloc[-1],
            )
        io.write_table(layers, job.output.layers, params=job.params)
        io.write_table(scales, job.output.scales, params=job.params)
