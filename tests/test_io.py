import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dltheory import io

SCHEMA = pa.schema([("layer", pa.int64()), ("q", pa.float64()), ("label", pa.string())])


def _frame():
    return pd.DataFrame({"layer": [0, 1, 2], "q": [1.0, 2.5, np.inf], "label": ["a", "b", "c"]})


def test_round_trip_keeps_values_types_and_order(tmp_path):
    path = io.write_table(_frame(), tmp_path / "t.parquet", schema=SCHEMA)
    back = io.read_table(path)
    pd.testing.assert_frame_equal(back, _frame())
    assert list(back.columns) == SCHEMA.names
    assert back["layer"].dtype == np.int64


def test_params_stored_as_metadata(tmp_path):
    params = {"sigma_w": np.float64(2.0), "grid": (1, 2), "nested": {"b": 1, "a": [0.3]}}
    path = io.write_table(_frame(), tmp_path / "t.parquet", schema=SCHEMA, params=params)
    assert io.read_params(path) == {"sigma_w": 2.0, "grid": [1, 2], "nested": {"a": [0.3], "b": 1}}
    raw = io.pq.read_schema(path).metadata[io.PARAMS_KEY]
    assert json.loads(raw) == io.read_params(path)


def test_identical_bytes_twice(tmp_path):
    a = io.write_table(_frame(), tmp_path / "a.parquet", schema=SCHEMA, params={"x": 1})
    b = io.write_table(_frame(), tmp_path / "b.parquet", schema=SCHEMA, params={"x": 1})
    assert a.read_bytes() == b.read_bytes()
    c = io.write_table(_frame(), tmp_path / "c.parquet", schema=SCHEMA, params={"x": 2})
    assert a.read_bytes() != c.read_bytes()


def test_schema_mismatch_names_the_column_and_writes_nothing(tmp_path):
    target = tmp_path / "t.parquet"
    with pytest.raises(ValueError, match="label"):
        io.write_table(_frame().drop(columns="label"), target, schema=SCHEMA)
    assert not target.exists()
    assert os.listdir(tmp_path) == []


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "t.parquet"
    io.write_table(_frame(), target, schema=SCHEMA)
    before = target.read_bytes()

    class Boom(RuntimeError):
        pass

    with pytest.raises(Boom):
        with io.atomic_path(target) as tmp:
            tmp.write_bytes(b"partial")
            raise Boom
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["t.parquet"]


def test_missing_table_has_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.parquet"):
        io.read_table(tmp_path / "nope.parquet")


@pytest.mark.slow
def test_figures_are_deterministic(tmp_path):
    from dltheory import style

    def draw(stem):
        fig, ax = style.figure()
        ax.plot([0, 1, 2], [1, 0, 2], label="x")
        ax.legend()
        return style.save(fig, [tmp_path / f"{stem}.png", tmp_path / f"{stem}.pdf"])

    a, b = draw("a"), draw("b")
    for pa_, pb_ in zip(a, b, strict=True):
        assert pa_.read_bytes() == pb_.read_bytes(), pa_.suffix


# --------------------------------------------------------------------------------------
# The set-up of a workflow script: io.job(snakemake), no import-time side effects
# --------------------------------------------------------------------------------------

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"
#: package modules a script may import before its set-up (they import nothing heavy that
#: can fail for a subject's reasons; style imports activations for labels anyway); every
#: other dltheory import goes inside the block
SET_UP_MODULES = {"activations", "io", "seeds", "style"}

FAKE_SNAKEMAKE = """
class Params(dict):
    __getattr__ = dict.__getitem__
class FakeSnakemake:
    input = output = wildcards = []
    params = Params(seed=5)
    threads = 1
    rule = "fake_rule"
    config = {{}}
    log = [{log!r}]
snakemake = FakeSnakemake()
"""

PATTERN = """
from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
{body}
"""


def _run_script(tmp_path, body: str, name: str = "script.py"):
    """Run a script of the set-up pattern with a fake ``snakemake`` in its globals."""
    log = tmp_path / "rule.log"
    script = tmp_path / name
    indented = "\n".join("        " + line for line in body.splitlines())
    script.write_text(FAKE_SNAKEMAKE.format(log=str(log)) + PATTERN.format(body=indented))
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path
    )
    return proc, (log.read_text() if log.exists() else "")


@pytest.mark.slow
def test_an_exception_in_the_job_block_goes_to_the_log_and_fails_the_script(tmp_path):
    proc, log = _run_script(tmp_path, 'raise RuntimeError("deliberate failure of the test")')
    assert proc.returncode != 0
    assert "Traceback" in log and "RuntimeError: deliberate failure of the test" in log, log
    # printed once on stderr (by Python), not a second time by the logger
    assert proc.stderr.count("RuntimeError: deliberate failure of the test") == 1, proc.stderr


def test_a_failing_import_of_a_subject_module_goes_to_the_log(tmp_path):
    # a module beside the script (on its sys.path) that fails while it is imported
    (tmp_path / "broken_subject.py").write_text('raise ImportError("deliberately broken")\n')
    proc, log = _run_script(tmp_path, "import broken_subject  # noqa: F401")
    assert proc.returncode != 0
    assert "ImportError: deliberately broken" in log and "broken_subject.py" in log, log


