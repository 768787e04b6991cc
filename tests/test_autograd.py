"""The graph and its walk: backward, mg.grad, no_grad, create_graph, graph release, dtypes."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan as mg
from minigan import backend
from minigan.tensor import Tensor


def t64(values, requires_grad=True):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# --------------------------------------------------------------------- backward()


def test_backward_on_a_scalar_fills_leaf_grads():
    x, w = t64([1.0, 2.0, 3.0]), t64([0.5, -1.0, 2.0])
    ((x * w).sum() * 2.0).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * w.numpy())
    np.testing.assert_allclose(w.grad.numpy(), 2 * x.numpy())


def test_backward_on_a_non_scalar_without_a_gradient_is_a_clear_error():
    y = t64([1.0, 2.0]) * 3.0
    with pytest.raises(RuntimeError, match=r"needs a scalar output, got shape \(2,\).*\.sum\(\)"):
        y.backward()


def test_backward_with_an_explicit_gradient():
    x = t64([1.0, 2.0])
    (x * x).backward(mg.tensor(np.array([1.0, 10.0])))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 40.0])
    x.grad = None
    (x * x).backward([3.0, 1.0])  # a list is fine too
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 4.0])


def test_backward_with_a_gradient_of_the_wrong_shape_names_both_shapes():
    y = t64([1.0, 2.0]) * 3.0
    with pytest.raises(RuntimeError, match=r"has shape \(3,\), but the output has shape \(2,\)"):
        y.backward(np.ones(3))


def test_backward_on_a_tensor_that_does_not_require_grad_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        t64([1.0], requires_grad=False).sum().backward()


def test_gradients_accumulate_across_backward_calls():
    x = t64([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0 + 2.0, 3.0 + 4.0])
    x.zero_grad_()
    assert x.grad is None


def test_a_tensor_used_twice_receives_both_gradients():
    x = t64([2.0])
    y = x * x + x  # dy/dx = 2x + 1
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0])


def test_leaf_gradients_are_writable_and_not_shared():
    a, b = t64(np.ones((2, 3))), t64(np.ones((2, 3)))
    seed = mg.tensor(np.ones((2, 3)))
    (a + b).backward(seed)  # add passes the same gradient to both inputs
    assert a.grad.data is not b.grad.data and a.grad.data is not seed.data
    a.grad.data *= 5.0  # an optimizer may scale a gradient in place
    np.testing.assert_array_equal(b.grad.numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(seed.numpy(), np.ones((2, 3)))
    c = t64(np.ones((2, 3)))
    c.sum().backward()  # the gradient of a sum is a broadcast (read-only) view of one number
    c.grad.data += 1.0
    np.testing.assert_array_equal(c.grad.numpy(), np.full((2, 3), 2.0))


def test_detach_cuts_the_graph_and_shares_the_data():
    x = t64([1.0, 2.0])
    d = (x * 2.0).detach()
    assert not d.requires_grad and d.grad_fn is None
    y = (x * d).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])  # d counted as a constant


def test_requires_grad():
    x = mg.tensor([1.0, 2.0])
    assert not x.requires_grad and not (x * 2).requires_grad
    x.requires_grad_()
    y = x * 2
    assert y.requires_grad and y.grad_fn is not None and not y.is_leaf
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        mg.tensor([1, 2]).requires_grad_()
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        mg.tensor([1, 2], requires_grad=True)


def test_no_grad_as_context_manager_and_decorator():
    x = t64([1.0])
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = x * 2
        with mg.enable_grad():
            assert (x * 2).requires_grad
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled() and not y.requires_grad and y.grad_fn is None

    @mg.no_grad()
    def double(t):
        """Doubles."""
        return t * 2

    @mg.no_grad
    def triple(t):
        return t * 3

    assert not double(x).requires_grad and not triple(x).requires_grad
    assert double.__name__ == "double" and double.__doc__ == "Doubles."
    assert mg.is_grad_enabled()

    @mg.enable_grad()
    def inside():
        return (x * 2).requires_grad

    with mg.no_grad():
        assert inside()


def test_no_grad_restores_the_state_after_an_exception():
    with pytest.raises(ZeroDivisionError), mg.no_grad():
        raise ZeroDivisionError
    assert mg.is_grad_enabled()


# --------------------------------------------------------------------- mg.grad


def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    x, w = t64([1.0, 2.0]), t64([3.0, 4.0])
    gx, gw = mg.grad((x * w).sum(), [x, w])
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(gw.numpy(), [1.0, 2.0])
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad  # without create_graph the result is a plain tensor


def test_grad_with_grad_outputs_and_several_outputs():
    x = t64([1.0, 2.0, 3.0])
    y1, y2 = x * x, x * 10.0
    (g,) = mg.grad([y1, y2], [x], grad_outputs=[mg.tensor(np.array([1.0, 0.0, 2.0])), np.ones(3)])
    np.testing.assert_allclose(g.numpy(), [2.0 + 10.0, 10.0, 12.0 + 10.0])
    with pytest.raises(ValueError, match="got 1 grad_outputs for 2 outputs"):
        mg.grad([y1, y2], [x], grad_outputs=[np.ones(3)], retain_graph=True)


def test_grad_allow_unused():
    x, unused = t64([1.0]), t64([2.0])
    with pytest.raises(RuntimeError, match="input 1 of mg.grad was not used.*allow_unused=True"):
        mg.grad((x * 2).sum(), [x, unused], retain_graph=True)
    gx, gu = mg.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gx.numpy(), [2.0])


def test_grad_of_an_input_that_does_not_require_grad_is_a_clear_error():
    x = t64([1.0])
    with pytest.raises(RuntimeError, match="input 1 of mg.grad does not require grad"):
        mg.grad((x * 2).sum(), [x, t64([1.0], requires_grad=False)])


def test_grad_with_respect_to_a_non_leaf():
    x = t64([1.0, 2.0])
    h = x * 3.0
    y = (h * h).sum()
    (gh,) = mg.grad(y, [h])
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())


def test_grad_when_one_input_is_upstream_of_another():
    x = t64([1.5])
    h = x * x  # h depends on x
    y = (h * x).sum()  # y = x^3, through h and directly
    gx, gh = mg.grad(y, [x, h])
    np.testing.assert_allclose(gx.numpy(), 3 * 1.5**2)  # total derivative, both paths
    np.testing.assert_allclose(gh.numpy(), [1.5])  # dy/dh holding x fixed


def test_grad_of_an_output_with_respect_to_itself_is_the_seed():
    x = t64([1.0, 2.0])
    (g,) = mg.grad(x, [x], grad_outputs=[np.array([3.0, 4.0])])
    np.testing.assert_allclose(g.numpy(), [3.0, 4.0])


def test_grad_prunes_ops_that_do_not_lead_to_the_inputs():
    calls = []

    class Spy(mg.Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, gy):
            calls.append(1)
            return gy

    x, w = t64([1.0]), t64([2.0])
    y = (Spy.apply(w) * x).sum()
    mg.grad(y, [x])
    assert calls == []  # the weight's branch was not walked


def test_a_backward_returning_the_wrong_shape_is_a_clear_error():
    class ForgetsToSumTo(mg.Function):
        def forward(self, a, b):
            return a + b

        def backward(self, gz):
            return gz, gz  # wrong when b was broadcast

    a, b = t64(np.ones((2, 3))), t64(np.ones(3))
    with pytest.raises(RuntimeError, match=r"ForgetsToSumTo.backward returned a gradient of shape \(2, 3\) for its "
                                           r"input 1, which has shape \(3,\)"):
        ForgetsToSumTo.apply(a, b).sum().backward()
    with pytest.raises(RuntimeError, match="ForgetsToSumTo.backward returned a gradient of shape"):
        mg.grad(ForgetsToSumTo.apply(a, b).sum(), [b])


# --------------------------------------------------------------------- higher order


def test_create_graph_gives_differentiable_gradients():
    x = t64([0.3, -1.2, 2.0])
    (g,) = mg.grad((x**3).sum(), [x], create_graph=True)
    assert g.requires_grad
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2)
    (gg,) = mg.grad(g.sum(), [x], create_graph=True)
    np.testing.assert_allclose(gg.numpy(), 6 * x.numpy())
    (ggg,) = mg.grad(gg.sum(), [x])
    np.testing.assert_allclose(ggg.numpy(), [6.0, 6.0, 6.0])


def test_backward_with_create_graph_makes_dot_grad_differentiable():
    x = t64([0.5, 2.0])
    (x * x * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (gg,) = mg.grad(x.grad.sum(), [x])
    np.testing.assert_allclose(gg.numpy(), 6 * x.numpy())


def mlp(params, x):
    """A tiny MLP written with tensors: tanh, then leaky_relu, then a linear read-out."""
    w1, b1, w2, b2, w3 = params
    h = mg.tanh(x @ w1 + b1)
    h = mg.leaky_relu(h @ w2 + b2, 0.2)
    return (h @ w3).sum()


def penalty(params, x):
    """||df(x; theta)/dx||^2, the shape of WGAN-GP's gradient penalty."""
    (gx,) = mg.grad(mlp(params, x), [x], create_graph=True)
    return (gx * gx).sum()


