# dltheory: theory of deep networks at and after initialisation.
#
# Thin entry point: configuration and its validation, the rule files by paper, and
# `rule all`. The science lives in src/dltheory; the rules only wire data to it.


import os

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

from dltheory import preflight

min_version("9.0")

# Paths of the workflow (config.yaml, src/, results/) are relative to the working
# directory, which must therefore be the directory of this file.
if not os.path.samefile(os.getcwd(), workflow.basedir):
    raise WorkflowError(
        f"run Snakemake in the workflow's directory: cd {workflow.basedir} (the working "
        f"directory is {os.getcwd()}; -s/--snakefile from elsewhere is not supported)"
    )

# Jobs write the bytecode of what they import (once, into the venv and src/): with
# PYTHONDONTWRITEBYTECODE set (some machines set it for everything) every job would
# compile its libraries and the package again, about 0.6 s of CPU per job.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


configfile: "config.yaml"


include: "workflow/rules/common.smk"


# Every config error, by key, before any rule reads the config (dltheory.validation).
check_config(config, "workflow/schemas/config.schema.yaml")


# The report's front page: what it holds and the starred derivations of Sheet 2.
report: "workflow/report/workflow.rst"


# Rule files by paper; the figures and their report sections are listed in
# workflow/catalogue.yaml.
include: "workflow/rules/poole.smk"
include: "workflow/rules/schoenholz.smk"
include: "workflow/rules/pennington_raghu.smk"
include: "workflow/rules/saxe.smk"
include: "workflow/rules/ttic.smk"
include: "workflow/rules/finite_width.smk"
include: "workflow/rules/trainability.smk"
include: "workflow/rules/geometry.smk"
include: "workflow/rules/answers.smk"
include: "workflow/rules/book.smk"


# Sweeps whose memory estimate exceeds their rule's mem_mb stop the run here, before any
# job (each rule states its estimate beside its mem_mb; see common.smk).
check_memory()


# A directory standing where a rule writes a file would pass for an up-to-date output
# ("Nothing to be done"): it stops the run here, before any job, named.
try:
    preflight.check_output_files(figure_targets() + ANSWER_TABLES)
except preflight.PreflightError as err:
    raise WorkflowError(str(err)) from None


rule all:
    default_target: True
    input:
        figure_targets(),
        ANSWER_TABLES,
        expand("results/answers/sections/{section}.md", section=ANSWER_SECTIONS),
        "results/solutions.html",
