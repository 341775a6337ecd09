"""Answers of the Saxe sheet (learning dynamics of deep linear networks)."""

from dltheory import io, saxe
from dltheory.answers import write_part

log = io.script_logger(snakemake.log[0])
rows = saxe.answers(
    io.read_table(snakemake.input.exercise1),
    io.read_table(snakemake.input.tree),
    snakemake.params.cfg,
)
for row in rows:
    log.info("%s: %s", row.id, row.answer)
write_part(rows, snakemake.output[0], params=snakemake.params)
