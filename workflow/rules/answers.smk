# The answers: every numerical answer of the problem sheets, one part per topic. Each
# section (a problem sheet or set of exercises) has its own target, answers_<section>,
# which builds only the parts of that section; `answers` merges every part into
# results/answers.md, results/answers.parquet and results/answers.html (the table in the
# Snakemake report). Each document opens with what made it: config file, digest of the
# config values the answers come from, commit.


#: the section of each answers part (results/answers/<part>.parquet), in sheet order,
#: and the sections' titles
SECTIONS = {
    "sheet2": ("Problem Sheet 2", ["meanfield", "networks"]),
    "saxe": ("deep linear networks (Saxe et al. 2014)", ["saxe"]),
    "ttic": ("TTIC 31230 Highways problems", ["initialisation"]),
    "finite": ("finite width", ["finite_width"]),
    "trainable": ("trainability", ["trainability"]),
    "geom": (
        "geometry of random networks: gradient covariance and curvature",
        ["geometry"],
    ),
}
ANSWER_SECTIONS = {
    name: [f"results/answers/{part}.parquet" for part in parts]
    for name, (_, parts) in SECTIONS.items()
}
ANSWER_TITLES = {name: title for name, (title, _) in SECTIONS.items()}
check_answer_sections(ANSWER_PARTS, ANSWER_SECTIONS)


rule answers:
    input:
        parts=ANSWER_PARTS,
        code=code_inputs("answers.py"),
    output:
        markdown="results/answers.md",
        table="results/answers.parquet",
        html=report(
            "results/answers.html",
            caption="../report/answers.rst",
            category="Answers",
            labels={"table": "answers"},
        ),
    log:
        "results/logs/answers.log",
    benchmark:
        "results/benchmarks/answers.tsv"
    conda:
        CONDA_ENV
    params:
        configfiles=CONFIG_FILES,
        title="Answers",
    script:
        "../scripts/answers.py"


# After a partial run: results/answers.md from the parts that exist, listing the missing
# sections with the command that builds each (`snakemake answers_available`).
ruleorder: answers > answers_available


rule answers_available:
    input:
        parts=lambda w: [p for p in ANSWER_PARTS if Path(p).exists()],
        code=code_inputs("answers.py"),
    output:
        markdown="results/answers.md",
        table="results/answers.parquet",
        html="results/answers.html",
    log:
        "results/logs/answers.log",
    benchmark:
        "results/benchmarks/answers_available.tsv"
    conda:
        CONDA_ENV
    params:
        configfiles=CONFIG_FILES,
        title="Answers",
        missing=lambda w: {
            name: f"snakemake --cores 2 answers_{name}"
            for name, parts in ANSWER_SECTIONS.items()
            if not all(Path(p).exists() for p in parts)
        },
    script:
        "../scripts/answers.py"


rule answers_section:
    input:
        parts=lambda w: ANSWER_SECTIONS[w.section],
        code=code_inputs("answers.py"),
    output:
        markdown="results/answers/sections/{section}.md",
        table="results/answers/sections/{section}.parquet",
        html="results/answers/sections/{section}.html",
    log:
        "results/logs/answers/{section}.log",
    benchmark:
        "results/benchmarks/answers/{section}.tsv"
    conda:
        CONDA_ENV
    params:
        configfiles=CONFIG_FILES,
        title=lambda w: f"Answers: {ANSWER_TITLES[w.section]}",
    script:
        "../scripts/answers.py"


rule answers_sheet2:
    input:
        "results/answers/sections/sheet2.md",


rule answers_saxe:
    input:
        "results/answers/sections/saxe.md",


rule answers_ttic:
    input:
        "results/answers/sections/ttic.md",


rule answers_finite:
    input:
        "results/answers/sections/finite.md",


rule answers_trainable:
    input:
        "results/answers/sections/trainable.md",


rule answers_geom:
    input:
        "results/answers/sections/geom.md",
