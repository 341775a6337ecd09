"""Data of the trainability sweep, loaded without download at run time.

scikit-learn's bundled 8x8 digits (:func:`load_digits_data`) or MNIST / Fashion-MNIST
from local IDX files (:func:`load_idx_data`, checked by :func:`check_idx_dir`), split
with a seeded permutation and standardised with the training set's statistics.
Re-exported by :mod:`dltheory.training`; imports nothing of the package, so that the
sweep's jobs do not depend on the mean-field engine.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

__all__ = [
    "IDX_FILES",
    "RECORD_SCHEMA",
    "idx_input_files",
    "Dataset",
    "IdxDataError",
    "check_idx_dir",
    "find_idx_files",
    "load_data",
    "load_digits_data",
    "load_idx_data",
    "read_idx",
    "standardise",
]

#: the table of a trainability sweep: one row per trained network
RECORD_SCHEMA = pa.schema(
    [
        ("sigma_w2", pa.float64()),
        ("depth", pa.int64()),
        ("seed", pa.int64()),
        ("keep_prob", pa.float64()),
        ("train_acc", pa.float64()),
        ("test_acc", pa.float64()),
        ("final_loss", pa.float64()),
        ("diverged", pa.bool_()),
    ]
)


#: IDX file names of MNIST and Fashion-MNIST (each may also end in ``.gz``).
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class Dataset:
    """Standardised float32 inputs (n, d) and int64 labels 0..n_classes-1."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])


class IdxDataError(ValueError):
    """A missing or malformed IDX directory (the message names the path and the files)."""


