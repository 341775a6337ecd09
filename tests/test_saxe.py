"""Saxe et al. sheet: analytic mode dynamics, Euler runs, tree data, fast SGD path."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import ROOT, load_config
from scipy.integrate import solve_ivp

from dltheory import saxe, seeds, validation

TAU = 2.5


# ---------------------------------------------------------------- Exercise 1: formulas


def test_sheet_singular_values_are_sqrt7_sqrt3_1_1():
    s = saxe.singular_values(saxe.SIGMA_YX)
    np.testing.assert_allclose(s, [math.sqrt(7), math.sqrt(3), 1, 1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("s, a0", [(math.sqrt(7), 1e-3), (1.0, 0.05), (3.0, 2.0)])
def test_analytic_deep_solves_the_mode_ode(s, a0):
    # decoupled mode of eqs. (1)-(2): tau da/dt = 2 a (s - a)
    t = np.linspace(0, 15, 61)
    sol = solve_ivp(
        lambda _, a: 2 * a * (s - a) / TAU, (0, 15), [a0], t_eval=t, rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(saxe.analytic_deep(t, s, a0, TAU), sol.y[0], rtol=1e-8)
    # literal form of equation (4)
    e = np.exp(2 * s * t / TAU)
    np.testing.assert_allclose(
        saxe.analytic_deep(t, s, a0, TAU), s * e / (e - 1 + s / a0), rtol=1e-12
    )


def test_analytic_shallow_solves_the_ode_and_broadcasts():
    t = np.linspace(0, 15, 31)[:, None]
    s = np.array([2.0, 1.0])
    b0 = np.array([0.001, 1.5])
    out = saxe.analytic_shallow(t, s, b0, TAU)
    assert out.shape == (31, 2)
    for k in range(2):
        sol = solve_ivp(
            lambda _, b, k=k: (s[k] - b) / TAU,
            (0, 15),
            [b0[k]],
            t_eval=t[:, 0],
            rtol=1e-12,
            atol=1e-14,
        )
        np.testing.assert_allclose(out[:, k], sol.y[0], rtol=1e-8)


@pytest.mark.parametrize("n_layers", [1, 2, 3, 5, 9])
def test_learning_time_matches_integrated_ode(n_layers):
    s, a0, tau = 4.0, 0.05, 100.0

    def rhs(_, a):
        return n_layers * a ** (2 - 2 / n_layers) * (s - a) / tau

    def half(_, a):
        return a[0] - s / 2

    half.terminal = True
    sol = solve_ivp(rhs, (0, 1e5), [a0], events=half, rtol=1e-11, atol=1e-13)
    assert saxe.learning_time(s, a0, tau, n_layers) == pytest.approx(sol.t_events[0][0], rel=1e-6)


def test_euler_reaches_s_alpha_by_T15_and_is_deterministic():
    a = saxe.euler_deep(saxe.SIGMA_YX, saxe.SIGMA_X, hidden=16, dt=0.1, tau=TAU, steps=150)
    assert a.shape == (151, 4)
    s = saxe.singular_values(saxe.SIGMA_YX)
    assert np.max(np.abs(a[-1] - s)) < 1e-3
    # larger singular values are learnt first (stage-like transitions)
    halves = saxe.half_time(np.arange(151) * 0.1, a, s)
    assert np.all(np.diff(halves[:3]) > 0)
    again = saxe.euler_deep(saxe.SIGMA_YX, saxe.SIGMA_X, hidden=16, dt=0.1, tau=TAU, steps=150)
    assert again.tobytes() == a.tobytes()
    b = saxe.euler_shallow(saxe.SIGMA_YX, saxe.SIGMA_X, dt=0.1, tau=TAU, steps=150)
    # the shallow net's distance to s decays like (1 - dt/tau)^n
    assert np.max(np.abs(b[-1] - s)) < 2 * 0.96**150 * 3


def test_shallow_euler_matches_discrete_closed_form():
    # W_n = S + (1 - h)^n (W_0 - S) exactly for Sigma_x = I; check via a rank-aligned start
    h, n = 0.04, 150
    rng = np.random.default_rng(0)
    w0 = rng.normal(0, 0.1, (7, 4))
    w = w0.copy()
    for _ in range(n):
        w = w + h * (saxe.SIGMA_YX - w)
    exact = saxe.SIGMA_YX + (1 - h) ** n * (w0 - saxe.SIGMA_YX)
    np.testing.assert_allclose(w, exact, atol=1e-12)
    sv = saxe.euler_shallow(saxe.SIGMA_YX, saxe.SIGMA_X, dt=0.1, tau=TAU, steps=n, seed=3)
    rng = np.random.default_rng(3)
    w0 = rng.normal(0, 0.1, (7, 4))
    np.testing.assert_allclose(
        sv[-1],
        saxe.singular_values(saxe.SIGMA_YX + (1 - h) ** n * (w0 - saxe.SIGMA_YX)),
        atol=1e-12,
    )


def test_exercise1_table_and_discrepancy():
    ex = saxe.exercise1()
    deep = ex[ex["net"] == "deep"].pivot_table(index=["t", "mode"], columns="curve", values="value")
    gap_a0 = (deep["theory_a0"] - deep["euler"]).abs().max()
    gap_own = (deep["theory_own"] - deep["euler"]).abs().max()
    # a0 = 0.001 is far below the random start: theory lags by O(1); own a0 is closer
    assert gap_a0 > 1.0 and gap_own < gap_a0


# ---------------------------------------------------------------- tree data


def test_tree_sigma_x_is_identity_and_values_are_pm1():
    x, y = saxe.diffuse_tree(3, 4, 50, 0.05, seed=1)
    assert x.shape == (64, 64) and y.shape == (64, 50)
    np.testing.assert_array_equal(x.T @ x, np.eye(64))
    assert set(np.unique(y)) == {-1.0, 1.0}


@pytest.mark.parametrize("eps", [0.05, 0.2, 0.5])
def test_tree_leaf_correlations_follow_flip_rate(eps):
    depth, b, f = 3, 4, 4000
    _, y = saxe.diffuse_tree(depth, b, f, eps, seed=7)
    for levels in (1, depth):
        # pairs of leaves whose lowest common ancestor is `levels` above them
        i, j = 0, b ** (levels - 1)
        corr = np.mean(y[i] * y[j])
        # each of the 2 * levels edges between them keeps the sign with prob. 1 - eps
        expected = (1.0 - 2.0 * eps) ** (2 * levels)
        sd = math.sqrt((1 - expected**2) / f)
        assert abs(corr - expected) < 5 * sd, (levels, corr, expected)
    rate, _ = saxe.tree_statistics(depth, b, 2000, eps, seed=3)
    edges = 2000 * (b + b**2 + b**3)
    assert abs(rate - eps) < 5 * math.sqrt(eps * (1 - eps) / edges) + 1e-12


@pytest.mark.parametrize("depth, b, eps", [(3, 2, 0.05), (2, 4, 0.2), (3, 3, 0.5)])
def test_tree_spectrum_closed_form(depth, b, eps):
    _, lam, mult = saxe.tree_spectrum(depth, b, eps)
    assert mult.sum() == b**depth
    exact = np.sort(np.linalg.eigvalsh(saxe.tree_covariance(depth, b, eps)))[::-1]
    np.testing.assert_allclose(np.sort(np.repeat(lam, mult))[::-1], exact, rtol=1e-12, atol=1e-12)
    # the sampled Sigma_yx concentrates at sqrt(F lambda): Y Y^T / F -> C, error ~ 1/sqrt(F)
    f = 20000
    _, y = saxe.diffuse_tree(depth, b, f, eps, seed=9)
    emp = np.linalg.eigvalsh(y @ y.T / f)[::-1]
    np.testing.assert_allclose(emp, exact, rtol=0, atol=4 * math.sqrt(b**depth / f) * exact[0])


def test_tree_is_deterministic_and_seeded():
    a = saxe.diffuse_tree(2, 3, 20, 0.1, seed=5)[1]
    assert a.tobytes() == saxe.diffuse_tree(2, 3, 20, 0.1, seed=5)[1].tobytes()
    assert not np.array_equal(a, saxe.diffuse_tree(2, 3, 20, 0.1, seed=6)[1])


@pytest.mark.parametrize(
    "kwargs, named",
    [
        ({"epsilon": 0.7}, "epsilon"),
        ({"branching": 1}, "branching"),
        ({"depth": 0}, "depth"),
        ({"n_features": 2.5}, "n_features"),
    ],
)
def test_tree_bad_input_names_the_argument(kwargs, named):
    with pytest.raises((ValueError, TypeError), match=named):
        saxe.diffuse_tree(**kwargs)


def test_bad_inputs_of_exercise1_and_fast_path():
    with pytest.raises(ValueError, match="sigma_x"):
        saxe.euler_deep(saxe.SIGMA_YX, np.eye(3))
    with pytest.raises(ValueError, match="hidden"):
        saxe.euler_deep(saxe.SIGMA_YX, saxe.SIGMA_X, hidden=0)
    with pytest.raises(ValueError, match="a0"):
        saxe.analytic_deep(1.0, 1.0, 0.0, 1.0)
    w = [torch.zeros(1, 3, 4), torch.zeros(1, 2, 3)]
    with pytest.raises(ValueError, match="orders"):
        saxe.train_fast(w, np.eye(4), np.zeros((4, 2)), np.zeros((2, 3, 4, 1), dtype=int))


# ---------------------------------------------------------------- fast path vs reference


def _reference_maps(weights, x, y, orders, relu, lr):
    model = saxe.DeepNet(x.shape[1], [w.shape[0] for w in weights[:-1]], y.shape[1], relu=relu)
    model.set_weights(weights)
    eye = torch.as_tensor(x, dtype=torch.float64)
    return np.stack(
        saxe.train_reference(
            model, x, y, orders, lr=lr, record=lambda m: m(eye).detach().numpy().copy()
        )
    )


@pytest.mark.slow
@pytest.mark.parametrize("one_hot", [True, False])
def test_fast_path_reproduces_the_autograd_loop(one_hot):
    x, y = saxe.diffuse_tree(2, 3, 12, 0.1, seed=2)
    if not one_hot:
        x = np.random.default_rng(0).normal(size=(9, 5))
    sizes = [x.shape[1], 16, 24, 16, y.shape[1]]
    nets, orders = [], []
    for k in range(2):
        gen = seeds.torch_generator(100, "net", k)
        nets.append(saxe.gaussian_init(sizes, 1, 0.3, gen))
        orders.append(saxe.epoch_orders(x.shape[0], 25, gen))
    variants = [False, True]
    stacked = [torch.cat([nets[k][i] for _ in variants for k in range(2)]) for i in range(4)]
    all_orders = np.stack([orders[k].numpy() for _ in variants for k in range(2)])
    relu = np.repeat(variants, 2)
    maps, final = saxe.train_fast(stacked, x, y, all_orders, lr=0.1, relu=relu)
    assert maps.shape[0] == 26
    for n, (variant, k) in enumerate((v, k) for v in variants for k in range(2)):
        ref = _reference_maps([w[0] for w in nets[k]], x, y, orders[k], variant, 0.1)
        fast = maps[1:, n] if one_hot else None
        if one_hot:
            np.testing.assert_allclose(fast, ref, rtol=0, atol=1e-9)
        model = saxe.DeepNet(x.shape[1], sizes[1:-1], sizes[-1], relu=variant)
        model.set_weights([w[0] for w in nets[k]])
        saxe.train_reference(model, x, y, orders[k], lr=0.1)
        for layer, w in zip(model.layers, final, strict=True):
            np.testing.assert_allclose(w[n], layer.weight.detach().numpy(), rtol=0, atol=1e-9)
        # the trajectory moved: this is not a trivial agreement
        assert np.max(np.abs(final[-1][n] - nets[k][-1][0].numpy())) > 1e-2


def test_divergence_is_reported_with_the_learning_rate():
    x, y = saxe.diffuse_tree(2, 2, 10, 0.05, seed=0)
    gen = torch.Generator().manual_seed(0)
    w = saxe.gaussian_init([4, 8, 8, 10], 1, 0.5, gen)
    orders = saxe.epoch_orders(4, 50, gen)
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="lr=20") as err:
        saxe.train_fast(w, x, y, orders, lr=20.0)
    assert 1 <= err.value.epoch <= 50  # for callers probing the limit


def test_gradient_flow_lr_limit_is_two_over_the_top_hessian_eigenvalue():
    # full-batch loss sum_i MSELoss_i = |W3 W2 W1 - Sigma_yx|^2 / F at the balanced minimum
    # W1 = S^(1/3) V^T, W2 = S^(1/3), W3 = U S^(1/3); gradient descent is stable below 2/lambda
    u, s, vt = np.linalg.svd(saxe.SIGMA_YX, full_matrices=False)
    root = np.diag(s ** (1 / 3))
    ws = [root @ vt, root, u @ root]
    shapes = [w.shape for w in ws]
    target = torch.as_tensor(saxe.SIGMA_YX)
    n_out = target.shape[0]

    def loss(flat):
        parts, start = [], 0
        for a, b in shapes:
            parts.append(flat[start : start + a * b].reshape(a, b))
            start += a * b
        return ((parts[2] @ parts[1] @ parts[0] - target) ** 2).sum() / n_out

    flat = torch.cat([torch.as_tensor(w).ravel() for w in ws])
    assert float(loss(flat)) < 1e-24
    hess = torch.autograd.functional.hessian(loss, flat).numpy()
    top = np.linalg.eigvalsh(hess)[-1]
    limit = saxe.gradient_flow_lr_limit(s[0], 3, n_out)
    assert limit == pytest.approx(2 / top, rel=1e-10)
    assert limit == pytest.approx(7 / (3 * 7 ** (2 / 3)))  # s_max = sqrt(7), F = 7, N_l = 3
    with pytest.raises(TypeError, match="n_layers"):
        saxe.gradient_flow_lr_limit(2.0, 1.5, 7)


@pytest.mark.slow
def test_largest_stable_lr_scans_up_to_the_first_divergence():
    kw = dict(
        depth=2,
        branching=4,
        n_features=40,
        epsilon=0.05,
        hidden_units=(16, 16),
        variants=("linear",),
        n_seeds=2,
        init_std=0.05,
        seed=3,
    )
    limit, probes = saxe.largest_stable_lr(**kw, lr_low=0.5, lr_high=2.0, step=0.05, epochs=40)
    # every rate from lr_low up to the limit is stable, the next one diverges
    np.testing.assert_allclose(probes["lr"], 0.5 + 0.05 * np.arange(len(probes)))
    assert probes["stable"].iloc[:-1].all() and not probes["stable"].iloc[-1]
    assert limit == probes["lr"].iloc[-2] and 1 <= probes["epoch"].iloc[-1] <= 40
    # far above full-batch gradient descent's limit: per-sample steps see one item each
    x, y = saxe.diffuse_tree(2, 4, 40, 0.05, seed=seeds.derive(3, "tree"))  # its data
    s_max = np.linalg.svd(y, compute_uv=False)[0]
    assert limit > 3 * saxe.gradient_flow_lr_limit(s_max, 3, 40)
    # the probes are the nets of tree_experiment: the same run diverges one step up
    curves, _ = saxe.tree_experiment(**kw, epochs=40, lr=limit)
    assert np.isfinite(curves["sv"]).all()
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError):
        saxe.tree_experiment(**kw, epochs=40, lr=probes["lr"].iloc[-1])
    with pytest.raises(ValueError, match="lr_high"):
        saxe.largest_stable_lr(**kw, lr_low=0.1, lr_high=0.2, step=0.05, epochs=40)
    with pytest.raises(ValueError, match="lr_low"):
        saxe.largest_stable_lr(**kw, lr_low=3.0, lr_high=4.0, step=0.5, epochs=40)


def test_tree_experiment_is_deterministic_and_follows_theory():
    kw = dict(
        depth=3,
        branching=2,
        n_features=100,
        epsilon=0.05,
        hidden_units=(64, 128, 128),
        variants=("linear",),
        n_seeds=2,
        epochs=150,
        lr=0.5,
        init_std=0.05,
        seed=11,
    )
    curves, theory = saxe.tree_experiment(**kw)
    curves2, _ = saxe.tree_experiment(**kw)
    assert curves.equals(curves2)
    last = curves[curves["epoch"] == kw["epochs"]]
    np.testing.assert_allclose(last["sv"], last["s"], rtol=0.05)
    lin = theory.groupby("mode")[["s", "t_half", "t_theory"]].mean()
    # larger singular values are learnt first (well-separated modes)
    assert np.all(np.diff(lin["t_half"].to_numpy()[[0, 1, 3, 7]]) > 0), lin
    # decoupled theory from the mean initial singular value: the unaligned random start
    # learns later (alignment phase), but within a factor 0.9-1.7 of the prediction
    ratio = lin["t_half"] / lin["t_theory"]
    assert np.all((ratio > 0.9) & (ratio < 1.7)), lin


def test_depth_experiment_decoupled_start_follows_theory():
    d = saxe.depth_experiment(
        depths=(1, 3), width=16, inits=("decoupled",), n_seeds=1, epochs=400, lr=0.1, seed=4
    )
    ratio = d["t_half"] / d["t_theory"]
    # per-sample SGD noise and the discrete epochs: within 8 %
    assert np.all(np.abs(ratio - 1) < 0.08), d


def test_depth_experiment_scales_the_rate_as_one_over_layers():
    # lr / N_l: rate 0.5 with 1 hidden layer (N_l = 2), 0.25 with 3; theory and runs agree
    d = saxe.depth_experiment(
        depths=(1, 3),
        width=16,
        inits=("decoupled",),
        n_seeds=1,
        epochs=400,
        lr=1.0,
        seed=4,
        lr_scaling="inverse_layers",
    )
    rates = d.groupby("n_layers")["lr"].first()
    assert rates.to_dict() == {2: 0.5, 4: 0.25}
    ratio = d["t_half"] / d["t_theory"]
    assert np.all(np.abs(ratio - 1) < 0.08), d
    with pytest.raises(ValueError, match="lr_scaling"):
        saxe.depth_experiment(depths=(1,), lr_scaling="sqrt")


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("tree", "epsilon", 0.7, "<= 0.5"),
        ("tree_wide", "lr_fraction", 1.5, "<= 1"),
        ("tree_wide", "learning_rate", 0.2, "Additional properties"),
    ],
)
def test_bad_saxe_config_is_rejected_by_key(section, key, value, expected):
    """The config check the Snakefile runs before any job (validation.validate_config)."""
    cfg = load_config()
    cfg["saxe"][section][key] = value
    with pytest.raises(validation.ConfigError) as err:
        validation.validate_config(cfg, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    message = str(err.value)
    name = f"saxe.{section}" if expected == "Additional properties" else f"saxe.{section}.{key}"
    assert f"config key '{name}'" in message and expected in message, message


def test_a_mode_below_twice_a0_has_no_theory_time():
    """Sampled tree data can have a zero singular value (two identical leaves): its mode
    has no half-learning time, so the theory column is NaN there instead of an error."""
    s = np.array([3.0, 0.01, 4.5e-16])
    t = saxe._theory_times(s, 0.01, 10.0, 3)
    assert t[0] == saxe.learning_time(3.0, 0.01, 10.0, 3) and np.isnan(t[1:]).all()


def test_tree_data_is_the_data_the_tree_experiment_trains_on():
    """The script's full-batch rate estimate uses saxe.tree_data: the same tree as training."""
    kw = dict(depth=2, branching=2, n_features=12, epsilon=0.05)
    _, y_trained, *_ = saxe._tree_nets(**kw, hidden_units=(4,), variants=("linear",),
                                       n_seeds=1, epochs=1, init_std=0.05, seed=3)  # fmt: skip
    _, y = saxe.tree_data(**kw, seed=3)
    assert np.array_equal(y, y_trained)
    assert not np.array_equal(y, saxe.diffuse_tree(**kw, seed=3)[1])


