"""Tidy Parquet intermediates and small helpers shared by every workflow script.

Every table the pipeline writes goes through :func:`write_table`:

* an explicit Arrow schema (column order and types are part of the contract);
* the producing rule's parameters stored as JSON in the file metadata under
  ``dltheory.params`` (sorted keys, so equal parameters give equal bytes);
* an atomic write: the bytes go to a temporary file in the same directory, which is
  then renamed over the target, so a crash never leaves a half-written table;
* deterministic bytes: no timestamps, fixed compression, no pandas index.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import provenance as _provenance
from . import seeds

PARAMS_KEY = b"dltheory.params"
#: the log line of a job that was given config keys it did not read
UNREAD_CONFIG = "config keys given to this rule but not read by its script"
#: the provenance record (dltheory.provenance.record) of a table, as JSON
PROVENANCE_KEY = b"dltheory.provenance"
COMPRESSION = "zstd"

__all__ = [
    "PARAMS_KEY",
    "PROVENANCE_KEY",
    "ForeignCodeError",
    "ForeignTableError",
    "MissingColumnError",
    "read_provenance",
    "CorruptTableError",
    "Job",
    "MixedParamsError",
    "atomic_path",
    "FIGURE_OVERLAP_KEY",
    "FIGURE_OVERLAP_MODES",
    "check_inputs_belong",
    "check_own_code",
    "check_same_params",
    "end_process",
    "job",
    "mock_snakemake",
    "mock_snakemake_from_argv",
    "process_times",
    "read_params",
    "read_table",
    "render_caption",
    "script_logger",
    "to_jsonable",
    "write_table",
]


def to_jsonable(obj: Any) -> Any:
    """Convert params (Snakemake ``Params``, numpy scalars, tuples, paths) to plain JSON types."""
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if hasattr(obj, "items") and callable(obj.items):  # snakemake.io.Namedlist
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    return obj


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only on success.

    The temporary file keeps the target's suffix so that writers that infer the format
    from the name (matplotlib) still work. Temporaries of the same target that an
    interrupted write left behind (SIGKILL, a lost node) are removed first: in a
    Snakemake job the run holds the lock on its outputs, so no other writer owns them.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(target)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates 0600; give the output the mode a plain open() would (umask)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _remove_stale_temporaries(target: Path) -> None:
    """Delete ``.<stem>.<8 random characters>.tmp<suffix>`` files (mkstemp's names in
    :func:`atomic_path`) beside ``target``."""
    pattern = re.compile(
        rf"\.{re.escape(target.stem)}\.[a-z0-9_]{{8}}\.tmp{re.escape(target.suffix)}"
    )
    for candidate in target.parent.iterdir():
        if pattern.fullmatch(candidate.name):
            candidate.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_table(
    data: pd.DataFrame | Mapping[str, Any],
    path: str | os.PathLike,
    *,
    schema: pa.Schema | None = None,
    params: Mapping[str, Any] | None = None,
    require_numbers: bool = True,
) -> Path:
    """Write ``data`` to Parquet at ``path`` atomically with ``params`` in the metadata.

    ``schema`` fixes column names, order and types; without it the types are inferred
    from ``data``. Columns missing from ``data`` or not convertible raise ``ValueError``
    naming the column. A table whose float columns hold no finite number is refused
    unless ``require_numbers=False`` (a table of text with optional numbers).
    """
    if isinstance(data, pd.DataFrame):
        frame = data
    else:
        frame = pd.DataFrame(dict(data))
    if schema is not None:
        missing = [f.name for f in schema if f.name not in frame.columns]
        if missing:
            raise ValueError(f"write_table({path}): columns {missing} missing from data")
        frame = frame[[f.name for f in schema]]
        try:
            table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            raise ValueError(f"write_table({path}): data does not fit the schema: {err}") from err
    else:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    if require_numbers:
        _refuse_numberless(frame, path)
    meta = dict(table.schema.metadata or {})
    # pandas metadata records the pandas version only; keep it for dtype round trips.
    meta[PARAMS_KEY] = json.dumps(to_jsonable(params or {}), sort_keys=True).encode()
    if params is not None:
        data = params.get("data") if hasattr(params, "get") else None
        record = _provenance.record(_provenance.used_config(params), data or None)
        meta[PROVENANCE_KEY] = json.dumps(record, sort_keys=True).encode()
    table = table.replace_schema_metadata(meta)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression=COMPRESSION, use_dictionary=False)
    return Path(path)


def _refuse_numberless(frame: pd.DataFrame, path) -> None:
    """A table whose float columns hold no finite number at all is garbage, not a result.

    (A sweep fed a value it cannot compute with would otherwise leave an all-NaN table
    that Snakemake counts as complete.)
    """
    floats = frame.select_dtypes(include="floating")
    if len(frame) and floats.shape[1] and not np.isfinite(floats.to_numpy()).any():
        raise ValueError(
            f"write_table({path}): every value of the float columns {list(floats.columns)} "
            "is NaN or infinite; refusing to write a table without a single number"
        )


class CorruptTableError(OSError):
    """An intermediate that is not a readable Parquet table (truncated, text, foreign)."""


def _rebuild_hint(path: Path) -> str:
    return (
        f"rebuild it with: .venv/bin/snakemake --cores 1 --force {path} "
        "(reruns the rule that writes it), then rerun your target"
    )


@contextmanager
def _corrupt_as_error(path: str | os.PathLike) -> Iterator[None]:
    """Turn pyarrow's failure to read ``path`` into a :class:`CorruptTableError`."""
    try:
        yield
    except (pa.ArrowInvalid, pa.ArrowException, OSError) as err:
        raise CorruptTableError(
            f"intermediate table {path} is corrupt or not a Parquet file ({err}); "
            + _rebuild_hint(Path(path))
        ) from err


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a table written by :func:`write_table` into a DataFrame.

    A file that is not a readable Parquet table raises :class:`CorruptTableError`
    naming the file and the command that rebuilds it.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"intermediate table {path} does not exist")
    with _corrupt_as_error(path):
        return pq.read_table(path).to_pandas()


