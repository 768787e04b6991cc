r"""2-D convolution and its adjoint, the transposed convolution.

Conv2d is a matrix product in disguise. Cut every k_h x k_w window out of the
padded input and lay it flat as one row of a matrix, the *columns* (im2col);
flatten the weight to one row per output channel; then

    y[n, o, i, j] = sum over c, a, b of  x_pad[n, c, s i + a, s j + b] * w[o, c, a, b]
    Y = columns @ W^T                    (one matrix product for the whole batch)

The input-gradient runs the other way: dL/dcolumns = dL/dY @ W, and each
window's gradient is added back where the window came from (col2im): a loop
over the k_h k_w kernel offsets, each one strided slice-add over all pixels.
The product is taken one kernel row at a time (k_w offsets' worth of
columns), added back at once: the whole of dL/dcolumns, k_h k_w times the
size of the image, is never held.

**ConvTranspose2d is the adjoint of Conv2d** (this is the nicest fact in the
engine). Conv2d is linear in x, x -> C_w x, and conv_transpose2d is C_w^T:

    <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>    for every x and y.

So the forward of one is the input-gradient of the other: conv_transpose2d's
forward *is* col2im(x @ W), and its input-gradient *is* conv2d. With the
weight-gradient, conv2d_weight, they form a closed triangle; each backward
below is made of the other two ops, so second derivatives compose:

    op                        d/dx                        d/dw
    conv2d(x, w)              conv_transpose2d(gy, w)     conv2d_weight(x, gy)
    conv_transpose2d(x, w)    conv2d(gy, w)               conv2d_weight(gy, x)
    conv2d_weight(x, gy)      conv_transpose2d(gy, g)     (w.r.t. gy) conv2d(x, g)

Public layouts are PyTorch's: images (N, C, H, W), conv2d weight
(out, in, k_h, k_w), conv_transpose2d weight (in, out, k_h, k_w).

**Readable path, fast path.** The file reads top to bottom: first the plain
im2col and col2im and the three ops written with them exactly as the formulas
say (:func:`conv2d_reference`, :func:`conv_transpose2d_reference`,
:func:`conv2d_weight_reference`); then the Functions; then, beneath them, the
fast versions that actually run (:func:`conv2d_fast` and its two siblings).
Each fast helper takes the same arguments and returns the same array as its
reference (the tests check that, in float64), so either can stand in for the
other. Their speed tricks: pixels stored channels-last, (N, H, W, C), so one
window is k_h runs of k_w * C contiguous numbers (im2col and col2im several
times faster, matrix products near the BLAS peak; outputs keep that memory
order and are returned as (N, C, H, W) views of it); reused scratch arrays;
and the forward's columns kept for the weight-gradient.
"""

import operator

from minigan import backend
from minigan.backend import xp
from minigan.tensor import Function, ShapeError, as_tensor, is_grad_enabled

# --------------------------------------------------------------------- the readable path: im2col, col2im, the formulas


def _output_size(size, kernel, stride, padding):
    """Number of window positions along one axis: floor((size + 2 p - k) / s) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def im2col(x, kernel, stride, padding):
    """Every (k_h, k_w) window of the padded x (N, C, H, W) as a column: (N, C k_h k_w, H_out, W_out).

    ``kernel``, ``stride`` and ``padding`` are (h, w) pairs. Column (i, j) is the
    window under output pixel (i, j), its rows ordered (c, a, b):
    cols[n, (c, a, b), i, j] = x_pad[n, c, s_h i + a, s_w j + b]. One strided
    slice per kernel offset (a, b) copies that offset's pixel of every window at once.
    """
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, w = x.shape
    h_out, w_out = _output_size(h, kh, sh, ph), _output_size(w, kw, sw, pw)
    padded = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = xp.empty((n, c, kh, kw, h_out, w_out), dtype=x.dtype)
    for a in range(kh):
        for b in range(kw):
            cols[:, :, a, b] = padded[:, :, a : a + sh * h_out : sh, b : b + sw * w_out : sw]
    return cols.reshape(n, c * kh * kw, h_out, w_out)


def col2im(cols, image_shape, kernel, stride, padding):
    """The adjoint of :func:`im2col`: add each column's values back where they were copied from, crop the padding."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, w = image_shape
    h_out, w_out = _output_size(h, kh, sh, ph), _output_size(w, kw, sw, pw)
    cols = cols.reshape(n, c, kh, kw, h_out, w_out)
    padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for a in range(kh):
        for b in range(kw):
            padded[:, :, a : a + sh * h_out : sh, b : b + sw * w_out : sw] += cols[:, :, a, b]
    return padded[:, :, ph : ph + h, pw : pw + w]


