"""Every core op, checked to first and second order against central differences.

For each op: the forward value against a plain NumPy formula, then
``mg.gradcheck`` (first derivatives) and ``mg.gradgradcheck`` (second
derivatives) in float64, over shapes, broadcasting patterns and values drawn
by hypothesis.

Kinks. Finite differences are meaningless where an op is not differentiable,
so the drawn values keep a margin (``MARGIN``) from every kink, by
construction (:func:`keep_away`) rather than by rejection. The convention each
op follows exactly at its kink (as in PyTorch) is pinned by its own
deterministic test further down:

    relu'(0) = 0                    leaky_relu'(0) = negative_slope
    abs'(0) = sign(0) = 0           clip: gradient 1 at x == min and x == max
    max/min over axes: ties share the gradient equally
    maximum(a, b) / minimum(a, b): at a == b each gets 1/2
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan as mg

MARGIN = 0.05  # distance kept from every kink; the gradcheck step is 1e-6


# --------------------------------------------------------------------- helpers


def t64(array, requires_grad=True):
    return mg.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def check(fn, *arrays, expected=None, second_order=True):
    """fn's value against ``expected``, then its first and second derivatives against finite differences."""
    inputs = [t64(a) for a in arrays]
    if expected is not None:
        out = fn(*inputs)
        assert out.dtype == np.float64
        assert out.shape == np.shape(expected), (out.shape, np.shape(expected))
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(fn, inputs)
    if second_order:
        assert mg.gradgradcheck(fn, inputs)


def floats(low=-2.0, high=2.0):
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def arrays(shape, low=-2.0, high=2.0):
    return hnp.arrays(np.float64, shape, elements=floats(low, high))


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
nonscalar_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)
broadcast_pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


def keep_away(a, kinks, margin=MARGIN):
    """Move every value closer than ``margin`` to a kink out to exactly ``margin`` from it (same side)."""
    a = np.array(a, dtype=np.float64)
    for k in kinks:
        close = np.abs(a - k) < margin
        a[close] = k + np.where(a[close] >= k, margin, -margin)
    return a


def distinct(shape):
    """Values at least 0.05 apart (no ties for max/min), by drawing distinct integers and scaling."""
    size = int(np.prod(shape))
    return hnp.arrays(np.int64, shape, elements=st.integers(-4 * size - 4, 4 * size + 4), unique=True).map(
        lambda a: a * 0.05
    )


@st.composite
def axes_and_keepdims(draw, ndim):
    """axis=None, one int (maybe negative), or a tuple of axes; and keepdims."""
    kind = draw(st.sampled_from(["none", "int", "tuple"] if ndim else ["none"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(-ndim, ndim - 1))
    else:
        axis = tuple(draw(st.sets(st.integers(0, ndim - 1), min_size=1, max_size=ndim)))
    return axis, draw(st.booleans())


# --------------------------------------------------------------------- elementwise arithmetic

BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "mg.add": (lambda a, b: mg.ops.add(a, b), np.add),
    "mg.div": (lambda a, b: mg.ops.div(a, b), np.divide),
}


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary_ops_broadcast(name, data):
    fn, reference = BINARY[name]
    shape_a, shape_b = data.draw(broadcast_pairs).input_shapes
    a = data.draw(arrays(shape_a))
    b = data.draw(arrays(shape_b))
    if "div" in name:
        b = keep_away(b, [0.0], margin=0.5)  # 1/b is the singularity, not a kink: keep well clear
    check(fn, a, b, expected=reference(a, b))


SCALAR_FORMS = {
    "x + s": (lambda x, s: x + s, lambda x, s: x + s),
    "s + x": (lambda x, s: s + x, lambda x, s: s + x),
    "x - s": (lambda x, s: x - s, lambda x, s: x - s),
    "s - x": (lambda x, s: s - x, lambda x, s: s - x),
    "x * s": (lambda x, s: x * s, lambda x, s: x * s),
    "s * x": (lambda x, s: s * x, lambda x, s: s * x),
    "x / s": (lambda x, s: x / s, lambda x, s: x / s),
    "s / x": (lambda x, s: s / x, lambda x, s: s / x),
}


@pytest.mark.parametrize("form", SCALAR_FORMS)
@given(data=st.data())
def test_python_scalar_on_either_side(form, data):
    fn, reference = SCALAR_FORMS[form]
    x = keep_away(data.draw(arrays(data.draw(shapes))), [0.0], margin=0.5)
    s = data.draw(floats(0.5, 3.0))
    check(lambda x: fn(x, s), x, expected=reference(x, s))


UNARY = {
    # name: (op, numpy formula, lowest value, kinks or singularities to keep away from)
    "neg": (lambda x: -x, np.negative, -2.0, []),
    "exp": (mg.exp, np.exp, -2.0, []),
    "log": (mg.log, np.log, 0.2, []),
    "sqrt": (mg.sqrt, np.sqrt, 0.2, []),
    "abs": (mg.abs, np.abs, -2.0, [0.0]),
    "builtin abs": (abs, np.abs, -2.0, [0.0]),
    "relu": (mg.relu, lambda x: np.maximum(x, 0), -2.0, [0.0]),
    "leaky_relu": (mg.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), -2.0, [0.0]),
    "leaky_relu(0.2)": (lambda x: mg.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), -2.0, [0.0]),
    "sigmoid": (mg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), -4.0, []),
    "tanh": (mg.tanh, np.tanh, -3.0, []),
    "softplus": (mg.softplus, lambda x: np.log1p(np.exp(x)), -4.0, []),
    "log_sigmoid": (mg.log_sigmoid, lambda x: -np.log1p(np.exp(-x)), -4.0, []),
    "softsign": (mg.softsign, lambda x: x / (1 + np.abs(x)), -4.0, [0.0]),  # d2y/dx2 jumps at 0
}


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_unary_ops(name, data):
    fn, reference, low, kinks = UNARY[name]
    x = keep_away(data.draw(arrays(data.draw(shapes), low, max(-low, 2.0))), kinks)
    check(fn, x, expected=reference(x))


