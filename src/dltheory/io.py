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

import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

PARAMS_KEY = b"dltheory.params"
COMPRESSION = "zstd"

__all__ = [
    "PARAMS_KEY",
    "atomic_path",
    "read_params",
    "read_table",
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
    from the name (matplotlib) still work.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_table(
    data: pd.DataFrame | Mapping[str, Any],
    path: str | os.PathLike,
    *,
    schema: pa.Schema | None = None,
    params: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``data`` to Parquet at ``path`` atomically with ``params`` in the metadata.

    ``schema`` fixes column names, order and types; without it the types are inferred
    from ``data``. Columns missing from ``data`` or not convertible raise ``ValueError``
    naming the column.
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
    meta = dict(table.schema.metadata or {})
    # pandas metadata records the pandas version only; keep it for dtype round trips.
    meta[PARAMS_KEY] = json.dumps(to_jsonable(params or {}), sort_keys=True).encode()
    table = table.replace_schema_metadata(meta)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression=COMPRESSION, use_dictionary=False)
    return Path(path)


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a table written by :func:`write_table` into a DataFrame."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"intermediate table {path} does not exist")
    return pq.read_table(path).to_pandas()


def read_params(path: str | os.PathLike) -> dict[str, Any]:
    """Return the parameters stored in a table's metadata (``{}`` if none)."""
    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(PARAMS_KEY)
    return json.loads(raw) if raw else {}


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
