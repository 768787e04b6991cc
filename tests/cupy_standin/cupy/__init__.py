"""A strict CPU stand-in for CuPy, so that minigan's CuPy code path runs (and is tested) without a GPU.

Put ``tests/cupy_standin`` first on ``PYTHONPATH`` and set ``MINIGAN_BACKEND=cupy``:
``import cupy`` then finds this module. It computes with NumPy on the host,
but keeps to the rules of CuPy that trip code written for NumPy, as CuPy's
documentation states them ("Differences between CuPy and NumPy", and the
ndarray page's "Conversion to/from NumPy arrays"):

* :class:`ndarray` is its own type, *not* a ``numpy.ndarray`` subclass; it
  wraps a NumPy array that only this module touches.
* No implicit conversion to the host: ``numpy.asarray(a)``, ``numpy.array(a)``
  and anything else that calls ``__array__`` raise TypeError. Use
  :func:`asnumpy` or ``a.get()``. ``a.item()``, ``float(a)``, ``int(a)``,
  ``bool(a)`` and ``a.tolist()`` are allowed, as in CuPy.
* No mixing: a ``numpy.ndarray`` (or a list) as an operand of an arithmetic
  operator, a ufunc or a CuPy function raises TypeError (a list where a
  function such as ``sum`` or ``stack`` wants device arrays, too). Only
  :func:`asarray` / :func:`array` take host data in. Python and NumPy scalars
  mix freely.
* Reductions and single-element indexing return 0-d arrays, not scalars.
* Integer-array indexing out of range *wraps around* (``x[[0, 3]]`` on three
  elements reads ``x[[0, 0]]``) instead of raising IndexError: CuPy skips the
  check for speed. ``cupyx.scatter_add`` wraps the same way.
* ``x[...] = value`` takes a CuPy array or a scalar, not a list or a host array.

It proves the code path (types, transfers, mixing rules), not GPU numerics:
the arithmetic is NumPy's.
"""

import types as _types

import numpy as _np

__version__ = "0.0-minigan-standin"
MINIGAN_STANDIN = True  # tests/conftest.py skips the real-GPU tests when it sees this

_FORBIDDEN_NUMPY = (
    "Unsupported type <class 'numpy.ndarray'>: CuPy does not mix host and device arrays; "
    "move it with cupy.asarray first"
)


def _host_refused(what):
    raise TypeError(f"Unsupported type {type(what)!r}: {_FORBIDDEN_NUMPY.split(': ', 1)[1]}")


