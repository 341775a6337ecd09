"""Answers of Problem Sheet 2 (mean-field signal propagation)."""

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import activations, meanfield
        from dltheory.answers import Answer, write_part

        log = job.log
        cfg = job.cfg
        qs = cfg  # config answers.qstar
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
        sw, sb, act = qs["sigma_w"], qs["sigma_b"], qs["activation"]
        sheet = "Problem Sheet 2: networks at initialisation"
        setting = f"sigma_w = {sw:g}, sigma_b = {sb:g}, phi = {act}"
        x1 = meanfield.chi1(sw, sb, act)
        cs = meanfield.c_star(sw, sb, act)
        swc = meanfield.critical_sigma_w(sb, act)
        phase = "chaotic" if x1 > 1 else "ordered"
        rows += [
            Answer(
                id="meanfield_chi1",
                sheet=sheet,
                question=f"chi_1 for {setting}",
                answer=f"{x1:.6f} ({phase} phase)",
                value=float(x1),
                formula="chi_1 = sigma_w^2 E_z[phi'(sqrt(q*) z)^2]",
                check="mpmath tests (tests/test_meanfield*.py); figure chi1_phase",
            ),
            Answer(
                id="meanfield_cstar",
                sheet=sheet,
                question=f"stable fixed point c* of the C-map for {setting}",
                answer=f"{cs:.6f}",
                value=float(cs),
                formula="c* = C(c*), C(c) = (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / q*",
                check="figures cmap and cstar_phase; c = 1 is an exact fixed point of the map",
            ),
            Answer(
                id="meanfield_critical_sigma_w",
                sheet=sheet,
                question=f"critical sigma_w (chi_1 = 1) for sigma_b = {sb:g}, phi = {act}",
                answer=f"{swc:.6f}",
                value=float(swc),
                formula="solve chi_1(sigma_w, sigma_b) = 1 in sigma_w",
                check="white contour of chi1_phase",
            ),
        ]
        for qq in (1.0, 10.0, 100.0, 1000.0):
            ew, eb = meanfield.edge_of_chaos(qq, act)
            log.info("edge of chaos q*=%g: sigma_w=%.12f sigma_b=%.12f", qq, ew, eb)
            rows.append(
                Answer(
                    id=f"meanfield_edge_q{qq:g}",
                    sheet=sheet,
                    question=f"edge-of-chaos (sigma_w, sigma_b) with q* = {qq:g}, phi = {act}",
                    answer=f"({ew:.6f}, {eb:.6f})",
                    value=float(ew),
                    formula="sigma_w^2 = 1/E[phi'(sqrt(q*) z)^2], sigma_b^2 = q* - sigma_w^2 "
                    "E[phi^2]",
                    check="figure edge_of_chaos; value column holds sigma_w",
                )
            )
        rw = meanfield.critical_sigma_w(0.0, "relu")
        rows.append(
            Answer(
                id="meanfield_relu_critical",
                sheet=sheet,
                question="ReLU critical point (sigma_w, sigma_b)",
                answer=f"({rw:.10f}, 0) = (sqrt 2, 0)",
                value=float(rw),
                formula="chi_1 = sigma_w^2 / 2 = 1; for sigma_w^2 > 2 q* = inf, sigma_b > 0 gives "
                "none",
                check=f"|sigma_w - sqrt 2| = {abs(rw - 2**0.5):.1e}",
            )
        )
        q_ibp = meanfield.q_star(sw, sb, act)
        s = q_ibp**0.5
        phi = activations.get(act)
        lhs = meanfield.gaussian_expectation(lambda u: u * phi.phi(u), q_ibp, act) / s
        rhs = s * meanfield.gaussian_expectation(phi.dphi, q_ibp, act)
        rows.append(
            Answer(
                id="meanfield_gaussian_ibp",
                sheet=sheet,
                question="numerical check of int Dz F(z) z = int Dz F'(z) (Sheet 2 eq. 2), "
                f"F(z) = phi(sqrt(q*) z), phi = {act}, q* = {q_ibp:.4f} ({setting})",
                answer=f"LHS {lhs:.12f}, RHS {rhs:.12f}, |diff| {abs(lhs - rhs):.1e}",
                value=float(lhs - rhs),
                formula="E[z F(z)] = E[F'(z)] for z ~ N(0, 1) (integrate by parts)",
                check="both sides by the engine's quadrature",
            )
        )
        write_part(rows, job.output[0], params=job.params)