def conv2d_reference(x, weight, stride, padding, kept=None):
    r"""y = conv2d(x, w) as the formula says: y[n] = W cols[n], with W the weight flattened to (O, C k_h k_w).

    y[n, o, i, j] = sum_{c,a,b} w[o, c, a, b] x_pad[n, c, s_h i + a, s_w j + b].
    (``kept``: a dict in which :func:`conv2d_fast` leaves its columns for the
    weight-gradient; the plain path leaves nothing, and the gradient recomputes them.)
    """
    o = weight.shape[0]
    cols = im2col(x, weight.shape[2:], stride, padding)           # (N, C k_h k_w, H_out, W_out)
    n, rows, h_out, w_out = cols.shape
    y = weight.reshape(o, rows) @ cols.reshape(n, rows, h_out * w_out)    # (N, O, H_out W_out)
    return y.reshape(n, o, h_out, w_out)


def conv_transpose2d_reference(x, weight, stride, padding, output_size):
    r"""y = conv_transpose2d(x, w) = C_w^T x, the adjoint of conv2d: y = col2im(W^T x[n]).

    w is (C_in, C_out, k_h, k_w), so W = w flattened to (C_in, C_out k_h k_w), and each input
    pixel's column W^T x[n, :, i, j] is spread over the output window it came from.
    """
    c_in, c_out, kh, kw = weight.shape
    n = x.shape[0]
    cols = weight.reshape(c_in, -1).T @ x.reshape(n, c_in, -1)    # (N, C_out k_h k_w, H W)
    return col2im(cols, (n, c_out) + tuple(output_size), (kh, kw), stride, padding)


def conv2d_weight_reference(x, gy, kernel_size, stride, padding, columns=None):
    r"""dL/dw of y = conv2d(x, w) given gy = dL/dy: G = sum_n GY[n] cols[n]^T, reshaped to (O, C, k_h, k_w).

    g[o, c, a, b] = sum_{n,i,j} gy[n, o, i, j] x_pad[n, c, s_h i + a, s_w j + b].
    (``columns``: what :func:`conv2d_fast` kept; the plain path recomputes im2col instead.)
    """
    cols = im2col(x, tuple(kernel_size), stride, padding)        # (N, C k_h k_w, H_out, W_out)
    n, rows = cols.shape[:2]
    o = gy.shape[1]
    g = (gy.reshape(n, o, -1) @ cols.reshape(n, rows, -1).transpose(0, 2, 1)).sum(axis=0)   # (O, C k_h k_w)
    return g.reshape(o, x.shape[1], *kernel_size)


# --------------------------------------------------------------------- the three ops (forward: the fast path below)


class Conv2d(Function):
    r"""y = conv2d(x, w): y[n,o,i,j] = sum_{c,a,b} x_pad[n, c, s_h i + a, s_w j + b] w[o,c,a,b].

    As matrices: Y = im2col(x) W^T.
    dL/dx = col2im(dL/dY W)   = conv_transpose2d(dL/dy, w)   (the adjoint, see the module notes)
    dL/dw = dL/dY^T im2col(x) = conv2d_weight(x, dL/dy)
    """

    def forward(self, x, weight, stride, padding, keep_columns=False):
        self.stride, self.padding = stride, padding
        # The weight-gradient needs im2col(x) again: when it will be wanted, the fast path keeps
        # its columns in self.kept. They are a pure function of x, so conv2d_weight's value does
        # not change, and its backward still goes through the Tensor x: double backward is unaffected.
        self.kept = {} if keep_columns else None
        return conv2d_fast(x, weight, stride, padding, self.kept)  # = conv2d_reference(x, weight, stride, padding)

    def backward(self, gy):
        x, w = self.inputs
        columns = self.kept.pop("columns", None) if self.kept else None  # free them; a retained graph recomputes
        gx = gw = None
        if self.needs_input_grad[0]:
            gx = ConvTranspose2d.apply(gy, w, stride=self.stride, padding=self.padding, output_size=x.shape[2:])
        if self.needs_input_grad[1]:
            gw = Conv2dWeight.apply(
                x, gy, kernel_size=w.shape[2:], stride=self.stride, padding=self.padding, columns=columns
            )
        return gx, gw


