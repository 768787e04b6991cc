"""Exercise: the backward of LeakyReLU.  Page: docs/exercises/leaky_relu_backward.md

    y = x            if x > 0
    y = a * x        otherwise          (a = negative_slope, e.g. 0.2 in a DCGAN critic)

Fill in ``backward``: it receives gy = dL/dy (a Tensor shaped like x) and
returns dL/dx = gy * dy/dx. The slope dy/dx is 1 or a, a constant on each side
of 0, so it may be built from the input's array and wrapped as ``Tensor(...)``;
multiply it with gy using minigan ops so the result stays differentiable.
(At x = 0 exactly, take dy/dx = a, as PyTorch does.)

Check:  python -m minigan.exercises check leaky_relu_backward this_file.py
"""

from minigan import Function, Tensor  # noqa: F401  (Tensor: for wrapping a constant array)
from minigan.backend import xp


class LeakyReLU(Function):
    def forward(self, x, negative_slope):
        # x is a backend array; the forward is given.
        self.negative_slope = negative_slope
        return xp.where(x > 0, x, negative_slope * x)

    def backward(self, gy):
        # TODO: return dL/dx as a Tensor. The input as a backend array is
        # self.inputs[0].data; the slope a is self.negative_slope.
        raise NotImplementedError
