"""Answers: measured and predicted N Var(q^l) at the sheet's (sigma_w, sigma_b)."""

import numpy as np
import pandas as pd

from dltheory import io

SHEET = "Beyond mean field: finite-width corrections"


def rows(sim, theory, cfg, act):
    """``cfg``: finite_width's q0 and answer; ``act``: the activation of the fluctuations panel."""
    sw, sb = float(cfg["answer"]["sigma_w"]), float(cfg["answer"]["sigma_b"])

    def at_setting(t):
        return t[
            (t["panel"] == "fluctuations")
            & np.isclose(t["sigma_w"], sw)
            & np.isclose(t["sigma_b"], sb)
        ]

    th, s = at_setting(theory), at_setting(sim)
    if th.empty or s.empty:
        raise ValueError(
            f"finite_width.answer (sigma_w={sw:g}, sigma_b={sb:g}) is not one of the "
            "settings of finite_width.fluctuations"
        )
    last = int(th["layer"].max())
    t_last = th[th["layer"] == last].iloc[0]
    v_star = float(finite_width.stationary_vertex(sw, sb, act))
    q_star = float(meanfield.q_star(sw, sb, act))
    setting = f"{act}, sigma_w = {sw:g}, sigma_b = {sb:g}, q0 = {cfg['q0']:g}"
    out = [
        Answer(
            id="finite_width_nvar_predicted",
            sheet=SHEET,
            question=f"Predicted N Var(q^l) at layer l = {last} ({setting})",
            answer=f"{t_last.n_var:.3f} = 2 K0^2 + V = {2 * t_last.K0**2:.3f} + {t_last.V:.3f} "
            f"(Gaussian part alone {2 * t_last.K0**2:.3f}); deep limit 2 q*^2 + V* = "
            f"{2 * q_star**2 + v_star:.3f}",
            value=float(t_last.n_var),
            formula="V^{l+1} = C_W^2 [h(K0) - g(K0)^2] + (C_W g'(K0))^2 V^l, V^1 = 0; "
            "g = E[phi^2], h = E[phi^4] at N(0, K0)",
            check="tests/test_finite_width.py (moments against mpmath, recursion against "
            "Monte Carlo of the conditional-Gaussian layer map)",
        )
    ]
    for width, g in s.groupby("width", sort=True):
        r = g[g["layer"] == last].iloc[0]
        measured, se = width * r["var"], width * r["var_se"]
        z = (measured - t_last.n_var) / se
        out.append(
            Answer(
                id=f"finite_width_nvar_measured_N{width}",
                sheet=SHEET,
                question=f"Measured N Var(q^l) at layer l = {last}, width N = {width} ({setting})",
                answer=f"{measured:.3f} +/- {se:.3f} (s.e., {int(r['n_networks'])} networks, "
                f"{r['sampler']} sampler); predicted {t_last.n_var:.3f}, z = {z:+.2f}",
                value=float(measured),
                formula="N x sample variance over networks of q^l = (1/N) |z^l|^2; s.e. by the "
                "delta method (fourth central moment)",
                check="figure finite_width (a)",
            )
        )
    return out


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import finite_width, meanfield
        from dltheory.answers import Answer, write_part

        sim = pd.concat([io.read_table(p) for p in job.input.simulation], ignore_index=True)
        theory = io.read_table(job.input.theory)
        answers = rows(sim, theory, job.cfg, job.params["fluctuations"]["activation"])
        for a in answers:
            job.log.info("%s: %s", a.id, a.answer)
        write_part(answers, job.output[0], params=job.params)
