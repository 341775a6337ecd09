"""Merge answer parts into one answers document (Markdown, Parquet, HTML) with its provenance."""

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import answers

        log = job.log
        table = answers.merge(job.input.parts)
        header = answers.provenance_lines(job.provenance, job.params.configfiles)
        for section, command in (job.params.get("missing") or {}).items():
            header.append((f"missing section {section}", f"build it with: {command}"))
        title = job.params.title
        # with the job's params, so the table carries its provenance like every other
        job.write_table(table, job.output.table, schema=answers.SCHEMA, require_numbers=False)
        with io.atomic_path(job.output.markdown) as tmp:
            tmp.write_text(answers.to_markdown(table, header, title))
        with io.atomic_path(job.output.html) as tmp:
            tmp.write_text(answers.to_html(table, header, title))
        log.info("%d answers from %d parts", len(table), len(job.input.parts))
