"""Ops that move elements around without changing them.

Each backward moves the gradient back to where the element came from:
reshape undoes reshape, the inverse permutation undoes a permutation, a scatter
(adding into zeros) undoes a gather (indexing), and slicing undoes concatenation.
"""

from minigan import backend
from minigan.backend import xp
from minigan.tensor import Function, Tensor


class Reshape(Function):
    r"""y = x viewed with a new shape.    dL/dx = dL/dy reshaped back."""

    def forward(self, x, shape):
        return x.reshape(shape)

    def backward(self, gy):
        return gy.reshape(self.inputs[0].shape)


class Permute(Function):
    r"""y = x with axes reordered by ``axes``.    dL/dx = dL/dy permuted by the inverse order."""

    def forward(self, x, axes):
        self.axes = axes
        return x.transpose(axes)

    def backward(self, gy):
        inverse = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inverse[a] = i
        return gy.permute(*inverse)


def _has_integer_array(index):
    """True when ``index`` holds an integer array, which may repeat a position."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(backend.is_array(p) and p.dtype.kind in "iu" for p in parts)


class GetItem(Function):
    r"""y = x[index].    dL/dx = zeros with dL/dy added at ``index`` (repeated indices add up)."""

    def forward(self, x, index):
        self.index = index
        backend.check_index_bounds(index, x.shape)  # CuPy would wrap an out-of-range index around silently
        return x[index]

    def backward(self, gy):
        return IndexAdd.apply(gy, shape=self.inputs[0].shape, index=self.index)


class IndexAdd(Function):
    r"""y = zeros(shape); y[index] += g.    dL/dg = dL/dy[index]  (the adjoint of indexing)."""

    def forward(self, g, shape, index):
        self.index = index
        out = xp.zeros(shape, dtype=g.dtype)
        if _has_integer_array(index):  # x[[0, 0]] used element 0 twice: both gradients add up
            backend.scatter_add(out, index, g)
        else:  # slices, integers and boolean masks name each position at most once
            out[index] = g
        return out

    def backward(self, gy):
        return GetItem.apply(gy, index=self.index)


class Concatenate(Function):
    r"""y = [x_1, x_2, ...] joined along ``axis``.    dL/dx_i = the slice of dL/dy where x_i landed."""

    def forward(self, *arrays, axis):
        self.axis = axis
        return xp.concatenate(arrays, axis=axis)

    def backward(self, gy):
        grads, start = [], 0
        for t, needed in zip(self.inputs, self.needs_input_grad):
            stop = start + t.shape[self.axis]
            index = (slice(None),) * self.axis + (slice(start, stop),)
            grads.append(GetItem.apply(gy, index=index) if needed else None)
            start = stop
        return tuple(grads)


def normalize_index(index):
    """Replace Tensors and lists inside an index by backend arrays (indices are constants)."""
    if isinstance(index, tuple):
        return tuple(_index_part(i) for i in index)
    return _index_part(index)


def _index_part(part):
    if isinstance(part, Tensor):
        return part.data
    if isinstance(part, list) or backend.is_array(part):  # (a NumPy index array moves to the GPU on CuPy)
        return backend.asarray(part)
    return part
