"""Tests for the layer ops (minigan/ops/nn.py, minigan.functional) and the Module API (minigan/nn/module.py)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
import minigan.functional as F
from minigan import backend, nn
from minigan.backend import xp
from minigan.ops.nn import BatchNorm, Normalize, batch_norm_backward, batch_norm_backward_fast
from minigan.tensor import Tensor

seeds = st.integers(0, 2**31 - 1)


def randn(*shape, requires_grad=True, scale=1.0, shift=0.0):
    """A float64 tensor of N(shift, scale^2) samples from minigan's seeded generator."""
    return mg.tensor(backend.randn(*shape, dtype="float64") * scale + shift, requires_grad=requires_grad)


def close(a, b, atol=1e-10, rtol=1e-7):
    a = a.data if isinstance(a, Tensor) else a
    b = b.data if isinstance(b, Tensor) else b
    return a.shape == b.shape and bool(xp.allclose(a, b, atol=atol, rtol=rtol))


# ===================================================================== linear


@given(lead=st.lists(st.integers(1, 3), min_size=0, max_size=2), fan_in=st.integers(1, 4),
       fan_out=st.integers(1, 4), bias=st.booleans(), seed=seeds)
def test_linear_values_and_gradients_to_second_order(lead, fan_in, fan_out, bias, seed):
    mg.manual_seed(seed)
    x, w = randn(*lead, fan_in), randn(fan_out, fan_in)
    b = randn(fan_out) if bias else None
    y = F.linear(x, w, b)
    expected = xp.matmul(x.data, w.data.T) + (b.data if bias else 0.0)
    assert y.shape == tuple(lead) + (fan_out,) and close(y, expected)
    inputs = [x, w] + ([b] if bias else [])
    fn = lambda *args: F.linear(*args)  # noqa: E731
    assert mg.gradcheck(fn, inputs)
    assert mg.gradgradcheck(fn, inputs)


def test_linear_feature_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*\(4, 5\)"):
        F.linear(randn(2, 3), randn(4, 5))


# ===================================================================== batch norm


def numpy_batch_norm(x, weight, bias, axes, eps):
    mu = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mu) / xp.sqrt(var + eps) * weight + bias


bn_shapes = st.one_of(
    st.tuples(st.integers(2, 5), st.integers(1, 3)),  # (N, C)
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(2, 3)),  # (N, C, L), N = 1 legal
    st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 3), st.integers(2, 3)),  # (N, C, H, W)
)


@given(shape=bn_shapes, scale=st.floats(0.3, 3.0), shift=st.floats(-2.0, 2.0), affine=st.booleans(), seed=seeds)
def test_batch_norm_training_values_and_gradients_to_second_order(shape, scale, shift, affine, seed):
    mg.manual_seed(seed)
    c = shape[1]
    x = randn(*shape, scale=scale, shift=shift)
    w, b = (randn(c), randn(c)) if affine else (None, None)
    fn = lambda x, *wb: F.batch_norm(x, None, None, *wb, training=True)  # noqa: E731
    inputs = [x] + ([w, b] if affine else [])
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = (1, c) + (1,) * (len(shape) - 2)
    expected = numpy_batch_norm(
        x.data, w.data.reshape(bshape) if affine else 1.0, b.data.reshape(bshape) if affine else 0.0, axes, 1e-5
    )
    assert close(fn(*inputs), expected)
    assert mg.gradcheck(fn, inputs)
    assert mg.gradgradcheck(fn, inputs)


def test_batch_norm_double_backward_treats_sigma_as_a_function_of_x():
    """Mutation test: a BatchNorm whose recorded backward holds 1/sigma constant must fail gradgradcheck."""

    class ConstantSigma(BatchNorm):
        def _normalized(self, x):
            return Tensor((x.data - self.mean) * self.inv_std), Tensor(self.inv_std)

    mg.manual_seed(0)
    x, w, b = randn(4, 3), randn(3), randn(3)

    def wrong(x, w, b):
        return ConstantSigma.apply(x, w.reshape(1, 3), b.reshape(1, 3), axes=(0,), eps=1e-5)

    def right(x, w, b):
        return F.batch_norm(x, None, None, w, b, training=True)

    assert close(wrong(x, w, b), right(x, w, b))
    assert mg.gradcheck(wrong, [x, w, b])  # first order cannot tell them apart
    with pytest.raises(mg.GradcheckError, match="second-derivative mismatch"):
        mg.gradgradcheck(wrong, [x, w, b])
    assert mg.gradgradcheck(right, [x, w, b])