class ndarray:
    """A device array (here: a NumPy array kept private)."""

    __slots__ = ("_a",)
    __hash__ = None

    def __init__(self, shape, dtype=float):
        self._a = _np.empty(shape, dtype=dtype)

    # -- moving to the host: only explicitly
    def get(self, stream=None, order="C", out=None):
        return _np.array(self._a, order=order, copy=True)

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly."
        )

    def item(self, *args):
        return self._a.item(*args)

    def tolist(self):
        return self._a.tolist()

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __bool__(self):
        return bool(self._a)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        for i in range(len(self._a)):
            yield _wrap(self._a[i])

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a.item() if self._a.ndim == 0 else self._a, spec)

    # -- attributes and methods: NumPy's, on the wrapped array
    @property
    def shape(self):
        return self._a.shape

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    T = property(lambda self: _wrap(self._a.T))
    flags = property(lambda self: self._a.flags)
    device = property(lambda self: "cuda:0 (stand-in)")

    def __getattr__(self, name):
        if name.startswith("__") or name in ("data", "ctypes", "tofile", "dump", "dumps"):
            raise AttributeError(f"cupy.ndarray stand-in has no attribute {name!r}")
        attr = getattr(self._a, name)
        if callable(attr):
            def method(*args, **kwargs):
                return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))

            method.__name__ = name
            return method
        return _wrap(attr)

    # -- indexing: integer arrays wrap around, as in CuPy
    def __getitem__(self, index):
        return _wrap(self._a[_device_index(index, self._a.shape)])

    def __setitem__(self, index, value):
        if isinstance(value, ndarray):
            value = value._a
        elif isinstance(value, (_np.ndarray, list, tuple)):
            _host_refused(value)
        self._a[_device_index(index, self._a.shape)] = value

    # -- the ufunc protocol (numpy.exp(x) on a device array stays on the device)
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(_operand(x) for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(_operand(x) for x in kwargs["out"])
        return _wrap(getattr(ufunc, method)(*inputs, **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        # numpy.sum(x) on a device array runs on the device, as CuPy's NEP 18 support does; host arrays refused
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))


def _binary(name, reflected=False):
    def op(self, other):
        if isinstance(other, (_np.ndarray, list, tuple)):
            _host_refused(other)
        if not isinstance(other, (ndarray, _np.generic, int, float, complex, bool)):
            return NotImplemented
        other = other._a if isinstance(other, ndarray) else other
        a, b = (other, self._a) if reflected else (self._a, other)
        return _wrap(getattr(_np, name)(a, b))

    return op


def _inplace(name):
    def op(self, other):
        if isinstance(other, (_np.ndarray, list, tuple)):
            _host_refused(other)
        other = other._a if isinstance(other, ndarray) else other
        getattr(_np, name)(self._a, other, out=self._a)
        return self

    return op


for _name, _ufunc in [
    ("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "true_divide"),
    ("floordiv", "floor_divide"), ("mod", "remainder"), ("pow", "power"), ("matmul", "matmul"),
    ("and", "bitwise_and"), ("or", "bitwise_or"), ("xor", "bitwise_xor"),
    ("lshift", "left_shift"), ("rshift", "right_shift"),
]:
    setattr(ndarray, f"__{_name}__", _binary(_ufunc))
    setattr(ndarray, f"__r{_name}__", _binary(_ufunc, reflected=True))
    if _name != "matmul":
        setattr(ndarray, f"__i{_name}__", _inplace(_ufunc))
for _name, _ufunc in [("lt", "less"), ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal"),
                      ("eq", "equal"), ("ne", "not_equal")]:
    setattr(ndarray, f"__{_name}__", _binary(_ufunc))
for _name, _ufunc in [("neg", "negative"), ("pos", "positive"), ("abs", "absolute"), ("invert", "invert")]:
    setattr(ndarray, f"__{_name}__", (lambda u: lambda self: _wrap(getattr(_np, u)(self._a)))(_ufunc))


def _wrap(value):
    """NumPy results as device arrays: arrays and scalars become ndarray (CuPy returns 0-d arrays)."""
    if isinstance(value, _np.ndarray):
        out = ndarray.__new__(ndarray)
        out._a = value
        return out
    if isinstance(value, _np.generic):
        return _wrap(_np.asarray(value))
    if isinstance(value, tuple):  # (a NumPy named tuple such as eigh's becomes a plain tuple, as in CuPy)
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list) and any(isinstance(v, _np.ndarray) for v in value):
        return [_wrap(v) for v in value]
    return value


def _unwrap(value):
    """Arguments for NumPy: device arrays unwrapped; a host array is refused (CuPy's rule)."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, _np.ndarray):
        _host_refused(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _operand(value):
    """A ufunc operand: a device array or a scalar; CuPy's ufuncs refuse lists and host arrays."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, (_np.ndarray, list, tuple)):
        _host_refused(value)
    return value


def _device_index(index, shape):
    """The index with device arrays unwrapped and integer arrays wrapped around each axis's size."""
    parts = list(index) if isinstance(index, tuple) else [index]
    for i, p in enumerate(parts):
        if isinstance(p, _np.ndarray):
            _host_refused(p)
        if isinstance(p, ndarray):
            parts[i] = p._a
        elif isinstance(p, list):
            parts[i] = _np.asarray(p)
    used = sum(_axes(p) for p in parts if p is not Ellipsis)
    axis = 0
    for i, p in enumerate(parts):
        if p is Ellipsis:
            axis += len(shape) - used
            continue
        if isinstance(p, _np.ndarray) and p.dtype.kind in "iu" and axis < len(shape) and shape[axis] > 0:
            parts[i] = p % shape[axis]  # CuPy: out-of-bounds integer indices wrap around
        axis += _axes(p)
    return tuple(parts) if isinstance(index, tuple) else parts[0]


def _axes(part):
    if part is None:
        return 0
    if isinstance(part, _np.ndarray) and part.dtype == bool:
        return part.ndim
    return 1


# ----------------------------------------------------------------- host <-> device


def asarray(a, dtype=None, order=None, **kwargs):
    """Host data (lists, scalars, NumPy arrays) or a device array, as a device array."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == _np.dtype(dtype) else a.astype(dtype)
    return _wrap(_np.array(_inputs(a), dtype=dtype, order=order or "K"))


def array(obj, dtype=None, copy=True, order="K", ndmin=0, **kwargs):
    if isinstance(obj, ndarray):
        return _wrap(_np.array(obj._a, dtype=dtype, copy=True, order=order, ndmin=ndmin))
    return _wrap(_np.array(_inputs(obj), dtype=dtype, order=order, ndmin=ndmin))


def ascontiguousarray(a, dtype=None):
    return _wrap(_np.ascontiguousarray(asarray(a, dtype)._a))


def asanyarray(a, dtype=None, order=None):
    return asarray(a, dtype, order)


def _inputs(value):
    """Host data for asarray; device arrays inside lists are unwrapped (CuPy stacks them on the device)."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, (list, tuple)):
        return [_inputs(v) for v in value]
    return value


def asnumpy(a, stream=None, order="C", out=None):
    """A host copy of ``a`` (a device array, or anything NumPy takes)."""
    if isinstance(a, ndarray):
        return a.get(order=order)
    return _np.asarray(a, order=order)


def get_array_module(*args):
    import sys

    return sys.modules[__name__]


def is_available():
    return True


# ----------------------------------------------------------------- the rest of NumPy's API, on device arrays


class _Namespace(_types.ModuleType):
    """A submodule of NumPy (linalg, fft, lib.stride_tricks, ...) with device-array wrapping."""

    def __init__(self, numpy_module, name):
        super().__init__(name)
        self._numpy_module = numpy_module

    def __getattr__(self, name):
        return _delegate(getattr(self._numpy_module, name), f"{self.__name__}.{name}")


# Functions whose first argument is an array: CuPy's take a cupy.ndarray there, not a list.
_ARRAY_FIRST = {
    "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "prod", "std", "var", "cumsum", "clip",
    "reshape", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze", "repeat", "tile", "pad", "flip",
    "rot90", "broadcast_to", "ravel", "sort", "argsort", "unique", "bincount", "trace", "diag", "round",
    "zeros_like", "ones_like", "empty_like", "full_like", "any", "all", "eigh", "eigvalsh", "inv", "norm",
}
# Functions that take a sequence of arrays: each must be a cupy.ndarray.
_ARRAY_SEQUENCE = {"stack", "concatenate", "vstack", "hstack", "column_stack", "dstack"}


def _delegate(attr, qualified):
    if isinstance(attr, _types.ModuleType):
        return _Namespace(attr, qualified)
    if isinstance(attr, _np.ufunc):
        return _Ufunc(attr)
    if isinstance(attr, type) or not callable(attr):
        return attr  # dtypes (float32, ...), dtype, finfo, constants (pi, inf, newaxis)
    name = qualified.rsplit(".", 1)[-1]

    def function(*args, **kwargs):
        if args and name in _ARRAY_FIRST and isinstance(args[0], (list, tuple)):
            _host_refused(args[0])
        if args and name in _ARRAY_SEQUENCE:
            for item in args[0]:
                if not isinstance(item, ndarray):
                    _host_refused(item)
        return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))

    function.__name__ = getattr(attr, "__name__", qualified)
    function.__qualname__ = qualified
    return function


