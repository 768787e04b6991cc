"""minigan's ops as functions on Tensors, and the Tensor methods and operators built on them.

Each op is a :class:`~minigan.tensor.Function` in one of the modules beside
this file; the functions here turn Python scalars into Tensors, check
arguments, and call ``Op.apply``.
"""

from minigan import backend
from minigan.backend import xp
from minigan.ops.activation import LeakyReLU, LogSigmoid, ReLU, Sigmoid, Softplus, Tanh
from minigan.ops.arithmetic import (
    Abs,
    Add,
    Clip,
    Div,
    Exp,
    Log,
    MatMul,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Power,
    Sqrt,
    Sub,
    Where,
)
from minigan.ops.reduce import BroadcastTo, Max, Sum, normalize_axes, sum_to
from minigan.ops.shape import Concatenate, GetItem, Permute, Reshape, normalize_index
from minigan.tensor import Tensor, as_tensor

# --------------------------------------------------------------------- arithmetic


def add(a, b):
    a, b = _pair(a, b)
    return Add.apply(a, b)


def sub(a, b):
    a, b = _pair(a, b)
    return Sub.apply(a, b)


def mul(a, b):
    a, b = _pair(a, b)
    return Mul.apply(a, b)


def div(a, b):
    a, b = _pair(a, b)
    return Div.apply(a, b)


def neg(x):
    return Neg.apply(x)


def pow(x, exponent):
    """x ** exponent: a number exponent is :class:`Pow`; a Tensor (or array) of exponents is :class:`Power`."""
    if not (isinstance(exponent, Tensor) and exponent.requires_grad):
        exponent = _number(exponent)
        if isinstance(exponent, (int, float)):
            return Pow.apply(as_tensor(x), exponent=exponent)
    x, exponent = _pair(x, exponent)
    return Power.apply(x, exponent)


def exp(x):
    return Exp.apply(x)


def log(x):
    return Log.apply(x)


def sqrt(x):
    return Sqrt.apply(x)


def abs(x):
    return Abs.apply(x)


def clip(x, min=None, max=None):
    """Clamp x to [min, max] (constants; either may be None). Named ``clamp`` too, as in PyTorch.

    At x == min or x == max the gradient passes (see :class:`Clip`).
    """
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max.")
    return Clip.apply(x, low=_number(min), high=_number(max))


clamp = clip


def where(condition, a, b):
    """Elementwise ``a if condition else b``; the condition is a constant (no gradient)."""
    condition = condition.data if isinstance(condition, Tensor) else backend.asarray(condition)
    a, b = _pair(a, b)
    return Where.apply(a, b, condition=condition if condition.dtype == bool else condition.astype(bool))


def maximum(a, b):
    """Elementwise max; where a == b the gradient is split 1/2 to each (see :class:`Maximum`)."""
    a, b = _pair(a, b)
    return Maximum.apply(a, b)


def minimum(a, b):
    """Elementwise min; where a == b the gradient is split 1/2 to each (see :class:`Minimum`)."""
    a, b = _pair(a, b)
    return Minimum.apply(a, b)


def matmul(a, b):
    """Matrix product over the last two axes, broadcasting the rest (1-D operands as in NumPy)."""
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul needs tensors with at least 1 dimension, got shapes {a.shape} and {b.shape}.")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not fit "
            f"({a.shape[-1]} columns against {b.shape[-2 if b.ndim > 1 else 0]} rows)."
        )
    if a.ndim == 1 and b.ndim == 1:  # the dot product, a 0-d tensor
        return MatMul.apply(a.reshape(1, -1), b.reshape(-1, 1)).reshape(())
    if a.ndim == 1:  # a row vector, whose axis is then dropped
        return MatMul.apply(a.reshape(1, -1), b).squeeze(-2)
    if b.ndim == 1:  # a column vector, whose axis is then dropped
        return MatMul.apply(a, b.reshape(-1, 1)).squeeze(-1)
    return MatMul.apply(a, b)


# --------------------------------------------------------------------- reductions


def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (None: all axes; an int or a tuple); ``keepdims`` keeps them at length 1 (see :class:`Sum`)."""
    return Sum.apply(x, axes=normalize_axes(axis, x.ndim), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Sum divided by the number of elements summed."""
    axes = normalize_axes(axis, x.ndim)
    count = 1
    for a in axes:
        count *= x.shape[a]
    return sum(x, axes, keepdims) * (1.0 / count)


