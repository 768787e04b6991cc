"""Tests for minigan.data: datasets, IDX files, toy distributions, DataLoader."""

import gzip
import math
import re
import struct
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigan import backend, data
from minigan.backend import xp
from minigan.data import DataError, DataLoader

FAST = settings(max_examples=25, deadline=None)


def host(array):
    return backend.to_numpy(array)


# ----------------------------------------------------------------- the bundled digits


@pytest.fixture(scope="module")
def digits():
    return data.load_digits()


def test_load_digits_shapes_dtypes_and_range(digits):
    images, labels = digits
    assert images.shape == (5000, 1, 28, 28) and images.dtype == backend.dtype("float32")
    assert labels.shape == (5000,) and labels.dtype == backend.dtype("int64")
    assert float(images.min()) == -1.0 and float(images.max()) == 1.0


def test_load_digits_has_500_of_each_class(digits):
    _, labels = digits
    assert host(xp.bincount(labels, minlength=10)).tolist() == [500] * 10


def test_load_digits_unit_scale_is_the_tanh_scale_shifted(digits):
    unit, labels = data.load_digits(scale="unit")
    assert float(unit.min()) == 0.0 and float(unit.max()) == 1.0
    assert float(xp.abs(2 * unit - 1 - digits[0]).max()) < 1e-6
    assert bool((labels == digits[1]).all())


def test_load_digits_rejects_an_unknown_scale():
    with pytest.raises(DataError, match=r"scale must be 'tanh' .* or 'unit' .*, got 'sigmoid'"):
        data.load_digits(scale="sigmoid")


def test_load_digits_missing_file(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DIGITS_PATH", str(tmp_path / "mnist_5k.npz"))
    with pytest.raises(DataError, match=r"mnist_5k\.npz is missing; reinstall minigan"):
        data.load_digits()


def test_load_digits_corrupt_file(tmp_path, monkeypatch):
    path = tmp_path / "mnist_5k.npz"
    path.write_bytes(b"PK\x03\x04 this is not really a zip file")
    monkeypatch.setattr(data, "DIGITS_PATH", str(path))
    with pytest.raises(DataError, match=r"mnist_5k\.npz is corrupt .*; reinstall minigan"):
        data.load_digits()


def test_load_digits_file_without_the_expected_arrays(tmp_path, monkeypatch):
    # The real archive with its members renamed: a valid .npz holding the wrong names.
    path = tmp_path / "mnist_5k.npz"
    with zipfile.ZipFile(data.DIGITS_PATH) as src, zipfile.ZipFile(path, "w") as dst:
        for name in src.namelist():
            dst.writestr("pixels_" + name, src.read(name))
    monkeypatch.setattr(data, "DIGITS_PATH", str(path))
    with pytest.raises(DataError, match=r"does not hold 'images' .* and 'labels'"):
        data.load_digits()


# ----------------------------------------------------------------- pixel scaling


def test_scale_pixels_maps_0_and_255_to_the_ends():
    out = data.scale_pixels(xp.asarray([0, 51, 255], dtype="uint8"))
    assert out.dtype == backend.dtype("float32")
    assert host(out).tolist() == pytest.approx([-1.0, -0.6, 1.0], abs=1e-6)


@FAST
@given(low=st.floats(-10, 10), width=st.floats(0.01, 10))
def test_scale_pixels_any_range(low, width):
    out = host(data.scale_pixels([0.0, 127.5, 255.0], low, low + width)).tolist()
    assert out == pytest.approx([low, low + width / 2, low + width], abs=1e-5 * (1 + abs(low) + width))


@pytest.mark.parametrize(
    "low, high, match",
    [(1.0, 1.0, "low must be smaller than high"), (0.0, float("nan"), "high must be a finite number")],
)
def test_scale_pixels_bad_range(low, high, match):
    with pytest.raises(DataError, match=match):
        data.scale_pixels([0, 255], low, high)


# ----------------------------------------------------------------- IDX files

IDX_TYPES = {  # type code -> (struct format, dtype name, strategy for one value)
    0x08: ("B", "uint8", st.integers(0, 255)),
    0x09: ("b", "int8", st.integers(-128, 127)),
    0x0B: ("h", "int16", st.integers(-(2**15), 2**15 - 1)),
    0x0C: ("i", "int32", st.integers(-(2**31), 2**31 - 1)),
    0x0D: ("f", "float32", st.sampled_from([0.0, -1.5, 2.25, 1e10])),
    0x0E: ("d", "float64", st.floats(allow_nan=False)),
}


def idx_bytes(values, shape, type_code=0x08):
    """An IDX file's bytes, written by hand (the inverse of load_idx)."""
    fmt = IDX_TYPES[type_code][0]
    header = bytes([0, 0, type_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)
    return header + struct.pack(f">{len(values)}{fmt}", *values)


def write(path, raw, gz=False):
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return str(path)


@st.composite
def idx_contents(draw):
    type_code = draw(st.sampled_from(sorted(IDX_TYPES)))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=1, max_size=3)))
    values = draw(st.lists(IDX_TYPES[type_code][2], min_size=math.prod(shape), max_size=math.prod(shape)))
    return type_code, shape, values


