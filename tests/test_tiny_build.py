"""Checks on one build of every figure and the answers under the tiny config.

The build (the ``tiny_build`` fixture of conftest.py) is made once per test run; its
tests live in this one file so that ``--dist loadfile`` gives them to one pytest-xdist
worker, which builds while the other worker runs the rest of the suite.
"""

from __future__ import annotations

import base64
import re
import zipfile
from html import escape

import pandas as pd
from conftest import ROOT, run_snakemake
from test_figures import figure_ids
from test_initialisation import FIGURES as INITIALISATION_FIGURES
from test_report import _report_data, figure_rules, sections

from dltheory import io, pipeline


def test_every_figure_renders_without_overlaps(tiny_build):
    from conftest import ROOT

    figures = figure_ids(tiny_build.workdir, str(tiny_build.configfile))
    # every figure of the catalogue is a target of rule all: all of them are checked
    catalogue = pipeline.read_catalogue(ROOT / "workflow" / "catalogue.yaml")
    assert figures == sorted(figure.id for figure in catalogue)
    assert len(figures) >= 31, figures
    logs = tiny_build.logs()
    assert "FigureOverlapError" not in logs, [
        line for line in logs.splitlines() if "FigureOverlap" in line
    ]
    proc = tiny_build.proc
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    from PIL import Image

    from dltheory import style

    for fid in figures:
        with Image.open(tiny_build.workdir / "results" / "figures" / f"{fid}.png") as png:
            assert png.width >= style.PNG_WIDTH, (fid, png.size)  # for slides


def test_section_end_to_end_and_minimal_reruns(tiny_build):
    import copy

    from conftest import jobs_of_dry_run, write_config

    import dltheory.io as dio

    wf = tiny_build.workdir
    part = "results/answers/initialisation.parquet"
    for fid in INITIALISATION_FIGURES:
        png = wf / "results" / "figures" / f"{fid}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000, fid
    answers = dio.read_table(wf / part)
    assert answers["id"].str.startswith("ttic_").all() and len(answers) >= 12
    assert answers["check"].str.len().gt(0).all()
    grads = dio.read_table(wf / "results/data/ttic/ugrnn_gradcheck.parquet")
    assert grads["rel_err_elementwise"].max() <= 1e-10
    args = [*INITIALISATION_FIGURES, part, "--configfile"]
    assert jobs_of_dry_run(wf, *args, str(tiny_build.configfile)) == {}
    # the UGRNN slice reruns only the UGRNN rules and the answers part (a dry run under
    # a second config file: the shared build is not written)
    cfg = copy.deepcopy(tiny_build.config)
    cfg["initialisation"]["ugrnn"]["batch"] = [
        b + 1 for b in cfg["initialisation"]["ugrnn"]["batch"]
    ]
    changed = write_config(wf.parent / "ugrnn_batch.yaml", cfg)
    jobs = jobs_of_dry_run(wf, *args, str(changed))
    assert set(jobs) == {"ugrnn_gradcheck_data", "ugrnn_gradcheck", "answers_initialisation"}


def test_networks_figures_end_to_end_tiny(tiny_build):
    for fid in ["qstar_empirical", "trajectory_length", "dw_spectrum", "jacobian_spectrum"]:
        png = tiny_build.workdir / "results" / "figures" / f"{fid}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", fid
    answers = io.read_table(tiny_build.workdir / "results/answers/networks.parquet")
    widths = tiny_build.config["networks"]["qstar_empirical"]["widths"]
    assert {
        *(f"networks_sheet2_q1b_qstar_empirical_N{w}" for w in widths),
        "networks_sheet2_q1_dw_trace_critical",
    } <= set(answers["id"])