@pytest.mark.parametrize("exponent", [0, 1, 2, 3, -1, -2, 0.5, 1.5, -0.5])
@given(data=st.data())
def test_pow_constant_exponent(exponent, data):
    integer = float(exponent).is_integer()
    x = data.draw(arrays(data.draw(shapes), -2.0 if integer else 0.25, 2.0))
    if exponent < 0:
        x = keep_away(x, [0.0], margin=0.5)  # x^-1 has a pole at 0
    check(lambda x: x**exponent, x, expected=np.power(x, float(exponent)))
    check(lambda x: mg.ops.pow(x, exponent), x, second_order=False)


@given(data=st.data())
def test_pow_tensor_exponent_broadcasts(data):
    shape_x, shape_p = data.draw(broadcast_pairs).input_shapes
    x = data.draw(arrays(shape_x, 0.25, 2.0))  # d/dp x^p = x^p log x needs x > 0
    p = data.draw(arrays(shape_p, -2.0, 2.0))
    check(lambda x, p: x**p, x, p, expected=np.power(x, p))


@given(data=st.data())
def test_pow_negative_base_integer_tensor_exponent(data):
    shape_x, shape_p = data.draw(broadcast_pairs).input_shapes
    x = keep_away(data.draw(arrays(shape_x)), [0.0], margin=0.5)
    p = data.draw(hnp.arrays(np.float64, shape_p, elements=st.integers(-2, 3).map(float)))
    check(lambda x: x ** mg.tensor(p), x, expected=np.power(x, p))


def test_pow_tensor_exponent_at_zero_base():
    x, p = t64([0.0, 0.0, 2.0]), t64([2.0, 1.0, 3.0])
    (x**p).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 12.0])
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0, 8.0 * np.log(2.0)])  # d/dp 0^p taken as 0


@given(p=arrays(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), -2.0, 2.0), base=floats(0.5, 3.0))
def test_python_number_to_a_tensor_power(p, base):
    check(lambda p: base**p, p, expected=np.power(base, p))


# --------------------------------------------------------------------- matmul


@st.composite
def matmul_shapes(draw):
    """Shapes of a @ b: 1-D and 2-D operands, batches, and batch axes that broadcast."""
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["1d@1d", "1d@2d", "2d@1d", "2d@2d", "1d@batch", "batch@1d", "batch@batch"]))
    if kind == "1d@1d":
        return (k,), (k,)
    if kind == "1d@2d":
        return (k,), (k, m)
    if kind == "2d@1d":
        return (n, k), (k,)
    if kind == "2d@2d":
        return (n, k), (k, m)
    batches = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=2)
    batch_a, batch_b = draw(batches).input_shapes
    if kind == "1d@batch":
        return (k,), batch_b + (k, m)
    if kind == "batch@1d":
        return batch_a + (n, k), (k,)
    return batch_a + (n, k), batch_b + (k, m)