# ---------------------------------------------------------------- rates trained as one stack


def _small_nets(one_hot, n_nets=2, epochs=20):
    x, y = saxe.diffuse_tree(2, 3, 12, 0.1, seed=2)
    if not one_hot:
        x = np.random.default_rng(0).normal(size=(9, 5))
    sizes = [x.shape[1], 16, 24, 16, y.shape[1]]
    gen = seeds.torch_generator(101, "net")
    weights = saxe.gaussian_init(sizes, n_nets, 0.3, gen)
    orders = np.stack([saxe.epoch_orders(x.shape[0], epochs, gen).numpy() for _ in range(n_nets)])
    return x, y, weights, orders


@pytest.mark.parametrize("one_hot", [True, False])
def test_per_net_rates_equal_separate_runs_bit_for_bit(one_hot):
    """lr as an (n_nets,) array: a stack of rate copies repeats each rate's own run exactly."""
    x, y, weights, orders = _small_nets(one_hot)
    rates = [0.05, 0.2, 0.1] if one_hot else [0.01, 0.04, 0.02]  # stable rates
    m = len(rates)
    relu = np.array([False, True])
    maps, final = saxe.train_fast(
        [w.repeat(m, 1, 1) for w in weights],
        x,
        y,
        np.tile(orders, (m, 1, 1)),
        lr=np.repeat(rates, 2),
        relu=np.tile(relu, m),
    )
    for r, lr in enumerate(rates):
        alone_maps, alone = saxe.train_fast(weights, x, y, orders, lr=lr, relu=relu)
        assert np.array_equal(maps[:, 2 * r : 2 * r + 2], alone_maps)
        for w, w_alone in zip(final, alone, strict=True):
            assert np.array_equal(w[2 * r : 2 * r + 2], w_alone)
    # the rates made a difference: this is not a trivial agreement
    assert not np.allclose(maps[-1, :2], maps[-1, 2:4], rtol=0, atol=1e-3)
    with pytest.raises(ValueError, match="lr"):
        saxe.train_fast(weights, x, y, orders, lr=[0.1, 0.2, 0.3])


