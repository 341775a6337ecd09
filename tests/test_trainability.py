"""Trainability sweep (Schoenholz et al. 2017, Sec. 6): data, batched trainer, theory curve."""

from __future__ import annotations

import gzip
import math
import struct

import numpy as np
import pandas as pd
import pytest
import torch

from dltheory import meanfield, networks, training
from dltheory import trainability as tr

SB2 = 0.05
SW2_CRIT = float(meanfield.critical_sigma_w(math.sqrt(SB2))) ** 2


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small matrices: one thread is faster and does not fight the other test worker."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits():
    return training.load_digits_data(0.25, seed=3)


def small(**kw):
    base = dict(depth=3, width=32, steps=8, batch=16, lr=1e-3, optimizer="rmsprop")
    base.update(kw)
    return training.Settings(**base)


# ------------------------------------------------------------------------------ data


def test_digits_split_is_seeded_disjoint_and_standardised(digits):
    again = training.load_digits_data(0.25, seed=3)
    other = training.load_digits_data(0.25, seed=4)
    assert np.array_equal(digits.x_train, again.x_train)
    assert not np.array_equal(digits.y_train, other.y_train)
    assert len(digits.y_train) + len(digits.y_test) == 1797
    assert len(digits.y_test) == round(0.25 * 1797)
    assert digits.x_train.dtype == np.float32 and digits.n_features == 64
    std = digits.x_train.std(0)
    live = std > 0
    np.testing.assert_allclose(digits.x_train.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(std[live], 1, atol=1e-5)
    assert np.all(digits.x_test[:, ~live] == 0)  # constant border pixels -> 0
    # no image is in both sets
    train_rows = {r.tobytes() for r in digits.x_train}
    assert sum(r.tobytes() in train_rows for r in digits.x_test) <= 5  # digits has duplicates


def test_split_rejects_bad_fraction():
    with pytest.raises(ValueError, match="test_fraction"):
        training.load_digits_data(1.0)


def _write_idx(path, array, dtype_code=0x08, gz=False):
    array = np.asarray(array)
    header = bytes([0, 0, dtype_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(">u1" if dtype_code == 0x08 else array.dtype).tobytes()
    opener = gzip.open if gz else open
    with opener(path, "wb") as fh:
        fh.write(data)


def _write_mnist_like(root, n_train=30, n_test=12, gz=False, rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    root.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 4, 5)),
        "train_labels": rng.integers(0, 3, n_train),
        "test_images": rng.integers(0, 256, (n_test, 4, 5)),
        "test_labels": rng.integers(0, 3, n_test),
    }
    for key, arr in arrays.items():
        name = training.IDX_FILES[key] + (".gz" if gz else "")
        _write_idx(root / name, arr, gz=gz)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip_and_training(tmp_path, gz):
    arrays = _write_mnist_like(tmp_path / "mnist", gz=gz)
    assert np.array_equal(
        training.read_idx(
            tmp_path / "mnist" / (training.IDX_FILES["train_images"] + (".gz" if gz else ""))
        ),
        arrays["train_images"],
    )
    sizes = training.check_idx_dir(tmp_path / "mnist")
    assert sizes == {"n_train": 30, "n_test": 12, "n_features": 20, "n_classes": 3}
    full = training.load_data({"source": "idx", "idx_dir": str(tmp_path / "mnist")}, 0)
    ref_train, ref_test = training.standardise(
        arrays["train_images"].reshape(30, -1) / 255.0,
        arrays["test_images"].reshape(12, -1) / 255.0,
    )
    np.testing.assert_array_equal(full.x_train, ref_train)
    np.testing.assert_array_equal(full.x_test, ref_test)
    np.testing.assert_array_equal(full.y_test, arrays["test_labels"])
    assert full.n_classes == 3
    data = training.load_data(
        {"source": "idx", "idx_dir": str(tmp_path / "mnist"), "n_train": 20}, 0
    )
    assert data.x_train.shape == (20, 20) and data.x_test.shape == (12, 20)
    kept = np.bincount(data.y_train, minlength=3)
    assert (kept <= np.bincount(arrays["train_labels"], minlength=3)).all()  # a subset
    rec = training.train_batched(data, [1.0, 2.0], [0], small(batch=8), base_seed=1)
    assert not rec["diverged"].any() and rec["train_acc"].between(0, 1).all()


def test_idx_missing_directory_names_path_and_files(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(training.IdxDataError) as err:
        training.check_idx_dir(missing)
    msg = str(err.value)
    assert str(missing) in msg
    assert all(name in msg for name in training.IDX_FILES.values())
    with pytest.raises(training.IdxDataError, match="idx_dir"):
        training.load_data({"source": "idx"}, 0)


def test_idx_missing_file_is_named(tmp_path):
    _write_mnist_like(tmp_path)
    (tmp_path / training.IDX_FILES["test_labels"]).unlink()
    with pytest.raises(training.IdxDataError) as err:
        training.check_idx_dir(tmp_path)
    assert str(tmp_path) in str(err.value) and "lacks t10k-labels-idx1-ubyte" in str(err.value)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda raw: b"\x01\x02" + raw[2:],  # bad magic
        lambda raw: raw[:-3],  # truncated data
        lambda raw: raw[:6],  # truncated header
        lambda raw: b"",  # empty file
    ],
)
def test_idx_malformed_file(tmp_path, corrupt):
    _write_mnist_like(tmp_path)
    path = tmp_path / training.IDX_FILES["train_images"]
    path.write_bytes(corrupt(path.read_bytes()))
    with pytest.raises(training.IdxDataError, match="malformed") as err:
        training.check_idx_dir(tmp_path)
    assert str(path) in str(err.value)


