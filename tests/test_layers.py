"""Tests for the layers (minigan/nn): shapes, values, first and second derivatives, initialisation, errors.

Gradient checks feed a module's parameters to mg.gradcheck as extra inputs:
the module reads those very Parameter objects, so perturbing them perturbs the
module, and the analytic gradient is taken with respect to them.
"""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigan as mg
import minigan.functional as F
from minigan import backend, nn
from minigan.backend import xp
from minigan.tensor import Tensor

seeds = st.integers(0, 2**31 - 1)


def randn(*shape, requires_grad=True, scale=1.0, shift=0.0):
    return mg.tensor(backend.randn(*shape, dtype="float64") * scale + shift, requires_grad=requires_grad)


def away_from_zero(*shape):
    """Samples with |x| >= 0.1, clear of the kinks of ReLU and LeakyReLU at 0."""
    x = backend.randn(*shape, dtype="float64")
    return mg.tensor(xp.where(x >= 0, x + 0.1, x - 0.1), requires_grad=True)


def close(a, b, atol=1e-10, rtol=1e-7):
    a = a.data if isinstance(a, Tensor) else a
    b = b.data if isinstance(b, Tensor) else b
    return a.shape == b.shape and bool(xp.allclose(a, b, atol=atol, rtol=rtol))


def check_gradients(module, x, second_order=True):
    """First (and second) derivatives of module(x) with respect to x and every parameter, in float64."""
    module.double()
    inputs = [x, *module.parameters()]
    fn = lambda x, *parameters: module(x)  # noqa: E731  (the parameters are used through the module)
    assert mg.gradcheck(fn, inputs)
    if second_order:
        assert mg.gradgradcheck(fn, inputs)


# ===================================================================== Linear


@given(lead=st.lists(st.integers(1, 3), min_size=1, max_size=2), fan_in=st.integers(1, 4),
       fan_out=st.integers(1, 4), bias=st.booleans(), seed=seeds)
def test_linear_layer(lead, fan_in, fan_out, bias, seed):
    mg.manual_seed(seed)
    layer = nn.Linear(fan_in, fan_out, bias=bias)
    assert layer.weight.shape == (fan_out, fan_in) and str(layer.weight.dtype) == "float32"
    assert (layer.bias is None) != bias
    x = randn(*lead, fan_in)
    check_gradients(layer, x)
    expected = xp.matmul(x.data, layer.weight.data.T) + (layer.bias.data if bias else 0.0)
    assert close(layer(x), expected)


def test_linear_shape_error_names_the_layer_and_both_shapes():
    message = "Linear(in_features=784, out_features=1): expected input with 784 features in its last dimension, " \
              "got shape (64, 100)"
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        nn.Linear(784, 1)(mg.tensor(xp.zeros((64, 100), dtype="float32")))


# ===================================================================== Conv2d and ConvTranspose2d


def reference_conv2d(x, w, b, stride, padding):
    """y[n,o,i,j] = b[o] + sum_{c,a,b} x_pad[n, c, s i + a, s j + b] w[o,c,a,b], one output pixel at a time."""
    (sh, sw), (ph, pw) = stride, padding
    n, c, h, wd = x.shape
    kh, kw = w.shape[2:]
    padded = xp.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    padded[:, :, ph : ph + h, pw : pw + wd] = x
    h_out, w_out = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    y = xp.zeros((n, w.shape[0], h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            window = padded[:, :, sh * i : sh * i + kh, sw * j : sw * j + kw]
            y[:, :, i, j] = xp.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3]))
    return y + (0.0 if b is None else b.reshape(1, -1, 1, 1))


