"""Exercise: the backward of sigmoid.  Page: docs/exercises/sigmoid_backward.md

    y = sigmoid(x) = 1 / (1 + e^-x)

Derive dy/dx and write it in terms of y, then fill in ``backward``. It receives
gy = dL/dy (a Tensor, the same shape as x) and returns dL/dx = gy * dy/dx.

Build the gradient from Tensors with minigan ops (``self.output`` is y as a
Tensor, because ``save_output = True``), never from raw arrays (``.data``):
then the gradient can itself be differentiated (create_graph=True).

Check:  python -m minigan.exercises check sigmoid_backward this_file.py
"""

from minigan import Function
from minigan.backend import xp


class Sigmoid(Function):
    save_output = True

    def forward(self, x):
        # x is a backend array; the forward is given.
        return 1.0 / (1.0 + xp.exp(-x))

    def backward(self, gy):
        # TODO: return dL/dx, a Tensor made with minigan ops from gy and
        # y = self.output (sigmoid(x), as a Tensor).
        raise NotImplementedError
