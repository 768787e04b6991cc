"""Reference solution of docs/exercises/sigmoid_backward.py."""

from minigan import Function
from minigan.backend import xp


class Sigmoid(Function):
    r"""y = 1 / (1 + e^-x).    dy/dx = y (1 - y)."""

    save_output = True

    def forward(self, x):
        return 1.0 / (1.0 + xp.exp(-x))

    def backward(self, gy):
        y = self.output
        return gy * (y * (1.0 - y))