class ConvTranspose2d(Function):
    r"""y = conv_transpose2d(x, w) = C_w^T x, the adjoint of conv2d: its forward is conv2d's input-gradient.

    Each input pixel x[n, :, i, j] spreads its weighted kernel over the output window at
    (s_h i - p_h, s_w j - p_w): y = col2im(X W), X the pixels as rows, W = w flattened.
    dL/dx = conv2d(dL/dy, w)            (the adjoint of the adjoint is conv2d itself)
    dL/dw = conv2d_weight(dL/dy, x)     (conv2d's weight-gradient with input dL/dy and output-gradient x)
    """

    def forward(self, x, weight, stride, padding, output_size):
        self.stride, self.padding = stride, padding
        return conv_transpose2d_fast(x, weight, stride, padding, output_size)  # = conv_transpose2d_reference(...)

    def backward(self, gy):
        x, w = self.inputs
        gx = gw = None
        if self.needs_input_grad[0]:
            gx = Conv2d.apply(gy, w, stride=self.stride, padding=self.padding)
        if self.needs_input_grad[1]:
            gw = Conv2dWeight.apply(gy, x, kernel_size=w.shape[2:], stride=self.stride, padding=self.padding)
        return gx, gw


class Conv2dWeight(Function):
    r"""g = conv2d_weight(x, gy): the weight-gradient of y = conv2d(x, w), given gy = dL/dy.

    g[o,c,a,b] = sum_{n,i,j} gy[n,o,i,j] x_pad[n, c, s_h i + a, s_w j + b];  as matrices G = GY^T im2col(x).
    g is linear in x and in gy, so for L' depending on g (dL'/dg = gg):
    dL'/dx  = conv_transpose2d(gy, gg)
    dL'/dgy = conv2d(x, gg)
    """

    def forward(self, x, gy, kernel_size, stride, padding, columns=None):
        self.stride, self.padding = stride, padding
        return conv2d_weight_fast(x, gy, kernel_size, stride, padding, columns)  # = conv2d_weight_reference(...)

    def backward(self, gg):
        x, gy = self.inputs
        gx = ggy = None
        if self.needs_input_grad[0]:
            gx = ConvTranspose2d.apply(gy, gg, stride=self.stride, padding=self.padding, output_size=x.shape[2:])
        if self.needs_input_grad[1]:
            ggy = Conv2d.apply(x, gg, stride=self.stride, padding=self.padding)
        return gx, ggy


# --------------------------------------------------------------------- public functions (PyTorch's signatures)


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """2-D convolution (cross-correlation, as in PyTorch) of x (N, C_in, H, W) with weight (C_out, C_in, k_h, k_w).

    Output (N, C_out, H_out, W_out) with H_out = floor((H + 2 padding - k_h) / stride) + 1.
    ``stride`` and ``padding`` are an int or an (h, w) pair; ``bias`` has shape (C_out,).
    """
    x, weight = as_tensor(x), as_tensor(weight)
    stride, padding = _pair(stride, "conv2d", "stride", 1), _pair(padding, "conv2d", "padding", 0)
    _check_image(x, weight, "conv2d", channel_axis=1)
    for axis, (size, k, p) in enumerate(zip(x.shape[2:], weight.shape[2:], padding)):
        if k > size + 2 * p:
            raise ShapeError(
                f"conv2d: kernel size {tuple(weight.shape[2:])} is larger than the padded input "
                f"{tuple(n + 2 * q for n, q in zip(x.shape[2:], padding))} (input shape {tuple(x.shape)}, "
                f"padding {padding}) along {('height', 'width')[axis]}; use a larger input, more padding "
                "or a smaller kernel.",
                f"input {('height', 'width')[axis]} of at least {k - 2 * p} for a kernel of {k}",
                x.shape,
            )
    keep_columns = is_grad_enabled() and weight.requires_grad
    y = Conv2d.apply(x, weight, stride=stride, padding=padding, keep_columns=keep_columns)
    return _add_bias(y, bias, weight.shape[0], "conv2d")


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0):
    """Transposed convolution, the adjoint of conv2d: x (N, C_in, H, W), weight (C_in, C_out, k_h, k_w).

    Output (N, C_out, H_out, W_out) with H_out = (H - 1) stride - 2 padding + k_h + output_padding.
    ``output_padding`` (< stride) picks among the input sizes a stride-s conv2d maps to H,
    adding that many rows/columns at the bottom/right.
    """
    x, weight = as_tensor(x), as_tensor(weight)
    stride, padding = _pair(stride, "conv_transpose2d", "stride", 1), _pair(padding, "conv_transpose2d", "padding", 0)
    output_padding = _pair(output_padding, "conv_transpose2d", "output_padding", 0)
    _check_image(x, weight, "conv_transpose2d", channel_axis=0)
    check_output_padding(output_padding, stride, "conv_transpose2d")
    output_size = tuple(
        (n - 1) * s - 2 * p + k + op
        for n, s, p, k, op in zip(x.shape[2:], stride, padding, weight.shape[2:], output_padding)
    )
    if min(output_size) < 1:
        raise ShapeError(
            f"conv_transpose2d: input shape {tuple(x.shape)} with weight shape {tuple(weight.shape)}, "
            f"stride {stride}, padding {padding} gives an empty output of size {output_size}; use less padding.",
            f"an input {'height' if output_size[0] < 1 else 'width'} that gives a positive output size",
            x.shape,
        )
    y = ConvTranspose2d.apply(x, weight, stride=stride, padding=padding, output_size=output_size)
    return _add_bias(y, bias, weight.shape[1], "conv_transpose2d")


