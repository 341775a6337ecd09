# What the rule files share. Config validation (dltheory.validation), the code inputs
# of each job (dltheory.pipeline.code_inputs), the one conda environment, the figure
# catalogue (workflow/catalogue.yaml) and the memory check of the sweeps
# (dltheory.memory). The logic lives in the package; this file wires it to Snakemake.


import os
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from dltheory import memory, pipeline, provenance, validation

#: the package whose modules are the rules' code inputs, relative to the working directory
PACKAGE_DIR = "src/dltheory"
#: the workflow scripts, relative to the Snakefile
SCRIPTS_DIR = "workflow/scripts"
#: the software environment of every job, relative to the rule files in workflow/rules
#: (with --software-deployment-method conda), named in every rule with a script
CONDA_ENV = "../../envs/science.yaml"
#: every figure: id, report section and caption
CATALOGUE = "workflow/catalogue.yaml"
#: parts of the answers table, one Parquet per rule file that answers questions
ANSWER_PARTS = []
#: the config files of this run, as given (for the provenance of the answers)
CONFIG_FILES = [os.path.relpath(f) for f in workflow.overwrite_configfiles] or [
    "config.yaml"
]
ANSWER_TABLES = [
    "results/answers.md",
    "results/answers.parquet",
    "results/answers.html",
]


def check_config(config, schema_path):
    """Stop before any job with every config error, by key (dltheory.validation): the
    config files read strictly (a key given twice, with its lines), nested --config
    values read as YAML; then Snakemake's own validation, which fills the defaults."""
    try:
        validation.check_config_files(workflow.configfiles)
        validation.apply_config_args(
            config, getattr(workflow.config_settings, "config_args", None)
        )
        validation.validate_config(config, Path(workflow.basedir) / schema_path)
    except validation.ConfigError as err:
        raise WorkflowError(str(err)) from None
    validate(config, schema_path)


def check_answer_sections(parts, sections):
    """Every answers part belongs to exactly one section (answers.smk)."""
    placed = [p for paths in sections.values() for p in paths]
    stray = sorted(set(parts) ^ set(placed)) + sorted(
        {p for p in placed if placed.count(p) > 1}
    )
    if stray:
        raise WorkflowError(
            f"answers parts not in exactly one section of workflow/rules/answers.smk: {stray}"
        )


def code_inputs(script):
    """The package files ``workflow/scripts/<script>`` reaches through its imports: each
    rule's ``code`` input, so editing a module reruns exactly the rules that use it."""
    return pipeline.code_inputs(
        Path(workflow.basedir) / SCRIPTS_DIR / script, PACKAGE_DIR
    )


FIGURES = {
    figure.id: figure
    for figure in pipeline.read_catalogue(Path(workflow.basedir) / CATALOGUE)
}


def figure_outputs(figure_id):
    """PNG (in the Snakemake report, with its rendered caption and the catalogue's
    section), PDF, and the rendered caption (reST)."""
    if figure_id not in FIGURES:
        raise WorkflowError(
            f"figure {figure_id!r} is not in {CATALOGUE}; add it there with its sheet, "
            "question and caption file"
        )
    caption = f"results/figures/{figure_id}.rst"
    png = report(
        f"results/figures/{figure_id}.png",
        # the caption the figure's job rendered for this config (a path from this file)
        caption=os.path.relpath(caption, Path(workflow.basedir) / "workflow" / "rules"),
        category=FIGURES[figure_id].category,
        subcategory=FIGURES[figure_id].subcategory,
        labels={"figure": figure_id, "question": FIGURES[figure_id].question},
    )
    return [png, f"results/figures/{figure_id}.pdf", caption]


def caption_template(figure_id):
    """The caption template of a figure (Jinja2 over reST), an input of its rule: the
    figure's job renders it with the numbers of this build. Relative to the workflow's
    directory (where Snakemake runs): a moved checkout reruns nothing."""
    return os.path.join("workflow", FIGURES[figure_id].caption)


def config_slice(section, *keys):
    """The keys ``keys`` of config section ``section`` (dotted), for a rule's params:
    a rule passes only the keys its script reads, so that changing any other key
    does not rerun it; its outputs record them (dltheory.provenance)."""
    try:
        return provenance.config_slice(config, section, keys)
    except KeyError as err:
        raise WorkflowError(f"workflow rule asks for config {err}") from None


def figure_targets():
    """Plain paths of every catalogue figure, for the default target."""
    return [f"results/figures/{fid}.{ext}" for fid in FIGURES for ext in ("png", "pdf")]


def chunk_indices(n, size):
    """Indices 0..n-1 in consecutive groups of at most ``size``: one sweep job per group.

    A long sweep split this way writes one table per group, so an interruption loses at
    most the groups that were running, and a cluster runs the groups side by side.
    """
    return [list(range(i, min(i + size, n))) for i in range(0, n, size)]


#: every `mem_mb` of a rule is MEMORY.budget(<its name>, <mem_mb>, <its estimate>), which
#: is the mem_mb itself; a config whose estimate (dltheory.memory) needs more is refused
#: by check_memory() in the Snakefile, before any job
MEMORY = memory.MemoryCheck(config)


def check_memory():
    """Stop before any job when a sweep cannot fit in its rule's memory."""
    lines = MEMORY.errors()
    if lines:
        raise WorkflowError(
            f"Configuration too large ({len(lines)} sweep(s)):\n" + "\n".join(lines)
        )