@given(data=st.data())
def test_matmul(data):
    shape_a, shape_b = data.draw(matmul_shapes())
    a, b = data.draw(arrays(shape_a)), data.draw(arrays(shape_b))
    check(lambda a, b: a @ b, a, b, expected=np.matmul(a, b))


@pytest.mark.parametrize("shape_a, shape_b", [
    ((1, 2, 3), (2, 3, 4)),  # a's batch axis broadcasts
    ((2, 2, 3), (3, 4)),  # b is shared by the batch
    ((2, 1, 2, 3), (3, 3, 2)),  # both broadcast
    ((3,), (2, 3, 4)),  # a vector against a batch
    ((2, 2, 3), (3,)),
])
def test_matmul_batch_broadcasting(shape_a, shape_b):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    check(lambda a, b: a @ b, a, b, expected=np.matmul(a, b))


def test_matmul_rejects_mismatched_shapes_in_one_sentence():
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4, 5\) do not fit"):
        t64(np.ones((2, 3))) @ t64(np.ones((4, 5)))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        mg.matmul(t64(1.0), t64(np.ones(3)))


# --------------------------------------------------------------------- reductions


@pytest.mark.parametrize("name", ["sum", "mean", "var", "logsumexp"])
@given(data=st.data())
def test_reductions_over_axes(name, data):
    x = data.draw(arrays(data.draw(shapes)))
    axis, keepdims = data.draw(axes_and_keepdims(x.ndim))
    reference = {"sum": np.sum, "mean": np.mean, "var": np.var}.get(name)
    if name == "logsumexp":
        expected = np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    else:
        expected = reference(x, axis=axis, keepdims=keepdims)
    check(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims), x, expected=expected)


@given(data=st.data())
def test_unbiased_var(data):
    x = data.draw(arrays(data.draw(nonscalar_shapes)))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    assume(x.shape[axis] > 1)
    check(lambda x: mg.ops.var(x, axis, unbiased=True), x, expected=np.var(x, axis=axis, ddof=1))


@pytest.mark.parametrize("name", ["max", "min"])
@given(data=st.data())
def test_max_min_over_axes(name, data):
    x = data.draw(distinct(data.draw(shapes)))  # no ties: the kink of max and min
    axis, keepdims = data.draw(axes_and_keepdims(x.ndim))
    expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    check(lambda x: getattr(mg, name)(x, axis, keepdims), x, expected=expected)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_and_log_softmax(name, data):
    x = data.draw(arrays(data.draw(nonscalar_shapes), -4.0, 4.0))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    log_p = x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))
    expected = np.exp(log_p) if name == "softmax" else log_p
    check(lambda x: getattr(mg, name)(x, axis), x, expected=expected)


def test_logsumexp_and_log_softmax_do_not_overflow():
    x = t64([1000.0, 1000.0, -1000.0])
    assert np.isclose(mg.logsumexp(x).item(), 1000.0 + np.log(2.0))
    np.testing.assert_allclose(mg.log_softmax(x).numpy(), [-np.log(2), -np.log(2), -2000.0 - np.log(2)])
    grad = mg.grad(mg.logsumexp(x), x)[0]
    np.testing.assert_allclose(grad.numpy(), [0.5, 0.5, 0.0])
    with np.errstate(divide="ignore"):                                  # log 0 is the answer here
        assert mg.logsumexp(t64([-np.inf, -np.inf])).item() == -np.inf  # exp of nothing: log 0


# --------------------------------------------------------------------- shapes


@st.composite
def reshape_targets(draw, shape):
    size = int(np.prod(shape))
    options = [(size,), (-1,), (1, size), (size, 1), shape[::-1], (1,) + shape, shape + (1,)]
    return draw(st.sampled_from(options))


@given(data=st.data())
def test_reshape(data):
    x = data.draw(arrays(data.draw(shapes)))
    target = data.draw(reshape_targets(x.shape))
    check(lambda x: x.reshape(target), x, expected=x.reshape(target))
    check(lambda x: x.view(*target), x, second_order=False)


