"""Bad input stops before any job; no intermediate is trusted blindly (issue 16)."""

from __future__ import annotations

import copy
import os
import stat

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, load_config, run_snakemake, write_config

from dltheory import io as dio
from dltheory import networks


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


# case: (edit of the default config, key named in the message, words of the allowed values)
BAD = {
    "gelu in a simulated section": (
        lambda c: _set(c, ("networks", "q_dynamics", "activation"), "gelu"),
        "networks.q_dynamics.activation",
        "relu",
    ),
    "sigmoid in qmap (simulated)": (
        lambda c: _set(c, ("qmap", "activation"), "sigmoid"),
        "qmap.activation",
        "tanh",
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
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_stops_before_any_job_naming_the_key(workflow_dir, case):
    edit, key, allowed = BAD[case]
    cfg = load_config()
    edit(cfg)
    path = workflow_dir / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    # the whole default target: a bad value anywhere stops every job
    proc = run_snakemake(workflow_dir, "--cores", "1", "--configfile", str(path), check=False)
    message = proc.stdout + proc.stderr
    assert proc.returncode != 0, message
    assert key in message and allowed in message, message
    results = workflow_dir / "results"
    assert not results.exists() or not any(p.is_file() for p in results.rglob("*")), message


def test_every_bad_case_is_accepted_once_fixed():
    """The checks refuse only the bad value: the default and full configs pass them."""
    namespace: dict = {"workflow": None}
    exec(compile((ROOT / "workflow/rules/common.smk").read_text(), "common.smk", "exec"), namespace)
    cfg = load_config()
    assert namespace["semantic_errors"](cfg) == []
    full = copy.deepcopy(cfg)
    for section, values in yaml.safe_load((ROOT / "config.full.yaml").read_text()).items():
        if isinstance(values, dict):
            for key, value in values.items():
                full[section][key] = value
        else:
            full[section] = values
    assert namespace["semantic_errors"](full) == []


def test_schema_activation_lists_match_the_package():
    from dltheory import activations

    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    names = set(schema["$defs"]["activation"]["enum"])
    assert names == set(activations.NAMES)
    torch_names = set(schema["$defs"]["torch_activation"]["enum"])
    for name in names:
        try:
            networks.torch_activation(name)
            runs = True
        except (KeyError, ValueError):
            runs = False
        assert runs == (name in torch_names), name


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
def test_a_corrupt_intermediate_in_a_run_says_how_to_rebuild(workflow_dir):
    cfg = load_config()
    cfg["qmap"].update(width=200, n_theory=21, n_sim=5)
    cfg_path = write_config(workflow_dir / "tiny.yaml", cfg)
    run_snakemake(workflow_dir, "qmap", "--cores", "2", "--configfile", str(cfg_path))
    table = workflow_dir / "results/data/poole/qmap_theory.parquet"
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
    assert len(dio.read_table(table)) == 3 * 21
