"""Problem 3: residual convolutions, closed forms against simulation and autograd."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import torch

from dltheory import resnet

DT = torch.float64


def test_closed_forms():
    n, c, s = 3, 16, 1e-3
    assert resnet.gain(n, c, s) == pytest.approx(1 + 9 * 16 * 1e-3, rel=1e-15)
    layers = np.arange(6)
    assert np.allclose(resnet.variance(layers, n, c, s), resnet.gain(n, c, s) ** layers)
    assert np.allclose(
        resnet.grad_variance(layers, 5, n, c, s), resnet.gain(n, c, s) ** (5 - layers)
    )


@pytest.mark.parametrize("n_layers", [1, 10, 50, 1000])
def test_sigma_w_for_final_variance_two(n_layers):
    n, c = 3, 16
    exact = resnet.final_variance_sigma_w(n_layers, n, c, exact=True)
    approx = resnet.final_variance_sigma_w(n_layers, n, c)
    # exact: (1 + N^2 C sigma_W)^L = 2 evaluated at 40 digits
    value = (1 + mp.mpf(n * n * c) * mp.mpf(float(exact))) ** n_layers
    assert float(value) == pytest.approx(2.0, rel=1e-13)
    assert approx * n_layers * n * n * c == pytest.approx(np.log(2), rel=1e-15)
    # the sheet's e^x approximation undershoots by exp(-(ln 2)^2 / (2L)) to leading order
    ratio = resnet.variance(n_layers, n, c, approx) / 2.0
    assert ratio == pytest.approx(np.exp(-(np.log(2) ** 2) / (2 * n_layers)), abs=0.2 / n_layers**2)


def test_padded_recursion_interior_and_border():
    L, H, N, C, s = 6, 20, 3, 8, 0.01
    maps = resnet.padded_variance_maps(L, H, H, N, C, s)
    dist = resnet.border_distance(H, H)
    for layer in range(L + 1):
        inner = maps[layer][dist >= layer]
        assert np.allclose(inner, resnet.variance(layer, N, C, s), rtol=1e-13)
    assert maps[L][0, 0] < maps[L][0, H // 2] < resnet.variance(L, N, C, s)
    # one layer at a corner: 4 of the 9 taps see the image
    assert maps[1][0, 0] == pytest.approx(1 + C * s * 4, rel=1e-14)


def test_simulated_variances_follow_theory_interior_and_border():
    """Mean over 12 networks; tolerance 4.5 standard errors of the network-to-network scatter."""
    L, C, N, H, B, nets, s = 4, 8, 3, 16, 8, 12, 0.02
    var_maps, grad_maps = resnet.simulate(L, C, N, H, B, s, nets, seed=4242)
    layers = np.arange(L + 1)
    for maps, theory, grad in (
        (var_maps, resnet.variance(layers, N, C, s), False),
        (grad_maps, resnet.grad_variance(layers, L, N, C, s), True),
    ):
        inner = resnet.interior_mean(maps, N, grad=grad)  # (nets, L+1)
        se = inner.std(axis=0, ddof=1) / np.sqrt(nets) + 1e-12
        z = (inner.mean(axis=0) - theory) / se
        assert np.all(np.abs(z) < 4.5), z
    # border profile at layer L against the padded recursion, pixel by pixel
    theory = resnet.border_profile(resnet.padded_variance_maps(L, H, H, N, C, s)[L], L)
    per_net = np.array([resnet.border_profile(m[L], L) for m in var_maps])
    z = (per_net.mean(axis=0) - theory) / (per_net.std(axis=0, ddof=1) / np.sqrt(nets))
    assert np.all(np.abs(z) < 4.5), z
    assert theory[0] < 0.8 * theory[-1]  # the padding effect is resolved, not noise


def test_network_scatter_is_the_shared_centre_tap_cross_term():
    """Std of ln sigma_L^2 over 24 networks against sqrt(4 L sigma_W / C) (leading order).

    Bounds: the 99.9% chi-square interval of a 24-sample standard deviation, widened upward
    by 30% for the higher-order terms the leading order leaves out (measured 1.0-1.5x).
    Without the cross term (the sheet's independence assumption) the scatter would be
    ~sqrt(2/(C^2 N^2)) N^2 C sigma_W sqrt(L) / (1 + N^2 C sigma_W), 3x smaller here.
    """
    from scipy import stats

    L, C, N, H, B, nets, s = 8, 4, 3, 24, 4, 24, 0.01
    var_maps, grad_maps = resnet.simulate(L, C, N, H, B, s, nets, seed=31)
    pred = resnet.log_variance_spread(L, C, s)
    lo = np.sqrt(stats.chi2.ppf(0.0005, nets - 1) / (nets - 1))
    hi = 1.3 * np.sqrt(stats.chi2.ppf(0.9995, nets - 1) / (nets - 1))
    fwd = np.log(resnet.interior_mean(var_maps, N)[:, L]).std(ddof=1)
    bwd = np.log(resnet.interior_mean(grad_maps, N, grad=True)[:, 0]).std(ddof=1)
    for measured in (fwd, bwd):
        assert lo < measured / pred < hi, (measured, pred)


def test_weight_grad_limit_equals_autograd_at_zero_weights():
    """At sigma_W = 0 the limit expression is exact: index formula vs conv backward."""
    gen = torch.Generator().manual_seed(1)
    x0 = torch.randn(3, 4, 9, 9, generator=gen, dtype=DT)
    top = torch.randn(3, 4, 9, 9, generator=gen, dtype=DT)
    z = resnet.draw_directions(3, 4, 5, gen)
    limit = resnet.weight_grad_limit(x0, top, 5)
    for g in resnet.weight_grads(x0, top, z, 0.0, "linear"):
        assert torch.allclose(g, limit, rtol=1e-12, atol=1e-12)


def test_small_sigma_limits():
    rows = resnet.small_sigma_grads(3, 3, 3, 8, 2, [1e-4, 1e-6, 1e-8, 1e-10], seed=77)
    lin = [r for r in rows if r["activation"] == "linear"]
    relu = [r for r in rows if r["activation"] == "relu"]
    tail = [r for r in lin if r["sigma_w"] <= 1e-4]
    slope = resnet.convergence_slope(
        [r["sigma_w"] for r in tail], [r["rel_to_linear_limit"] for r in tail]
    )
    assert slope == pytest.approx(0.5, abs=0.05)
    smallest = [r for r in rows if r["sigma_w"] == 1e-10]
    for r in smallest:
        if r["activation"] == "linear":
            assert r["rel_to_linear_limit"] < 1e-3 and r["rel_between_draws"] < 1e-3
        else:
            assert r["rel_between_draws"] > 0.3  # no common limit
            assert r["rel_to_linear_limit"] > 0.3
    assert min(r["rel_to_relu_limit_a"] for r in relu if r["sigma_w"] == 1e-10) < 1e-2


def test_deterministic_under_seed():
    a = resnet.simulate(2, 3, 3, 6, 2, 0.01, 2, seed=5)
    b = resnet.simulate(2, 3, 3, 6, 2, 0.01, 2, seed=5)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: resnet.gain(4, 3, 0.1), "n_filter"),
        (lambda: resnet.variance(2, 3, 3, -0.1), "sigma_w"),
        (lambda: resnet.final_variance_sigma_w(0, 3, 3), "n_layers"),
        (lambda: resnet.simulate(2, 3, 3, 6, 0, 0.01, 2, seed=1), "batch"),
        (
            lambda: resnet.residual_forward(
                torch.zeros(1, 1, 3, 3), [torch.zeros(1, 1, 3, 3)], "tanh"
            ),
            "activation",
        ),
        (lambda: resnet.interior_mean(np.ones((5, 6, 6)), 3), "interior"),
    ],
)
def test_bad_input_names_the_argument(call, named):
    with pytest.raises(ValueError, match=named):
        call()