def conv2d_weight(x, weight_size, grad_output, stride=1, padding=0):
    """The gradient of conv2d's output with respect to its weight, as ``torch.nn.grad.conv2d_weight``.

    Given x (N, C_in, H, W) and dL/dy (N, C_out, H_out, W_out), returns dL/dw of shape
    ``weight_size`` = (C_out, C_in, k_h, k_w). Differentiable in both x and grad_output.
    """
    x, grad_output = as_tensor(x), as_tensor(grad_output)
    stride, padding = _pair(stride, "conv2d_weight", "stride", 1), _pair(padding, "conv2d_weight", "padding", 0)
    weight_size = tuple(int(n) for n in weight_size)
    if len(weight_size) != 4:
        raise ValueError(f"conv2d_weight: weight_size must have 4 entries (out, in, k_h, k_w), got {weight_size}.")
    for name, t, channels in (("input", x, weight_size[1]), ("grad_output", grad_output, weight_size[0])):
        if t.ndim != 4 or t.shape[1] != channels:
            raise ValueError(
                f"conv2d_weight: expected {name} of shape (N, {channels}, H, W) for weight size {weight_size}, "
                f"got shape {tuple(t.shape)}."
            )
    expected = (x.shape[0], weight_size[0]) + tuple(
        _output_size(n, k, s, p) for n, k, s, p in zip(x.shape[2:], weight_size[2:], stride, padding)
    )
    if tuple(grad_output.shape) != expected:
        raise ValueError(
            f"conv2d_weight: grad_output has shape {tuple(grad_output.shape)}, but conv2d of an input of shape "
            f"{tuple(x.shape)} with weight size {weight_size}, stride {stride}, padding {padding} gives {expected}."
        )
    return Conv2dWeight.apply(x, grad_output, kernel_size=weight_size[2:], stride=stride, padding=padding)


# --------------------------------------------------------------------- argument checks


def _pair(value, op, name, minimum):
    """An int or an (h, w) pair of ints, each >= ``minimum``, as a pair."""
    values = value if isinstance(value, (tuple, list)) else (value, value)
    try:
        pair = tuple(operator.index(v) for v in values)
    except TypeError:
        pair = ()
    if len(pair) != 2:
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}.")
    if min(pair) < minimum:
        bound = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{op}: {name} must be {bound}, got {value!r}.")
    return pair


def check_output_padding(output_padding, stride, op):
    """output_padding < stride in each dimension (both pairs): it picks one of the stride sizes conv2d maps to H."""
    if any(o >= s for o, s in zip(output_padding, stride)):
        raise ValueError(
            f"{op}: output_padding {output_padding} must be smaller than stride {stride} in each dimension."
        )