def test_report_holds_every_built_figure_with_its_caption_and_the_answers(tiny_build):
    from docutils.core import publish_parts

    workflow_dir, cfg_path = tiny_build.workdir, tiny_build.configfile
    assert tiny_build.proc.returncode == 0, tiny_build.proc.stderr[-3000:]
    figures = figure_rules()
    page = (workflow_dir / "results" / "answers.html").read_text()
    sheets = {
        sheet
        for part in sorted((workflow_dir / "results" / "answers").glob("*.parquet"))
        for sheet in pd.read_parquet(part)["sheet"]
    }
    assert len(sheets) >= 4 and all(escape(sheet) in page for sheet in sheets), sheets

    # the report of a finished run; the same form works after a partial run (make report
    # TARGETS=...); written beside the shared build, not into it
    targets = [*figures, "results/answers.html"]
    for report in ("report.zip", "report.html"):
        out = str(workflow_dir.parent / report)
        proc = run_snakemake(workflow_dir, *targets, "--configfile", str(cfg_path), "--report", out)
        # no warnings (Snakemake's default disk_mb reads input sizes, which a report cannot)
        assert "Warning" not in proc.stdout + proc.stderr, proc.stderr[-3000:]

    with zipfile.ZipFile(workflow_dir.parent / "report.zip") as zf:
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
        with zipfile.ZipFile(workflow_dir.parent / "report.zip") as zf:
            assert zf.read(stored[0]) == raw
        rst = (workflow_dir / "results" / "figures" / f"{fid}.rst").read_text()
        assert entry["caption"] == publish_parts(rst, writer="html")["body"], fid
        sheet, question = where[fid]
        assert path in categories[sheet][question], (fid, categories)
    assert results["results/answers.html"]["mime_type"] == "text/html"
    assert "results/answers.html" in [p for sub in categories["Answers"].values() for p in sub]

    # the single-file report embeds the figures (no files beside it)
    single, _ = _report_data((workflow_dir.parent / "report.html").read_text())
    for fid in figures:
        uri = single[f"results/figures/{fid}.png"]["data_uri"]
        head, _, data = uri.partition(",")
        assert head.startswith("data:image/png;") and head.endswith(";base64"), head
        assert base64.b64decode(data) == (workflow_dir / f"results/figures/{fid}.png").read_bytes()


def test_every_rendered_caption_is_clean_rest_and_every_figure_records_its_provenance(tiny_build):
    import io as _io

    import docutils.core

    from dltheory import style

    for figure in pipeline.read_catalogue(ROOT / "workflow" / "catalogue.yaml"):
        rst = tiny_build.workdir / "results" / "figures" / f"{figure.id}.rst"
        warnings = _io.StringIO()
        docutils.core.publish_doctree(
            rst.read_text(),
            settings_overrides={"report_level": 2, "halt_level": 5, "warning_stream": warnings},
        )
        assert not warnings.getvalue(), (figure.id, warnings.getvalue())
        assert "{{" not in rst.read_text() and "{%" not in rst.read_text(), figure.id
        meta = style.read_metadata(tiny_build.workdir / "results" / "figures" / f"{figure.id}.png")
        record = meta["provenance"]
        assert record["config_digest"] and record["commit"] and meta["texts"], figure.id


def test_a_complete_build_passes_the_reports_provenance_check(tiny_build):
    # what `make report` runs first: every figure and answers table of one build carries
    # a record that agrees with its config (a table without one would be refused)
    from dltheory import provenance

    results = tiny_build.workdir / "results"
    schema = tiny_build.workdir / "workflow" / "schemas" / "config.schema.yaml"
    args = ["--configfile", str(tiny_build.configfile), "--schema", str(schema), str(results)]
    assert provenance.main(args) == 0
    assert len(list(results.glob("answers/**/*.parquet"))) >= 6


def test_answers_documents_open_with_their_provenance(tiny_build):
    from dltheory import provenance

    sections = tiny_build.workdir / "results" / "answers" / "sections"
    docs = [tiny_build.workdir / "results" / "answers.md", *sorted(sections.glob("*.md"))]
    for doc in docs:
        text = doc.read_text()
        head = text[: text.index("## ")]
        assert re.search(r"- config file: `(\.\./)?tiny\.yaml`", head), (doc, head)
        assert "- config digest: `" in head and "- commit date: `" in head, (doc, head)
        # the build is a copy of the workflow without .git
        assert f"- commit: `{provenance.NOT_A_CHECKOUT}`" in head, (doc, head)
    assert sorted(p.stem for p in sections.glob("*.md")) == [
        "finite",
        "geom",
        "saxe",
        "sheet2",
        "trainable",
        "ttic",
    ]


def test_every_config_key_a_rule_is_given_is_read_by_its_script(tiny_build):
    # a key passed but not read reruns the rule for nothing when it changes
    unread = [line for line in tiny_build.logs().splitlines() if io.UNREAD_CONFIG in line]
    assert not unread, "\n".join(unread)


# the book of the tiny build (in this file so that one worker holds the build)


def test_the_book_of_the_tiny_build(tiny_build):
    from test_book import check_complete_book

    assert tiny_build.proc.returncode == 0, tiny_build.proc.stderr[-3000:]
    check_complete_book(tiny_build.workdir / "results")


def test_the_book_of_the_tiny_build_in_chromium(tiny_build, tmp_path):
    from test_book import VIEWPORTS, _check_in_chromium, _need_chromium

    _need_chromium()
    page = tiny_build.workdir / "results" / "solutions.html"
    for width, height, mobile in VIEWPORTS:
        _check_in_chromium(page, tmp_path / "screenshots", width, height, mobile)
