"""Tensor and Function: the nodes of minigan's computation graph.

A :class:`Tensor` wraps a backend array (``t.data``). When it was computed by an
op from tensors that require gradients, it remembers that op in ``t.grad_fn``,
and the op remembers its inputs: that chain is the graph ``backward()`` walks.

A :class:`Function` is one op: ``forward`` works on raw arrays (the fast path),
``backward`` works on Tensors and is written with minigan's own ops, so the
gradient it returns can itself be differentiated (``create_graph=True``).
The ops live in ``minigan/ops``, each file attaching its ops' Tensor methods
(``Tensor.sigmoid = sigmoid``) right beside their Functions; the graph walk
lives in ``minigan/autograd.py``, which attaches ``Tensor.backward``. This file
imports neither: the arrows point down only.
"""

import functools
import math
import weakref

from minigan import backend
from minigan.backend import xp

_grad_enabled = True
_ndarray = xp.ndarray


class no_grad:
    """Stop ops from recording the graph: ``with mg.no_grad():``, or as a decorator
    (``@mg.no_grad()`` or ``@mg.no_grad``).

    Inside, ops compute values only: nothing requires grad, nothing is saved
    for backward. Use it for evaluation, sampling and parameter updates.
    """

    enabled = False

    def __new__(cls, func=None):
        self = super().__new__(cls)
        return self if func is None else self(func)  # bare @no_grad decorates func at once

    def __enter__(self):
        self._previous = set_grad_enabled(self.enabled)

    def __exit__(self, *exc):
        set_grad_enabled(self._previous)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):
    """Turn graph recording back on inside a ``no_grad`` block (``create_graph`` uses it)."""

    enabled = True


def is_grad_enabled():
    """True when ops record the graph (outside ``no_grad``)."""
    return _grad_enabled


def set_grad_enabled(mode):
    """Turn graph recording on (True) or off (False); return the previous setting."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, bool(mode)
    return previous


class Function:
    """One differentiable op. Subclasses define ``forward`` and ``backward``.

    ``forward(self, *arrays, **params)`` gets backend arrays and returns one
    array. It may keep non-tensor facts it needs later on ``self`` (an axis, a
    shape). ``backward(self, grad_output)`` gets the gradient of the output as a
    Tensor and returns one gradient Tensor per input (or ``None`` for inputs in
    ``self.needs_input_grad`` that are False). Inputs are ``self.inputs``; an
    op that sets ``save_output = True`` reads its output as ``self.output``.
    """

    save_output = False

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors: forward on their arrays, and record the op if a gradient will be needed."""
        fn = cls()
        data = fn.forward(*[t.data for t in inputs], **params)
        if type(data) is not _ndarray:  # NumPy returns a scalar, not a 0-d array, for ops on 0-d arrays
            data = xp.asarray(data)
        out = Tensor(data)
        if _grad_enabled:
            needs = tuple([t.requires_grad for t in inputs])
            if True in needs:
                out.requires_grad = True
                out.grad_fn = fn
                fn.inputs = inputs
                fn.needs_input_grad = needs
                if cls.save_output:
                    fn._output_ref = weakref.ref(out)
        return out

    @property
    def output(self):
        out = self._output_ref()
        if out is None:
            raise RuntimeError(f"{type(self).__name__}: its output was freed before backward.")
        return out

    def forward(self, *arrays, **params):
        raise NotImplementedError

    def backward(self, grad_output):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