def test_idx_inconsistent_counts(tmp_path):
    _write_mnist_like(tmp_path)
    _write_idx(tmp_path / training.IDX_FILES["train_labels"], np.zeros(29, dtype=np.uint8))
    with pytest.raises(training.IdxDataError, match="expected"):
        training.check_idx_dir(tmp_path)


def test_idx_bad_gzip(tmp_path):
    _write_mnist_like(tmp_path, gz=True)
    path = tmp_path / (training.IDX_FILES["test_images"] + ".gz")
    path.write_bytes(b"not gzip at all")
    with pytest.raises(training.IdxDataError, match=str(path.name)):
        training.check_idx_dir(tmp_path)


# --------------------------------------------------------------------------- training


@pytest.mark.parametrize(
    "optimizer,lr,keep_prob,dtype,atol",
    [
        # float64: the same algorithm, so agreement to rounding (measured <= 1.5e-14)
        ("rmsprop", 1e-3, 1.0, "float64", 1e-12),
        ("sgd", 0.05, 1.0, "float64", 1e-12),
        ("rmsprop", 1e-3, 0.8, "float64", 1e-12),
        # float32, as the sweep runs: the products' summation orders differ (OpenBLAS in the
        # batched trainer, MKL in the loop), and RMSProp divides each gradient by its own
        # running scale (|step| <= lr / sqrt(1 - alpha) = 10 lr), so rounding in a gradient
        # that is itself near zero becomes a sizeable part of a step in that element. Such
        # elements are rare (measured: 2 of 26,496 parameters per case, worst 1.9e-5 =
        # 0.19 lr); every other element agrees to 1e-6. So for RMSProp in float32 at most
        # 0.1% of the elements may exceed atol, and none may differ by lr (one step's scale)
        ("sgd", 0.05, 1.0, "float32", 1e-6),
        ("rmsprop", 1e-4, 1.0, "float32", 1e-6),
        ("rmsprop", 1e-4, 0.8, "float32", 1e-6),
    ],
)
@pytest.mark.slow
def test_batched_matches_single_loop(digits, optimizer, lr, keep_prob, dtype, atol):
    outliers = 1e-3 if (optimizer, dtype) == ("rmsprop", "float32") else 0.0
    s = small(optimizer=optimizer, lr=lr, keep_prob=keep_prob, steps=6, dtype=dtype)
    sw2, seeds = [1.0, SW2_CRIT, 3.0], [0, 5]
    rec, (w, b, losses) = training.train_batched(digits, sw2, seeds, s, 11, return_state=True)
    assert list(rec["seed"]) == [0, 0, 0, 5, 5, 5]
    assert np.allclose(rec["sigma_w2"], sw2 * 2)
    for g, (seed, sigma) in enumerate((k, x) for k in seeds for x in sw2):
        one, (w1, b1, l1) = training.train_single(digits, sigma, seed, s, 11, return_state=True)
        diffs = torch.cat([
            (stacked[layer][g].reshape(single[layer].shape) - single[layer]).abs().ravel()
            for stacked, single in ((w, w1), (b, b1)) for layer in range(len(single))
        ])  # fmt: skip
        assert float((diffs > atol).double().mean()) <= outliers, (g, float(diffs.max()))
        assert float(diffs.max()) <= (lr if outliers else atol), (g, float(diffs.max()))
        # float32 batch losses (~2.5, one ulp 2.4e-7) also agree to a relative 2e-6 (~8 ulps:
        # a mean of B log-probabilities, moved by the rare outlier weights above)
        rtol = 2e-6 if dtype == "float32" else 0.0
        np.testing.assert_allclose([float(x[g]) for x in losses], l1, atol=atol, rtol=rtol)
        for col in ("train_acc", "test_acc", "final_loss"):
            assert abs(rec[col].iloc[g] - one[col].iloc[0]) < 10 * atol, col
    # the steps moved the weights: the comparison is not of initial values only
    again, (w0, _, _) = training.train_batched(digits, sw2, seeds, training.Settings(
        **{**s.__dict__, "steps": 1}), 11, return_state=True)  # fmt: skip
    assert float((w0[1] - w[1]).abs().max()) > 1e-4


