"""Where a run's time went: its jobs by CPU time, by rule, the start-up share, the
critical path, and what the jobs not yet measured would take.

Plain script, ``make profile`` after ``make run``::

    .venv/bin/python benchmarks/profile.py [--configfile F] [--results DIR] [--top N]
                                           [--cores C] [--estimate]

What it reads, per job of the config's DAG:

* the job's benchmark file (every rule's ``benchmark:``, under ``results/benchmarks/``):
  Snakemake's TSV, whose ``s`` is the job's wall time and whose ``cpu_time`` Snakemake
  polls, so it misses the end of short jobs;
* the job's log (``results/logs/``): the lines ``start-up: W s wall, C s CPU before the
  job's first line of work`` and ``finished: W s wall, C s CPU in all`` that
  ``dltheory.io.job`` writes when the job ends (logs of older runs have the start-up line
  at the job's start, ending ``before the job's block``). A job's CPU time is that of
  its ``finished:`` line (the process's own count, exact), else the benchmark's
  ``cpu_time`` (marked); the start-up is what the process spent before its first line of
  work (interpreter, Snakemake's preamble, imports).

The jobs and their dependencies come from the dry run of the whole DAG
(``snakemake -n --forceall``, read by :func:`dltheory.pipeline.dry_run_jobs`) in the
workflow directory the results belong to: a job depends on the jobs whose outputs it
reads. Missing files and lines are shown as ``n/a`` and counted, never guessed, except
under ``--estimate``, which scales each job without a benchmark file from the measured
jobs of its rule (their mean) and says so.

(This file's name hides the standard library's ``profile`` module from what it imports;
it imports nothing that needs it.)
"""

from __future__ import annotations

import argparse
import csv
import graphlib
import os
import re
import subprocess
import sys
import textwrap
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
#: the results directory as the workflow's paths name it
RESULTS = "results"
#: the lines of dltheory.io.job in a job's log (after the logger's time and level); the
#: start-up line ends "before the job's first line of work" ("... block" in older logs)
STARTUP = re.compile(
    r"start-up: ([0-9.]+) s wall, ([0-9.]+) s CPU before the job's (?:block|first line of work)"
)
FINISHED = re.compile(r"finished: ([0-9.]+) s wall, ([0-9.]+) s CPU in all")
#: the mark of a CPU time taken from the benchmark's cpu_time, and an estimated time
FROM_BENCHMARK, ESTIMATED = "*", "~"
NA = "n/a"
#: the width that notes are wrapped at (tables are as wide as their columns)
WIDTH = 100


@dataclass
class Job:
    """One job of the DAG with what its benchmark file and log say (``None``: n/a).

    ``wall`` is the benchmark's ``s``; ``cpu`` that of the log's ``finished:`` line, or
    the benchmark's ``cpu_time`` when ``cpu_from_benchmark``; ``measured`` says whether
    the job has a benchmark file.
    """

    rule: str
    wildcards: dict[str, str]
    inputs: list[str]
    outputs: list[str]
    threads: int = 1
    measured: bool = False
    wall: float | None = None
    cpu: float | None = None
    cpu_from_benchmark: bool = False
    startup_wall: float | None = None
    startup_cpu: float | None = None
    #: the estimate of --estimate for a job without a benchmark file (wall, CPU)
    estimate: tuple[float, float] | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """The wildcards as Snakemake prints them (``a=1, b=2``), ``-`` without."""
        return ", ".join(f"{k}={v}" for k, v in self.wildcards.items()) or "-"

    @property
    def key(self) -> tuple:
        """The order of equal times: by rule, then wildcards, then outputs."""
        return (self.rule, self.label, self.outputs)

    @property
    def startup_share(self) -> float | None:
        """The start-up's share of the job's CPU time."""
        if self.startup_cpu is None or not self.cpu:
            return None
        return self.startup_cpu / self.cpu


def _float(text: str | None) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):  # "NA", "-", empty: Snakemake's missing values
        return None


def read_benchmark(path: Path) -> tuple[float | None, float | None] | None:
    """(``s``, ``cpu_time``) of the last row of a Snakemake benchmark TSV; ``None``
    without the file or without a row."""
    try:
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
    except (FileNotFoundError, IsADirectoryError):
        return None
    if not rows:
        return None
    return _float(rows[-1].get("s")), _float(rows[-1].get("cpu_time"))