def test_reshape_rejects_a_wrong_size_in_one_sentence():
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\) into \(4,\)"):
        t64(np.ones((2, 3))).reshape(4)


@given(data=st.data())
def test_permute_transpose_and_T(data):
    x = data.draw(arrays(data.draw(nonscalar_shapes)))
    order = data.draw(st.permutations(range(x.ndim)))
    check(lambda x: x.permute(*order), x, expected=np.transpose(x, order))
    check(lambda x: x.T, x, expected=x.T)
    if x.ndim >= 2:
        dim0, dim1 = data.draw(st.integers(0, x.ndim - 1)), data.draw(st.integers(-x.ndim, -1))
        check(lambda x: mg.transpose(x, dim0, dim1), x, expected=np.swapaxes(x, dim0, dim1))
        check(lambda x: x.mT, x, expected=np.swapaxes(x, -1, -2))


@given(data=st.data())
def test_squeeze_unsqueeze_flatten(data):
    x = data.draw(arrays(data.draw(shapes)))
    axis = data.draw(st.integers(-x.ndim - 1, x.ndim))
    check(lambda x: x.unsqueeze(axis), x, expected=np.expand_dims(x, axis))
    check(lambda x: x.unsqueeze(axis).squeeze(), x, expected=np.squeeze(x))
    check(lambda x: x.unsqueeze(axis).squeeze(axis), x, expected=x)
    if x.ndim:
        start = data.draw(st.integers(-x.ndim, x.ndim - 1))
        end = data.draw(st.integers(start % x.ndim, x.ndim - 1))
        lo, hi = start % x.ndim, end
        expected = x.reshape(x.shape[:lo] + (int(np.prod(x.shape[lo : hi + 1])),) + x.shape[hi + 1 :])
        check(lambda x: x.flatten(start, end), x, expected=expected)
    else:
        check(lambda x: x.flatten(), x, expected=x.reshape(1))


@given(data=st.data())
def test_broadcast_to(data):
    small, _ = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3)).input_shapes
    target = data.draw(hnp.broadcastable_shapes(small, min_dims=len(small), max_dims=3, max_side=3))
    target = np.broadcast_shapes(small, target)
    x = data.draw(arrays(small))
    check(lambda x: x.broadcast_to(target), x, expected=np.broadcast_to(x, target))


def test_broadcast_to_rejects_incompatible_shapes():
    with pytest.raises(ValueError, match=r"cannot broadcast a tensor of shape \(2, 3\) to \(3, 3\)"):
        t64(np.ones((2, 3))).broadcast_to((3, 3))


# --------------------------------------------------------------------- indexing


@given(data=st.data())
def test_basic_indexing_and_slicing(data):
    x = data.draw(arrays(data.draw(shapes)))
    index = data.draw(hnp.basic_indices(x.shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    check(lambda x: x[index], x, expected=x[index])


@given(data=st.data())
def test_integer_array_indexing_with_repeats(data):
    x = data.draw(arrays(data.draw(nonscalar_shapes)))
    n = x.shape[0]
    index = data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6))
    index = index + [index[0]]  # at least one repeat: its two gradients must add up
    check(lambda x: x[index], x, expected=x[index])
    arrays_index = data.draw(hnp.integer_array_indices(x.shape, result_shape=hnp.array_shapes(max_dims=2, max_side=4)))
    check(lambda x: x[arrays_index], x, expected=x[arrays_index])


@given(data=st.data())
def test_mixed_slice_and_array_index(data):
    x = data.draw(arrays(data.draw(hnp.array_shapes(min_dims=2, max_dims=3, max_side=3))))
    rows = np.array(data.draw(st.lists(st.integers(0, x.shape[1] - 1), min_size=1, max_size=4)))
    index = (slice(None), rows)
    check(lambda x: x[index], x, expected=x[index])
    cols = np.array(data.draw(st.lists(st.integers(0, x.shape[-1] - 1), min_size=1, max_size=4)))
    check(lambda x: x[(Ellipsis, mg.tensor(cols))], x, expected=x[(Ellipsis, cols)])


@given(data=st.data())
def test_boolean_mask_indexing(data):
    x = data.draw(arrays(data.draw(nonscalar_shapes)))
    mask = data.draw(hnp.arrays(bool, x.shape))
    check(lambda x: x[mask], x, expected=x[mask])
    check(lambda x: x[mg.tensor(mask)], x, second_order=False)
    rows = data.draw(hnp.arrays(bool, x.shape[:1]))
    check(lambda x: x[rows], x, expected=x[rows])
    check(lambda x: x[rows.tolist()], x, second_order=False)


