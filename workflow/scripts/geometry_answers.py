"""Answers of the geometry figures: depth scales of the gradient covariance (the covariance
hypothesis and trainability), and the curvature fixed point and growth rates of a great
circle through random networks."""

import math

import numpy as np
import pandas as pd

from dltheory import io

SCHOENHOLZ = "C6.5 notes: when is a deep network trainable? (Schoenholz et al. 2017)"
POOLE = "C6.5 notes, video 6: exponential expressivity (Raghu et al. 2016, Poole et al. 2016)"


def _key(x: float) -> str:
    return f"{x:.4g}".replace(".", "p")


def covariance_rows(fit: pd.DataFrame, cfg) -> list:
    from dltheory import meanfield
    from dltheory.answers import Answer

    rows = []
    sweep = fit[fit["panel"] == "sweep"].sort_values("sigma_w2")
    for r in sweep.itertuples():
        rows.append(
            Answer(
                id=f"geometry_gradient_covariance_xi_sigma_w2_{_key(r.sigma_w2)}",
                sheet=SCHOENHOLZ,
                question="Covariance hypothesis: depth scale of the covariance of the gradients "
                f"of two inputs, sigma_w^2 = {r.sigma_w2:.4g}, sigma_b^2 = "
                f"{float(cfg['sigma_b2']):g} ({cfg['activation']})",
                answer=f"fitted xi = {r.xi_fit:.2f} +/- {r.xi_fit_se:.2f} (jackknife, N = "
                f"{r.width}, {r.n_nets} nets, L - l <= {r.last_from_top:.0f}); the same fit of "
                f"the recursion {r.xi_recursion:.2f}; xi_c = {r.xi_c:.2f}, "
                f"xi_grad = {r.xi_grad:.2f}",
                value=float(r.xi_fit),
                formula="qt^l_ab = (1/N) delta^l_a . delta^l_b ~ exp(-(L-l)/xi), weighted "
                "log-linear fit of the mean over nets; recursion qt^l_ab = sigma_w^2 "
                "E[phi'(u_a) phi'(u_b)] qt^(l+1)_ab at the forward c^l; xi_c = -1/log "
                "chi_c(c*), xi_grad = -1/log chi_1",
                check="figure gradient_covariance; tests/test_geometry.py (recursion against "
                "mpmath, simulation against the recursion)",
            )
        )
    regimes = fit[fit["panel"] == "regimes"]
    chaotic = regimes[regimes["chi1"].map(meanfield.phase) == "chaotic"]
    chaotic = chaotic.sort_values(["sigma_w2", "width"])
    if len(chaotic):
        r = chaotic.iloc[-1]
        rows.append(
            Answer(
                id="geometry_gradient_covariance_trainability",
                sheet=SCHOENHOLZ,
                question="What the covariance hypothesis says about trainability (sigma_w^2 = "
                f"{r.sigma_w2:.4g}, chaotic: chi_1 = {r.chi1:.3f})",
                answer=f"the covariance of two inputs' gradients decays on xi_c = {r.xi_c:.2f} "
                f"layers (fitted {r.xi_fit:.2f} +/- {r.xi_fit_se:.2f} at N = {int(r.width)}), "
                f"not on |xi_grad| = {abs(r.xi_grad):.2f}, although the gradient norm grows: "
                "the common part of the two inputs' gradients, which reflects how alike the "
                "inputs are, shrinks by e every xi_c layers down from the top; the bound of "
                "the trainability figure is L < 6 xi_c = "
                f"{6 * r.xi_c:.0f} layers here",
                value=float(6 * r.xi_c),
                formula="6 xi_c, xi_c = -1/log chi_c(c*) (Schoenholz et al. 2017, Sec. 6)",
                check="figures gradient_covariance and trainability",
            )
        )
    return rows