def reference_conv_transpose2d(x, w, b, stride, padding, output_padding):
    """Each input pixel adds its weighted kernel into the output window at (s i - p, s j - p)."""
    (sh, sw), (ph, pw), (oph, opw) = stride, padding, output_padding
    n, c, h, wd = x.shape
    kh, kw = w.shape[2:]
    full = xp.zeros((n, w.shape[1], (h - 1) * sh + kh + oph, (wd - 1) * sw + kw + opw))
    for i in range(h):
        for j in range(wd):
            full[:, :, sh * i : sh * i + kh, sw * j : sw * j + kw] += xp.tensordot(x[:, :, i, j], w, axes=([1], [0]))
    h_out, w_out = full.shape[2] - 2 * ph, full.shape[3] - 2 * pw
    y = full[:, :, ph : ph + h_out, pw : pw + w_out]
    return y + (0.0 if b is None else b.reshape(1, -1, 1, 1))


@st.composite
def conv_settings(draw, transposed=False):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = tuple(draw(st.integers(0, k - 1)) for k in kernel)
    output_padding = tuple(draw(st.integers(0, s - 1)) for s in stride) if transposed else (0, 0)
    if transposed:
        size = tuple(draw(st.integers(1, 3)) for _ in range(2))
        for n, k, s, p, op in zip(size, kernel, stride, padding, output_padding):
            assume((n - 1) * s - 2 * p + k + op >= 1)
    else:
        size = tuple(draw(st.integers(max(1, k - 2 * p), k - 2 * p + 3)) for k, p in zip(kernel, padding))
    square = lambda pair: pair[0] if pair[0] == pair[1] else pair  # noqa: E731  (ints and pairs both work)
    return dict(batch=draw(st.integers(1, 2)), channels=(draw(st.integers(1, 2)), draw(st.integers(1, 3))),
                size=size, kernel_size=square(kernel), stride=square(stride), padding=square(padding),
                output_padding=square(output_padding), bias=draw(st.booleans()))


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


@given(settings=conv_settings(), seed=seeds)
def test_conv2d_layer(settings, seed):
    mg.manual_seed(seed)
    s = settings
    layer = nn.Conv2d(*s["channels"], s["kernel_size"], stride=s["stride"], padding=s["padding"], bias=s["bias"])
    kh, kw = _pair(s["kernel_size"])
    assert layer.weight.shape == (s["channels"][1], s["channels"][0], kh, kw)
    x = randn(s["batch"], s["channels"][0], *s["size"])
    check_gradients(layer, x)
    y = layer(x)
    bias = layer.bias.data if s["bias"] else None
    expected = reference_conv2d(x.data, layer.weight.data, bias, _pair(s["stride"]), _pair(s["padding"]))
    assert close(y, expected)
    assert close(F.conv2d(x, layer.weight, layer.bias, s["stride"], s["padding"]), expected)
    assert close(layer(x[0]), expected[0])  # one image (C, H, W) without a batch axis


@given(settings=conv_settings(transposed=True), seed=seeds)
def test_conv_transpose2d_layer(settings, seed):
    mg.manual_seed(seed)
    s = settings
    layer = nn.ConvTranspose2d(*s["channels"], s["kernel_size"], stride=s["stride"], padding=s["padding"],
                               output_padding=s["output_padding"], bias=s["bias"])
    kh, kw = _pair(s["kernel_size"])
    assert layer.weight.shape == (s["channels"][0], s["channels"][1], kh, kw)
    x = randn(s["batch"], s["channels"][0], *s["size"])
    check_gradients(layer, x)
    bias = layer.bias.data if s["bias"] else None
    expected = reference_conv_transpose2d(
        x.data, layer.weight.data, bias, _pair(s["stride"]), _pair(s["padding"]), _pair(s["output_padding"])
    )
    assert close(layer(x), expected)
    y = F.conv_transpose2d(x, layer.weight, layer.bias, s["stride"], s["padding"], s["output_padding"])
    assert close(y, expected)


