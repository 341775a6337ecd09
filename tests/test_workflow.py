"""The Snakemake layer: DAG resolution, lint, formatting, config validation, reruns."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import (
    ROOT,
    jobs_of_dry_run,
    run_snakemake,
    write_config,
)

import dltheory.io as dio
from dltheory import pipeline

CATALOGUE = ROOT / "workflow" / "catalogue.yaml"
#: the project's figure list kept beside the checkout, where there is one
FIGURES_MD = ROOT.parent / "shared" / "FIGURES.md"


def catalogue_ids() -> list[str]:
    return [figure.id for figure in pipeline.read_catalogue(CATALOGUE)]


def defined_rules() -> set[str]:
    out = run_snakemake(ROOT, "--list-rules").stdout
    return {line.strip() for line in out.splitlines() if line.strip() and " " not in line.strip()}


def test_rule_all_lists_exactly_the_catalogue_figures():
    ids = catalogue_ids()
    assert "qmap" in ids
    assert set(ids) <= defined_rules(), set(ids) - defined_rules()
    out = run_snakemake(ROOT, "-n", "--forceall", "all").stdout
    for fid in ids:
        assert f"results/figures/{fid}.png" in out, fid
    # no figure rule outside the catalogue
    figure_rules = set(re.findall(r"results/figures/([a-z0-9_]+)\.png", out))
    assert figure_rules == set(ids), figure_rules ^ set(ids)


def test_the_catalogue_agrees_with_the_shared_figure_list_when_present():
    """Every catalogue figure is one of ../shared/FIGURES.md (the project's list of
    figures, beside the checkout when there is one; nothing else reads it)."""
    if not FIGURES_MD.exists():
        pytest.skip("no ../shared/FIGURES.md beside the checkout")
    listed = re.findall(r"^\| `([a-z0-9_]+)`", FIGURES_MD.read_text(), flags=re.M)
    assert sorted(set(catalogue_ids()) - set(listed)) == []


def test_a_malformed_catalogue_is_refused_naming_the_entry(tmp_path):
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "a.rst").write_text("A.\n")
    question = {"question": "Q", "short": "q", "figures": []}
    sheet = {"sheet": "S", "short": "s", "questions": [question]}
    figures = sheet["questions"][0]["figures"]
    path = tmp_path / "catalogue.yaml"

    def read(entries):
        figures[:] = entries
        path.write_text(yaml.safe_dump([sheet]))
        return pipeline.read_catalogue(path)

    (figure,) = read([{"id": "a", "caption": "report/a.rst"}])
    assert figure == pipeline.Figure("a", "S", "Q", "report/a.rst", "s", "q", "1.1")
    assert (figure.category, figure.subcategory) == ("1. s", "1.1 q")
    with pytest.raises(pipeline.CatalogueError, match="listed twice: a"):
        read([{"id": "a", "caption": "report/a.rst"}] * 2)
    with pytest.raises(pipeline.CatalogueError, match="caption file.*report/b.rst"):
        read([{"id": "b", "caption": "report/b.rst"}])
    with pytest.raises(pipeline.CatalogueError, match=r"'Q'.*exactly the keys \['caption', 'id'\]"):
        read([{"id": "a", "captoin": "report/a.rst"}])
    del sheet["short"]
    keys = r"sheet 1: .*\['questions', 'sheet', 'short'\]"
    with pytest.raises(pipeline.CatalogueError, match=keys):
        read([{"id": "a", "caption": "report/a.rst"}])


def test_report_categories_sort_in_the_catalogue_order():
    # the report orders categories and subcategories by name: the numbers make that the
    # sheets' order; short names, the long titles stay in the book and the entries' labels
    figures = pipeline.read_catalogue(CATALOGUE)
    categories = list(dict.fromkeys(f.category for f in figures))
    assert categories == sorted(categories) and len(categories) >= 5
    for category in categories:
        subs = list(dict.fromkeys(f.subcategory for f in figures if f.category == category))
        assert subs == sorted(subs), subs
    assert all(len(f.sheet_short) <= 30 and len(f.question_short) <= 30 for f in figures)


def test_each_figure_target_resolves():
    # one dry run naming every figure rule as a target: it fails if any of them does not
    # resolve, and lists the outputs of each
    ids = catalogue_ids()
    out = run_snakemake(ROOT, "-n", "--nolock", "--forceall", *ids).stdout
    for fid in ids:
        assert f"results/figures/{fid}.pdf" in out, fid


def test_lint_is_clean():
    proc = run_snakemake(ROOT, "--lint", check=False)
    assert proc.returncode == 0 and "Lints for" not in proc.stdout + proc.stderr, proc.stdout


@pytest.mark.slow
def test_snakefmt_is_clean():
    snakefmt = str(Path(sys.executable).with_name("snakefmt"))
    files = ["Snakefile", *map(str, sorted((ROOT / "workflow" / "rules").glob("*.smk")))]
    proc = subprocess.run([snakefmt, "--check", *files], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


PART = "results/answers/meanfield.parquet"  # the merged table would build every topic


def test_qmap_end_to_end_and_minimal_reruns(tiny_copy):
    """The tiny build's qmap figure, its tables and answers; then, in a copy of the build
    in another directory, nothing to do (a moved checkout reruns nothing), a key of the
    qmap rules reruns only those, a module edit only the rules that reach it."""
    workflow_dir, cfg_path = tiny_copy.workdir, tiny_copy.configfile
    qmap = tiny_copy.config["qmap"]
    figs = workflow_dir / "results" / "figures"
    for suffix in (".png", ".pdf"):
        out = figs / f"qmap{suffix}"
        assert out.stat().st_size > 5000, out
    assert (figs / "qmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    theory = dio.read_table(workflow_dir / "results/data/poole/qmap_theory.parquet")
    assert len(theory) == len(qmap["sigma_w"]) * qmap["n_theory"]
    params = dio.read_params(workflow_dir / "results/data/poole/qmap_theory.parquet")
    assert params["cfg"]["n_theory"] == qmap["n_theory"]
    assert "width" not in params["cfg"]  # simulation only
    record = dio.read_provenance(workflow_dir / "results/data/poole/qmap_simulation.parquet")
    assert record["config"]["qmap.width"] == qmap["width"]
    part = dio.read_table(workflow_dir / PART)
    assert part.set_index("id").loc["sheet2_q1a_qstar", "answer"] == "2.2538"

    # the copy in another directory: nothing to do
    assert jobs_of_dry_run(workflow_dir, "qmap", PART, "--configfile", str(cfg_path)) == {}

    # a config value read only by the qmap rules reruns only those
    cfg = tiny_copy.config
    sigma_b = cfg["qmap"]["sigma_b"]
    cfg["qmap"]["sigma_b"] = sigma_b * 0.8
    write_config(cfg_path, cfg)
    jobs = jobs_of_dry_run(workflow_dir, "qmap", PART, "--configfile", str(cfg_path))
    assert set(jobs) == {"qmap_theory", "qmap_simulation", "qmap"}, jobs

    # editing a package module reruns the rules that list it, and nothing else
    cfg["qmap"]["sigma_b"] = sigma_b
    write_config(cfg_path, cfg)
    mf = workflow_dir / "src" / "dltheory" / "networks.py"
    mf.write_text(mf.read_text() + "\n# touched by the test\n")
    jobs = jobs_of_dry_run(workflow_dir, "qmap", PART, "--configfile", str(cfg_path))
    assert set(jobs) == {"qmap_simulation", "qmap"}, jobs


def test_slurm_profile_resolves():
    out = run_snakemake(ROOT, "-n", "--nolock", "--forceall", "--profile", "profiles/slurm", "qmap")
    assert "qmap_theory" in out.stdout


def test_every_figure_has_a_caption_that_renders_cleanly():
    # `snakemake --report` renders workflow/report/<id>.rst with docutils; a stray |x| or
    # *emphasis* there is an error in the report, so parse each caption here
    import io

    import docutils.core

    figures = pipeline.read_catalogue(CATALOGUE)
    assert "qmap" in [f.id for f in figures]
    for figure in figures:
        fid, path = figure.id, CATALOGUE.parent / figure.caption
        assert path.exists(), f"no caption for figure {fid}"
        warnings = io.StringIO()
        # the template's reST with its Jinja2 parts stood in for: a line holding only a
        # {% ... %} tag renders as an empty line, an expression becomes a word (the
        # rendered captions are checked in tests/test_tiny_build.py)
        text = re.sub(r"(?m)^[ \t]*\{%-?.*?-?%\}[ \t]*\n", "\n", path.read_text())
        text = re.sub(r"(?m)^([ \t]*)\{%-?.*?-?%\}[ \t]*", r"\1", text)  # a tag opening a line
        text = re.sub(r"\{%-?.*?-?%\}", "", text)
        text = re.sub(r"\{\{.*?\}\}", "X", text, flags=re.S)
        docutils.core.publish_doctree(
            text,
            settings_overrides={"report_level": 2, "halt_level": 5, "warning_stream": warnings},
        )
        assert not warnings.getvalue(), (fid, warnings.getvalue())


def test_running_from_another_directory_says_where_to_run(tmp_path):
    from conftest import copy_workflow

    wf = copy_workflow(tmp_path / "wf")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = run_snakemake(elsewhere, "-n", "-s", str(wf / "Snakefile"), "qmap", check=False)
    assert proc.returncode != 0
    assert f"cd {wf}" in proc.stdout + proc.stderr, proc.stderr[-2000:]
    assert not (elsewhere / "results").exists()