class _Ufunc:
    """A ufunc that takes device arrays and scalars only (CuPy's ufuncs refuse lists and host arrays)."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *inputs, **kwargs):
        if "out" in kwargs and kwargs["out"] is not None:
            out = kwargs["out"]
            kwargs["out"] = tuple(_operand(o) for o in out) if isinstance(out, tuple) else _operand(out)
        return _wrap(self._ufunc(*(_operand(x) for x in inputs), **kwargs))

    def __getattr__(self, name):
        attr = getattr(self._ufunc, name)
        if not callable(attr):
            return attr
        return lambda *args, **kwargs: _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))


class _Lib(_types.ModuleType):
    pass


lib = _Lib("cupy.lib")
lib.stride_tricks = _types.ModuleType("cupy.lib.stride_tricks")


def _as_strided(x, shape=None, strides=None):
    return _wrap(_np.lib.stride_tricks.as_strided(x._a, shape=shape, strides=strides))


lib.stride_tricks.as_strided = _as_strided


class _Stream:
    def synchronize(self):
        pass


class _Device:
    def __init__(self, device=0):
        self.id = device

    def synchronize(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


cuda = _types.ModuleType("cupy.cuda")
cuda.Stream = type("Stream", (), {"null": _Stream()})
cuda.Device = _Device
cuda.get_current_stream = lambda: _Stream()
cuda.runtime = _types.ModuleType("cupy.cuda.runtime")
cuda.runtime.getDeviceCount = lambda: 1
cuda.is_available = is_available


def __getattr__(name):
    try:
        attr = getattr(_np, name)
    except AttributeError:
        raise AttributeError(f"module 'cupy' (minigan's CPU stand-in) has no attribute {name!r}") from None
    return _delegate(attr, f"cupy.{name}")


def __dir__():
    return sorted(set(globals()) | set(dir(_np)))

