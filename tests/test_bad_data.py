"""Bad training data: the IDX data check refuses it naming the file and the problem."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from dltheory import training_data as td

CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">f4"): 0x0D,
         np.dtype(">f8"): 0x0E}  # fmt: skip


def write_idx(path, array):
    """``array`` as an IDX file of its own type (uint8, int8, float32 or float64)."""
    array = np.asarray(array)
    dtype = {"f": np.dtype(">f8") if array.itemsize == 8 else np.dtype(">f4")}.get(
        array.dtype.kind, array.dtype
    )
    header = bytes([0, 0, CODES[dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(dtype).tobytes())
    return path


def write_set(root, **override):
    """A valid MNIST-like directory (3 classes, 4x5 pixels), with arrays replaced."""
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (30, 4, 5)).astype(np.uint8),
        "train_labels": np.arange(30, dtype=np.uint8) % 3,
        "test_images": rng.integers(0, 256, (12, 4, 5)).astype(np.uint8),
        "test_labels": np.arange(12, dtype=np.uint8) % 3,
    }
    arrays.update(override)
    for key, array in arrays.items():
        write_idx(root / td.IDX_FILES[key], array)
    return root


def refused(root, key):
    """The message of the check's refusal; asserts it names the file of ``key``."""
    with pytest.raises(td.IdxDataError) as err:
        td.check_idx_dir(root)
    message = str(err.value)
    assert str(root / td.IDX_FILES[key]) in message, message
    return message


def test_a_valid_set_passes(tmp_path):
    assert td.check_idx_dir(write_set(tmp_path)) == {
        "n_train": 30,
        "n_test": 12,
        "n_features": 20,
        "n_classes": 3,
    }
    # float pixels and int8 labels are fine when finite and >= 0
    images = np.random.default_rng(1).random((30, 4, 5))
    write_set(tmp_path, train_images=images, train_labels=(np.arange(30) % 3).astype(np.int8))
    assert td.check_idx_dir(tmp_path)["n_classes"] == 3


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_non_finite_pixels_are_refused(tmp_path, bad, dtype):
    images = np.random.default_rng(1).random((30, 4, 5)).astype(dtype)
    images[7, 2, 3] = bad
    message = refused(write_set(tmp_path, train_images=images), "train_images")
    assert "1 non-finite pixel(s)" in message and "image 7" in message


def test_negative_labels_are_refused(tmp_path):
    labels = (np.arange(12) % 3).astype(np.int8)
    labels[4] = -1
    message = refused(write_set(tmp_path, test_labels=labels), "test_labels")
    assert "label -1 of image 4" in message and "negative" in message


@pytest.mark.parametrize("bad", [np.nan, 1.5, np.inf])
def test_labels_that_are_not_whole_numbers_are_refused(tmp_path, bad):
    labels = (np.arange(30) % 3).astype(np.float64)
    labels[2] = bad
    message = refused(write_set(tmp_path, train_labels=labels), "train_labels")
    assert "of image 2" in message and "not a whole number" in message


def test_test_labels_beyond_the_training_classes_are_refused(tmp_path):
    labels = np.arange(12, dtype=np.uint8) % 3
    labels[9] = 7
    message = refused(write_set(tmp_path, test_labels=labels), "test_labels")
    assert "label 7 of image 9" in message and "outside [0, 3)" in message


def test_a_single_class_is_refused(tmp_path):
    message = refused(
        write_set(tmp_path, train_labels=np.full(30, 4, dtype=np.uint8)), "train_labels"
    )
    assert "a single class (4)" in message and "at least two classes" in message


@pytest.mark.parametrize("shape", [(30, 0, 5), (30, 4, 0)])
def test_images_without_pixels_are_refused(tmp_path, shape):
    message = refused(
        write_set(tmp_path, train_images=np.zeros(shape, dtype=np.uint8)), "train_images"
    )
    assert "(none)" in message and "rows, cols >= 1" in message


def test_an_empty_set_is_refused(tmp_path):
    message = refused(
        write_set(
            tmp_path,
            test_images=np.zeros((0, 4, 5), dtype=np.uint8),
            test_labels=np.zeros(0, dtype=np.uint8),
        ),
        "test_images",
    )
    assert "no image (n = 0)" in message


def test_inconsistent_counts_name_both_files(tmp_path):
    message = refused(
        write_set(tmp_path, train_labels=np.arange(29, dtype=np.uint8) % 3), "train_labels"
    )
    assert str(tmp_path / td.IDX_FILES["train_images"]) in message
    assert "29 labels for the 30 images" in message


def test_images_of_another_dimension_are_refused(tmp_path):
    message = refused(
        write_set(tmp_path, test_images=np.zeros((12, 20), dtype=np.uint8)), "test_images"
    )
    assert "(12, 20)" in message and "3-D" in message


def test_a_header_whose_size_overflows_gives_the_right_number(tmp_path):
    path = tmp_path / "huge-idx3-ubyte"
    shape = (2**32 - 1, 65535, 65535)
    path.write_bytes(bytes([0, 0, 0x08, 3]) + struct.pack(">3I", *shape) + b"\0" * 16)
    with pytest.raises(td.IdxDataError) as err:
        td.read_idx(path)
    message = str(err.value)
    assert str(path) in message
    assert f"({(2**32 - 1) * 65535 * 65535} bytes of data), file has 16" in message
    assert "-" not in message.split("bytes of data")[0].split("(")[-1]  # no negative count


def test_load_data_refuses_what_the_check_refuses(tmp_path):
    labels = (np.arange(30) % 3).astype(np.int8)
    labels[0] = -1
    write_set(tmp_path, train_labels=labels)
    with pytest.raises(td.IdxDataError, match="negative"):
        td.load_data({"source": "idx", "idx_dir": str(tmp_path)}, 0)


def test_a_training_subset_of_one_class_is_refused(tmp_path):
    labels = np.zeros(30, dtype=np.uint8)
    labels[-1] = 1  # the full set has two classes; a subset of one image has one
    write_set(tmp_path, train_labels=labels, test_labels=np.arange(12, dtype=np.uint8) % 2)
    with pytest.raises(td.IdxDataError, match="n_train = 1 training images holds a single"):
        td.load_data({"source": "idx", "idx_dir": str(tmp_path), "n_train": 1}, 0)
