"""Workflow integrity: code inputs follow the imports, failures reach the log,
one set-up call per script, seeds by rule name, threads from the rule, answers from the
config, scripts runnable alone."""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import subprocess
import sys
import tokenize
from collections import defaultdict
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    CEILING,
    ROOT,
    copy_workflow,
    dry_run_blocks,
    load_config,
    run_snakemake,
    write_config,
)

from dltheory import io as dio
from dltheory import pipeline, seeds

SRC = ROOT / "src" / "dltheory"
SCRIPTS = ROOT / "workflow" / "scripts"
MODULES = sorted(p.stem for p in SRC.glob("*.py") if p.stem != "__init__")
#: modules edited one at a time in a dry run: a module nearly every rule reaches, one of a
#: single section, one only the answers and the book reach.
#: (Every module's reach is checked against the declared code inputs of every rule by
#: test_every_script_rule_declares_its_code_inputs_and_env; these runs check that Snakemake
#: acts on them.)
EDITED = ["io", "saxe_trees", "answers"]


# -- an independent reading of the imports (regex over the text, not the syntax tree) --

_IMPORT = re.compile(
    r"^\s*(?:from\s+(\.+\w*|dltheory(?:\.\w+)?)\s+import\s+([\w ,()]+)|import\s+dltheory\.(\w+))",
    re.M,
)


def _without_strings(path: Path) -> str:
    """The file's text with every string literal (docstrings too) blanked out."""
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    out = list(text)
    for tok in tokenize.generate_tokens(StringIO(text).readline):
        if tok.type == tokenize.STRING:
            start = offsets[tok.start[0] - 1] + tok.start[1]
            end = offsets[tok.end[0] - 1] + tok.end[1]
            out[start:end] = [c if c == "\n" else " " for c in text[start:end]]
    return "".join(out)


@functools.cache  # files do not change during a run; tokenizing every module is slow
def _direct_imports(path: Path) -> frozenset[str]:
    found = set()
    for source, names, plain in _IMPORT.findall(_without_strings(path)):
        if plain:
            found.add(plain)
            continue
        base = source.lstrip(".") if source.startswith(".") else source.partition(".")[2]
        if base:
            found.add(base)
        else:
            names = names.replace("(", "").replace(")", "").split(",")
            found.update(n.split()[0] for n in names if n.strip())
    return frozenset(m for m in found if m in MODULES)


@functools.cache
def _reach(script: Path) -> frozenset[str]:
    todo, seen = list(_direct_imports(script)), set()
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(_direct_imports(SRC / f"{m}.py"))
    return frozenset(seen)


def _scripts_of_rules() -> dict[str, Path]:
    """rule -> script, read from the rule files (``use rule`` inherits its base's script)."""
    text = "\n".join(p.read_text() for p in (ROOT / "workflow" / "rules").glob("*.smk"))
    scripts = {}
    for block in re.split(r"\n(?=rule |use rule )", text):
        own = re.match(r"rule (\w+):", block)
        script = re.search(r'^    script:\n\s+"([^"]+)"', block, re.M)
        if own and script:
            scripts[own.group(1)] = script.group(1)
    for base, derived in re.findall(r"^use rule (\w+) as (\w+)", text, re.M):
        scripts[derived] = scripts[base]
    return {r: SCRIPTS / Path(s).name for r, s in scripts.items()}


RULE_FILES = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]