def test_evaluation_in_chunks_matches_one_pass(digits):
    """The final evaluation in chunks of eval_batch rows (the last one partial, reusing
    the buffers of the first) gives the accuracies and losses of one pass."""
    s = small(keep_prob=0.9)
    one = training.train_batched(digits, [1.0, 2.5], [0, 1], s, 6)
    chunked = training.train_batched(
        digits, [1.0, 2.5], [0, 1], training.Settings(**{**s.__dict__, "eval_batch": 100}), 6
    )
    assert len(digits.y_train) % 100 and len(digits.y_test) % 100  # partial last chunks
    pd.testing.assert_frame_equal(
        one.drop(columns="final_loss"), chunked.drop(columns="final_loss")
    )
    np.testing.assert_allclose(chunked["final_loss"], one["final_loss"], rtol=1e-6)
    assert not np.allclose(one["train_acc"], 0.1)  # trained a little: not all at chance


def test_same_seed_same_records(digits):
    a = training.train_batched(digits, [1.5, 2.0], [1], small(keep_prob=0.9), 4)
    b = training.train_batched(digits, [1.5, 2.0], [1], small(keep_prob=0.9), 4)
    c = training.train_batched(digits, [1.5, 2.0], [2], small(keep_prob=0.9), 4)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["final_loss"], c["final_loss"])


def test_shallow_critical_trains_deep_ordered_does_not(digits):
    # critical sigma_w^2, 2 layers: clearly above chance (0.1) after 100 RMSProp steps
    s = dict(width=32, steps=100, batch=32)
    shallow = training.train_batched(digits, [SW2_CRIT], [0, 1], small(depth=2, **s), 2)
    assert (shallow["train_acc"] > 0.8).all() and (shallow["test_acc"] > 0.7).all()
    # far in the ordered phase (xi_c ~ 1 layer), 40 layers: distances between inputs shrink
    # like exp(-l / (2 xi_c)), below float32 resolution; every input gives the same output,
    # so the best is the majority class (~0.11)
    deep_sw2 = 0.4
    assert float(meanfield.depth_scales(math.sqrt(deep_sw2), math.sqrt(SB2))["xi_c"]) < 1.1
    deep = training.train_batched(digits, [deep_sw2], [0, 1], small(depth=40, **s), 2)
    majority = np.bincount(digits.y_train).max() / len(digits.y_train)
    assert (deep["train_acc"] <= majority + 0.02).all(), deep
    assert not deep["diverged"].any()


