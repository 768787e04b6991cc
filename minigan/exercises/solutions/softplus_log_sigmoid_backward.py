"""Reference solution of docs/exercises/softplus_log_sigmoid_backward.py."""

from minigan import Function
from minigan.backend import xp


class Softplus(Function):
    r"""y = log(1 + e^x) = max(x, 0) + log(1 + e^-|x|).    dy/dx = e^x / (1 + e^x) = sigmoid(x)."""

    def forward(self, x):
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        (x,) = self.inputs
        return gy * x.sigmoid()


class LogSigmoid(Function):
    r"""y = log sigmoid(x) = -softplus(-x).    dy/dx = sigmoid'(x) / sigmoid(x) = 1 - sigmoid(x) = sigmoid(-x)."""

    def forward(self, x):
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        (x,) = self.inputs
        return gy * (-x).sigmoid()