def test_stability_probe_isolates_a_diverging_net_and_records_its_epoch():
    x, y, weights, orders = _small_nets(True, n_nets=1, epochs=30)
    rates = np.array([0.1, 50.0, 0.3])  # the middle copy overflows
    m = len(rates)
    loss_start, loss_end, first_bad = saxe.stability_probe(
        [w.repeat(m, 1, 1) for w in weights], x, y, np.tile(orders, (m, 1, 1)), lr=rates
    )
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError) as err:
        saxe.train_fast(weights, x, y, orders, lr=50.0)
    assert first_bad[1] == err.value.epoch and not np.isfinite(loss_end[1])
    assert np.isnan(first_bad[[0, 2]]).all()
    for k in (0, 2):
        maps, _ = saxe.train_fast(weights, x, y, orders, lr=rates[k])
        loss = np.mean((maps[[0, -1]] - y) ** 2, axis=(2, 3))
        assert loss_start[k] == loss[0, 0] and loss_end[k] == loss[1, 0]
    # prune: nets dropped once any copy diverged; their final loss is not computed
    _, loss_end, first_bad = saxe.stability_probe(
        [w.repeat(m, 1, 1) for w in weights],
        x,
        y,
        np.tile(orders, (m, 1, 1)),
        lr=rates,
        prune=lambda bad: np.array([True, False, False]) if np.isfinite(bad).any() else [True] * 3,
    )
    assert np.isfinite(loss_end[0]) and np.isnan(loss_end[1:]).all()
    assert first_bad[1] == err.value.epoch


