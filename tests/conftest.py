"""Shared fixtures: a copy of the workflow in a temporary directory, and a runner."""

from __future__ import annotations

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


def run_snakemake(workdir: Path, *args: str, check: bool = True, timeout: int = 600):
    # the copy's own package first (the venv's editable install points at the checkout)
    env = dict(
        os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0", PYTHONPATH=str(Path(workdir) / "src")
    )
    proc = subprocess.run(
        [SNAKEMAKE, *args],
        cwd=workdir,
        env=env,
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
    out = run_snakemake(workdir, "-n", *args).stdout
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
