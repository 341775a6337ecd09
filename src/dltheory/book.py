"""The solutions book: the problem sheets worked, in one self-contained HTML file.

:func:`collect` gathers what a run left under ``results/`` (each catalogue figure's PNG
and rendered caption, the answers parts) in the catalogue's order, sheet by sheet and
question by question, and lists what is missing with the command that builds it;
:func:`render` fills a Jinja2 template (autoescaped) with it. Captions are reST and go
to HTML with docutils, mathematics as MathML (rendered by the browser, offline, without
JavaScript); figures are embedded as base64 ``data:`` URIs, so the file needs nothing
else at view time.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import io, provenance

__all__ = [
    "ANSWER_ANCHORS",
    "Book",
    "FigureEntry",
    "QuestionEntry",
    "SheetEntry",
    "anchor_of",
    "caption_html",
    "collect",
    "data_uri",
    "render",
]

#: where an answer goes: the question holding the figure named here, for the first
#: pattern its id matches (answers whose id matches none go to a closing section)
ANSWER_ANCHORS: tuple[tuple[str, str], ...] = (
    (r"^sheet2_q1a_|^networks_sheet2_q1b_", "qmap"),
    (r"^meanfield_", "cmap"),
    (r"^networks_sheet2_q1_dw_", "dw_spectrum"),
    (r"^saxe_ex1_", "saxe_svd_dynamics"),
    (r"^saxe_ex2_", "saxe_deep_linear_tree"),
    (r"^ttic_p1", "init_variance"),
    (r"^ttic_p2", "ugrnn_gradcheck"),
    (r"^ttic_p3", "resnet_variance"),
    (r"^finite_width_", "finite_width"),
    (r"^trainability_", "trainability"),
    (r"^geometry_curvature_", "curvature"),
    (r"^geometry_gradient_covariance_|^geometry_", "gradient_covariance"),
)

#: docutils settings for a caption: quiet, no file or raw inclusion, MathML mathematics
_DOCUTILS = {
    "math_output": "MathML",
    "report_level": 5,
    "halt_level": 5,
    "_disable_config": True,
    "file_insertion_enabled": False,
    "raw_enabled": False,
    "doctitle_xform": False,
    "embed_stylesheet": False,
}


@dataclass
class FigureEntry:
    id: str
    number: int
    caption: str = ""  # HTML from docutils
    image: str = ""  # data URI; empty when the figure is missing
    made: str = ""  # commit and config digest the figure was made with


@dataclass
class QuestionEntry:
    number: str
    statement: str
    answers: list[dict[str, str]] = field(default_factory=list)
    figures: list[FigureEntry] = field(default_factory=list)


@dataclass
class SheetEntry:
    number: int
    title: str
    questions: list[QuestionEntry] = field(default_factory=list)


@dataclass
class Book:
    """Everything the template shows."""

    title: str
    provenance: list[tuple[str, str]]
    sheets: list[SheetEntry]
    unplaced: list[dict[str, str]] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    n_answers: int = 0
    n_figures: int = 0


def caption_html(rst: str) -> str:
    """A rendered caption (reST) as an HTML fragment, mathematics as MathML."""
    from docutils.core import publish_parts

    body = publish_parts(rst, writer="html5", settings_overrides=dict(_DOCUTILS))["body"]
    # each formula in a box that scrolls when wider than the line (MathML does not wrap)
    body = re.sub(
        r"<math\b([^>]*)>",
        lambda m: (
            f'<span class="mathbox{" block" if "display=" in m.group(1) else ""}">'
            f"<math{m.group(1)}>"
        ),
        body,
    )
    return body.replace("</math>", "</math></span>")


def data_uri(path: str | Path, mime: str = "image/png") -> str:
    """The file at ``path`` as a base64 ``data:`` URI."""
    return f"data:{mime};base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def anchor_of(answer_id: str, anchors: Sequence[tuple[str, str]] = ANSWER_ANCHORS) -> str | None:
    """The figure id whose question holds the answer ``answer_id`` (``None``: no rule)."""
    for pattern, figure_id in anchors:
        if re.search(pattern, answer_id):
            return figure_id
    return None


def _command(target: str, configfiles: Sequence[str]) -> str:
    extra = "".join(f" --configfile={f}" for f in configfiles if f != "config.yaml")
    return f".venv/bin/snakemake --cores 2 {target}{extra}"


def _made(record: Mapping[str, Any] | None) -> str:
    if not record:
        return "no provenance record"
    commit = str(record.get("commit", "?"))
    short = commit[:12] + ("+dirty" if commit.endswith("+dirty") else "")
    return f"commit {short}, config digest {str(record.get('config_digest', '?'))[:12]}"


def collect(
    figures: Iterable[Any],
    results: str | Path,
    sections: Mapping[str, Sequence[str | Path]],
    titles: Mapping[str, str] | None = None,
    *,
    configfiles: Sequence[str] = ("config.yaml",),
    config: Mapping[str, Any] | None = None,
    anchors: Sequence[tuple[str, str]] = ANSWER_ANCHORS,
    title: str = "The problem sheets, worked",
) -> Book:
    """The book of what exists under ``results``.

    ``figures``: the catalogue (:func:`dltheory.pipeline.read_catalogue`, objects with
    ``id``, ``sheet``, ``question``), in its order. ``sections``: answers section name ->
    its parts (Parquet paths), in sheet order; ``titles`` their titles. A figure is there
    when its PNG and its rendered caption (``results/figures/<id>.png``, ``.rst``) exist;
    a section when all its parts exist (the parts that exist are shown anyway). With
    ``config`` (this run's, nested), figures and answers made under another config are
    listed in :attr:`Book.foreign`.
    """
    from . import style

    results = Path(results)
    titles = dict(titles or {})
    records: dict[str, Mapping[str, Any] | None] = {}
    missing: list[tuple[str, str]] = []

    # answers, in the order of the sections and parts
    rows: list[dict[str, str]] = []
    for name, parts in sections.items():
        absent = [str(p) for p in parts if not Path(p).exists()]
        if absent:
            label = titles.get(name, name)
            missing.append((f"answers: {label}", _command(f"answers_{name}", configfiles)))
        for part in parts:
            if not Path(part).exists():
                continue
            records[str(part)] = io.read_provenance(part)
            table = io.read_table(part)
            for row in table.to_dict("records"):
                rows.append(
                    {k: "" if row.get(k) is None else str(row.get(k)) for k in _ANSWER_FIELDS}
                )

    # the catalogue's sheets and questions, in order
    sheets: list[SheetEntry] = []
    where: dict[str, QuestionEntry] = {}
    n_figures = 0
    for figure in figures:
        if not sheets or sheets[-1].title != figure.sheet:
            sheets.append(SheetEntry(len(sheets) + 1, figure.sheet))
        sheet = sheets[-1]
        if not sheet.questions or sheet.questions[-1].statement != figure.question:
            sheet.questions.append(
                QuestionEntry(f"{sheet.number}.{len(sheet.questions) + 1}", figure.question)
            )
        question = sheet.questions[-1]
        where[figure.id] = question
        n_figures += 1
        entry = FigureEntry(figure.id, n_figures)
        png = results / "figures" / f"{figure.id}.png"
        rst = results / "figures" / f"{figure.id}.rst"
        if png.exists() and rst.exists():
            meta = style.read_metadata(png) or {}
            records[str(png)] = meta.get("provenance")
            entry.caption = caption_html(rst.read_text())
            entry.image = data_uri(png)
            entry.made = _made(meta.get("provenance"))
        else:
            missing.append((f"figure {figure.id}", _command(figure.id, configfiles)))
        question.figures.append(entry)

    unplaced = []
    for row in rows:
        anchor = anchor_of(row["id"], anchors)
        if anchor in where:
            where[anchor].answers.append(row)
        else:
            unplaced.append(row)

    merged: dict[str, Any] = {}
    for record in records.values():
        merged.update((record or {}).get("config", {}))
    header = _provenance_lines(provenance.record(merged), configfiles)
    foreign = provenance.foreign_inputs(records, config) if config is not None else []
    return Book(
        title=title,
        provenance=header,
        sheets=sheets,
        unplaced=unplaced,
        missing=missing,
        foreign=foreign,
        n_answers=len(rows),
        n_figures=sum(1 for s in sheets for q in s.questions for f in q.figures if f.image),
    )


_ANSWER_FIELDS = ("id", "sheet", "question", "answer", "formula", "check")


def _provenance_lines(record: Mapping[str, Any], configfiles: Sequence[str]):
    from .answers import provenance_lines

    return provenance_lines(dict(record), configfiles)


def render(book: Book, template: str | Path) -> str:
    """The book as HTML from the Jinja2 template at ``template`` (autoescaped; captions
    are docutils output, inserted as HTML)."""
    import jinja2
    import markupsafe

    template = Path(template)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template.parent)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["html"] = markupsafe.Markup
    return env.get_template(template.name).render(book=book)