@pytest.mark.slow
def test_a_successful_job_logs_progress_warnings_and_its_seed(tmp_path):
    body = (
        "import warnings\n"
        "from dltheory import seeds\n"
        "job.log.info('seed %d', job.seed)\n"
        "assert job.seed == seeds.derive(5, 'fake_rule')\n"
        "assert job.figure_overlap == 'warn'\n"
        "warnings.warn('a deliberate warning', RuntimeWarning, stacklevel=1)\n"
    )
    proc, log = _run_script(tmp_path, body)
    assert proc.returncode == 0, proc.stderr
    assert "rule fake_rule: 1 thread(s)" in log
    assert "a deliberate warning" in log and "Traceback" not in log


def test_a_job_snakemake_started_ends_its_process_after_flushing(tmp_path):
    # a job with Snakemake's scriptdir (this checkout's): after a successful block the
    # process exits at once, with the log and the (block-buffered) stdout flushed and
    # without Python's teardown (the atexit handler never runs)
    body = (
        "import atexit\n"
        "snakemake.scriptdir = " + repr(str(SCRIPTS)) + "\n"
        "atexit.register(print, 'teardown ran')\n"
        "job.log.info('the last line of the log')\n"
        "print('printed in the job')\n"
    )
    proc, log = _run_script(tmp_path, body)
    assert proc.returncode == 0, proc.stderr
    assert "the last line of the log" in log
    assert "printed in the job" in proc.stdout and "teardown ran" not in proc.stdout
    # a failing block exits the usual way: traceback, status 1
    proc, log = _run_script(tmp_path, body + "raise RuntimeError('deliberate')\n")
    assert proc.returncode == 1 and "RuntimeError: deliberate" in log
    assert "teardown ran" in proc.stdout


def test_a_finished_job_logs_its_start_up_before_its_first_use_of_the_job(tmp_path):
    # CPU burnt before the script first touches the job (as an import would) counts as
    # start-up; CPU after it as work; the finished line holds both (benchmarks/profile.py)
    burn = "t = time.process_time()\nwhile time.process_time() - t < {:g}: pass\n"
    body = "import time\n" + burn.format(0.3) + "job.log.info('work')\n" + burn.format(0.4)
    proc, log = _run_script(tmp_path, body)
    assert proc.returncode == 0, proc.stderr
    start = re.search(r"start-up: ([\d.]+) s wall, ([\d.]+) s CPU before the job's first", log)
    total = re.search(r"finished: ([\d.]+) s wall, ([\d.]+) s CPU in all", log)
    assert start and total, log
    start_cpu, total_cpu = float(start.group(2)), float(total.group(2))
    # the log rounds to 0.01 s, and os.times counts clock ticks (0.01 s): 0.03 s of slack
    assert start_cpu >= 0.3 - 0.03 and total_cpu - start_cpu >= 0.4 - 0.03, log
    assert float(total.group(1)) >= float(start.group(1)) > 0


