"""Data of the trainability sweep, loaded without download at run time.

scikit-learn's bundled 8x8 digits (:func:`load_digits_data`) or MNIST / Fashion-MNIST
from local IDX files (:func:`load_idx_data`, checked by :func:`check_idx_dir`), split
with a seeded permutation and standardised with the training set's statistics.
Re-exported by :mod:`dltheory.training`; imports nothing of the package, so that the
sweep's jobs do not depend on the mean-field engine.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "IDX_FILES",
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
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise IdxDataError(
            f"IDX file {path} is malformed: header says shape {shape} ({expected} bytes of "
            f"data), file has {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(shape)


def check_idx_dir(idx_dir) -> dict[str, int]:
    """Validate an MNIST-style IDX directory; return its sizes (raises :class:`IdxDataError`).

    Images must be 3-D (n, rows, cols), labels 1-D of the same n, labels in 0..255.
    """
    files = find_idx_files(idx_dir)
    arrays = {key: read_idx(p) for key, p in files.items()}
    sizes = {}
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise IdxDataError(
                f"IDX directory {idx_dir}: {files[f'{part}_images'].name} has shape "
                f"{images.shape} and {files[f'{part}_labels'].name} {labels.shape}; expected "
                "(n, rows, cols) images with n labels"
            )
        if images.shape[0] == 0:
            raise IdxDataError(f"IDX directory {idx_dir}: the {part} set is empty")
        sizes[f"n_{part}"] = int(labels.shape[0])
    if arrays["train_images"].shape[1:] != arrays["test_images"].shape[1:]:
        raise IdxDataError(f"IDX directory {idx_dir}: train and test images differ in size")
    sizes["n_features"] = int(np.prod(arrays["train_images"].shape[1:]))
    sizes["n_classes"] = int(max(arrays["train_labels"].max(), arrays["test_labels"].max())) + 1
    return sizes


def load_idx_data(idx_dir, n_train: int | None = None, n_test: int | None = None, seed: int = 0):
    """MNIST / Fashion-MNIST from local IDX files, flattened and standardised.

    ``n_train`` / ``n_test`` (optional) keep a seeded random subset of each set.
    """
    check_idx_dir(idx_dir)
    files = find_idx_files(idx_dir)
    rng = np.random.default_rng(seed)

    def part(name, n_keep):
        x = read_idx(files[f"{name}_images"]).reshape(len(read_idx(files[f"{name}_labels"])), -1)
        y = read_idx(files[f"{name}_labels"]).astype(np.int64)
        if n_keep is not None and n_keep < len(y):
            keep = np.sort(rng.permutation(len(y))[: int(n_keep)])
            x, y = x[keep], y[keep]
        return x.astype(np.float64) / 255.0, y

    x_train, y_train = part("train", n_train)
    x_test, y_test = part("test", n_test)
    x_train, x_test = standardise(x_train, x_test)
    n_classes = int(max(y_train.max(), y_test.max())) + 1
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