def test_dcgan_shapes():
    mg.manual_seed(0)
    g = nn.Sequential(
        nn.Linear(100, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(), nn.ConvTranspose2d(64, 1, 4, 2, 1),
        nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128),
        nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(128 * 7 * 7, 1),
    )
    fake = g(mg.tensor(backend.randn(2, 100)))
    assert fake.shape == (2, 1, 28, 28) and str(fake.dtype) == "float32"
    assert d(fake).shape == (2, 1)


def test_conv_errors_name_the_layer_and_both_shapes():
    images = mg.tensor(xp.zeros((64, 3, 28, 28), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv2d\(1, 64, kernel_size=4\): expected input with 1 channel, "
                                         r"got shape \(64, 3, 28, 28\)"):
        nn.Conv2d(1, 64, kernel_size=4)(images)
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(128, 64, kernel_size=4, stride=2, padding=1\): "
                                         r"expected input with 128 channels, got shape \(64, 3, 28, 28\)"):
        nn.ConvTranspose2d(128, 64, 4, 2, 1)(images)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8, kernel_size=5\): expected input height of at least 5.*"
                                         r"\(1, 3, 4, 9\)"):
        nn.Conv2d(3, 8, 5)(mg.tensor(xp.zeros((1, 3, 4, 9), dtype="float32")))
    with pytest.raises(ValueError, match=r"4-D input.*\(3, 28\)"):
        nn.Conv2d(3, 8, 5)(mg.tensor(xp.zeros((3, 28), dtype="float32")))
    with pytest.raises(ValueError, match="output_padding"):
        nn.ConvTranspose2d(4, 4, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="dilation=1"):
        nn.Conv2d(4, 4, 3, dilation=2)


def test_conv_reprs():
    assert repr(nn.Conv2d(1, 64, 4, 2, 1, bias=False)) == (
        "Conv2d(1, 64, kernel_size=4, stride=2, padding=1, bias=False)")
    assert repr(nn.Conv2d(3, 8, (3, 5), padding=(1, 2))) == "Conv2d(3, 8, kernel_size=(3, 5), padding=(1, 2))"
    assert repr(nn.ConvTranspose2d(8, 4, 3, stride=2, output_padding=1)) == (
        "ConvTranspose2d(8, 4, kernel_size=3, stride=2, output_padding=1)")
    layer = nn.Conv2d(3, 8, 3)
    assert layer.kernel_size == (3, 3) and layer.stride == (1, 1) and layer.padding == (0, 0)


# ===================================================================== BatchNorm


@given(shape=st.one_of(
    st.tuples(st.integers(2, 4), st.integers(1, 3)),
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(2, 3)),
), affine=st.booleans(), seed=seeds)
def test_batch_norm_1d_training_to_second_order(shape, affine, seed):
    mg.manual_seed(seed)
    layer = nn.BatchNorm1d(shape[1], affine=affine)
    if affine:  # move gamma and beta off 1 and 0, so that a wrong use of either shows
        layer.weight.data[...] = backend.randn(shape[1])
        layer.bias.data[...] = backend.randn(shape[1])
    check_gradients(layer, randn(*shape, scale=2.0, shift=1.0))


@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(1, 3), w=st.integers(2, 3), seed=seeds)
def test_batch_norm_2d_training_to_second_order(n, c, h, w, seed):
    mg.manual_seed(seed)
    layer = nn.BatchNorm2d(c, momentum=0.3)
    layer.weight.data[...] = backend.randn(c)
    check_gradients(layer, randn(n, c, h, w, scale=0.5, shift=-1.0))


@given(n=st.integers(1, 3), c=st.integers(1, 3), seed=seeds)
def test_batch_norm_eval_uses_running_stats_even_for_batch_1(n, c, seed):
    mg.manual_seed(seed)
    layer = nn.BatchNorm2d(c).double()
    layer.running_mean.data[...] = backend.randn(c)
    layer.running_var.data[...] = xp.exp(backend.randn(c))
    layer.weight.data[...] = backend.randn(c)
    layer.eval()
    x = randn(n, c, 2, 1)
    mean, var = layer.running_mean.data.reshape(1, c, 1, 1), layer.running_var.data.reshape(1, c, 1, 1)
    expected = (x.data - mean) / xp.sqrt(var + 1e-5) * layer.weight.data.reshape(1, c, 1, 1)
    assert close(layer(x), expected)
    check_gradients(layer, x)
    assert int(layer.num_batches_tracked.data) == 0  # eval does not count batches


