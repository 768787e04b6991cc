"""Activation functions, each with its derivative beside it.

Kinks: relu'(0) = 0 and leaky_relu'(0) = negative_slope, as in PyTorch. The
gradient tests keep their random inputs away from 0 for these two.

Large |x|: sigmoid, softplus and log_sigmoid are written so that no
intermediate overflows (e^{-|x|} is at most 1), and they stay accurate, not
merely finite, far into the tails in float32 and float64.
"""

from minigan.backend import xp
from minigan.tensor import Function, Tensor


def _stable_log1p_exp_neg_abs(x):
    """log(1 + e^-|x|), never overflowing: the shared tail of softplus and log-sigmoid."""
    return xp.log1p(xp.exp(-xp.abs(x)))


class ReLU(Function):
    r"""y = max(x, 0).    dy/dx = 1 if x > 0 else 0  (so 0 at the kink x = 0, as in PyTorch)."""

    def forward(self, x):
        return xp.maximum(x, 0)

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * Tensor((x > 0).astype(x.dtype))


class LeakyReLU(Function):
    r"""y = x if x > 0 else a x.    dy/dx = 1 if x > 0 else a  (a = negative_slope; a at the kink x = 0)."""

    def forward(self, x, negative_slope):
        self.negative_slope = negative_slope
        # For a <= 1, max(x, a x) is x where x > 0 and a x elsewhere (min for a > 1): the same
        # function as where(x > 0, x, a x), and many times faster on data of random sign.
        pick = xp.maximum if negative_slope <= 1 else xp.minimum
        return pick(x, x * negative_slope)

    def backward(self, gy):
        x = self.inputs[0].data
        a = self.negative_slope
        slope = (x > 0).astype(x.dtype)  # 1 where x > 0, else 0 ...
        slope *= 1 - a
        slope += a                       # ... now 1 where x > 0, else a
        return gy * Tensor(slope)


class Sigmoid(Function):
    r"""y = 1 / (1 + e^-x).    dy/dx = y (1 - y).

    Computed as e^{min(x, 0)} / (1 + e^{-|x|}): for x >= 0 that is 1 / (1 + e^-x),
    for x < 0 it is e^x / (1 + e^x). No exponential overflows, and for very
    negative x the tiny result keeps its relative precision (1 + tanh(x/2)
    would cancel to 0 long before e^x underflows).
    """

    save_output = True

    def forward(self, x):
        return xp.exp(xp.minimum(x, 0)) / (1 + xp.exp(-xp.abs(x)))

    def backward(self, gy):
        y = self.output
        return gy * (y * (1.0 - y))


class Tanh(Function):
    r"""y = tanh(x).    dy/dx = 1 - y^2."""

    save_output = True

    def forward(self, x):
        return xp.tanh(x)

    def backward(self, gy):
        y = self.output
        return gy * (1.0 - y * y)


class Softplus(Function):
    r"""y = log(1 + e^x) = max(x, 0) + log(1 + e^-|x|).    dy/dx = sigmoid(x)."""

    def forward(self, x):
        return xp.maximum(x, 0) + _stable_log1p_exp_neg_abs(x)

    def backward(self, gy):
        return gy * Sigmoid.apply(self.inputs[0])


class LogSigmoid(Function):
    r"""y = log sigmoid(x) = -softplus(-x) = min(x, 0) - log(1 + e^-|x|).    dy/dx = 1 - sigmoid(x) = sigmoid(-x)."""

    def forward(self, x):
        return xp.minimum(x, 0) - _stable_log1p_exp_neg_abs(x)

    def backward(self, gy):
        return gy * Sigmoid.apply(-self.inputs[0])