@pytest.mark.slow
def test_importing_the_package_changes_no_global_state():
    code = (
        "import os, sys, logging\n"
        "hook = sys.excepthook\n"
        "import dltheory, dltheory.io, dltheory.seeds, dltheory.style\n"
        "assert sys.excepthook is hook, 'an import installed an excepthook'\n"
        "dltheory.style.apply()\n"
        "assert 'SOURCE_DATE_EPOCH' not in os.environ, 'style.apply set SOURCE_DATE_EPOCH'\n"
        "assert not logging.getLogger('py.warnings').handlers\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)


#: the modules that simulate or train networks in torch; every other module of the package
#: (theory, fits, tables, plotting, answers, the pipeline) loads without torch, so that a
#: theory, plotting or answers job does not pay torch's start-up
TORCH_MODULES = {"networks", "saxe", "saxe_nets", "training", "ugrnn"}


def test_only_the_simulation_modules_load_torch():
    import pkgutil

    import dltheory

    light = sorted(
        m.name for m in pkgutil.iter_modules(dltheory.__path__) if m.name not in TORCH_MODULES
    )
    assert {"meanfield", "network_fits", "curvature", "finite_width", "style"} <= set(light)
    code = (
        "import sys\n"
        f"for name in {light!r}:\n"
        "    __import__('dltheory.' + name)\n"
        "    assert 'torch' not in sys.modules, f'importing dltheory.{name} loads torch'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


class _Params(dict):
    def __getattr__(self, name):
        return self[name]


class _Smk:
    def __init__(self, tmp_path, config=None, wildcards=None, params=None):
        self.input, self.output = [], []
        self.wildcards = _Params(wildcards or {})
        self.params = _Params(params if params is not None else {"seed": 7})
        self.threads, self.rule = 1, "some_rule"
        self.log = [str(tmp_path / "some_rule.log")]
        self.config = config or {}


def test_job_seed_and_figure_overlap(tmp_path):
    from dltheory import seeds

    job = io.job(_Smk(tmp_path))
    assert job.seed == seeds.derive(7, "some_rule") and job.base_seed == 7
    chunk = io.job(_Smk(tmp_path, wildcards={"depth": "10", "a": 1}))
    # chunks of one rule (wildcards) draw independent streams, keyed in sorted order
    assert chunk.stream_keys == ("some_rule", "a=1", "depth=10")
    assert chunk.seed == seeds.derive(7, "some_rule", "a=1", "depth=10") != job.seed
    with pytest.raises(KeyError, match="some_rule.*params.seed"):
        _ = io.job(_Smk(tmp_path, params={})).seed
    assert io.job(_Smk(tmp_path, {"figure_overlap": "error"})).figure_overlap == "error"
    with pytest.raises(ValueError, match="'figure_overlap' is 'loud'; allowed: 'warn', 'error'"):
        _ = io.job(_Smk(tmp_path, {"figure_overlap": "loud"})).figure_overlap


def test_job_as_context_manager_logs_and_reraises(tmp_path):
    job = io.job(_Smk(tmp_path))
    with pytest.raises(ZeroDivisionError), job:
        1 / 0  # noqa: B018
    text = (tmp_path / "some_rule.log").read_text()
    assert "the job failed" in text and "ZeroDivisionError" in text


def test_mock_snakemake_from_argv_refuses_bad_arguments():
    with pytest.raises(ValueError, match="--configfile needs a file name"):
        io.mock_snakemake_from_argv("x.py", ["--configfile"])
    with pytest.raises(ValueError, match="at most one rule name"):
        io.mock_snakemake_from_argv("x.py", ["rule_a", "rule_b"])


def _is_set_up_block(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` + the mock fallback + ``with io.job(snakemake) as job:``."""
    if not (isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'"):
        return False
    if len(node.body) != 2 or node.orelse:
        return False
    fallback, with_ = node.body
    return (
        ast.unparse(fallback)
        == "if 'snakemake' not in globals():\n    snakemake = io.mock_snakemake_from_argv(__file__)"
        and isinstance(with_, ast.With)
        and len(with_.items) == 1
        and ast.unparse(with_.items[0]) == "io.job(snakemake) as job"
    )


def test_every_script_has_the_one_set_up_pattern():
    scripts = sorted(SCRIPTS.glob("*.py"))
    assert len(scripts) >= 70, len(scripts)
    for path in scripts:
        source = path.read_text()
        tree = ast.parse(source, filename=str(path))
        compile(tree, str(path), "exec")
        *head, last = tree.body
        assert _is_set_up_block(last), f"{path.name}: must end in the set-up block (io.job docs)"
        for node in head:  # definitions only: nothing runs when the script is imported
            ok = isinstance(
                node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef | ast.Assign
            ) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
            assert ok, f"{path.name}:{node.lineno}: top-level code outside the set-up block"
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dltheory"):
                names = {a.name for a in node.names}
                assert node.module == "dltheory" and names <= SET_UP_MODULES, (
                    f"{path.name}:{node.lineno}: import subject modules inside the job block, "
                    "so that a failing import lands in the rule's log"
                )
        calls = [
            n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "io.job"
        ]
        assert len(calls) == 1, f"{path.name}: one io.job call"
        uses = [
            n.lineno
            for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and ast.unparse(n.value) == "snakemake"
        ]
        assert not uses, f"{path.name}:{uses}: use job.*, not snakemake.*"
        assert "_getframe" not in source and "excepthook" not in source, path.name


@pytest.mark.slow
def test_figure_bytes_do_not_depend_on_the_process_or_the_clock(tmp_path):
    """Two builds of one figure in separate processes give identical PNG and PDF bytes."""
    code = (
        "import sys, time\n"
        "from dltheory import style\n"
        "fig, ax = style.figure()\n"
        "ax.plot([0, 1, 2], [1, 0, 2], 'o-', label='x')\n"
        "ax.set_title('left', loc='left'); fig.suptitle('title')\n"
        "ax.legend(loc='upper center')\n"
        "style.save(fig, [sys.argv[1] + '.png', sys.argv[1] + '.pdf'], overlap='error')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    for stem in ("a", "b"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / stem)], check=True, env=env)
    for suffix in (".png", ".pdf"):
        a, b = (tmp_path / f"{s}{suffix}" for s in "ab")
        assert a.read_bytes() == b.read_bytes(), suffix
    assert b"CreationDate" not in (tmp_path / "a.pdf").read_bytes()


def test_a_missing_column_names_the_table_its_columns_and_the_rebuild(tmp_path):
    table = tmp_path / "t.parquet"
    io.write_table(pd.DataFrame({"q_in": [1.0], "renamed": [2.0]}), table, params={"seed": 7})
    smk = _Smk(tmp_path)
    smk.input = [str(table)]
    with pytest.raises(io.MissingColumnError) as err:
        with io.job(smk) as job:
            io.read_table(job.input[0])["q_out"]
    text = str(err.value)
    assert str(table) in text and "'q_out'" in text and "['q_in', 'renamed']" in text
    assert "--force" in text and "MissingColumnError" in (tmp_path / "some_rule.log").read_text()
