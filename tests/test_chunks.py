"""Chunked sweeps: one job per chunk, merged tables that do not depend on the chunk size."""

from __future__ import annotations

import math

import pytest
import yaml
from conftest import ROOT, copy_workflow, jobs_of_dry_run, load_config, run_snakemake, write_config

LENGTHS = "results/data/schoenholz/networks_depth_scales_lengths.parquet"
CORRELATIONS = "results/data/schoenholz/networks_depth_scales_correlations.parquet"
SWEEP = "networks_depth_scales_simulation"


def _tiny(sigmas_per_job: int) -> dict:
    cfg = load_config()
    cfg["networks"]["depth_scales"].update(
        sigma_w2=[1.0, 2.0, 4.0],
        width=60,
        depth=12,
        n_seeds=3,
        n_inputs=4,
        sigmas_per_job=sigmas_per_job,
    )
    return cfg


@pytest.mark.parametrize("config_file", ["config.yaml", "config.full.yaml"])
def test_the_sweep_is_one_job_per_chunk(config_file):
    ds = load_config()["networks"]["depth_scales"]
    override = yaml.safe_load((ROOT / config_file).read_text())
    ds.update(override.get("networks", {}).get("depth_scales", {}))
    jobs = jobs_of_dry_run(ROOT, "--nolock", "--forceall", LENGTHS, "--configfile", config_file)
    assert jobs[SWEEP] == math.ceil(len(ds["sigma_w2"]) / ds["sigmas_per_job"]) > 1, jobs
    assert jobs["networks_depth_scales_merge"] == 1


@pytest.mark.slow
def test_merged_tables_are_the_same_bytes_for_any_chunk_size(tmp_path):
    tables = {}
    for size in (1, 3):
        work = copy_workflow(tmp_path / f"size{size}")
        cfg = str(write_config(work / "tiny.yaml", _tiny(size)))
        assert jobs_of_dry_run(work, LENGTHS, "--configfile", cfg)[SWEEP] == 3 // size
        targets = [LENGTHS, CORRELATIONS] if size == 1 else ["depth_scales"]
        run_snakemake(work, *targets, "--cores", "2", "--configfile", cfg)
        tables[size] = [(work / t).read_bytes() for t in (LENGTHS, CORRELATIONS)]
    assert tables[1] == tables[3]
    # another chunk size changes no table's params: only the sweep and what reads its
    # (new) files rerun, not the theory of the same slice
    other = str(write_config(work / "other.yaml", _tiny(2)))
    plan = jobs_of_dry_run(work, "depth_scales", "--configfile", other)
    assert plan[SWEEP] == 2 and "networks_depth_scales_theory" not in plan, plan