@FAST
@given(contents=idx_contents(), gz=st.booleans())
def test_idx_round_trip(tmp_path_factory, contents, gz):
    type_code, shape, values = contents
    path = write(tmp_path_factory.mktemp("idx") / "file.idx", idx_bytes(values, shape, type_code), gz)
    array = data.load_idx(path)
    assert array.shape == shape and array.dtype.name == IDX_TYPES[type_code][1]
    assert array.ravel().tolist() == pytest.approx(values)


def test_load_idx_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nothere-idx1-ubyte does not exist"):
        data.load_idx(str(tmp_path / "nothere-idx1-ubyte"))


GOOD = idx_bytes(list(range(6)), (2, 3))


@pytest.mark.parametrize(
    "raw, gz, match",
    [
        (b"\x01\x02" + GOOD[2:], False, r"is not an IDX file"),
        (b"", False, r"is not an IDX file"),
        (GOOD[:2] + b"\x07" + GOOD[3:], False, r"unknown IDX type code 0x07"),
        (GOOD[:9], False, r"is truncated: its header ends early"),
        (GOOD[:-1], False, r"is truncated: shape \(2, 3\) needs 6 bytes of data but it holds 5"),
        (GOOD + b"\x00", False, r"is too long: shape \(2, 3\) needs 6 bytes of data but it holds 7"),
        (GOOD[:-1], True, r"is truncated"),
        (b"\x1f\x8b" + b"garbage after a gzip magic", False, r"is not a valid gzip file"),
        (gzip.compress(GOOD)[:-6], False, r"is not a valid gzip file"),
    ],
    ids=["magic", "empty", "type", "header", "short", "long", "gz-short", "bad-gzip", "cut-gzip"],
)
def test_load_idx_corrupt_files(tmp_path, raw, gz, match):
    path = write(tmp_path / "broken-idx3-ubyte", raw, gz)
    with pytest.raises(DataError, match=re.escape(path) + ".*" + match + ".*download it again"):
        data.load_idx(path)


def write_mnist(directory, prefix="train", n=3, gz=True):
    """Tiny MNIST-style files: image i is all pixels equal to 100 * i, label i."""
    pixels = [100 * i for i in range(n) for _ in range(28 * 28)]
    write(directory / f"{prefix}-images-idx3-ubyte{'.gz' * gz}", idx_bytes(pixels, (n, 28, 28)), gz)
    write(directory / f"{prefix}-labels-idx1-ubyte{'.gz' * gz}", idx_bytes(list(range(n)), (n,)), gz)


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_reads_the_idx_files(tmp_path, gz):
    write_mnist(tmp_path, gz=gz)
    images, labels = data.load_mnist(str(tmp_path))
    assert images.shape == (3, 1, 28, 28) and images.dtype == backend.dtype("float32")
    assert labels.dtype == backend.dtype("int64") and host(labels).tolist() == [0, 1, 2]
    expected = [-1.0, 100 / 127.5 - 1, 200 / 127.5 - 1]
    assert host(images[:, 0, 5, 7]).tolist() == pytest.approx(expected, abs=1e-6)
    unit, _ = data.load_mnist(str(tmp_path), scale="unit")
    assert host(unit[:, 0, 0, 0]).tolist() == pytest.approx([0.0, 100 / 255, 200 / 255], abs=1e-6)


def test_load_mnist_test_split_reads_t10k(tmp_path):
    write_mnist(tmp_path, prefix="train", n=3)
    write_mnist(tmp_path, prefix="t10k", n=2, gz=False)
    assert data.load_mnist(str(tmp_path), train=False)[0].shape == (2, 1, 28, 28)


