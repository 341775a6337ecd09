# Shared helpers of the workflow: config validation with readable errors, the code
# inputs of every rule (derived from its script's imports), the list of figure targets.


import ast
import functools
import os
import re
from pathlib import Path

import jsonschema
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.utils import validate

SRC = "src/dltheory"
PACKAGE = "dltheory"
#: ids of the figure target rules, appended to by each rule file (in catalogue order)
FIGURE_IDS = []
#: parts of the answers table, one Parquet per rule file that answers questions
ANSWER_PARTS = []
ANSWER_TABLES = [
    "results/answers.md",
    "results/answers.parquet",
    "results/answers.html",
]


@functools.cache
def _imported_modules(path):
    """Subject modules of the package that the Python file ``path`` imports, by name.

    Reads the file's syntax tree (every import statement, also inside functions):
    ``import dltheory.x``, ``from dltheory import x``, ``from dltheory.x import y`` and,
    inside the package, ``from . import x`` and ``from .x import y``.
    """
    tree = ast.parse(Path(path).read_text(), filename=str(path))
    inside = Path(path).resolve().parent == Path(SRC).resolve()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE and len(parts) > 1:
                    found.add(parts[1])
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.split(".")[0] == PACKAGE:
                parts = node.module.split(".")
            elif node.level == 1 and inside:
                parts = [PACKAGE, *(node.module.split(".") if node.module else [])]
            else:
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:  # from dltheory import x: x is a module or a name of __init__
                found.update(alias.name for alias in node.names)
    return frozenset(m for m in found if Path(SRC, f"{m}.py").exists())


@functools.cache
def code_inputs(script):
    """Package source files a script reaches through its imports, transitively, sorted.

    Every rule gets these as its ``code`` input (see the Snakefile), so editing a module
    reruns exactly the rules whose script imports it directly or through other modules.
    """
    todo, seen = list(_imported_modules(script)), set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_imported_modules(f"{SRC}/{name}.py"))
    return [f"{SRC}/__init__.py"] + [f"{SRC}/{m}.py" for m in sorted(seen)]


#: the software environment of every job (with --software-deployment-method conda)
CONDA_ENV = "envs/science.yaml"


def apply_rule_defaults(rules):
    """What every rule has unless it says otherwise, set once after all rule files are read.

    * ``code`` input: the package files its script reaches (:func:`code_inputs`);
    * ``conda:`` the one environment file, :data:`CONDA_ENV`.

    (``threads: 1`` is Snakemake's default; ``mem_mb`` and ``runtime`` defaults are in
    profiles/default/config.yaml.) Rules without an ``input`` section have no input path
    modifier yet; they get the workflow's, the one Snakemake would give it. This uses the
    pinned Snakemake's rule objects; tests/test_workflow.py checks the effect.
    """
    for rule_ in rules:
        basedir = Path(rule_.basedir.get_path_or_uri(secret_free=True))
        if not rule_.conda_env and not rule_.is_run:
            rule_.conda_env = os.path.relpath(Path(CONDA_ENV).resolve(), basedir)
        if rule_.script:
            if rule_.input_modifier is None:
                rule_.input_modifier = workflow.modifier.path_modifier
            rule_.set_input(code=code_inputs(str(basedir / rule_.script)))


#: the report's grouping of the figures: problem sheet -> question -> figure ids
REPORT_SECTIONS = "workflow/report/sections.yaml"


@functools.cache
def report_section(figure_id):
    """(category, subcategory) of a figure in the report: its problem sheet and question.

    Read from :data:`REPORT_SECTIONS`; a figure missing there goes to "Other figures".
    """
    with open(Path(workflow.basedir) / REPORT_SECTIONS) as fh:
        sheets = yaml.safe_load(fh)
    for sheet, questions in sheets.items():
        for question, ids in questions.items():
            if figure_id in ids:
                return sheet, question
    return "Other figures", None


def figure_outputs(figure_id):
    """PNG (in the Snakemake report, captioned by workflow/report/<id>.rst) and PDF.

    Called from workflow/rules/*.smk: the caption path is relative to the calling file.
    """
    sheet, question = report_section(figure_id)
    png = report(
        f"results/figures/{figure_id}.png",
        caption=f"../report/{figure_id}.rst",
        category=sheet,
        subcategory=question,
        labels={"figure": figure_id},
    )
    return [png, f"results/figures/{figure_id}.pdf"]


#: the hidden temporary of dltheory.io.atomic_path: .<stem>.<8 random characters>.tmp<suffix>
_TEMPORARY = re.compile(r"\.(?P<stem>.+)\.[a-z0-9_]{8}\.tmp(?P<suffix>\.[^.]*)?")


def remove_stale_temporaries(jobs):
    """Delete the hidden temporaries that interrupted writes left beside these jobs' outputs.

    dltheory.io.atomic_path writes ``.<stem>.<8 random characters>.tmp<suffix>`` next to
    its target and renames it over the target only when the write is complete; a SIGKILL or
    a lost node during the write leaves the temporary behind. Called at the start of a run
    (``onstart:`` in the Snakefile), when Snakemake holds the lock on these outputs, so no
    other run writes them; a writer that outlived a killed run loses its rename, and its
    job, incomplete, is rerun. Each folder is listed once. Returns the removed paths.
    """
    targets = {}
    for job in jobs:
        for out in job.output:
            targets.setdefault(Path(out).parent, set()).add(Path(out).name)
    removed = []
    for folder, names in targets.items():
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            match = _TEMPORARY.fullmatch(path.name)
            if match and match["stem"] + (match["suffix"] or "") in names:
                path.unlink(missing_ok=True)
                removed.append(path)
    if removed:
        logger.info(
            f"Removed {len(removed)} stale temporary file(s) of interrupted writes."
        )
    return removed


def figure_targets():
    """Plain paths of every figure for the default target (report flags: figure rules)."""
    return [
        f"results/figures/{fid}.{ext}" for fid in FIGURE_IDS for ext in ("png", "pdf")
    ]


def _describe_rule(error):
    """What the failing schema keyword allows, in words."""
    kw, val = error.validator, error.validator_value
    if kw == "enum":
        return "allowed values: " + ", ".join(map(str, val))
    if kw == "minimum":
        return f"allowed: a number >= {val}"
    if kw == "exclusiveMinimum":
        return f"allowed: a number > {val}"
    if kw in ("maximum", "exclusiveMaximum"):
        return f"allowed: a number {'<=' if kw == 'maximum' else '<'} {val}"
    if kw == "type":
        return f"allowed type: {val}"
    if kw == "minItems":
        return f"allowed: a list of at least {val} item(s)"
    if kw == "required":
        return f"required keys: {', '.join(val)}"
    if kw == "additionalProperties":
        return "allowed keys: " + ", ".join(sorted(error.schema.get("properties", {})))
    return f"schema keyword {kw} = {val}"


def validate_config(config, schema_path):
    """Validate ``config`` against the JSON schema; stop with every error, by key."""
    with open(schema_path) as fh:
        schema = yaml.safe_load(fh)
    validator_cls = jsonschema.validators.validator_for(schema)
    errors = sorted(
        validator_cls(schema).iter_errors(config), key=lambda e: list(e.path)
    )
    if errors:
        lines = []
        for err in errors:
            key = ".".join(str(p) for p in err.absolute_path) or "<top level>"
            lines.append(f"  config key '{key}': {err.message}; {_describe_rule(err)}")
        raise WorkflowError(
            f"Invalid configuration ({len(errors)} error(s), checked against {schema_path}):\n"
            + "\n".join(lines)
        )
    # snakemake's own validation as well (fills schema defaults)
    validate(config, schema_path)
