"""Chunked sweeps: one job per chunk, merged tables that do not depend on the chunk size."""

from __future__ import annotations

import math

import pytest
import yaml
from conftest import ROOT, jobs_of_dry_run, load_config, run_snakemake, write_config

LENGTHS = "results/data/schoenholz/networks_depth_scales_lengths.parquet"
CORRELATIONS = "results/data/schoenholz/networks_depth_scales_correlations.parquet"
SWEEP = "networks_depth_scales_simulation"


@pytest.mark.parametrize("config_file", ["config.yaml", "config.full.yaml"])
def test_the_sweep_is_one_job_per_chunk(config_file):
    ds = load_config()["networks"]["depth_scales"]
    override = yaml.safe_load((ROOT / config_file).read_text())
    ds.update(override.get("networks", {}).get("depth_scales", {}))
    jobs = jobs_of_dry_run(ROOT, "--nolock", "--forceall", LENGTHS, "--configfile", config_file)
    assert jobs[SWEEP] == math.ceil(len(ds["sigma_w2"]) / ds["sigmas_per_job"]) > 1, jobs
    assert jobs["networks_depth_scales_merge"] == 1


def test_merged_tables_are_the_same_bytes_for_any_chunk_size(tiny_copy):
    """The tiny build's sweep rerun with another number of sigma_w^2 per job: only the
    sweep and what reads its (new) files rerun, not the theory of the same slice, and
    the merged tables are the same bytes."""
    work, cfg = tiny_copy.workdir, tiny_copy.config
    ds = cfg["networks"]["depth_scales"]
    n_sigmas = len(ds["sigma_w2"])
    assert n_sigmas >= 3, "the test needs chunks of two sizes"
    built = [(work / t).read_bytes() for t in (LENGTHS, CORRELATIONS)]
    # one job for the whole grid against the build's chunks (or chunks of one against one)
    size = n_sigmas if ds["sigmas_per_job"] < n_sigmas else 1
    ds["sigmas_per_job"] = size
    other = str(write_config(tiny_copy.configfile, cfg))
    plan = jobs_of_dry_run(work, "depth_scales", "--configfile", other)
    assert plan[SWEEP] == math.ceil(n_sigmas / size), plan
    assert "networks_depth_scales_theory" not in plan, plan
    run_snakemake(work, LENGTHS, CORRELATIONS, "--cores", "2", "--configfile", other)
    assert [(work / t).read_bytes() for t in (LENGTHS, CORRELATIONS)] == built
