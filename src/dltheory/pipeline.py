"""What the Snakemake workflow reads from the package besides the science.

* :func:`code_inputs`: the package source files a workflow script reaches through its
  imports, transitively. Each rule lists them as its ``code`` input, so editing a module
  reruns exactly the rules whose script imports it, directly or through other modules.
* :func:`read_catalogue`: the figure catalogue (``workflow/catalogue.yaml``), the one
  list of figures: each figure's id (the name of its target rule), its place in the
  report (problem sheet and question) and its caption file.
* :func:`dry_run_jobs`: the jobs a dry run (``snakemake -n``) prints, read from its text:
  the one reader of that output for the tests and ``benchmarks/profile.py``.

Plain functions of paths; nothing here imports Snakemake.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

__all__ = [
    "CatalogueError",
    "Figure",
    "code_inputs",
    "dry_run_jobs",
    "imported_modules",
    "load_yaml",
    "read_catalogue",
]

PACKAGE = "dltheory"

#: libyaml's parser when PyYAML was built with it: every Snakemake invocation reads the
#: config, its schema and the catalogue, and the pure-Python parser spends about 0.5 s
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(stream):
    """``yaml.safe_load`` with :data:`YAML_LOADER` (the same documents, the same errors)."""
    return yaml.load(stream, Loader=YAML_LOADER)


#: a string literal (any prefix and quotes; triple-quoted ones across lines) or a comment
_STRING_OR_COMMENT = re.compile(
    r'"""(?:\\[\s\S]|[^\\])*?"""'
    r"|'''(?:\\[\s\S]|[^\\])*?'''"
    r'|"(?:\\.|[^"\\\n])*"'
    r"|'(?:\\.|[^'\\\n])*'"
    r"|#[^\n]*"
)
#: ``import a.b, c as d`` and ``from .x import (y, z)`` at the start of a line (any
#: indentation: imports inside functions count)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n;]+)", re.M)
_FROM_IMPORT = re.compile(
    r"^[ \t]*from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n;]*)", re.M
)


def _code_text(source: str) -> str:
    """``source`` with its strings and comments blanked: what import statements are made of.

    The first literal or comment from the left is matched, as Python's tokenizer reads it,
    so a quote inside a comment and a ``#`` inside a string do not mislead it. (Reading
    only this, not parsing the whole module, makes every launch of the workflow about
    0.2 s faster: it reads every module each time.)
    """
    return _STRING_OR_COMMENT.sub(lambda m: "" if m.group(0)[0] == "#" else '""', source)


@functools.cache
def imported_modules(path: str | os.PathLike, package_dir: str | os.PathLike) -> frozenset[str]:
    """Modules of the package in ``package_dir`` that the Python file ``path`` imports.

    Reads every import statement of the file (also inside functions; not in strings or
    comments): ``import dltheory.x``, ``from dltheory import x``, ``from dltheory.x
    import y`` and, inside the package, ``from . import x`` and ``from .x import y``.
    Names imported from the package that are not modules (``from dltheory import
    __version__``) are left out. A statement is read where a line starts with it, as the
    formatter writes them (not after ``;`` or ``:`` on one line, nor continued with a
    backslash).
    """
    path, package_dir = Path(path), Path(package_dir)
    text = _code_text(path.read_text())
    inside = path.resolve().parent == package_dir.resolve()
    found = set()
    for names in _IMPORT.findall(text):
        for alias in names.split(","):
            parts = alias.split()[0].split(".") if alias.strip() else []
            if len(parts) > 1 and parts[0] == PACKAGE:
                found.add(parts[1])
    for dots, module, names in _FROM_IMPORT.findall(text):
        if not dots and module.split(".")[0] == PACKAGE:
            parts = module.split(".")
        elif len(dots) == 1 and inside:
            parts = [PACKAGE, *(module.split(".") if module else [])]
        else:
            continue
        if len(parts) > 1:
            found.add(parts[1])
        else:  # from dltheory import x: x is a module or a name of __init__
            listed = names.strip().strip("()").split(",")
            found.update(n.split()[0] for n in listed if n.strip())
    return frozenset(m for m in found if (package_dir / f"{m}.py").exists())


def code_inputs(script: str | os.PathLike, package_dir: str | os.PathLike) -> list[str]:
    """Package source files ``script`` reaches through its imports, transitively.

    ``package_dir/__init__.py`` first (every import of the package runs it), then the
    modules in name order, as paths joined onto ``package_dir`` as given (a relative
    ``package_dir`` gives paths relative to the same directory, as a rule's inputs are).
    """
    package_dir = Path(package_dir)
    if not Path(script).is_file():
        raise FileNotFoundError(f"code_inputs: no script {script}")
    todo, seen = list(imported_modules(script, package_dir)), set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(imported_modules(package_dir / f"{name}.py", package_dir))
    return [str(package_dir / "__init__.py")] + [str(package_dir / f"{m}.py") for m in sorted(seen)]


#: the first line of a job's block in a dry run
_JOB_HEAD = re.compile(r"(?:local)?rule (\w+):")
#: a field of a job's block: ``    input: a, b`` (four spaces, a name, a colon)
_JOB_FIELD = re.compile(r"    (\w+):(?: (.*))?")
#: the fields that list files, and ``wildcards`` (``name=value, ...``)
_FILE_FIELDS = ("input", "output", "log", "benchmark")


def dry_run_jobs(text: str) -> list[dict]:
    """The jobs of a dry run's output ``text``, in its order, one dict each.

    Each has ``rule``, ``reason`` (text, ``""`` without), ``threads`` (1 when not shown:
    Snakemake prints only more), ``wildcards`` (name -> value, ``{}`` without) and the
    lists ``input``, ``output``, ``log`` and ``benchmark`` where the job has them. A
    block is the ``rule x:`` (or ``localrule x:``) line and the indented ``    name:
    value`` lines after it; a value continued on further lines indented deeper is joined
    to it; lists are comma-separated. Anything else ends the block.
    """
    jobs: list[dict] = []
    fields: dict[str, str] | None = None
    last = None
    for line in text.splitlines():
        head = _JOB_HEAD.fullmatch(line)
        field = _JOB_FIELD.fullmatch(line) if fields is not None else None
        if head:
            fields, last = {"rule": head.group(1)}, None
            jobs.append(fields)
        elif field:
            last = field.group(1)
            fields[last] = (field.group(2) or "").strip()
        elif fields is not None and last and line.startswith("     ") and line.strip():
            fields[last] += " " + line.strip()
        else:
            fields, last = None, None
    return [_job_of(fields) for fields in jobs]


def _job_of(fields: dict[str, str]) -> dict:
    """A job's dict (:func:`dry_run_jobs`) from its block's text fields."""
    job: dict = {
        "rule": fields["rule"],
        "reason": fields.get("reason", ""),
        "threads": int(fields.get("threads", 1)),
        "wildcards": dict(
            item.split("=", 1)
            for item in re.split(r",\s*(?=\w+=)", fields.get("wildcards", ""))
            if "=" in item
        ),
    }
    for name in _FILE_FIELDS:
        if name in fields:
            job[name] = [f.strip() for f in fields[name].split(",") if f.strip()]
    return job


class CatalogueError(ValueError):
    """The figure catalogue is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Figure:
    """One catalogue entry: ``id`` is the figure's target rule and the stem of its files
    ``results/figures/<id>.png`` and ``.pdf``; ``sheet`` and ``question`` are the long
    titles of its problem sheet and question, ``sheet_short`` and ``question_short`` their
    short names, ``number`` the question's place (``"2.1"``: sheet 2, its first question);
    ``caption`` is its caption file, relative to the folder of the catalogue."""

    id: str
    sheet: str
    question: str
    caption: str
    sheet_short: str = ""
    question_short: str = ""
    number: str = ""

    @property
    def category(self) -> str:
        """The report category: the sheet's number and short name (``"2. Expressivity"``);
        the numbers keep the sheets' order where the report sorts names."""
        return f"{self.number.split('.')[0]}. {self.sheet_short}"

    @property
    def subcategory(self) -> str:
        """The report subcategory: the question's number and short name."""
        return f"{self.number} {self.question_short}"


def read_catalogue(path: str | os.PathLike) -> list[Figure]:
    """The figures of the catalogue at ``path``, in catalogue order.

    The file is a list of sheets ``{sheet, short, questions}``, each question
    ``{question, short, figures}``, each figure ``{id, caption}``. Raises
    :class:`CatalogueError` naming the file and the entry for a missing or unknown field,
    a duplicate id, a caption file that does not exist, or more than 9 sheets or 9
    questions of a sheet (the report sorts its categories by name: "10." would come
    before "2.").
    """
    path = Path(path)
    with open(path) as fh:
        sheets = load_yaml(fh)
    where = f"figure catalogue {path}"
    if not isinstance(sheets, list):
        raise CatalogueError(f"{where}: expected a list of sheets {{sheet, questions}}")
    figures: list[Figure] = []
    if len(sheets) > 9:
        raise CatalogueError(f"{where}: {len(sheets)} sheets; allowed: at most 9")
    for i, sheet in enumerate(sheets, start=1):
        _check_keys(sheet, {"sheet", "short", "questions"}, f"{where}, sheet {i}")
        if len(sheet["questions"]) > 9:
            raise CatalogueError(
                f"{where}, sheet {i}: {len(sheet['questions'])} questions; allowed: at most 9"
            )
        for j, question in enumerate(sheet["questions"], start=1):
            _check_keys(
                question, {"question", "short", "figures"}, f"{where}, sheet {i} question {j}"
            )
            for entry in question["figures"]:
                _check_keys(entry, {"id", "caption"}, f"{where}, {question['question']!r}")
                figures.append(
                    Figure(
                        entry["id"],
                        sheet["sheet"],
                        question["question"],
                        entry["caption"],
                        sheet_short=sheet["short"],
                        question_short=question["short"],
                        number=f"{i}.{j}",
                    )
                )
    ids = [f.id for f in figures]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogueError(f"{where}: figure id(s) listed twice: {', '.join(duplicates)}")
    missing = [f.caption for f in figures if not (path.parent / f.caption).is_file()]
    if missing:
        raise CatalogueError(f"{where}: caption file(s) missing: {', '.join(missing)}")
    return figures


def _check_keys(node, keys: set[str], where: str) -> None:
    """Refuse an entry that is not a mapping with exactly ``keys``."""
    if not isinstance(node, dict) or set(node) != keys:
        got = sorted(node) if isinstance(node, dict) else type(node).__name__
        raise CatalogueError(f"{where}: got {got}; allowed: exactly the keys {sorted(keys)}")
