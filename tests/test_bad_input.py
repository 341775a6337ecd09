"""Bad input stops before any job; no intermediate is trusted blindly."""

from __future__ import annotations

import functools
import os
import re
import stat

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, load_config, run_snakemake, write_config
from snakemake.utils import update_config

from dltheory import activations, memory, validation
from dltheory import io as dio


def _set(cfg: dict, path: tuple, value):
    node = cfg
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _rename(cfg: dict, path: tuple, new_key: str):
    node = cfg
    for key in path[:-1]:
        node = node[key]
    node[new_key] = node.pop(path[-1])


SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
RULE_FILES = sorted((ROOT / "workflow" / "rules").glob("*.smk"))


def _budgets() -> list[tuple[str, int, str]]:
    """(rule, mem_mb, estimate) of every MEMORY.budget(...) in the rule files."""
    text = "\n".join(p.read_text() for p in RULE_FILES)
    return [
        (rule, int(mb), fn)
        for rule, mb, fn in re.findall(
            r'MEMORY\.budget\(\s*"(\w+)",\s*(\d+),\s*memory\.(\w+),?\s*\)', text
        )
    ]


@functools.cache
def _schema() -> dict:
    return validation.load_schema(SCHEMA)


def config_errors(cfg: dict) -> list[str]:
    """What the Snakefile checks before any job: the schema and semantic checks, then
    each rule's memory estimate against its mem_mb (as the rule files declare them)."""
    errors = validation.config_errors(cfg, _schema())
    if errors:
        return errors
    check = memory.MemoryCheck(cfg)
    for rule, mem_mb, estimate in _budgets():
        check.budget(rule, mem_mb, getattr(memory, estimate))
    return check.errors()


def _torchless(monkeypatch) -> str:
    """Register an activation without a torch version (numerical derivatives only)."""
    monkeypatch.setitem(activations.REGISTRY, "numpy_tanh", activations.numerical(np.tanh))
    return "numpy_tanh"


