# What the rule files share. Config validation (dltheory.validation), the code inputs
# of each job (dltheory.pipeline.code_inputs), the one conda environment, the figure
# catalogue (workflow/catalogue.yaml) and the memory check of the sweeps
# (dltheory.memory). The logic lives in the package; this file wires it to Snakemake.


from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from dltheory import memory, pipeline, validation

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
    """PNG (in the Snakemake report, with the catalogue's caption and section) and PDF.

    Called from workflow/rules/*.smk: the caption path is relative to the calling file.
    """
    if figure_id not in FIGURES:
        raise WorkflowError(
            f"figure {figure_id!r} is not in {CATALOGUE}; add it there with its sheet, "
            "question and caption file"
        )
    figure = FIGURES[figure_id]
    png = report(
        f"results/figures/{figure_id}.png",
        caption=f"../{figure.caption}",
        category=figure.sheet,
        subcategory=figure.question,
        labels={"figure": figure_id},
    )
    return [png, f"results/figures/{figure_id}.pdf"]


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