def test_divergence_is_flagged_and_contained(digits):
    s = small(steps=4)
    # sigma_w = 1e40 overflows float32: inf weights, NaN loss from the first step
    rec = training.train_batched(digits, [1.5, 1e80, 2.0], [0], s, 9)
    assert rec["diverged"].tolist() == [False, True, False]
    bad = rec.iloc[1]
    assert bad["train_acc"] == bad["test_acc"] == 0.1  # chance for 10 classes
    assert not np.isfinite(bad["final_loss"])
    # the other networks are untouched by their diverged neighbour
    ref = training.train_batched(digits, [1.5, 2.0], [0], s, 9)
    np.testing.assert_array_equal(rec.drop(index=1)["final_loss"], ref["final_loss"])
    # an exploding learning rate: flagged, not raised
    sgd = training.train_batched(digits, [1.76], [0], small(optimizer="sgd", lr=1e38, steps=20), 9)
    assert sgd["diverged"].all() and (sgd["train_acc"] == 0.1).all()
    single = training.train_single(digits, 1e80, 0, s, 9)
    assert single["diverged"].all()


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(depth=0), "depth"),
        (dict(lr=0.0), "lr"),
        (dict(optimizer="adam"), "optimizer"),
        (dict(keep_prob=0.0), "keep_prob"),
        (dict(keep_prob=1.5), "keep_prob"),
        (dict(sigma_b2=-1.0), "sigma_b2"),
    ],
)
def test_settings_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        small(**kw)


@pytest.mark.parametrize("sw2", [[], [0.0], [math.nan], [math.inf], [-1.0]])
def test_sigma_grid_validation(digits, sw2):
    with pytest.raises(ValueError, match="sigma_w2"):
        training.train_batched(digits, sw2, [0], small(), 0)


# ----------------------------------------------------------------------------- theory


@pytest.mark.parametrize("rho", [0.95, 0.8])
@pytest.mark.parametrize("sw2", [SW2_CRIT, 1.2, 3.0])
def test_dropout_xi_c_matches_fit_of_cmap_iteration(rho, sw2):
    """xi_c of the engine with dropout: finite at the critical point, and the decay length
    of the dropout C-map iterated from near c* (noise-free, linear regime) agrees."""
    curve = tr.depth_scale_curve([sw2], SB2, rho)
    xi = float(curve["xi_c"].iloc[0])
    assert np.isfinite(xi) and 0 < xi < 20
    assert curve["six_xi_c"].iloc[0] == pytest.approx(6 * xi)
    sw, sb = math.sqrt(sw2), math.sqrt(SB2)
    c_star = float(meanfield.c_star(sw, sb, rho=rho))
    assert c_star < 1  # with dropout c = 1 is not a fixed point

    def c_map(c):
        return meanfield.c_map(c, sw, sb, rho=rho)

    fitted = networks.map_depth_scale(c_map, c_star + 1e-4 * (1 - c_star), c_star, 1, 15)
    assert fitted == pytest.approx(xi, rel=2e-3)


def test_xi_c_diverges_at_criticality_without_dropout():
    sw2 = np.array([1.0, SW2_CRIT, 3.0])
    curve = tr.depth_scale_curve(sw2, SB2, 1.0)
    assert np.isfinite(curve["xi_c"].iloc[[0, 2]]).all()
    assert curve["xi_c"].iloc[1] > 1e6  # chi_1 = 1 up to round-off: xi_c = -1/log(chi_1)
    near = tr.depth_scale_curve(SW2_CRIT * np.array([0.99, 1.01]), SB2, 1.0)["xi_c"]
    drop = tr.depth_scale_curve(SW2_CRIT * np.array([0.99, 1.0, 1.01]), SB2, 0.95)["xi_c"]
    assert (near > 50).all() and (drop < 10).all()


