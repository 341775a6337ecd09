"""Runs that survive interruption: Ctrl-C, SIGKILL, a second Snakemake, stale temporaries.

Each run builds figure `qmap` (three short jobs) beside one longer job, the depth-scales
simulation, and is interrupted while that job runs and after at least one short job has
finished. The rerun must redo the interrupted job and nothing that had finished, and no
Parquet file present after the interruption may be a partial one.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import SNAKEMAKE, jobs_of_dry_run, load_config, run_snakemake, write_config

LONG_RULE = "networks_depth_scales_simulation"
LONG_OUTPUT = "results/data/schoenholz/networks_depth_scales_lengths.parquet"
LONG_LOG = "results/logs/schoenholz/networks_depth_scales_simulation_0.log"  # one chunk
TARGETS = ["qmap", LONG_OUTPUT]
INTERRUPTED_CHUNKS = "depth_scales_chunks/"  # the folder of LONG_RULE's chunk tables
#: the short jobs first (the long one asks for both cores), so some have finished when the
#: long one runs
RUN = [*TARGETS, "--cores", "2", "--prioritize", "qmap"]
LOCK_MESSAGE = "Directory cannot be locked"
TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp(\.[^.]*)?")


def _config() -> dict:
    cfg = load_config()
    cfg["qmap"].update(width=200, n_theory=21, n_sim=5)
    # long enough to be still running while a second Snakemake parses the workflow (a
    # second run finding nothing to do exits 0 without ever asking for the lock): depth 20
    # took 8 s here, and a loaded machine's second Snakemake once outlasted it
    cfg["networks"]["depth_scales"].update(
        sigma_w2=[2.0], width=200, depth=60, n_seeds=24, n_inputs=4
    )
    return cfg


class Run:
    """A Snakemake run in the background whose log lines are collected as they come."""

    def __init__(self, workdir: Path, *args: str):
        self.workdir = workdir
        env = dict(
            os.environ,
            MPLBACKEND="Agg",
            PYTHONHASHSEED="0",
            PYTHONPATH=str(workdir / "src"),
        )
        self.proc = subprocess.Popen(
            [SNAKEMAKE, *args],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, as a terminal's Ctrl-C sees it
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

    def started(self) -> set[str]:
        return set(re.findall(r"^(?:local)?rule (\w+):", self.log, re.M))

    def finished(self) -> set[str]:
        return set(re.findall(r"Finished jobid: \d+ \(Rule: (\w+)\)", self.log))

    def wait_until(self, condition, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(self):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"condition not reached (rc {self.proc.returncode}):\n{self.log}")

    def descendants(self) -> list[int]:
        """Pids of every process below Snakemake (its jobs), read from /proc."""
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    children = (task / "children").read_text().split()
                except OSError:
                    continue
                for child in map(int, children):
                    if child not in found:
                        found.append(child)
                        todo.append(child)
        return found

    def finish(self, timeout: float = 60) -> int:
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(
                f"Snakemake still running {timeout} s later:\n{self.log}"
            ) from None
        self._reader.join(timeout=10)
        return rc

    def stop(self) -> None:
        """Kill what is left (test clean-up), by pid."""
        for pid in [self.proc.pid, *self.descendants()]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=30)


def _long_job_running_after_a_short_one_finished(run: Run) -> bool:
    # the long job's script has set up (io.job logs its threads) and is computing
    log = run.workdir / LONG_LOG
    return (
        bool(run.finished())
        and LONG_RULE not in run.finished()
        and log.exists()
        and "thread(s)" in log.read_text()
    )


def _outputs(workdir: Path) -> dict[str, int]:
    """Every result file and its modification time in ns."""
    return {
        str(p.relative_to(workdir)): p.stat().st_mtime_ns
        for p in (workdir / "results").rglob("*")
        if p.is_file() and "logs" not in p.parts
    }


def _assert_no_partial_table(workdir: Path) -> None:
    for path in (workdir / "results").rglob("*.parquet"):
        pq.read_table(path)  # a truncated file has no footer and fails here


def _interrupt_and_resume(workdir: Path, send) -> tuple[Run, dict[str, int]]:
    """Start, interrupt with ``send(run)``, check the state, rerun; the files kept at the stop."""
    cfg = str(write_config(workdir / "tiny.yaml", _config()))
    run = Run(workdir, *RUN, "--configfile", cfg)
    try:
        run.wait_until(_long_job_running_after_a_short_one_finished)
        send(run)
        rc = run.finish()
    finally:
        if run.proc.poll() is None:
            run.stop()
    assert rc != 0, run.log
    done = run.finished()
    assert LONG_RULE not in done, run.log
    _assert_no_partial_table(workdir)
    kept = _outputs(workdir)
    return run, kept


def _resume(workdir: Path, done: set[str], kept: dict[str, int]) -> None:
    cfg = str(workdir / "tiny.yaml")
    # the plan: the interrupted job and what waits on it, nothing that had finished
    plan = jobs_of_dry_run(workdir, *TARGETS, "--configfile", cfg)
    assert LONG_RULE in plan, plan
    assert not set(plan) & done, (plan, done)
    run_snakemake(workdir, *RUN, "--configfile", cfg)
    after = _outputs(workdir)
    assert (workdir / LONG_OUTPUT).exists()
    # finished jobs' outputs were not rewritten, and no temporary is left anywhere. A chunk
    # of the interrupted sweep may have written its table just before a SIGKILL without
    # Snakemake recording the job as complete: it is (rightly) redone, so it is not checked.
    for path, mtime in kept.items():
        if not TEMPORARY.fullmatch(Path(path).name) and INTERRUPTED_CHUNKS not in path:
            assert after.get(path) == mtime, path
    assert [p for p in after if TEMPORARY.fullmatch(Path(p).name)] == []
    assert jobs_of_dry_run(workdir, *TARGETS, "--configfile", cfg) == {}


@pytest.mark.slow
def test_ctrl_c_then_rerun_resumes_without_redoing_finished_jobs(workflow_dir):
    # Ctrl-C in a terminal sends SIGINT to the whole foreground process group
    run, kept = _interrupt_and_resume(workflow_dir, lambda r: os.killpg(r.proc.pid, signal.SIGINT))
    assert LOCK_MESSAGE not in run.log
    _resume(workflow_dir, run.finished(), kept)


@pytest.mark.slow
def test_second_run_is_refused_and_sigkill_leaves_a_lock_that_unlock_clears(workflow_dir):
    def kill(run: Run) -> None:
        # a second Snakemake on the same directory and targets is refused
        cfg = str(workflow_dir / "tiny.yaml")
        second = run_snakemake(
            workflow_dir, *TARGETS, "--cores", "1", "--configfile", cfg, check=False
        )
        assert second.returncode != 0
        assert LOCK_MESSAGE in second.stdout + second.stderr, second.stderr
        # SIGKILL of Snakemake and, as on a lost node, of its jobs: nothing cleans up
        jobs = run.descendants()
        os.kill(run.proc.pid, signal.SIGKILL)
        for pid in jobs:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    run, kept = _interrupt_and_resume(workflow_dir, kill)
    cfg = str(workflow_dir / "tiny.yaml")
    # the lock outlives the killed run: the next run is refused and told about --unlock
    refused = run_snakemake(
        workflow_dir, *TARGETS, "--cores", "2", "--configfile", cfg, check=False
    )
    message = refused.stdout + refused.stderr
    assert refused.returncode != 0 and LOCK_MESSAGE in message and "--unlock" in message
    run_snakemake(workflow_dir, *TARGETS, "--unlock", "--configfile", cfg)
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