def test_load_mnist_missing_files_names_directory_and_files(tmp_path):
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes([0] * 784, (1, 28, 28)))
    msg = (
        f"Missing train-labels-idx1-ubyte in {str(tmp_path)!r} (looked for "
        "train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz])"
    )
    with pytest.raises(DataError, match=re.escape(msg)):
        data.load_mnist(str(tmp_path))
    with pytest.raises(DataError, match=r"Missing t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte in"):
        data.load_mnist(str(tmp_path), train=False)


def test_load_mnist_missing_directory(tmp_path):
    with pytest.raises(DataError, match=r"MNIST directory .*nowhere' does not exist; it should hold train-"):
        data.load_mnist(str(tmp_path / "nowhere"))


def test_load_mnist_mismatched_files(tmp_path):
    write_mnist(tmp_path, n=3)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes([0, 1], (2,)), gz=True)
    with pytest.raises(DataError, match=r"do not match: images have shape \(3, 28, 28\) and labels \(2,\)"):
        data.load_mnist(str(tmp_path))


# ----------------------------------------------------------------- toy distributions


def nearest_mode(samples, modes):
    """Index of the nearest mode for each sample, and the distance to it."""
    d = xp.sqrt(((samples[:, None, :] - modes[None, :, :]) ** 2).sum(axis=2))
    k = d.argmin(axis=1)
    return host(k), host(d.min(axis=1))


def test_gaussian_1d_mean_and_std():
    backend.manual_seed(0)
    x = data.gaussian_1d(20000)
    assert x.shape == (20000, 1) and x.dtype == backend.dtype("float32")
    assert float(x.mean()) == pytest.approx(4.0, abs=0.02)
    assert float(x.std()) == pytest.approx(0.5, abs=0.02)


@FAST
@given(n_modes=st.integers(1, 16), radius=st.floats(0.5, 10))
def test_ring_modes_are_distinct_and_on_the_circle(n_modes, radius):
    modes = data.ring_modes(n_modes, radius)
    assert modes.shape == (n_modes, 2) and modes.dtype == backend.dtype("float32")
    norms = host(xp.sqrt((modes**2).sum(axis=1)))
    assert norms.tolist() == pytest.approx([radius] * n_modes, rel=1e-5)
    angles = [math.atan2(y, x) % (2 * math.pi) for x, y in host(modes).tolist()]
    assert angles == pytest.approx([2 * math.pi * k / n_modes for k in range(n_modes)], abs=1e-5)


def test_ring_of_gaussians_hits_every_mode_at_radius_2():
    backend.manual_seed(1)
    x = data.ring_of_gaussians(2000)
    assert x.shape == (2000, 2) and x.dtype == backend.dtype("float32")
    k, dist = nearest_mode(x, data.ring_modes())
    assert sorted(set(k.tolist())) == list(range(8))  # 8 distinct modes, not 7
    assert dist.max() < 6 * 0.02
    assert float(xp.sqrt((x**2).sum(axis=1)).mean()) == pytest.approx(2.0, abs=0.01)


def test_grid_modes_default_is_the_5_by_5_grid():
    modes = {tuple(p) for p in host(data.grid_modes()).tolist()}
    assert modes == {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}


def test_grid_of_gaussians_means_and_spread():
    backend.manual_seed(2)
    x = data.grid_of_gaussians(5000)
    assert x.shape == (5000, 2) and x.dtype == backend.dtype("float32")
    modes = data.grid_modes()
    k, dist = nearest_mode(x, modes)
    assert dist.max() < 6 * 0.05
    points = host(x)
    for j, centre in enumerate(host(modes).tolist()):
        members = points[k == j]
        assert len(members) > 100
        assert members.mean(axis=0).tolist() == pytest.approx(centre, abs=0.02)


def test_swiss_roll_shape_and_scaling():
    backend.manual_seed(3)
    clean = data.swiss_roll(1000, noise=0.0)
    assert clean.shape == (1000, 2) and clean.dtype == backend.dtype("float32")
    r = host(xp.sqrt((clean**2).sum(axis=1)))  # r = t / 4.5pi with t in [1.5pi, 4.5pi]
    assert r.min() >= 1 / 3 - 1e-6 and r.max() <= 1 + 1e-6
    noisy = data.swiss_roll(1000)
    assert float(xp.abs(noisy).max()) < 1.2


SAMPLERS = [
    lambda: data.gaussian_1d(50),
    lambda: data.ring_of_gaussians(50),
    lambda: data.grid_of_gaussians(50),
    lambda: data.swiss_roll(50),
]


