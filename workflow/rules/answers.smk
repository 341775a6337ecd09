# The answers table: every numerical answer of the problem sheets, one part per topic,
# merged into results/answers.md and results/answers.parquet.


rule answers:
    input:
        parts=ANSWER_PARTS,
        code=pkg("answers", "io"),
    output:
        markdown="results/answers.md",
        table="results/answers.parquet",
    log:
        "results/logs/answers.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/answers.py"
