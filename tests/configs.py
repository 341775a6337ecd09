"""Configs the end-to-end tests build under (the default config shrunk, and variants)."""

from __future__ import annotations

from conftest import load_config


def tiny_config() -> dict:
    """The default config shrunk so that every figure builds in a few minutes on 2 cores."""
    cfg = load_config()
    cfg["qmap"].update(width=200, n_theory=21, n_sim=5)
    mf = cfg["meanfield"]
    mf["phase_diagram"]["sigma_w"]["n"] = 21
    mf["phase_diagram"]["sigma_b"]["n"] = 21
    mf["edge_of_chaos"]["q_star"]["n"] = 41
    mf["cmap"]["n_theory"] = 21
    net = cfg["networks"]
    net["c_dynamics"].update(width=100, depth=12)
    net["qstar_empirical"].update(widths=[40, 80], depth=6, layer_min=2, n_seeds=3)
    net["trajectory_length"].update(width=40, depth=4, n_points=64, n_seeds=1)
    net["jacobian_spectrum"].update(width=60, depths=[2, 4], n_seeds=2)
    cfg["initialisation"]["small_sigma"]["sigma_w"] = [1.0e-2, 1.0e-4, 1.0e-6]
    cfg["saxe"]["depth"].update(hidden_layers=[1, 2], n_seeds=2, epochs=200)
    cfg["saxe"]["network"].update(hidden_units=[16, 16], n_seeds=2, epochs=150)
    cfg["saxe"]["tree_wide"].update(n_seeds=2, epochs=150)
    cfg["saxe"]["tree_wide"]["lr_search"].update(step=0.05, epochs=20)
    net["dropout"].update(width=60, depth=8, n_seeds=2, n_theory=40)
    net["q_dynamics"].update(width=100, depth=6)
    net["correlation_layers"].update(width=100, depth=8, n_seeds=2)
    net["gradients"].update(width=60, depth=6, n_seeds=2, n_sample=200)
    net["dw"].update(width=100, depth=4, n_seeds=2)
    net["depth_scales"].update(n_inputs=4, width=100, depth=15, n_seeds=3, n_theory=40)
    mf["activation_comparison"]["n_theory"] = 51
    ini = cfg["initialisation"]
    ini["unit"].update(n_samples=2000, n_theory=21)
    ini["resnet"].update(channels=4, image=16, n_layers=6, batch=2, n_networks=2)
    fw = cfg["finite_width"]
    fw["fluctuations"].update(widths=[16, 32], depth=4, n_networks=40)
    # one width where a panel does not pool widths: each width is a job (time of make test)
    fw["relu"].update(widths=[32], n_networks=200)
    fw["shift"].update(widths=[16], depth=4, n_networks=500)
    fw["correlation"].update(widths=[16], depth=4, n_networks=500)
    tr = cfg["trainability"]
    tr.update(sigma_w2=[1.0, 1.76, 3.0], depths=[2, 5], width=16, steps=30)
    tr["dropout"].update(depths=[2, 4], keep_probs=[0.8])
    geo = cfg["geometry"]
    geo["gradient_covariance"].update(widths=[20, 40], depth=6, n_nets=20, n_errors=2,
                                      fit_layers=6, n_theory=20)  # fmt: skip
    geo["gradient_covariance"]["sweep"].update(sigma_w2=[1.2, 2.5, 4.0], width=40, depth=6,
                                               n_nets=20)  # fmt: skip
    geo["curvature"].update(width=60, depth=4, n_points=64, n_exact=8, n_seeds=2)
    return cfg