def test_repeated_index_gradient_counts_each_use():
    x = t64([1.0, 2.0, 3.0])
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


# --------------------------------------------------------------------- joining


@given(data=st.data())
def test_cat(data):
    shape = data.draw(nonscalar_shapes)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    parts = []
    for n in sizes:
        part_shape = list(shape)
        part_shape[axis] = n
        parts.append(data.draw(arrays(tuple(part_shape))))
    check(lambda *ts: mg.cat(ts, axis), *parts, expected=np.concatenate(parts, axis))
    check(lambda *ts: mg.concatenate(list(ts), axis=axis), *parts, second_order=False)


@given(data=st.data())
def test_stack(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    parts = [data.draw(arrays(shape)) for _ in range(data.draw(st.integers(1, 3)))]
    check(lambda *ts: mg.stack(ts, axis), *parts, expected=np.stack(parts, axis))


def test_cat_and_stack_reject_mismatched_shapes():
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(2, 4\) differ off that axis"):
        mg.cat([t64(np.ones((2, 3))), t64(np.ones((2, 4)))], axis=0)
    with pytest.raises(ValueError, match="stack needs tensors of one shape"):
        mg.stack([t64(np.ones(2)), t64(np.ones(3))])
    with pytest.raises(ValueError, match="cat needs at least one tensor, with at least one dimension"):
        mg.cat([t64(1.0), t64(2.0)])
    with pytest.raises(ValueError, match="stack needs at least one tensor"):
        mg.stack([])


# --------------------------------------------------------------------- selection


@given(data=st.data())
def test_where(data):
    triples = hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3)
    shape_c, shape_a, shape_b = data.draw(triples).input_shapes
    condition = data.draw(hnp.arrays(bool, shape_c))
    a, b = data.draw(arrays(shape_a)), data.draw(arrays(shape_b))
    check(lambda a, b: mg.where(condition, a, b), a, b, expected=np.where(condition, a, b))
    check(lambda a: mg.where(mg.tensor(condition), a, 0.5), a, expected=np.where(condition, a, 0.5))


@pytest.mark.parametrize("bounds", [(-0.5, 0.7), (None, 0.3), (-0.2, None)])
@given(data=st.data())
def test_clip(bounds, data):
    low, high = bounds
    x = keep_away(data.draw(arrays(data.draw(shapes))), [b for b in bounds if b is not None])
    check(lambda x: x.clip(low, high), x, expected=np.clip(x, low, high))
    check(lambda x: mg.clamp(x, min=low, max=high), x, second_order=False)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
@given(data=st.data())
def test_maximum_minimum_broadcast(name, data):
    shape_a, shape_b = data.draw(broadcast_pairs).input_shapes
    a, b = data.draw(arrays(shape_a)), data.draw(arrays(shape_b))
    assume(np.all(np.abs(a - b) > MARGIN))  # a == b is the kink
    check(lambda a, b: getattr(mg, name)(a, b), a, b, expected=getattr(np, name)(a, b))
    check(lambda a: getattr(mg, name)(a, 0.25), keep_away(a, [0.25]), second_order=False)


# --------------------------------------------------------------------- third order

THIRD_ORDER = {  # op, input shape: each backward's backward must be built of ops too
    "getitem": (lambda x: x[1:, ::2] * x[[0, 0, 2]][:2, :2].sum(), (3, 4)),
    "mask": (lambda x: x[np.array([True, False, True])] ** 3, (3,)),
    "cat/stack": (lambda x: mg.stack([mg.cat([x, x * x], 0), x.broadcast_to((2, 3)).reshape(6)]) ** 2, (3,)),
    "sum/mean": (lambda x: x.sum(0, keepdims=True) * x.mean(1) ** 2, (2, 2)),
    "permute/matmul": (lambda x: (x @ x.T).permute(1, 0) ** 2, (2, 3)),
    "where/max": (lambda x: mg.where(np.array([True, False]), x ** 3, x.max() * x), (2,)),
    "activations": (lambda x: mg.tanh(x) * mg.sigmoid(x) * mg.softplus(x) * mg.log_sigmoid(x) * mg.exp(x), (3,)),
    "pow/log/sqrt/div": (lambda x: mg.log(x + 3) * mg.sqrt(x + 3) / (x + 4) * (x + 3) ** 1.5, (3,)),
    "power": (lambda x: (x + 3) ** (x * 0.5) + 2.0**x, (3,)),
}