@given(n=st.integers(2, 5), momentum=st.one_of(st.none(), st.floats(0.05, 0.9)), steps=st.integers(1, 4), seed=seeds)
def test_batch_norm_running_stats_match_a_numpy_computation(n, momentum, steps, seed):
    mg.manual_seed(seed)
    layer = nn.BatchNorm1d(3, momentum=momentum)
    mean, var = xp.zeros(3), xp.ones(3)
    for k in range(1, steps + 1):
        x = mg.tensor(backend.randn(n, 3, 2) * 2 + 1)
        layer(x)
        values = x.data.transpose(1, 0, 2).reshape(3, -1).astype("float64")
        factor = 1.0 / k if momentum is None else momentum  # None: the cumulative average of all batches
        mean = (1 - factor) * mean + factor * values.mean(axis=1)
        var = (1 - factor) * var + factor * values.var(axis=1, ddof=1)  # unbiased, as PyTorch
    assert close(layer.running_mean, mean.astype("float32"), atol=1e-5, rtol=1e-5)
    assert close(layer.running_var, var.astype("float32"), atol=1e-5, rtol=1e-5)
    assert int(layer.num_batches_tracked.data) == steps


def test_batch_norm_errors_and_options():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\): expected more than 1 value per channel when training.*"
                                         r"got shape \(1, 4\)"):
        nn.BatchNorm1d(4)(mg.tensor(xp.ones((1, 4), dtype="float32")))
    nn.BatchNorm1d(4).eval()(mg.tensor(xp.ones((1, 4), dtype="float32")))  # batch 1 is fine in eval
    nn.BatchNorm2d(4)(mg.tensor(backend.randn(1, 4, 2, 2)))  # and in training with H W > 1
    with pytest.raises(ValueError, match=r"BatchNorm2d\(64\): expected input of shape \(N, 64, H, W\), "
                                         r"got shape \(64, 32, 7, 7\)"):
        nn.BatchNorm2d(64)(mg.tensor(xp.zeros((64, 32, 7, 7), dtype="float32")))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(8\): expected input of shape \(N, 8\) or \(N, 8, L\)"):
        nn.BatchNorm1d(8)(mg.tensor(xp.zeros((2, 8, 3, 3), dtype="float32")))
    plain = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert list(plain.parameters()) == [] and list(plain.state_dict()) == []
    assert repr(plain) == "BatchNorm1d(3, affine=False, track_running_stats=False)"
    x = mg.tensor(backend.randn(4, 3))
    assert close(plain.eval()(x), plain.train()(x))  # without running stats, eval uses the batch's
    bn = nn.BatchNorm2d(5)
    assert close(bn.weight, xp.ones(5, dtype="float32")) and close(bn.bias, xp.zeros(5, dtype="float32"))
    assert repr(bn) == "BatchNorm2d(5)" and repr(nn.BatchNorm2d(5, momentum=0.2)) == "BatchNorm2d(5, momentum=0.2)"


# ===================================================================== LayerNorm, activations, shape layers


@given(lead=st.lists(st.integers(1, 3), min_size=1, max_size=2),
       normalized=st.lists(st.integers(1, 3), min_size=1, max_size=2).filter(lambda s: math.prod(s) > 1), seed=seeds)
