"""Answers measured in simulations of random deep networks (Problem Sheet 2)."""

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import activations, meanfield, network_fits
        from dltheory.answers import Answer, write_part

        log = job.log
        cfg = job.cfg  # qstar_empirical; the dw rows read their data only
        sim = io.read_table(job.input.qstar)
        label = activations.get(cfg["activation"]).label
        q_star = float(meanfield.q_star(cfg["sigma_w"], cfg["sigma_b"], cfg["activation"]))
        est = network_fits.empirical_fixed_point(sim, cfg["layer_min"])
        rows = []
        for rec in est.itertuples():
            z = (rec.q_mean - q_star) / rec.q_se
            rows.append(
                Answer(
                    id=f"networks_sheet2_q1b_qstar_empirical_N{rec.width}",
                    sheet="Problem Sheet 2: networks at initialisation",
                    question=f"Q1(b) q^l deep in a random {label} net of width N = {rec.width} "
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
        traces = io.read_table(job.input.dw_traces)
        dw_theory = io.read_table(job.input.dw_theory).sort_values("sigma_w")
        dw_label = activations.get(dw_theory["activation"].iloc[0]).label
        seen: dict[str, int] = {}
        for th in dw_theory.itertuples():
            regime = meanfield.phase(th.chi1)
            seen[regime] = seen.get(regime, 0) + 1
            # a second setting of the same regime gets its own id
            suffix = "" if seen[regime] == 1 else f"_{seen[regime]}"
            t = traces[traces["sigma_w"] == th.sigma_w]["trace"]
            se = t.std(ddof=1) / len(t) ** 0.5
            rows.append(
                Answer(
                    id=f"networks_sheet2_q1_dw_trace_{regime}{suffix}",
                    sheet="Problem Sheet 2: networks at initialisation",
                    question=f"Q1(*) (1/N) Tr((DW)^T DW) measured against chi_1, {regime} "
                    f"(sigma_w = {th.sigma_w:.4f}, sigma_b = {th.sigma_b:g}, {dw_label})",
                    answer=f"{t.mean():.4f} +/- {se:.4f} (s.e., {len(t)} layers x nets); "
                    f"chi_1 = {th.chi1:.4f} ({100 * (t.mean() / th.chi1 - 1):+.2f}%)",
                    value=float(t.mean()),
                    formula="(1/N) sum_ij W_ij^2 phi'(h_j)^2 at q*; "
                    "chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]",
                    check=f"this build: {(t.mean() - th.chi1) / se:+.1f} s.e. from chi_1; "
                    "figure dw_spectrum; tests/test_networks.py (tanh at sigma_b = 0.3 in each "
                    "phase, N = 500: within 3 s.e. and 3%)",
                )
            )
            log.info("%s: trace %.5f +/- %.5f vs chi1 %.5f", regime, t.mean(), se, th.chi1)
        write_part(rows, job.output[0], params=job.params)