@given(shape=bn_shapes, layer_norm=st.booleans(), seed=seeds)
def test_normalize_backward_with_and_without_graph_agree(shape, layer_norm, seed):
    """The recorded backward recomputes x̂ and 1/sigma with ops; the plain one reuses the forward's: same numbers."""
    mg.manual_seed(seed)
    if layer_norm:
        x, w, b = randn(*shape), randn(*shape[1:]), randn(*shape[1:])
        y = F.layer_norm(x, shape[1:], w, b)
        assert isinstance(y.grad_fn, Normalize)
    else:
        x, w, b = randn(*shape), randn(shape[1]), randn(shape[1])
        y = F.batch_norm(x, None, None, w, b, training=True)
        assert isinstance(y.grad_fn, BatchNorm)
    v = randn(*y.shape, requires_grad=False)
    fast = mg.grad(y, [x, w, b], grad_outputs=v, retain_graph=True)
    recorded = mg.grad(y, [x, w, b], grad_outputs=v, create_graph=True)
    for a, r in zip(fast, recorded):
        assert close(a, r, atol=1e-12)


@given(shape=bn_shapes, needs=st.tuples(st.booleans(), st.booleans(), st.booleans()), seed=seeds)
def test_fast_batch_norm_backward_matches_the_formula(shape, needs, seed):
    """batch_norm_backward_fast (arrays, in place; what runs without create_graph) against batch_norm_backward."""
    mg.manual_seed(seed)
    x, g = randn(*shape, requires_grad=False), randn(*shape, requires_grad=False)
    weight = randn(1, shape[1], *([1] * (len(shape) - 2)), requires_grad=False)
    axes = (0,) + tuple(range(2, len(shape)))
    mean = x.data.mean(axis=axes, keepdims=True)
    inv_std = Tensor(1.0 / xp.sqrt(((x.data - mean) ** 2).mean(axis=axes, keepdims=True) + 1e-5))
    x_hat = Tensor((x.data - mean) * inv_std.data)
    g_before = g.numpy()
    with mg.no_grad():
        fast = batch_norm_backward_fast(g, x_hat, weight, inv_std, axes, needs)
        formula = batch_norm_backward(g, x_hat, weight, inv_std, axes, needs)
    assert (g.numpy() == g_before).all()  # in place on its own temporaries only
    for f, r, needed in zip(fast, formula, needs):
        assert (f is None) == (r is None) == (not needed)
        assert f is None or close(f, r, atol=1e-12)


@given(n=st.integers(2, 6), c=st.integers(1, 3), momentum=st.floats(0.01, 1.0), steps=st.integers(1, 3), seed=seeds)
def test_batch_norm_running_stats_use_momentum_and_unbiased_variance(n, c, momentum, steps, seed):
    mg.manual_seed(seed)
    running_mean = Tensor(xp.zeros(c))
    running_var = Tensor(xp.ones(c))
    expected_mean, expected_var = xp.zeros(c), xp.ones(c)
    for _ in range(steps):
        x = randn(n, c, 2, requires_grad=False)
        F.batch_norm(x, running_mean, running_var, training=True, momentum=momentum)
        values = x.data.transpose(1, 0, 2).reshape(c, -1)
        expected_mean = (1 - momentum) * expected_mean + momentum * values.mean(axis=1)
        expected_var = (1 - momentum) * expected_var + momentum * values.var(axis=1, ddof=1)
    assert close(running_mean, expected_mean) and close(running_var, expected_var)