def test_layer_norm_layer_to_second_order(lead, normalized, seed):
    mg.manual_seed(seed)
    layer = nn.LayerNorm(normalized)
    layer.weight.data[...] = backend.randn(*normalized)
    layer.bias.data[...] = backend.randn(*normalized)
    check_gradients(layer, randn(*lead, *normalized, scale=3.0))
    assert repr(nn.LayerNorm(64)) == "LayerNorm((64,))"
    with pytest.raises(ValueError, match=r"LayerNorm\(\(64,\)\): expected input whose last dimensions are \(64,\), "
                                         r"got shape \(2, 32\)"):
        nn.LayerNorm(64)(mg.tensor(xp.zeros((2, 32), dtype="float32")))


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), slope=st.floats(0.0, 0.5), seed=seeds)
def test_activations(shape, slope, seed):
    mg.manual_seed(seed)
    x = away_from_zero(*shape)
    check_gradients(nn.LeakyReLU(slope), x)
    assert close(nn.LeakyReLU(slope)(x), xp.where(x.data > 0, x.data, slope * x.data))
    assert close(nn.ReLU()(x), xp.maximum(x.data, 0))
    assert close(nn.Tanh()(x), xp.tanh(x.data))
    assert close(nn.Sigmoid()(x), 1 / (1 + xp.exp(-x.data)))
    assert close(nn.Softsign()(x), x.data / (1 + xp.abs(x.data)))
    for layer in (nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.Softsign()):
        check_gradients(layer, x)
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)" and repr(nn.Tanh()) == "Tanh()"


@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=4), data=st.data())
def test_flatten_then_unflatten_round_trips(shape, data):
    ndim = len(shape)
    start = data.draw(st.integers(0, ndim - 1))
    end = data.draw(st.integers(start, ndim - 1))
    x = randn(*shape)
    flat = nn.Flatten(start, end - ndim if data.draw(st.booleans()) else end)(x)
    assert flat.shape == tuple(shape[:start]) + (math.prod(shape[start : end + 1]),) + tuple(shape[end + 1 :])
    assert close(nn.Unflatten(start, shape[start : end + 1])(flat), x)
    assert mg.gradcheck(lambda x: nn.Flatten(start, end)(x), [x])


def test_flatten_and_unflatten():
    x = randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60) and nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(start_dim=2)(x).shape == (2, 3, 20)
    assert close(nn.Unflatten(1, (3, 4, 5))(nn.Flatten()(x)), x)
    assert nn.Unflatten(-1, (5, -1))(x).shape == (2, 3, 4, 5, 1)
    assert nn.Unflatten(1, (-1, 2))(randn(2, 6)).shape == (2, 3, 2)
    check_gradients(nn.Sequential(nn.Flatten(), nn.Unflatten(1, (3, 20))), x)
    with pytest.raises(ValueError, match=r"Unflatten\(dim=1, unflattened_size=\(128, 7, 7\)\): expected dimension 1 "
                                         r"of size 6272, got shape \(64, 100\)"):
        nn.Unflatten(1, (128, 7, 7))(mg.tensor(xp.zeros((64, 100), dtype="float32")))
    with pytest.raises(ValueError, match=r"Flatten\(start_dim=1, end_dim=-1\).*got shape \(5,\)"):
        nn.Flatten()(randn(5))
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert nn.Identity()(x) is x and repr(nn.Identity()) == "Identity()"


@given(num=st.integers(1, 6), dim=st.integers(1, 3), batch=st.integers(1, 4), seed=seeds)
def test_embedding_layer(num, dim, batch, seed):
    mg.manual_seed(seed)
    layer = nn.Embedding(num, dim).double()
    labels = mg.tensor(backend.randint(0, num, (batch,)))
    y = layer(labels)
    assert y.shape == (batch, dim) and close(y, layer.weight.data[labels.data])
    assert mg.gradcheck(lambda w: layer(labels), [layer.weight])
    assert repr(layer) == f"Embedding({num}, {dim})"