class Tensor:
    """A backend array with an optional gradient and a link to the op that made it."""

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "name", "__weakref__")
    __array_priority__ = 1000  # numpy_scalar * tensor calls Tensor.__rmul__

    def __init__(self, data, requires_grad=False):
        self.data = data
        self.grad = None
        self.requires_grad = requires_grad
        self.grad_fn = None
        self.name = None

    # --- facts about the array
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def T(self):
        """The axes in reverse order (a matrix transposed), as in NumPy and PyTorch."""
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self):
        """The last two axes swapped: each matrix of a batch transposed."""
        return self.transpose(-2, -1)

    @property
    def is_leaf(self):
        return self.grad_fn is None

    def __len__(self):
        return len(self.data)

    def numel(self):
        return self.data.size

    def dim(self):
        return self.data.ndim

    def numpy(self):
        """A host ``numpy.ndarray`` copy of the data."""
        return backend.to_numpy(self.data).copy()

    def __array__(self, dtype=None, copy=None):
        """What ``numpy.asarray(t)`` sees: the host array (copied from the GPU), without the graph."""
        array = backend.to_numpy(self.data)
        return array if dtype is None else array.astype(dtype, copy=False)

    def item(self):
        return self.data.item()

    def tolist(self):
        return backend.to_numpy(self.data).tolist()

    # --- graph handling
    def detach(self):
        """The same data, cut from the graph (no gradient flows through it)."""
        return Tensor(self.data)

    def requires_grad_(self, flag=True):
        if flag and not backend.is_floating(self.dtype):
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}.")
        self.requires_grad = flag
        return self

    # t.backward() is minigan.autograd.backward, attached there (the graph walk lives in autograd.py)

    def zero_grad_(self):
        self.grad = None
        return self

    def astype(self, dtype):
        """A copy with another dtype (not differentiable across int/float)."""
        return Tensor(self.data.astype(dtype), requires_grad=False)

    def __repr__(self):
        body = repr(backend.to_numpy(self.data)).replace("array(", "tensor(", 1)
        if self.grad_fn is not None:
            return body[:-1] + f", grad_fn={self.grad_fn!r})"
        if self.requires_grad:
            return body[:-1] + ", requires_grad=True)"
        return body

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; use .any() or .all()."
            )
        return bool(self.data)

    # --- comparisons: elementwise, and constants (a comparison has no gradient)
    def __lt__(self, other):
        return Tensor(self.data < _array(other))

    def __le__(self, other):
        return Tensor(self.data <= _array(other))

    def __gt__(self, other):
        return Tensor(self.data > _array(other))

    def __ge__(self, other):
        return Tensor(self.data >= _array(other))

    def __eq__(self, other):
        return Tensor(self.data == _array(other))

    def __ne__(self, other):
        return Tensor(self.data != _array(other))

    # Tensors hash by identity (the graph walk keeps them in dicts), although == compares elementwise.
    __hash__ = object.__hash__

    def any(self):
        return bool(self.data.any())

    def all(self):
        return bool(self.data.all())

    def argmax(self, axis=None):
        """The index of the largest element (over ``axis``), a constant integer Tensor."""
        return Tensor(self.data.argmax(axis=axis))

    def __float__(self):
        return float(self.data.item())

    def __int__(self):
        return int(self.data.item())


def tensor(data, requires_grad=False, dtype=None):
    """Make a Tensor from a number, (nested) lists of numbers, a NumPy/CuPy array or a Tensor.

    Python floats become float32 (minigan's default); arrays keep their dtype
    unless ``dtype`` says otherwise. Anything that is not numbers (strings,
    None, objects, lists of different lengths) is refused with a TypeError or
    ValueError that says what was found.
    """
    if isinstance(data, Tensor):
        data = data.data
    if data is None:
        raise TypeError("mg.tensor needs numbers (a number, a list of numbers or an array), got None.")
    if dtype is None and not backend.is_array(data):
        probe = _numbers_array(data, None)
        dtype = "float32" if probe.dtype.kind == "f" else None
        data = probe
    array = _numbers_array(data, dtype)
    if requires_grad and array.dtype.kind != "f":
        raise TypeError(f"only floating-point tensors can require gradients, got dtype {array.dtype}.")
    return Tensor(array, requires_grad=requires_grad)


_NUMBER_KINDS = "biuf"  # bool, signed and unsigned integers, floating point


