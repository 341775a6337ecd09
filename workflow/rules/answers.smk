# The answers table: every numerical answer of the problem sheets, one part per topic,
# merged into results/answers.md, results/answers.parquet and results/answers.html (the
# table in the Snakemake report).


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
    conda:
        CONDA_ENV
    script:
        "../scripts/answers.py"