def var(x, axis=None, keepdims=False, unbiased=False):
    """Mean squared deviation from the mean (divide by n - 1 when ``unbiased``)."""
    axes = normalize_axes(axis, x.ndim)
    count = 1
    for a in axes:
        count *= x.shape[a]
    centred = x - mean(x, axes, keepdims=True)
    return sum(centred * centred, axes, keepdims) * (1.0 / (count - 1 if unbiased else count))


def max(x, axis=None, keepdims=False):
    """Largest element over ``axis``; tied maxima share the gradient equally (see :class:`Max`)."""
    return Max.apply(x, axes=normalize_axes(axis, x.ndim), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    """Smallest element over ``axis``: min x = -max(-x), so tied minima share the gradient equally."""
    return -max(-x, axis, keepdims)


def logsumexp(x, axis=None, keepdims=False):
    """log sum exp x, computed as m + log sum exp(x - m) with m = max x held constant (exact, no overflow).

    d/dx_i = softmax(x)_i. m is a constant: the identity holds for any m, so
    its derivative is zero and no gradient flows through it.
    """
    axes = normalize_axes(axis, x.ndim)
    m = xp.asarray(x.data.max(axis=axes, keepdims=True)) if x.size else xp.zeros(_kept(x.shape, axes), x.dtype)
    m[~xp.isfinite(m)] = 0  # a slice of all -inf (or one with an inf): shift it by 0 instead
    shift = Tensor(m)
    out = log(sum(exp(x - shift), axes, keepdims=True)) + shift
    return out if keepdims else out.squeeze(axes)


def _kept(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def log_softmax(x, axis=-1):
    """log softmax(x)_i = x_i - log sum_j exp x_j."""
    return x - logsumexp(x, axis, keepdims=True)


def softmax(x, axis=-1):
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j)."""
    return exp(log_softmax(x, axis))


def broadcast_to(x, shape):
    """Copy x along new or length-1 axes up to ``shape``; the gradient sums the copies back."""
    shape = tuple(int(n) for n in shape)
    lead = len(shape) - x.ndim
    if lead < 0 or any(n not in (1, shape[lead + i]) for i, n in enumerate(x.shape)):
        raise ValueError(f"cannot broadcast a tensor of shape {tuple(x.shape)} to {shape}.")
    return BroadcastTo.apply(x, shape=shape)


# --------------------------------------------------------------------- shapes


def reshape(x, *shape):
    """The same elements in a new shape (one entry may be -1: inferred), as ``x.reshape(2, -1)`` or ``((2, -1))``."""
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    try:
        new_shape = _resolve_shape(x.shape, shape)
    except ValueError as err:
        raise ValueError(f"cannot reshape a tensor of shape {tuple(x.shape)} into {tuple(shape)}: {err}") from None
    return Reshape.apply(x, shape=new_shape)


def _resolve_shape(old, new):
    new = tuple(int(n) for n in new)
    total = 1
    for n in old:
        total *= n
    if new.count(-1) > 1:
        raise ValueError("only one dimension can be -1")
    known = 1
    for n in new:
        if n != -1:
            known *= n
    if -1 in new:
        if known == 0 or total % known:
            raise ValueError(f"{total} elements do not divide into it")
        new = tuple(total // known if n == -1 else n for n in new)
    elif known != total:
        raise ValueError(f"{total} elements do not fit {known}")
    return new


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes start_dim..end_dim (inclusive) into one (a 0-d tensor becomes shape (1,))."""
    if x.ndim == 0:
        return reshape(x, (1,))
    start_dim, end = start_dim % x.ndim, end_dim % x.ndim
    merged = 1
    for n in x.shape[start_dim : end + 1]:
        merged *= n
    return reshape(x, x.shape[:start_dim] + (merged,) + x.shape[end + 1 :])


def squeeze(x, axis=None):
    """Drop axes of length 1 (all of them, or those in ``axis`` that have length 1)."""
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = normalize_axes(axis, x.ndim)
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes or n != 1))


def unsqueeze(x, axis):
    """Insert an axis of length 1 at position ``axis``."""
    axis = axis % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def permute(x, *axes):
    """Reorder the axes: output axis i is input axis ``axes[i]``."""
    axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
    if sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
        raise ValueError(f"permute needs each of the {x.ndim} axes once, got {tuple(axes)}.")
    return Permute.apply(x, axes=tuple(a % x.ndim for a in axes))


def transpose(x, dim0=-2, dim1=-1):
    """Swap two axes (the last two by default; a 1-D tensor is returned as is)."""
    if x.ndim < 2:
        return x
    axes = list(range(x.ndim))
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return Permute.apply(x, axes=tuple(axes))