def read_params(path: str | os.PathLike) -> dict[str, Any]:
    """Return the parameters stored in a table's metadata (``{}`` if none)."""
    with _corrupt_as_error(path):
        meta = pq.read_schema(path).metadata or {}
    raw = meta.get(PARAMS_KEY)
    return json.loads(raw) if raw else {}


def read_provenance(path: str | os.PathLike) -> dict[str, Any] | None:
    """The provenance record of a table (:mod:`dltheory.provenance`), ``None`` if none."""
    with _corrupt_as_error(path):
        meta = pq.read_schema(path).metadata or {}
    raw = meta.get(PROVENANCE_KEY)
    return json.loads(raw) if raw else None


class MissingColumnError(KeyError):
    """A script needs a column that its input table does not have."""

    def __str__(self) -> str:  # KeyError would print the message as a repr
        return str(self.args[0])


class ForeignTableError(ValueError):
    """An input table made under another config, from other data, or by an older run."""


class ForeignCodeError(ImportError):
    """A job imports a ``dltheory`` that is not the package of its own workflow."""


def _flatten(params: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(params, dict):
        out: dict[str, Any] = {}
        for key, value in params.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): params}


#: params that legitimately differ between tables that one figure combines
_OWN_PARAMS = {"which"}


class MixedParamsError(ValueError):
    """Tables combined in one figure were made with different shared parameters."""


def check_same_params(paths) -> dict[str, Any]:
    """Stop unless the tables at ``paths`` agree on every parameter they share.

    Each table stores its rule's params (:data:`PARAMS_KEY`); two tables that both have,
    e.g., ``cfg.sigma_b`` must have the same value, or a figure would mix theory of one
    config with simulation of another (a table copied in or left by an older run).
    Returns the merged flat parameters.
    """
    seen: dict[str, tuple[Any, Path]] = {}
    for path in map(Path, paths):
        for key, value in _flatten(read_params(path)).items():
            if key.split(".")[-1] in _OWN_PARAMS:
                continue
            if key in seen and seen[key][0] != value:
                other_value, other = seen[key]
                raise MixedParamsError(
                    f"{path} has {key} = {value!r} but {other} has {key} = {other_value!r}: "
                    "the tables come from different configurations (one was copied in or left "
                    "by an older run). " + _rebuild_hint(path)
                )
            seen.setdefault(key, (value, path))
    return {k: v for k, (v, _) in seen.items()}


