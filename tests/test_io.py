import json
import os

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
