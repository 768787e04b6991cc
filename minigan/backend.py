"""The one place that imports numpy or cupy.

``MINIGAN_BACKEND`` (``numpy``, the default, or ``cupy``) is read once, when
minigan is imported. Everything above this file uses :data:`xp`, the chosen
array module, and the few helpers below where NumPy and CuPy differ.

Random numbers come from one seeded NumPy generator on the host, then move to
the device: the same seed gives the same initialisation and noise on both
backends, which is what lets the GPU tests compare against NumPy.
"""

import os
import sys

import numpy

VALID_BACKENDS = ("numpy", "cupy")


class BackendError(RuntimeError):
    """MINIGAN_BACKEND names a backend that cannot be used on this machine."""


def _read_backend_name(environ=os.environ):
    name = environ.get("MINIGAN_BACKEND", "numpy").strip().lower() or "numpy"
    if name not in VALID_BACKENDS:
        raise BackendError(
            f"MINIGAN_BACKEND={environ.get('MINIGAN_BACKEND')!r} is not a backend minigan knows; "
            f"use one of: {', '.join(VALID_BACKENDS)}."
        )
    return name


def _import_cupy():
    try:
        import cupy
    except ImportError as err:
        raise BackendError(
            "MINIGAN_BACKEND=cupy but CuPy is not installed; "
            'install it from the checkout with: pip install -e ".[gpu]" (or unset MINIGAN_BACKEND to use NumPy).'
        ) from err
    if not _cuda_device_usable(cupy):
        raise BackendError(
            "MINIGAN_BACKEND=cupy but CuPy finds no usable CUDA device (no GPU, or no/old NVIDIA driver); "
            "unset MINIGAN_BACKEND to run on the CPU with NumPy."
        )
    return cupy


def _cuda_device_usable(cupy):
    # import cupy succeeds without a driver; only an allocation tells for sure.
    try:
        if not cupy.is_available():
            return False
        cupy.zeros(1).sum().item()
        return True
    except Exception:
        return False


def _keep_freed_memory_for_reuse():
    """Ask glibc to keep freed memory for reuse instead of handing it back to the OS after every step.

    A training step allocates and frees the same large arrays again and again.
    By default glibc serves arrays over 128 KiB with fresh pages (mmap) and
    returns them at once, so every step pays thousands of page faults. Raising
    the mmap threshold to 4 MiB and the trim threshold to 1 GiB made a DCGAN
    step about 12 % faster here and left peak memory unchanged. It changes
    only allocator settings of this process (Linux with glibc; a no-op elsewhere).
    Set MINIGAN_MALLOC_TUNING=0 to leave the allocator alone.
    """
    if os.environ.get("MINIGAN_MALLOC_TUNING", "1") == "0":
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        libc.mallopt(M_MMAP_THRESHOLD, 4 << 20)
        libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)
    except (OSError, AttributeError):
        pass


def _one_line_if_uncaught():
    """If a BackendError ends the program, print ``error: <its sentence>`` instead of the import traceback.

    Installed only when the backend cannot be chosen; other exceptions go to
    the previous hook unchanged, and code that catches the error sees it as usual.
    """
    previous = sys.excepthook

    def hook(kind, value, traceback):
        if issubclass(kind, BackendError):
            print(f"error: {value}", file=sys.stderr)
        else:
            previous(kind, value, traceback)

    sys.excepthook = hook


try:
    BACKEND = _read_backend_name()
    xp = _import_cupy() if BACKEND == "cupy" else numpy
except BackendError:
    _one_line_if_uncaught()
    raise
if BACKEND == "numpy":
    _keep_freed_memory_for_reuse()

# ----------------------------------------------------------------- host <-> device


def to_numpy(array):
    """A host ``numpy.ndarray`` holding ``array`` (a copy when it lives on the GPU).

    ``array`` may also be a (nested) list or tuple holding device arrays, such
    as a loss history of 0-d CuPy arrays: each is copied to the host, then they
    are stacked there. CuPy forbids ``numpy.asarray`` on a device array.
    """
    if isinstance(array, numpy.ndarray):
        return array
    if BACKEND == "cupy" and isinstance(array, xp.ndarray):
        return array.get()
    if isinstance(array, (list, tuple)) and _holds_device_array(array):
        return numpy.stack([to_numpy(item) for item in array])
    return numpy.asarray(array)