def script_logger(log_path: str | os.PathLike | None, name: str = "dltheory") -> logging.Logger:
    """Logger writing to the rule's ``log:`` file (and stderr), for progress messages."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w"))
    for handler in handlers:
        handler.setFormatter(fmt)
        logger.addHandler(handler)
    logger.propagate = False
    return logger


# --------------------------------------------------------------------------------------
# The one set-up call of every workflow script
# --------------------------------------------------------------------------------------

#: what :func:`dltheory.style.save` does when a legend or note covers data: the top-level
#: config key ``figure_overlap`` (not a rule parameter: it never changes a figure's bytes,
#: so changing it must not make the figures rerun)
FIGURE_OVERLAP_KEY = "figure_overlap"
FIGURE_OVERLAP_MODES = ("warn", "error")


def _log_failure(logger: logging.Logger, exc: BaseException) -> None:
    """Write ``exc`` with its traceback to the log file(s) of ``logger``.

    Only the file handlers get it: the exception is re-raised, so Python prints it on
    stderr once itself.
    """
    record = logger.makeRecord(
        logger.name,
        logging.CRITICAL,
        __file__,
        0,
        "the job failed:\n%s",
        ("".join(traceback.format_exception(exc)).rstrip(),),
        None,
    )
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)
            handler.flush()


def _route_warnings_to(logger: logging.Logger) -> None:
    """Send :mod:`warnings` (e.g. figure overlaps) to ``logger``'s handlers."""
    logging.captureWarnings(True)
    warn_logger = logging.getLogger("py.warnings")
    warn_logger.handlers[:] = list(logger.handlers)
    warn_logger.propagate = False


def _limit_threads(threads: int):
    """Make torch and the BLAS/OpenMP pools use the rule's ``threads:``.

    The thread count changes the summation order of matrix products, so results are
    reproducible to the byte only for a fixed count: it must come from the rule, not from
    the machine. Returns the threadpoolctl limiter (kept alive by the :class:`Job`).
    """
    threads = max(1, int(threads))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    limiter = None
    try:
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(limits=threads)
    except ImportError:  # pragma: no cover - threadpoolctl is a declared dependency
        pass
    # torch reads OMP_NUM_THREADS when it is imported later; set it now if it is loaded
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    return limiter


