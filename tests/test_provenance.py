"""Provenance: what made a table or figure, and the refusal of tables from elsewhere."""

from __future__ import annotations

import json
import shutil
import types

import pandas as pd
import pytest
from conftest import copy_workflow, run_snakemake, write_config

from dltheory import io, provenance, style


def test_config_slice_keeps_its_place_and_refuses_unknown_keys():
    config = {"qmap": {"width": 5, "sigma_w": [1.3, 2.5]}, "seed": 3}
    part = provenance.config_slice(config, "qmap", ["width"])
    assert part == {"width": 5} and part.path == "qmap"
    assert provenance.config_slice(config, "qmap") == config["qmap"]
    assert repr(part) == repr({"width": 5})  # Snakemake compares params by repr
    # the order of keys in the config file does not change the repr
    one = provenance.config_slice({"s": {"b": {"y": 1, "x": 2}, "a": 0}}, "s")
    two = provenance.config_slice({"s": {"a": 0, "b": {"x": 2, "y": 1}}}, "s")
    assert repr(one) == repr(two) == "{'a': 0, 'b': {'x': 2, 'y': 1}}"
    with pytest.raises(KeyError, match="no key.*'depth'"):
        provenance.config_slice(config, "qmap", ["depth"])
    with pytest.raises(KeyError, match="not a section"):
        provenance.config_slice(config, "seed")
    used = provenance.used_config({"cfg": part, "seed": 3, "which": "x"})
    assert used == {"qmap.width": 5, "seed": 3}


def test_foreign_inputs_name_the_table_the_key_and_both_values():
    config = {"qmap": {"sigma_b": 0.3, "width": 5}}
    good = provenance.record({"qmap.sigma_b": 0.3})
    bad = provenance.record({"qmap.sigma_b": 0.5, "qmap.width": 5})
    assert provenance.foreign_inputs({"a.parquet": good}, config) == []
    problems = provenance.foreign_inputs({"a.parquet": good, "b.parquet": bad}, config)
    assert problems == [
        "b.parquet was made with qmap.sigma_b = 0.5, but this run's config has qmap.sigma_b = 0.3"
    ]
    missing = provenance.foreign_inputs({"c.parquet": provenance.record({"x.y": 1})}, config)
    assert missing and '"<not set>"' in missing[0]
    assert "no provenance record" in provenance.foreign_inputs({"d.parquet": None}, config)[0]
    # data: a table trained on another file
    old = provenance.record({}, {"train-images": "a" * 64})
    assert provenance.foreign_inputs({"e.parquet": old}, config, {"train-images": "a" * 64}) == []
    problems = provenance.foreign_inputs({"e.parquet": old}, config, {"train-images": "b" * 64})
    assert problems and "another train-images" in problems[0]


def test_tables_record_config_code_and_digest(tmp_path):
    params = {"cfg": provenance.ConfigSlice({"width": 5}, "qmap"), "seed": 7}
    io.write_table(pd.DataFrame({"x": [1.0]}), tmp_path / "t.parquet", params=params)
    record = io.read_provenance(tmp_path / "t.parquet")
    assert record["config"] == {"qmap.width": 5, "seed": 7}
    assert record["config_digest"] == provenance.digest({"qmap.width": 5, "seed": 7})
    assert record["commit"] and record["version"] and record["date"]
    assert record["commit"] == provenance.NOT_A_CHECKOUT or len(record["commit"]) >= 40
    # equal inputs, equal bytes
    io.write_table(pd.DataFrame({"x": [1.0]}), tmp_path / "u.parquet", params=params)
    assert (tmp_path / "t.parquet").read_bytes() == (tmp_path / "u.parquet").read_bytes()


def test_captions_render_from_facts_and_refuse_undefined_names(tmp_path):
    template = tmp_path / "c.rst"
    template.write_text(
        "N = {{ config['qmap.width'] }}, {{ facts.n }} curves, {{ facts.s | set }}\n"
    )
    text = io.render_caption(template, {"n": 3, "s": [1.3, 2.5, 4.0]}, {}, {"qmap.width": 50})
    assert text == "N = 50, 3 curves, {1.3, 2.5, 4}\n"
    with pytest.raises(ValueError, match=r"c\.rst.*'dict object' has no attribute 'missing'"):
        template.write_text("{{ facts.missing }}")
        io.render_caption(template, {}, {}, {})