def test_gradient_penalty_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (4, 4), (4,), (4, 1)]
    params = [t64(rng.standard_normal(s) * 0.8) for s in shapes]
    x = t64(rng.standard_normal((2, 3)))
    pre = np.tanh(x.numpy() @ params[0].numpy() + params[1].numpy()) @ params[2].numpy() + params[3].numpy()
    assert np.all(np.abs(pre) > 1e-3)  # away from the leaky_relu kink
    value = penalty(params, x)
    # b2 reaches the input-gradient only through leaky_relu's piecewise-constant slope: its gradient is 0
    analytic = mg.grad(value, params, allow_unused=True)
    assert analytic[3] is None
    analytic[3] = mg.tensor(np.zeros(4))
    eps = 1e-6
    for p, g in zip(params, analytic):
        flat = p.data.reshape(-1)
        numeric = np.zeros(flat.size)
        for i in range(flat.size):
            keep = flat[i].item()
            flat[i] = keep + eps
            plus = penalty(params, x).item()
            flat[i] = keep - eps
            minus = penalty(params, x).item()
            flat[i] = keep
            numeric[i] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(g.numpy().reshape(-1), numeric, rtol=1e-5, atol=1e-7)
    # and mg.gradcheck agrees (the same check, done by the library)
    assert mg.gradcheck(lambda *ps: penalty(list(ps), x), params)


