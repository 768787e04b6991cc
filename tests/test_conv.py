"""Tests for minigan/ops/conv.py: conv2d, conv_transpose2d and conv2d_weight.

The forwards are compared with references written here as explicit loops over
output pixels (conv2d) and input pixels (conv_transpose2d, scattering each
pixel's weighted kernel), straight from the definitions. The gradients are
checked against finite differences to second order.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan import backend
from minigan.backend import xp
from minigan.ops.conv import (
    conv2d,
    conv2d_fast,
    conv2d_reference,
    conv2d_weight,
    conv2d_weight_fast,
    conv2d_weight_reference,
    conv_transpose2d,
    conv_transpose2d_fast,
    conv_transpose2d_reference,
)


def randn(*shape, requires_grad=False):
    return mg.tensor(backend.randn(*shape, dtype="float64"), requires_grad=requires_grad)


def close(a, b, tol=1e-10):
    a = a.data if isinstance(a, mg.Tensor) else a
    assert a.shape == b.shape, (a.shape, b.shape)
    assert float(xp.abs(a - b).max()) <= tol * (1 + float(xp.abs(b).max()))


# --------------------------------------------------------------------- references, from the definitions


def reference_conv2d(x, w, stride, padding):
    """y[n,o,i,j] = sum_{c,a,b} x_pad[n, c, s_h i + a, s_w j + b] w[o,c,a,b], one output pixel at a time."""
    (sh, sw), (ph, pw) = stride, padding
    n, c, h, width = x.shape
    o, _, kh, kw = w.shape
    padded = xp.zeros((n, c, h + 2 * ph, width + 2 * pw))
    padded[:, :, ph : ph + h, pw : pw + width] = x
    h_out, w_out = (h + 2 * ph - kh) // sh + 1, (width + 2 * pw - kw) // sw + 1
    y = xp.zeros((n, o, h_out, w_out))
    for b in range(n):
        for k in range(o):
            for i in range(h_out):
                for j in range(w_out):
                    y[b, k, i, j] = (padded[b, :, sh * i : sh * i + kh, sw * j : sw * j + kw] * w[k]).sum()
    return y


def reference_conv_transpose2d(x, w, stride, padding, output_padding):
    """Each input pixel adds x[n,c,i,j] * w[c] at rows s_h i.., columns s_w j.., then the padding is cut off."""
    (sh, sw), (ph, pw), (oh, ow) = stride, padding, output_padding
    n, c_in, h, width = x.shape
    _, c_out, kh, kw = w.shape
    full = xp.zeros((n, c_out, (h - 1) * sh + kh + oh, (width - 1) * sw + kw + ow))
    for b in range(n):
        for c in range(c_in):
            for i in range(h):
                for j in range(width):
                    full[b, :, sh * i : sh * i + kh, sw * j : sw * j + kw] += x[b, c, i, j] * w[c]
    return full[:, :, ph : full.shape[2] - ph, pw : full.shape[3] - pw]


# --------------------------------------------------------------------- random configurations


@st.composite
def conv_configs(draw, max_size=6, max_channels=3):
    """(x shape, conv2d weight shape, stride, padding) with a kernel that fits the padded input."""
    n = draw(st.integers(1, 2))
    c_in, c_out = draw(st.integers(1, max_channels)), draw(st.integers(1, max_channels))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = tuple(draw(st.integers(max(1, k - 2 * p), max_size)) for k, p in zip(kernel, padding))
    return (n, c_in) + size, (c_out, c_in) + kernel, stride, padding


@st.composite
def transpose_configs(draw, max_size=5, max_channels=3):
    """(x shape, conv_transpose2d weight shape, stride, padding, output_padding) with a non-empty output."""
    n = draw(st.integers(1, 2))
    c_in, c_out = draw(st.integers(1, max_channels)), draw(st.integers(1, max_channels))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    output_padding = tuple(draw(st.integers(0, s - 1)) for s in stride)
    # the smallest input whose output (n - 1) s - 2 p + k + output_padding is not empty
    smallest = [
        1 + max(0, -(-(2 * p - k - op + 1) // s)) for s, p, k, op in zip(stride, padding, kernel, output_padding)
    ]
    size = tuple(draw(st.integers(low, max(low, max_size))) for low in smallest)
    return (n, c_in) + size, (c_in, c_out) + kernel, stride, padding, output_padding


def adjoint_output_padding(size, kernel, stride, padding):
    """The output_padding that makes conv_transpose2d return exactly ``size``, the input size of conv2d."""
    return tuple(
        n + 2 * p - k - ((n + 2 * p - k) // s) * s for n, k, s, p in zip(size, kernel, stride, padding)
    )


# --------------------------------------------------------------------- forward against the references


@given(conv_configs())
def test_conv2d_matches_the_loop_reference(config):
    x_shape, w_shape, stride, padding = config
    x, w, b = randn(*x_shape), randn(*w_shape), randn(w_shape[0])
    expected = reference_conv2d(x.data, w.data, stride, padding)
    close(conv2d(x, w, stride=stride, padding=padding), expected)
    close(conv2d(x, w, b, stride, padding), expected + b.data.reshape(1, -1, 1, 1))


@given(transpose_configs())
def test_conv_transpose2d_matches_the_loop_reference(config):
    x_shape, w_shape, stride, padding, output_padding = config
    x, w, b = randn(*x_shape), randn(*w_shape), randn(w_shape[1])
    expected = reference_conv_transpose2d(x.data, w.data, stride, padding, output_padding)
    for n, s, p, k, op, got in zip(x_shape[2:], stride, padding, w_shape[2:], output_padding, expected.shape[2:]):
        assert got == (n - 1) * s - 2 * p + k + op
    close(conv_transpose2d(x, w, stride=stride, padding=padding, output_padding=output_padding), expected)
    close(conv_transpose2d(x, w, b, stride, padding, output_padding), expected + b.data.reshape(1, -1, 1, 1))


# --------------------------------------------------------------------- the fast path against the readable one


@given(conv_configs())
def test_the_plain_conv2d_reference_matches_the_loop(config):
    x_shape, w_shape, stride, padding = config
    x, w = backend.randn(*x_shape, dtype="float64"), backend.randn(*w_shape, dtype="float64")
    close(conv2d_reference(x, w, stride, padding), reference_conv2d(x, w, stride, padding))


@given(conv_configs(), st.booleans())
def test_fast_conv2d_and_its_weight_gradient_match_the_references(config, keep):
    """Same arguments, same result: either of each pair can stand in for the other (the course relies on it)."""
    x_shape, w_shape, stride, padding = config
    x, w = backend.randn(*x_shape, dtype="float64"), backend.randn(*w_shape, dtype="float64")
    kept = {} if keep else None
    y = conv2d_fast(x, w, stride, padding, kept)
    close(y, conv2d_reference(x, w, stride, padding, {}))
    assert ("columns" in kept) if keep else kept is None
    gy = backend.randn(*y.shape, dtype="float64")
    expected = conv2d_weight_reference(x, gy, w_shape[2:], stride, padding)
    close(conv2d_weight_fast(x, gy, w_shape[2:], stride, padding), expected)
    if keep:  # the columns the forward kept give the same weight-gradient
        close(conv2d_weight_fast(x, gy, w_shape[2:], stride, padding, kept["columns"]), expected)
        close(conv2d_weight_reference(x, gy, w_shape[2:], stride, padding, kept["columns"]), expected)


@given(transpose_configs())
def test_fast_conv_transpose2d_matches_the_reference(config):
    x_shape, w_shape, stride, padding, output_padding = config
    x, w = backend.randn(*x_shape, dtype="float64"), backend.randn(*w_shape, dtype="float64")
    expected = reference_conv_transpose2d(x, w, stride, padding, output_padding)
    size = expected.shape[2:]
    close(conv_transpose2d_reference(x, w, stride, padding, size), expected)
    close(conv_transpose2d_fast(x, w, stride, padding, size), expected)


def test_square_int_arguments_and_float32_are_kept():
    x = mg.tensor(backend.randn(1, 2, 7, 7))
    w = mg.tensor(backend.randn(3, 2, 4, 4))
    y = conv2d(x, w, stride=2, padding=1)
    assert y.shape == (1, 3, 3, 3) and y.dtype == backend.dtype("float32")
    close(y, reference_conv2d(x.data.astype("float64"), w.data.astype("float64"), (2, 2), (1, 1)), tol=1e-5)
    wt = mg.tensor(backend.randn(2, 3, 4, 4))
    yt = conv_transpose2d(x, wt, stride=2, padding=1, output_padding=1)
    assert yt.shape == (1, 3, 15, 15) and yt.dtype == backend.dtype("float32")


def test_a_conv_output_feeds_the_next_conv():
    # outputs are channels-last in memory, seen as (N, C, H, W): the next layer must read them right
    x, w1, w2 = randn(2, 2, 8, 8), randn(3, 2, 3, 3), randn(2, 3, 2, 2)
    h = conv2d(x, w1, stride=1, padding=1)
    expected = reference_conv2d(reference_conv2d(x.data, w1.data, (1, 1), (1, 1)), w2.data, (2, 2), (0, 0))
    close(conv2d(h, w2, stride=2), expected)
    wt = randn(3, 2, 3, 3)
    back = conv_transpose2d(h * 1.0, wt, stride=2, padding=1, output_padding=1)
    close(back, reference_conv_transpose2d(h.data, wt.data, (2, 2), (1, 1), (1, 1)))


def test_against_pytorch_when_it_is_installed():
    torch = pytest.importorskip("torch")
    x, w, b = randn(2, 3, 9, 8), randn(4, 3, 4, 3), randn(4)
    wt = randn(3, 4, 3, 4)

    def t(a):
        return torch.tensor(backend.to_numpy(a.data))

    ours = conv2d(x, w, b, stride=(2, 3), padding=(1, 2))
    theirs = torch.nn.functional.conv2d(t(x), t(w), t(b), stride=(2, 3), padding=(1, 2))
    close(ours, backend.asarray(theirs.numpy()))
    ours = conv_transpose2d(x, wt, b, stride=(3, 2), padding=(1, 2), output_padding=(2, 1))
    theirs = torch.nn.functional.conv_transpose2d(t(x), t(wt), t(b), (3, 2), (1, 2), (2, 1))
    close(ours, backend.asarray(theirs.numpy()))


# --------------------------------------------------------------------- the adjoint identity


@given(conv_configs())
def test_conv_transpose2d_is_the_adjoint_of_conv2d(config):
    """<conv2d(x, w), y> = <x, conv_transpose2d(y, w)> for all x, y."""
    x_shape, w_shape, stride, padding = config
    x, w = randn(*x_shape), randn(*w_shape)
    y = randn(*conv2d(x, w, stride=stride, padding=padding).shape)
    output_padding = adjoint_output_padding(x_shape[2:], w_shape[2:], stride, padding)
    back = conv_transpose2d(y, w, stride=stride, padding=padding, output_padding=output_padding)
    assert back.shape == x.shape
    left = float((conv2d(x, w, stride=stride, padding=padding).data * y.data).sum())
    right = float((x.data * back.data).sum())
    assert left == pytest.approx(right, rel=1e-10, abs=1e-10)


# --------------------------------------------------------------------- first and second derivatives


@given(conv_configs(max_size=5, max_channels=2))
def test_conv2d_gradients(config):
    x_shape, w_shape, stride, padding = config
    x, w, b = randn(*x_shape, requires_grad=True), randn(*w_shape, requires_grad=True), randn(w_shape[0])
    b.requires_grad_()
    assert mg.gradcheck(lambda x, w, b: conv2d(x, w, b, stride, padding), [x, w, b])


@given(transpose_configs(max_size=4, max_channels=2))
def test_conv_transpose2d_gradients(config):
    x_shape, w_shape, stride, padding, output_padding = config
    x, w, b = randn(*x_shape, requires_grad=True), randn(*w_shape, requires_grad=True), randn(w_shape[1])
    b.requires_grad_()
    assert mg.gradcheck(lambda x, w, b: conv_transpose2d(x, w, b, stride, padding, output_padding), [x, w, b])


@given(conv_configs(max_size=5, max_channels=2))
def test_conv2d_weight_gradients(config):
    x_shape, w_shape, stride, padding = config
    x = randn(*x_shape, requires_grad=True)
    gy = randn(*conv2d(x, randn(*w_shape), stride=stride, padding=padding).shape, requires_grad=True)
    assert mg.gradcheck(lambda x, gy: conv2d_weight(x, w_shape, gy, stride, padding), [x, gy])


@given(conv_configs(max_size=4, max_channels=2))
def test_conv2d_second_derivatives(config):
    x_shape, w_shape, stride, padding = config
    x, w = randn(*x_shape, requires_grad=True), randn(*w_shape, requires_grad=True)
    assert mg.gradgradcheck(lambda x, w: conv2d(x, w, stride=stride, padding=padding), [x, w])


@given(transpose_configs(max_size=3, max_channels=2))
def test_conv_transpose2d_second_derivatives(config):
    x_shape, w_shape, stride, padding, output_padding = config
    x, w = randn(*x_shape, requires_grad=True), randn(*w_shape, requires_grad=True)
    assert mg.gradgradcheck(lambda x, w: conv_transpose2d(x, w, None, stride, padding, output_padding), [x, w])


def test_conv2d_weight_is_the_weight_gradient_of_conv2d():
    x, w, gy = randn(2, 3, 6, 5), randn(4, 3, 3, 2, requires_grad=True), randn(2, 4, 3, 2)
    (expected,) = mg.grad(conv2d(x, w, stride=(2, 2), padding=(1, 0)), [w], grad_outputs=[gy])
    close(conv2d_weight(x, w.shape, gy, stride=2, padding=(1, 0)), expected.data)


def test_kept_columns_survive_a_retained_graph():
    # conv2d keeps its im2col columns for the weight-gradient and frees them after use;
    # a second backward through a retained graph must still be right.
    x, w = randn(2, 2, 5, 5, requires_grad=True), randn(3, 2, 3, 3, requires_grad=True)
    y = (conv2d(x, w, stride=2, padding=1) ** 2).sum()
    first = mg.grad(y, [x, w], retain_graph=True)
    second = mg.grad(y, [x, w])
    for a, b in zip(first, second):
        close(a, b.data, tol=0)


# --------------------------------------------------------------------- errors


def test_channel_mismatch_names_both_shapes():
    x, w = mg.tensor(backend.randn(2, 3, 14, 14)), mg.tensor(backend.randn(128, 64, 4, 4))
    with pytest.raises(ValueError) as err:
        conv2d(x, w, stride=2, padding=1)
    assert str(err.value) == (
        "conv2d: expected input with 64 channels (weight shape (128, 64, 4, 4)), got shape (2, 3, 14, 14)."
    )
    with pytest.raises(ValueError, match=r"expected input with 128 channels \(weight shape \(128, 64, 4, 4\)\)"):
        conv_transpose2d(x, w)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: conv2d(randn(3, 8, 8), randn(2, 3, 3, 3)), r"4-D input .* got shape \(3, 8, 8\) \(add a batch axis"),
        (lambda: conv2d(randn(1, 3, 8, 8), randn(3, 3, 3)), r"4-D weight \(out, in, k_h, k_w\), got shape \(3, 3, 3\)"),
        (lambda: conv2d(randn(1, 1, 3, 3), randn(1, 1, 5, 2)), r"kernel size \(5, 2\) is larger than the padded input"),
        (lambda: conv2d(randn(1, 1, 3, 3), randn(1, 1, 5, 2), padding=1), None),
        (lambda: conv2d(randn(1, 1, 4, 4), randn(1, 1, 2, 2), stride=0), r"stride must be positive, got 0"),
        (lambda: conv2d(randn(1, 1, 4, 4), randn(1, 1, 2, 2), stride=(1, -1)), r"stride must be positive"),
        (lambda: conv2d(randn(1, 1, 4, 4), randn(1, 1, 2, 2), padding=-1), r"padding must be non-negative"),
        (lambda: conv2d(randn(1, 1, 4, 4), randn(1, 1, 2, 2), stride=(1, 2, 3)), r"stride must be an int or a pair"),
        (lambda: conv2d(randn(1, 1, 4, 4), randn(2, 1, 2, 2), randn(3)), r"bias of shape \(2,\), got shape \(3,\)"),
        (
            lambda: conv_transpose2d(randn(1, 1, 4, 4), randn(1, 1, 3, 3), stride=2, output_padding=2),
            r"output_padding \(2, 2\) must be smaller than stride \(2, 2\)",
        ),
        (lambda: conv_transpose2d(randn(1, 1, 1, 1), randn(1, 1, 2, 2), padding=1), r"empty output"),
        (lambda: conv_transpose2d(randn(1, 2, 3, 3), randn(2, 1, 2, 2), randn(2)), r"bias of shape \(1,\)"),
        (lambda: conv2d_weight(randn(1, 2, 5, 5), (3, 2, 3, 3), randn(1, 3, 2, 2)), r"grad_output has shape"),
        (lambda: conv2d_weight(randn(1, 2, 5, 5), (3, 1, 3, 3), randn(1, 3, 3, 3)), r"expected input of shape"),
    ],
)
def test_bad_arguments_raise_one_clear_error(call, message):
    if message is None:  # the same kernel fits once the input is padded
        assert call().shape == (1, 1, 1, 4)
        return
    with pytest.raises((ValueError, TypeError), match=message):
        call()
