"""Lower estimates of each sweep's peak memory, to refuse a config before any job.

Each function below takes the whole config and returns a lower estimate of one rule's
peak memory in bytes. The estimates are conservative (low) per-item costs: they catch
sizes that cannot fit (a depth of 1e7, a grid of 1e7 points, a tree of 2^40 items)
before any job starts, not a tight budget. A rule names its estimate in its own
``resources: mem_mb=`` (see workflow/rules/common.smk), so a rule and its estimate
cannot drift apart.

:func:`need` evaluates an estimate and records which config keys it read, so an error
names exactly the keys that set the size; :class:`MemoryCheck` collects the rules whose
estimate exceeds their ``mem_mb`` and reports all of them at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MemoryCheck",
    "curvature_simulation",
    "finite_width_simulation",
    "gradient_covariance_simulation",
    "init_unit_simulation",
    "meanfield_activation_comparison_theory",
    "meanfield_cmap_theory",
    "meanfield_edge_theory",
    "meanfield_phase_theory",
    "need",
    "networks_c_dynamics_simulation",
    "networks_correlation_layers_simulation",
    "networks_depth_scales_simulation",
    "networks_dropout_simulation",
    "networks_dw_simulation",
    "networks_gradient_simulation",
    "networks_jacobian_simulation",
    "networks_q_dynamics_simulation",
    "networks_qstar_simulation",
    "networks_trajectory_simulation",
    "qmap_simulation",
    "qmap_theory",
    "resnet_variance_simulation",
    "saxe_depth_simulation",
    "saxe_tree_figure",
    "saxe_tree_simulation",
    "saxe_tree_wide_simulation",
    "trainability_data_check",
]

Estimate = Callable[[Mapping[str, Any]], float]

#: bytes per grid point of a vectorised Gaussian quadrature (256 nodes)
QUAD_POINT = 2048
#: bytes per row of a tidy table
ROW = 64
#: bytes per float64
F64 = 8
#: bytes per float32
F32 = 4


# -- which config keys an estimate reads --------------------------------------------------


class _Reading(Mapping):
    """A read-only view of a config mapping that records the keys read below it."""

    def __init__(self, node: Mapping, path: tuple, read: set):
        self._node, self._path, self._read = node, path, read

    def __getitem__(self, key):
        value = self._node[key]
        path = (*self._path, key)
        if isinstance(value, Mapping):
            return _Reading(value, path, self._read)
        self._read.add(".".join(map(str, path)))
        return value

    def __contains__(self, key) -> bool:
        if key in self._node and not isinstance(self._node[key], Mapping):
            self._read.add(".".join(map(str, (*self._path, key))))
        return key in self._node

    def __iter__(self) -> Iterator:
        return iter(self._node)

    def __len__(self) -> int:
        return len(self._node)


def need(estimate: Estimate, config: Mapping[str, Any]) -> tuple[float, list[str]]:
    """(bytes, the config keys it read, sorted) of ``estimate`` on ``config``."""
    read: set[str] = set()
    value = estimate(_Reading(config, (), read))
    return float(value), sorted(read)


@dataclass
class MemoryCheck:
    """Rules whose memory estimate exceeds their ``mem_mb``, collected while rules are read.

    ``budget(rule, mem_mb, estimate)`` returns ``mem_mb`` unchanged (the rule's
    ``resources: mem_mb=``) and records an error when ``estimate(config)`` needs more;
    :meth:`errors` lists every such rule with the config keys that set its size. An
    estimate that fails on a missing or mistyped key is skipped: the config schema
    reports those.
    """

    config: Mapping[str, Any]
    _errors: list[str] = field(default_factory=list)

    def budget(self, rule: str, mem_mb: int, estimate: Estimate) -> int:
        try:
            need_bytes, keys = need(estimate, self.config)
        except (KeyError, TypeError, ValueError, OverflowError, IndexError):
            return mem_mb
        need_mb = need_bytes / 2**20
        if need_mb > mem_mb:
            self._errors.append(
                f"  config key(s) {', '.join(keys)}: rule {rule} would need at least "
                f"{need_mb:,.0f} MB, more than its mem_mb = {mem_mb:,} MB; allowed: "
                "smaller sizes (or raise the rule's mem_mb in its rule file)"
            )
        return mem_mb

    def errors(self) -> list[str]:
        """One line per rule whose estimate exceeds its mem_mb, in the order rules were read."""
        return list(self._errors)


# -- the estimates, one per rule ----------------------------------------------------------


def qmap_theory(c: Mapping) -> float:
    return c["qmap"]["n_theory"] * len(c["qmap"]["sigma_w"]) * QUAD_POINT


def qmap_simulation(c: Mapping) -> float:
    q = c["qmap"]
    return q["width"] * (4 * q["n_sim"] + 3 * q["width"]) * F64


def meanfield_phase_theory(c: Mapping) -> float:
    grid = c["meanfield"]["phase_diagram"]
    return grid["sigma_w"]["n"] * grid["sigma_b"]["n"] * QUAD_POINT


def meanfield_edge_theory(c: Mapping) -> float:
    edge = c["meanfield"]["edge_of_chaos"]
    return edge["q_star"]["n"] * len(edge["activations"]) * QUAD_POINT


def meanfield_cmap_theory(c: Mapping) -> float:
    cmap = c["meanfield"]["cmap"]
    return cmap["n_theory"] * len(cmap["sigma_w"]) * QUAD_POINT


def meanfield_activation_comparison_theory(c: Mapping) -> float:
    comparison = c["meanfield"]["activation_comparison"]
    return comparison["n_theory"] * len(comparison["activations"]) * QUAD_POINT


def _network_sweep(s: Mapping, settings_key: str | None, inputs_key: str) -> float:
    """Rows (settings x layers x inputs x nets) and weights (3 N^2) of a network sweep."""
    settings = len(s[settings_key]) if settings_key and settings_key in s else 1
    inputs = s[inputs_key] if inputs_key in s else 1
    inputs = len(inputs) if isinstance(inputs, list) else inputs
    width = max(s["widths"]) if "widths" in s else (s["width"] if "width" in s else 1)
    depth = s["depth"] if "depth" in s else 1
    seeds = s["n_seeds"] if "n_seeds" in s else 1
    rows = settings * (depth + 1) * inputs * seeds
    return rows * ROW + 3 * width**2 * F64


def networks_qstar_simulation(c: Mapping) -> float:
    return _network_sweep(c["networks"]["qstar_empirical"], "widths", "q0")


def networks_q_dynamics_simulation(c: Mapping) -> float:
    return _network_sweep(c["networks"]["q_dynamics"], "sigma_w", "q0")


def networks_c_dynamics_simulation(c: Mapping) -> float:
    return _network_sweep(c["networks"]["c_dynamics"], "sigma_w", "c0")


def networks_correlation_layers_simulation(c: Mapping) -> float:
    return _network_sweep(c["networks"]["correlation_layers"], "sigma_w_factor", "c0")


def networks_gradient_simulation(c: Mapping) -> float:
    g = c["networks"]["gradients"]
    per_layer = (g["width"] ** 2 + g["n_sample"]) * F64
    return (
        _network_sweep(g, "sigma_w_factor", "batch")
        + len(g["sigma_w_factor"]) * g["depth"] * per_layer
    )


def networks_dw_simulation(c: Mapping) -> float:
    dw = c["networks"]["dw"]
    return _network_sweep(dw, "sigma_w_factor", "n_seeds") + dw["depth"] * dw["width"] ** 2 * F64


def networks_trajectory_simulation(c: Mapping) -> float:
    t = c["networks"]["trajectory_length"]
    return t["n_points"] * t["width"] * 3 * F64 + _network_sweep(t, "sigma_w", "n_points")


def networks_jacobian_simulation(c: Mapping) -> float:
    j = c["networks"]["jacobian_spectrum"]
    return 4 * j["width"] ** 2 * F64 * len(j["depths"])


def networks_depth_scales_simulation(c: Mapping) -> float:
    d = c["networks"]["depth_scales"]
    return _network_sweep(d, "sigma_w2", "n_inputs") * d["n_inputs"]


def networks_dropout_simulation(c: Mapping) -> float:
    return _network_sweep(c["networks"]["dropout"], "rho", "c0")


def saxe_tree_simulation(c: Mapping) -> float:
    tree = c["saxe"]["tree"]
    items = tree["branching"] ** tree["depth"]
    return items * (tree["n_features"] + items) * F64


def saxe_tree_wide_simulation(c: Mapping) -> float:
    """The loss of every net at every epoch over every item and feature (measured peak
    1.4 GB at 1001 epochs x 10 nets x 64 items x 100 features)."""
    tree, wide, net = c["saxe"]["tree"], c["saxe"]["tree_wide"], c["saxe"]["network"]
    nets = wide["n_seeds"] * len(net["variants"])
    items = wide["branching"] ** tree["depth"]
    return (wide["epochs"] + 1) * nets * items * tree["n_features"] * F64


def saxe_tree_figure(c: Mapping) -> float:
    """One row per epoch and net of the narrow and the wide tree's learning curves."""
    net, wide = c["saxe"]["network"], c["saxe"]["tree_wide"]
    nets = len(net["variants"])
    return ((net["epochs"] + 1) * net["n_seeds"] + (wide["epochs"] + 1) * wide["n_seeds"]) * (
        nets * ROW
    )


