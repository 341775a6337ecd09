# Shared helpers of the workflow (config validation with readable errors, package
# source tracking, the list of figure targets).


import jsonschema
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

SRC = "src/dltheory"
#: ids of the figure target rules, appended to by each rule file (in catalogue order)
FIGURE_IDS = []
#: parts of the answers table, one Parquet per rule file that answers questions
ANSWER_PARTS = []
ANSWER_TABLES = ["results/answers.md", "results/answers.parquet"]


def pkg(*modules):
    """Source files of package modules a rule depends on (edits rerun the rule)."""
    return [f"{SRC}/__init__.py"] + [f"{SRC}/{m}.py" for m in modules]


def figure_outputs(figure_id):
    """PNG (in the Snakemake report, captioned by workflow/report/<id>.rst) and PDF.

    Called from workflow/rules/*.smk: the caption path is relative to the calling file.
    """
    png = report(
        f"results/figures/{figure_id}.png",
        caption=f"../report/{figure_id}.rst",
        category="Figures",
        labels={"figure": figure_id},
    )
    return [png, f"results/figures/{figure_id}.pdf"]


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
