"""The Snakemake layer: DAG resolution, lint, formatting, config validation, reruns."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import (
    ROOT,
    jobs_of_dry_run,
    load_config,
    run_snakemake,
    write_config,
)

import dltheory.io as dio

FIGURES_MD = ROOT.parent / "shared" / "FIGURES.md"


def catalogue_ids() -> list[str]:
    if not FIGURES_MD.exists():
        pytest.skip("../shared/FIGURES.md is not beside the checkout")
    return re.findall(r"^\| `([a-z0-9_]+)`", FIGURES_MD.read_text(), flags=re.M)


def defined_rules() -> set[str]:
    out = run_snakemake(ROOT, "--list-rules").stdout
    return {line.strip() for line in out.splitlines() if line.strip() and " " not in line.strip()}


def test_rule_all_lists_exactly_the_existing_figures():
    ids = catalogue_ids()
    rules = defined_rules()
    existing = [i for i in ids if i in rules]
    assert "qmap" in existing
    out = run_snakemake(ROOT, "-n", "--forceall", "all").stdout
    for fid in existing:
        assert f"results/figures/{fid}.png" in out, fid
    # no figure rule outside the catalogue
    figure_rules = set(re.findall(r"results/figures/([a-z0-9_]+)\.png", out))
    assert figure_rules <= set(ids), figure_rules - set(ids)


def test_each_figure_target_resolves():
    # one dry run naming every figure rule as a target: it fails if any of them does not
    # resolve, and lists the outputs of each
    rules = defined_rules()
    ids = [i for i in catalogue_ids() if i in rules]
    out = run_snakemake(ROOT, "-n", "--nolock", "--forceall", *ids).stdout
    for fid in ids:
        assert f"results/figures/{fid}.pdf" in out, fid


def test_lint_is_clean():
    proc = run_snakemake(ROOT, "--lint", check=False)
    assert proc.returncode == 0 and "Lints for" not in proc.stdout + proc.stderr, proc.stdout


def test_snakefmt_is_clean():
    snakefmt = str(Path(sys.executable).with_name("snakefmt"))
    files = ["Snakefile", *map(str, sorted((ROOT / "workflow" / "rules").glob("*.smk")))]
    proc = subprocess.run([snakefmt, "--check", *files], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


PART = "results/answers/meanfield.parquet"  # the merged table would build every topic


def _tiny_config() -> dict:
    cfg = load_config()
    cfg["qmap"].update(width=200, n_theory=21, n_sim=5)
    return cfg


@pytest.mark.slow
def test_qmap_end_to_end_and_minimal_reruns(workflow_dir):
    cfg_path = write_config(workflow_dir / "tiny.yaml", _tiny_config())
    run_snakemake(workflow_dir, "qmap", PART, "--cores", "2", "--configfile", str(cfg_path))
    figs = workflow_dir / "results" / "figures"
    for suffix in (".png", ".pdf"):
        out = figs / f"qmap{suffix}"
        assert out.stat().st_size > 5000, out
    assert (figs / "qmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    theory = dio.read_table(workflow_dir / "results/data/poole/qmap_theory.parquet")
    assert len(theory) == 3 * 21
    params = dio.read_params(workflow_dir / "results/data/poole/qmap_theory.parquet")
    assert params["cfg"]["width"] == 200
    part = dio.read_table(workflow_dir / PART)
    assert part.set_index("id").loc["sheet2_q1a_qstar", "answer"] == "2.2538"

    # second call: nothing to do
    assert jobs_of_dry_run(workflow_dir, "qmap", PART, "--configfile", str(cfg_path)) == {}

    # a config value read only by the qmap rules reruns only those
    cfg = _tiny_config()
    cfg["qmap"]["sigma_b"] = 0.25
    write_config(cfg_path, cfg)
    jobs = jobs_of_dry_run(workflow_dir, "qmap", PART, "--configfile", str(cfg_path))
    assert set(jobs) == {"qmap_theory", "qmap_simulation", "qmap"}, jobs

    # editing a package module reruns the rules that list it, and nothing else
    cfg["qmap"]["sigma_b"] = 0.3
    write_config(cfg_path, cfg)
    mf = workflow_dir / "src" / "dltheory" / "networks.py"
    mf.write_text(mf.read_text() + "\n# touched by the test\n")
    jobs = jobs_of_dry_run(workflow_dir, "qmap", PART, "--configfile", str(cfg_path))
    assert set(jobs) == {"qmap_simulation", "qmap"}, jobs


BAD_CONFIGS = {
    "negative sigma": (("qmap", "sigma_b"), -0.1, "qmap.sigma_b", ">= 0"),
    "unknown activation": (("qmap", "activation"), "tanhh", "qmap.activation", "relu"),
    "empty grid": (("qmap", "sigma_w"), [], "qmap.sigma_w", "at least 1"),
    "wrong type": (("qmap", "width"), "wide", "qmap.width", "integer"),
    "unknown key": (("qmap", "widht"), 10, "qmap", "allowed keys"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_is_rejected_by_key_before_any_job(workflow_dir, case):
    (section, key), value, named, allowed = BAD_CONFIGS[case]
    cfg = _tiny_config()
    cfg[section][key] = value
    cfg_path = write_config(workflow_dir / "bad.yaml", cfg)
    proc = run_snakemake(
        workflow_dir, "qmap", "--cores", "1", "--configfile", str(cfg_path), check=False
    )
    message = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"config key '{named}'" in message, message
    assert allowed in message, message
    results = workflow_dir / "results"
    assert not results.exists() or not any(p.is_file() for p in results.rglob("*"))


def test_slurm_profile_resolves():
    out = run_snakemake(ROOT, "-n", "--nolock", "--forceall", "--profile", "profiles/slurm", "qmap")
    assert "qmap_theory" in out.stdout


def test_every_figure_has_a_caption_that_renders_cleanly():
    # `snakemake --report` renders workflow/report/<id>.rst with docutils; a stray |x| or
    # *emphasis* there is an error in the report, so parse each caption here
    import io

    import docutils.core

    rules = {
        a or b
        for a, b in re.findall(
            r"^(?:rule (\w+):|use rule \w+ as (\w+))",
            "".join(p.read_text() for p in ROOT.glob("workflow/rules/*.smk")),
            re.M,
        )
    }
    ids = [i for i in catalogue_ids() if i in rules]
    assert "qmap" in ids
    for fid in ids:
        path = ROOT / "workflow" / "report" / f"{fid}.rst"
        assert path.exists(), f"no caption for figure {fid}"
        warnings = io.StringIO()
        docutils.core.publish_doctree(
            path.read_text(),
            settings_overrides={"report_level": 2, "halt_level": 5, "warning_stream": warnings},
        )
        assert not warnings.getvalue(), (fid, warnings.getvalue())