class Job:
    """What a workflow script needs from Snakemake, set up once (see :func:`job`).

    Attributes mirror Snakemake's script object (``input``, ``output``, ``params``,
    ``wildcards``, ``threads``, ``rule``); ``cfg`` is the rule's config slice
    (``params.cfg``), ``log`` a logger writing to the rule's ``log:`` file, ``seed`` the
    seed of this rule (:func:`dltheory.seeds.derive` of the rule name and wildcards),
    ``base_seed`` the config's seed for streams named otherwise, ``figure_overlap`` the
    mode for :func:`dltheory.style.save`.

    Used as a context manager (``with io.job(snakemake) as job:``), an exception raised
    in the block is written with its traceback to the rule's log and re-raised.
    """

    def __init__(self, smk: Any, logger: logging.Logger, limiter: Any = None):
        self.snakemake = smk
        self.log = logger
        self._limiter = limiter
        self.input = smk.input
        self.output = smk.output
        self.params = smk.params
        self.wildcards = smk.wildcards
        self.threads = int(smk.threads)
        self.rule = str(smk.rule)
        self._work_started: tuple[float, float] | None = None

    def __getattribute__(self, name: str) -> Any:
        # the script's first use of the job (its input, config, log, ...) is its first
        # line of work: what came before (interpreter, Snakemake's preamble, imports) is
        # the job's start-up, logged when it finishes
        if name[0] != "_" and object.__getattribute__(self, "_work_started") is None:
            object.__setattr__(self, "_work_started", process_times())
        return object.__getattribute__(self, name)

    def __enter__(self) -> Job:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if (
            isinstance(exc, KeyError)
            and not isinstance(exc, _provenance.MissingConfigKeyError)
            and exc.args
            and isinstance(exc.args[0], str)
        ):
            lacking = self._tables_without(exc.args[0])
            if lacking:
                error = MissingColumnError(
                    f"{lacking[0]} has no column {exc.args[0]!r} (its columns: "
                    f"{list(pq.read_schema(lacking[0]).names)}): a table from another "
                    "version of the pipeline, or edited; " + _rebuild_hint(Path(lacking[0]))
                )
                _log_failure(self.log, error)
                raise error from exc
        if exc is not None and not isinstance(exc, KeyboardInterrupt):
            _log_failure(self.log, exc)
        elif exc is None:
            unread = self.unread_config()
            if unread:
                self.log.warning("%s: %s", UNREAD_CONFIG, ", ".join(unread))
            now = process_times()
            self.log.info(
                "start-up: %.2f s wall, %.2f s CPU before the job's first line of work",
                *(self._work_started or now),
            )
            self.log.info("finished: %.2f s wall, %.2f s CPU in all", *now)
            if getattr(self.snakemake, "scriptdir", None):  # a job Snakemake started
                end_process()
        return False  # never swallow the exception: the job must fail

    def _tables_without(self, column: str) -> list[str]:
        """Input tables that lack ``column`` (when a script's read fails on it)."""
        lacking = []
        for path in self.input_tables:
            try:
                if column not in pq.read_schema(path).names:
                    lacking.append(path)
            except (OSError, pa.ArrowException):
                continue
        return lacking

    def unread_config(self) -> list[str]:
        """Config keys the rule passed (:class:`dltheory.provenance.ConfigSlice` params)
        that the script has not read."""
        items = self.params.items() if hasattr(self.params, "items") else []
        return [
            key
            for _, value in items
            if isinstance(value, _provenance.ConfigSlice)
            for key in value.unread()
        ]

    @property
    def cfg(self) -> Any:
        """The rule's config slice, ``params.cfg`` (``{}`` when the rule passes none)."""
        return self.params.get("cfg", {}) if hasattr(self.params, "get") else {}

    @property
    def base_seed(self) -> int:
        """The config's ``seed`` (``params.seed``): derive streams from it with ``seeds``."""
        seed = self.params.get("seed") if hasattr(self.params, "get") else None
        if seed is None:
            raise KeyError(
                f"rule {self.rule} draws random numbers but passes no params.seed "
                '(add seed=config["seed"] to its params)'
            )
        return int(seed)

    @property
    def stream_keys(self) -> tuple[str, ...]:
        """The keys of this job's own stream: the rule name, then ``key=value`` per wildcard.

        A rule with wildcards (a chunked sweep) thus draws an independent stream per chunk.
        """
        items = self.wildcards.items() if hasattr(self.wildcards, "items") else []
        return (self.rule, *(f"{key}={value}" for key, value in sorted(items)))

    @property
    def seed(self) -> int:
        """The seed of this job: ``seeds.derive(base_seed, *stream_keys)``."""
        return seeds.derive(self.base_seed, *self.stream_keys)

    @property
    def input_tables(self) -> list[str]:
        """The Parquet tables among the job's inputs."""
        return [str(p) for p in self.input if str(p).endswith(".parquet")]

    @functools.cached_property
    def provenance(self) -> dict[str, Any]:
        """The record of this job's outputs: its own config keys and data, merged with
        those of every table it read (:mod:`dltheory.provenance`)."""
        config = _provenance.used_config(self.params)
        data = dict(self.params.get("data") or {}) if hasattr(self.params, "get") else {}
        for path in self.input_tables:
            record = read_provenance(path) or {}
            config.update(record.get("config", {}))
            data.update(record.get("data", {}))
        return _provenance.record(config, data)

    def write_table(self, data: Any, path: str | os.PathLike, **kwargs: Any) -> Path:
        """:func:`write_table` with this job's params (and so its provenance)."""
        return write_table(data, path, params=self.params, **kwargs)

    def save_figure(self, fig: Any, facts: Mapping[str, Any] | None = None) -> list[Path]:
        """Write the figure's PNG and PDF outputs and its caption, atomically.

        The PNG and PDF carry the provenance record and the figure's texts (titles,
        labels, legends, notes) in their metadata. The caption is the rule's ``caption``
        input, a Jinja2 template rendered with ``facts`` (numbers the script computed from
        the data), ``params`` (the rule's params) and ``config`` (the config values the
        figure was made from, by dotted key); an undefined name fails the job, so a
        caption never prints a value nobody computed. It is written to the ``.rst``
        output that the report shows.
        """
        from . import style

        outputs = [p for p in self.output if str(p).endswith((".png", ".pdf"))]
        texts = style.figure_texts(fig)
        written = style.save(
            fig,
            outputs,
            overlap=self.figure_overlap,
            metadata={
                "provenance": self.provenance,
                "own_config": _provenance.used_config(self.params),
                "texts": texts,
                "facts": json.loads(json.dumps(to_jsonable(dict(facts or {})), default=str)),
            },
        )
        captions = [p for p in self.output if str(p).endswith(".rst")]
        template = getattr(self.input, "caption", None)
        if captions:
            if template is None:
                raise ValueError(f"rule {self.rule} writes a caption but has no caption input")
            text = render_caption(template, facts or {}, self.params, self.provenance["config"])
            with atomic_path(captions[0]) as tmp:
                tmp.write_text(text)
            written.append(Path(captions[0]))
        return written

    @property
    def figure_overlap(self) -> str:
        """``"warn"`` or ``"error"``: the top-level config key ``figure_overlap``."""
        config = getattr(self.snakemake, "config", None) or {}
        mode = config.get(FIGURE_OVERLAP_KEY, "warn")
        if mode not in FIGURE_OVERLAP_MODES:
            raise ValueError(
                f"config key {FIGURE_OVERLAP_KEY!r} is {mode!r}; allowed: "
                + ", ".join(map(repr, FIGURE_OVERLAP_MODES))
            )
        return mode