def curvature_rows(theory: pd.DataFrame, sim: pd.DataFrame, cfg) -> list:
    from dltheory import curvature
    from dltheory.answers import Answer

    rows = []
    summary = curvature.summarise(sim, float(cfg["resolution_tolerance"]))
    exact = summary[summary["method"] == "exact"]
    depth = int(theory["layer"].max())
    for sw, th in theory.groupby("sigma_w", sort=True):
        th = th.set_index("layer")
        q, chi1, chi2 = (float(th[k].iloc[0]) for k in ("q_star", "chi1", "chi2"))
        kstar = float(th["kappa_star"].iloc[0])
        ex = exact[exact["sigma_w"] == sw].set_index("layer")
        setting = f"sigma_w = {sw:g}, sigma_b = {float(cfg['sigma_b']):g} ({cfg['activation']})"
        kbar_l = math.sqrt(float(ex.loc[depth, "kappa2"]))
        kbar_sd = float(ex.loc[depth, "kappa2_sd"]) / (2.0 * kbar_l)
        measured = (
            f"measured at l = {depth}: kbar = {kbar_l:.3f} (s.d. {kbar_sd:.3f} over "
            f"{int(ex.loc[depth, 'n_nets'])} nets, exact tangents; recursion "
            f"{float(th.loc[depth, 'kappa']):.3f})"
        )
        if math.isfinite(kstar):
            answer = f"kbar* = {kstar:.4f} (chi_1 = {chi1:.4f}, chi_2 = {chi2:.4f}); {measured}"
        else:
            answer = (
                f"no finite fixed point (chi_1 = {chi1:.4f} <= 1): kbar grows by "
                f"chi_1^(-1/2) = {chi1**-0.5:.4f} per layer; {measured}"
            )
        rows.append(
            Answer(
                id=f"geometry_curvature_fixed_point_sigma_w_{_key(sw)}",
                sheet=POOLE,
                question=f"Fixed point of the normalised curvature kbar = sqrt(N) kappa, {setting}",
                answer=answer,
                value=kstar if math.isfinite(kstar) else float("nan"),
                formula="kbar^2_l = 3 chi_2/chi_1^2 + kbar^2_(l-1)/chi_1, kbar^2_0 = 1/q*; "
                "kbar*^2 = 3 chi_2/(chi_1 (chi_1 - 1)); chi_2 = sigma_w^2 E[phi''(sqrt(q*) z)^2]",
                check="figure curvature; tests/test_geometry.py (chi_2 against mpmath, the "
                "recursion against exact tangents)",
            )
        )
        per_layer = ex["length_ratio"] ** (1.0 / np.maximum(ex.index, 1))
        growth = float(per_layer.loc[depth])
        if chi1 > 1.0:
            grass = (
                f"L^G grows like sqrt(chi_1)^l too once kbar ~ kbar* (L^G_{depth} = "
                f"{float(th.loc[depth, 'grassmann']):.4g})"
            )
        elif chi1 < 1.0:
            grass = f"L^G tends to {float(th['grassmann_limit'].iloc[0]):.4g} (2 pi at l = 0)"
        else:
            grass = "L^G grows like sqrt(l)"
        rows.append(
            Answer(
                id=f"geometry_curvature_growth_sigma_w_{_key(sw)}",
                sheet=POOLE,
                question=f"Growth per layer of a great circle's length, {setting}",
                answer=f"sqrt(chi_1) = {math.sqrt(chi1):.4f} per layer (measured "
                f"(L^E_{depth}/L^E_0)^(1/{depth}) = {growth:.4f}, mean over nets); {grass}",
                value=math.sqrt(chi1),
                formula="L^E_l/L^E_0 = chi_1^(l/2); L^G_l/(2 pi) = sqrt(q* kbar*^2 chi_1^l + 1 "
                "- q* kbar*^2)",
                check="figure curvature",
            )
        )
    return rows


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory.answers import write_part

        fit = io.read_table(job.input.fit)
        theory = io.read_table(job.input.curvature_theory)
        sim = pd.concat(
            [io.read_table(p) for p in job.input.curvature_simulation], ignore_index=True
        )
        rows = covariance_rows(fit, job.params.gradient_covariance)
        rows += curvature_rows(theory, sim, job.params.curvature)
        for row in rows:
            job.log.info("%s: %s", row.id, row.answer)
        write_part(rows, job.output[0], params=job.params)
