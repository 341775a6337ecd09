"""benchmarks/profile.py (``make profile``) on a made-up run whose answers are known.

A few benchmark TSVs and job logs in a temporary results directory, and the jobs of the
DAG given as the list that ``dltheory.pipeline.dry_run_jobs`` returns, so no Snakemake
runs. The DAG is a diamond (prepare -> left, right -> join), then a sweep of three chunks
that read ``join`` (the third, never measured, also reads the first) and a rule never
measured at all.
"""

from __future__ import annotations

import importlib.util
import random
import re
import sys

import pytest
from conftest import ROOT

from dltheory import pipeline


def _load_script():
    """benchmarks/profile.py as a module (its name would import the standard library's
    ``profile``)."""
    spec = importlib.util.spec_from_file_location(
        "dltheory_profile_script", ROOT / "benchmarks" / "profile.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


profile = _load_script()

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
PREFIX = "2026-12-03 18:30:20,514 INFO "


def _block(name, rule, inputs=(), wildcards=None, threads=1):
    """A dry-run job as dry_run_jobs gives it; its files named after ``name``."""
    return {
        "rule": rule,
        "reason": "Forced execution",
        "threads": threads,
        "wildcards": dict(wildcards or {}),
        "input": ["src/dltheory/__init__.py", *(f"results/data/{i}.parquet" for i in inputs)],
        "output": [f"results/data/{name}.parquet"],
        "log": [f"results/logs/{name}.log"],
        "benchmark": [f"results/benchmarks/{name}.tsv"],
    }


BLOCKS = [
    _block("prepare", "prepare"),
    _block("left", "left", ["prepare"], threads=2),
    _block("right", "right", ["prepare"]),
    _block("join", "join", ["left", "right"]),
    _block("extra", "extra"),
    _block("sweep0", "sweep", ["join"], {"chunk": "0"}),
    _block("sweep1", "sweep", ["join"], {"chunk": "1"}),
    _block("sweep2", "sweep", ["join", "sweep0"], {"chunk": "2"}),
    _block("lonely", "lonely", ["join"]),
    {"rule": "all", "reason": "Forced execution", "threads": 1, "wildcards": {}, "input": []},
]


def _startup(wall, cpu, end="first line of work"):
    return f"{PREFIX}start-up: {wall:.2f} s wall, {cpu:.2f} s CPU before the job's {end}"


def _finished(wall, cpu):
    return f"{PREFIX}finished: {wall:.2f} s wall, {cpu:.2f} s CPU in all"


#: name -> (benchmark s, benchmark cpu_time, log lines or None for no log)
RUN = {
    # an older log: the start-up line at the job's start, with its older wording
    "prepare": (
        2.0,
        1.0,
        [_startup(0.5, 0.2, "block"), f"{PREFIX}rule prepare", _finished(2.5, 1.8)],
    ),
    # two runs appended: the last one counts
    "left": (
        5.0,
        3.0,
        [_startup(1.0, 0.9), _finished(9.0, 9.0), _startup(0.4, 0.3), _finished(5.2, 4.5)],
    ),
    # the last run has no finished: line (an earlier run's does not count): the benchmark's
    "right": (3.0, 2.5, [_startup(0.7, 0.6), _finished(9.0, 9.0), _startup(0.6, 0.25)]),
    "join": (1.0, "NA", [_startup(0.3, 0.1), _finished(1.2, 0.8)]),
    "extra": (0.5, 0.4, None),  # no log at all
    "sweep0": (4.0, 3.0, [_startup(0.3, 0.2), _finished(4.2, 3.0)]),
    "sweep1": (6.0, 5.0, [_startup(0.3, 0.2), _finished(6.1, 5.0)]),
    # sweep2 and lonely: never measured
}


@pytest.fixture
def results(tmp_path):
    """The made-up run's results, in a directory not named ``results`` (the workflow's
    paths ``results/...`` are read under it)."""
    root = tmp_path / "myresults"
    for name, (wall, cpu, lines) in RUN.items():
        bench = root / "benchmarks" / f"{name}.tsv"
        bench.parent.mkdir(parents=True, exist_ok=True)
        bench.write_text(HEADER + f"{wall}\t0:00:0{int(wall)}\t1\t1\t1\t1\t0\t0\t50\t{cpu}\n")
        if lines is not None:
            log = root / "logs" / f"{name}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("\n".join(lines) + "\n")
    return root


def _jobs(results, blocks=BLOCKS):
    jobs, left_out = profile.load_jobs(blocks, results)
    return {(j.rule, j.label): j for j in jobs}, left_out


def test_measurements_come_from_the_last_finished_line_else_the_benchmark(results):
    jobs, left_out = _jobs(results)
    assert left_out == ["all"]
    assert len(jobs) == 9
    left = jobs["left", "-"]
    assert (left.wall, left.cpu, left.cpu_from_benchmark) == (5.0, 4.5, False)
    assert (left.startup_wall, left.startup_cpu) == (0.4, 0.3)
    right = jobs["right", "-"]
    assert (right.cpu, right.cpu_from_benchmark, right.startup_cpu) == (2.5, True, 0.25)
    extra = jobs["extra", "-"]
    assert (extra.cpu, extra.cpu_from_benchmark, extra.startup_cpu) == (0.4, True, None)
    assert jobs["join", "-"].cpu == 0.8  # the benchmark's NA is not needed
    assert not jobs["sweep", "chunk=2"].measured and not jobs["lonely", "-"].measured
    assert jobs["left", "-"].startup_share == pytest.approx(0.3 / 4.5)


def test_jobs_are_listed_by_cpu_time_with_the_rest_summed(results):
    jobs, _ = _jobs(results)
    text = profile.report(list(jobs.values()), top=3, cores=2)
    section = text.split("Jobs by CPU time")[1].split("CPU time by rule")[0]
    listed = [line.split()[:2] for line in section.splitlines()[2:5]]
    assert listed == [["sweep", "chunk=1"], ["left", "-"], ["sweep", "chunk=0"]]
    assert "(top 3 of 7)" in section
    # right 2.5, prepare 1.8, join 0.8, extra 0.4 of 18.0 s CPU; walls 3 + 2 + 1 + 0.5
    assert "the other 4 jobs: 6.50 s wall, 5.50 s CPU (30.6% of all CPU)" in section
    # the CPU of right and extra from the benchmark, marked, and the mark explained
    full = profile.report(list(jobs.values()), top=25, cores=2)
    assert re.search(r"^  right +- +3\.00  +2\.50\* +0\.60  +0\.25  +10\.0%$", full, re.M)
    assert re.search(r"^  extra +- +0\.50  +0\.40\* +n/a  +n/a  +n/a$", full, re.M)
    assert "* CPU from the benchmark's cpu_time" in full
    # explained where a marked job is listed only
    assert "* CPU from" not in profile.report(list(jobs.values()), top=1, cores=2)


def test_rule_totals_and_the_start_up_share(results):
    jobs, _ = _jobs(results)
    text = " ".join(profile.report(list(jobs.values()), cores=2).split())
    # sweep: 2 measured jobs, 10 s wall, 8 s CPU of 18 s
    assert "sweep 2 10.00 8.00 44.4% 0.40" in text
    assert "jobs 7 of 9 in the DAG" in text
    assert "wall-seconds of the jobs (sum of s) 21.50" in text
    assert "CPU seconds 18.00 2 from the benchmark's cpu_time (no `finished:` line" in text
    # start-up CPU 0.2 + 0.3 + 0.25 + 0.1 + 0.2 + 0.2 of those jobs' 17.6 s CPU (extra has none)
    assert "start-up CPU seconds 1.25 = 7.1% of the CPU of the 6 jobs with a start-up line" in text
    assert "(n/a for 1)" in text


def test_critical_path_of_the_diamond_and_the_bound(results):
    jobs, _ = _jobs(results)
    path, length = profile.critical_path(list(jobs.values()))
    # prepare 2 + max(left 5, right 3) + join 1 + max(sweep0 4 + sweep2 0, sweep1 6)
    assert [(j.rule, j.label) for j in path] == [
        ("prepare", "-"),
        ("left", "-"),
        ("join", "-"),
        ("sweep", "chunk=1"),
    ]
    assert length == pytest.approx(14.0)
    text = profile.report(list(jobs.values()), cores=2)
    # core-seconds: 21.5 s of wall, left's 5 s twice (2 threads); 26.5 / 2 < 14
    assert "on 2 core(s): 14.00 s" in text
    assert "= max(critical path 14.00 s, core-seconds 26.50 s / 2)" in text
    assert "on 1 core(s): 26.50 s" in profile.report(list(jobs.values()), cores=1)


def test_unmeasured_jobs_are_counted_and_estimated_from_their_rule(results):
    jobs, _ = _jobs(results)
    plain = profile.report(list(jobs.values()), cores=2)
    missing = plain.split("Jobs of the DAG without a benchmark file: 2")[1]
    assert re.search(r"^  lonely +1 +0$", missing, re.M)
    assert re.search(r"^  sweep +1 +2$", missing, re.M)
    assert "ESTIMATE" not in plain

    means = profile.estimate(list(jobs.values()))
    assert means == {"lonely": None, "sweep": (5.0, 4.0)}
    assert jobs["sweep", "chunk=2"].estimate == (5.0, 4.0)
    jobs, _ = _jobs(results)
    text = profile.report(list(jobs.values()), cores=2, with_estimate=True)
    assert "ESTIMATE (~), not a measurement" in text
    assert re.search(r"^  sweep +1 +2 +5\.00  +4\.00  +5\.00~ +4\.00~$", text, re.M)
    assert re.search(r"^  lonely +1 +0 +unknown  +unknown  +unknown  +unknown$", text, re.M)
    flat = " ".join(text.split())
    assert "estimated: 5.00 wall-seconds, 4.00 s CPU for 1 jobs" in flat
    assert "with the measured jobs 26.50 wall-seconds, 22.00 s CPU" in flat
    assert "not counted: 1 jobs of 1 rules without any measured job (unknown)" in flat
    # the estimated chunk (5 s) after sweep0 (4 s) now makes the longest chain: 8 + 4 + 5
    path = text.split("Critical path")[1].split("Lower bound")[0]
    assert [line.split()[:2] for line in path.splitlines()[2:-2]] == [
        ["prepare", "-"],
        ["left", "-"],
        ["join", "-"],
        ["sweep", "chunk=0"],
        ["sweep", "chunk=2"],
    ]
    assert re.search(r"^  sweep +chunk=2 +5\.00~$", path, re.M)
    assert "1 job(s) of the path without a benchmark file: ~ estimated" in path
    assert "= max(critical path 17.00 s, core-seconds 31.50 s / 2)" in text


def test_the_output_does_not_depend_on_the_order_of_the_dry_run(results, capsys):
    args = ["--results", str(results), "--cores", "2", "--estimate", "--top", "4"]
    assert profile.main(args, blocks=BLOCKS) == 0
    first = capsys.readouterr().out
    shuffled = BLOCKS[:]
    random.Random(0).shuffle(shuffled)
    profile.main(args, blocks=shuffled)
    assert capsys.readouterr().out == first


def test_results_without_benchmark_files_are_refused(tmp_path):
    (tmp_path / "results" / "logs").mkdir(parents=True)
    with pytest.raises(SystemExit, match=r"no benchmark files under .*benchmarks: run `make run`"):
        profile.main(["--results", str(tmp_path / "results")], blocks=BLOCKS)


def test_stray_benchmark_files_are_counted(results):
    (results / "benchmarks" / "old_rule.tsv").write_text(
        HEADER + "1\t0:00:01\t1\t1\t1\t1\t0\t0\t1\t1\n"
    )
    jobs, _ = _jobs(results)
    text = profile.report(list(jobs.values()), stray=1)
    assert "1 benchmark file(s) under the results belong to no job of this DAG" in text


DRY_RUN = """\
Building DAG of jobs...
Job stats:
job      count
-----  -------
all          1
qmap         1
sweep        2
total        4


[Thu Dec  3 18:30:41 2026]
rule sweep:
    input: results/data/a.parquet, src/dltheory/__init__.py,
        src/dltheory/io.py
    output: results/data/runs/keep1_L20_g0.parquet
    log: results/logs/sweep_keep1_L20_g0.log
    jobid: 61
    benchmark: results/benchmarks/sweep_keep1_L20_g0.tsv
    reason: Missing output files: results/data/runs/keep1_L20_g0.parquet
    wildcards: keep_prob=1, depth=20, group=0
    threads: 2
    resources: tmpdir=/tmp, mem_mb=930, runtime=13
Shell command: None

[Thu Dec  3 18:30:41 2026]
localrule qmap:
    input: results/data/runs/keep1_L20_g0.parquet
    output: results/figures/qmap.png, results/figures/qmap.pdf
    log: results/logs/qmap.log
    jobid: 2
    benchmark: results/benchmarks/qmap.tsv
    reason: Forced execution
    resources: tmpdir=/tmp
Shell command: None

[Thu Dec  3 18:30:41 2026]
rule all:
    input: results/figures/qmap.png, results/figures/qmap.pdf
    jobid: 0
    reason: Forced execution
    resources: tmpdir=/tmp
Shell command: None
Job stats:
job      count
-----  -------
total        3
"""


def test_the_dry_run_reader_reads_blocks_wrapped_lines_and_wildcards():
    """dltheory.pipeline.dry_run_jobs, the one reader of dry runs (the tests' conftest
    uses it too): fields, a value wrapped onto a deeper-indented line, localrule."""
    sweep, qmap, all_ = pipeline.dry_run_jobs(DRY_RUN)
    assert sweep == {
        "rule": "sweep",
        "reason": "Missing output files: results/data/runs/keep1_L20_g0.parquet",
        "threads": 2,
        "wildcards": {"keep_prob": "1", "depth": "20", "group": "0"},
        "input": ["results/data/a.parquet", "src/dltheory/__init__.py", "src/dltheory/io.py"],
        "output": ["results/data/runs/keep1_L20_g0.parquet"],
        "log": ["results/logs/sweep_keep1_L20_g0.log"],
        "benchmark": ["results/benchmarks/sweep_keep1_L20_g0.tsv"],
    }
    assert (qmap["rule"], qmap["threads"], qmap["wildcards"]) == ("qmap", 1, {})
    assert qmap["output"] == ["results/figures/qmap.png", "results/figures/qmap.pdf"]
    assert all_["rule"] == "all" and "output" not in all_ and "benchmark" not in all_
    jobs, left_out = profile.load_jobs(pipeline.dry_run_jobs(DRY_RUN), ROOT / "no-results")
    assert [j.rule for j in jobs] == ["qmap", "sweep"] and left_out == ["all"]
    for job in jobs:
        job.measured, job.wall = True, 1.0
    path, length = profile.critical_path(jobs)  # qmap reads the sweep's output
    assert [j.rule for j in path] == ["sweep", "qmap"] and length == 2.0