def test_the_import_reader_skips_strings_and_comments_and_reads_every_form(tmp_path):
    pkg = tmp_path / "dltheory"
    pkg.mkdir()
    for name in ("__init__", "a", "b", "c", "d", "e", "f", "g", "h", "s", "t"):
        (pkg / f"{name}.py").write_text("")
    script = tmp_path / "script.py"
    script.write_text(
        '"""Docstring: from dltheory import s\nimport dltheory.s"""\n'
        "import os, dltheory.a as x  # from dltheory import t\n"
        "from dltheory import (\n    b,  # a comment with a quote: don't\n    c,\n)\n"
        "from dltheory.d import thing\n"
        'text = "# not a comment, from dltheory import t"\n'
        "def f():\n    from dltheory import e, __version__\n"
        "    other = 'it''s' ; name = r'from dltheory import t'\n"
        "class K:\n    import dltheory.f\n"
        "x = '''\nfrom dltheory import t\n'''\n"
        "from dltheory import g as gg, h\n"
    )
    assert pipeline.imported_modules(script, pkg) == set("abcdefgh")
    inner = pkg / "s.py"
    inner.write_text("from . import a\nfrom .b import y\nfrom .. import c\nfrom os import d\n")
    assert pipeline.imported_modules(inner, pkg) == {"a", "b"}


def test_every_script_rule_declares_its_code_inputs_and_env():
    """Each rule with a script lists, as its `code` input, exactly the package files its
    script reaches (by the package's walk and by the regex reading above), and names the
    one conda environment; read from a dry run's public output and the rule files."""
    scripts = _scripts_of_rules()
    # the *_available rules lose a ruleorder to the complete ones: asked for by name
    available = sorted(r for r in scripts if r.endswith("_available"))
    blocks = dry_run_blocks(ROOT, "--forceall", "--nolock")
    for rule in available:
        blocks += dry_run_blocks(ROOT, "--forceall", "--nolock", rule)
    seen = set()
    for block in blocks:
        rule = block["rule"]
        if rule not in scripts:
            continue
        seen.add(rule)
        code = sorted(f for f in block.get("input", []) if f.startswith("src/"))
        walk = pipeline.code_inputs(scripts[rule], SRC)
        assert code == sorted(str(Path(f).relative_to(ROOT)) for f in walk), rule
        regex = {"__init__", *_reach(scripts[rule])}
        assert {Path(f).stem for f in code} == regex, (rule, sorted(regex))
    assert seen == set(scripts), set(scripts) - seen
    text = "\n".join(p.read_text() for p in RULE_FILES)
    for block in re.split(r"\n(?=rule |use rule )", text):
        own = re.match(r"rule (\w+):", block)
        if own and own.group(1) in scripts:
            assert re.search(r"^    conda:\n        CONDA_ENV$", block, re.M), own.group(1)
            script = Path(scripts[own.group(1)]).name
            assert f'code=code_inputs("{script}")' in block, own.group(1)
        derived = re.match(r"use rule (\w+) as (\w+) with:", block)
        if derived and re.search(r"^    input:", block, re.M):  # replaces the base's input
            script = Path(scripts[derived.group(2)]).name
            assert f'code=code_inputs("{script}")' in block, derived.group(2)


def test_the_workflow_uses_only_public_snakemake():
    """No assignment to attributes (of rules, the workflow or anything else) and no
    Snakemake internals in the Snakefile and rule files."""
    internals = re.compile(
        r"workflow\.(dag|rules|modifier|_)|set_input|input_modifier|conda_env|is_run"
        r"|get_path_or_uri|\bResource\b|\.value\b|\._\w"
    )
    attribute_assignment = re.compile(r"^\s*[A-Za-z_]\w*(?:\.\w+)+\s*=(?!=)")
    for path in RULE_FILES:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            where = f"{path.name}:{number}: {line.strip()}"
            assert not internals.search(code), where
            assert not attribute_assignment.match(code), where
    pinned = re.search(r"^snakemake==(\d+)\.", (ROOT / "requirements.lock").read_text(), re.M)
    snakefile = (ROOT / "Snakefile").read_text()
    assert f'min_version("{pinned.group(1)}.0")' in snakefile


