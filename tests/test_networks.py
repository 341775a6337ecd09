"""Random deep networks (dltheory.networks, dltheory.isometry) against theory.

Statistical tests use fixed seeds and tolerances derived from the finite-width standard
error of the quantity tested (stated next to each assertion).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
import torch
from conftest import ROOT, run_snakemake
from mp_references import chi1 as mp_chi1
from mp_references import fixed_point, reference

from dltheory import io, isometry, meanfield, networks

SEED = 20161205


@pytest.mark.slow
def test_empirical_qstar_within_three_standard_errors():
    # Sheet 2 Q1(b): sigma_w = 2, sigma_b = 0.3; 8 nets of width 500, layers 8..20.
    table = networks.lengths_table([500], 20, [0.5, 4.0], 2.0, 0.3, "tanh", 8, SEED)
    est = networks.empirical_fixed_point(table, layer_min=8).iloc[0]
    q_star = meanfield.q_star(2.0, 0.3, "tanh")
    assert round(q_star, 4) == 2.2538
    assert est["q_se"] < 0.02  # the test has power: 3 s.e. is < 3% of q*
    assert abs(est["q_mean"] - q_star) < 3 * est["q_se"], (est["q_mean"], est["q_se"], q_star)


@pytest.mark.slow
@pytest.mark.parametrize("sigma_w", [0.9769, 1.3956, 2.5121])  # ordered, critical, chaotic
def test_layer_jacobian_trace_estimates_chi1_in_every_phase(sigma_w):
    # (1/N) Tr(J^l J^l^T) at q*: per-layer relative s.d. ~ 1/sqrt(N) at N = 500 (more in
    # the chaotic phase), so 3 nets x 20 layers give 0.3-1 %: within 3 s.e. of chi_1 (mpmath)
    sigma_b = 0.3
    start = float(f"{meanfield.q_star(sigma_w, sigma_b, 'tanh'):.6g}")
    q_star = reference(fixed_point, "tanh", sigma_w, sigma_b, start)
    chi = reference(mp_chi1, "tanh", sigma_w, sigma_b, start)
    traces = []
    for rep in range(3):
        gen = networks.generator(SEED + rep)
        x = networks.input_with_length([q_star], 500, gen)
        p = networks.propagate(x, 25, sigma_w, sigma_b, "tanh", gen, trace=True)
        traces.append(p.chi_trace[6:])
    t = np.concatenate(traces)
    se = t.std(ddof=1) / np.sqrt(t.size)
    assert abs(t.mean() - chi) < 3 * se, (t.mean(), se, chi)
    assert abs(t.mean() / chi - 1) < 0.03


def test_relu_trace_is_half_sigma_w_squared():
    gen = networks.generator(SEED)
    x = networks.input_with_length([1.0], 400, gen)
    p = networks.propagate(x, 30, 1.2, 0.0, "relu", gen, trace=True)
    t = p.chi_trace[1:]
    assert abs(t.mean() - 1.2**2 / 2) < 3 * t.std(ddof=1) / np.sqrt(t.size)


def test_correlation_of_an_input_pair_is_exact_and_propagates():
    gen = networks.generator(SEED)
    x = networks.input_pair(2.0, 0.3, 300, gen)
    p = networks.propagate(x, 3, 1.5, 0.1, "tanh", gen)
    assert p.q[0] == pytest.approx([2.0, 2.0], rel=1e-12)
    assert p.c[0, 0, 1] == pytest.approx(0.3, abs=1e-12)


def test_same_seed_same_parquet_bytes(tmp_path):
    paths = []
    for name in ("a", "b"):
        table = networks.lengths_table([50, 80], 5, [1.0, 3.0], [1.5, 2.5], 0.3, "tanh", 2, 7)
        paths.append(io.write_table(table, tmp_path / f"{name}.parquet", params={"seed": 7}))
    assert paths[0].read_bytes() == paths[1].read_bytes()
    other = networks.lengths_table([50, 80], 5, [1.0, 3.0], [1.5, 2.5], 0.3, "tanh", 2, 8)
    assert not np.array_equal(other["q"].to_numpy(), io.read_table(paths[0])["q"].to_numpy())


def test_orthogonal_weights_are_orthogonal():
    gen = networks.generator(SEED)
    w, _ = networks.random_layer(200, 200, 1.7, 0.0, gen, weights="orthogonal")
    eye = torch.eye(200, dtype=torch.float64)
    assert torch.allclose(w @ w.T, 1.7**2 * eye, atol=1e-12)
    assert torch.allclose(w.T @ w, 1.7**2 * eye, atol=1e-12)


def test_divergent_relu_is_flagged_not_nan():
    # ReLU with sigma_w^2 = 900: q grows ~450x per layer and overflows float64 by layer ~120.
    table = networks.lengths_table([100], 160, [1.0], 30.0, 0.0, "relu", 1, SEED)
    assert table["overflow"].any() and not table["overflow"].all()
    assert not table["q"].isna().any()
    assert np.isinf(table.loc[table["overflow"], "q"]).all()
    assert np.isfinite(table.loc[~table["overflow"], "q"]).all()
    first = table.loc[table["overflow"], "layer"].min()
    assert table.loc[table["layer"] >= first, "overflow"].all()


@pytest.mark.slow
def test_jacobian_moments_match_free_probability():
    # Variance of the J J^T spectrum at criticality, width 300, depth 6, 6 nets. Tolerance:
    # 3 s.e. over nets (the ReLU spectrum is heavy-tailed) plus 10% for the O(L^2/N)
    # finite-width bias; the Gaussian/orthogonal gap (L vs 2L, 0 vs L) is far larger.
    # tanh at q* = 1/4: variance 6 * 0.137 (orthogonal) against 6 * 1.137 (Gaussian).
    width, depth, n_nets = 300, 6, 6
    for act, q_star in (("linear", 1.0), ("relu", 1.0), ("tanh", 0.25)):
        point = isometry.critical_point(act, q_star)
        for wts in ("gaussian", "orthogonal"):
            var = []
            for rep in range(n_nets):
                gen = networks.generator(SEED + rep)
                x = networks.input_with_length([q_star], width, gen)
                p = networks.propagate(
                    x, depth, point.sigma_w, point.sigma_b, act, gen, weights=wts, jacobian=True
                )
                var.append(float(torch.linalg.svdvals(p.jacobian).pow(2).var(unbiased=False)))
            theory = float(isometry.jjt_variance(depth, point.moment_ratio, wts))
            if abs(theory) < 1e-12:  # exactly 0 (linear, orthogonal) up to rounding
                assert max(var) < 1e-20
            else:
                se = np.std(var, ddof=1) / np.sqrt(n_nets)
                assert abs(np.mean(var) - theory) < 3 * se + 0.1 * theory, (act, wts, var, theory)


#: critical (chi_1 = 1) settings with closed-form moments: sigma_w, sigma_b, mu_2 / mu_1^2
CRITICAL_CLOSED_FORM = {"linear": (1.0, 0.0, 1.0), "relu": (np.sqrt(2.0), 0.0, 2.0)}


@pytest.mark.slow
def test_critical_point_matches_closed_forms_and_mpmath():
    for act, (sw, sb, ratio) in CRITICAL_CLOSED_FORM.items():
        for q_star in (1 / 64, 1.0, 10.0):
            point = isometry.critical_point(act, q_star)
            assert point.sigma_w == pytest.approx(sw, rel=1e-12)
            assert point.sigma_b == pytest.approx(sb, abs=1e-7)
            assert point.moment_ratio == pytest.approx(ratio, rel=1e-12)
    mp.mp.dps = 30
    for q_star in (1 / 64, 0.25, 1.0, 10.0):
        point = isometry.critical_point("tanh", q_star)

        def moment(k, q=q_star):
            def integrand(z):
                return mp.sech(mp.sqrt(q) * z) ** (4 * k) * mp.npdf(z)

            return mp.quad(integrand, [-mp.inf, -2, 0, 2, mp.inf])

        m1, m2 = moment(1), moment(2)
        assert point.sigma_w == pytest.approx(float(1 / mp.sqrt(m1)), rel=1e-10)
        assert point.mu1 == pytest.approx(1.0, rel=1e-12)
        assert point.moment_ratio == pytest.approx(float(m2 / m1**2), rel=1e-10)
    with pytest.raises(ValueError, match="critical line"):
        isometry.critical_point("sigmoid", 1.0)  # E[sigmoid^2] > q* * E[sigmoid'^2]


def test_gradients_have_one_matrix_per_layer_and_match_the_chain_rule():
    gen = networks.generator(SEED)
    x = networks.input_with_length([1.0, 2.0], 40, gen)
    y = torch.zeros(2, 40, dtype=torch.float64)
    grads, h_grads = networks.layer_gradients(x, y, 4, 1.3, 0.1, "tanh", gen)
    assert len(grads) == len(h_grads) == 4
    # dE/dW^l = sum_a dE/dh^l_a phi(h^{l-1}_a)^T; for l = 1, h^0 = x
    assert torch.allclose(grads[0], h_grads[0].T @ torch.tanh(x), atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, named",
    [
        ({"weights": "unitary"}, "weights"),
        ({"keep_prob": 0.0}, "keep_prob"),
        ({"activation": "tanhh"}, "tanhh"),
        ({"sigma_w": -1.0}, "sigma_w"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, named):
    args = {"sigma_w": 1.0, "sigma_b": 0.1, "activation": "tanh", **kwargs}
    gen = networks.generator(0)
    x = networks.input_with_length([1.0], 10, gen)
    with pytest.raises(ValueError, match=named):
        networks.propagate(
            x,
            2,
            args["sigma_w"],
            args["sigma_b"],
            args["activation"],
            gen,
            **{k: v for k, v in kwargs.items() if k in ("weights", "keep_prob")},
        )


def test_full_config_is_valid_and_resolves():
    out = run_snakemake(
        ROOT,
        "-n",
        "--nolock",
        "--forceall",
        "q_dynamics",
        "qstar_empirical",
        "jacobian_spectrum",
        "trajectory_length",
        "c_dynamics",
        "correlation_layers",
        "dw_spectrum",
        "gradient_histograms",
        "gradient_depth_scale",
        "depth_scales",
        "dropout_cmap",
        "--configfile",
        "config.full.yaml",
    ).stdout
    assert "width: 1000" in (ROOT / "config.full.yaml").read_text()
    assert "networks_qstar_simulation" in out


def test_trajectory_length_grows_like_sqrt_chi1():
    # critical ReLU (chi_1 = 1) and sigma_w = 2 (chi_1 = 2): length ratio after 4 layers,
    # N = 300, 1024 points, 3 nets; per-layer relative s.d. ~ sqrt(3/N) = 10%, so 3 nets x
    # 4 layers give ~6%; we allow 12% (plus the polygon's small low bias).
    for sigma_w in (np.sqrt(2.0), 2.0):
        table = networks.trajectory_table("relu", [sigma_w], 0.0, 300, 4, 1024, 1.0, 3, SEED)
        ratio = table[table["layer"] == 4]["ratio"].mean()
        theory = float(networks.length_growth(sigma_w, 0.0, "relu")) ** 4
        assert theory == pytest.approx(sigma_w**4 / 4, rel=1e-10)
        assert ratio == pytest.approx(theory, rel=0.12)
        assert ratio > networks.price_bound(sigma_w, 300, 4)


@pytest.mark.slow
def test_trajectory_length_of_tanh_circle_at_q_star_grows_like_sqrt_chi1():
    # Poole et al.: a curve on the fixed point q* stretches by sqrt(chi_1) per layer, here
    # ordered (chi_1 = 0.70) and chaotic (chi_1 = 1.84) tanh, sigma_b = 0.3, N = 300,
    # 1024 points, 3 nets, 4 layers: ~6% statistical error, 12% allowed. Neighbouring
    # points stay correlated (1 - c ~ 2e-5 * chi_1^4 << 1), so the polygon resolves the curve.
    for sigma_w in (1.0, 3.0):
        table = networks.trajectory_table("tanh", [sigma_w], 0.3, 300, 4, 1024, 1.0, 3, SEED)
        assert table["q0"].iloc[0] == pytest.approx(meanfield.q_star(sigma_w, 0.3), rel=1e-12)
        ratio = table[table["layer"] == 4]["ratio"].mean()
        theory = float(meanfield.chi1(sigma_w, 0.3)) ** 2
        assert ratio == pytest.approx(theory, rel=0.12), (sigma_w, ratio, theory)


def _c_map_reference(c, sigma_w, sigma_b, q_star, order=120):
    """Tanh C-map at q* by a 2-D Gauss-Hermite rule in numpy (independent of meanfield)."""
    z, w = np.polynomial.hermite_e.hermegauss(order)
    w = w / w.sum()
    z1, z2 = np.meshgrid(z, z, indexing="ij")
    u1 = np.sqrt(q_star) * z1
    u2 = np.sqrt(q_star) * (c * z1 + np.sqrt(1 - c * c) * z2)
    e = np.einsum("i,j,ij->", w, w, np.tanh(u1) * np.tanh(u2))
    return (sigma_w**2 * e + sigma_b**2) / q_star


@pytest.mark.slow
def test_pair_correlation_after_one_layer_matches_the_c_map():
    # c^1 of pairs at q* with c^0 = 0.5, N = 500, 8 nets: s.d. of c^1 over nets ~ 0.03,
    # s.e. ~ 0.01; tolerance 3 s.e.
    for sigma_w in (1.3, 2.5):
        q_star = reference(fixed_point, "tanh", sigma_w, 0.3, sigma_w**2 / 2)
        table = networks.correlation_table("tanh", [(sigma_w, 0.3)], [0.5], 500, 1, 8, SEED)
        c1 = table[table["layer"] == 1]["c"].to_numpy()
        ref = _c_map_reference(0.5, sigma_w, 0.3, q_star)
        se = c1.std(ddof=1) / np.sqrt(c1.size)
        assert abs(c1.mean() - ref) < 3 * se, (sigma_w, c1.mean(), se, ref)


def test_backpropagated_gradients_scale_by_chi1_per_layer():
    # |dE/dh^l|^2 = |dE/dh^L|^2 chi_1^(L-l): log-slope over 12 layers, N = 300, batch 8,
    # 12 nets. Over 12 seeds the slope of 3 nets scattered by 0.006-0.013 (s.d.) and sat
    # 0.005-0.01 below -log chi_1 at sigma_w = 1.3 (finite width); 12 nets halve the
    # scatter; we allow 0.03
    for sigma_w in (1.3, 2.5):
        chi1 = reference(mp_chi1, "tanh", sigma_w, 0.3, sigma_w**2 / 2)
        norms, samples = networks.gradient_table(
            "tanh", [(sigma_w, 0.3)], 300, 12, 8, 12, SEED, n_sample=100
        )
        mean = norms.groupby("layer")["grad_h_sq"].mean()
        slope = np.polyfit(mean.index.to_numpy(), np.log(mean.to_numpy()), 1)[0]
        assert slope == pytest.approx(-np.log(chi1), abs=0.03), (sigma_w, slope, chi1)
        assert len(samples) == 12 * 12 * 100


def test_dropout_decorrelates_identical_inputs_as_the_dropout_c_map():
    # identical inputs at q*(rho), keep probability 0.8, one layer, N = 500, 8 nets:
    # s.e. of c^1 ~ 0.01; tolerance 3 s.e. (theory C(1) ~ 0.6, far from 1)
    table = networks.correlation_table(
        "tanh", [(1.1, 0.2236068)], [1.0], 500, 1, 8, SEED, keep_prob=0.8
    )
    c1 = table[table["layer"] == 1]["c"].to_numpy()
    ref = float(meanfield.c_map(1.0, 1.1, 0.2236068, "tanh", rho=0.8))
    assert ref < 0.95
    assert abs(c1.mean() - ref) < 3 * c1.std(ddof=1) / np.sqrt(c1.size), (c1.mean(), ref)


def test_fitted_depth_scales_recover_a_known_decay_and_stop_at_the_noise_floor():
    # synthetic nets: q^l - q* = 2 exp(-l/1.5), c^l - c* = -0.5 exp(-l/6) plus a per-net
    # offset (shared by all inputs of the net, s.d. 0.01) and per-input noise (s.d. 0.02)
    rng = np.random.default_rng(SEED)
    rows = []
    for seed in range(12):
        offset = rng.normal(0.0, 0.01)
        for inp in range(8):
            for layer in range(41):
                noise = rng.normal(0.0, 0.02)
                rows.append(
                    (
                        seed,
                        inp,
                        layer,
                        2.0 * np.exp(-layer / 1.5) + 1.0 + offset + noise,
                        -0.5 * np.exp(-layer / 6.0) + 0.3 + offset + noise,
                    )
                )
    table = pd.DataFrame(rows, columns=["seed", "input", "layer", "q", "c"]).assign(sigma_w=2.0)
    fixed = pd.DataFrame({"sigma_w": [2.0], "q_star": [1.0], "c_star": [0.3]})
    fit = networks.fitted_depth_scales(table, table, fixed).iloc[0]
    assert fit["xi_q_fit"] == pytest.approx(1.5, rel=0.15)
    assert fit["xi_c_fit"] == pytest.approx(6.0, rel=0.15)
    # the window ends where exp(-l/6)/2 meets ~3 s.e. of the per-net offset (~0.009 each)
    assert 15 <= fit["c_last"] <= 30
    assert fit["q_last"] < fit["c_last"]
    # the noise-free iteration of a linear map recovers its rate exactly
    xi = networks.map_depth_scale(lambda x: 0.3 + np.exp(-1 / 6.0) * (x - 0.3), -0.2, 0.3, 1, 20)
    assert xi == pytest.approx(6.0, rel=1e-10)
    assert np.isnan(networks.map_depth_scale(lambda x: x, 0.0, 0.0, 1, 2))


@pytest.mark.parametrize("sigma_w2", [1.5, 1.76, 4.0])  # ordered, near critical, chaotic
def test_weights_rounded_to_float32_move_lengths_and_correlations_by_rounding(
    monkeypatch, sigma_w2
):
    """The simulations draw their weights in float32 (networks.gaussian_draws, 6x faster):
    the same float64 normals, once exact and once rounded to float32, give q^l that agree
    to 1e-5 relative over 40 layers, and c^l to 1e-4 (chaos amplifies the rounding, by
    about 10^3 here), far below their spread over networks (c fluctuates by ~1/sqrt(N)
    = 0.07 at this width)."""

    def run(round_to_float32):
        def draws(*shape, gen):
            z = torch.randn(*shape, generator=gen, dtype=torch.float64)
            return z.to(torch.float32).to(torch.float64) if round_to_float32 else z

        monkeypatch.setattr(networks, "gaussian_draws", draws)
        gen = networks.generator(7)
        x = networks.input_pair(1.0, 0.3, 200, gen)
        return networks.propagate(x, 40, np.sqrt(sigma_w2), np.sqrt(0.05), "tanh", gen)

    exact, rounded = run(False), run(True)
    np.testing.assert_allclose(rounded.q, exact.q, rtol=1e-5)
    np.testing.assert_allclose(rounded.c, exact.c, rtol=0, atol=1e-4)
    assert not np.array_equal(rounded.q, exact.q)  # the rounding did reach the lengths
