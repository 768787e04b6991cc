"""The one place that imports numpy or cupy.

``MINIGAN_BACKEND`` (``numpy``, the default, or ``cupy``) is read once, when
minigan is imported. Everything above this file uses :data:`xp`, the chosen
array module, and the few helpers below where NumPy and CuPy differ.

Random numbers come from one seeded NumPy generator on the host, then move to
the device: the same seed gives the same initialisation and noise on both
backends, which is what lets the GPU tests compare against NumPy.
"""

import os

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
            'install it with: pip install "minigan[gpu]" (or unset MINIGAN_BACKEND to use NumPy).'
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


BACKEND = _read_backend_name()
xp = _import_cupy() if BACKEND == "cupy" else numpy
if BACKEND == "numpy":
    _keep_freed_memory_for_reuse()

# ----------------------------------------------------------------- host <-> device


def to_numpy(array):
    """A host ``numpy.ndarray`` holding ``array`` (a copy when it lives on the GPU)."""
    if isinstance(array, numpy.ndarray):
        return array
    if hasattr(array, "get"):  # cupy.ndarray
        return array.get()
    return numpy.asarray(array)


def asarray(data, dtype=None):
    """``data`` (list, scalar, NumPy or CuPy array) as a backend array."""
    if BACKEND == "cupy" and not isinstance(data, xp.ndarray):
        data = numpy.asarray(data, dtype=dtype)
    return xp.asarray(data, dtype=dtype)


def is_array(obj):
    """True for an array of the active backend (or a NumPy array on the CPU backend)."""
    return isinstance(obj, (xp.ndarray, numpy.ndarray))


def is_floating(dtype):
    return numpy.dtype(dtype).kind == "f"


# ----------------------------------------------------------------- where NumPy and CuPy differ


def scatter_add(target, index, values):
    """``target[index] += values``, adding repeated indices up (unbuffered)."""
    if BACKEND == "cupy":
        import cupyx

        cupyx.scatter_add(target, index, values)
    else:
        numpy.add.at(target, index, values)
    return target


def as_strided(array, shape, strides):
    """A strided view of ``array`` (no copy); strides in bytes."""
    if BACKEND == "cupy":
        return xp.lib.stride_tricks.as_strided(array, shape=shape, strides=strides)
    return numpy.lib.stride_tricks.as_strided(array, shape=shape, strides=strides, writeable=False)


# ----------------------------------------------------------------- random numbers

_generator = numpy.random.default_rng()


def manual_seed(seed):
    """Seed the generator used by initialisation, data shuffling and noise."""
    global _generator
    _generator = numpy.random.default_rng(seed)
    return _generator


def generator():
    """The host generator behind every random draw in minigan."""
    return _generator


def generator_state():
    """The generator's state as a JSON string (for checkpoints)."""
    import json

    return json.dumps(_generator.bit_generator.state)


def set_generator_state(state):
    """Restore a state written by :func:`generator_state`."""
    import json

    state = json.loads(state)
    bit_generator = getattr(numpy.random, state["bit_generator"])()
    bit_generator.state = state
    global _generator
    _generator = numpy.random.Generator(bit_generator)


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


def load_npz(path):
    """The arrays of an ``.npz`` file as a dict of host NumPy arrays (pickles refused)."""
    archive = numpy.load(path, allow_pickle=False)
    if not hasattr(archive, "files"):  # a plain .npy file gives a single array
        raise ValueError("not an .npz archive")
    with archive:
        return {name: archive[name] for name in archive.files}


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
