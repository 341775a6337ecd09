"""Checks before Snakemake starts: what a run or a report would otherwise get wrong silently.

* :func:`check_output_files`: a directory standing where a rule writes a file would count
  as an up-to-date output ("Nothing to be done"); the Snakefile calls this with the
  targets of ``rule all`` (and it scans results/ for any output-named directory), so such
  a path stops the run before any job, named.
* :func:`check_report_ready`: ``make report`` without ``TARGETS`` needs every figure of
  ``rule all``; after a partial run it says which are missing and the ``TARGETS=`` that
  builds the report of what exists.
* ``python -m dltheory.preflight config FILE...``: the config files read strictly
  (:func:`dltheory.validation.check_config_files`) before ``make run`` hands them to
  Snakemake, whose own reader names neither the line of a syntax error nor a key given
  twice.

Plain functions of paths; nothing here imports Snakemake.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "OUTPUT_SUFFIXES",
    "PreflightError",
    "check_output_files",
    "check_report_ready",
    "main",
    "misplaced_directories",
    "missing_figures",
]


class PreflightError(ValueError):
    """A check before the run failed; the message names the path and the fix."""


#: what the workflow writes under results/: files only (no rule declares directory())
OUTPUT_SUFFIXES = (".png", ".pdf", ".parquet", ".md", ".html", ".log", ".zip")


def misplaced_directories(
    paths: Iterable[str] = (), workdir: str | os.PathLike = ".", root: str = "results"
) -> list[str]:
    """Directories standing where the workflow writes files, relative to ``workdir`` and
    sorted: each of ``paths`` that is a directory, and every directory under ``root``
    whose name ends in one of :data:`OUTPUT_SUFFIXES` (``results/figures/qmap.png/``)."""
    base = Path(workdir)
    found = {str(p) for p in paths if (base / p).is_dir()}
    for dirpath, dirnames, _files in os.walk(base / root):
        rel = Path(dirpath).relative_to(base)
        found.update((rel / d).as_posix() for d in dirnames if d.endswith(OUTPUT_SUFFIXES))
    return sorted(found)


def check_output_files(
    paths: Iterable[str] = (), workdir: str | os.PathLike = ".", root: str = "results"
) -> None:
    """Raise :class:`PreflightError` naming every directory of
    :func:`misplaced_directories`, with the fix."""
    bad = misplaced_directories(paths, workdir, root)
    if bad:
        what = "1 directory stands" if len(bad) == 1 else f"{len(bad)} directories stand"
        raise PreflightError(
            f"{what} where the workflow writes a file; Snakemake would take it for an "
            "up-to-date output. Remove it (rm -r <path>) and run again:\n"
            + "\n".join(f"  {path}/" for path in bad)
        )


def missing_figures(
    catalogue: str | os.PathLike, workdir: str | os.PathLike = "."
) -> tuple[list[str], list[str]]:
    """(missing, built): the catalogue's figure ids without, and with, both
    ``results/figures/<id>.png`` and ``.pdf`` under ``workdir``."""
    from .pipeline import read_catalogue

    root = Path(workdir)
    missing, built = [], []
    for figure in read_catalogue(catalogue):
        files = [root / "results" / "figures" / f"{figure.id}.{ext}" for ext in ("png", "pdf")]
        (built if all(f.is_file() for f in files) else missing).append(figure.id)
    return missing, built


def check_report_ready(
    catalogue: str | os.PathLike, workdir: str | os.PathLike = ".", targets: Sequence[str] = ()
) -> None:
    """Before ``snakemake --report`` of ``rule all`` (no ``targets``): raise
    :class:`PreflightError` if some figure is not built, naming what is missing and the
    ``make report TARGETS="..."`` that reports the figures that exist."""
    if targets:
        return
    missing, built = missing_figures(catalogue, workdir)
    if not missing:
        return
    shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
    if built:
        fix = (
            "After a partial run, name what was built:\n"
            f'  make report TARGETS="{" ".join(built)}"\n'
            "or build the rest first (make run)."
        )
    else:
        fix = "No figure is built yet: make run first (or build some and pass TARGETS=)."
    raise PreflightError(
        f"make report: the report of rule all needs every figure, and {len(missing)} of "
        f"{len(missing) + len(built)} are not built ({shown}). {fix}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``config FILE...`` or ``report CATALOGUE [TARGET...]``; exit status 1 with the
    message on stderr when a check fails."""
    from . import validation

    args = list(sys.argv[1:] if argv is None else argv)
    usage = "usage: python -m dltheory.preflight config FILE... | report CATALOGUE [TARGET...]"
    if not args or args[0] not in ("config", "report"):
        print(usage, file=sys.stderr)
        return 2
    try:
        if args[0] == "config":
            validation.check_config_files(args[1:])
        else:
            if len(args) < 2:
                print(usage, file=sys.stderr)
                return 2
            check_report_ready(args[1], ".", args[2:])
    except (PreflightError, validation.ConfigError) as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
