"""Reductions and broadcasting, each the other's backward.

Summing over an axis and copying along it are adjoint: the gradient of a sum
is the upstream gradient copied (broadcast) back over the summed axis, and the
gradient of a broadcast is the upstream gradient summed over the copies.
"""

from minigan.backend import xp
from minigan.tensor import Function, Tensor


def normalize_axes(axis, ndim):
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(int(a) for a in axis) if isinstance(axis, (tuple, list)) else (int(axis),)
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):  # a 0-d tensor accepts axis 0 or -1, as in PyTorch
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions.")
    return tuple(sorted({a % ndim for a in axes})) if ndim else ()


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    r"""y = sum of x over ``axes``.    dy/dx_i = 1, so dL/dx = dL/dy copied back over the axes."""

    def forward(self, x, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims
        return x.sum(axis=axes, keepdims=keepdims)

    def backward(self, gy):
        shape = self.inputs[0].shape
        if not self.keepdims:
            gy = gy.reshape(_kept_shape(shape, self.axes))
        return BroadcastTo.apply(gy, shape=shape)


class BroadcastTo(Function):
    r"""y = x copied along broadcast axes to ``shape``.    dL/dx = dL/dy summed over the copies."""

    def forward(self, x, shape):
        return xp.broadcast_to(x, shape)

    def backward(self, gy):
        return sum_to(gy, self.inputs[0].shape)


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
            gy = gy.reshape(_kept_shape(x.shape, self.axes))
        return gy * share


def sum_to(t, shape):
    """Sum ``t`` down to ``shape``: the backward of broadcasting ``shape`` up to ``t.shape``."""
    shape = tuple(shape)
    if t.data.shape == shape:  # nothing was broadcast (the common case): no op at all
        return t
    lead = t.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and t.shape[i + lead] != 1)
    out = Sum.apply(t, axes=axes, keepdims=True)
    return out.reshape(shape) if out.shape != shape else out