def job(smk: Any) -> Job:
    """Set up a workflow script from Snakemake's ``snakemake`` object; the one set-up call.

    Every script has this shape (``script:`` runs it as ``__main__`` with ``snakemake`` in
    its globals; run alone it builds the object with :func:`mock_snakemake_from_argv`)::

        from dltheory import io

        if __name__ == "__main__":
            if "snakemake" not in globals():
                snakemake = io.mock_snakemake_from_argv(__file__)
            with io.job(snakemake) as job:
                from dltheory import networks  # a failing import is logged too
                ...

    It sends progress messages and warnings to the rule's ``log:`` file (and stderr),
    limits torch, BLAS and OpenMP to the rule's ``threads:``, refuses a figure whose
    tables mix configurations, and returns a :class:`Job`; an exception in the ``with``
    block (or in these checks) goes with its traceback into the log. When the block of a
    job that Snakemake started ends without error, the process ends there
    (:func:`end_process`), so the ``with`` block is a script's last statement.
    """
    log_path = smk.log[0] if len(smk.log) else None
    logger = script_logger(log_path, name=f"dltheory.{smk.rule}")
    _route_warnings_to(logger)
    limiter = _limit_threads(smk.threads)
    logger.info("rule %s: %d thread(s)", smk.rule, int(smk.threads))
    tables = [str(p) for p in smk.input if str(p).endswith(".parquet")]
    try:
        check_own_code(smk)
        if len(tables) > 1 and any(str(p).endswith(".png") for p in smk.output):
            check_same_params(tables)  # a figure never mixes configurations
        check_inputs_belong(smk, tables)
    except Exception as err:
        _log_failure(logger, err)
        raise
    return Job(smk, logger, limiter)


