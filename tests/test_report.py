"""The Snakemake report: figures grouped by problem sheet, captions, the answers table."""

from __future__ import annotations

import base64
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, load_config, run_snakemake, write_config

from dltheory import answers, pipeline

CATALOGUE = ROOT / "workflow" / "catalogue.yaml"
FIGURES_MD = ROOT.parent / "shared" / "FIGURES.md"


def sections() -> dict[str, tuple[str, str]]:
    """Figure id -> (category, subcategory) as listed in workflow/catalogue.yaml."""
    return {f.id: (f.sheet, f.question) for f in pipeline.read_catalogue(CATALOGUE)}


def figure_rules() -> list[str]:
    """Figure ids of the rule files: each figure rule's output is figure_outputs("<id>")."""
    text = "".join(p.read_text() for p in (ROOT / "workflow" / "rules").glob("*.smk"))
    return re.findall(r"figure_outputs\(\"(\w+)\"\)", text)


def test_every_figure_has_one_place_in_the_report():
    where = sections()
    ids = figure_rules()
    assert "qmap" in ids
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert sorted(ids) == sorted(where), set(ids) ^ set(where)
    if FIGURES_MD.exists():  # the figure list beside the checkout: nothing listed beyond it
        catalogue = re.findall(r"^\| `([a-z0-9_]+)`", FIGURES_MD.read_text(), flags=re.M)
        assert sorted(set(where) - set(catalogue)) == []


def test_answers_html_is_escaped_and_grouped_by_sheet():
    rows = [
        answers.Answer("a1", "Sheet <A>", "q* for sigma_w = 2?", "1.0 & more", 1.0, "q = f(q)"),
        answers.Answer("b1", "Sheet B", "|x|", "<script>", float("nan")),
        answers.Answer("a2", "Sheet <A>", "second", "2", 2.0, check="mpmath"),
    ]
    table = pd.DataFrame([r.__dict__ for r in rows])
    page = answers.to_html(table)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<h2>Sheet &lt;A&gt;</h2>" in page and "1.0 &amp; more" in page
    # one table per sheet in order of first appearance, rows in their order
    assert page.index("Sheet &lt;A&gt;") < page.index("Sheet B")
    assert page.count("<table>") == 2
    first = page.split("<table>")[1]
    assert first.index(">a1<") < first.index(">a2<") and ">b1<" not in first


def _tiny_config() -> dict:
    cfg = load_config()
    cfg["qmap"].update(width=200, n_theory=21, n_sim=5)
    cfg["meanfield"]["cmap"].update(n_theory=21)
    return cfg


def _report_data(html: str) -> tuple[dict, dict]:
    """The report's `results` (path -> entry) and `categories` tables."""
    found = {}
    for var in ("results", "categories"):
        match = re.search(rf"var {var} = (\{{.*?\}});\n", html)
        assert match, f"no `var {var}` in the report"
        found[var] = json.loads(match.group(1))
    return found["results"], found["categories"]


def _fake_answer_parts(workdir: Path, cfg_path: Path) -> list[str]:
    """Stand-in parts (the real ones run every topic): the report plumbing is under test."""
    out = run_snakemake(workdir, "-n", "--forceall", "answers", "--configfile", str(cfg_path))
    parts = sorted(set(re.findall(r"results/answers/\w+\.parquet", out.stdout)))
    assert parts, out.stdout
    for i, part in enumerate(parts):
        row = answers.Answer(f"fake_{i}", f"Sheet {part}", "question?", f"{i}.5", i + 0.5)
        (workdir / part).parent.mkdir(parents=True, exist_ok=True)
        answers.write_part([row], workdir / part)
    return parts


@pytest.mark.slow
def test_report_holds_every_built_figure_with_its_caption_and_the_answers(workflow_dir):
    from docutils.core import publish_parts

    cfg_path = write_config(workflow_dir / "tiny.yaml", _tiny_config())
    figures = ["qmap", "cmap"]
    run_snakemake(workflow_dir, *figures, "--cores", "2", "--configfile", str(cfg_path))
    parts = _fake_answer_parts(workflow_dir, cfg_path)
    run_snakemake(
        workflow_dir,
        "results/answers.html",
        "--cores",
        "1",
        "--allowed-rules",
        "answers",
        "--configfile",
        str(cfg_path),
    )
    page = (workflow_dir / "results" / "answers.html").read_text()
    assert all(f"Sheet {p}" in page for p in parts)

    # the form that works after a partial run: name what was built (make report TARGETS=...)
    targets = [*figures, "results/answers.html"]
    for report in ("results/report.zip", "results/report.html"):
        run_snakemake(workflow_dir, *targets, "--configfile", str(cfg_path), "--report", report)

    with zipfile.ZipFile(workflow_dir / "results" / "report.zip") as zf:
        names = zf.namelist()
        html = zf.read("report/report.html").decode()
    results, categories = _report_data(html)
    where = sections()
    for fid in figures:
        path = f"results/figures/{fid}.png"
        entry = results[path]
        raw = (workflow_dir / path).read_bytes()
        assert entry["mime_type"] == "image/png"
        # the figure's bytes are in the zip, and its caption is the rendered .rst
        stored = [n for n in names if n.endswith(f"/{fid}.png")]
        assert len(stored) == 1, names
        with zipfile.ZipFile(workflow_dir / "results" / "report.zip") as zf:
            assert zf.read(stored[0]) == raw
        rst = (ROOT / "workflow" / "report" / f"{fid}.rst").read_text()
        assert entry["caption"] == publish_parts(rst, writer="html")["body"], fid
        sheet, question = where[fid]
        assert path in categories[sheet][question], (fid, categories)
    assert results["results/answers.html"]["mime_type"] == "text/html"
    assert "results/answers.html" in [p for sub in categories["Answers"].values() for p in sub]

    # the single-file report embeds the figures (no files beside it)
    single, _ = _report_data((workflow_dir / "results" / "report.html").read_text())
    for fid in figures:
        uri = single[f"results/figures/{fid}.png"]["data_uri"]
        head, _, data = uri.partition(",")
        assert head.startswith("data:image/png;") and head.endswith(";base64"), head
        assert base64.b64decode(data) == (workflow_dir / f"results/figures/{fid}.png").read_bytes()