@pytest.mark.parametrize("sample", SAMPLERS, ids=["gaussian", "ring", "grid", "swiss"])
def test_samplers_are_reproducible_under_manual_seed(sample):
    backend.manual_seed(7)
    first = host(sample())
    backend.manual_seed(7)
    assert (host(sample()) == first).all()
    assert not (host(sample()) == first).all()  # the generator moved on


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: data.gaussian_1d(0), r"n must be a positive integer, got 0\."),
        (lambda: data.gaussian_1d(2.5), r"n must be a positive integer, got 2\.5\."),
        (lambda: data.gaussian_1d(True), r"n must be a positive integer, got True\."),
        (lambda: data.gaussian_1d(5, std=0), r"std must be a positive number, got 0\."),
        (lambda: data.gaussian_1d(5, mean=float("inf")), r"mean must be a finite number"),
        (lambda: data.ring_of_gaussians(5, std=-0.1), r"std must be a positive number"),
        (lambda: data.ring_of_gaussians(5, n_modes=0), r"n_modes must be a positive integer"),
        (lambda: data.ring_modes(radius=0.0), r"radius must be a positive number"),
        (lambda: data.grid_of_gaussians(-1), r"n must be a positive integer"),
        (lambda: data.grid_modes(n_per_side="5"), r"n_per_side must be a positive integer, got '5'"),
        (lambda: data.grid_modes(spacing=float("nan")), r"spacing must be a positive number"),
        (lambda: data.swiss_roll(5, noise=-1), r"noise must be zero or positive, got -1\.0\."),
    ],
)
def test_toy_argument_errors(call, match):
    with pytest.raises(DataError, match=match):
        call()


# ----------------------------------------------------------------- DataLoader


@FAST
@given(
    n=st.integers(1, 40),
    batch_fraction=st.floats(0, 1),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
)
def test_an_epoch_covers_each_sample_once(n, batch_fraction, shuffle, drop_last):
    batch_size = max(1, round(batch_fraction * n))
    ids = xp.arange(n)
    loader = DataLoader(10 * ids, ids, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last)
    batches = list(loader)
    assert len(batches) == len(loader)
    seen = []
    for x, y in batches:
        assert bool((x == 10 * y).all())  # rows stay paired: each batch is real data
        assert len(y) == batch_size or (not drop_last and y is batches[-1][1])
        seen += host(y).tolist()
    assert len(seen) == len(set(seen))  # nothing twice
    if not drop_last:
        assert sorted(seen) == list(range(n))  # everything once
    else:
        assert len(seen) == (n // batch_size) * batch_size
    if not shuffle:
        assert seen == list(range(len(seen)))


def test_len_counts_batches_per_epoch():
    x = xp.zeros((100, 3))
    assert len(DataLoader(x, batch_size=32)) == 3
    assert len(DataLoader(x, batch_size=32, drop_last=False)) == 4
    assert len(DataLoader(x, batch_size=100)) == 1


def test_one_array_gives_arrays_several_give_tuples():
    x, y = xp.zeros((10, 2)), xp.ones(10)
    batch = next(iter(DataLoader(x, batch_size=4)))
    assert backend.is_array(batch) and batch.shape == (4, 2)
    pair = next(iter(DataLoader(x, y, batch_size=4)))
    assert isinstance(pair, tuple) and pair[0].shape == (4, 2) and pair[1].shape == (4,)


def test_reshuffled_every_epoch_and_reproducible():
    data_ = xp.arange(100)
    backend.manual_seed(0)
    loader = DataLoader(data_, batch_size=100)
    first, second = host(next(iter(loader))), host(next(iter(loader)))
    assert sorted(first.tolist()) == sorted(second.tolist()) and (first != second).any()
    backend.manual_seed(0)
    assert (host(next(iter(DataLoader(data_, batch_size=100)))) == first).all()


def test_forever_cycles_epochs():
    loader = DataLoader(xp.arange(10), batch_size=3)  # 3 batches per epoch, one sample dropped
    stream = loader.forever()
    batches = [host(next(stream)).tolist() for _ in range(7)]
    for epoch in (batches[0:3], batches[3:6]):
        flat = sum(epoch, [])
        assert len(set(flat)) == 9
    assert len(batches[6]) == 3


def test_the_digits_go_through_a_loader(digits):
    images, labels = digits
    x, y = next(iter(DataLoader(images, labels, batch_size=64)))
    assert x.shape == (64, 1, 28, 28) and y.shape == (64,)


@pytest.mark.parametrize(
    "arrays, kwargs, message",
    [
        (
            (xp.zeros(100),),
            {"batch_size": 128},
            "batch_size 128 is larger than the dataset (100 samples); use a batch size of at most 100.",
        ),
        ((xp.zeros(100),), {"batch_size": 0}, "batch_size must be a positive integer, got 0."),
        ((xp.zeros(10), xp.zeros(9)), {}, "All arrays must have the same length (first dimension), got lengths 10, 9."),
        ((), {}, "DataLoader needs at least one array"),
        ((xp.zeros((0, 2)),), {}, "DataLoader got an empty dataset (0 samples)"),
    ],
    ids=["too-big", "zero", "lengths", "none", "empty"],
)
def test_loader_errors(arrays, kwargs, message):
    with pytest.raises(DataError, match=re.escape(message)):
        DataLoader(*arrays, **kwargs)


# ----------------------------------------------------------------- attacks on data files


def test_a_gzip_bomb_is_refused_after_reading_little(tmp_path):
    import tracemalloc

    bomb = gzip.compress(idx_bytes(list(range(6)), (2, 3)) + b"\x00" * (256 << 20), compresslevel=9)
    path = write(tmp_path / "bomb-idx1-ubyte.gz", bomb)
    assert len(bomb) < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"bomb-idx1-ubyte\.gz is too long: shape \(2, 3\) needs 6 bytes"):
            data.load_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"decompression used {peak} bytes"