def test_figure_metadata_holds_provenance_and_texts(tmp_path):
    fig, ax = style.figure()
    ax.plot([0, 1], [0, 1], label="a curve")
    ax.set_title("a title")
    ax.legend()
    style.save(fig, [tmp_path / "f.png"], metadata={"provenance": {"commit": "c"}, "texts": ["t"]})
    assert style.read_metadata(tmp_path / "f.png") == {
        "provenance": {"commit": "c"},
        "texts": ["t"],
    }
    fig, ax = style.figure()
    ax.plot([0, 1], [0, 1], label="a curve")
    ax.set(title="a title", xlabel="x")
    ax.legend()
    assert style.figure_texts(fig) == ["a title", "x", "a curve"]


def test_a_job_importing_another_checkouts_package_is_refused(tmp_path):
    scripts = tmp_path / "other" / "workflow" / "scripts"
    scripts.mkdir(parents=True)
    with pytest.raises(io.ForeignCodeError, match="imports dltheory from .*install this checkout"):
        io.check_own_code(types.SimpleNamespace(scriptdir=str(scripts)))


def test_a_table_copied_in_from_another_config_is_refused(tiny_copy, tmp_path):
    other = tiny_copy.workdir  # built with the tiny config's qmap.sigma_b
    cfg = tiny_copy.config
    theirs = cfg["qmap"]["sigma_b"]
    ours = 0.5 if theirs != 0.5 else 0.25
    here = copy_workflow(tmp_path / "here")
    cfg["qmap"]["sigma_b"] = ours
    write_config(here / "here.yaml", cfg)
    for table in (
        "results/data/poole/qmap_theory.parquet",
        "results/data/poole/qmap_simulation.parquet",
    ):
        (here / table).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(other / table, here / table)
    proc = run_snakemake(here, "qmap", "--cores", "1", "--configfile", "here.yaml", check=False)
    log = (here / "results/logs/poole/qmap.log").read_text()
    assert proc.returncode != 0
    assert "ForeignTableError" in log and f"qmap.sigma_b = {json.dumps(theirs)}" in log, log
    assert f"qmap.sigma_b = {json.dumps(ours)}" in log and "--force" in log
    assert not (here / "results/figures/qmap.png").exists()


def test_a_config_slice_counts_the_keys_read():
    import pickle

    part = provenance.config_slice({"s": {"a": 1, "b": {"c": 2}, "d": 3}}, "s")
    part = pickle.loads(pickle.dumps(part))  # as the job receives it
    assert part.unread() == ["s.a", "s.b", "s.d"] and part.path == "s"
    assert part["a"] == 1 and part.get("b") == {"c": 2}
    assert part.unread() == ["s.d"]
    assert provenance.used_config({"cfg": part}) == {"s.a": 1, "s.b.c": 2, "s.d": 3}
    assert part.unread() == ["s.d"]  # recording provenance is not a read
    assert dict(part) == {"a": 1, "b": {"c": 2}, "d": 3} and part.unread() == []
    with pytest.raises(provenance.MissingConfigKeyError, match=r"s\.e is not passed.*config_slice"):
        part["e"]


def test_scripts_read_config_only_through_their_params():
    from conftest import ROOT

    found = [
        p.name
        for p in sorted((ROOT / "workflow" / "scripts").glob("*.py"))
        if "snakemake.config" in p.read_text() or ".config[" in p.read_text()
    ]
    assert not found, f"scripts reading the config around their params: {found}"


def test_outputs_made_under_another_config_are_listed_before_a_report(tmp_path):
    results = tmp_path / "results"
    (results / "figures").mkdir(parents=True)
    (results / "answers").mkdir()
    same = {"provenance": provenance.record({"qmap.width": 5})}
    other = {"provenance": provenance.record({"qmap.width": 7})}
    for name, meta in [("a", same), ("b", other)]:
        fig, ax = style.figure()
        ax.plot([0, 1], [0, 1])
        style.save(fig, [results / "figures" / f"{name}.png"], metadata=meta)
    params = {"cfg": provenance.ConfigSlice({"width": 7}, "qmap")}
    io.write_table(pd.DataFrame({"x": [1.0]}), results / "answers" / "p.parquet", params=params)
    config = {"qmap": {"width": 5}}
    problems = provenance.outputs_made_elsewhere(results, config)
    assert len(problems) == 2 and "b.png" in problems[0] and "p.parquet" in problems[1]
    cfg = write_config(tmp_path / "c.yaml", config)
    args = ["--configfile", str(cfg), "--schema", str(tmp_path / "none"), str(results)]
    assert provenance.main(args) == 1
    assert provenance.main([*args, "--allow-mixed"]) == 0
