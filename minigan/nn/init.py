"""Weight initialisation, in place, with PyTorch's names and formulas.

Every draw comes from minigan's one seeded generator (``mg.manual_seed``), so a
seed fixes a model's starting weights on NumPy and CuPy alike.

The scale rules keep the variance of activations roughly constant from layer
to layer. With fan_in inputs per unit, Kaiming's rule draws the weights with
std = gain / sqrt(fan_in); a uniform U(-b, b) has std b / sqrt(3), hence
b = gain * sqrt(3 / fan_in). PyTorch's default for Linear and Conv layers is
kaiming_uniform_ with a = sqrt(5), whose gain sqrt(2 / (1 + a^2)) = sqrt(1/3)
makes b = 1 / sqrt(fan_in).

This file fills tensors and knows no layer (the layers import it). DCGAN's
rule for a whole model, ``nn.init.dcgan_init_``, needs the layer classes, so
it lives above them, in ``minigan/nn/dcgan_init.py``.
"""

import math

from minigan import backend


def calculate_gain(nonlinearity, param=None):
    """The factor that keeps unit variance through ``nonlinearity`` (PyTorch's table)."""
    if nonlinearity in ("linear", "identity", "sigmoid", "conv2d", "conv_transpose2d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}.")


def fan_in_and_fan_out(t):
    """(fan_in, fan_out) of a weight: shape[1] and shape[0], times the kernel size for convolutions.

    For ConvTranspose2d, whose weight is (in, out, kh, kw), this gives
    fan_in = out * kh * kw, exactly as PyTorch computes it.
    """
    if t.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape {tuple(t.shape)}.")
    receptive_field = 1
    for n in t.shape[2:]:
        receptive_field *= n
    return t.shape[1] * receptive_field, t.shape[0] * receptive_field


def _fill(t, values):
    t.data[...] = values.astype(t.dtype, copy=False)
    return t


def uniform_(t, a=0.0, b=1.0):
    """Fill ``t`` with samples of U(a, b)."""
    return _fill(t, a + (b - a) * backend.rand(*t.shape, dtype="float64"))


def normal_(t, mean=0.0, std=1.0):
    """Fill ``t`` with samples of N(mean, std^2); ``normal_(w, std=0.02)`` is DCGAN's rule."""
    return _fill(t, mean + std * backend.randn(*t.shape, dtype="float64"))


def constant_(t, val):
    t.data[...] = val
    return t


def zeros_(t):
    return constant_(t, 0.0)


def ones_(t):
    return constant_(t, 1.0)


def kaiming_uniform_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """U(-b, b) with b = gain * sqrt(3 / fan): std gain / sqrt(fan) (He et al., 2015)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(t, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(t, -bound, bound)


def kaiming_normal_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """N(0, std^2) with std = gain / sqrt(fan) (He et al., 2015)."""
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(t, mode)))


def xavier_uniform_(t, gain=1.0):
    """U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    fan_in, fan_out = fan_in_and_fan_out(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound)


def xavier_normal_(t, gain=1.0):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    fan_in, fan_out = fan_in_and_fan_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _fan(t, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}.")
    fan_in, fan_out = fan_in_and_fan_out(t)
    return fan_in if mode == "fan_in" else fan_out


def default_init_(weight, bias=None):
    """PyTorch's default for Linear and Conv layers: weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    kaiming_uniform_(weight, a=math.sqrt(5.0))
    if bias is not None:
        fan_in, _ = fan_in_and_fan_out(weight)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound)
