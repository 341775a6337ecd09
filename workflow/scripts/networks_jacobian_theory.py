"""Free-probability spectrum of J J^T (dltheory.isometry) for figure `jacobian_spectrum`.

Two tables: the moments (mean and variance against depth, every depth up to the largest)
and the density of log10 of the singular values of J at the simulated depths, from the
S-transform equation, with the point mass at zero (relu) in its own column.
"""

import numpy as np
import pandas as pd
from scipy import integrate

from dltheory import io

#: log10 singular value grid of the densities, refined over each spectrum's bulk
U_GRID = np.linspace(-6.0, 2.0, 801)
#: the figure's left edge; the mass below it (with the point mass at 0) is tabulated
U_LEFT = -4.0
#: lower tail grid for that mass; below U_TAIL the density is a power of s (Gaussian
#: products: rho_u ~ 10^(2u/(L+1))), integrated in closed form from two points
U_TAIL = -40.0


def density_grid(depth, wts, atoms):
    """The coarse grid plus 801 points over the bulk (density > 1e-4 of its maximum)."""
    coarse = isometry.log_singular_value_density(U_GRID, depth, wts, atoms)
    bulk = U_GRID[coarse > 1e-4 * coarse.max()]
    width = bulk.max() - bulk.min()
    fine = np.linspace(bulk.min() - 0.1 * width - 0.01, bulk.max() + 0.1 * width + 0.01, 801)
    grid = np.unique(np.concatenate([U_GRID, fine]))
    return grid, isometry.log_singular_value_density(grid, depth, wts, atoms)


def mass_below(u_left, depth, wts, atoms):
    """P(log10 s < u_left): point mass at 0, the integral from U_TAIL, the power-law tail.

    Simpson's rule on 401 points: the density is smooth in u there (a power of s far
    below the bulk), and on the default config's spectra the result is within 1e-6 of
    the trapezoid rule on 2001 points, at a third of the cost (each point is a continued
    Newton solve, the longer the smaller s).
    """
    grid = np.linspace(U_TAIL, u_left, 401)
    rho = isometry.log_singular_value_density(grid, depth, wts, atoms)
    far = isometry.log_singular_value_density(np.array([2 * U_TAIL]), depth, wts, atoms)[0]
    tail = 0.0
    if rho[0] > 0 and far > 0:
        rate = np.log(rho[0] / far) / abs(U_TAIL)  # d ln(rho_u) / du below U_TAIL
        tail = rho[0] / rate
    return isometry.zero_mass(atoms) + integrate.simpson(rho, x=grid) + tail


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import isometry

        log = job.log
        cfg = job.cfg
        depth = np.arange(1, max(cfg["depths"]) + 1)
        moments, densities = [], []
        for act in cfg["activations"]:
            point = isometry.critical_point(act, cfg["q_star"])
            atoms = isometry.derivative_atoms(act, point.q_star, point.sigma_w)
            log.info("%s: %s, mu2/mu1^2 = %.12g", act, point, point.moment_ratio)
            for wts in cfg["weights"]:
                moments.append(
                    pd.DataFrame(
                        {
                            "activation": act,
                            "weights": wts,
                            "depth": depth,
                            "sigma_w": point.sigma_w,
                            "sigma_b": point.sigma_b,
                            "q_star": point.q_star,
                            "moment_ratio": point.moment_ratio,
                            "mean": isometry.jjt_mean(depth, point.mu1),
                            "variance": isometry.jjt_variance(
                                depth, point.moment_ratio, wts, point.mu1
                            ),
                        }
                    )
                )
                # all atoms equal (linear) with orthogonal weights: J is orthogonal times mu1^(L/2),
                # the spectrum a point mass; no density to draw
                isometric = wts == "orthogonal" and np.ptp(atoms[0]) == 0
                for d in cfg["depths"]:
                    if isometric:
                        grid, rho, below = U_GRID, np.zeros_like(U_GRID), 0.0
                    else:
                        grid, rho = density_grid(int(d), wts, atoms)
                        below = mass_below(U_LEFT, int(d), wts, atoms)
                    densities.append(
                        pd.DataFrame(
                            {
                                "activation": act,
                                "weights": wts,
                                "depth": int(d),
                                "log10_sv": grid,
                                "density": rho,
                                "zero_mass": isometry.zero_mass(atoms),
                                "point_mass_at": float(point.mu1 ** (d / 2))
                                if isometric
                                else np.nan,
                                "u_left": U_LEFT,
                                "mass_below_u_left": below,
                            }
                        )
                    )
                    log.info(
                        "%s %s L=%d: mass on the grid %.4f, below 10^%g %.4f (%.3f at zero)",
                        act,
                        wts,
                        d,
                        np.trapezoid(rho, grid),
                        U_LEFT,
                        below,
                        isometry.zero_mass(atoms),
                    )
        io.write_table(pd.concat(moments, ignore_index=True), job.output.moments, params=job.params)
        io.write_table(
            pd.concat(densities, ignore_index=True), job.output.density, params=job.params
        )