@pytest.mark.slow
def test_editing_a_module_reruns_exactly_the_rules_that_reach_it(tmp_path):
    """Each module edit reruns every rule whose script reaches it (and their
    consumers, whose inputs change), and no other rule."""
    wf = copy_workflow(tmp_path / "wf")
    blocks = dry_run_blocks(wf, "--forceall")
    scripts = _scripts_of_rules()
    produced_by = {f: b["rule"] for b in blocks for f in b.get("output", [])}
    consumers = defaultdict(set)
    for b in blocks:
        for f in b.get("input", []):
            if f in produced_by:
                consumers[produced_by[f]].add(b["rule"])
    # every output exists and is newer than every source: nothing to do
    t0 = 1_700_000_000
    for p in wf.rglob("*"):
        if p.is_file() and not p.is_symlink():
            os.utime(p, (t0, t0))
    for b in blocks:
        for f in b.get("output", []) + b.get("log", []):
            path = wf / f
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
            os.utime(path, (t0 + 100, t0 + 100))
    assert "Nothing to be done" in run_snakemake(wf, "-n").stdout

    assert "answers_meanfield" in scripts and "cstar_phase" in scripts
    assert set(EDITED) <= set(MODULES)
    for module in EDITED:
        direct = {r for r, s in scripts.items() if module in _reach(s)}
        expected, todo = set(), list(direct)
        while todo:
            r = todo.pop()
            if r not in expected:
                expected.add(r)
                todo.extend(consumers[r])
        expected.discard("all")
        # rules that lose a ruleorder (answers_available, ...) run only when named
        expected = {r for r in expected if not r.endswith("_available")}
        src = wf / "src" / "dltheory" / f"{module}.py"
        os.utime(src, (t0 + 200, t0 + 200))
        rerun = {b["rule"] for b in dry_run_blocks(wf)} - {"all"}
        os.utime(src, (t0, t0))
        assert rerun == expected, (module, sorted(rerun ^ expected))
    # a script that imports the answers module: answers_meanfield reaches dltheory.answers
    assert "answers" in _reach(scripts["answers_meanfield"])


def _break_script(wf: Path, script: str, line: str) -> None:
    path = wf / "workflow" / "scripts" / script
    text = path.read_text()
    setup = "    with io.job(snakemake) as job:\n"
    assert setup in text
    path.write_text(text.replace(setup, f"{setup}        {line}\n", 1))


@pytest.mark.slow
def test_a_failing_job_leaves_its_traceback_in_the_log(tmp_path):
    """Uncaught exceptions land in the rule's log, and --show-failed-logs shows it."""
    wf = copy_workflow(tmp_path / "wf")
    _break_script(wf, "qmap_theory.py", 'raise RuntimeError("deliberate failure of the test")')
    proc = run_snakemake(wf, "--cores", "1", "results/data/poole/qmap_theory.parquet", check=False)
    assert proc.returncode != 0
    log = (wf / "results/logs/poole/qmap_theory.log").read_text()
    assert "Traceback" in log and "RuntimeError: deliberate failure of the test" in log, log
    assert "deliberate failure of the test" in proc.stdout + proc.stderr
    assert not (wf / "results/data/poole/qmap_theory.parquet").exists()

    # a failure before io.job() (importing a broken module) is logged as well
    wf2 = copy_workflow(tmp_path / "wf2")
    mf = wf2 / "src" / "dltheory" / "meanfield.py"
    mf.write_text(mf.read_text() + '\nraise ImportError("deliberately broken module")\n')
    proc = run_snakemake(wf2, "--cores", "1", "results/data/poole/qmap_theory.parquet", check=False)
    assert proc.returncode != 0
    log = (wf2 / "results/logs/poole/qmap_theory.log").read_text()
    assert "ImportError: deliberately broken module" in log, log


