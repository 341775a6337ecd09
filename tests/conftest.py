"""Shared fixtures: a copy of the workflow in a temporary directory, and a runner.

Every test that launches Snakemake (directly or through a helper or fixture of its module)
is marked ``workflow`` at collection, the Slurm cluster tests also ``slurm``; ``make
test-fast`` leaves both out. The runners below fail a test that launches Snakemake
without the mark, so the mark cannot silently go missing.
"""

from __future__ import annotations

import ast
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
WORKFLOW_PARTS = ["Snakefile", "config.yaml", "workflow", "envs", "src", "profiles"]
#: a safety ceiling (s) for one Snakemake run, only so that a hung run cannot hold the
#: suite forever: tests wait for events (a process exit, a file), never for a time sized
#: to the machine's speed, and a loaded machine may take many times the idle time
CEILING = 3600
#: names whose use launches Snakemake in a subprocess (see pytest_collection_modifyitems)
LAUNCHERS = frozenset({"run_snakemake", "jobs_of_dry_run", "start_snakemake", "SNAKEMAKE"})


@functools.cache
def _launching_definitions(path: str) -> frozenset[str]:
    """Top-level functions and classes of a test module that launch Snakemake.

    Read from the module's syntax tree: a definition launches when it names one of
    :data:`LAUNCHERS` or another top-level definition of the module that launches.
    """
    tree = ast.parse(Path(path).read_text(), filename=path)
    names = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
                n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
            }
    launching = {name for name, used in names.items() if used & LAUNCHERS}
    while grown := {name for name, used in names.items() if used & launching} - launching:
        launching |= grown
    return frozenset(launching)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if getattr(item, "function", None) is None:
            continue
        used = {getattr(item, "originalname", item.name), *item.fixturenames}
        if item.cls is not None:
            used.add(item.cls.__name__)
        if "slurm" in item.fixturenames:
            item.add_marker(pytest.mark.slurm)
            item.add_marker(pytest.mark.workflow)
        elif used & _launching_definitions(str(item.path)):
            item.add_marker(pytest.mark.workflow)


#: the test being run (set by the autouse fixture below), for the check in the runners
_CURRENT: list = [None]


@pytest.fixture(autouse=True)
def _current_test(request):
    _CURRENT[0] = request.node
    yield
    _CURRENT[0] = None


def _require_workflow_mark() -> None:
    node = _CURRENT[0]
    if node is not None and node.get_closest_marker("workflow") is None:
        pytest.fail(
            f"{node.nodeid} launches Snakemake but is not marked `workflow` (make test-fast "
            "would run it): add @pytest.mark.workflow"
        )


def snakemake_env(workdir: Path) -> dict[str, str]:
    # the copy's own package first (the venv's editable install points at the checkout)
    return dict(
        os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0", PYTHONPATH=str(Path(workdir) / "src")
    )


def start_snakemake(workdir: Path, *args: str, **popen_kw) -> subprocess.Popen:
    """Snakemake in the background in ``workdir`` (the test waits for its events)."""
    _require_workflow_mark()
    return subprocess.Popen([SNAKEMAKE, *args], cwd=workdir, env=snakemake_env(workdir), **popen_kw)


def copy_workflow(dest: Path) -> Path:
    """Copy what a run needs (not results/ or .snakemake/) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in WORKFLOW_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(
                src, dest / part, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(src, dest / part)
    return dest


def run_snakemake(workdir: Path, *args: str, check: bool = True, timeout: float = CEILING):
    _require_workflow_mark()
    proc = subprocess.run(
        [SNAKEMAKE, *args],
        cwd=workdir,
        env=snakemake_env(workdir),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def load_config() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture
def workflow_dir(tmp_path: Path) -> Path:
    return copy_workflow(tmp_path / "wf")


def jobs_of_dry_run(workdir: Path, *args: str) -> dict[str, int]:
    """Rule -> job count from a dry run's job stats ({} when nothing is to be done)."""
    return job_stats(run_snakemake(workdir, "-n", *args).stdout)


def job_stats(out: str) -> dict[str, int]:
    """Rule -> job count from the job stats a run or dry run prints ({} when none)."""
    stats = {}
    if "Job stats:" not in out:
        assert "Nothing to be done" in out, out
        return stats
    block = out.split("Job stats:", 1)[1]
    for line in block.splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        if parts[0] != "total":
            stats[parts[0]] = int(parts[1])
    return stats