# case: (edit of the default config, key named in the message, words of the allowed values)
BAD = {
    "unknown activation in a simulated section": (
        lambda c: _set(c, ("networks", "q_dynamics", "activation"), "tanhh"),
        "networks.q_dynamics.activation",
        "relu",
    ),
    "unknown activation in a theory section": (
        lambda c: _set(c, ("meanfield", "cmap", "activation"), "tanhh"),
        "meanfield.cmap.activation",
        "softplus",
    ),
    "unknown activation in a list": (
        lambda c: _set(c, ("meanfield", "edge_of_chaos", "activations"), ["tanh", "rleu"]),
        "meanfield.edge_of_chaos.activations.1",
        "relu",
    ),
    "misspelt top-level section": (
        lambda c: _rename(c, ("networks",), "netwroks"),
        "<top level>",
        "did you mean 'networks'",
    ),
    "misspelt key inside answers": (
        lambda c: _rename(c, ("answers", "qstar"), "qstra"),
        "answers",
        "did you mean 'qstar'",
    ),
    "negative sigma": (
        lambda c: _set(c, ("qmap", "sigma_b"), -0.1),
        "qmap.sigma_b",
        ">= 0",
    ),
    "empty grid": (lambda c: _set(c, ("qmap", "sigma_w"), []), "qmap.sigma_w", "at least 1"),
    "wrong type": (lambda c: _set(c, ("qmap", "width"), "wide"), "qmap.width", "integer"),
    "unknown key": (lambda c: _set(c, ("qmap", "widht"), 10), "qmap", "allowed keys"),
    "nan": (
        lambda c: _set(c, ("qmap", "sigma_b"), float("nan")),
        "qmap.sigma_b",
        "finite numbers only",
    ),
    "inf in a list": (
        lambda c: _set(c, ("qmap", "sigma_w"), [1.3, float("inf")]),
        "qmap.sigma_w.1",
        "finite numbers only",
    ),
    "log grid from 0": (
        lambda c: _set(c, ("meanfield", "edge_of_chaos", "q_star", "min"), 0),
        "meanfield.edge_of_chaos.q_star.min",
        "> 0",
    ),
    "reversed grid": (
        lambda c: _set(c, ("meanfield", "phase_diagram", "sigma_w", "max"), 0.5),
        "meanfield.phase_diagram.sigma_w",
        "min < max",
    ),
    "non-square sigma_x": (
        lambda c: _set(c, ("saxe", "exercise1", "sigma_x"), [[1, 0, 0], [0, 1, 0]]),
        "saxe.exercise1.sigma_x",
        "square 4x4",
    ),
    "depth 1e7 at width 10": (
        lambda c: c["networks"]["q_dynamics"].update(depth=10_000_000, width=10),
        "networks.q_dynamics.depth",
        "mem_mb",
    ),
    "grid n = 1e7": (
        lambda c: _set(c, ("qmap", "n_theory"), 10_000_000),
        "qmap.n_theory",
        "mem_mb",
    ),
    "tree depth 40": (
        lambda c: _set(c, ("saxe", "tree", "depth"), 40),
        "saxe.tree.depth",
        "mem_mb",
    ),
    "wide tree of 4^10 items": (
        lambda c: _set(c, ("saxe", "tree", "depth"), 10),
        "saxe.tree_wide.branching",
        "saxe_tree_wide_simulation",
    ),
    "a million finite-width networks of depth 1000": (
        lambda c: c["finite_width"]["shift"].update(n_networks=1_000_000, depth=1000),
        "finite_width.shift.n_networks",
        "finite_width_simulation",
    ),
    # whole numbers written as floats: refused here, never a TypeError in a job
    "width written as a float": (
        lambda c: _set(c, ("qmap", "width"), 200.0),
        "qmap.width",
        "integer (write 200, without the decimal point)",
    ),
    "depth written as a float": (
        lambda c: _set(c, ("networks", "q_dynamics", "depth"), 15.0),
        "networks.q_dynamics.depth",
        "write 15",
    ),
    "grid size written as a float": (
        lambda c: _set(c, ("meanfield", "phase_diagram", "sigma_w", "n"), 11.0),
        "meanfield.phase_diagram.sigma_w.n",
        "write 11",
    ),
    "job size written as a float": (
        lambda c: _set(c, ("networks", "depth_scales", "sigmas_per_job"), 3.0),
        "networks.depth_scales.sigmas_per_job",
        "write 3",
    ),
    "whole number with a fraction": (
        lambda c: _set(c, ("qmap", "width"), 200.5),
        "qmap.width",
        "allowed type: integer",
    ),
    # keys that constrain each other
    "layer_min beyond the depth": (
        lambda c: _set(c, ("networks", "qstar_empirical", "layer_min"), 50),
        "networks.qstar_empirical.layer_min",
        "0 <= layer_min < 30",
    ),
    "layer_min at the depth": (
        lambda c: _set(c, ("networks", "qstar_empirical", "layer_min"), 30),
        "networks.qstar_empirical.layer_min",
        "networks.qstar_empirical.depth = 30",
    ),
    "more sigmas per job than sigmas": (
        lambda c: _set(c, ("networks", "depth_scales", "sigmas_per_job"), 30),
        "networks.depth_scales.sigmas_per_job",
        "allowed: 1 to 9",
    ),
    "more seeds per job than seeds": (
        lambda c: _set(c, ("trainability", "seeds_per_job"), 3),
        "trainability.seeds_per_job",
        "allowed: 1 to 2",
    ),
    "idx source without idx_dir": (
        lambda c: _set(c, ("trainability", "data", "source"), "idx"),
        "trainability.data.idx_dir",
        "train-images-idx3-ubyte",
    ),
    "idx source with an empty idx_dir": (
        lambda c: c["trainability"]["data"].update(source="idx", idx_dir=" "),
        "trainability.data.idx_dir",
        "the directory holding",
    ),
    # sweeps whose fixed point cannot be finite from the default start
    "sigma_w whose square overflows": (
        lambda c: _set(c, ("qmap", "sigma_w"), [1.3, 1e200]),
        "qmap.sigma_w.1",
        "sigma_w below about 1.3e154",
    ),
    "sigma_b grid whose square overflows": (
        lambda c: _set(c, ("meanfield", "phase_diagram", "sigma_b", "max"), 1e200),
        "meanfield.phase_diagram.sigma_b.max",
        "sigma_b below about",
    ),
    "sigma_w^2 that overflows with sigma_b^2": (
        lambda c: c["trainability"].update(sigma_w2=[1.0, 1.7e308], sigma_b2=1e308),
        "trainability.sigma_w2.1",
        "sigma_w2 below about 1.8e308",
    ),
    # the input covariance of Saxe's exercise
    "non-symmetric sigma_x": (
        lambda c: _set(
            c,
            ("saxe", "exercise1", "sigma_x"),
            [[1, 5, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
        ),
        "saxe.exercise1.sigma_x",
        "not symmetric (entry [0][1] = 5 but [1][0] = 0)",
    ),
    "all-zero sigma_x": (
        lambda c: _set(c, ("saxe", "exercise1", "sigma_x"), [[0] * 4 for _ in range(4)]),
        "saxe.exercise1.sigma_x",
        "symmetric positive definite",
    ),
    "sigma_x with a negative variance": (
        lambda c: _set(
            c,
            ("saxe", "exercise1", "sigma_x"),
            [[-1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
        ),
        "saxe.exercise1.sigma_x",
        "not positive definite (smallest eigenvalue -1)",
    ),
    "nan in sigma_yx": (
        lambda c: c["saxe"]["exercise1"]["sigma_yx"][2].__setitem__(1, float("nan")),
        "saxe.exercise1.sigma_yx.2.1",
        "finite numbers only",
    ),
    "absurd leaky slope": (
        lambda c: _set(c, ("meanfield", "cmap", "activation"), "leaky_relu:1e308"),
        "meanfield.cmap.activation",
        "|slope| <= 1e+06",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_is_refused_naming_the_key_and_what_is_allowed(case):
    edit, key, allowed = BAD[case]
    cfg = load_config()
    edit(cfg)
    errors = config_errors(cfg)
    assert errors, case
    message = "\n".join(errors)
    assert key in message and allowed in message, message


def test_a_simulated_section_needs_an_activation_with_a_torch_version(monkeypatch):
    name = _torchless(monkeypatch)
    cfg = load_config()
    cfg["meanfield"]["cmap"]["activation"] = name  # theory only: accepted
    assert config_errors(cfg) == []
    cfg["networks"]["q_dynamics"]["activation"] = name
    (error,) = config_errors(cfg)
    assert "'networks.q_dynamics.activation'" in error and "no torch implementation" in error
    assert name not in error.split("allowed values:")[1] and "tanh" in error


def test_validate_config_raises_with_every_error():
    cfg = load_config()
    cfg["qmap"]["sigma_b"] = -1.0
    cfg["qmap"]["width"] = "wide"
    with pytest.raises(validation.ConfigError) as err:
        validation.validate_config(cfg, SCHEMA)
    message = str(err.value)
    assert "2 error(s)" in message and "qmap.sigma_b" in message and "qmap.width" in message
    assert str(SCHEMA) in message
    validation.validate_config(load_config(), SCHEMA)  # the default config passes


def _full_config() -> dict:
    """config.yaml overlaid with config.full.yaml, key by key as Snakemake merges them."""
    full = load_config()
    update_config(full, yaml.safe_load((ROOT / "config.full.yaml").read_text()))
    return full


def test_every_bad_case_is_accepted_once_fixed():
    """The checks refuse only the bad value: the default and full configs pass them all."""
    assert config_errors(load_config()) == []
    assert config_errors(_full_config()) == []


def test_memory_estimates_name_the_keys_they_read():
    cfg = load_config()
    need, keys = memory.need(memory.qmap_simulation, cfg)
    assert keys == ["qmap.n_sim", "qmap.width"]
    q = cfg["qmap"]
    assert need == q["width"] * (4 * q["n_sim"] + 3 * q["width"]) * memory.F64
    check = memory.MemoryCheck(cfg)
    assert check.budget("r", 1, memory.qmap_simulation) == 1  # the rule's mem_mb, unchanged
    assert check.budget("r", 10**6, memory.qmap_simulation) == 10**6
    (error,) = check.errors()
    assert "qmap.n_sim, qmap.width" in error and "rule r" in error and "mem_mb = 1 MB" in error
    # a missing key is the schema's to report, not the memory check's
    broken = memory.MemoryCheck({"qmap": {}})
    broken.budget("r", 1, memory.qmap_simulation)
    assert broken.errors() == []


def test_every_mem_mb_has_an_estimate_beside_it_in_its_own_rule():
    """Each rule's `mem_mb` is MEMORY.budget(<its own name>, ...) with an estimate of the
    package; the one exception computes its mem_mb from the config itself."""
    budgets = {}
    for path in RULE_FILES:
        for block in re.split(r"\n(?=rule |use rule )", path.read_text()):
            head = re.match(r"(?:rule (\w+):|use rule \w+ as (\w+) with:)", block)
            if not head or "mem_mb=" not in block:
                continue
            rule = head.group(1) or head.group(2)
            found = re.findall(r'mem_mb=MEMORY\.budget\(\s*"(\w+)",\s*\d+,\s*memory\.(\w+)', block)
            if rule == "trainability_sweep":  # mem_mb = its per-depth estimate x attempt
                assert "TRAINABILITY_MEM_MB" in block
                continue
            assert len(found) == 1, (rule, "mem_mb without MEMORY.budget")
            assert found[0][0] == rule, (rule, found)
            assert callable(getattr(memory, found[0][1])), found
            budgets[rule] = found[0][1]
    assert len(budgets) >= 24, sorted(budgets)
    # every estimate of the package is used by some rule
    assert {n for n in memory.__all__ if n not in ("MemoryCheck", "need")} == set(budgets.values())


@pytest.mark.slow
@pytest.mark.parametrize(
    "edit, key",
    [
        (lambda c: _set(c, ("qmap", "activation"), "tanhh"), "qmap.activation"),
        (lambda c: _set(c, ("saxe", "tree", "depth"), 40), "saxe.tree.depth"),
    ],
    ids=["schema", "memory"],
)
def test_snakemake_refuses_a_bad_config_before_any_job(workflow_dir, edit, key):
    """End to end: the Snakefile runs the checks above before any job starts."""
    cfg = load_config()
    edit(cfg)
    path = write_config(workflow_dir / "bad.yaml", cfg)
    # the whole default target: a bad value anywhere stops every job
    proc = run_snakemake(workflow_dir, "--cores", "1", "--configfile", str(path), check=False)
    message = proc.stdout + proc.stderr
    assert proc.returncode != 0, message
    assert key in message, message
    results = workflow_dir / "results"
    assert not results.exists() or not any(p.is_file() for p in results.rglob("*")), message


def test_every_schema_object_refuses_unknown_keys():
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())

    def walk(node, path):
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert node.get("additionalProperties") is False, "/".join(map(str, path))
            for key, value in node.items():
                walk(value, [*path, key])
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, [*path, i])

    walk(schema, [])


# -- intermediates ---------------------------------------------------------------------


def _table(tmp_path, name="t.parquet", sigma_b=0.3, values=(1.0, 2.0)):
    frame = pd.DataFrame({"x": list(values)})
    return dio.write_table(frame, tmp_path / name, params={"cfg": {"sigma_b": sigma_b}})


@pytest.mark.parametrize("damage", ["truncated", "text", "empty"])
def test_a_corrupt_table_names_the_file_and_the_fix(tmp_path, damage):
    path = _table(tmp_path)
    data = path.read_bytes()
    path.write_bytes(
        {"truncated": data[: len(data) // 2], "text": b"x,y\n1,2\n", "empty": b""}[damage]
    )
    with pytest.raises(dio.CorruptTableError) as err:
        dio.read_table(path)
    assert str(path) in str(err.value) and f"--force {path}" in str(err.value)
    with pytest.raises(dio.CorruptTableError):
        dio.read_params(path)


def test_tables_of_different_configs_are_not_combined(tmp_path):
    a = _table(tmp_path, "theory.parquet", sigma_b=1.0)
    b = _table(tmp_path, "simulation.parquet", sigma_b=0.3)
    with pytest.raises(dio.MixedParamsError, match="cfg.sigma_b"):
        dio.check_same_params([a, b])
    c = _table(tmp_path, "simulation2.parquet", sigma_b=1.0)
    assert dio.check_same_params([a, c])["cfg.sigma_b"] == 1.0


def test_a_figure_job_refuses_mixed_tables(tmp_path):
    a = _table(tmp_path, "theory.parquet", sigma_b=1.0)
    b = _table(tmp_path, "simulation.parquet", sigma_b=0.3)

    class Smk:
        input = [str(a), str(b)]
        output = [str(tmp_path / "fig.png"), str(tmp_path / "fig.pdf")]
        log = [str(tmp_path / "fig.log")]
        params: dict = {}
        wildcards: list = []
        threads = 1
        rule = "fig"

    with pytest.raises(dio.MixedParamsError):
        dio.job(Smk())


def test_a_table_without_a_single_number_is_refused(tmp_path):
    with pytest.raises(ValueError, match="NaN"):
        dio.write_table(pd.DataFrame({"q": [np.nan, np.nan]}), tmp_path / "bad.parquet")
    assert not (tmp_path / "bad.parquet").exists()
    assert not list(tmp_path.iterdir())  # no temporary file left either
    # one finite number is a result (NaN marks, e.g., a point without a fixed point)
    dio.write_table(pd.DataFrame({"q": [np.nan, 1.0]}), tmp_path / "ok.parquet")


def test_outputs_get_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        path = _table(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.slow
def test_a_corrupt_intermediate_in_a_run_says_how_to_rebuild(tiny_copy):
    workflow_dir, cfg_path = tiny_copy.workdir, tiny_copy.configfile
    table = workflow_dir / "results/data/poole/qmap_theory.parquet"
    n_rows = len(dio.read_table(table))
    table.write_text("not a parquet file\n")
    proc = run_snakemake(
        workflow_dir, "qmap", "--cores", "1", "--configfile", str(cfg_path), check=False
    )
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    assert "results/data/poole/qmap_theory.parquet is corrupt" in message, message
    assert "--force" in message
    # the fix the message gives works
    run_snakemake(
        workflow_dir,
        "--cores",
        "1",
        "--force",
        "results/data/poole/qmap_theory.parquet",
        "--configfile",
        str(cfg_path),
    )
    run_snakemake(workflow_dir, "qmap", "--cores", "1", "--configfile", str(cfg_path))
    assert (workflow_dir / "results/figures/qmap.png").exists()
    assert len(dio.read_table(table)) == n_rows


def test_writing_an_output_removes_its_stale_temporaries(tmp_path):
    """A SIGKILL during a write leaves `.<stem>.<8 characters>.tmp<suffix>` beside the
    output; the next write of that output removes it, and nothing else."""
    stale = [".t.k2j3h4g5.tmp.parquet", ".t.abc_0123.tmp.parquet"]
    kept = [
        ".u.k2j3h4g5.tmp.parquet",  # another output's
        ".t.k2j3h4g5.tmp.png",  # another suffix: t.png's
        ".t.notes.txt",  # not a temporary
        ".t.k2j3h4g55.tmp.parquet",  # not 8 characters
    ]
    for name in stale + kept:
        (tmp_path / name).write_bytes(b"PAR1 half-written")
    _table(tmp_path, "t.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*kept, "t.parquet"])