def test_warnings_go_to_the_log(tmp_path):
    log_path = tmp_path / "warn.log"
    code = (
        "import warnings\n"
        "from dltheory import io\n"
        "class S:\n"
        f"    log = [{str(log_path)!r}]; threads = 1; rule = 'warn_rule'\n"
        "    input = output = wildcards = []; params = {}\n"
        "job = io.job(S())\n"
        "warnings.warn('a deliberate warning', RuntimeWarning, stacklevel=1)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    assert "a deliberate warning" in log_path.read_text()


class _Params(dict):
    def __getattr__(self, name):
        return self[name]


class _FakeSnakemake:
    def __init__(self, log, threads, rule, params=None):
        self.log, self.threads, self.rule = log, threads, rule
        self.input = self.output = self.wildcards = []
        self.params = _Params(params or {})


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 2])
def test_job_sets_torch_and_blas_threads_from_the_rule(tmp_path, threads):
    """The thread count comes from the rule's threads:, not the machine."""
    code = (
        "import torch, threadpoolctl\n"
        "from dltheory import io\n"
        "class P(dict):\n    __getattr__ = dict.__getitem__\n"
        "class S:\n"
        f"    log = [{str(tmp_path / 'x.log')!r}]; threads = {threads}; rule = 'r'\n"
        "    input = output = wildcards = []; params = P()\n"
        "job = io.job(S())\n"
        "blas = {p['num_threads'] for p in threadpoolctl.threadpool_info()}\n"
        "print(torch.get_num_threads(), max(blas) if blas else -1)\n"
    )
    env = dict(os.environ, OMP_NUM_THREADS="7", MKL_NUM_THREADS="7")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    assert int(out[0]) == threads
    assert int(out[1]) in (-1, threads)


def test_every_script_makes_the_one_set_up_call_and_no_literal_seed():
    for script in sorted(SCRIPTS.glob("*.py")):
        text = script.read_text()
        assert text.count("io.job(snakemake)") == 1, f"{script.name}: one io.job() call"
        assert "snakemake." not in text, f"{script.name}: use job.*, not snakemake.*"
        assert "script_logger" not in text, script.name
        assert not re.search(r"seed\s*[+*]\s*\d|\d\s*\+\s*seed|SEED_OFFSET", text), script.name
    rules = "\n".join(p.read_text() for p in (ROOT / "workflow" / "rules").glob("*.smk"))
    assert "offset=" not in rules and "pkg(" not in rules


def test_job_seeds_differ_by_rule_and_chunk_and_repeat():
    smk = _FakeSnakemake(log=[], threads=1, rule="r", params={"seed": 5})
    job = dio.job(smk)
    assert job.base_seed == 5 and job.seed == seeds.derive(5, "r")
    assert dio.job(_FakeSnakemake(log=[], threads=1, rule="r", params={"seed": 5})).seed == job.seed
    other = dio.job(_FakeSnakemake(log=[], threads=1, rule="x", params={"seed": 5}))
    assert other.seed != job.seed
    with pytest.raises(KeyError, match="params.seed"):
        _ = dio.job(_FakeSnakemake(log=[], threads=1, rule="r")).seed
    # chunks of one rule (wildcards) draw independent streams
    chunk = _FakeSnakemake(log=[], threads=1, rule="r", params={"seed": 5})
    chunk.wildcards = _Params(depth="10")
    assert dio.job(chunk).seed == seeds.derive(5, "r", "depth=10") != job.seed


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_saxe_answers_follow_the_config():
    """dt, tau, a0 and the updates in the answer text come from the config."""
    from dltheory import saxe

    cfg = load_config()["saxe"]["exercise1"]
    cfg = dict(cfg, dt=0.05, eta=0.5, t_max=6.0, a0=0.002)
    table = saxe.exercise1(
        sigma_yx=np.asarray(cfg["sigma_yx"], float),
        sigma_x=np.asarray(cfg["sigma_x"], float),
        hidden=cfg["hidden"],
        dt=cfg["dt"],
        tau=1.0 / cfg["eta"],
        t_max=cfg["t_max"],
        init_var=cfg["init_var"],
        a0=cfg["a0"],
        seed=0,
    )
    rows = {r.id: r for r in _load_script("saxe_answers").exercise1_rows(table, cfg)}
    euler = rows["saxe_ex1_euler_final"]
    assert "dt = 0.05" in euler.question and "T = 6" in euler.question
    assert "tau = 1/eta = 2 (120 updates)" in euler.formula
    assert "a0 = 0.002" in rows["saxe_ex1_learning_time"].answer
    assert "a0 = 0.002" in rows["saxe_ex1_discrepancy"].question
    assert "sqrt(7)" not in rows["saxe_ex1_s_alpha"].answer
    assert "s^2 = 7, 3, 1, 1" in rows["saxe_ex1_s_alpha"].answer