def test_dropout_layer_is_active_in_training_only():
    layer = nn.Dropout(0.5)
    x = mg.tensor(xp.ones((50, 50), dtype="float32"))
    y = layer(x).data
    assert set(backend.to_numpy(y).ravel().tolist()) == {0.0, 2.0}
    assert layer.eval()(x) is x
    assert repr(layer) == "Dropout(p=0.5)"
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(-0.1)


# ===================================================================== initialisation


def host(t):
    return backend.to_numpy(t.data).astype("float64")


@pytest.mark.parametrize(
    "layer, fan_in",
    [
        (lambda: nn.Linear(50, 40), 50),
        (lambda: nn.Conv2d(3, 30, (3, 5)), 3 * 15),
        (lambda: nn.ConvTranspose2d(32, 6, 4, 2, 1), 6 * 16),  # PyTorch: weight.shape[1] * kh * kw
    ],
)
def test_default_init_is_uniform_within_one_over_sqrt_fan_in(layer, fan_in):
    mg.manual_seed(0)
    layer = layer()
    bound = 1 / math.sqrt(fan_in)
    w, b = host(layer.weight), host(layer.bias)
    assert abs(w).max() <= bound and abs(w).max() > 0.95 * bound  # 1500+ uniform draws reach the edge
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert abs(b).max() <= bound


def test_default_init_of_norms_and_embedding_and_seeding():
    mg.manual_seed(0)
    emb = host(nn.Embedding(100, 100).weight)
    assert abs(emb.mean()) < 0.03 and abs(emb.std() - 1) < 0.03
    ln = nn.LayerNorm(4)
    assert close(ln.weight, xp.ones(4, dtype="float32")) and close(ln.bias, xp.zeros(4, dtype="float32"))
    mg.manual_seed(7)
    a = nn.Linear(5, 5)
    mg.manual_seed(7)
    b = nn.Linear(5, 5)
    assert close(a.weight, b.weight, atol=0, rtol=0) and close(a.bias, b.bias, atol=0, rtol=0)


def test_init_functions():
    mg.manual_seed(0)
    w = mg.tensor(xp.zeros((200, 100), dtype="float32"))
    nn.init.uniform_(w, -2.0, 3.0)
    assert float(w.data.min()) >= -2.0 and float(w.data.max()) < 3.0 and abs(host(w).mean() - 0.5) < 0.05
    nn.init.normal_(w, mean=1.0, std=0.02)
    assert abs(host(w).mean() - 1.0) < 1e-3 and abs(host(w).std() - 0.02) < 1e-3
    nn.init.kaiming_uniform_(w)  # a = 0: gain sqrt(2), bound sqrt(6 / fan_in)
    assert abs(host(w)).max() <= math.sqrt(6 / 100) and abs(host(w)).max() > 0.99 * math.sqrt(6 / 100)
    nn.init.xavier_uniform_(w)
    bound = math.sqrt(6 / 300)
    assert abs(host(w)).max() <= bound and abs(host(w)).max() > 0.99 * bound
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(host(w).std() - math.sqrt(2 / 100)) < 0.01 * math.sqrt(2 / 100) * 5
    nn.init.zeros_(w)
    assert not w.data.any()
    nn.init.ones_(w)
    assert bool((w.data == 1).all())
    assert nn.init.fan_in_and_fan_out(mg.tensor(xp.zeros((8, 4, 3, 5)))) == (60, 120)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(mg.tensor(xp.zeros(5)))


def test_dcgan_init():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(16, 64, 4), nn.BatchNorm2d(64), nn.LeakyReLU(0.2), nn.ConvTranspose2d(64, 32, 4),
                          nn.Linear(100, 100))
    assert nn.init.dcgan_init_(model) is model
    for layer in (model[0], model[3], model[4]):
        w = host(layer.weight)
        assert abs(w.mean()) < 0.002 and abs(w.std() - 0.02) < 0.002
        assert not layer.bias.data.any()
    gamma = host(model[1].weight)
    assert abs(gamma.mean() - 1) < 0.01 and 0.01 < gamma.std() < 0.03 and not model[1].bias.data.any()