@pytest.mark.parametrize(
    "hidden, block",
    # (16, 16): 1.35 first diverges (epoch 30), after 1.40-1.50 (epochs 7-9) of its block;
    # (8, 8): 1.10 diverges at epoch 12, 1.15 and 1.20 above it are stable
    [((16, 16), 5), ((16, 16), 16), ((16, 16), 3), ((8, 8), 4), ((8, 8), 7)],
    ids=["16x16-block5", "16x16-block16", "16x16-block3", "8x8-block4", "8x8-block7"],
)
def test_batched_scan_equals_the_sequential_scan(hidden, block):
    kw = dict(
        depth=2,
        branching=4,
        n_features=40,
        epsilon=0.05,
        hidden_units=hidden,
        variants=("linear", "relu"),
        n_seeds=2,
        init_std=0.05,
        seed=0,
        lr_low=0.8,
        lr_high=2.0,
        step=0.05,
        epochs=30,
    )
    limit, probes = saxe.largest_stable_lr(**kw, block=1)
    batched_limit, batched = saxe.largest_stable_lr(**kw, block=block)
    assert batched_limit == limit
    pd.testing.assert_frame_equal(batched, probes)
    expected = {(16, 16): (1.3, 30.0), (8, 8): (1.05, 12.0)}[hidden]
    assert (limit, probes["epoch"].iloc[-1]) == expected


