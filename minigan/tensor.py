"""Tensor and Function: the nodes of minigan's computation graph.

A :class:`Tensor` wraps a backend array (``t.data``). When it was computed by an
op from tensors that require gradients, it remembers that op in ``t.grad_fn``,
and the op remembers its inputs: that chain is the graph ``backward()`` walks.

A :class:`Function` is one op: ``forward`` works on raw arrays (the fast path),
``backward`` works on Tensors and is written with minigan's own ops, so the
gradient it returns can itself be differentiated (``create_graph=True``).
The ops live in ``minigan/ops``; the graph walk lives in ``minigan/autograd.py``.
"""

import weakref

from minigan import backend
from minigan.backend import xp

_grad_enabled = True


class no_grad:
    """Context manager (and decorator) that stops ops from recording the graph."""

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, func):
        def wrapper(*args, **kwargs):
            with no_grad():
                return func(*args, **kwargs)

        wrapper.__name__, wrapper.__doc__ = func.__name__, func.__doc__
        return wrapper


class enable_grad(no_grad):
    """Context manager that turns graph recording back on (used by create_graph)."""

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = True


def is_grad_enabled():
    return _grad_enabled


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
        fn = cls()
        out = Tensor(fn.forward(*[t.data for t in inputs], **params))
        if _grad_enabled:
            needs = tuple(t.requires_grad for t in inputs)
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
        return self.transpose()

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

    def backward(self, grad=None, retain_graph=False, create_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``self`` must be a scalar unless ``grad`` (the gradient of some scalar
        with respect to ``self``, same shape) is given.
        """
        from minigan.autograd import backward

        backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

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

    def __hash__(self):
        return id(self)

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)


def tensor(data, requires_grad=False, dtype=None):
    """Make a Tensor from a list, scalar, NumPy/CuPy array or Tensor.

    Python floats become float32 (minigan's default); arrays keep their dtype
    unless ``dtype`` says otherwise.
    """
    if isinstance(data, Tensor):
        data = data.data
    if dtype is None and not backend.is_array(data):
        probe = backend.asarray(data)
        dtype = "float32" if probe.dtype.kind == "f" else None
        data = probe
    array = backend.asarray(data, dtype=dtype)
    if requires_grad and array.dtype.kind != "f":
        raise TypeError(f"only floating-point tensors can require gradients, got dtype {array.dtype}.")
    return Tensor(array, requires_grad=requires_grad)


def as_tensor(value, like=None):
    """``value`` as a Tensor; Python scalars take the dtype of ``like`` so float32 stays float32."""
    if isinstance(value, Tensor):
        return value
    if like is not None and not backend.is_array(value) and like.data.dtype.kind == "f":
        return Tensor(xp.asarray(value, dtype=like.data.dtype))
    return tensor(value)