def test_a_header_declaring_more_than_a_gzip_file_can_hold_is_refused_before_reading(tmp_path):
    raw = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 60000, 1000, 1000) + b"\x00" * 100
    path = write(tmp_path / "huge-idx3-ubyte.gz", raw, gz=True)
    with pytest.raises(DataError, match=r"declares shape \(60000, 1000, 1000\) \(60000000000 bytes\), more than"):
        data.load_idx(path)
    path = write(tmp_path / "huge-idx3-ubyte", raw)
    with pytest.raises(DataError, match=r"is truncated: shape \(60000, 1000, 1000\) needs 60000000000 bytes"):
        data.load_idx(path)


def write_float_images(directory, images, labels, label_code=0x08):
    n = len(labels)
    flat = [v for image in images for v in image]
    write(directory / "train-images-idx3-ubyte", idx_bytes(flat, (n, 28, 28), 0x0D))
    write(directory / "train-labels-idx1-ubyte", idx_bytes(labels, (n,), label_code))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, 256.0])
def test_nan_or_out_of_range_pixels_are_refused_with_the_file_and_index(tmp_path, bad):
    images = [[0.0] * 784 for _ in range(3)]
    images[2][400] = bad
    write_float_images(tmp_path, images, [0, 1, 2])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: image 2 holds a pixel that is NaN, infinite or"):
        data.load_mnist(str(tmp_path))


def test_images_of_the_wrong_size_are_refused_with_the_file(tmp_path):
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes([0] * (2 * 32 * 32), (2, 32, 32)))
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes([0, 1], (2,)))
    with pytest.raises(DataError, match=r"images-idx3-ubyte holds images of 32x32 pixels .* are 28x28"):
        data.load_mnist(str(tmp_path))


@pytest.mark.parametrize("labels, code, match", [
    ([0, 10, 1], 0x08, r"train-labels-idx1-ubyte: label 1 is 10, outside the classes 0 to 9"),
    ([0, 1, -3], 0x09, r"label 2 is -3, outside"),
    ([0.0, 1.0, 2.0], 0x0D, r"holds float32 labels, expected integers"),
])
def test_labels_out_of_range_are_refused_with_the_file_and_index(tmp_path, labels, code, match):
    write_float_images(tmp_path, [[1.0] * 784] * 3, labels, code)
    with pytest.raises(DataError, match=match):
        data.load_mnist(str(tmp_path))


def test_the_bundled_digits_are_checked_too(tmp_path, monkeypatch):
    import numpy as np

    arrays = dict(np.load(data.DIGITS_PATH))
    arrays["labels"] = arrays["labels"].copy()
    arrays["labels"][17] = 12
    np.savez(tmp_path / "mnist_5k.npz", **arrays)
    monkeypatch.setattr(data, "DIGITS_PATH", str(tmp_path / "mnist_5k.npz"))
    with pytest.raises(DataError, match=r"label 17 is 12, outside the classes 0 to 9; reinstall minigan"):
        data.load_digits()


def test_dataloader_refuses_nan_with_the_sample_index():
    x = xp.zeros((5, 2))
    x[3, 1] = float("nan")
    with pytest.raises(DataError, match=r"DataLoader array 1 holds NaN or infinite values at sample 3"):
        DataLoader(xp.arange(5), x, batch_size=2)