def test_the_finiteness_certificate_agrees_with_the_maps():
    """stability_probe's per-epoch check: a bound on the weights, else the maps themselves."""
    from dltheory.saxe_nets import _StackedSGD

    x, y, weights, orders = _small_nets(True, n_nets=6)
    ws = [w.numpy().copy() for w in weights]
    ws[1][1] *= 1e152  # huge but finite map, bound above 1e300: evaluated
    ws[2][1] *= 1e152
    ws[2][2, 0, 0] = np.inf
    ws[0][3, 0, 0] = np.nan
    ws[0][4, 0, :] = -np.inf  # ReLU net: -inf pre-activations are cut to 0, map finite
    ws[2][5] *= 1e160  # overflows
    ws[3][5] *= 1e160
    sgd = _StackedSGD(ws, x, y, orders, lr=0.1, relu=[False, False, False, False, True, False])
    with np.errstate(all="ignore"):
        expected = np.all(np.isfinite(sgd.maps()), axis=(1, 2))
        got = sgd.maps_finite()
        top = np.max(np.abs(sgd.maps()[[1, 4]]), axis=(1, 2))
    assert 1e300 < top[0] < np.inf and np.isfinite(top[1])
    assert expected.tolist() == [True, True, False, False, True, False]
    assert got.tolist() == expected.tolist()