def process_times() -> tuple[float, float]:
    """(wall, CPU) seconds of this process so far: since it started, and its user plus
    system time with that of its waited-for children."""
    t = os.times()
    cpu = t.user + t.system + t.children_user + t.children_system
    try:  # Linux: the start in clock ticks since boot (psutil's start rounds to a second)
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"), cpu
    except (OSError, ValueError, IndexError):
        import psutil  # Snakemake's own dependency

        return time.time() - psutil.Process().create_time(), cpu


def end_process() -> NoReturn:
    """End this process with status 0 once a job has finished, skipping Python's teardown.

    A finished job's outputs are written (atomically) and closed; what remains is the
    interpreter's teardown of the libraries the job imported, about 0.25 s of CPU per job
    and 0.8 s with torch, a sixth of a small job's time. So the log handlers and the
    standard streams are flushed and the process exits at once (``os._exit``). Called by
    :class:`Job` when the block of a job that Snakemake started ends without error; a job
    that fails, and a script run alone, exit the usual way.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or gone: nothing left to flush
            pass
    os._exit(0)


def check_own_code(smk: Any) -> None:
    """Stop unless this job imports the ``dltheory`` of its own workflow's ``src/``.

    (A venv whose editable install points at another clone would otherwise run that
    clone's code while the rerun tracking follows this one's.)
    """
    scriptdir = getattr(smk, "scriptdir", None)
    if not scriptdir:
        return  # built by mock_snakemake: the caller chose its package
    import dltheory

    own = Path(scriptdir).resolve().parents[1] / "src" / "dltheory"
    imported = Path(dltheory.__file__).resolve().parent
    if imported != own.resolve():
        raise ForeignCodeError(
            f"this job imports dltheory from {imported}, but its workflow's package is "
            f"{own}: install this checkout into the environment (make venv, or pip "
            f"install -e {own.parents[1]}) or run with PYTHONPATH={own.parent}"
        )


def check_inputs_belong(smk: Any, tables: list[str]) -> None:
    """Stop if an input table was made under another config or from other data."""
    config = getattr(smk, "config", None)
    if not tables or not config:
        return
    params = smk.params
    data = dict(params.get("data") or {}) if hasattr(params, "get") else {}
    records = {path: read_provenance(path) for path in tables}
    problems = _provenance.foreign_inputs(records, config, data)
    if problems:
        first = Path(next(p for p in tables if p in " ".join(problems)))
        raise ForeignTableError(
            "input table(s) not made by this run's config:\n  "
            + "\n  ".join(problems)
            + "\n(a table copied in, made by another config, or left by an older run); "
            + _rebuild_hint(first)
            + "; or rebuild everything upstream with --forceall"
        )


def render_caption(
    template: str | os.PathLike,
    facts: Mapping[str, Any],
    params: Any,
    config: Mapping[str, Any],
) -> str:
    """Render a caption template (Jinja2, undefined names are errors) to reST text.

    Context: ``facts``, ``params`` (a plain dict of the rule's params) and ``config``
    (dotted key -> value, e.g. ``config["qmap.width"]``). Filters: ``g`` (``%g``),
    ``fmt(spec)`` (a format spec, e.g. ``"{:.2f}"``) and ``set`` (``{1.3, 2.5, 4}``).
    """
    import jinja2

    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    env.filters["g"] = lambda x: f"{x:g}"
    env.filters["fmt"] = lambda x, spec: spec.format(x)
    env.filters["set"] = lambda xs: "{" + ", ".join(f"{x:g}" for x in xs) + "}"
    env.filters["list"] = lambda xs: ", ".join(
        f"{x:g}" if isinstance(x, float) else str(x) for x in xs
    )
    path = Path(template)
    try:
        compiled = env.from_string(path.read_text())
        plain = {k: v for k, v in params.items()} if hasattr(params, "items") else {}
        return compiled.render(facts=dict(facts), params=plain, config=dict(config))
    except jinja2.TemplateError as err:
        where = f"{path}:{getattr(err, 'lineno', '?')}"
        raise ValueError(f"caption template {where}: {err}") from err


def mock_snakemake_from_argv(script: str | os.PathLike, argv: list[str] | None = None):
    """:func:`mock_snakemake` for ``python <script> [rule] [--configfile F]``.

    ``argv`` defaults to ``sys.argv[1:]``; without a rule, the rule is the only one whose
    ``script:`` is ``script``.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    configfiles = None
    if "--configfile" in args:
        i = args.index("--configfile")
        if i + 1 >= len(args):
            raise ValueError(f"{script}: --configfile needs a file name")
        configfiles = [args[i + 1]]
        del args[i : i + 2]
    if len(args) > 1:
        raise ValueError(
            f"{script}: expected at most one rule name and --configfile FILE, got {args}"
        )
    return mock_snakemake(args[0] if args else None, script=script, configfiles=configfiles)


def _find_root(start: Path) -> Path:
    for parent in [start, *start.parents]:
        if (parent / "Snakefile").exists():
            return parent
    raise FileNotFoundError(f"no Snakefile above {start}")


def mock_snakemake(
    rule: str | None = None,
    *,
    script: str | os.PathLike | None = None,
    configfiles: list[str] | None = None,
    root: str | os.PathLike | None = None,
    **wildcards: str,
):
    """Snakemake's script object for ``rule``, built from the workflow, for debugging.

    Like pypsa-eur's helper of the same name: loads the Snakefile at ``root`` (default:
    the nearest one above ``script`` or the working directory), and returns the object
    Snakemake would inject, with absolute paths. Without ``rule``, the rule is the only
    one whose ``script:`` is ``script``.
    """
    import snakemake as sm
    import snakemake.api  # noqa: F401  (imports snakemake.workflow without a cycle)
    from snakemake.logging import LoggerManager, logger
    from snakemake.script import Snakemake
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        OutputSettings,
        ResourceSettings,
        StorageSettings,
        WorkflowSettings,
    )
    from snakemake.workflow import Workflow

    here = Path(script).resolve().parent if script else Path.cwd()
    root = Path(root) if root else _find_root(here)
    previous_cwd = os.getcwd()
    os.chdir(root)
    try:
        workflow = Workflow(
            config_settings=ConfigSettings(
                configfiles=[Path(previous_cwd, f).resolve() for f in configfiles or []]
            ),
            resource_settings=ResourceSettings(),
            workflow_settings=WorkflowSettings(),
            logger_manager=LoggerManager(logger, OutputSettings()),
            storage_settings=StorageSettings(),
            dag_settings=DAGSettings(),
            storage_provider_settings={},
        )
        workflow.include(root / "Snakefile")
        if rule is None:
            if script is None:
                raise ValueError("mock_snakemake needs a rule name or a script")
            name = Path(script).name
            matches = [r.name for r in workflow.rules if r.script and Path(r.script).name == name]
            if len(matches) != 1:
                raise ValueError(
                    f"{name} is the script of rules {matches}: name one, e.g. "
                    f"python {script} {matches[0] if matches else '<rule>'}"
                )
            rule = matches[0]
        rule_obj = workflow.get_rule(rule)
        dag = sm.dag.DAG(workflow, rules=[rule_obj])
        sm_job = sm.jobs.Job(rule_obj, dag, wildcards)
        for names in (sm_job.input, sm_job.output, sm_job.log):
            for i, path in enumerate(names):
                names[i] = os.path.abspath(path)
        smk = Snakemake(
            sm_job.input,
            sm_job.output,
            sm_job.params,
            sm_job.wildcards,
            sm_job.threads,
            sm_job.resources,
            sm_job.log,
            workflow.config,
            sm_job.rule.name,
            None,
        )
    finally:
        os.chdir(previous_cwd)
    for path in [*smk.log, *smk.output]:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return smk