def _numbers_array(data, dtype):
    """``data`` as a backend array of numbers, or one clear error saying what else it holds."""
    try:
        array = backend.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as err:
        if "inhomogeneous" in str(err) or "sequence" in str(err):
            raise ValueError(
                "mg.tensor got nested lists of different lengths (a ragged list); every row must have one length."
            ) from None
        target = f"dtype {dtype}" if dtype is not None else "numbers"
        raise TypeError(f"mg.tensor cannot turn a {type(data).__name__} into {target}: {err}.") from None
    if array.dtype.kind not in _NUMBER_KINDS:
        found = {"U": "strings", "S": "bytes", "O": "Python objects (None, or mixed types)", "c": "complex numbers"}
        raise TypeError(
            f"mg.tensor needs real numbers, got {found.get(array.dtype.kind, f'dtype {array.dtype}')}; "
            "convert the data to floats first."
        )
    return array


def as_tensor(value, like=None):
    """``value`` as a Tensor.

    Beside a floating-point Tensor ``like``, a scalar (a Python number, a NumPy
    scalar or a 0-d array) takes ``like``'s dtype, so ``x * 2.0`` and
    ``x * numpy.float64(2)`` stay float32 when x is float32 (under NumPy 2's
    NEP 50 rules a float64 scalar array would otherwise upcast the result).
    """
    if isinstance(value, Tensor):
        return value
    if like is not None and like.data.dtype.kind == "f":
        if type(value) in (float, int, bool):
            return scalar_constant(value, like.data.dtype)
        if getattr(value, "ndim", None) == 0:  # a NumPy scalar or a 0-d array
            return scalar_constant(value.item(), like.data.dtype)
        if not backend.is_array(value):  # a list
            return tensor(value, dtype=like.data.dtype)
    return tensor(value)


_scalar_constants = {}


def scalar_constant(value, dtype):
    """A 0-d constant Tensor holding the Python number ``value``, made once per (value, dtype) and reused.

    Reuse keeps ``x * 2.0`` cheap, and on a GPU it saves a transfer to the
    device for every Python number in every op. Constants are never written to.
    """
    key = (value, dtype, math.copysign(1.0, value))  # 0.0 == -0.0, but they are different numbers
    constant = _scalar_constants.get(key)
    if constant is None:
        if len(_scalar_constants) >= 1024:  # many different numbers (a schedule, say): start again
            _scalar_constants.clear()
        constant = _scalar_constants[key] = Tensor(xp.asarray(value, dtype=dtype))
    return constant



class ShapeError(ValueError):
    """A functional op was given an input of the wrong shape.

    ``str(err)`` is the op's own sentence. A layer (an ``nn.Module``) that
    called the op re-raises it under its own name, from the parts:
    "<layer>: expected <expected>, got shape <shape>." So each shape check
    is written once, in the functional op, and still names the layer.
    """

    def __init__(self, message, expected, shape):
        super().__init__(message)
        self.expected, self.shape = expected, tuple(shape)


def as_tensors(a, b):
    """Both operands of a binary op as Tensors; a Python scalar takes the dtype of the Tensor beside it."""
    if isinstance(a, Tensor):
        return a, b if isinstance(b, Tensor) else as_tensor(b, like=a)
    b = as_tensor(b)
    return as_tensor(a, like=b), b


def python_number(value):
    """A constant scalar parameter as a Python number, so that a NumPy float64 scalar cannot upcast float32.

    A Tensor counts as a constant (its data); arrays with more than one element and None pass through.
    """
    if isinstance(value, Tensor):
        value = value.data
    return value.item() if getattr(value, "ndim", None) == 0 else value


def real_number(value, what):
    """``value`` as a finite Python number, or a TypeError/ValueError naming ``what`` (a constant setting of an op).

    For settings such as a slope or a probability: a string, None, a bool or an
    array is refused in one sentence instead of failing deep inside a comparison.
    """
    value = python_number(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number, got {value!r}.")
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{what} must be a finite number, got {value}.")
    return value


def _array(value):
    """The array of a Tensor, anything else as it is: the other side of a comparison."""
    return value.data if isinstance(value, Tensor) else value