def asarray(data, dtype=None):
    """``data`` (list, scalar, NumPy or CuPy array) as a backend array.

    A list holding device arrays is stacked on the device (never through the host).
    """
    if BACKEND == "cupy" and not isinstance(data, xp.ndarray):
        if isinstance(data, (list, tuple)) and _holds_device_array(data):
            return xp.stack([asarray(item, dtype=dtype) for item in data])
        data = numpy.asarray(data, dtype=dtype)
    return xp.asarray(data, dtype=dtype)


def _holds_device_array(items):
    """True when the (nested) list or tuple ``items`` holds a device array anywhere."""
    if BACKEND != "cupy":
        return False
    for item in items:
        if isinstance(item, xp.ndarray):
            return True
        if isinstance(item, (list, tuple)) and _holds_device_array(item):
            return True
    return False


def is_array(obj):
    """True for an array of the active backend (or a NumPy array on the CPU backend)."""
    return isinstance(obj, (xp.ndarray, numpy.ndarray))


def all_finite(array):
    """True when every element of the host or device ``array`` is finite (always, for bool and integer dtypes)."""
    if array.dtype.kind not in "fc":
        return True
    module = numpy if isinstance(array, numpy.ndarray) else xp
    return bool(module.isfinite(array).all())


def first_bad_row(array, low=None, high=None):
    """The index along axis 0 of the first row of ``array`` (host or device) holding a value that is
    NaN, infinite, or outside [low, high]; None when every row is good."""
    if array.ndim == 0 or array.shape[0] == 0:
        return None
    module = numpy if isinstance(array, numpy.ndarray) else xp
    rows = array.reshape(array.shape[0], -1)
    bad = module.zeros(array.shape[0], dtype=bool)
    if array.dtype.kind in "fc":
        bad |= ~module.isfinite(rows).all(axis=1)
    if low is not None:
        bad |= (rows < low).any(axis=1)
    if high is not None:
        bad |= (rows > high).any(axis=1)
    if not bool(bad.any()):
        return None
    return int(bad.argmax())


def is_floating(dtype):
    return numpy.dtype(dtype).kind == "f"


# ----------------------------------------------------------------- where NumPy and CuPy differ


def scatter_add(target, index, values):
    """``target[index] += values``, adding repeated indices up (unbuffered)."""
    check_index_bounds(index, target.shape)
    if BACKEND == "cupy":
        import cupyx

        cupyx.scatter_add(target, index, values)
    else:
        numpy.add.at(target, index, values)
    return target


def check_index_bounds(index, shape):
    """Raise IndexError, as NumPy does, when an integer array in ``index`` points outside ``shape``.

    NumPy raises for ``x[[0, 5]]`` on 3 elements; CuPy silently wraps the index
    around (5 -> 2), which would read or write the wrong element without a word.
    Checking here makes both backends fail the same way. Slices, integers,
    ``None``, ``...`` and boolean masks are left to the array library.
    """
    parts = index if isinstance(index, tuple) else (index,)
    if not any(_is_integer_array(p) for p in parts):
        return
    consumed = sum(_axes_used(p) for p in parts if p is not Ellipsis)
    axis = 0
    for part in parts:
        if part is Ellipsis:
            axis += len(shape) - consumed
            continue
        if _is_integer_array(part) and axis < len(shape) and part.size:
            size = shape[axis]
            low, high = int(part.min()), int(part.max())
            if low < -size or high >= size:
                bad = high if high >= size else low
                raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {size}")
        axis += _axes_used(part)


def _is_integer_array(part):
    return is_array(part) and part.dtype.kind in "iu"


def _axes_used(part):
    """How many axes of the indexed array one index part consumes."""
    if part is None:
        return 0
    if is_array(part) and part.dtype.kind == "b":
        return part.ndim
    return 1