def saxe_depth_simulation(c: Mapping) -> float:
    d = c["saxe"]["depth"]
    nets = len(d["hidden_layers"]) * len(d["inits"]) * d["n_seeds"]
    weights = max(d["hidden_layers"]) * d["width"] ** 2 * F64
    return nets * (weights + (d["epochs"] + 1) * ROW)


def finite_width_simulation(c: Mapping) -> float:
    """q^l (and for two inputs q_aa, q_bb, q_ab) of every network at every layer, for the
    largest (panel, width) job."""
    fw = c["finite_width"]
    largest = 0
    for panel, arrays in (("fluctuations", 1), ("relu", 1), ("shift", 1), ("correlation", 3)):
        p = fw[panel]
        width = max(p["widths"])
        depth = p["depth"] if "depth" in p else p["depth_over_width"] * width
        largest = max(largest, arrays * p["n_networks"] * depth * F64)
    return largest


def trainability_data_check(c: Mapping) -> float:
    """The images as float32: MNIST's 70,000 of 28 x 28 pixels or the 1,797 8 x 8 digits."""
    data = c["trainability"]["data"]
    images, pixels = (70_000, 784) if data["source"] == "idx" else (1_797, 64)
    return images * pixels * F32


def init_unit_simulation(c: Mapping) -> float:
    u = c["initialisation"]["unit"]
    return u["n_samples"] * max(u["d_x"]) * 3 * F64


