"""Exercise: the backward of a broadcasting matmul.  Page: docs/exercises/matmul_broadcast_backward.md

    C = A @ B        A: (..., n, k),  B: (..., k, m),  C: (..., n, m)

The product is over the last two axes; the leading (batch) axes broadcast as in
NumPy, e.g. A (2, 5, n, k) @ B (k, m): the same B is used by all 10 products.

For one pair of matrices:  dL/dA = dL/dC @ B^T   and   dL/dB = A^T @ dL/dC.
When an input was broadcast, every copy of it contributed to C, so its
gradient is the sum over the copies: sum the gradient over the leading axes
the input did not have and over the axes where the input had size 1, and
give it back in the input's own shape.

Fill in ``unbroadcast`` (Tensor methods you may use: ``g.sum(axis=..., keepdims=...)``,
``g.reshape(shape)``, ``g.ndim``, ``g.shape``) and ``backward`` (``t.transpose()``
swaps the last two axes; ``x @ y`` is minigan's own matmul, fine to use).

Check:  python -m minigan.exercises check matmul_broadcast_backward this_file.py
"""

from minigan import Function
from minigan.backend import xp


def unbroadcast(g, shape):
    """Sum the Tensor ``g`` down to ``shape`` (the shape of an input that was broadcast up to ``g.shape``)."""
    # TODO
    raise NotImplementedError


class MatMul(Function):
    def forward(self, a, b):
        # a and b are backend arrays; the forward is given.
        return xp.matmul(a, b)

    def backward(self, gc):
        a, b = self.inputs  # Tensors
        # TODO: return (dL/dA, dL/dB), each the shape of its input.
        raise NotImplementedError