def test_no_answer_text_in_the_science_modules():
    for path in SRC.glob("*.py"):
        if path.stem not in ("answers", "io"):
            assert "Answer(" not in path.read_text(), path.name


def test_all_lists_every_public_function():
    import ast

    for path in sorted(SRC.glob("*.py")):
        if path.stem == "__init__":
            continue
        tree = ast.parse(path.read_text())
        public = {
            n.name
            for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith("_")
        }
        module = importlib.import_module(f"dltheory.{path.stem}")
        assert hasattr(module, "__all__"), path.name
        missing = public - set(module.__all__)
        assert not missing, (path.name, sorted(missing))
        assert all(hasattr(module, name) for name in module.__all__), path.name


@pytest.mark.slow
def test_a_script_runs_alone_for_debugging(tmp_path):
    """pypsa-eur's mock_snakemake: `python workflow/scripts/<x>.py [rule]` works, from any
    directory (the workflow is found from the script's path)."""
    wf = copy_workflow(tmp_path / "wf")
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(wf / "src"))
    cfg = load_config()
    cfg["qmap"].update(n_theory=11)
    write_config(tmp_path / "small.yaml", cfg)
    proc = subprocess.run(
        [sys.executable, str(wf / "workflow/scripts/qmap_theory.py"), "--configfile", "small.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=CEILING,
    )
    assert proc.returncode == 0, proc.stderr
    table = dio.read_table(wf / "results/data/poole/qmap_theory.parquet")
    assert len(table) == 11 * len(cfg["qmap"]["sigma_w"])
    assert "rule qmap_theory" in (wf / "results/logs/poole/qmap_theory.log").read_text()
    # a script shared by several rules needs the rule's name
    proc = subprocess.run(
        [sys.executable, "workflow/scripts/meanfield_plot_phase.py"],
        cwd=wf,
        env=env,
        capture_output=True,
        text=True,
        timeout=CEILING,
    )
    assert proc.returncode != 0 and "name one" in proc.stderr, proc.stderr


@pytest.mark.slow
def test_targets_before_configfile_as_the_readme_says(tmp_path):
    """README: `snakemake --cores 2 qmap --configfile my.yaml` builds qmap with my.yaml."""
    wf = copy_workflow(tmp_path / "wf")
    cfg = load_config()
    cfg["qmap"]["sigma_b"] = 0.2
    write_config(wf / "my.yaml", cfg)
    readme = (ROOT / "README.md").read_text()
    assert "--cores 2 qmap --configfile my.yaml" in readme
    jobs = {b["rule"] for b in dry_run_blocks(wf, "qmap", "--configfile", "my.yaml")}
    assert jobs == {"qmap", "qmap_theory", "qmap_simulation"}


def test_every_job_with_a_log_writes_its_own_benchmark_file(workflow_dir):
    """`make profile` reads one Snakemake benchmark file per job: every job of the default
    and the full config that runs code (has a log) has one, under results/benchmarks/,
    and no two jobs share one."""
    from conftest import ROOT, dry_run_blocks

    for config in ("config.yaml", str(ROOT / "config.full.yaml")):
        blocks = dry_run_blocks(workflow_dir, "--forceall", "--configfile", config)
        coded = [b for b in blocks if b.get("log")]
        assert len(coded) > 100, config
        missing = sorted({b["rule"] for b in coded if not b.get("benchmark")})
        assert not missing, (config, missing)
        files = [f for b in coded for f in b["benchmark"]]
        assert all(f.startswith("results/benchmarks/") and f.endswith(".tsv") for f in files)
        assert len(files) == len(set(files)), config
