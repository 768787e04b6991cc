"""MinibatchDiscrimination and VirtualBatchNorm (minigan.gan.layers): values, first and second derivatives, errors.

Values are checked against the formulas written out in NumPy; gradients in
float64 against central differences (the module's parameters are extra inputs
of the checked function, as in tests/test_layers.py).
"""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan import backend
from minigan.gan.layers import MinibatchDiscrimination, VirtualBatchNorm

seeds = st.integers(0, 2**31 - 1)


def randn(*shape, scale=1.0, shift=0.0, requires_grad=True):
    return mg.tensor(backend.randn(*shape, dtype="float64") * scale + shift, requires_grad=requires_grad)


def check_gradients(module, x, second_order=True):
    module.double()
    inputs = [x, *module.parameters()]
    fn = lambda x, *parameters: module(x)  # noqa: E731  (the parameters are used through the module)
    assert mg.gradcheck(fn, inputs)
    if second_order:
        assert mg.gradgradcheck(fn, inputs)


# ===================================================================== MinibatchDiscrimination


def minibatch_features(f, T):
    """o(x_i)_b = sum_j exp(-||M_i,b - M_j,b||_1), M_i = f_i T (T of shape (A, B, C)), in NumPy."""
    M = np.einsum("na,abc->nbc", f, T)
    l1 = np.abs(M[:, None] - M[None, :]).sum(axis=3)        # (N, N, B)
    return np.exp(-l1).sum(axis=1)


def test_minibatch_discrimination_appends_the_closeness_scores():
    mg.manual_seed(0)
    layer = MinibatchDiscrimination(5, num_kernels=3, kernel_dim=4).double()
    assert layer.T.shape == (5, 3, 4) and layer.out_features == 8
    assert list(layer.state_dict()) == ["T"]
    f = randn(6, 5, requires_grad=False)
    out = layer(f).numpy()
    assert out.shape == (6, 8)
    np.testing.assert_allclose(out[:, :5], f.numpy(), rtol=0, atol=0)   # the features pass unchanged
    np.testing.assert_allclose(out[:, 5:], minibatch_features(f.numpy(), layer.T.numpy()), rtol=1e-12)


def test_minibatch_discrimination_sees_a_collapsed_batch():
    """All samples alike: every score is N (each c_b = 1); far apart: every score is 1 (only j = i)."""
    layer = MinibatchDiscrimination(2, num_kernels=4, kernel_dim=3).double()
    collapsed = mg.tensor(np.tile([[0.3, -0.7]], (10, 1)))
    np.testing.assert_allclose(layer(collapsed).numpy()[:, 2:], 10.0, rtol=1e-12)
    mg.nn.init.constant_(layer.T, 1.0)
    spread = mg.tensor(np.arange(20.0).reshape(10, 2) * 100)
    np.testing.assert_allclose(layer(spread).numpy()[:, 2:], 1.0, rtol=1e-12)


@given(n=st.integers(1, 4), a=st.integers(1, 3), b=st.integers(1, 3), c=st.integers(1, 3), seed=seeds)
def test_minibatch_discrimination_gradients(n, a, b, c, seed):
    mg.manual_seed(seed)
    layer = MinibatchDiscrimination(a, b, c, std=0.5)
    check_gradients(layer, randn(n, a))


@pytest.mark.parametrize("shape", [(4, 3), (4, 5, 1), (5,)])
def test_minibatch_discrimination_names_the_layer_and_both_shapes(shape):
    layer = MinibatchDiscrimination(5, 2, 2)
    with pytest.raises(ValueError, match=r"MinibatchDiscrimination\(in_features=5.*expected input of shape \(N, 5\), "
                                         "got shape " + re.escape(str(shape))):
        layer(mg.tensor(np.zeros(shape, dtype="float32")))


@pytest.mark.parametrize("args", [(0, 2, 2), (3, 0, 2), (3, 2, 1.5)])
def test_minibatch_discrimination_refuses_bad_sizes(args):
    with pytest.raises(ValueError, match="must be an integer >= 1"):
        MinibatchDiscrimination(*args)


# ===================================================================== VirtualBatchNorm


