"""The solutions book: results/solutions.html, every question of the sheets with its
answers and figures (dltheory.book), one self-contained file."""

from pathlib import Path

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import book, pipeline

        params = job.params
        contents = book.collect(
            pipeline.read_catalogue(job.input.catalogue),
            Path(job.output.html).parent,  # the results folder
            params.sections,
            params.titles,
            configfiles=params.configfiles,
            config=getattr(snakemake, "config", None) or None,
        )
        with io.atomic_path(job.output.html) as tmp:
            tmp.write_text(book.render(contents, job.input.template), encoding="utf-8")
        job.log.info(
            "%d answers, %d figures; missing: %s; made under another config: %d",
            contents.n_answers,
            contents.n_figures,
            ", ".join(what for what, _ in contents.missing) or "nothing",
            len(contents.foreign),
        )
