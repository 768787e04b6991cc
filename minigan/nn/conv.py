"""Conv2d and ConvTranspose2d: parameters, settings and PyTorch's defaults around the conv ops.

The arithmetic (im2col and one matrix product) and the derivatives live in
``minigan/ops/conv.py``. ConvTranspose2d is the adjoint of Conv2d: its forward
is Conv2d's input-gradient, which is why its weight is laid out
(in_channels, out_channels, kh, kw), the transpose of Conv2d's.
"""

import minigan.functional as F
from minigan.nn import init
from minigan.nn.layers import empty_parameter
from minigan.nn.module import Module, positive_sizes, shape_error
from minigan.ops.conv import _pair, check_output_padding


def _show(pair):
    """4 for (4, 4), (3, 5) otherwise: a square setting is written as one number."""
    return str(pair[0]) if pair[0] == pair[1] else str(pair)


class _Conv(Module):
    """What Conv2d and ConvTranspose2d share: settings (checked once, here), parameters, the batch axis, repr.

    The input's channels and size are checked by the functional op the layer calls
    (``F.conv2d``, ``F.conv_transpose2d``); its error then names this layer.
    """

    transposed = False  # ConvTranspose2d's weight is (in, out, kh, kw), the transpose of Conv2d's (out, in, kh, kw)

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                 padding_mode, dtype):
        super().__init__()
        name = type(self).__name__
        if dilation not in (1, (1, 1)) or groups != 1 or padding_mode != "zeros":
            raise ValueError(
                f"{name}: minigan supports dilation=1, groups=1 and padding_mode='zeros' only, "
                f"got dilation={dilation!r}, groups={groups!r}, padding_mode={padding_mode!r}."
            )
        self.in_channels, self.out_channels = positive_sizes(name, in_channels=in_channels, out_channels=out_channels)
        self.kernel_size = _pair(kernel_size, name, "kernel_size", 1)
        self.stride = _pair(stride, name, "stride", 1)
        self.padding = _pair(padding, name, "padding", 0)
        channels = (self.in_channels, self.out_channels) if self.transposed else (self.out_channels, self.in_channels)
        self.weight = empty_parameter(*channels, *self.kernel_size, dtype=dtype)
        self.bias = empty_parameter(self.out_channels, dtype=dtype) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.default_init_(self.weight, self.bias)

    def _batch(self, x):
        """x as a batch (N, C, H, W): a single image (C, H, W) gets a batch axis of 1."""
        if x.ndim not in (3, 4):
            raise shape_error(self, "a 4-D input (N, C, H, W) or a 3-D input (C, H, W)", x)
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
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype)

    def forward(self, x):
        y = F.conv2d(self._batch(x), self.weight, self.bias, self.stride, self.padding)
        return y if x.ndim == 4 else y.squeeze(0)


class ConvTranspose2d(_Conv):
    """The adjoint (transpose) of Conv2d, with weight (in_channels, out_channels, kh, kw): it upsamples.

    Output size per spatial axis: (size - 1) stride - 2 padding + kernel + output_padding.
    """

    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype)
        self.output_padding = _pair(output_padding, "ConvTranspose2d", "output_padding", 0)
        check_output_padding(self.output_padding, self.stride, "ConvTranspose2d")

    def forward(self, x):
        y = F.conv_transpose2d(self._batch(x), self.weight, self.bias, self.stride, self.padding, self.output_padding)
        return y if x.ndim == 4 else y.squeeze(0)