def normalise(ref, x, eps=1e-5):
    """The same formula, written plainly for vectors (N, C) and images (N, C, H, W)."""
    axes = (0,) + tuple(range(2, ref.ndim))
    out = []
    for example in x:
        both = np.concatenate([ref, example[None]])
        mean, var = both.mean(axis=axes, keepdims=True)[0], both.var(axis=axes, keepdims=True)[0]
        out.append((example - mean) / np.sqrt(var + eps))
    return np.stack(out)


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4)])
def test_virtual_batch_norm_is_batch_norm_over_the_reference_plus_one_example(shape):
    rng = np.random.default_rng(0)
    ref, x = rng.normal(1.0, 2.0, size=(16, *shape)), rng.normal(size=(5, *shape)) * 3
    layer = VirtualBatchNorm(shape[0], reference_size=16).double()
    out = layer(mg.tensor(np.concatenate([ref, x]))).numpy()
    np.testing.assert_allclose(out[16:], normalise(ref, x), rtol=1e-10, atol=1e-12)
    axes = (0,) + tuple(range(2, ref.ndim))     # the reference rows: normalised with their own statistics
    ref_hat = (ref - ref.mean(axis=axes, keepdims=True)) / np.sqrt(ref.var(axis=axes, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out[:16], ref_hat, rtol=1e-10, atol=1e-12)


def test_virtual_batch_norm_output_of_an_example_ignores_the_rest_of_its_batch():
    rng = np.random.default_rng(1)
    ref, batch = rng.normal(size=(8, 3)), rng.normal(size=(6, 3))
    other = batch.copy()
    other[1:] = rng.normal(5.0, 3.0, size=(5, 3))
    layer = VirtualBatchNorm(3, 8).double()
    a, b = layer(mg.tensor(np.concatenate([ref, batch]))), layer(mg.tensor(np.concatenate([ref, other])))
    np.testing.assert_allclose(a.numpy()[8], b.numpy()[8], rtol=1e-13)
    alone = layer(mg.tensor(np.concatenate([ref, batch[:1]])))
    np.testing.assert_allclose(alone.numpy()[8], a.numpy()[8], rtol=1e-13)


def test_virtual_batch_norm_scales_and_shifts_per_channel():
    layer = VirtualBatchNorm(2, 4).double()
    assert list(layer.state_dict()) == ["weight", "bias"]
    x = randn(7, 2, requires_grad=False)
    plain = VirtualBatchNorm(2, 4, affine=False)(x).numpy()
    assert not list(VirtualBatchNorm(2, 4, affine=False).parameters())
    layer.weight.data[...] = backend.asarray([2.0, -1.0], dtype="float64")  # a device array on CuPy, not a list
    layer.bias.data[...] = backend.asarray([0.5, 3.0], dtype="float64")
    np.testing.assert_allclose(layer(x).numpy(), plain * [2.0, -1.0] + [0.5, 3.0], rtol=1e-12)


def test_virtual_batch_norm_stays_finite_in_float32_where_mean_of_squares_minus_square_cancels():
    """Large offset, tiny spread: E[x^2] - E[x]^2 loses every digit in float32; the mixture form does not."""
    rng = np.random.default_rng(2)
    data = (1000.0 + 1e-3 * rng.normal(size=(33, 1))).astype("float32")
    out = VirtualBatchNorm(1, 32)(mg.tensor(data)).numpy()
    assert np.isfinite(out).all()
    assert out.std() > 0.1   # still normalised to about unit spread, not flattened by eps


@given(r=st.integers(1, 3), n=st.integers(1, 3), c=st.integers(1, 2), images=st.booleans(), seed=seeds)
def test_virtual_batch_norm_gradients(r, n, c, images, seed):
    mg.manual_seed(seed)
    layer = VirtualBatchNorm(c, reference_size=r)
    layer.weight.data[...] = backend.randn(c)   # away from gamma = 1, beta = 0
    layer.bias.data[...] = backend.randn(c)
    x = randn(r + n, c, 2, 2) if images else randn(r + n, c)
    check_gradients(layer, x)


@pytest.mark.parametrize("shape, why", [
    ((4, 3), r"\(R \+ N, 3\).*R = 4 reference rows first and N >= 1 examples after them.*got shape \(4, 3\)"),
    ((6, 2), r"got shape \(6, 2\)"),
    ((6, 3, 2), r"got shape \(6, 3, 2\)"),
])
def test_virtual_batch_norm_names_the_layer_and_both_shapes(shape, why):
    layer = VirtualBatchNorm(3, reference_size=4)
    with pytest.raises(ValueError, match=r"VirtualBatchNorm\(3, reference_size=4\): expected .*" + why):
        layer(mg.tensor(np.zeros(shape, dtype="float32")))


@pytest.mark.parametrize("size", [0, -2, 2.5])
def test_virtual_batch_norm_refuses_a_bad_reference_size(size):
    with pytest.raises(ValueError, match="reference_size must be an integer >= 1"):
        VirtualBatchNorm(3, size)
