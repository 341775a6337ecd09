"""How long `snakemake --cores 2` takes to find that a finished run has nothing to do.

Plain script (``make bench``). In a temporary copy of the workflow (default config), every
output of the full DAG is created and recorded as done with ``snakemake --touch`` (the
metadata Snakemake keeps for each output is then there, as after a real run, without
running the jobs). The second ``snakemake --cores 2`` is then timed (best of 3): it must
say "Nothing to be done" within the 5 s budget. The baseline, timed in the same run, is
``snakemake --version`` (interpreter start and Snakemake import): the ratio is what the
workflow's own parsing, config validation and DAG checks cost on top. If the checkout's
own results/ are complete (after ``make run``), the same is timed there on the real files.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
PARTS = ["Snakefile", "config.yaml", "workflow", "envs", "src", "profiles"]
BUDGET = 5.0  # seconds
NOTHING = "Nothing to be done"


def _cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def snakemake(workdir: Path, *args: str) -> tuple[float, float, str]:
    """Wall time, CPU time (user + system, of Snakemake and its children) and the log."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0", PYTHONPATH=str(workdir / "src"))
    cpu0, t0 = _cpu(), time.perf_counter()
    proc = subprocess.run(
        [SNAKEMAKE, *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=600
    )
    wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    if proc.returncode != 0:
        raise RuntimeError(f"snakemake {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return wall, cpu, proc.stdout + proc.stderr


def best(workdir: Path, *args: str, repeats: int = 3) -> tuple[float, float, str]:
    """Least wall and CPU time of ``repeats`` runs (the least disturbed), and the last log."""
    runs = [snakemake(workdir, *args) for _ in range(repeats)]
    return min(r[0] for r in runs), min(r[1] for r in runs), runs[-1][2]


def finished_copy(dest: Path) -> int:
    """A copy of the workflow whose whole DAG is recorded as done; returns its job count."""
    dest.mkdir(parents=True)
    for part in PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(
                src, dest / part, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(src, dest / part)
    _, _, plan = snakemake(dest, "-n", "--forceall")
    outputs = set()
    for line in re.findall(r"^\s+output: (.*)$", plan, re.M):
        outputs.update(line.split(", "))
    for out in outputs:
        path = dest / out
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    _, _, log = snakemake(dest, "--touch", "--forceall", "--cores", "1")
    done = re.search(r"(\d+) of \1 steps \(100%\) done", log)
    assert done, log
    return int(done.group(1))


def main() -> None:
    base, base_cpu, _ = best(ROOT, "--version")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "wf"
        jobs = finished_copy(work)
        noop, noop_cpu, log = best(work, "--cores", "2")
    assert NOTHING in log, log
    verdict = "met" if noop < BUDGET else "MISSED (wall time; see the CPU time on a busy machine)"
    print(
        f"no-op rerun of a finished run ({jobs} jobs, default config): {noop:.2f} s wall, "
        f"{noop_cpu:.2f} s CPU; budget {BUDGET:.0f} s wall: {verdict}"
    )
    print(
        f"baseline snakemake --version: {base:.2f} s wall, {base_cpu:.2f} s CPU; "
        f"ratio {noop / base:.1f}x wall, {noop_cpu / base_cpu:.1f}x CPU"
    )
    _, _, plan = snakemake(ROOT, "-n", "--nolock")
    if NOTHING in plan:
        here, here_cpu, log = best(ROOT, "--cores", "2")
        assert NOTHING in log, log
        print(
            f"no-op rerun in the checkout's own results/: {here:.2f} s wall, "
            f"{here_cpu:.2f} s CPU (ratio {here / base:.1f}x wall)"
        )
    else:
        print("the checkout's results/ are not complete (make run first): not timed there")


if __name__ == "__main__":
    main()