def getitem(x, index):
    """``x[index]``: integers, slices, None, ..., integer arrays (repeats allowed) and boolean masks, as in NumPy."""
    return GetItem.apply(x, index=normalize_index(index))


def cat(tensors, axis=0):
    """Join tensors along an existing axis (PyTorch's ``cat``; NumPy's ``concatenate``)."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors or tensors[0].ndim == 0:
        raise ValueError("cat needs at least one tensor, with at least one dimension (stack joins 0-d tensors).")
    axis = axis % tensors[0].ndim
    for t in tensors[1:]:
        if t.ndim != tensors[0].ndim or any(
            n != m for i, (n, m) in enumerate(zip(t.shape, tensors[0].shape)) if i != axis
        ):
            raise ValueError(
                f"cat along axis {axis}: shapes {tuple(tensors[0].shape)} and {tuple(t.shape)} differ off that axis."
            )
    return Concatenate.apply(*tensors, axis=axis)


concatenate = cat


def stack(tensors, axis=0):
    """Join tensors of one shape along a new axis."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack needs at least one tensor.")
    if len({t.shape for t in tensors}) > 1:
        raise ValueError(f"stack needs tensors of one shape, got {[tuple(t.shape) for t in tensors]}.")
    return cat([unsqueeze(t, axis) for t in tensors], axis=axis % (tensors[0].ndim + 1))


# --------------------------------------------------------------------- activations


def relu(x):
    return ReLU.apply(x)


def leaky_relu(x, negative_slope=0.01):
    return LeakyReLU.apply(x, negative_slope=_number(negative_slope))


def sigmoid(x):
    return Sigmoid.apply(x)


def tanh(x):
    return Tanh.apply(x)


def softplus(x):
    return Softplus.apply(x)


def log_sigmoid(x):
    return LogSigmoid.apply(x)


# --------------------------------------------------------------------- Tensor methods and operators


def _number(value):
    """A constant scalar parameter as a Python number, so that a NumPy float64 scalar cannot upcast float32.

    A Tensor counts as a constant (its data); arrays with more than one element and None pass through.
    """
    if isinstance(value, Tensor):
        value = value.data
    return value.item() if getattr(value, "ndim", None) == 0 else value


def _pair(a, b):
    """Both operands as Tensors; a Python scalar takes the dtype of the Tensor beside it."""
    if isinstance(a, Tensor):
        return a, b if isinstance(b, Tensor) else as_tensor(b, like=a)
    b = as_tensor(b)
    return as_tensor(a, like=b), b


def _compare(op):
    def compare(a, b):
        b = b.data if isinstance(b, Tensor) else b
        return Tensor(op(a.data, b))

    return compare


def _install_tensor_methods():
    T = Tensor
    T.__add__ = add
    T.__radd__ = lambda a, b: add(b, a)
    T.__sub__ = sub
    T.__rsub__ = lambda a, b: sub(b, a)
    T.__mul__ = mul
    T.__rmul__ = lambda a, b: mul(b, a)
    T.__truediv__ = div
    T.__rtruediv__ = lambda a, b: div(b, a)
    T.__neg__ = neg
    T.__abs__ = abs
    T.__pow__ = pow
    T.__rpow__ = lambda x, base: pow(as_tensor(base, like=x), x)
    T.__matmul__ = matmul
    T.__rmatmul__ = lambda a, b: matmul(b, a)
    T.__getitem__ = getitem
    T.__lt__ = _compare(lambda a, b: a < b)
    T.__le__ = _compare(lambda a, b: a <= b)
    T.__gt__ = _compare(lambda a, b: a > b)
    T.__ge__ = _compare(lambda a, b: a >= b)
    T.__eq__ = _compare(lambda a, b: a == b)
    T.__ne__ = _compare(lambda a, b: a != b)
    for name in (
        "exp log sqrt abs clip clamp sum mean var max min logsumexp log_softmax softmax "
        "reshape flatten squeeze unsqueeze permute transpose broadcast_to "
        "relu leaky_relu sigmoid tanh softplus log_sigmoid matmul pow maximum minimum"
    ).split():
        setattr(T, name, globals()[name])
    T.view = reshape
    T.any = lambda t: bool(t.data.any())
    T.all = lambda t: bool(t.data.all())
    T.argmax = lambda t, axis=None: Tensor(t.data.argmax(axis=axis))


_install_tensor_methods()

__all__ = ["sum_to"]
