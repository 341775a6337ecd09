"""Runs that survive interruption: Ctrl-C, SIGKILL, a second Snakemake, stale temporaries.

Each run builds the qmap theory table (one short job) and then one job that holds its
output half-written until the test releases it (rule ``blocking_job`` of
tests/fixtures/interruption.smk, which includes the workflow's Snakefile). The test waits
for that job to announce itself, so the table is complete and the job is mid-write, and
interrupts then. The rerun must redo the interrupted job and nothing that had finished,
and no Parquet file present after the interruption may be a partial one.

Every wait is for an event (a file the job creates, Snakemake's exit); the only time
limits are safety ceilings against a hung run, far above any machine's run time.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import (
    CEILING,
    job_stats,
    jobs_of_dry_run,
    load_config,
    run_snakemake,
    start_snakemake,
    write_config,
)

FIXTURES = Path(__file__).parent / "fixtures"
SNAKEFILE = "interruption.smk"
BLOCKING_RULE = "blocking_job"
BLOCKING_OUTPUT = "results/data/blocking/blocked.parquet"
RULES_BEFORE = {"qmap_theory"}
TARGETS = [BLOCKING_OUTPUT]
RUN = ["--snakefile", SNAKEFILE, *TARGETS, "--cores", "2"]
#: the job's own events (paths in tests/fixtures/interruption.smk)
STARTED = "sentinels/started"
RELEASE = "sentinels/release"
LOCK_MESSAGE = "Directory cannot be locked"
TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp(\.[^.]*)?")
#: how often (s) to look at the job's files; sets only how soon an event is noticed
POLL = 0.1


def _config() -> dict:
    cfg = load_config()
    cfg["qmap"].update(width=200, n_theory=21, n_sim=5)
    return cfg


def _prepare(workdir: Path) -> str:
    """The test Snakefile and its job beside the copied workflow; the tiny config's path."""
    for name in (SNAKEFILE, "blocking_job.py"):
        shutil.copy2(FIXTURES / name, workdir / name)
    return str(write_config(workdir / "tiny.yaml", _config()))


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    """A Snakemake run in the background whose log lines are collected as they come."""

    def __init__(self, workdir: Path, *args: str):
        self.workdir = workdir
        self.proc = start_snakemake(
            workdir,
            *args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, as a terminal's Ctrl-C sees it
            # pytest-xdist workers ignore SIGINT and a child inherits that; a Snakemake started
            # from a terminal does not, so restore the default for the Ctrl-C test
            preexec_fn=_default_sigint,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def finished(self) -> set[str]:
        return set(re.findall(r"Finished jobid: \d+ \(Rule: (\w+)\)", self.log))

    def wait_for_file(self, relative: str) -> None:
        """Return once ``relative`` exists; fail at once if Snakemake exits before."""
        path = self.workdir / relative
        deadline = time.monotonic() + CEILING
        while not path.exists():
            if self.proc.poll() is not None:
                self._reader.join()
                raise AssertionError(
                    f"Snakemake exited (rc {self.proc.returncode}) before {relative} appeared:"
                    f"\n{self.log}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"{relative} not there after {CEILING} s:\n{self.log}")
            time.sleep(POLL)

    def descendants(self) -> list[int]:
        """Pids of every process below Snakemake (its jobs), read from /proc."""
        found, pending = [], [self.proc.pid]
        while pending:
            pid = pending.pop()
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    children = (task / "children").read_text().split()
                except OSError:
                    continue
                for child in map(int, children):
                    if child not in found:
                        found.append(child)
                        pending.append(child)
        return found

    def finish(self) -> int:
        """Wait for Snakemake's exit (the ceiling only guards against a hung run)."""
        try:
            rc = self.proc.wait(timeout=CEILING)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(
                f"Snakemake still running {CEILING} s later:\n{self.log}"
            ) from None
        self._reader.join()
        return rc

    def stop(self) -> None:
        """Kill what is left (test clean-up), by pid."""
        for pid in [self.proc.pid, *self.descendants()]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()


def _outputs(workdir: Path) -> dict[str, int]:
    """Every result file and its modification time in ns."""
    return {
        str(p.relative_to(workdir)): p.stat().st_mtime_ns
        for p in (workdir / "results").rglob("*")
        if p.is_file() and "logs" not in p.parts
    }


def _temporaries(workdir: Path) -> list[Path]:
    return [p for p in (workdir / "results").rglob("*") if TEMPORARY.fullmatch(p.name)]


def _assert_no_partial_table(workdir: Path) -> None:
    """Every Parquet file under its final name is whole (temporaries are hidden drafts)."""
    for path in (workdir / "results").rglob("*.parquet"):
        if not TEMPORARY.fullmatch(path.name):
            pq.read_table(path)  # a truncated file has no footer and fails here


def _interrupt(workdir: Path, send) -> tuple[Run, dict[str, int]]:
    """Start, interrupt with ``send(run)`` mid-write, check the state; the files kept."""
    run = Run(workdir, *RUN, "--configfile", "tiny.yaml")
    try:
        # the blocking job starts only after qmap_theory is complete, and is now mid-write
        run.wait_for_file(STARTED)
        send(run)
        rc = run.finish()
    finally:
        if run.proc.poll() is None:
            run.stop()
    assert rc != 0, run.log
    done = run.finished()
    assert RULES_BEFORE <= done, run.log
    assert BLOCKING_RULE not in done, run.log
    assert not (workdir / BLOCKING_OUTPUT).exists()
    _assert_no_partial_table(workdir)
    return run, _outputs(workdir)


def _resume(workdir: Path, done: set[str], kept: dict[str, int]) -> None:
    (workdir / RELEASE).touch()  # this time the job may complete
    rerun = run_snakemake(workdir, *RUN, "--configfile", "tiny.yaml")
    # the plan: the interrupted job, nothing that had finished
    plan = job_stats(rerun.stdout + rerun.stderr)
    assert plan == {BLOCKING_RULE: 1}, plan
    assert not set(plan) & done, (plan, done)
    after = _outputs(workdir)
    pq.read_table(workdir / BLOCKING_OUTPUT)
    # finished jobs' outputs were not rewritten, and no temporary is left anywhere
    for path, mtime in kept.items():
        if not TEMPORARY.fullmatch(Path(path).name):
            assert after.get(path) == mtime, path
    assert _temporaries(workdir) == []
    dry = ["--snakefile", SNAKEFILE, *TARGETS, "--configfile", "tiny.yaml"]
    assert jobs_of_dry_run(workdir, *dry) == {}


@pytest.mark.slow
def test_ctrl_c_then_rerun_resumes_without_redoing_finished_jobs(workflow_dir):
    _prepare(workflow_dir)
    # Ctrl-C in a terminal sends SIGINT to the whole foreground process group
    run, kept = _interrupt(workflow_dir, lambda r: os.killpg(r.proc.pid, signal.SIGINT))
    assert LOCK_MESSAGE not in run.log
    _resume(workflow_dir, run.finished(), kept)


@pytest.mark.slow
def test_second_run_is_refused_and_sigkill_leaves_a_lock_that_unlock_clears(workflow_dir):
    _prepare(workflow_dir)

    def kill(run: Run) -> None:
        # a second Snakemake on the same directory and targets is refused: the blocking
        # job's output is missing, so it has work to do and must ask for the lock
        second = run_snakemake(
            workflow_dir,
            *["--snakefile", SNAKEFILE, *TARGETS, "--cores", "1", "--configfile", "tiny.yaml"],
            check=False,
        )
        assert second.returncode != 0
        assert LOCK_MESSAGE in second.stdout + second.stderr, second.stderr
        # SIGKILL of Snakemake and, as on a lost node, of its jobs: nothing cleans up
        jobs = run.descendants()
        assert jobs, run.log
        os.kill(run.proc.pid, signal.SIGKILL)
        for pid in jobs:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    run, kept = _interrupt(workflow_dir, kill)
    # the killed job's half-written temporary is left, as after a lost node
    assert [p.name for p in _temporaries(workflow_dir)] != [], kept
    # the lock outlives the killed run: the next run is refused and told about --unlock
    refused = run_snakemake(workflow_dir, *RUN, "--configfile", "tiny.yaml", check=False)
    message = refused.stdout + refused.stderr
    assert refused.returncode != 0 and LOCK_MESSAGE in message and "--unlock" in message
    run_snakemake(workflow_dir, *RUN, "--unlock", "--configfile", "tiny.yaml")
    _resume(workflow_dir, run.finished(), kept)


@pytest.mark.slow
def test_stale_temporaries_of_this_runs_outputs_go_at_the_next_start(workflow_dir):
    cfg = str(write_config(workflow_dir / "tiny.yaml", _config()))
    data = workflow_dir / "results" / "data" / "poole"
    data.mkdir(parents=True)
    stale = [
        data / ".qmap_theory.k2j3h4g5.tmp.parquet",  # an output of this run
        data / ".qmap_theory.abc_0123.tmp.parquet",
    ]
    other = [
        data / ".cmap_theory.k2j3h4g5.tmp.parquet",  # not an output of this run
        data / ".qmap_theory.notes.txt",  # not a temporary
    ]
    for path in stale + other:
        path.write_bytes(b"PAR1 half-written")
    run_snakemake(
        workflow_dir, "results/data/poole/qmap_theory.parquet", "--cores", "1", "--configfile", cfg
    )
    assert [p.name for p in stale if p.exists()] == []
    assert [p.name for p in other if not p.exists()] == []
    pq.read_table(data / "qmap_theory.parquet")