def _check_image(x, weight, op, channel_axis):
    if weight.ndim != 4:
        layout = "(out, in, k_h, k_w)" if channel_axis == 1 else "(in, out, k_h, k_w)"
        raise ValueError(f"{op}: expected a 4-D weight {layout}, got shape {tuple(weight.shape)}.")
    if x.ndim != 4:
        hint = " (add a batch axis with x.unsqueeze(0))" if x.ndim == 3 else ""
        expected = "a 4-D input (batch, channels, height, width)"
        raise ShapeError(f"{op}: expected {expected}, got shape {tuple(x.shape)}{hint}.", expected, x.shape)
    channels = weight.shape[channel_axis]
    if x.shape[1] != channels:
        expected = f"input with {channels} channel{'s' if channels != 1 else ''}"
        raise ShapeError(
            f"{op}: expected {expected} (weight shape {tuple(weight.shape)}), got shape {tuple(x.shape)}.",
            expected,
            x.shape,
        )


def _add_bias(y, bias, channels, op):
    """y + bias over the channel axis: plain broadcasting ops, so the bias-gradient is the sum over N, H, W."""
    if bias is None:
        return y
    bias = as_tensor(bias, like=y)
    if tuple(bias.shape) != (channels,):
        raise ValueError(f"{op}: expected a bias of shape ({channels},), got shape {tuple(bias.shape)}.")
    return y + bias.reshape(1, channels, 1, 1)


# --------------------------------------------------------------------- the fast path


def conv2d_fast(x, weight, stride, padding, kept=None):
    """:func:`conv2d_reference`, fast: channels-last columns in a reused scratch array, one matrix product.

    When ``kept`` is a dict, the columns are made in an array of their own and
    left in ``kept["columns"]`` for :func:`conv2d_weight_fast`.
    """
    keep = kept is not None
    columns = _im2col_channels_last(x, weight.shape[2:], stride, padding, keep=keep)
    if keep:
        kept["columns"] = columns
    n, h_out, w_out = columns.shape[:3]
    y = columns.reshape(n * h_out * w_out, -1) @ _flat_weight(weight).T
    return _channels_first(y.reshape(n, h_out, w_out, weight.shape[0]))


def conv_transpose2d_fast(x, weight, stride, padding, output_size):
    """:func:`conv_transpose2d_reference`, fast: channels-last, the columns X W made one kernel row at a time."""
    n, _, h, w = x.shape
    c_in, c_out, kh, kw = weight.shape
    rows = _rows(x)                                                      # X: (N H W, C_in)
    kernel = xp.ascontiguousarray(weight.transpose(2, 0, 3, 1)).reshape(kh, c_in, kw * c_out)

    def kernel_row(a):  # row a of the columns X W: X W_a, one (N H W, k_w C_out) product at a time
        product = _scratch("kernel row", (n * h * w, kw * c_out), xp.result_type(rows, kernel))
        return xp.matmul(rows, kernel[a], out=product).reshape(n, h, w, kw, c_out)

    return _col2im_channels_last(kernel_row, (n, h, w, kh, kw, c_out), tuple(output_size), stride, padding, x.dtype)


def conv2d_weight_fast(x, gy, kernel_size, stride, padding, columns=None):
    """:func:`conv2d_weight_reference`, fast: G^T = im2col(x)^T GY as one product (reusing the forward's columns)."""
    if columns is None:
        columns = _im2col_channels_last(x, tuple(kernel_size), stride, padding)
    n, h_out, w_out, kh, kw, c = columns.shape
    g_t = columns.reshape(n * h_out * w_out, -1).T @ _rows(gy)  # G^T: BLAS is several times faster this way
    return xp.ascontiguousarray(g_t.reshape(kh, kw, c, -1).transpose(3, 2, 0, 1))


def _channels_last(x):
    """(N, C, H, W) -> (N, H, W, C), a view."""
    return x.transpose(0, 2, 3, 1)


def _channels_first(x):
    """(N, H, W, C) -> (N, C, H, W), a view."""
    return x.transpose(0, 3, 1, 2)