@pytest.mark.parametrize("name", THIRD_ORDER)
def test_third_derivatives(name):
    """gradgradcheck of a gradient: the backward of every backward is differentiable as well."""
    fn, shape = THIRD_ORDER[name]
    x = t64(np.random.default_rng(1).uniform(-1, 1, shape))
    v = mg.tensor(np.random.default_rng(2).standard_normal(fn(x).shape))

    def gradient(x):
        return mg.grad(fn(x), [x], grad_outputs=[v], create_graph=True)[0]

    assert mg.gradgradcheck(gradient, [x])


# --------------------------------------------------------------------- conventions at the kinks


def grad_at(fn, values):
    x = t64(values)
    fn(x).sum().backward()
    return x.grad.numpy()


def test_relu_derivative_at_zero_is_zero():
    np.testing.assert_array_equal(grad_at(mg.relu, [-1.0, 0.0, 1.0]), [0.0, 0.0, 1.0])


def test_leaky_relu_derivative_at_zero_is_the_slope():
    np.testing.assert_array_equal(grad_at(lambda x: mg.leaky_relu(x, 0.2), [-1.0, 0.0, 1.0]), [0.2, 0.2, 1.0])


def test_abs_derivative_at_zero_is_zero():
    np.testing.assert_array_equal(grad_at(mg.abs, [-1.0, 0.0, 1.0]), [-1.0, 0.0, 1.0])


def test_clip_passes_the_gradient_at_its_bounds():
    np.testing.assert_array_equal(grad_at(lambda x: x.clip(-1.0, 1.0), [-2.0, -1.0, 0.0, 1.0, 2.0]), [0, 1, 1, 1, 0])


def test_max_and_min_share_the_gradient_between_ties():
    np.testing.assert_allclose(grad_at(mg.max, [1.0, 3.0, 3.0, 2.0]), [0.0, 0.5, 0.5, 0.0])
    np.testing.assert_allclose(grad_at(lambda x: mg.min(x, axis=1), [[1.0, 1.0, 1.0], [0.0, 1.0, 2.0]]),
                               [[1 / 3, 1 / 3, 1 / 3], [1.0, 0.0, 0.0]])


def test_maximum_and_minimum_split_the_gradient_at_ties():
    a, b = t64([1.0, 2.0, 3.0]), t64([1.0, 1.0, 4.0])
    (mg.maximum(a, b).sum() + 10 * mg.minimum(a, b).sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), [5.5, 1.0, 10.0])
    np.testing.assert_allclose(b.grad.numpy(), [5.5, 10.0, 1.0])


def test_pow_zero_exponent_has_zero_gradient_even_at_zero():
    np.testing.assert_array_equal(grad_at(lambda x: x**0, [0.0, 2.0]), [0.0, 0.0])


# --------------------------------------------------------------------- numerical stability


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_softplus_log_sigmoid_at_large_magnitude(dtype):
    xs = np.array([-1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0])
    x = mg.tensor(xs, dtype=dtype, requires_grad=True)
    tiny = np.exp(-np.abs(xs))  # exact references from float64 math: e^-|x| (0 where it underflows)
    sigmoid = np.where(xs >= 0, 1 / (1 + tiny), tiny / (1 + tiny))
    sigmoid_of_minus_x = np.where(xs >= 0, tiny / (1 + tiny), 1 / (1 + tiny))
    expected = {  # name: (value, derivative)
        "sigmoid": (sigmoid, sigmoid * sigmoid_of_minus_x),
        "softplus": (np.maximum(xs, 0) + np.log1p(tiny), sigmoid),
        "log_sigmoid": (np.minimum(xs, 0) - np.log1p(tiny), sigmoid_of_minus_x),
    }
    rtol = 1e-6 if dtype == "float32" else 1e-14
    tiniest = np.finfo(dtype).smallest_subnormal  # sigmoid(-100) = 3.7e-44 is a float32 subnormal
    for name, (value, derivative) in expected.items():
        y = getattr(mg, name)(x)
        assert y.dtype == np.dtype(dtype)
        assert np.all(np.isfinite(y.numpy())), name
        # relative accuracy, also deep in the tails where e^-|x| is all that is left
        np.testing.assert_allclose(y.numpy(), value, rtol=rtol, atol=tiniest, err_msg=name)
        (g,) = mg.grad(y.sum(), x)
        assert g.dtype == np.dtype(dtype) and np.all(np.isfinite(g.numpy())), name
        # sigmoid' = y (1 - y), the textbook formula: accurate to rounding of 1 - y, so absolutely, not relatively
        atol = np.finfo(dtype).eps if name == "sigmoid" else tiniest
        np.testing.assert_allclose(g.numpy(), derivative, rtol=rtol, atol=atol, err_msg=name)


