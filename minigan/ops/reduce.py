"""Reductions and broadcasting, each the other's backward.

Summing over an axis and copying along it are adjoint: the gradient of a sum
is the upstream gradient copied (broadcast) back over the summed axis, and the
gradient of a broadcast is the upstream gradient summed over the copies.

Each op's Function, its function and its Tensor method sit together here:
``x.sum()``, ``mg.sum`` and ``class Sum`` are a few lines apart.
"""

from minigan.backend import xp
from minigan.tensor import Function, Tensor


def normalize_axes(axis, ndim):
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(int(a) for a in axis) if isinstance(axis, (tuple, list)) else (int(axis),)
    limit = ndim or 1  # a 0-d tensor accepts axis 0 or -1, as in PyTorch
    for a in axes:
        if not -limit <= a < limit:
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions.")
    return tuple(sorted({a % ndim for a in axes})) if ndim else ()


def kept_shape(shape, axes):
    """``shape`` with each axis in ``axes`` set to 1: the shape of a reduction with ``keepdims=True``."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _count(shape, axes):
    """How many elements a reduction over ``axes`` of ``shape`` takes in: the m of a mean."""
    count = 1
    for a in axes:
        count *= shape[a]
    return count


# --------------------------------------------------------------------- sum, mean, var


class Sum(Function):
    r"""y = sum of x over ``axes``.    dy/dx_i = 1, so dL/dx = dL/dy copied back over the axes."""

    def forward(self, x, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims
        return x.sum(axis=axes, keepdims=keepdims)

    def backward(self, gy):
        shape = self.inputs[0].shape
        if not self.keepdims:
            gy = gy.reshape(kept_shape(shape, self.axes))
        return BroadcastTo.apply(gy, shape=shape)


def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (None: all axes; an int or a tuple); ``keepdims`` keeps them at length 1 (see :class:`Sum`)."""
    return Sum.apply(x, axes=normalize_axes(axis, x.ndim), keepdims=keepdims)


Tensor.sum = sum


def mean(x, axis=None, keepdims=False):
    """mean x = (sum x) / m, with m the number of elements summed."""
    axes = normalize_axes(axis, x.ndim)
    return sum(x, axes, keepdims) * (1.0 / _count(x.shape, axes))


Tensor.mean = mean


def var(x, axis=None, keepdims=False, unbiased=False):
    """var x = sum (x - mean x)^2 / m (divided by m - 1 when ``unbiased``)."""
    axes = normalize_axes(axis, x.ndim)
    count = _count(x.shape, axes)
    centred = x - mean(x, axes, keepdims=True)
    return sum(centred * centred, axes, keepdims) * (1.0 / (count - 1 if unbiased else count))


Tensor.var = var


# --------------------------------------------------------------------- broadcasting and its adjoint


class BroadcastTo(Function):
    r"""y = x copied along broadcast axes to ``shape``.    dL/dx = dL/dy summed over the copies."""

    def forward(self, x, shape):
        return xp.broadcast_to(x, shape)

    def backward(self, gy):
        return sum_to(gy, self.inputs[0].shape)


def broadcast_to(x, shape):
    """Copy x along new or length-1 axes up to ``shape``; the gradient sums the copies back."""
    shape = tuple(int(n) for n in shape)
    lead = len(shape) - x.ndim
    if lead < 0 or any(n not in (1, shape[lead + i]) for i, n in enumerate(x.shape)):
        raise ValueError(f"cannot broadcast a tensor of shape {tuple(x.shape)} to {shape}.")
    return BroadcastTo.apply(x, shape=shape)


Tensor.broadcast_to = broadcast_to


def sum_to(t, shape):
    """Sum ``t`` down to ``shape``: the backward of broadcasting ``shape`` up to ``t.shape``."""
    shape = tuple(shape)
    if t.data.shape == shape:  # nothing was broadcast (the common case): no op at all
        return t
    lead = t.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and t.shape[i + lead] != 1)
    out = Sum.apply(t, axes=axes, keepdims=True)
    return out.reshape(shape) if out.shape != shape else out


# --------------------------------------------------------------------- max, min


class Max(Function):
    r"""y = max of x over ``axes``.

    dy/dx_i = 1 for the maximal element and 0 elsewhere. Kink: when several
    elements tie for the maximum the gradient is shared equally between them
    (as PyTorch's ``amax`` does), so dy/dx_i = 1 / (number of ties).
    """

    def forward(self, x, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims
        return x.max(axis=axes, keepdims=keepdims)

    def backward(self, gy):
        x = self.inputs[0].data
        biggest = x.max(axis=self.axes, keepdims=True)
        mask = (x == biggest).astype(x.dtype)
        share = Tensor(mask / mask.sum(axis=self.axes, keepdims=True))
        if not self.keepdims:
            gy = gy.reshape(kept_shape(x.shape, self.axes))
        return gy * share


def max(x, axis=None, keepdims=False):
    """Largest element over ``axis``; tied maxima share the gradient equally (see :class:`Max`)."""
    return Max.apply(x, axes=normalize_axes(axis, x.ndim), keepdims=keepdims)


Tensor.max = max


def min(x, axis=None, keepdims=False):
    """Smallest element over ``axis``: min x = -max(-x), so tied minima share the gradient equally."""
    return -max(-x, axis, keepdims)


Tensor.min = min
