"""Config files read strictly, nested --config values, and the checks before a run or a
report (dltheory.validation, dltheory.preflight, the Makefile)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from conftest import ROOT, load_config, run_snakemake, write_config

from dltheory import preflight, validation

CATALOGUE = ROOT / "workflow" / "catalogue.yaml"

# -- duplicate keys and syntax errors -------------------------------------------------


def test_a_key_given_twice_is_refused_with_its_path_and_lines(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("seed: 1\nqmap:\n  width: 1000\n  sigma_b: 0.3\n  width: 5\nseed: 2\n")
    with pytest.raises(validation.ConfigError) as err:
        validation.read_config_file(path)
    message = str(err.value)
    assert str(path) in message and "2 error(s)" in message
    assert "line 5: key 'width' appears twice in 'qmap' (first at line 3)" in message
    assert "line 6: key 'seed' appears twice in '<top level>' (first at line 1)" in message
    assert "allowed: each key once" in message


def test_the_same_key_in_different_mappings_is_fine(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("qmap: {width: 10}\ncmap:\n  width: 20\nlist: [{a: 1}, {a: 2}]\n")
    assert validation.read_config_file(path)["cmap"] == {"width": 20}
    # the repository's configs pass
    for name in ("config.yaml", "config.full.yaml"):
        assert isinstance(validation.read_config_file(ROOT / name), dict)


def test_a_yaml_syntax_error_names_file_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("seed: 1\nqmap:\n  width: 10\n   sigma_b: 0.3\n")
    with pytest.raises(validation.ConfigError) as err:
        validation.read_config_file(path)
    message = str(err.value)
    assert f"Config file {path}, line 4, column 11: YAML syntax error" in message, message
    tabbed = tmp_path / "tab.yaml"
    tabbed.write_text("qmap:\n\twidth: 10\n")
    with pytest.raises(validation.ConfigError, match=r"tab\.yaml, line 2, column 1"):
        validation.read_config_file(tabbed)


def test_json_config_files_are_read_strictly_too(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"seed": 1}).replace("}", ', "seed": 2}'))
    with pytest.raises(validation.ConfigError, match="key 'seed' appears twice"):
        validation.read_config_file(path)
    path.write_text(json.dumps({"seed": 1, "qmap": {"width": 10}}))
    assert validation.read_config_file(path)["qmap"]["width"] == 10


def test_check_config_files_reports_every_bad_file_once(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("seed: 1\nseed: 2\n")
    b.write_text("seed: [1\n")
    with pytest.raises(validation.ConfigError) as err:
        validation.check_config_files([a, b, str(a), ROOT / "config.yaml"])
    message = str(err.value)
    assert message.count(str(a)) == 1 and str(b) in message
    validation.check_config_files([ROOT / "config.yaml"])  # a good file passes
    with pytest.raises(validation.ConfigError, match="cannot be read"):
        validation.check_config_files([tmp_path / "missing.yaml"])
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(validation.ConfigError, match="top level must be a mapping"):
        validation.read_config_file(tmp_path / "list.yaml")


# -- nested --config values ------------------------------------------------------------


def test_nested_config_arguments_are_read_as_yaml():
    config = {"qmap": {"width": "50", "sigma_b": 0.3}, "seed": 5}
    done = validation.apply_config_args(
        config, ["qmap={width: 50, sigma_w: [1.3, 2.0]}", "seed=5", "figure_overlap=error"]
    )
    assert done == ["qmap"]
    assert config["qmap"] == {"width": 50, "sigma_b": 0.3, "sigma_w": [1.3, 2.0]}
    assert config["seed"] == 5  # plain values are left as Snakemake read them
    assert validation.apply_config_args(config, None) == []


def test_a_nested_config_argument_that_is_not_yaml_says_how_to_pass_it():
    with pytest.raises(validation.ConfigError) as err:
        validation.apply_config_args({}, ["qmap={width: 50"])
    message = str(err.value)
    assert "--config qmap={width: 50: not valid YAML" in message
    assert "--configfile" in message and "qmap={width: 50, sigma_b: 0.3}" in message


# -- a directory where an output file belongs -----------------------------------------


def test_a_directory_in_place_of_an_output_file_is_named(tmp_path):
    (tmp_path / "results/figures/chi1_phase.png").mkdir(parents=True)
    (tmp_path / "results/data/geo/sim_3.parquet").mkdir(parents=True)
    (tmp_path / "results/data/geo/chunks").mkdir(parents=True)  # a folder of outputs
    (tmp_path / "results/figures/qmap.png").write_text("a file")
    (tmp_path / "results/answers.md").mkdir()
    with pytest.raises(preflight.PreflightError) as err:
        preflight.check_output_files(["results/answers.md", "results/qmap.pdf"], tmp_path)
    message = str(err.value)
    assert "3 directories stand where the workflow writes a file" in message
    for path in ("figures/chi1_phase.png", "data/geo/sim_3.parquet", "answers.md"):
        assert f"  results/{path}/" in message
    assert "chunks" not in message and "qmap" not in message
    assert "rm -r" in message
    (tmp_path / "results/figures/chi1_phase.png").rmdir()
    (tmp_path / "results/data/geo/sim_3.parquet").rmdir()
    (tmp_path / "results/answers.md").rmdir()
    preflight.check_output_files(["results/answers.md"], tmp_path)  # files only: fine
    preflight.check_output_files([], tmp_path / "nowhere")  # no results/ yet: fine


# -- make report after a partial run --------------------------------------------------


def test_report_of_a_partial_run_names_the_targets_to_pass(tmp_path):
    figures = tmp_path / "results" / "figures"
    figures.mkdir(parents=True)
    for fid in ("qmap", "cmap"):
        for ext in ("png", "pdf"):
            (figures / f"{fid}.{ext}").write_text("")
    with pytest.raises(preflight.PreflightError) as err:
        preflight.check_report_ready(CATALOGUE, tmp_path)
    message = str(err.value)
    assert 'make report TARGETS="qmap cmap"' in message, message
    assert "are not built" in message and "chi1_phase" in message
    preflight.check_report_ready(CATALOGUE, tmp_path, ["qmap", "cmap"])  # named: fine
    shutil.rmtree(figures)
    with pytest.raises(preflight.PreflightError, match="No figure is built yet: make run"):
        preflight.check_report_ready(CATALOGUE, tmp_path)


def test_report_of_a_full_run_passes(tmp_path):
    missing, built = preflight.missing_figures(CATALOGUE, tmp_path)
    assert built == [] and "qmap" in missing
    figures = tmp_path / "results" / "figures"
    figures.mkdir(parents=True)
    for fid in missing:
        for ext in ("png", "pdf"):
            (figures / f"{fid}.{ext}").write_text("")
    preflight.check_report_ready(CATALOGUE, tmp_path)


def test_preflight_command_line(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: 1\nseed: 2\n")
    assert preflight.main(["config", str(bad)]) == 1
    assert "key 'seed' appears twice" in capsys.readouterr().err
    assert preflight.main(["config", str(ROOT / "config.yaml")]) == 0
    monkeypatch.chdir(tmp_path)
    assert preflight.main(["report", str(CATALOGUE)]) == 1
    assert "make run first" in capsys.readouterr().err
    assert preflight.main(["report", str(CATALOGUE), "qmap"]) == 0
    assert preflight.main(["nonsense"]) == 2


# -- make clean-results while a run holds the lock ------------------------------------


def _make(workdir, *targets):
    return subprocess.run(
        ["make", "--no-print-directory", *targets],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_clean_results_refuses_while_a_lock_is_held(tmp_path):
    shutil.copy2(ROOT / "Makefile", tmp_path / "Makefile")
    figure = tmp_path / "results" / "figures" / "qmap.png"
    figure.parent.mkdir(parents=True)
    figure.write_text("")
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.output.lock").write_text("results/figures/qmap.png\n")
    proc = _make(tmp_path, "clean-results")
    assert proc.returncode != 0
    assert "refused, nothing deleted" in proc.stderr and "0.output.lock" in proc.stderr
    assert "ps -ef | grep '[s]nakemake'" in proc.stderr and "--unlock" in proc.stderr
    assert figure.exists()
    (locks / "0.output.lock").unlink()  # the run ended: cleaning goes ahead
    proc = _make(tmp_path, "clean-results")
    assert proc.returncode == 0, proc.stderr
    assert not figure.exists()


# -- end to end: what Snakemake does with them ---------------------------------------


def test_snakemake_refuses_duplicates_and_misplaced_directories_and_reads_nested_config(
    workflow_dir,
):
    cfg_path = write_config(workflow_dir / "dup.yaml", load_config())
    text = cfg_path.read_text().replace("qmap:\n", "qmap:\n  width: 5\n", 1)
    cfg_path.write_text(text)
    proc = run_snakemake(workflow_dir, "-n", "qmap", "--configfile", str(cfg_path), check=False)
    message = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert str(cfg_path) in message and "key 'width' appears twice in 'qmap'" in message
    # nested --config values arrive as YAML, not strings: a dry run of qmap is planned
    proc = run_snakemake(workflow_dir, "-n", "qmap", "--config", "qmap={width: 50, n_sim: 7}")
    assert "qmap_simulation" in proc.stdout
    proc = run_snakemake(workflow_dir, "-n", "qmap", "--config", "qmap={width: 50.0}", check=False)
    message = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "write 50, without the decimal point" in message
    # a directory in a figure's place is not "Nothing to be done"
    (workflow_dir / "results/figures/chi1_phase.png").mkdir(parents=True)
    proc = run_snakemake(workflow_dir, "-n", "chi1_phase", check=False)
    message = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Nothing to be done" not in message
    assert "results/figures/chi1_phase.png/" in message and "rm -r" in message
