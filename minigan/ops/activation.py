"""Activation functions, each with its derivative beside it.

Kinks: relu'(0) = 0 and leaky_relu'(0) = negative_slope, as in PyTorch. The
gradient tests keep their random inputs away from 0 for these two.

Large |x|: sigmoid, softplus and log_sigmoid are written so that no
intermediate overflows (e^{-|x|} is at most 1), and they stay accurate, not
merely finite, far into the tails in float32 and float64.

Each activation's Function, its function (``mg.sigmoid``, ``F.sigmoid``) and
its Tensor method (``x.sigmoid()``) sit together here; so do logsumexp,
log_softmax and softmax, built from exp, log, max and sum.
"""

from minigan.backend import xp
from minigan.ops.arithmetic import Abs, exp, log
from minigan.ops.reduce import kept_shape, normalize_axes, sum
from minigan.tensor import Function, Tensor, real_number


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


def relu(x):
    return ReLU.apply(x)


Tensor.relu = relu


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


def leaky_relu(x, negative_slope=0.01):
    return LeakyReLU.apply(x, negative_slope=real_number(negative_slope, "leaky_relu's negative_slope"))


Tensor.leaky_relu = leaky_relu


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


def sigmoid(x):
    return Sigmoid.apply(x)


Tensor.sigmoid = sigmoid


class Tanh(Function):
    r"""y = tanh(x).    dy/dx = 1 - y^2."""

    save_output = True

    def forward(self, x):
        return xp.tanh(x)

    def backward(self, gy):
        y = self.output
        return gy * (1.0 - y * y)


def tanh(x):
    return Tanh.apply(x)


Tensor.tanh = tanh


class Softplus(Function):
    r"""y = log(1 + e^x) = max(x, 0) + log(1 + e^-|x|).    dy/dx = sigmoid(x)."""

    def forward(self, x):
        return xp.maximum(x, 0) + _stable_log1p_exp_neg_abs(x)

    def backward(self, gy):
        return gy * Sigmoid.apply(self.inputs[0])


def softplus(x):
    return Softplus.apply(x)


Tensor.softplus = softplus


class LogSigmoid(Function):
    r"""y = log sigmoid(x) = -softplus(-x) = min(x, 0) - log(1 + e^-|x|).    dy/dx = 1 - sigmoid(x) = sigmoid(-x)."""

    def forward(self, x):
        return xp.minimum(x, 0) - _stable_log1p_exp_neg_abs(x)

    def backward(self, gy):
        return gy * Sigmoid.apply(-self.inputs[0])


def log_sigmoid(x):
    return LogSigmoid.apply(x)


Tensor.log_sigmoid = log_sigmoid


class Softsign(Function):
    r"""y = x / (1 + |x|).    dy/dx = 1 / (1 + |x|)^2.

    Like tanh, it maps onto (-1, 1), but its tails approach the bounds
    polynomially, not exponentially, so its gradient dies more slowly.
    """

    def forward(self, x):
        return x / (1 + xp.abs(x))

    def backward(self, gy):
        d = 1.0 + Abs.apply(self.inputs[0])  # |x| through Abs, so the second derivative -2 sign(x)/(1+|x|)^3 follows
        return gy / (d * d)


def softsign(x):
    return Softsign.apply(x)


Tensor.softsign = softsign


# --------------------------------------------------------------------- softmax and its log


def logsumexp(x, axis=None, keepdims=False):
    """log sum exp x, computed as m + log sum exp(x - m) with m = max x held constant (exact, no overflow).

    d/dx_i = softmax(x)_i. m is a constant: the identity holds for any m, so
    its derivative is zero and no gradient flows through it.
    """
    axes = normalize_axes(axis, x.ndim)
    m = xp.asarray(x.data.max(axis=axes, keepdims=True)) if x.size else xp.zeros(kept_shape(x.shape, axes), x.dtype)
    m[~xp.isfinite(m)] = 0  # a slice of all -inf (or one with an inf): shift it by 0 instead
    shift = Tensor(m)
    out = log(sum(exp(x - shift), axes, keepdims=True)) + shift
    return out if keepdims else out.squeeze(axes)


Tensor.logsumexp = logsumexp


def log_softmax(x, axis=-1):
    """log softmax(x)_i = x_i - log sum_j exp x_j."""
    return x - logsumexp(x, axis, keepdims=True)


Tensor.log_softmax = log_softmax


def softmax(x, axis=-1):
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j)."""
    return exp(log_softmax(x, axis))


Tensor.softmax = softmax