def resnet_variance_simulation(c: Mapping) -> float:
    r = c["initialisation"]["resnet"]
    return (
        2 * r["n_networks"] * r["batch"] * r["channels"] * r["image"] ** 2 * (r["n_layers"] + 1)
    ) * F64


def gradient_covariance_simulation(c: Mapping) -> float:
    """The largest setting of figure `gradient_covariance`: the conditional sampler keeps
    h^l and W^l phi(h^{l-1}) of 32 networks at every layer and works on (32, N, 2 n_errors)
    arrays; the weights sampler one N x N matrix at a time; plus the rows of a job's table
    (settings_per_job settings of the largest size)."""
    g = c["geometry"]["gradient_covariance"]
    sweep = g["sweep"]
    width = max(max(g["widths"]), sweep["width"])
    depth = max(g["depth"], sweep["depth"])
    columns = 2 * g["n_errors"] + 2
    if g["sampler"] == "weights":
        arrays = 3 * width**2 + (depth + 1) * width * 2 * 2 + 4 * width * columns
    else:
        arrays = 32 * width * ((depth + 1) * 2 * 2 + 6 * columns)
    largest = max(g["n_nets"] * (g["depth"] + 1), sweep["n_nets"] * (sweep["depth"] + 1))
    return arrays * F64 + g["settings_per_job"] * largest * ROW


def curvature_simulation(c: Mapping) -> float:
    """The circle's points and the exact angles' (h, v, a) through one layer, with the
    shifted copies of the central differences, and one weight matrix."""
    k = c["geometry"]["curvature"]
    rows = k["n_points"] + 3 * k["n_exact"]
    return (8 * rows * k["width"] + 2 * k["width"] ** 2) * F64