@given(shape=bn_shapes, seed=seeds)
def test_batch_norm_evaluation_uses_running_stats_and_is_checked_to_second_order(shape, seed):
    mg.manual_seed(seed)
    c = shape[1]
    running_mean = randn(c, requires_grad=False)
    running_var = Tensor(xp.exp(backend.randn(c, dtype="float64")))
    x, w, b = randn(*shape), randn(c), randn(c)
    bshape = (1, c) + (1,) * (len(shape) - 2)
    before = running_mean.data.copy()

    def fn(x, w, b):
        return F.batch_norm(x, running_mean, running_var, w, b, training=False)

    expected = (x.data - running_mean.data.reshape(bshape)) / xp.sqrt(running_var.data.reshape(bshape) + 1e-5)
    assert close(fn(x, w, b), expected * w.data.reshape(bshape) + b.data.reshape(bshape))
    assert close(running_mean, before)  # evaluation leaves the statistics alone
    assert mg.gradcheck(fn, [x, w, b]) and mg.gradgradcheck(fn, [x, w, b])


def test_batch_norm_training_with_one_value_per_channel_is_a_clear_error():
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 4\)"):
        F.batch_norm(randn(1, 4), None, None, training=True)
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 4, 1, 1\)"):
        F.batch_norm(randn(1, 4, 1, 1), None, None, training=True)
    F.batch_norm(randn(1, 4, 1, 2), None, None, training=True)  # two values per channel: fine


# ===================================================================== layer norm


@given(lead=st.lists(st.integers(1, 3), min_size=1, max_size=2),
       normalized=st.lists(st.integers(1, 3), min_size=1, max_size=2).filter(lambda s: math.prod(s) > 1),
       affine=st.booleans(), seed=seeds)
def test_layer_norm_values_and_gradients_to_second_order(lead, normalized, affine, seed):
    mg.manual_seed(seed)
    x = randn(*lead, *normalized, scale=2.0, shift=1.0)
    w, b = (randn(*normalized), randn(*normalized)) if affine else (None, None)
    fn = lambda x, *wb: F.layer_norm(x, normalized, *wb)  # noqa: E731
    inputs = [x] + ([w, b] if affine else [])
    axes = tuple(range(len(lead), len(lead) + len(normalized)))
    expected = numpy_batch_norm(x.data, w.data if affine else 1.0, b.data if affine else 0.0, axes, 1e-5)
    assert close(fn(*inputs), expected)
    assert mg.gradcheck(fn, inputs) and mg.gradgradcheck(fn, inputs)


def test_layer_norm_wrong_trailing_shape_is_named():
    with pytest.raises(ValueError, match=r"\(4,\).*\(2, 3\)"):
        F.layer_norm(randn(2, 3), 4)


# ===================================================================== dropout


@given(p=st.floats(0.05, 0.95), seed=seeds)
def test_dropout_zeroes_about_p_and_scales_the_rest(p, seed):
    mg.manual_seed(seed)
    x = mg.tensor(xp.ones((100, 100)))
    y = F.dropout(x, p).data
    kept = y != 0
    assert bool(xp.allclose(y[kept], 1.0 / (1.0 - p)))
    assert abs(float(kept.mean()) - (1 - p)) < 0.05  # 10,000 draws: 5 % is over 10 standard deviations


def test_dropout_is_seeded_is_identity_in_eval_and_handles_the_ends():
    x = randn(20, 30)
    mg.manual_seed(3)
    a = F.dropout(x, 0.5)
    mg.manual_seed(3)
    b = F.dropout(x, 0.5)
    assert close(a, b) and not close(a, x)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).data.any()
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


@given(p=st.floats(0.1, 0.9), seed=seeds)
def test_dropout_gradient_is_the_scaled_mask(p, seed):
    mg.manual_seed(seed)
    x = randn(3, 4)

    def fn(x):
        mg.manual_seed(seed)  # the same mask on every call of the finite differences
        return F.dropout(x, p)

    y = fn(x)
    y.sum().backward()
    assert close(x.grad, (y.data != 0) / (1.0 - p))
    assert mg.gradcheck(fn, [x]) and mg.gradgradcheck(fn, [x])


# ===================================================================== embedding


