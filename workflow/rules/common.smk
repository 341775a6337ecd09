# Shared helpers of the workflow: config validation with readable errors, the code
# inputs of every rule (derived from its script's imports), the list of figure targets.


import ast
import difflib
import functools
import math
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


def chunk_indices(n, size):
    """Indices 0..n-1 in consecutive groups of at most ``size``: one sweep job per group.

    A long sweep split this way writes one table per group, so an interruption loses at
    most the groups that were running, and a cluster runs the groups side by side.
    """
    return [list(range(i, min(i + size, n))) for i in range(0, n, size)]


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
        allowed = sorted(error.schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in allowed]
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            if close:
                hints.append(f"did you mean '{close[0]}' for '{key}'?")
        return " ".join(hints + ["allowed keys: " + ", ".join(allowed)])
    return f"schema keyword {kw} = {val}"


def _non_finite(node, path=()):
    """Config keys whose value is a NaN or an infinity (YAML .nan / .inf)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _non_finite(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _non_finite(value, (*path, i))
    elif isinstance(node, float) and not math.isfinite(node):
        yield ".".join(map(str, path)), node


def _ranges(node, path=()):
    """Every {min, max, n} grid of the config, with its key."""
    if isinstance(node, dict):
        if {"min", "max", "n"} <= set(node):
            yield ".".join(map(str, path)), node
        for key, value in node.items():
            yield from _ranges(value, (*path, key))


def semantic_errors(config):
    """What the JSON schema cannot say: finite numbers, ordered ranges, matrix shapes."""
    errors = [
        f"  config key '{key}': {value} is not a finite number; allowed: finite numbers only"
        for key, value in _non_finite(config)
    ]
    for key, grid in _ranges(config):
        if all(isinstance(grid[k], (int, float)) for k in ("min", "max")) and not (
            grid["min"] < grid["max"]
        ):
            errors.append(
                f"  config key '{key}': min = {grid['min']} is not below max = {grid['max']}; "
                "allowed: min < max"
            )
    ex = config.get("saxe", {}).get("exercise1", {})
    if "sigma_x" in ex and "sigma_yx" in ex:
        rows_x, rows_yx = ex["sigma_x"], ex["sigma_yx"]
        n_in = len(rows_yx[0]) if rows_yx else 0
        if any(len(r) != n_in for r in rows_yx):
            errors.append(
                "  config key 'saxe.exercise1.sigma_yx': rows of unequal length; "
                "allowed: a rectangular (outputs x inputs) matrix"
            )
        if any(len(r) != len(rows_x) for r in rows_x) or len(rows_x) != n_in:
            shape = f"{len(rows_x)}x{'/'.join(sorted({str(len(r)) for r in rows_x}))}"
            errors.append(
                f"  config key 'saxe.exercise1.sigma_x': a {shape} matrix; allowed: a square "
                f"{n_in}x{n_in} matrix (inputs x inputs, the columns of sigma_yx)"
            )
    return errors


# -- memory: a lower estimate of each sweep's peak against its rule's mem_mb ----------
# Conservative (low) per-item costs: they catch sizes that cannot fit (a depth of 1e7, a
# grid of 1e7 points, a tree of 2^40 items) before any job, not a tight budget.
# bytes per grid point of a vectorised Gaussian quadrature (256 nodes)
_QUAD_POINT = 2048
_ROW = 64  # bytes per row of a tidy table
_F64 = 8


def _net(section, settings_key, inputs_key):
    """Rows (settings x layers x inputs x nets) and weights (3 N^2) of a network sweep."""

    def estimate(c):
        s = c["networks"][section]
        settings = len(s.get(settings_key, [1])) if settings_key else 1
        inputs = len(s[inputs_key]) if inputs_key in s else s.get(inputs_key, 1)
        width = max(s.get("widths", [s.get("width", 1)]))
        rows = settings * (s.get("depth", 1) + 1) * inputs * s.get("n_seeds", 1)
        return rows * _ROW + 3 * width**2 * _F64

    return estimate


MEMORY_ESTIMATES = {
    # rule: (estimate(config) in bytes, the config keys that set it)
    "qmap_theory": (
        lambda c: c["qmap"]["n_theory"] * len(c["qmap"]["sigma_w"]) * _QUAD_POINT,
        "qmap.n_theory",
    ),
    "qmap_simulation": (
        lambda c: c["qmap"]["width"]
        * (4 * c["qmap"]["n_sim"] + 3 * c["qmap"]["width"])
        * _F64,
        "qmap.width, qmap.n_sim",
    ),
    "meanfield_phase_theory": (
        lambda c: c["meanfield"]["phase_diagram"]["sigma_w"]["n"]
        * c["meanfield"]["phase_diagram"]["sigma_b"]["n"]
        * _QUAD_POINT,
        "meanfield.phase_diagram.sigma_w.n, meanfield.phase_diagram.sigma_b.n",
    ),
    "meanfield_edge_theory": (
        lambda c: c["meanfield"]["edge_of_chaos"]["q_star"]["n"]
        * len(c["meanfield"]["edge_of_chaos"]["activations"])
        * _QUAD_POINT,
        "meanfield.edge_of_chaos.q_star.n",
    ),
    "meanfield_cmap_theory": (
        lambda c: c["meanfield"]["cmap"]["n_theory"]
        * len(c["meanfield"]["cmap"]["sigma_w"])
        * _QUAD_POINT,
        "meanfield.cmap.n_theory",
    ),
    "networks_qstar_simulation": (
        _net("qstar_empirical", "widths", "q0"),
        "networks.qstar_empirical.depth, widths, n_seeds",
    ),
    "networks_q_dynamics_simulation": (
        _net("q_dynamics", "sigma_w", "q0"),
        "networks.q_dynamics.depth, width, n_seeds",
    ),
    "networks_c_dynamics_simulation": (
        _net("c_dynamics", "sigma_w", "c0"),
        "networks.c_dynamics.depth, width, n_seeds",
    ),
    "networks_correlation_layers_simulation": (
        _net("correlation_layers", "sigma_w_factor", "c0"),
        "networks.correlation_layers.depth, width, n_seeds",
    ),
    "networks_gradient_simulation": (
        lambda c: _net("gradients", "sigma_w_factor", "batch")(c)
        + len(c["networks"]["gradients"]["sigma_w_factor"])
        * c["networks"]["gradients"]["depth"]
        * (
            c["networks"]["gradients"]["width"] ** 2
            + c["networks"]["gradients"]["n_sample"]
        )
        * _F64,
        "networks.gradients.depth, width, n_sample",
    ),
    "networks_dw_simulation": (
        lambda c: _net("dw", "sigma_w_factor", "n_seeds")(c)
        + c["networks"]["dw"]["depth"] * c["networks"]["dw"]["width"] ** 2 * _F64,
        "networks.dw.depth, width",
    ),
    "networks_trajectory_simulation": (
        lambda c: c["networks"]["trajectory_length"]["n_points"]
        * c["networks"]["trajectory_length"]["width"]
        * 3
        * _F64
        + _net("trajectory_length", "sigma_w", "n_points")(c),
        "networks.trajectory_length.n_points, width, depth",
    ),
    "networks_jacobian_simulation": (
        lambda c: 4
        * c["networks"]["jacobian_spectrum"]["width"] ** 2
        * _F64
        * len(c["networks"]["jacobian_spectrum"]["depths"]),
        "networks.jacobian_spectrum.width",
    ),
    "networks_depth_scales_simulation": (
        lambda c: _net("depth_scales", "sigma_w2", "n_inputs")(c)
        * c["networks"]["depth_scales"]["n_inputs"],
        "networks.depth_scales.depth, n_inputs, width",
    ),
    "networks_dropout_simulation": (
        _net("dropout", "rho", "c0"),
        "networks.dropout.depth, width, n_seeds",
    ),
    "saxe_tree_simulation": (
        lambda c: (c["saxe"]["tree"]["branching"] ** c["saxe"]["tree"]["depth"])
        * (
            c["saxe"]["tree"]["n_features"]
            + c["saxe"]["tree"]["branching"] ** c["saxe"]["tree"]["depth"]
        )
        * _F64,
        "saxe.tree.depth, saxe.tree.branching",
    ),
    "init_unit_simulation": (
        lambda c: c["initialisation"]["unit"]["n_samples"]
        * max(c["initialisation"]["unit"]["d_x"])
        * 3
        * _F64,
        "initialisation.unit.n_samples, d_x",
    ),
    "resnet_variance_simulation": (
        lambda c: 2
        * c["initialisation"]["resnet"]["n_networks"]
        * c["initialisation"]["resnet"]["batch"]
        * c["initialisation"]["resnet"]["channels"]
        * c["initialisation"]["resnet"]["image"] ** 2
        * (c["initialisation"]["resnet"]["n_layers"] + 1)
        * _F64,
        "initialisation.resnet.n_networks, batch, image, n_layers",
    ),
}


def memory_errors(config, rules):
    """Sweeps whose estimated memory exceeds their rule's ``mem_mb``, by config key."""
    errors = []
    for name, (estimate, keys) in MEMORY_ESTIMATES.items():
        if name not in rules:
            continue
        mem_mb = rules[name].resources.get("mem_mb")
        mem_mb = getattr(mem_mb, "value", mem_mb)  # Snakemake 9 wraps it in a Resource
        try:
            need_mb = estimate(config) / 2**20
        except (KeyError, TypeError, ValueError, OverflowError):
            continue  # the schema reports missing or mistyped keys
        if isinstance(mem_mb, (int, float)) and need_mb > mem_mb:
            errors.append(
                f"  config key(s) {keys}: rule {name} would need at least "
                f"{need_mb:,.0f} MB, more than its mem_mb = {mem_mb:,} MB; allowed: "
                "smaller sizes (or raise the rule's mem_mb in its rule file)"
            )
    return errors


def check_memory(config, workflow):
    """Stop before any job when a sweep cannot fit in its rule's memory (see above)."""
    lines = memory_errors(config, {r.name: r for r in workflow.rules})
    if lines:
        raise WorkflowError(
            f"Configuration too large ({len(lines)} sweep(s)):\n" + "\n".join(lines)
        )


def validate_config(config, schema_path):
    """Validate ``config`` against the JSON schema; stop with every error, by key."""
    with open(schema_path) as fh:
        schema = yaml.safe_load(fh)
    validator_cls = jsonschema.validators.validator_for(schema)
    errors = sorted(
        validator_cls(schema).iter_errors(config), key=lambda e: list(e.path)
    )
    lines = []
    for err in errors:
        key = ".".join(str(p) for p in err.absolute_path) or "<top level>"
        lines.append(f"  config key '{key}': {err.message}; {_describe_rule(err)}")
    if not errors:
        lines = semantic_errors(config)
    if lines:
        raise WorkflowError(
            f"Invalid configuration ({len(lines)} error(s), checked against {schema_path}):\n"
            + "\n".join(lines)
        )
    # snakemake's own validation as well (fills schema defaults)
    validate(config, schema_path)