def _im2col_channels_last(x, kernel, stride, padding, keep=False):
    """Every window of the padded image x (N, C, H, W), as columns (N, H_out, W_out, k_h, k_w, C).

    A strided view picks the windows without copying; the one copy, in
    channels-last order, happens when the view is made contiguous. It goes
    into a reused scratch array unless the caller will ``keep`` the columns.
    """
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, w = x.shape
    padded = _scratch("padded", (n, h + 2 * ph, w + 2 * pw, c), x.dtype)
    padded[:, :ph] = padded[:, ph + h :] = 0
    padded[:, :, :pw] = padded[:, :, pw + w :] = 0
    padded[:, ph : ph + h, pw : pw + w, :] = _channels_last(x)
    bn, bh, bw, bc = padded.strides
    h_out, w_out = _output_size(h, kh, sh, ph), _output_size(w, kw, sw, pw)
    windows = backend.as_strided(
        padded, shape=(n, h_out, w_out, kh, kw, c), strides=(bn, sh * bh, sw * bw, bh, bw, bc)
    )
    if keep:
        return xp.ascontiguousarray(windows)
    columns = _scratch("columns", windows.shape, x.dtype)
    columns[...] = windows
    return columns


_scratch_arrays = {}


SCRATCH_LIMIT = 2**24
"""Largest scratch array kept for reuse, in elements (64 MiB of float32); larger ones are made afresh."""


def _scratch(purpose, shape, dtype):
    """A reused array of ``shape`` for a temporary that never leaves this module (one per purpose and dtype).

    Its old contents remain: the caller overwrites them. Reuse matters: fresh
    memory costs a page fault per 4 KiB the first time it is written, which for
    im2col's columns takes as long as the copy itself. (Ops run one at a time,
    on one thread: nothing else uses the array meanwhile.)
    """
    size = 1
    for n in shape:
        size *= n
    array = _scratch_arrays.get((purpose, dtype))
    if array is None or array.size < size:
        array = xp.empty(size, dtype=dtype)
        if size <= SCRATCH_LIMIT:
            _scratch_arrays[(purpose, dtype)] = array
    return array[:size].reshape(shape)


def _col2im_channels_last(kernel_row, columns_shape, image_size, stride, padding, dtype):
    """The adjoint of :func:`_im2col_channels_last`: add each window of the columns back where it came from.

    The columns have shape ``columns_shape`` = (N, H_out, W_out, k_h, k_w, C) and
    ``kernel_row(a)`` gives one slice of them, ``columns[:, :, :, a]``: row a of
    the kernel in every window. Asked for one row at a time, the caller can
    compute the columns piece by piece instead of holding them all. Offset (a, b)
    of window (i, j) lands on pixel (s i + a - p, s j + b - p): one strided
    slice-add for all i, j at once, leaving out what lands in the padding.
    Returns the image (N, C, H, W), stored channels-last.
    """
    n, h_out, w_out, kh, kw, c = columns_shape
    (h, w), (sh, sw), (ph, pw) = image_size, stride, padding
    image = xp.zeros((n, h, w, c), dtype=dtype)
    for a in range(kh):
        rows, row_windows = _landing(a, h_out, h, sh, ph)
        values = kernel_row(a)
        for b in range(kw):
            cols, col_windows = _landing(b, w_out, w, sw, pw)
            image[:, rows, cols, :] += values[:, row_windows, col_windows, b, :]
    return _channels_first(image)


def _landing(offset, windows, size, stride, padding):
    """Where kernel ``offset`` of the windows lands inside an image of ``size``: (pixel slice, window slice).

    Window i puts it on pixel s i + offset - p; windows whose pixel falls in the padding are left out.
    """
    first = max(0, -((offset - padding) // stride))                  # ceil((p - offset) / s)
    last = min(windows - 1, (size - 1 + padding - offset) // stride)
    if last < first:  # all of them fall in the padding
        return slice(0, 0), slice(0, 0)
    start = stride * first + offset - padding
    return slice(start, start + stride * (last - first) + 1, stride), slice(first, last + 1)


def _flat_weight(w):
    """Weight (O, C, k_h, k_w) -> matrix (O, k_h k_w C), rows in the columns' order."""
    return w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1)


def _rows(image):
    """Image (N, C, H, W) -> matrix (N H W, C): one row per pixel (a view when already channels-last)."""
    return _channels_last(image).reshape(-1, image.shape[1])


__all__ = [
    "Conv2d", "Conv2dWeight", "ConvTranspose2d", "col2im", "conv2d", "conv2d_fast", "conv2d_reference", "conv2d_weight",
    "conv2d_weight_fast", "conv2d_weight_reference", "conv_transpose2d", "conv_transpose2d_fast",
    "conv_transpose2d_reference", "im2col",
]