@given(num=st.integers(1, 5), dim=st.integers(1, 3), index_shape=st.lists(st.integers(1, 4), max_size=2), seed=seeds)
def test_embedding_gathers_rows_and_scatter_adds_gradients(num, dim, index_shape, seed):
    mg.manual_seed(seed)
    weight = randn(num, dim)
    indices = mg.tensor(backend.randint(0, num, tuple(index_shape)))
    y = F.embedding(indices, weight)
    assert y.shape == tuple(index_shape) + (dim,) and close(y, weight.data[indices.data])
    g = randn(*y.shape, requires_grad=False)
    (grad,) = mg.grad(y, [weight], grad_outputs=g)
    expected = xp.zeros((num, dim))
    for k in range(num):  # row k collects the gradient of every position that looked it up
        expected[k] = g.data.reshape(-1, dim)[indices.data.reshape(-1) == k].sum(axis=0)
    assert close(grad, expected)
    assert mg.gradcheck(lambda w: F.embedding(indices, w), [weight])
    assert mg.gradgradcheck(lambda w: F.embedding(indices, w), [weight])


def test_embedding_rejects_bad_indices():
    weight = randn(4, 2)
    with pytest.raises(IndexError, match="index 4 is out of range for a table of 4 rows"):
        F.embedding([0, 4], weight)
    with pytest.raises(IndexError, match="index -1"):
        F.embedding([-1], weight)
    with pytest.raises(TypeError, match="integers"):
        F.embedding(mg.tensor([0.0, 1.0]), weight)


# ===================================================================== binary cross-entropy with logits


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=2), seed=seeds)
def test_bce_with_logits_matches_the_definition_and_its_gradient(shape, seed):
    mg.manual_seed(seed)
    a, y = randn(*shape, scale=3.0), mg.tensor(backend.rand(*shape, dtype="float64"), requires_grad=True)
    p = 1 / (1 + xp.exp(-a.data))
    definition = -(y.data * xp.log(p) + (1 - y.data) * xp.log(1 - p))
    assert close(F.binary_cross_entropy_with_logits(a, y, reduction="none"), definition)
    assert close(F.binary_cross_entropy_with_logits(a, y, reduction="sum"), definition.sum())
    loss = F.binary_cross_entropy_with_logits(a, y)
    assert close(loss, definition.mean())
    ga, gy = mg.grad(loss, [a, y])
    assert close(ga, (p - y.data) / a.size) and close(gy, -a.data / a.size)
    fn = lambda a, y: F.binary_cross_entropy_with_logits(a, y, reduction="none")  # noqa: E731
    assert mg.gradcheck(fn, [a, y]) and mg.gradgradcheck(fn, [a, y])


def test_bce_with_logits_is_stable_for_huge_logits():
    a = mg.tensor([-1000.0, -50.0, 50.0, 1000.0], dtype="float32", requires_grad=True)
    y = mg.tensor([1.0, 0.0, 1.0, 0.0], dtype="float32")
    loss = F.binary_cross_entropy_with_logits(a, y, reduction="none")
    assert close(loss, xp.asarray([1000.0, 0.0, 0.0, 1000.0], dtype="float32"), atol=1e-6)
    loss.sum().backward()
    assert close(a.grad, xp.asarray([-1.0, 0.0, 0.0, 1.0], dtype="float32"), atol=1e-6)  # sigmoid(a) - y


def test_bce_with_logits_weight_and_errors():
    a, y = randn(3), mg.tensor(xp.asarray([0.0, 1.0, 1.0]))
    w = mg.tensor(xp.asarray([1.0, 2.0, 0.0]))
    unweighted = F.binary_cross_entropy_with_logits(a, y, reduction="none")
    assert close(F.binary_cross_entropy_with_logits(a, y, w, reduction="none"), unweighted.data * w.data)
    assert close(F.binary_cross_entropy_with_logits(a, 1.0 * y), unweighted.data.mean())
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        F.binary_cross_entropy_with_logits(a, mg.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="reduction"):
        F.binary_cross_entropy_with_logits(a, y, reduction="avg")


def test_functional_has_pytorchs_names():
    for name in ("linear conv2d conv_transpose2d batch_norm layer_norm leaky_relu relu sigmoid tanh softplus "
                 "log_sigmoid dropout embedding binary_cross_entropy_with_logits").split():
        assert callable(getattr(F, name)), name
    x = randn(3)
    assert close(F.leaky_relu(x, 0.2), mg.leaky_relu(x, 0.2)) and close(F.softplus(x), mg.softplus(x))


