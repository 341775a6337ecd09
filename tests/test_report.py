"""The Snakemake report: figures grouped by problem sheet, captions, the answers table."""

from __future__ import annotations

import json
import re

import pandas as pd
from conftest import ROOT

from dltheory import answers, pipeline

CATALOGUE = ROOT / "workflow" / "catalogue.yaml"
FIGURES_MD = ROOT.parent / "shared" / "FIGURES.md"


def sections() -> dict[str, tuple[str, str]]:
    """Figure id -> (category, subcategory) as listed in workflow/catalogue.yaml."""
    return {f.id: (f.category, f.subcategory) for f in pipeline.read_catalogue(CATALOGUE)}


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


def _report_data(html: str) -> tuple[dict, dict]:
    """The report's `results` (path -> entry) and `categories` tables."""
    found = {}
    for var in ("results", "categories"):
        match = re.search(rf"var {var} = (\{{.*?\}});\n", html)
        assert match, f"no `var {var}` in the report"
        found[var] = json.loads(match.group(1))
    return found["results"], found["categories"]
