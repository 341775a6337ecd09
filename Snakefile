# dltheory: theory of deep networks at and after initialisation.
#
# Thin entry point: configuration and its validation, the rule files by topic, and
# `rule all`. The science lives in src/dltheory; the rules only wire data to it.


from snakemake.utils import min_version

min_version("8.0")


configfile: "config.yaml"


include: "workflow/rules/common.smk"


validate_config(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/meanfield.smk"
include: "workflow/rules/initialisation.smk"
include: "workflow/rules/networks.smk"
include: "workflow/rules/networks_meanfield.smk"
include: "workflow/rules/saxe.smk"
include: "workflow/rules/answers.smk"


rule all:
    default_target: True
    input:
        figure_targets(),
        ANSWER_TABLES,