def as_strided(array, shape, strides):
    """A strided view of ``array`` (no copy); strides in bytes."""
    if BACKEND == "cupy":
        return xp.lib.stride_tricks.as_strided(array, shape=shape, strides=strides)
    return numpy.lib.stride_tricks.as_strided(array, shape=shape, strides=strides, writeable=False)


# ----------------------------------------------------------------- random numbers

_generator = numpy.random.default_rng()


def manual_seed(seed):
    """Seed the generator used by initialisation, data shuffling and noise (``seed``: an integer >= 0)."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)) or seed < 0:
        raise ValueError(f"manual_seed needs an integer >= 0, got {seed!r}.")
    _generator = numpy.random.default_rng(int(seed))
    return _generator


def generator():
    """The host generator behind every random draw in minigan."""
    return _generator


def generator_state():
    """The generator's state as a JSON string (for checkpoints)."""
    import json

    return json.dumps(_generator.bit_generator.state, default=lambda value: value.tolist())  # MT19937 holds an array


# The bit generators a checkpoint may name; a state is only ever restored into one of these.
BIT_GENERATORS = {
    "PCG64": numpy.random.PCG64,
    "PCG64DXSM": numpy.random.PCG64DXSM,
    "MT19937": numpy.random.MT19937,
    "Philox": numpy.random.Philox,
    "SFC64": numpy.random.SFC64,
}


def generator_from_state(state):
    """A new generator in the state written by :func:`generator_state` (the current one is untouched).

    Raises ValueError for a state that is not JSON, names a bit generator
    outside :data:`BIT_GENERATORS`, or that the bit generator rejects.
    """
    import json

    try:
        state = json.loads(state)
    except (TypeError, ValueError, RecursionError):
        raise ValueError("the generator state is not valid JSON") from None
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if not isinstance(name, str) or name not in BIT_GENERATORS:
        raise ValueError(
            f"the generator state names bit generator {name!r}, expected one of {', '.join(BIT_GENERATORS)}"
        )
    bit_generator = BIT_GENERATORS[name]()
    try:
        bit_generator.state = state
    except Exception as err:  # NumPy raises TypeError, ValueError, KeyError or OverflowError here
        raise ValueError(f"the {name} generator state is damaged ({type(err).__name__})") from None
    return numpy.random.Generator(bit_generator)


def set_generator(new_generator):
    """Make ``new_generator`` (from :func:`generator_from_state`) the one behind every random draw."""
    global _generator
    _generator = new_generator


def set_generator_state(state):
    """Restore a state written by :func:`generator_state` (ValueError if it is damaged)."""
    set_generator(generator_from_state(state))


def _on_device(host_array, dtype):
    return xp.asarray(host_array.astype(dtype, copy=False))


def randn(*shape, dtype="float32"):
    """Standard normal samples N(0, 1) of ``shape``."""
    return _on_device(_generator.standard_normal(shape), dtype)


def rand(*shape, dtype="float32"):
    """Uniform samples U[0, 1) of ``shape``."""
    return _on_device(_generator.random(shape), dtype)


def randint(low, high, shape, dtype="int64"):
    """Integers uniform in [low, high)."""
    return _on_device(_generator.integers(low, high, size=shape), dtype)


def permutation(n):
    """A random permutation of range(n), as a backend int64 array."""
    return _on_device(_generator.permutation(n), "int64")


def dtype(name):
    """The backend dtype object for a name such as ``"float32"``."""
    return numpy.dtype(name)


# ----------------------------------------------------------------- reading files on the host