def test_measured_boundary_takes_six_xi_c_and_the_depth_grid_from_the_plan():
    sw2 = [1.0, 3.0]
    params = {"cfg": {"depths": [4, 8, 12]}, "dropout": {"depths": [4, 6, 8, 12]}}
    plan = pd.concat(
        [tr.sweep_plan(sw2, [4, 8, 12], SB2, 1.0, None), tr.sweep_plan(sw2, [4, 8], SB2, 0.8)]
    )
    plain = pd.concat([_records([[0.9, 0.9, 0.1]], [4, 8, 12], s) for s in sw2])
    out = tr.measured_boundary(plain, plan, params).set_index("sigma_w2")
    six = tr.depth_scale_curve(sw2, SB2)["six_xi_c"].to_numpy()
    np.testing.assert_allclose(out["six_xi_c"], six, rtol=1e-12)
    np.testing.assert_allclose(out["ratio"], out["depth_max"] / six)
    assert not out["gap"].any()  # 8 and 12 are neighbours of the plain grid
    # dropout runs sampled at 4 and 12 only: their crossing spans the grid's 6 and 8
    dropout = pd.concat([_records([[0.9, 0.1]], [4, 12], s, 0.8) for s in sw2])
    assert tr.measured_boundary(dropout, plan, params)["gap"].all()
    assert tr.sweep_depths(params, [0.8]) == [4, 6, 8, 12]
    assert tr.sweep_depths(params, [1.0, 1.0]) == [4, 8, 12]
    with pytest.raises(ValueError, match="plan has no cell"):
        tr.measured_boundary(plain.assign(sigma_w2=plain["sigma_w2"] + 0.5), plan, params)


def test_sweep_plan_samples_near_six_xi_c_the_shallowest_and_the_deepest():
    sw2 = [1.0, 1.76, 3.0]
    plan = tr.sweep_plan(sw2, [5, 20, 45, 80, 150], SB2, within=2.0)
    six = dict(zip(sw2, tr.depth_scale_curve(sw2, SB2)["six_xi_c"], strict=True))
    for row in plan.itertuples():
        ratio = row.depth / six[row.sigma_w2]
        if row.reason == "near":
            assert 0.5 <= ratio <= 2.0
        elif row.reason == "deepest":
            assert row.depth == 150 and ratio < 0.5
        else:
            assert row.reason == "shallowest" and row.depth == 5
    cells = {(r.depth, r.sigma_w2) for r in plan.itertuples()}
    assert {(5, s) for s in sw2} <= cells  # the threshold's reference everywhere
    assert (150, 1.76) in cells  # near the edge of chaos: the deepest depth
    assert (150, 1.0) not in cells and (80, 1.0) not in cells  # far beyond 6 xi_c = 22
    assert (20, 1.0) in cells and (45, 3.0) in cells and (45, 1.0) not in cells  # 45/22 > 2
    full = tr.sweep_plan(sw2, [5, 20], SB2, within=None)
    assert len(full) == 6 and set(full["reason"]) == {"grid"}
    with pytest.raises(ValueError, match="within"):
        tr.sweep_plan(sw2, [5], SB2, within=0.5)


def test_accuracy_grid_means_over_seeds():
    rec = pd.DataFrame(
        {
            "sigma_w2": [1.0, 1.0, 2.0, 2.0],
            "depth": 5,
            "seed": [0, 1, 0, 1],
            "keep_prob": 1.0,
            "train_acc": [0.2, 0.4, 0.6, 1.0],
        }
    )
    grid = tr.accuracy_grid(rec)
    assert grid["mean"].tolist() == pytest.approx([0.3, 0.8])
    assert grid["n_seeds"].tolist() == [2, 2]


def _records(acc_by_seed, depths, sigma_w2=2.0, keep_prob=1.0):
    """Records of one sigma_w^2: acc_by_seed[k][i] the accuracy of seed k at depths[i]."""
    return pd.DataFrame(
        [
            {"keep_prob": keep_prob, "sigma_w2": sigma_w2, "depth": d, "seed": k, "train_acc": a}
            for k, accs in enumerate(acc_by_seed)
            for d, a in zip(depths, accs, strict=True)
        ]
    )


