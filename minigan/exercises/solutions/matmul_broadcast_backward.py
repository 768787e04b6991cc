"""Reference solution of docs/exercises/matmul_broadcast_backward.py."""

from minigan import Function
from minigan.backend import xp


def unbroadcast(g, shape):
    """Sum ``g`` down to ``shape``: over the leading axes ``shape`` lacks, and where ``shape`` has a 1."""
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


class MatMul(Function):
    r"""C = A @ B over the last two axes, leading axes broadcast.

    dL/dA = dL/dC @ B^T,  dL/dB = A^T @ dL/dC, each summed over the axes along which its input was broadcast.
    """

    def forward(self, a, b):
        return xp.matmul(a, b)

    def backward(self, gc):
        a, b = self.inputs
        return unbroadcast(gc @ b.transpose(), a.shape), unbroadcast(a.transpose() @ gc, b.shape)
