"""Ops that move elements around without changing them.

Each backward moves the gradient back to where the element came from:
reshape undoes reshape, the inverse permutation undoes a permutation, a scatter
(adding into zeros) undoes a gather (indexing), and slicing undoes concatenation.

Each op's Function, its function and its Tensor method sit together here.
"""

from minigan import backend
from minigan.backend import xp
from minigan.ops.reduce import normalize_axes
from minigan.tensor import Function, ShapeError, Tensor, as_tensor

# --------------------------------------------------------------------- reshape and the views built on it


class Reshape(Function):
    r"""y = x viewed with a new shape.    dL/dx = dL/dy reshaped back."""

    def forward(self, x, shape):
        return x.reshape(shape)

    def backward(self, gy):
        return gy.reshape(self.inputs[0].shape)


def reshape(x, *shape):
    """The same elements in a new shape (one entry may be -1: inferred), as ``x.reshape(2, -1)`` or ``((2, -1))``."""
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    try:
        new_shape = _resolve_shape(x.shape, shape)
    except ValueError as err:
        raise ValueError(f"cannot reshape a tensor of shape {tuple(x.shape)} into {tuple(shape)}: {err}") from None
    return Reshape.apply(x, shape=new_shape)


Tensor.reshape = Tensor.view = reshape


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
    n = x.ndim or 1  # a 0-d tensor flattens as if it had one axis, as in PyTorch
    if not (-n <= start_dim < n and -n <= end_dim < n) or start_dim % n > end_dim % n:
        expected = f"input with dimensions {start_dim} to {end_dim}"
        raise ShapeError(f"flatten: expected {expected}, got shape {tuple(x.shape)}.", expected, x.shape)
    if x.ndim == 0:
        return reshape(x, (1,))
    start_dim, end = start_dim % x.ndim, end_dim % x.ndim
    merged = 1
    for n in x.shape[start_dim : end + 1]:
        merged *= n
    return reshape(x, x.shape[:start_dim] + (merged,) + x.shape[end + 1 :])


Tensor.flatten = flatten


def squeeze(x, axis=None):
    """Drop axes of length 1 (all of them, or those in ``axis`` that have length 1)."""
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = normalize_axes(axis, x.ndim)
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes or n != 1))


Tensor.squeeze = squeeze


def unsqueeze(x, axis):
    """Insert an axis of length 1 at position ``axis``."""
    axis = axis % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


Tensor.unsqueeze = unsqueeze


# --------------------------------------------------------------------- permute, transpose


class Permute(Function):
    r"""y = x with axes reordered by ``axes``.    dL/dx = dL/dy permuted by the inverse order."""

    def forward(self, x, axes):
        self.axes = axes
        return x.transpose(axes)

    def backward(self, gy):
        inverse = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inverse[a] = i
        return permute(gy, inverse)


def permute(x, *axes):
    """Reorder the axes: output axis i is input axis ``axes[i]``."""
    axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
    if sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
        raise ValueError(f"permute needs each of the {x.ndim} axes once, got {tuple(axes)}.")
    return Permute.apply(x, axes=tuple(a % x.ndim for a in axes))


Tensor.permute = permute


def transpose(x, dim0=-2, dim1=-1):
    """Swap two axes (the last two by default; a 1-D tensor is returned as is)."""
    if x.ndim < 2:
        return x
    axes = list(range(x.ndim))
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return Permute.apply(x, axes=tuple(axes))


Tensor.transpose = transpose


# --------------------------------------------------------------------- indexing and its adjoint


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


def getitem(x, index):
    """``x[index]``: integers, slices, None, ..., integer arrays (repeats allowed) and boolean masks, as in NumPy."""
    return GetItem.apply(x, index=normalize_index(index))


Tensor.__getitem__ = getitem


def _has_integer_array(index):
    """True when ``index`` holds an integer array, which may repeat a position."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(backend.is_array(p) and p.dtype.kind in "iu" for p in parts)


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


# --------------------------------------------------------------------- joining


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