def test_trainable_depth_interpolates_the_crossing_in_log_depth():
    depths = [5, 10, 20, 40]
    # shallow accuracy 0.9, chance 0.1: threshold 0.5; 0.9 at L = 10, 0.3 at L = 20
    rec = pd.concat(
        [
            _records([[0.9, 0.9, 0.3, 0.1]], depths, 2.0),
            _records([[0.9, 0.95, 0.97, 0.96]], depths, 1.5),  # trains everywhere
            _records([[0.9, 0.4, 0.1, 0.1]], depths, 4.0),
        ]
    )
    out = tr.trainable_depth(rec).set_index("sigma_w2")
    assert out["threshold"].iloc[0] == pytest.approx(0.5)
    assert out.loc[2.0, "depth_max"] == pytest.approx(10 * 2 ** (2 / 3))
    assert out.loc[2.0, "censored"] == ""
    assert (out.loc[1.5, "depth_max"], out.loc[1.5, "censored"]) == (40, "above")
    # 0.9 at 5, 0.4 at 10: t = 0.4 / 0.5 of the way in log depth
    assert out.loc[4.0, "depth_max"] == pytest.approx(5 * 2**0.8)
    assert out.loc[1.5, "depths"] == depths
    assert not out["gap"].any()  # no grid given
    # the crossing of 2.0 (between 10 and 20) spans an unsampled grid depth 15
    gapped = tr.trainable_depth(rec, grid_depths=[5, 10, 15, 20, 40]).set_index("sigma_w2")
    assert gapped.loc[2.0, "gap"] and not gapped.loc[4.0, "gap"] and not gapped.loc[1.5, "gap"]


def test_trainable_depth_spread_over_seeds_and_a_column_that_never_trains():
    depths = [4, 8, 16]
    rec = pd.concat(
        [
            # seed 0 crosses between 8 and 16, seed 1 between 4 and 8
            _records([[0.9, 0.9, 0.1], [0.9, 0.1, 0.1]], depths, 1.0),
            _records([[0.9, 0.9, 0.9], [0.9, 0.9, 0.9]], depths, 2.0),
        ]
    )
    rec.loc[(rec.sigma_w2 == 2.0) & (rec.depth == 4), "train_acc"] = 0.9
    row = tr.trainable_depth(rec).set_index("sigma_w2").loc[1.0]
    assert row["spread_lo"] < 8 < row["spread_hi"] <= 16 and row["n_seeds"] == 2
    assert row["spread_lo"] <= row["depth_max"] <= row["spread_hi"]
    # a column below the threshold at its shallowest depth: at most that depth
    low = _records([[0.15, 0.1, 0.1]], depths, 3.0)
    out = tr.trainable_depth(pd.concat([rec, low])).set_index("sigma_w2").loc[3.0]
    assert (out["depth_max"], out["censored"]) == (4, "below")


def test_cell_edges():
    np.testing.assert_allclose(tr.cell_edges([1.0, 2.0, 4.0]), [0.5, 1.5, 3.0, 5.0])
    np.testing.assert_allclose(tr.cell_edges([3.0, 1.0]), [0.0, 2.0, 4.0])
    np.testing.assert_allclose(tr.cell_edges([7]), [6.5, 7.5])


def test_streams_of_a_network_are_distinct_and_reproducible():
    """Initial weights, batches and dropout masks come from three different streams, named
    by (depth, network seed); the same names give the same draws."""
    draws = [torch.rand(4, generator=g) for g in training._streams(1, 2, 3)]
    assert all(not torch.equal(a, b) for i, a in enumerate(draws) for b in draws[i + 1 :])
    again = [torch.rand(4, generator=g) for g in training._streams(1, 2, 3)]
    assert all(torch.equal(a, b) for a, b in zip(draws, again, strict=True))
    for other in ((1, 3, 3), (1, 2, 4), (2, 2, 3)):
        first = torch.rand(4, generator=training._streams(*other)[0])
        assert not torch.equal(first, draws[0]), other


