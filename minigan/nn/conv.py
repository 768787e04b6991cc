"""Conv2d and ConvTranspose2d: parameters, shape checks and PyTorch's defaults around the conv ops.

The arithmetic (im2col and one matrix product) and the derivatives live in
``minigan/ops/conv.py``. ConvTranspose2d is the adjoint of Conv2d: its forward
is Conv2d's input-gradient, which is why its weight is laid out
(in_channels, out_channels, kh, kw), the transpose of Conv2d's.
"""

import minigan.functional as F
from minigan.nn import init
from minigan.nn.layers import empty_parameter, shape_error
from minigan.nn.module import Module


def _pair(value, name):
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return tuple(value)
    raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}.")


def _show(pair):
    """4 for (4, 4), (3, 5) otherwise: a square setting is written as one number."""
    return str(pair[0]) if pair[0] == pair[1] else str(pair)


class _Conv(Module):
    """What Conv2d and ConvTranspose2d share: settings, parameters, input checks and repr."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                 padding_mode, weight_shape, dtype):
        super().__init__()
        if dilation not in (1, (1, 1)) or groups != 1 or padding_mode != "zeros":
            raise ValueError(
                f"{type(self).__name__}: minigan supports dilation=1, groups=1 and padding_mode='zeros' only, "
                f"got dilation={dilation!r}, groups={groups!r}, padding_mode={padding_mode!r}."
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.padding) < 0:
            raise ValueError(
                f"{type(self).__name__}: kernel_size and stride must be positive and padding not negative, got "
                f"kernel_size={kernel_size!r}, stride={stride!r}, padding={padding!r}."
            )
        self.weight = empty_parameter(*weight_shape, dtype=dtype)
        self.bias = empty_parameter(out_channels, dtype=dtype) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.default_init_(self.weight, self.bias)

    def _check_input(self, x):
        """x as a batch (N, C, H, W); a single image (C, H, W) gets a batch axis of 1."""
        if x.ndim not in (3, 4):
            raise shape_error(self, "a 4-D input (N, C, H, W) or a 3-D input (C, H, W)", x)
        channels = x.shape[-3]
        if channels != self.in_channels:
            plural = "" if self.in_channels == 1 else "s"
            raise shape_error(self, f"input with {self.in_channels} channel{plural}", x)
        return x if x.ndim == 4 else x.unsqueeze(0)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={_show(self.kernel_size)}"
        if self.stride != (1, 1):
            text += f", stride={_show(self.stride)}"
        if self.padding != (0, 0):
            text += f", padding={_show(self.padding)}"
        if getattr(self, "output_padding", (0, 0)) != (0, 0):
            text += f", output_padding={_show(self.output_padding)}"
        return text + (", bias=False" if self.bias is None else "")


class Conv2d(_Conv):
    """2-D convolution (cross-correlation, as in PyTorch) with weight (out_channels, in_channels, kh, kw).

    Output size per spatial axis: (size + 2 padding - kernel) // stride + 1.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", dtype=None):
        kh, kw = _pair(kernel_size, "kernel_size")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, (out_channels, in_channels, kh, kw), dtype)

    def forward(self, x):
        batch = self._check_input(x)
        for axis, (size, k, p) in enumerate(zip(batch.shape[2:], self.kernel_size, self.padding)):
            if size + 2 * p < k:
                what = "height" if axis == 0 else "width"
                raise shape_error(self, f"input {what} of at least {k - 2 * p} for a kernel of {k}", x)
        y = F.conv2d(batch, self.weight, self.bias, self.stride, self.padding)
        return y if x.ndim == 4 else y.squeeze(0)


class ConvTranspose2d(_Conv):
    """The adjoint (transpose) of Conv2d, with weight (in_channels, out_channels, kh, kw): it upsamples.

    Output size per spatial axis: (size - 1) stride - 2 padding + kernel + output_padding.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", dtype=None):
        kh, kw = _pair(kernel_size, "kernel_size")
        output_pair = _pair(output_padding, "output_padding")
        if any(op < 0 or op >= s for op, s in zip(output_pair, _pair(stride, "stride"))):
            raise ValueError(
                f"ConvTranspose2d: output_padding must be at least 0 and smaller than stride, "
                f"got output_padding={output_padding!r}, stride={stride!r}."
            )
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, (in_channels, out_channels, kh, kw), dtype)
        self.output_padding = output_pair

    def forward(self, x):
        batch = self._check_input(x)
        for axis, (size, k, s, p, op) in enumerate(
            zip(batch.shape[2:], self.kernel_size, self.stride, self.padding, self.output_padding)
        ):
            if (size - 1) * s - 2 * p + k + op < 1:
                what = "height" if axis == 0 else "width"
                raise shape_error(self, f"an input {what} that gives a positive output size", x)
        y = F.conv_transpose2d(batch, self.weight, self.bias, self.stride, self.padding, self.output_padding)
        return y if x.ndim == 4 else y.squeeze(0)
