"""Shared fixtures: a copy of the workflow in a temporary directory, and a runner.

Every test that launches Snakemake (directly or through a helper or fixture of its module)
is marked ``workflow`` at collection, the Slurm cluster tests also ``slurm``; ``make
test-fast`` leaves both out. The runners below fail a test that launches Snakemake
without the mark, so the mark cannot silently go missing.
"""

from __future__ import annotations

import ast
import collections
import copy
import dataclasses
import fcntl
import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dltheory import pipeline

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
WORKFLOW_PARTS = ["Snakefile", "config.yaml", "workflow", "envs", "src", "profiles"]
#: a safety ceiling (s) for one Snakemake run, only so that a hung run cannot hold the
#: suite forever: tests wait for events (a process exit, a file), never for a time sized
#: to the machine's speed, and a loaded machine may take many times the idle time
CEILING = 3600
#: names whose use launches Snakemake in a subprocess (see pytest_collection_modifyitems)
LAUNCHERS = frozenset(
    {"run_snakemake", "jobs_of_dry_run", "dry_run_blocks", "start_snakemake", "SNAKEMAKE"}
)


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


def pytest_addoption(parser):
    parser.addoption(
        "--store-mpmath",
        action="store_true",
        help="compute every mpmath reference the tests ask for and add it to "
        "tests/fixtures/mpmath_references.json (run with -n 0); see tests/mp_references.py",
    )


def pytest_configure(config):
    if config.getoption("--store-mpmath"):
        import mp_references

        mp_references.RECORD = True


def pytest_unconfigure(config):
    if config.getoption("--store-mpmath"):
        import mp_references

        changed = mp_references.write_recorded()
        n = len(mp_references.RECORDED)
        print(f"\n{mp_references.STORE}: {n} reference(s), {changed} new or changed")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if getattr(item, "function", None) is None:
            continue
        used = {getattr(item, "originalname", item.name), *item.fixturenames}
        if item.cls is not None:
            used.add(item.cls.__name__)
        if "tiny_build" in item.fixturenames:
            item.add_marker(pytest.mark.workflow)
        elif "slurm" in item.fixturenames:
            item.add_marker(pytest.mark.slurm)
            item.add_marker(pytest.mark.workflow)
        elif used & _launching_definitions(str(item.path)):
            item.add_marker(pytest.mark.workflow)
    # Under `--dist loadfile --no-loadscope-reorder` (make test) a file goes to one worker,
    # in this order. The file whose tests read the shared tiny build goes first: one
    # worker builds it while the other runs the files that launch Snakemake (the longer
    # ones), then the library tests; the files whose tests change a copy of the build
    # (tiny_copy) go last, when it is there, so that no worker waits for it.
    ranks = collections.defaultdict(set)
    for item in items:
        if "tiny_build" in getattr(getattr(item, "_fixtureinfo", None), "argnames", ()):
            ranks[item.path].add(0)
        elif "tiny_copy" in getattr(item, "fixturenames", ()):
            ranks[item.path].add(3)
        else:
            ranks[item.path].add(1 if item.get_closest_marker("workflow") else 2)
    # a file's place: first if any of its tests reads the build, else its latest rank
    rank = {path: 0 if 0 in found else max(found) for path, found in ranks.items()}
    items.sort(key=lambda item: rank[item.path])


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
    # the copy's own package first (the venv's editable install points at the checkout);
    # bytecode written (as `make` does): without it every job compiles the package again
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return dict(env, MPLBACKEND="Agg", PYTHONHASHSEED="0", PYTHONPATH=str(Path(workdir) / "src"))


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


@dataclasses.dataclass(frozen=True)
class Build:
    """A copy of the workflow with every target of ``rule all`` built under ``config``."""

    workdir: Path
    configfile: Path
    config: dict
    proc: subprocess.CompletedProcess

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.workdir.glob("results/logs/**/*.log")))


@pytest.fixture(scope="session")
def tiny_build(tmp_path_factory) -> Build:
    """Every figure and the answers under the tiny config, built once per test run.

    With ``figure_overlap=error`` (a legend or note on the data fails its job) and
    ``--keep-going``, so one failing job does not hide the others; the tests that use
    this fixture check the return code, the logs and the outputs, and never write into
    the build. Under pytest-xdist the workers share it: the first to arrive builds it
    holding a file lock, the others wait on the lock (an event, not a time) and reuse it.
    """
    from configs import tiny_config

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of this run
    shared = root / "tiny_build"
    shared.mkdir(exist_ok=True)
    workdir, configfile, done = shared / "wf", shared / "tiny.yaml", shared / "done.json"
    config = tiny_config()
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            # the mark check of the runners applies to tests, not to this shared set-up
            node, _CURRENT[0] = _CURRENT[0], None
            try:
                shutil.rmtree(workdir, ignore_errors=True)
                copy_workflow(workdir)
                write_config(configfile, config)
                proc = run_snakemake(
                    workdir,
                    "all",
                    "--cores",
                    "2",
                    "--keep-going",
                    "--configfile",
                    str(configfile),
                    "--config",
                    "figure_overlap=error",
                    check=False,
                )
            finally:
                _CURRENT[0] = node
            record = {"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
            done.write_text(json.dumps(record))
    record = json.loads(done.read_text())
    proc = subprocess.CompletedProcess(["snakemake", "all"], **record)
    return Build(workdir, configfile, config, proc)


@pytest.fixture
def tiny_copy(tiny_build, tmp_path) -> Build:
    """A copy of the tiny build that a test may change: sources, results and Snakemake's
    records, with their modification times, so nothing is to be done in the copy until
    the test changes something (a moved checkout reruns nothing)."""
    workdir = tmp_path / "wf"
    shutil.copytree(
        tiny_build.workdir,
        workdir,
        symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__", "locks", "incomplete"),
    )
    configfile = tmp_path / Path(tiny_build.configfile).name
    shutil.copy2(tiny_build.configfile, configfile)
    return Build(workdir, configfile, copy.deepcopy(tiny_build.config), tiny_build.proc)


def jobs_of_dry_run(workdir: Path, *args: str) -> dict[str, int]:
    """Rule -> job count from a dry run's job stats ({} when nothing is to be done)."""
    return job_stats(run_snakemake(workdir, "-n", *args).stdout)


def dry_run_blocks(workdir: Path, *args: str) -> list[dict]:
    """The jobs of a dry run, one dict each (:func:`dltheory.pipeline.dry_run_jobs`):
    ``rule``, ``reason`` (text), ``threads``, ``wildcards`` and the lists ``input``,
    ``output``, ``log`` and ``benchmark`` where the job has them."""
    return pipeline.dry_run_jobs(run_snakemake(workdir, "-n", *args).stdout)


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
