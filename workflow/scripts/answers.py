"""Merge the answer parts into results/answers.{md,parquet}."""

from dltheory import answers, io

log = io.script_logger(snakemake.log[0])
table = answers.merge(snakemake.input.parts)
io.write_table(table, snakemake.output.table, schema=answers.SCHEMA)
with io.atomic_path(snakemake.output.markdown) as tmp:
    tmp.write_text(answers.to_markdown(table))
log.info("%d answers from %d parts", len(table), len(snakemake.input.parts))
