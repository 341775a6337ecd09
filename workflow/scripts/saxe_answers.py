"""Answers of the Saxe sheet (learning dynamics of deep linear networks)."""

from dltheory import io, saxe
from dltheory.answers import write_part

job = io.job()
log = job.log
rows = saxe.answers(
    io.read_table(job.input.exercise1),
    io.read_table(job.input.tree),
    job.cfg,
)
for row in rows:
    log.info("%s: %s", row.id, row.answer)
write_part(rows, job.output[0], params=job.params)
