"""Merge the answer parts into results/answers.{md,parquet}."""

from dltheory import answers, io

job = io.job()
log = job.log
table = answers.merge(job.input.parts)
io.write_table(table, job.output.table, schema=answers.SCHEMA)
with io.atomic_path(job.output.markdown) as tmp:
    tmp.write_text(answers.to_markdown(table))
log.info("%d answers from %d parts", len(table), len(job.input.parts))
