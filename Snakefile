# dltheory: theory of deep networks at and after initialisation.
#
# Thin entry point: configuration and its validation, the rule files by paper, and
# `rule all`. The science lives in src/dltheory; the rules only wire data to it.


from snakemake.utils import min_version

min_version("8.0")


configfile: "config.yaml"


include: "workflow/rules/common.smk"


validate_config(config, "workflow/schemas/config.schema.yaml")


# The report's front page: what it holds and the starred derivations of Sheet 2.
report: "workflow/report/workflow.rst"


# Rule files by paper; each appends its figure ids to FIGURE_IDS (catalogue order).
include: "workflow/rules/poole.smk"
include: "workflow/rules/schoenholz.smk"
include: "workflow/rules/pennington_raghu.smk"
include: "workflow/rules/saxe.smk"
include: "workflow/rules/ttic.smk"
include: "workflow/rules/finite_width.smk"
include: "workflow/rules/trainability.smk"
include: "workflow/rules/answers.smk"


# Code inputs derived from each script's imports, and the one conda environment.
apply_rule_defaults(workflow.rules)
# Sweeps that cannot fit in their rule's memory stop the run here, before any job.
check_memory(config, workflow)


# Hidden temporaries of interrupted writes beside this run's outputs go first (the run
# holds its lock by now).
onstart:
    remove_stale_temporaries(workflow.dag.jobs)


rule all:
    default_target: True
    input:
        figure_targets(),
        ANSWER_TABLES,