# ===================================================================== the same model in PyTorch


def test_state_dict_loads_into_pytorch_and_gives_the_same_outputs_and_gradients():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    mg.manual_seed(0)
    torch.manual_seed(0)

    def build(lib):
        return lib.Sequential(
            lib.Conv2d(2, 4, 3, stride=2, padding=1), lib.BatchNorm2d(4), lib.LeakyReLU(0.2),
            lib.ConvTranspose2d(4, 3, (3, 2), stride=2, padding=1, output_padding=1), lib.BatchNorm2d(3), lib.ReLU(),
            lib.Flatten(), lib.Linear(3 * 6 * 5, 6), lib.BatchNorm1d(6), lib.LayerNorm(6), lib.Tanh(),
            lib.Unflatten(1, (2, 3)), lib.Sigmoid(), lib.Dropout(0.0),
        )

    ours, theirs = build(nn).double(), build(tnn).double()
    state = ours.state_dict()
    assert list(state) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)

    def compare(x_array, train):
        ours.train(train)
        theirs.train(train)
        x = mg.tensor(x_array, requires_grad=True)
        tx = torch.tensor(backend.to_numpy(x_array), requires_grad=True)
        y, ty = ours(x), theirs(tx)
        assert close(y, xp.asarray(ty.detach().numpy()), atol=1e-10)
        # a gradient-penalty-style loss: the norm of the input-gradient, differentiated again
        (gx,) = mg.grad(y.sum(), [x], create_graph=True)
        (tgx,) = torch.autograd.grad(ty.sum(), [tx], create_graph=True)
        ((gx * gx).sum() + y.sum()).backward()
        ((tgx * tgx).sum() + ty.sum()).backward()
        for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
            assert close(p.grad, xp.asarray(tp.grad.numpy()), atol=1e-9), name
        assert close(x.grad, xp.asarray(tx.grad.numpy()), atol=1e-9)
        ours.zero_grad()
        theirs.zero_grad()

    compare(backend.randn(3, 2, 6, 6, dtype="float64"), train=True)
    compare(backend.randn(3, 2, 6, 6, dtype="float64"), train=True)
    after = theirs.state_dict()
    for key, value in ours.state_dict().items():  # running statistics moved alike
        assert close(xp.asarray(value), xp.asarray(after[key].numpy()), atol=1e-12), key
    compare(backend.randn(2, 2, 6, 6, dtype="float64"), train=False)
    # and back: a PyTorch state dict (torch tensors) loads into minigan
    fresh = build(nn).double()
    fresh.load_state_dict(theirs.state_dict())
    x = backend.randn(2, 2, 6, 6, dtype="float64")
    fresh.eval()
    theirs.eval()
    assert close(fresh(mg.tensor(x)), xp.asarray(theirs(torch.tensor(backend.to_numpy(x))).detach().numpy()))


def test_functional_losses_match_pytorch():
    torch = pytest.importorskip("torch")
    mg.manual_seed(1)
    a, y = backend.randn(5, 3, dtype="float64") * 30, backend.rand(5, 3, dtype="float64")
    ours = F.binary_cross_entropy_with_logits(mg.tensor(a), mg.tensor(y))
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(backend.to_numpy(a)), torch.tensor(backend.to_numpy(y))
    )
    assert abs(float(ours.data) - theirs.item()) < 1e-12


@pytest.mark.parametrize("make", [lambda: nn.LeakyReLU("a"), lambda: nn.LeakyReLU(None), lambda: nn.Dropout("half"),
                                  lambda: F.leaky_relu(mg.randn(3), float("nan"))])
def test_a_setting_that_is_not_a_number_is_refused_in_one_sentence(make):
    with pytest.raises((TypeError, ValueError), match="must be a (finite )?number"):
        make()