def test_softplus_tails_keep_relative_precision():
    x = t64([-50.0, 50.0])
    np.testing.assert_allclose(mg.softplus(x).numpy(), [np.exp(-50.0), 50.0 + np.exp(-50.0)], rtol=1e-15)
    np.testing.assert_allclose(mg.log_sigmoid(x).numpy(), [-50.0 - np.exp(-50.0), -np.exp(-50.0)], rtol=1e-15)
    np.testing.assert_allclose(mg.sigmoid(t64([-700.0])).numpy(), [np.exp(-700.0)], rtol=1e-13)


# --------------------------------------------------------------------- every op in float32 stays float32

FLOAT32_OPS = {
    "add": lambda x: x + x, "radd": lambda x: 2.0 + x, "rsub": lambda x: 1 - x, "mul": lambda x: x * 0.5,
    "div": lambda x: x / 3, "rdiv": lambda x: 2 / (x + 3), "pow": lambda x: x**2, "pow.5": lambda x: (x + 3) ** 0.5,
    "rpow": lambda x: 2.0**x, "power": lambda x: (x + 3) ** x,
    "exp": mg.exp, "log": lambda x: mg.log(x + 3), "sqrt": lambda x: mg.sqrt(x + 3),
    "abs": mg.abs, "matmul": lambda x: x @ x.T, "sum": mg.sum, "mean": mg.mean, "var": lambda x: x.var(axis=0),
    "max": mg.max, "min": mg.min, "logsumexp": mg.logsumexp, "softmax": mg.softmax,
    "log_softmax": mg.log_softmax, "reshape": lambda x: x.reshape(-1), "permute": lambda x: x.permute(1, 0),
    "getitem": lambda x: x[[0, 0]], "mask": lambda x: x[x.data > 0], "cat": lambda x: mg.cat([x, x]),
    "stack": lambda x: mg.stack([x, x]), "where": lambda x: mg.where(x.data > 0, x, 0.0),
    "clip": lambda x: x.clip(-0.5, 0.5), "maximum": lambda x: mg.maximum(x, 0.1),
    "minimum": lambda x: mg.minimum(x, 0.1), "relu": mg.relu, "leaky_relu": mg.leaky_relu, "sigmoid": mg.sigmoid,
    "tanh": mg.tanh, "softplus": mg.softplus, "log_sigmoid": mg.log_sigmoid, "softsign": mg.softsign,
    "broadcast_to": lambda x: x.broadcast_to((2, 2, 3)),
}


@pytest.mark.parametrize("name", FLOAT32_OPS)
def test_float32_in_float32_out_and_float32_gradients(name):
    x = mg.tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]), dtype="float32", requires_grad=True)
    y = FLOAT32_OPS[name](x)
    assert y.dtype == np.float32, f"{name} gives {y.dtype}"
    y.sum().backward()
    assert x.grad.dtype == np.float32, f"the gradient of {name} is {x.grad.dtype}"


# --------------------------------------------------------------------- against PyTorch, where it is installed