# ===================================================================== Module API


class Block(nn.Module):
    """A module with a parameter, a buffer and children, as a user would write one."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.LeakyReLU(0.2))
        self.head = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(xp.ones(2, dtype="float32"))
        self.register_buffer("calls", Tensor(xp.zeros((), dtype="int64")))

    def forward(self, x):
        self.calls = Tensor(self.calls.data + 1)
        return self.head(self.net(x)) * self.scale


def test_named_parameters_are_dotted_and_in_registration_order():
    names = [name for name, _ in Block().named_parameters()]
    assert names == ["scale", "net.0.weight", "net.0.bias", "net.1.weight", "net.1.bias", "head.weight"]
    assert [n for n, _ in nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).named_parameters()] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]


def test_deepcopy_gives_an_independent_module():
    """copy.deepcopy(G) is how an EMA copy of a generator starts."""
    import copy

    block = Block()
    twin = copy.deepcopy(block)
    assert [n for n, _ in twin.named_parameters()] == [n for n, _ in block.named_parameters()]
    assert twin.net[0].weight is not block.net[0].weight
    assert close(twin.net[0].weight, block.net[0].weight, atol=0, rtol=0)
    twin.net[0].weight.data += 1.0
    assert not close(twin.net[0].weight, block.net[0].weight)
    assert [n for n, _ in block.head.named_parameters(prefix="head")] == ["head.weight"]


def test_children_modules_buffers_and_shared_parameters():
    block = Block()
    assert [type(m).__name__ for m in block.children()] == ["Sequential", "Linear"]
    assert [type(m).__name__ for m in block.modules()] == [
        "Block", "Sequential", "Linear", "BatchNorm1d", "LeakyReLU", "Linear"]
    assert [n for n, _ in block.named_buffers()] == [
        "calls", "net.1.running_mean", "net.1.running_var", "net.1.num_batches_tracked"]
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2  # a shared layer's parameters come once
    block(randn(5, 3, requires_grad=False).astype("float32"))
    assert int(block.calls.data) == 1 and "calls" in dict(block.named_buffers())  # reassigning keeps a buffer


def test_train_eval_zero_grad_and_apply():
    block = Block()
    assert block.eval() is block and not any(m.training for m in block.modules())
    block.train()
    assert all(m.training for m in block.modules())
    block(randn(5, 3, requires_grad=False).astype("float32")).sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    block.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())
    seen = []
    assert block.apply(lambda m: seen.append(type(m).__name__)) is block
    assert seen[-1] == "Block" and seen.count("Linear") == 2


def test_requires_grad_false_freezes_parameters_but_passes_gradients_through():
    mg.manual_seed(0)
    d = nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.2), nn.Linear(4, 1)).double()
    assert d.requires_grad_(False) is d
    z = randn(5, 3)
    d(z).sum().backward()
    assert all(p.grad is None and not p.requires_grad for p in d.parameters())
    assert z.grad is not None and z.grad.shape == (5, 3)
    d.requires_grad_(True)
    d(z).sum().backward()
    assert all(p.grad is not None for p in d.parameters())


def test_state_dict_holds_host_copies_including_buffers():
    block = Block()
    state = block.state_dict()
    assert list(state) == [
        "scale", "calls", "net.0.weight", "net.0.bias", "net.1.weight", "net.1.bias", "net.1.running_mean",
        "net.1.running_var", "net.1.num_batches_tracked", "head.weight"]
    assert all(backend.to_numpy(v) is v for v in state.values())  # already host NumPy arrays
    assert str(state["net.1.num_batches_tracked"].dtype) == "int64" and state["net.1.running_var"].shape == (4,)
    before = state["head.weight"].copy()
    block.head.weight.data += 1.0
    assert (state["head.weight"] == before).all()  # a snapshot, not a view of the live weights


def test_load_state_dict_round_trip_gives_the_same_outputs():
    mg.manual_seed(1)
    a = Block()
    a(randn(6, 3, requires_grad=False).astype("float32"))  # move the running statistics
    mg.manual_seed(2)
    b = Block()
    x = randn(4, 3, requires_grad=False).astype("float32")
    a.eval()
    b.eval()
    assert not close(a(x), b(x))
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert close(a(x), b(x), atol=0, rtol=0)
    assert int(b.net[1].num_batches_tracked.data) == 1


def test_load_state_dict_strict_errors_name_keys_and_both_shapes():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    state = model.state_dict()
    wrong_shape = dict(state, **{"0.weight": xp.zeros((5, 3))})
    with pytest.raises(RuntimeError, match=r"0\.weight.*\(5, 3\).*\(4, 3\)"):
        model.load_state_dict(wrong_shape)
    with pytest.raises(RuntimeError, match=r"0\.weight.*\(5, 3\).*\(4, 3\)"):
        model.load_state_dict(wrong_shape, strict=False)  # shapes are checked even when not strict
    renamed = {("first.weight" if k == "0.weight" else k): v for k, v in state.items()}
    with pytest.raises(RuntimeError, match=r"missing keys: '0\.weight'(.|\n)*unexpected keys: 'first\.weight'"):
        model.load_state_dict(renamed)
    before = model[0].weight.numpy()
    result = model.load_state_dict(renamed, strict=False)
    assert result.missing_keys == ["0.weight"] and result.unexpected_keys == ["first.weight"]
    assert (model[0].weight.numpy() == before).all()


def test_to_double_and_float_convert_parameters_and_float_buffers_in_place():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    weight = model[0].weight
    assert model.double() is model
    assert all(str(t.dtype) == "float64" for t in model.parameters())
    assert str(model[1].running_mean.dtype) == "float64" and str(model[1].num_batches_tracked.dtype) == "int64"
    assert model[0].weight is weight  # the same Parameter, so an optimizer holding it still works
    x = randn(4, 2, requires_grad=False)
    assert str(model(x).dtype) == "float64"
    model.float()
    assert all(str(t.dtype) == "float32" for t in model.parameters())
    model.to("float64")
    assert str(model[1].running_var.dtype) == "float64"
    with pytest.raises(TypeError, match="dtype"):
        model.to("cuda")


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(xp.zeros((2, 2)))
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor(") and "requires_grad=True" in repr(p)
    assert not nn.Parameter(xp.zeros(2), requires_grad=False).requires_grad
    assert str(nn.Parameter([1.0, 2.0]).dtype) == "float32"


def test_assigning_a_plain_tensor_over_a_parameter_is_refused():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        layer.weight = Tensor(xp.zeros((2, 2)))
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    layer.weight = nn.Parameter(xp.zeros((2, 2), dtype="float32"))
    assert not layer.weight.data.any()


def test_module_without_super_init_gets_a_clear_error():
    class Forgot(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="super"):
        Forgot()


def test_sequential_indexing_slicing_and_repr():
    model = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1, bias=False))
    assert len(model) == 3 and isinstance(model[-1], nn.Linear) and model[1].negative_slope == 0.2
    assert [type(m).__name__ for m in model] == ["Linear", "LeakyReLU", "Linear"]
    head = model[1:]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    assert list(head.state_dict()) == ["2.weight"]
    with pytest.raises(IndexError, match="out of range"):
        model[3]
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=784, out_features=256)\n"
        "  (1): LeakyReLU(negative_slope=0.2)\n"
        "  (2): Linear(in_features=256, out_features=1, bias=False)\n"
        ")"
    )
    nested = nn.Sequential(nn.Sequential(nn.Tanh()), nn.Sigmoid())
    assert repr(nested) == "Sequential(\n  (0): Sequential(\n    (0): Tanh()\n  )\n  (1): Sigmoid()\n)"


def test_module_list_registers_its_modules():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 3)])
    layers.append(nn.Linear(3, 1))
    assert len(layers) == 3 and isinstance(layers[2], nn.Linear)
    assert [n for n, _ in layers.named_parameters()][-2:] == ["2.weight", "2.bias"]


def test_call_runs_forward_and_missing_forward_is_named():
    class Double(nn.Module):
        def forward(self, x, factor=2.0):
            return x * factor

    x = randn(2)
    assert close(Double()(x, factor=3.0), x.data * 3.0)
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        nn.Module()(x)