# --------------------------------------------------------------------- depth and graph release


def test_a_chain_of_ten_thousand_ops_does_not_recurse():
    x = t64([1.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**10_000], rtol=1e-9)


def test_deep_graph_with_a_low_recursion_limit():
    """The walk is iterative: it works with far fewer frames than the graph is deep."""
    code = """
import math, sys
import minigan as mg
x = mg.tensor([0.5], dtype="float64", requires_grad=True)
y = x
for _ in range(3000):
    y = y + mg.tanh(y) * 0.001
z = x
for _ in range(3000):
    z = mg.tanh(z)
sys.setrecursionlimit(100)
y.sum().backward()
(gz,) = mg.grad(z.sum(), [x], create_graph=True)
(ggz,) = mg.grad(gz.sum(), [x])  # second order: a graph of gradients, twice as deep
print("ok", math.isfinite(x.grad.item()), x.grad.item() > 0, math.isfinite(ggz.item()))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["ok", "True", "True", "True"]


def test_the_graph_is_released_after_backward():
    x = t64([1.0, 2.0])
    y = (mg.exp(x) * 2.0).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        mg.grad(y, [x])


def test_retain_graph_allows_a_second_backward():
    x = t64([1.0, 2.0])
    y = (mg.exp(x) * 2.0).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4.0 * np.exp(x.numpy()))
    z = (x * x).sum()
    mg.grad(z, [x], retain_graph=True)
    mg.grad(z, [x])  # mg.grad frees the graph too unless retained


# --------------------------------------------------------------------- comparisons and dtypes


def test_comparisons_return_non_differentiable_tensors():
    x = t64([1.0, 2.0, 3.0])
    for result in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2, x > mg.tensor([0.0, 5.0, 1.0])):
        assert isinstance(result, Tensor) and result.dtype == bool
        assert not result.requires_grad and result.grad_fn is None
    np.testing.assert_array_equal((x > 1.5).numpy(), [False, True, True])


SCALARS = [2.0, 2, np.float64(2.0), np.float32(2.0), np.array(2.0), np.int64(2), True]


@pytest.mark.parametrize("scalar", SCALARS, ids=lambda s: f"{type(s).__name__}")
def test_python_and_numpy_scalars_keep_float32(scalar):
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert x.dtype == np.float32
    results = [x + scalar, scalar + x, x - scalar, scalar - x, x * scalar, scalar * x, x / scalar, scalar / x,
               x**scalar, mg.maximum(x, scalar), mg.where(x > 1, x, scalar), x.clip(scalar, None),
               mg.leaky_relu(x, scalar * 0.1), mg.ops.pow(x, scalar)]
    for i, r in enumerate(results):
        assert r.dtype == np.float32, f"result {i} is {r.dtype}"
    sum(r.sum() for r in results).backward()
    assert x.grad.dtype == np.float32


def test_float64_stays_float64_and_float32_gradients_stay_float32():
    x = mg.tensor(np.ones(3), requires_grad=True)
    assert x.dtype == np.float64 and (x * 2.0).dtype == np.float64
    y = mg.tensor([1.0, 2.0], requires_grad=True)
    (y * mg.tensor(np.float64(3.0))).sum().backward()  # NEP 50 would make this product float64 ...
    assert y.grad.dtype == np.float32  # ... but a gradient always has its tensor's dtype


def test_reused_scalar_constants_keep_their_value_and_sign():
    x = mg.tensor([1.0, 2.0])
    assert np.signbit((x * -0.0).numpy()).all() and not np.signbit((x * 0.0).numpy()).any()
    assert (x * 2).numpy().tolist() == [2.0, 4.0] and (x * 2.5).numpy().tolist() == [2.5, 5.0]
    assert (mg.tensor(np.ones(2)) * 2.5).dtype == np.float64 and (x * 2.5).dtype == np.float32


def test_numpy_sees_a_tensor_as_its_host_array():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert np.asarray(x).dtype == np.float32 and np.asarray(x, dtype=np.float64).tolist() == [1.0, 2.0]
    assert isinstance(np.ones(2) * x, Tensor)  # NumPy defers to Tensor's operators


def test_tensor_constructor_dtypes():
    assert mg.tensor(1.5).dtype == np.float32 and mg.tensor([1.0, 2.0]).dtype == np.float32
    assert mg.tensor([1, 2]).dtype.kind == "i"
    assert mg.tensor(np.ones(2)).dtype == np.float64
    assert mg.tensor([1, 2], dtype="float64").dtype == np.float64
    assert mg.tensor(mg.tensor([1.0])).dtype == np.float32


def test_op_results_are_arrays_not_numpy_scalars():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    for t in (x.sum(), x[0], mg.exp(x.sum()), x.max(), x[0] * x[1]):
        assert isinstance(t.data, backend.xp.ndarray) and t.shape == ()


def test_item_float_bool_and_repr():
    x = mg.tensor([2.5], requires_grad=True)
    assert x.item() == 2.5 and float(x) == 2.5 and bool(x > 1)
    assert "requires_grad=True" in repr(x) and "grad_fn=<MulBackward>" in repr(x * 2)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(mg.tensor([1.0, 2.0]))


@given(values=hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=3), elements=st.floats(-3, 3)))
def test_backward_of_sum_of_squares_is_twice_x(values):
    x = t64(values)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * values)
    assert x.grad.shape == x.shape