TORCH_CASES = {  # name: (minigan fn, torch fn (given the torch module), inputs) -- kinks on purpose
    "relu at 0": (mg.relu, lambda t: t.relu, [[-1.0, 0.0, 1.0]]),
    "leaky_relu at 0": (lambda x: mg.leaky_relu(x, 0.2), lambda t: lambda x: t.nn.functional.leaky_relu(x, 0.2),
                        [[-1.0, 0.0, 1.0]]),
    "abs at 0": (mg.abs, lambda t: t.abs, [[-1.0, 0.0, 1.0]]),
    "softsign": (mg.softsign, lambda t: t.nn.functional.softsign, [[-3.0, -0.5, 0.25, 4.0]]),
    # clip off its bounds only: PyTorch's convention at the bounds changed between versions (ours is tested above)
    "clip": (lambda x: x.clip(0.0, 1.0), lambda t: lambda x: x.clamp(0.0, 1.0), [[-1.0, 0.1, 0.5, 0.9, 2.0]]),
    "max ties": (lambda x: x.max(axis=1), lambda t: lambda x: x.amax(dim=1), [[[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]]),
    "min ties": (mg.min, lambda t: t.amin, [[1.0, 1.0, 3.0]]),
    "maximum ties": (mg.maximum, lambda t: t.maximum, [[1.0, 2.0, 3.0], [1.0, 1.0, 4.0]]),
    "minimum ties": (mg.minimum, lambda t: t.minimum, [[1.0, 2.0, 3.0], [1.0, 1.0, 4.0]]),
    "pow": (lambda x, p: x**p * x**3, lambda t: lambda x, p: x**p * x**3, [[0.5, 2.0], [1.5, -1.0]]),
    "tails": (lambda x: mg.sigmoid(x) + mg.softplus(x) * mg.log_sigmoid(x),
              lambda t: lambda x: t.sigmoid(x) + t.nn.functional.softplus(x) * t.nn.functional.logsigmoid(x),
              [[-30.0, -0.3, 0.0, 2.0, 30.0]]),
    "composition": (
        lambda a, b: mg.log_softmax(mg.tanh(a @ b) * mg.exp(b[:2, :1].T), axis=0)[[0, 0, 1]].clip(-3.0, 0.0),
        lambda t: lambda a, b: t.log_softmax(t.tanh(a @ b) * t.exp(b[:2, :1].T), dim=0)[[0, 0, 1]].clamp(-3.0, 0.0),
        [[[0.1, -0.4, 0.9], [0.3, 0.8, -1.2]], [[0.5, -0.2], [1.1, 0.4], [-0.7, 0.6]]],
    ),
    "reductions": (
        lambda x: mg.stack([x.sum(0), x.mean(0), x.var(0), mg.logsumexp(x, 0)]).sqrt().sum(),
        lambda t: lambda x: t.stack([x.sum(0), x.mean(0), x.var(0, unbiased=False), t.logsumexp(x, 0)]).sqrt().sum(),
        [[[1.0, 2.0], [3.0, 0.5], [0.2, 0.7]]],
    ),
}


@pytest.mark.parametrize("name", TORCH_CASES)
def test_first_and_second_derivatives_match_pytorch(name):
    """PyTorch as an independent reference, including the convention at each kink."""
    torch = pytest.importorskip("torch")
    mg_fn, torch_fn, values = TORCH_CASES[name]
    torch_fn = torch_fn(torch)
    rng = np.random.default_rng(0)
    xs = [t64(v) for v in values]
    ts = [torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
    y, y_torch = mg_fn(*xs), torch_fn(*ts)
    np.testing.assert_allclose(y.numpy(), y_torch.detach().numpy(), rtol=1e-12)
    v = rng.standard_normal(y.shape)
    grads = mg.grad(y, xs, grad_outputs=[mg.tensor(v)], create_graph=True)
    grads_torch = torch.autograd.grad(y_torch, ts, grad_outputs=torch.tensor(v), create_graph=True)
    for g, g_torch in zip(grads, grads_torch):
        np.testing.assert_allclose(g.numpy(), g_torch.detach().numpy(), rtol=1e-12, atol=1e-15)
    w = [rng.standard_normal(x.shape) for x in xs]

    def second_derivatives(module, grads, inputs):  # d/dx sum(w * first derivatives); None where there is none
        terms = [(g * module.tensor(wi)).sum() for g, wi in zip(grads, w) if g.requires_grad]
        if not terms:  # piecewise linear (the mask is a constant): the second derivative is zero
            return [None] * len(inputs)
        grad = mg.grad if module is mg else torch.autograd.grad
        return grad(sum(terms), inputs, allow_unused=True)

    pairs = zip(xs, second_derivatives(mg, grads, xs), second_derivatives(torch, grads_torch, ts))
    for x, s, s_torch in pairs:
        expected = np.zeros(x.shape) if s_torch is None else s_torch.detach().numpy(force=True)
        np.testing.assert_allclose(np.zeros(x.shape) if s is None else s.numpy(), expected, rtol=1e-10, atol=1e-14)
