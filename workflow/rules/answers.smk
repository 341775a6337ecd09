# The answers table: every numerical answer of the problem sheets, one part per topic,
# merged into results/answers.md and results/answers.parquet.


rule answers:
    input:
        parts=ANSWER_PARTS,
    output:
        markdown="results/answers.md",
        table="results/answers.parquet",
    log:
        "results/logs/answers.log",
    script:
        "../scripts/answers.py"
