"""Elementwise arithmetic and matmul: forward on arrays, backward made of ops.

Binary ops broadcast like NumPy. Their backward sums each gradient back to its
input's shape (:func:`sum_to`): if ``a`` of shape (3, 1) was broadcast to
(2, 3, 4), every copy of an element contributed to the output, so the element's
gradient is the sum over the copies.

Each op's Function, its function and its Tensor method or operator sit
together: ``a + b``, ``mg.add`` and ``class Add`` are a few lines apart. A
Python number beside a Tensor becomes a constant of that Tensor's dtype
(:func:`~minigan.tensor.as_tensors`).
"""

from minigan import backend
from minigan.backend import xp
from minigan.ops.reduce import sum_to
from minigan.ops.shape import reshape, squeeze, transpose
from minigan.tensor import Function, Tensor, as_tensor, as_tensors, python_number


def _constant(array):
    return Tensor(array)


class Add(Function):
    r"""z = a + b.    dz/da = 1, dz/db = 1."""

    def forward(self, a, b):
        return a + b

    def backward(self, gz):
        a, b = self.inputs
        return sum_to(gz, a.shape), sum_to(gz, b.shape)


def add(a, b):
    a, b = as_tensors(a, b)
    return Add.apply(a, b)


Tensor.__add__ = add
Tensor.__radd__ = lambda self, other: add(other, self)


class Sub(Function):
    r"""z = a - b.    dz/da = 1, dz/db = -1."""

    def forward(self, a, b):
        return a - b

    def backward(self, gz):
        a, b = self.inputs
        return sum_to(gz, a.shape), sum_to(-gz, b.shape)


def sub(a, b):
    a, b = as_tensors(a, b)
    return Sub.apply(a, b)


Tensor.__sub__ = sub
Tensor.__rsub__ = lambda self, other: sub(other, self)