def test_training_module_is_free_of_the_engine():
    """The sweep's jobs depend on dltheory.training, training_data and seeds alone (no
    retraining on engine edits)."""
    import ast
    import inspect

    from dltheory import seeds, training, training_data

    allowed = {training: ["seeds", "training_data"], training_data: [], seeds: []}
    for module, expected in allowed.items():
        tree = ast.parse(inspect.getsource(module))
        relative = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 0]
        absolute = [
            a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
            for a in n.names
            if "dltheory" in (getattr(n, "module", None) or "") + a.name
        ]
        assert sorted(n.module for n in relative) == expected and absolute == [], module


# --------------------------------------------------------------------------- workflow


def _tiny_workflow_config():
    from conftest import load_config

    cfg = load_config()
    cfg["trainability"].update(
        sigma_w2=[1.0, 2.0],
        depths=[2],
        width=8,
        batch=16,
        steps=3,
        n_seeds=2,
        seeds_per_job=1,
        n_theory=11,
        dropout={"keep_probs": [0.8], "depths": [2]},
    )
    return cfg


PART = "results/answers/trainability.parquet"


def test_workflow_chunks_resume_and_idx_check(tiny_copy):
    """The tiny build's sweep: one job per (keep probability, depth, seed group), merged
    runs and answers from its config; an interrupted sweep resumes with only its missing
    chunk; a missing IDX directory stops at the data check."""
    import math

    from conftest import job_stats, jobs_of_dry_run, run_snakemake, write_config

    from dltheory import io

    workflow_dir, cfg = tiny_copy.workdir, tiny_copy.config
    tr = cfg["trainability"]
    groups = math.ceil(tr["n_seeds"] / tr["seeds_per_job"])
    drop = tr["dropout"]
    n_chunks = (len(tr["depths"]) + len(drop["depths"]) * len(drop["keep_probs"])) * groups
    assert (
        job_stats(tiny_copy.proc.stderr + tiny_copy.proc.stdout)["trainability_sweep"] == n_chunks
    )
    results = workflow_dir / "results"
    for fid in ("trainability", "trainability_dropout"):
        assert (results / "figures" / f"{fid}.png").stat().st_size > 5000
    runs = io.read_table(results / "data/trainability/runs_plain.parquet")
    plan = io.read_table(results / "data/trainability/plan.parquet")
    planned = plan[plan["keep_prob"] == 1.0]
    assert len(runs) == len(planned) * tr["n_seeds"]  # every planned cell, every seed
    assert set(zip(runs["depth"], runs["sigma_w2"], strict=True)) == set(
        zip(planned["depth"], planned["sigma_w2"], strict=True)
    )
    assert set(runs["seed"]) == set(range(tr["n_seeds"]))
    part = io.read_table(workflow_dir / PART)
    expected = {
        f"trainability_keep{k:g}_sw{s:g}"
        for k in [1.0, *drop["keep_probs"]]
        for s in tr["sigma_w2"]
    }
    assert set(part["id"]) == expected
    # a sweep interrupted before its merge (no merged tables, figures, answers) resumes:
    # only the missing chunk reruns
    args = ("trainability", "trainability_dropout", PART, "--configfile", str(tiny_copy.configfile))
    chunk = results / f"data/trainability/runs/keep1_L{tr['depths'][0]}_g0.parquet"
    chunk.unlink()
    downstream = [*(results / "data/trainability").glob("runs_*.parquet"), workflow_dir / PART]
    downstream += list((results / "figures").glob("trainability*"))
    for path in downstream:
        path.unlink()
    jobs = jobs_of_dry_run(workflow_dir, *args)
    assert jobs["trainability_sweep"] == 1 and jobs["trainability_merge"] == 2, jobs

    # a missing IDX directory stops the run at the check, before any training job
    tr["data"].update(source="idx", idx_dir=str(workflow_dir / "no_mnist"))
    write_config(tiny_copy.configfile, cfg)
    proc = run_snakemake(workflow_dir, *args, "--cores", "1", check=False)
    log = (results / "logs/trainability/data_check.log").read_text()
    assert proc.returncode != 0
    assert str(workflow_dir / "no_mnist") in log and "train-images-idx3-ubyte" in log
    assert not chunk.exists()