def read_log(path: Path) -> dict[str, float]:
    """The ``start-up:`` and ``finished:`` numbers of the last run in a job's log.

    A log may hold the lines of several runs appended. Each run's ``start-up:`` line
    comes before its ``finished:`` line (just before it, or at the job's start in older
    logs), so a ``start-up:`` line begins a run and a ``finished:`` line before the last
    ``start-up:`` belongs to an earlier run and is left out (that run failed or is
    running). Keys ``startup_wall``,
    ``startup_cpu``, ``wall`` and ``cpu``, each only when its line is there.
    """
    found: dict[str, float] = {}
    try:
        text = path.read_text(errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return found
    for line in text.splitlines():
        if m := STARTUP.search(line):
            found = {"startup_wall": float(m.group(1)), "startup_cpu": float(m.group(2))}
        elif m := FINISHED.search(line):
            found.update(wall=float(m.group(1)), cpu=float(m.group(2)))
    return found


def under(results: Path, path: str) -> Path:
    """The file ``path`` of the workflow (``results/...``) under the directory ``results``."""
    parts = Path(path).parts
    if parts and parts[0] == RESULTS:
        return results.joinpath(*parts[1:])
    return results.parent / path


def load_jobs(blocks: Sequence[dict], results: Path) -> tuple[list[Job], list[str]]:
    """The jobs of the dry-run ``blocks`` (:func:`dltheory.pipeline.dry_run_jobs`) with
    their measurements under ``results``, in :attr:`Job.key` order; and the rules of
    the blocks without a ``benchmark:`` (``all``: a target that runs no code), left out."""
    jobs, left_out = [], []
    for block in blocks:
        if not block.get("benchmark"):
            left_out.append(block["rule"])
            continue
        job = Job(
            rule=block["rule"],
            wildcards=dict(block.get("wildcards", {})),
            inputs=list(block.get("input", [])),
            outputs=list(block.get("output", [])),
            threads=int(block.get("threads", 1)),
        )
        bench = read_benchmark(under(results, block["benchmark"][0]))
        log = read_log(under(results, block["log"][0])) if block.get("log") else {}
        if bench is not None:
            job.measured = True
            job.wall, bench_cpu = bench
            job.cpu = log.get("cpu")
            if job.cpu is None and bench_cpu is not None:
                job.cpu, job.cpu_from_benchmark = bench_cpu, True
            job.startup_wall = log.get("startup_wall")
            job.startup_cpu = log.get("startup_cpu")
        jobs.append(job)
    jobs.sort(key=lambda j: j.key)
    return jobs, sorted(set(left_out))


def benchmark_files(results: Path) -> list[Path]:
    """Every benchmark TSV under ``results/benchmarks``."""
    return sorted((results / "benchmarks").rglob("*.tsv"))


def estimate(jobs: Sequence[Job]) -> dict[str, tuple[float, float] | None]:
    """Rule -> (mean wall, mean CPU) of its measured jobs, for each rule with jobs lacking
    a benchmark file (``None``: no measured job of that rule: unknown). Sets each such
    job's :attr:`Job.estimate`.

    A scale estimate: every job of a rule is taken to cost the same, which holds for
    repeated chunks of one sweep, not for a job of another size (another config).
    """
    by_rule: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        by_rule[job.rule].append(job)
    means: dict[str, tuple[float, float] | None] = {}
    for rule, members in sorted(by_rule.items()):
        if all(j.measured for j in members):
            continue
        walls = [j.wall for j in members if j.measured and j.wall is not None]
        cpus = [j.cpu for j in members if j.measured and j.cpu is not None]
        means[rule] = (sum(walls) / len(walls), sum(cpus) / len(cpus)) if walls and cpus else None
        for job in members:
            if not job.measured and means[rule] is not None:
                job.estimate = means[rule]
    return means


def weight(job: Job) -> tuple[float, bool]:
    """A job's wall time for the path and the bound: measured, estimated (``True``) or 0."""
    if job.measured and job.wall is not None:
        return job.wall, False
    if job.estimate is not None:
        return job.estimate[0], True
    return 0.0, False


def critical_path(jobs: Sequence[Job]) -> tuple[list[Job], float]:
    """The longest chain of dependent jobs by :func:`weight` and its length (s).

    A job depends on every job one of whose outputs is among its inputs. Of equal chains
    the one of the first jobs in ``jobs``' order is taken, so the answer is deterministic.
    """
    producer = {out: i for i, job in enumerate(jobs) for out in job.outputs}
    preds = {
        i: sorted({producer[f] for f in job.inputs if producer.get(f, i) != i})
        for i, job in enumerate(jobs)
    }
    best: dict[int, tuple[float, int | None]] = {}
    for i in graphlib.TopologicalSorter(preds).static_order():
        before = max(preds[i], key=lambda p: (best[p][0], -p), default=None)
        best[i] = (weight(jobs[i])[0] + (best[before][0] if before is not None else 0.0), before)
    if not best:
        return [], 0.0
    end = max(best, key=lambda i: (best[i][0], -i))
    path, at = [], end
    while at is not None:
        path.append(jobs[at])
        at = best[at][1]
    return path[::-1], best[end][0]


def _s(value: float | None, mark: str = "") -> str:
    """Seconds as shown: two decimals and a one-character mark column, or n/a."""
    return NA + " " if value is None else f"{value:.2f}{mark or ' '}"


def _pct(part: float | None, whole: float | None) -> str:
    return NA if part is None or not whole else f"{100 * part / whole:.1f}%"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> list[str]:
    """``rows`` under ``header``, each column aligned as ``align`` says (``l`` left,
    ``r`` right: numbers), indented by two spaces."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            c.ljust(w) if a == "l" else c.rjust(w)
            for c, w, a in zip(row, widths, align, strict=True)
        ]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return lines


def _note(text: str, indent: str = "  ") -> list[str]:
    """A line of text wrapped at :data:`WIDTH`, its continuation indented two more."""
    return textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False
    )


def _sum(values) -> float:
    return sum(v for v in values if v is not None)


def report(
    jobs: Sequence[Job],
    *,
    top: int = 25,
    cores: int = 1,
    with_estimate: bool = False,
    left_out: Sequence[str] = (),
    stray: int = 0,
    where: str = "",
) -> str:
    """The profile as plain text: jobs by CPU, rules, totals, critical path, unmeasured."""
    measured = [j for j in jobs if j.measured]
    missing = [j for j in jobs if not j.measured]
    means = estimate(jobs) if with_estimate else {}
    total_cpu = _sum(j.cpu for j in measured)
    total_wall = _sum(j.wall for j in measured)
    out = [
        f"Profile{' of ' + where if where else ''}: {len(jobs)} jobs in the DAG, "
        f"{len(measured)} with a benchmark file, {len(missing)} without"
    ]
    if left_out:
        out += _note(f"not counted (no benchmark: directive, runs no code): {', '.join(left_out)}")
    if stray:
        out += _note(
            f"{stray} benchmark file(s) under the results belong to no job of this DAG "
            "(another config or a renamed rule): left out"
        )

    # 1. jobs by CPU time
    ranked = sorted(measured, key=lambda j: (j.cpu is None, -(j.cpu or 0.0), j.key))
    shown, rest = ranked[:top], ranked[top:]
    out += ["", f"Jobs by CPU time (top {len(shown)} of {len(measured)})"]
    rows = [
        [
            j.rule,
            j.label,
            _s(j.wall),
            _s(j.cpu, FROM_BENCHMARK if j.cpu_from_benchmark else ""),
            _s(j.startup_wall),
            _s(j.startup_cpu),
            _pct(j.startup_cpu, j.cpu) if j.startup_cpu is not None else NA,
        ]
        for j in shown
    ]
    header = ["rule", "wildcards", "wall s ", "CPU s ", "start-up wall s ", "start-up CPU s "]
    out += _table([*header, "start-up share of CPU"], rows, "llrrrrr")
    if rest:
        rest_cpu = _sum(j.cpu for j in rest)
        out += _note(
            f"... the other {len(rest)} jobs: {_sum(j.wall for j in rest):.2f} s wall, "
            f"{rest_cpu:.2f} s CPU ({_pct(rest_cpu, total_cpu)} of all CPU)"
        )
    if any(j.cpu_from_benchmark for j in shown):
        out += _note(
            f"{FROM_BENCHMARK} CPU from the benchmark's cpu_time (no `finished:` line in the "
            "job's log): Snakemake polls it and misses the end of short jobs, so it reads low"
        )

    # 2. by rule
    by_rule: dict[str, list[Job]] = defaultdict(list)
    for job in measured:
        by_rule[job.rule].append(job)
    rule_rows = sorted(
        ((rule, members, _sum(j.cpu for j in members)) for rule, members in by_rule.items()),
        key=lambda r: (-r[2], r[0]),
    )
    out += ["", "CPU time by rule"]
    out += _table(
        ["rule", "jobs", "wall s ", "CPU s ", "share of CPU", "start-up CPU s "],
        [
            [
                rule,
                str(len(members)),
                _s(_sum(j.wall for j in members)),
                _s(cpu),
                _pct(cpu, total_cpu),
                _s(_sum(j.startup_cpu for j in members)),
            ]
            for rule, members, cpu in rule_rows
        ],
        align="lrrrrr",
    )

    # 3. totals
    with_startup = [j for j in measured if j.startup_cpu is not None and j.cpu is not None]
    startup_cpu = _sum(j.startup_cpu for j in with_startup)
    startup_of = _sum(j.cpu for j in with_startup)
    n_bench_cpu = sum(j.cpu_from_benchmark for j in measured)
    n_no_cpu = sum(j.cpu is None for j in measured)
    n_no_startup = sum(j.startup_cpu is None for j in measured)
    n_no_wall = sum(j.wall is None for j in measured)
    cpu_note = [
        f"{n_bench_cpu} from the benchmark's cpu_time (no `finished:` line; it reads low)"
        if n_bench_cpu
        else "",
        f"{NA} for {n_no_cpu}" if n_no_cpu else "",
    ]
    out += ["", "Totals"]
    out += _table(
        ["", "", ""],
        [
            ["jobs", str(len(measured)), f"of {len(jobs)} in the DAG"],
            [
                "wall-seconds of the jobs (sum of s)",
                f"{total_wall:.2f}",
                f"{NA} for {n_no_wall}" if n_no_wall else "",
            ],
            ["CPU seconds", f"{total_cpu:.2f}", "; ".join(n for n in cpu_note if n)],
            [
                "start-up CPU seconds",
                f"{startup_cpu:.2f}",
                f"= {_pct(startup_cpu, startup_of)} of the CPU of the {len(with_startup)} "
                "jobs with a start-up line"
                + (f" ({NA} for {n_no_startup})" if n_no_startup else ""),
            ],
        ],
        align="lrl",
    )[1:]

    # 4. critical path and the bound
    path, length = critical_path(jobs)
    core_seconds = _sum(weight(j)[0] * j.threads for j in jobs)
    out += [
        "",
        f"Critical path: the longest chain of dependent jobs by wall time (benchmark s), "
        f"{len(path)} jobs",
    ]
    path_rows = []
    for job in path:
        wall, guessed = weight(job)
        shown_wall = _s(wall, ESTIMATED if guessed else "") if job.measured or guessed else NA + " "
        path_rows.append([job.rule, job.label, shown_wall])
    out += _table(["rule", "wildcards", "wall s "], [*path_rows, ["sum", "", _s(length)]], "llr")
    unmeasured_on_path = sum(not j.measured for j in path)
    if unmeasured_on_path:
        out += _note(
            f"{unmeasured_on_path} job(s) of the path without a benchmark file: "
            + (f"{ESTIMATED} estimated, unknown ones as 0 s" if with_estimate else "counted as 0 s")
        )
    bound = max(length, core_seconds / cores)
    out += [
        f"Lower bound on the run's wall time on {cores} core(s): {bound:.2f} s",
        f"  = max(critical path {length:.2f} s, core-seconds {core_seconds:.2f} s / {cores})",
    ]
    out += _note(
        "(core-seconds: each job's wall time times its threads; jobs without a benchmark "
        + ("file as estimated" if with_estimate else "file as 0 s")
        + "; Snakemake's own time between jobs comes on top)"
    )

    # 5. jobs without measurements
    out += ["", f"Jobs of the DAG without a benchmark file: {len(missing) or 'none'}"]
    if missing:
        counts: dict[str, int] = defaultdict(int)
        for job in missing:
            counts[job.rule] += 1
        measured_of = defaultdict(int)
        for job in measured:
            measured_of[job.rule] += 1
        if not with_estimate:
            out += _table(
                ["rule", "jobs", "measured jobs of the rule"],
                [[r, str(n), str(measured_of[r])] for r, n in sorted(counts.items())],
                align="lrr",
            )
            out += _note("(--estimate scales them from the measured jobs of their rule)")
        else:
            out += _note(
                f"ESTIMATE ({ESTIMATED}), not a measurement: each job is taken to cost the mean "
                "wall and CPU time of the measured jobs of its rule under these results; a job "
                "of another size (another config's sweep) can cost much more or less, and a "
                "benchmark file is read as it is, whichever config wrote it"
            )
            rows, unknown = [], []
            est_wall = est_cpu = 0.0
            for rule, n in counts.items():
                mean = means.get(rule)
                if mean is None:
                    unknown.append([rule, str(n), str(measured_of[rule]), *["unknown "] * 4])
                    continue
                est_wall += n * mean[0]
                est_cpu += n * mean[1]
                rows.append(
                    [
                        rule,
                        str(n),
                        str(measured_of[rule]),
                        _s(mean[0]),
                        _s(mean[1]),
                        _s(n * mean[0], ESTIMATED),
                        _s(n * mean[1], ESTIMATED),
                    ]
                )
            rows.sort(key=lambda row: (-float(row[6][:-1]), row[0]))
            header = ["rule", "jobs", "measured", "mean wall s ", "mean CPU s "]
            header += ["est. wall s ", "est. CPU s "]
            out += _table(header, rows + sorted(unknown), align="lrrrrrr")
            n_unknown = sum(int(row[1]) for row in unknown)
            out += _note(
                f"estimated: {est_wall:.2f} wall-seconds, {est_cpu:.2f} s CPU for "
                f"{len(missing) - n_unknown} jobs; with the measured jobs "
                f"{total_wall + est_wall:.2f} wall-seconds, {total_cpu + est_cpu:.2f} s CPU"
                + (
                    f"; not counted: {n_unknown} jobs of {len(unknown)} rules without any "
                    "measured job (unknown)"
                    if unknown
                    else ""
                )
            )
    return "\n".join(out)


def dry_run(workdir: Path, configfile: Path, cores: int) -> list[dict]:
    """The jobs of ``snakemake -n --forceall`` of the whole DAG in ``workdir``."""
    # the dry-run reader of this checkout, whichever checkout the venv installed
    sys.path.insert(0, str(ROOT / "src"))
    from dltheory import pipeline

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(workdir / "src")  # that workflow's own package
    cmd = [SNAKEMAKE, "-n", "--forceall", "--nolock", "--cores", str(cores)]
    proc = subprocess.run(
        [*cmd, "--configfile", str(configfile)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(
            f"profile: the dry run failed ({' '.join(cmd)} --configfile {configfile} in "
            f"{workdir}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        )
    return pipeline.dry_run_jobs(proc.stdout)


def main(argv: Sequence[str] | None = None, blocks: Sequence[dict] | None = None) -> int:
    """Print the profile of the results; ``blocks`` (the dry-run jobs) skip the dry run."""
    parser = argparse.ArgumentParser(
        prog="benchmarks/profile.py", description="Where a run's time went, from its results."
    )
    parser.add_argument("--configfile", default="config.yaml", help="the run's config file")
    parser.add_argument("--results", default=RESULTS, help="the run's results directory")
    parser.add_argument("--top", type=int, default=25, help="jobs listed by CPU time")
    parser.add_argument(
        "--cores", type=int, default=os.cpu_count() or 1, help="cores of the wall-time bound"
    )
    parser.add_argument(
        "--estimate",
        action="store_true",
        help="scale jobs without a benchmark file from the measured jobs of their rule",
    )
    args = parser.parse_args(argv)
    results = Path(args.results)
    if not benchmark_files(results):
        raise SystemExit(f"no benchmark files under {results / 'benchmarks'}: run `make run` first")
    if blocks is None:
        configfile = Path(args.configfile).resolve()
        if not configfile.is_file():
            raise SystemExit(f"profile: no config file {args.configfile}")
        workdir = results.resolve().parent
        if not (workdir / "Snakefile").is_file():
            workdir = ROOT
        blocks = dry_run(workdir, configfile, max(1, args.cores))
    jobs, left_out = load_jobs(blocks, results)
    known = {under(results, b["benchmark"][0]).resolve() for b in blocks if b.get("benchmark")}
    stray = sum(p.resolve() not in known for p in benchmark_files(results))
    print(
        report(
            jobs,
            top=args.top,
            cores=max(1, args.cores),
            with_estimate=args.estimate,
            left_out=left_out,
            stray=stray,
            where=f"{results} (config {args.configfile})",
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