class ArchiveError(ValueError):
    """An ``.npz`` file that cannot be read safely; ``kind`` says why.

    kinds: "not_npz" (not a zip archive), "damaged" (a zip, but truncated or
    corrupt), "pickled" (holds Python objects), "too_large" (a header declares
    more data than the member holds), "duplicate" (a name appears twice).
    """

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def load_npz(path):
    """The arrays of an ``.npz`` file as a dict of host NumPy arrays (pickles refused).

    Every member's ``.npy`` header is read and checked first, with
    ``numpy.lib.format``: its dtype must not hold Python objects and the data
    it declares must fit in the bytes the member really holds. Only then is
    any data read, so a header declaring 10^12 elements is refused at once
    instead of allocating memory for it. Raises :class:`ArchiveError`.
    """
    import zipfile
    import zlib

    size = os.path.getsize(path)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        with open(path, "rb") as f:
            start = f.read(4)
        if start.startswith(b"PK"):
            raise ArchiveError("damaged", "the zip archive is truncated or corrupt") from None
        if start.startswith(b"\x80"):
            raise ArchiveError("pickled", "the file is a Python pickle") from None
        raise ArchiveError("not_npz", "the file is not a zip archive") from None
    with archive:
        members = archive.infolist()
        names = [m.filename for m in members]
        if len(set(names)) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise ArchiveError("duplicate", f"the archive holds {twice[0]!r} more than once")
        try:
            headers = {m.filename: _npy_header(archive, m, size) for m in members}
            return {name[:-4] if name.endswith(".npy") else name: _npy_data(archive, name, headers[name])
                    for name in names}
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError, NotImplementedError) as err:
            raise ArchiveError("damaged", f"the zip archive is truncated or corrupt ({type(err).__name__})") from None


def _npy_header(archive, member, archive_size):
    """(dtype, shape, fortran_order, header bytes) of one member, checked against the member's size."""
    from numpy.lib import format as npy

    if not member.filename.endswith(".npy"):
        raise ArchiveError("not_npz", f"it holds {member.filename!r}, which is not a .npy array")
    stored_but_resized = member.compress_type == 0 and member.file_size != member.compress_size
    if member.compress_size > archive_size or stored_but_resized:
        raise ArchiveError("too_large", f"{member.filename!r} claims more bytes than the archive holds")
    with archive.open(member) as f:
        try:
            version = npy.read_magic(f)
            read_header = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}.get(version)
            if read_header is None:
                raise ValueError(f"unsupported .npy format version {version}")
            shape, fortran_order, dtype = read_header(f)
        except (ValueError, SyntaxError, TypeError, EOFError, OverflowError) as err:
            why = str(err) if "version" in str(err) else "its header cannot be read"
            raise ArchiveError("damaged", f"{member.filename!r} is not a valid .npy array ({why})") from None
        header_size = f.tell()
    if dtype.hasobject:
        raise ArchiveError("pickled", f"{member.filename!r} holds Python objects (a pickle)")
    declared = _count(shape) * dtype.itemsize
    held = member.file_size - header_size
    if declared != held:
        kind = "too_large" if declared > held else "damaged"
        raise ArchiveError(
            kind, f"{member.filename!r} declares shape {shape} ({declared} bytes) but holds {max(held, 0)} bytes"
        )
    if member.compress_type != 0 and member.file_size > 1100 * member.compress_size + 4096:
        # deflate cannot expand data more than ~1032 times: a larger claim is a lie
        raise ArchiveError("too_large", f"{member.filename!r} claims more data than its compressed bytes can hold")
    return dtype, shape, fortran_order, header_size


def _npy_data(archive, name, header):
    dtype, shape, fortran_order, header_size = header
    with archive.open(name) as f:
        f.read(header_size)
        raw = f.read(dtype.itemsize * _count(shape))
    if len(raw) != dtype.itemsize * _count(shape):
        raise ArchiveError("damaged", f"{name!r} ends early")
    array = numpy.frombuffer(raw, dtype=dtype)
    if fortran_order:
        return array.reshape(shape[::-1]).transpose().copy()
    return array.reshape(shape).copy()


def _count(shape):
    count = 1
    for n in shape:
        count *= n
    return count


def frombuffer(buffer, dtype):
    """``buffer`` (bytes) read as a 1-D host array of ``dtype`` (e.g. ``">i4"``), in native byte order."""
    array = numpy.frombuffer(buffer, dtype=dtype)
    return array.astype(array.dtype.newbyteorder("="))


def save_npz(file, arrays):
    """Write ``arrays`` (name -> array, str or number) to an open binary file as an uncompressed ``.npz``."""
    numpy.savez(file, **{name: numpy.asarray(to_numpy(value)) for name, value in arrays.items()})


def numpy_zeros(shape, dtype="float32"):
    """Zeros as a host NumPy array (for pictures, which matplotlib draws from the host)."""
    return numpy.zeros(shape, dtype=dtype)