@pytest.mark.slow
def test_workflow_idx_digest_reruns_and_refuses_other_data(workflow_dir):
    """The IDX files are inputs with their SHA-256 as a param: replacing one in place
    reruns the data check and everything downstream, every chunk records the digests,
    and a merge over chunks trained on other data is refused, naming the chunk."""
    import shutil

    from conftest import jobs_of_dry_run, run_snakemake, write_config

    from dltheory import io, provenance

    data_dir = workflow_dir / "mnist"
    _write_mnist_like(data_dir, n_train=40, n_test=12)
    cfg = _tiny_workflow_config()
    cfg["trainability"]["data"].update(source="idx", idx_dir=str(data_dir))
    cfg_path = write_config(workflow_dir / "tiny_idx.yaml", cfg)
    merged = "results/data/trainability/runs_plain.parquet"
    args = (merged, "--configfile", str(cfg_path))
    run_snakemake(workflow_dir, *args, "--cores", "2")
    results = workflow_dir / "results/data/trainability"
    chunk = results / "runs/keep1_L2_g0.parquet"
    images = data_dir / training.IDX_FILES["train_images"]
    digests = {p.name: provenance.file_digest(p) for p in data_dir.iterdir()}
    for table in (results / "data.parquet", chunk, workflow_dir / merged):
        assert io.read_provenance(table)["data"] == digests, table
    assert jobs_of_dry_run(workflow_dir, *args) == {}

    # the same file name with other images: the data check and all downstream rerun
    old_chunk = workflow_dir / "chunk_of_old_data.parquet"
    shutil.copy2(chunk, old_chunk)
    rng = np.random.default_rng(1)
    _write_idx(images, rng.integers(0, 256, (40, 4, 5)))
    jobs = jobs_of_dry_run(workflow_dir, *args)
    assert jobs == {"trainability_data_check": 1, "trainability_sweep": 2,
                    "trainability_merge": 1}, jobs  # fmt: skip
    run_snakemake(workflow_dir, *args, "--cores", "2")
    new_digest = provenance.file_digest(images)
    assert io.read_provenance(chunk)["data"][images.name] == new_digest

    # a chunk of the old data put back (newer than its inputs): the merge refuses it
    shutil.copyfile(old_chunk, chunk)
    proc = run_snakemake(
        workflow_dir, *args, "--cores", "1", "--forcerun", "trainability_merge",
        "--rerun-triggers", "mtime", check=False,
    )  # fmt: skip
    log = (workflow_dir / "results/logs/trainability/merge_plain.log").read_text()
    assert proc.returncode != 0, proc.stdout
    assert str(chunk.relative_to(workflow_dir)) in log and images.name in log, log
    assert "another" in log and new_digest[:12] in log, log


def test_rmsprop_step_is_torch_rmsprop():
    """The fused one-pass update against torch.optim.RMSprop over steps whose gradients
    change scale by 1e4, with a NaN gradient element that stays in its own element."""
    gen = torch.Generator().manual_seed(0)
    p0 = torch.randn(1000, generator=gen)
    ref = p0.clone().requires_grad_()
    opt = torch.optim.RMSprop([ref], lr=1e-3)
    p, v, m = p0.clone(), torch.zeros(1000), torch.zeros(1000)
    for t in range(30):
        g = torch.randn(1000, generator=gen) * 10.0 ** (t % 5 - 2)
        ref.grad = g.clone()
        opt.step()
        training.rmsprop_step_(p, g, v, m.zero_(), 1e-3)
        # float32 rounding: ~1e-6 of each step (lr x O(1)), summed over 30 steps
        torch.testing.assert_close(p, ref.detach(), atol=30 * 1e-3 * 1e-6, rtol=1e-6)
    g = torch.ones(1000)
    g[7] = math.nan
    before = p.clone()
    training.rmsprop_step_(p, g, v, m.zero_(), 1e-3)
    assert torch.isnan(p[7]) and torch.isfinite(p[:7]).all() and torch.isfinite(p[8:]).all()
    assert (p[:7] < before[:7]).all()
    with pytest.raises(ValueError, match="alpha"):
        training.rmsprop_step_(p, g, v, m, 1e-3, alpha=0.999)