class Mul(Function):
    r"""z = a * b.    dz/da = b, dz/db = a."""

    def forward(self, a, b):
        return a * b

    def backward(self, gz):
        a, b = self.inputs
        ga = sum_to(gz * b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(gz * a, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def mul(a, b):
    a, b = as_tensors(a, b)
    return Mul.apply(a, b)


Tensor.__mul__ = mul
Tensor.__rmul__ = lambda self, other: mul(other, self)


class Div(Function):
    r"""z = a / b.    dz/da = 1 / b, dz/db = -a / b^2."""

    def forward(self, a, b):
        return a / b

    def backward(self, gz):
        a, b = self.inputs
        ga = sum_to(gz / b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(-gz * a / (b * b), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def div(a, b):
    a, b = as_tensors(a, b)
    return Div.apply(a, b)


Tensor.__truediv__ = div
Tensor.__rtruediv__ = lambda self, other: div(other, self)


class Neg(Function):
    r"""y = -x.    dy/dx = -1."""

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


def neg(x):
    return Neg.apply(x)


Tensor.__neg__ = neg


class PowConstant(Function):
    r"""y = x^p for a constant exponent p (a Python number).    dy/dx = p x^(p-1)  (0 for p = 0, even at x = 0)."""

    def forward(self, x, exponent):
        self.exponent = exponent
        return x**exponent

    def backward(self, gy):
        (x,) = self.inputs
        p = self.exponent
        if p == 0:
            return gy * 0.0
        if p == 1:
            return gy
        if p == 2:
            return gy * (x * 2.0)
        return gy * (x ** (p - 1) * p)


class Power(Function):
    r"""z = a^b, elementwise, for two tensors (broadcast).

    dz/da = b a^(b-1),    dz/db = a^b log a.

    A negative a with an integer-valued b is fine (as in NumPy); the
    derivative in b needs a > 0. At a = 0 it is taken as 0, as in PyTorch.
    """

    save_output = True

    def forward(self, a, b):
        return xp.power(a, b)

    def backward(self, gz):
        a, b = self.inputs
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to(gz * b * Power.apply(a, b - 1.0), a.shape)
        if self.needs_input_grad[1]:
            one = _constant(xp.ones((), dtype=a.dtype))
            log_a = Log.apply(Where.apply(one, a, condition=a.data == 0))  # log 1 = 0 where a = 0
            gb = sum_to(gz * self.output * log_a, b.shape)
        return ga, gb


def pow(x, exponent):
    """x ** exponent: a number exponent is :class:`PowConstant`; a Tensor (or array) of exponents is :class:`Power`."""
    if not (isinstance(exponent, Tensor) and exponent.requires_grad):
        exponent = python_number(exponent)
        if isinstance(exponent, (int, float)):
            return PowConstant.apply(as_tensor(x), exponent=exponent)
    x, exponent = as_tensors(x, exponent)
    return Power.apply(x, exponent)


Tensor.pow = Tensor.__pow__ = pow
Tensor.__rpow__ = lambda self, base: pow(as_tensor(base, like=self), self)


class Exp(Function):
    r"""y = e^x.    dy/dx = e^x = y."""

    save_output = True

    def forward(self, x):
        return xp.exp(x)

    def backward(self, gy):
        return gy * self.output


def exp(x):
    return Exp.apply(x)


Tensor.exp = exp


class Log(Function):
    r"""y = log x.    dy/dx = 1 / x."""

    def forward(self, x):
        return xp.log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


def log(x):
    return Log.apply(x)


Tensor.log = log


class Sqrt(Function):
    r"""y = sqrt(x).    dy/dx = 1 / (2 sqrt(x)) = 0.5 / y."""

    save_output = True

    def forward(self, x):
        return xp.sqrt(x)

    def backward(self, gy):
        return gy * 0.5 / self.output


def sqrt(x):
    return Sqrt.apply(x)


Tensor.sqrt = sqrt


class Abs(Function):
    r"""y = |x|.    dy/dx = sign(x).

    Kink: at x = 0 the derivative is taken as sign(0) = 0, as in PyTorch.
    """

    def forward(self, x):
        return xp.abs(x)

    def backward(self, gy):
        return gy * _constant(xp.sign(self.inputs[0].data))


def abs(x):
    return Abs.apply(x)


Tensor.abs = Tensor.__abs__ = abs


class Clip(Function):
    r"""y = min(max(x, low), high) for constants low, high (either may be None).

    dy/dx = 1 where low <= x <= high, else 0. Kinks: at x = low or x = high
    the gradient passes (derivative 1), so a value clipped to a bound can move
    back inside. (PyTorch's clamp has used both conventions: 2.14 gives 0 there.)
    """

    def forward(self, x, low, high):
        self.low, self.high = low, high
        return xp.clip(x, low, high)

    def backward(self, gy):
        x = self.inputs[0].data
        inside = xp.ones_like(x, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        return gy * _constant(inside.astype(x.dtype))


def clip(x, min=None, max=None):
    """Clamp x to [min, max] (constants; either may be None). Named ``clamp`` too, as in PyTorch.

    At x == min or x == max the gradient passes (see :class:`Clip`).
    """
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max.")
    return Clip.apply(x, low=python_number(min), high=python_number(max))


clamp = clip
Tensor.clip = Tensor.clamp = clip


class Where(Function):
    r"""z = a where cond else b  (cond is a constant mask).    dz/da = cond, dz/db = 1 - cond."""

    def forward(self, a, b, condition):
        self.condition = condition
        return xp.where(condition, a, b)

    def backward(self, gz):
        a, b = self.inputs
        zero = _constant(xp.zeros((), dtype=gz.dtype))
        ga = sum_to(Where.apply(gz, zero, condition=self.condition), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(Where.apply(zero, gz, condition=self.condition), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def where(condition, a, b):
    """Elementwise ``a if condition else b``; the condition is a constant (no gradient)."""
    condition = condition.data if isinstance(condition, Tensor) else backend.asarray(condition)
    a, b = as_tensors(a, b)
    return Where.apply(a, b, condition=condition if condition.dtype == bool else condition.astype(bool))


class Maximum(Function):
    r"""z = max(a, b) elementwise.    dz/da = 1 where a > b, 0 where a < b;  dz/db = 1 - dz/da.

    Kink: where a == b the gradient is split, 1/2 to each (as in PyTorch's maximum).
    So dz/da = (1 + sign(a - b)) / 2 everywhere.
    """

    def forward(self, a, b):
        return xp.maximum(a, b)

    def backward(self, gz):
        a, b = self.inputs
        share_a = (1 + xp.sign(a.data - b.data)) * 0.5
        ga = sum_to(gz * _constant(share_a), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(gz * _constant(1 - share_a), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def maximum(a, b):
    """Elementwise max; where a == b the gradient is split 1/2 to each (see :class:`Maximum`)."""
    a, b = as_tensors(a, b)
    return Maximum.apply(a, b)


Tensor.maximum = maximum


class Minimum(Function):
    r"""z = min(a, b) elementwise.    dz/da = 1 where a < b, 0 where a > b;  dz/db = 1 - dz/da.

    Kink: where a == b the gradient is split, 1/2 to each (as in PyTorch's minimum).
    So dz/da = (1 - sign(a - b)) / 2 everywhere.
    """

    def forward(self, a, b):
        return xp.minimum(a, b)

    def backward(self, gz):
        a, b = self.inputs
        share_a = (1 - xp.sign(a.data - b.data)) * 0.5
        ga = sum_to(gz * _constant(share_a), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(gz * _constant(1 - share_a), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def minimum(a, b):
    """Elementwise min; where a == b the gradient is split 1/2 to each (see :class:`Minimum`)."""
    a, b = as_tensors(a, b)
    return Minimum.apply(a, b)


Tensor.minimum = minimum


class MatMul(Function):
    r"""C = A @ B over the last two axes (leading axes broadcast; both operands at least 2-D).

    dL/dA = dL/dC @ B^T,    dL/dB = A^T @ dL/dC  (then summed over broadcast axes).
    """

    def forward(self, a, b):
        return xp.matmul(a, b)

    def backward(self, gc):
        a, b = self.inputs
        ga = sum_to(MatMul.apply(gc, transpose(b, -2, -1)), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(MatMul.apply(transpose(a, -2, -1), gc), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def matmul(a, b):
    """Matrix product over the last two axes, broadcasting the rest (1-D operands as in NumPy)."""
    a, b = as_tensors(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul needs tensors with at least 1 dimension, got shapes {a.shape} and {b.shape}.")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not fit "
            f"({a.shape[-1]} columns against {b.shape[-2 if b.ndim > 1 else 0]} rows)."
        )
    if a.ndim == 1 and b.ndim == 1:  # the dot product, a 0-d tensor
        return reshape(MatMul.apply(reshape(a, 1, -1), reshape(b, -1, 1)), ())
    if a.ndim == 1:  # a row vector, whose axis is then dropped
        return squeeze(MatMul.apply(reshape(a, 1, -1), b), -2)
    if b.ndim == 1:  # a column vector, whose axis is then dropped
        return squeeze(MatMul.apply(a, reshape(b, -1, 1)), -1)
    return MatMul.apply(a, b)


Tensor.matmul = Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)