def standardise(x_train: np.ndarray, x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x - mean) / std`` per feature with the training set's mean and std.

    Constant features (std 0, e.g. the border pixels of digits) become 0 in both sets.
    """
    x_train = np.asarray(x_train, dtype=np.float64)
    x_test = np.asarray(x_test, dtype=np.float64)
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    scale = np.where(std > 0, std, np.inf)
    return ((x_train - mean) / scale).astype(np.float32), ((x_test - mean) / scale).astype(
        np.float32
    )


def _split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(test_fraction * n))
    if not 0 < n_test < n:
        raise ValueError(f"test_fraction {test_fraction} leaves an empty set of {n} samples")
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def load_digits_data(test_fraction: float = 0.25, seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8x8 digits (1797 images, 10 classes), seeded split, standardised."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    train, test = _split(len(bunch.target), test_fraction, seed)
    x_train, x_test = standardise(bunch.data[train], bunch.data[test])
    return Dataset(
        "digits",
        x_train,
        bunch.target[train].astype(np.int64),
        x_test,
        bunch.target[test].astype(np.int64),
        10,
    )


def _expected_names() -> str:
    return ", ".join(f"{n} (or {n}.gz)" for n in IDX_FILES.values())


def idx_input_files(data_cfg) -> list[str]:
    """The IDX files a ``trainability.data`` config reads (none for the bundled digits),
    for the workflow's inputs. A missing directory or file gives none: the data check
    then fails naming it."""
    if data_cfg["source"] != "idx" or not data_cfg.get("idx_dir"):
        return []
    try:
        files = find_idx_files(data_cfg["idx_dir"])
    except IdxDataError:
        return []
    return [str(path) for path in files.values()]


def find_idx_files(idx_dir) -> dict[str, Path]:
    """Paths of the four MNIST-style IDX files in ``idx_dir`` (plain or ``.gz``).

    Raises :class:`IdxDataError` naming the directory and the expected names if the
    directory or a file is missing.
    """
    root = Path(idx_dir)
    if not root.is_dir():
        raise IdxDataError(
            f"IDX directory {root} does not exist or is not a directory; expected it to hold "
            f"{_expected_names()}"
        )
    found, missing = {}, []
    for key, name in IDX_FILES.items():
        for candidate in (root / name, root / f"{name}.gz"):
            if candidate.is_file():
                found[key] = candidate
                break
        else:
            missing.append(name)
    if missing:
        raise IdxDataError(
            f"IDX directory {root} lacks {', '.join(missing)}; expected {_expected_names()}"
        )
    return found


_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """Array stored in an IDX file (``.gz`` read transparently).

    Format: two zero bytes, a type code, the number of dimensions ``k``, ``k`` big-endian
    uint32 sizes, then the data. Raises :class:`IdxDataError` (naming the file) on a bad
    header or a size that does not match the data.
    """
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as err:
        raise IdxDataError(f"cannot read IDX file {path}: {err}") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise IdxDataError(f"IDX file {path} is malformed: bad magic number {raw[:4]!r}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise IdxDataError(f"IDX file {path} is malformed: truncated header")
    shape = tuple(int(s) for s in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = math.prod(shape) * dtype.itemsize  # exact: sizes up to 2^32 each
    if len(raw) - header != expected:
        raise IdxDataError(
            f"IDX file {path} is malformed: header says shape {shape} ({expected} bytes of "
            f"data), file has {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(shape)


def _first(mask: np.ndarray) -> int:
    """Index (along the first axis) of the first item where ``mask`` holds."""
    return int(np.argmax(mask.reshape(mask.shape[0], -1).any(axis=1)))


def _check_images(path: Path, images: np.ndarray) -> None:
    if images.ndim != 3:
        raise IdxDataError(
            f"IDX file {path}: images of shape {images.shape}; expected 3-D (n, rows, cols)"
        )
    if images.shape[0] == 0:
        raise IdxDataError(f"IDX file {path}: no image (n = 0); expected at least one")
    if images.shape[1] * images.shape[2] == 0:
        raise IdxDataError(
            f"IDX file {path}: images of {images.shape[1]}x{images.shape[2]} pixels (none); "
            "expected rows, cols >= 1"
        )
    if images.dtype.kind == "f":
        bad = ~np.isfinite(images)
        if bad.any():
            raise IdxDataError(
                f"IDX file {path}: {int(bad.sum())} non-finite pixel(s) (NaN or inf), the "
                f"first in image {_first(bad)}; expected finite numbers"
            )


def _check_labels(path: Path, labels: np.ndarray, n_images: int, images: Path) -> np.ndarray:
    """The labels as int64, after checking their shape, count and values (>= 0, whole)."""
    if labels.ndim != 1:
        raise IdxDataError(f"IDX file {path}: labels of shape {labels.shape}; expected 1-D (n,)")
    if labels.shape[0] != n_images:
        raise IdxDataError(
            f"IDX file {path}: {labels.shape[0]} labels for the {n_images} images of "
            f"{images}; expected one label per image"
        )
    if labels.dtype.kind == "f":
        bad = ~np.isfinite(labels) | (labels != np.floor(labels))
        if bad.any():
            i = _first(bad)
            raise IdxDataError(
                f"IDX file {path}: label {labels[i].item()!r} of image {i} ({int(bad.sum())} such) "
                "is not a whole number; expected class numbers 0, 1, ..., n_classes - 1"
            )
    bad = labels < 0
    if bad.any():
        i = _first(bad)
        raise IdxDataError(
            f"IDX file {path}: label {labels[i].item()!r} of image {i} ({int(bad.sum())} such) is "
            "negative; expected class numbers 0, 1, ..., n_classes - 1"
        )
    return labels.astype(np.int64)


def check_idx_dir(idx_dir) -> dict[str, int]:
    """Validate an MNIST-style IDX directory; return its sizes (raises :class:`IdxDataError`
    naming the file and the problem).

    Images 3-D (n, rows, cols) with at least one image and one pixel, finite pixels (float
    types); one label per image; labels whole numbers >= 0, with at least two classes in
    the training set; n_classes = the largest training label + 1, and every test label in
    [0, n_classes); train and test images of the same size.
    """
    files = find_idx_files(idx_dir)
    arrays = {key: read_idx(p) for key, p in files.items()}
    sizes, labels = {}, {}
    for part in ("train", "test"):
        images = arrays[f"{part}_images"]
        image_path, label_path = files[f"{part}_images"], files[f"{part}_labels"]
        _check_images(image_path, images)
        labels[part] = _check_labels(
            label_path, arrays[f"{part}_labels"], images.shape[0], image_path
        )
        sizes[f"n_{part}"] = int(images.shape[0])
    if arrays["train_images"].shape[1:] != arrays["test_images"].shape[1:]:
        raise IdxDataError(
            f"IDX directory {idx_dir}: images of {files['train_images'].name} are "
            f"{arrays['train_images'].shape[1:]} pixels, of {files['test_images'].name} "
            f"{arrays['test_images'].shape[1:]}; expected the same size"
        )
    classes = np.unique(labels["train"])
    if classes.size < 2:
        raise IdxDataError(
            f"IDX file {files['train_labels']}: a single class ({int(classes[0])}) in the "
            "training labels; expected at least two classes"
        )
    n_classes = int(classes[-1]) + 1
    beyond = labels["test"] >= n_classes
    if beyond.any():
        i = _first(beyond)
        raise IdxDataError(
            f"IDX file {files['test_labels']}: label {int(labels['test'][i])} of image {i} "
            f"({int(beyond.sum())} such) is outside [0, {n_classes}), the classes of the "
            f"training labels {files['train_labels'].name}"
        )
    sizes["n_features"] = int(np.prod(arrays["train_images"].shape[1:]))
    sizes["n_classes"] = n_classes
    return sizes


def load_idx_data(idx_dir, n_train: int | None = None, n_test: int | None = None, seed: int = 0):
    """MNIST / Fashion-MNIST from local IDX files, flattened and standardised.

    ``n_train`` / ``n_test`` (optional) keep a seeded random subset of each set.
    """
    n_classes = check_idx_dir(idx_dir)["n_classes"]
    files = find_idx_files(idx_dir)
    rng = np.random.default_rng(seed)

    def part(name, n_keep):
        y = read_idx(files[f"{name}_labels"]).astype(np.int64)
        x = read_idx(files[f"{name}_images"]).reshape(len(y), -1)
        if n_keep is not None and n_keep < len(y):
            keep = np.sort(rng.permutation(len(y))[: int(n_keep)])
            x, y = x[keep], y[keep]
        return x.astype(np.float64) / 255.0, y

    x_train, y_train = part("train", n_train)
    x_test, y_test = part("test", n_test)
    kept = np.unique(y_train)
    if kept.size < 2:
        raise IdxDataError(
            f"IDX directory {idx_dir}: the seeded subset of n_train = {n_train} training "
            f"images holds a single class ({int(kept[0])}); expected at least two classes "
            "(raise n_train)"
        )
    x_train, x_test = standardise(x_train, x_test)
    return Dataset(f"idx:{Path(idx_dir).name}", x_train, y_train, x_test, y_test, n_classes)


def load_data(cfg: dict, seed: int) -> Dataset:
    """The data set of a config slice ``{source: digits|idx, test_fraction, idx_dir, ...}``."""
    source = cfg.get("source", "digits")
    if source == "digits":
        return load_digits_data(cfg.get("test_fraction", 0.25), seed)
    if source == "idx":
        if not cfg.get("idx_dir"):
            raise IdxDataError(
                f"data source 'idx' needs data.idx_dir, a directory with {_expected_names()}"
            )
        return load_idx_data(cfg["idx_dir"], cfg.get("n_train"), cfg.get("n_test"), seed)
    raise ValueError(f"data source must be 'digits' or 'idx', got {source!r}")
