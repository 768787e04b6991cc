"""Tests for minigan.optim: each update rule against a hand computation, state dicts that resume exactly, errors."""

import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan import backend, optim
from minigan.tensor import Tensor


def host(t):
    return backend.to_numpy(t.data if isinstance(t, Tensor) else t)


def param(array, dtype="float64"):
    return mg.tensor(np.asarray(array, dtype=dtype), requires_grad=True)


def set_grad(p, g):
    p.grad = Tensor(backend.asarray(np.asarray(g, dtype=host(p).dtype)))


def gradient_stream(seed, shape, steps):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(steps)]


# ------------------------------------------------------------------ the reference rules, written independently in NumPy


def sgd_reference(theta, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    theta, buf = theta.copy(), None
    for g in grads:
        d = g + weight_decay * theta
        if momentum:
            buf = d.copy() if buf is None else momentum * buf + (1 - dampening) * d
            d = d + momentum * buf if nesterov else buf
        theta = theta - lr * d
    return theta


def adam_reference(theta, grads, lr, beta1, beta2, eps, weight_decay=0.0):
    """PyTorch's own arrangement: step_size = lr / bc1, denom = sqrt(v) / sqrt(bc2) + eps."""
    theta, m, v = theta.copy(), np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        d = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * d
        v = beta2 * v + (1 - beta2) * d * d
        denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + eps
        theta = theta - (lr / (1 - beta1**t)) * m / denom
    return theta


def rmsprop_reference(theta, grads, lr, alpha, eps, weight_decay=0.0, momentum=0.0, centered=False):
    theta = theta.copy()
    v, buf, gbar = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    for g in grads:
        d = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * d * d
        var = v
        if centered:
            gbar = alpha * gbar + (1 - alpha) * d
            var = v - gbar * gbar
        step = d / (np.sqrt(var) + eps)
        if momentum > 0:
            buf = momentum * buf + step
            step = buf
        theta = theta - lr * step
    return theta


def run(opt_class, theta0, grads, **hyper):
    p = param(theta0)
    opt = opt_class([p], **hyper)
    for g in grads:
        set_grad(p, g)
        opt.step()
    return host(p)


# ------------------------------------------------------------------ single steps by hand


def test_sgd_one_step_is_theta_minus_lr_g():
    p = param([1.0, -2.0, 3.0])
    set_grad(p, [0.5, 0.25, -1.0])
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(host(p), [1.0 - 0.05, -2.0 - 0.025, 3.0 + 0.1], rtol=0, atol=1e-15)


def test_sgd_momentum_two_steps_by_hand():
    p = param([1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    set_grad(p, [2.0])
    opt.step()                      # b1 = g1 = 2          -> 1 - 0.1 * 2 = 0.8
    set_grad(p, [1.0])
    opt.step()                      # b2 = 0.9 * 2 + 1 = 2.8 -> 0.8 - 0.28 = 0.52
    np.testing.assert_allclose(host(p), [0.52], rtol=1e-14)


def test_adam_first_step_moves_each_weight_by_lr_whatever_the_gradient_scale():
    # t = 1: m^ = g, v^ = g^2, so the step is lr * g / (|g| + eps), about lr * sign(g).
    g = np.array([1e-3, -5.0, 200.0])
    p = param([0.0, 0.0, 0.0])
    set_grad(p, g)
    optim.Adam([p], lr=0.01).step()
    np.testing.assert_allclose(host(p), -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adam_bias_correction_two_steps_by_hand():
    b1, b2, lr, eps = 0.5, 0.999, 0.1, 1e-8
    g1, g2 = 1.0, 3.0
    m1, v1 = (1 - b1) * g1, (1 - b2) * g1**2
    theta1 = -lr * (m1 / (1 - b1)) / (math.sqrt(v1 / (1 - b2)) + eps)
    m2, v2 = b1 * m1 + (1 - b1) * g2, b2 * v1 + (1 - b2) * g2**2
    theta2 = theta1 - lr * (m2 / (1 - b1**2)) / (math.sqrt(v2 / (1 - b2**2)) + eps)
    assert run(optim.Adam, np.zeros(1), [[g1], [g2]], lr=lr, betas=(b1, b2), eps=eps)[0] == pytest.approx(
        theta2, rel=1e-13
    )
    # without the correction the first step would be lr * 0.5 / sqrt(0.001): 16 times larger
    assert abs(theta1) == pytest.approx(lr, rel=1e-6)


def test_rmsprop_first_step_by_hand():
    # v1 = (1 - alpha) g^2, so the step is lr * g / (sqrt(1 - alpha) |g| + eps): eps after the sqrt
    g = np.array([0.3, -2.0])
    got = run(optim.RMSprop, np.zeros(2), [g], lr=0.01, alpha=0.99, eps=1e-3)
    np.testing.assert_allclose(got, -0.01 * g / (np.sqrt(0.01 * g * g) + 1e-3), rtol=1e-13)


# ------------------------------------------------------------------ many steps against the references


SGD_CASES = [
    {},
    {"momentum": 0.9},
    {"momentum": 0.5, "dampening": 0.3},
    {"momentum": 0.9, "nesterov": True},
    {"momentum": 0.9, "weight_decay": 0.1},
    {"weight_decay": 0.01},
]


@pytest.mark.parametrize("hyper", SGD_CASES, ids=lambda h: ",".join(h) or "plain")
def test_sgd_matches_reference_over_many_steps(hyper):
    theta0, grads = np.linspace(-1, 1, 6).reshape(2, 3), gradient_stream(1, (2, 3), 12)
    np.testing.assert_allclose(
        run(optim.SGD, theta0, grads, lr=0.05, **hyper), sgd_reference(theta0, grads, 0.05, **hyper), rtol=1e-12
    )


@settings(max_examples=20, deadline=None)
@given(
    lr=st.floats(1e-4, 1.0),
    beta1=st.floats(0.0, 0.99),
    beta2=st.floats(0.5, 0.9999),
    eps=st.sampled_from([1e-8, 1e-3, 0.0]),
    weight_decay=st.sampled_from([0.0, 0.1]),
    seed=st.integers(0, 2**16),
)
def test_adam_matches_reference_over_many_steps(lr, beta1, beta2, eps, weight_decay, seed):
    theta0, grads = np.random.default_rng(seed).standard_normal(5), gradient_stream(seed, (5,), 8)
    got = run(optim.Adam, theta0, grads, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)
    want = adam_reference(theta0, grads, lr, beta1, beta2, eps, weight_decay)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=0, max_size=3),
    lr=st.floats(1e-4, 1.0),
    beta1=st.floats(0.0, 0.99),
    beta2=st.floats(0.5, 0.9999),
    eps=st.sampled_from([1e-8, 1e-3]),
    seed=st.integers(0, 2**16),
)
def test_fast_adam_update_matches_the_five_line_reference(shape, lr, beta1, beta2, eps, seed):
    """optim.adam_update_fast (in place, what Adam runs) and optim.adam_update (the formula) agree step after step."""
    rng = np.random.default_rng(seed)
    theta = backend.asarray(rng.standard_normal(shape))
    m_fast, v_fast = backend.xp.zeros_like(theta), backend.xp.zeros_like(theta)
    theta_ref, m_ref, v_ref = theta, m_fast.copy(), v_fast.copy()
    for t in range(1, 6):
        g = backend.asarray(rng.standard_normal(shape))
        theta, m_out, v_out = optim.adam_update_fast(theta, g, m_fast, v_fast, t, lr, (beta1, beta2), eps)
        assert m_out is m_fast and v_out is v_fast  # the fast one works in place, and says so by returning them
        theta_ref, m_ref, v_ref = optim.adam_update(theta_ref, g, m_ref, v_ref, t, lr, (beta1, beta2), eps)
        for fast, ref in ((theta, theta_ref), (m_fast, m_ref), (v_fast, v_ref)):
            np.testing.assert_allclose(host(fast), host(ref), rtol=1e-12, atol=1e-15)


RMSPROP_CASES = [{}, {"momentum": 0.9}, {"centered": True}, {"centered": True, "momentum": 0.5}, {"weight_decay": 0.1}]


@pytest.mark.parametrize("hyper", RMSPROP_CASES, ids=lambda h: ",".join(h) or "plain")
def test_rmsprop_matches_reference_over_many_steps(hyper):
    theta0, grads = np.linspace(-1, 1, 4), gradient_stream(2, (4,), 10)
    hyper = {"alpha": 0.9, "eps": 1e-6, **hyper}
    np.testing.assert_allclose(
        run(optim.RMSprop, theta0, grads, lr=0.01, **hyper), rmsprop_reference(theta0, grads, 0.01, **hyper), rtol=1e-11
    )


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), optim.Adam, optim.RMSprop])
def test_optimisers_keep_float32_and_reach_the_minimum_of_a_quadratic(make):
    # f(theta) = sum (theta - 3)^2 through the real graph: backward fills .grad, step moves
    p = mg.tensor(np.zeros(3, dtype="float32"), requires_grad=True)
    opt = make([p])
    if isinstance(opt, optim.Adam):
        opt.lr = 0.1
    for _ in range(400):
        opt.zero_grad()
        mg.sum((p - 3.0) ** 2).backward()
        opt.step()
    assert p.dtype == backend.dtype("float32")
    np.testing.assert_allclose(host(p), [3.0, 3.0, 3.0], atol=0.05)


# ------------------------------------------------------------------ zero_grad and parameters without gradients


def test_zero_grad_sets_grads_to_none():
    a, b = param([1.0]), param([2.0])
    mg.sum(a * b).backward()
    opt = optim.SGD([a, b], lr=0.1)
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_step_skips_parameters_without_gradient_and_keeps_their_state_empty():
    a, b = param([1.0]), param([2.0])
    opt = optim.Adam([a, b], lr=0.1)
    set_grad(a, [1.0])
    opt.step()
    opt.step()
    assert host(b)[0] == 2.0
    assert opt.state[0]["step"] == 2 and 1 not in opt.state
    assert "state.1.step" not in opt.state_dict()


def test_frozen_discriminator_parameters_are_not_moved():
    # the GAN loop freezes D (requires_grad False) during G's step: D's .grad stays None, step leaves it alone
    w = param([0.5, -0.5])
    w.requires_grad_(False)
    z = param([1.0, 2.0])
    opt = optim.SGD([w, z], lr=1.0)
    mg.sum(w * z).backward()
    opt.step()
    np.testing.assert_array_equal(host(w), [0.5, -0.5])
    np.testing.assert_allclose(host(z), [0.5, 2.5])


# ------------------------------------------------------------------ state dicts: flat, storable, exact


OPTIMISERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda ps: optim.Adam(ps, lr=0.01, betas=(0.5, 0.999), weight_decay=1e-3),
    "rmsprop": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
}


def make_problem(dtype="float32"):
    rng = np.random.default_rng(0)
    W = mg.tensor(rng.standard_normal((3, 4)).astype(dtype), requires_grad=True)
    b = mg.tensor(rng.standard_normal(3).astype(dtype), requires_grad=True)
    unused = mg.tensor(rng.standard_normal(2).astype(dtype), requires_grad=True)  # never gets a gradient
    return [W, b, unused]


def train(params, opt, steps, start):
    rng = np.random.default_rng(100 + start)
    for _ in range(steps):
        x = mg.tensor(rng.standard_normal((8, 4)).astype(host(params[0]).dtype))
        y = mg.tensor(rng.standard_normal((8, 3)).astype(host(params[0]).dtype))
        opt.zero_grad()
        loss = mg.mean((x @ params[0].T + params[1] - y) ** 2)
        loss.backward()
        opt.step()
        start += 1
    return start


def npz_round_trip(sd):
    buffer = io.BytesIO()
    np.savez(buffer, **sd)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as archive:
        return {k: archive[k] for k in archive.files}


@pytest.mark.parametrize("name", sorted(OPTIMISERS))
def test_resume_from_state_dict_is_bit_identical(name):
    N, k = 9, 4
    straight = make_problem()
    opt = OPTIMISERS[name](straight)
    for i in range(N):  # one batch stream, indexed by step
        train(straight, opt, 1, i)

    resumed = make_problem()
    opt_a = OPTIMISERS[name](resumed)
    for i in range(k):
        train(resumed, opt_a, 1, i)
    saved_params = [host(p).copy() for p in resumed]
    saved = npz_round_trip(opt_a.state_dict())

    fresh = make_problem()
    for p, value in zip(fresh, saved_params):
        p.data = backend.asarray(value)
    opt_b = OPTIMISERS[name](fresh)
    opt_b.load_state_dict(saved)
    for i in range(k, N):
        train(fresh, opt_b, 1, i)

    for p, q in zip(straight, fresh):
        np.testing.assert_array_equal(host(p), host(q))


def test_state_dict_is_flat_host_arrays_keyed_by_position():
    params = make_problem()
    opt = optim.Adam(params, lr=0.01)
    train(params, opt, 3, 0)
    sd = opt.state_dict()
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    assert set(sd) == {
        "num_params", "lr", "betas", "eps", "weight_decay",
        "state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq",
        "state.1.step", "state.1.exp_avg", "state.1.exp_avg_sq",
    }  # fmt: skip
    assert sd["state.0.step"].shape == () and int(sd["state.0.step"]) == 3
    assert sd["state.0.exp_avg"].shape == (3, 4) and sd["betas"].shape == (2,)


def test_state_dict_is_a_snapshot():
    params = make_problem()
    opt = optim.Adam(params, lr=0.01)
    train(params, opt, 1, 0)
    sd = opt.state_dict()
    before = sd["state.0.exp_avg"].copy()
    train(params, opt, 2, 1)
    np.testing.assert_array_equal(sd["state.0.exp_avg"], before)


def test_load_state_dict_restores_hyperparameters():
    params = make_problem()
    source = optim.SGD(params, lr=0.5, momentum=0.8)
    target = optim.SGD(make_problem(), lr=0.01)
    target.load_state_dict(source.state_dict())
    assert (target.lr, target.momentum, target.nesterov) == (0.5, 0.8, False)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: optim.SGD([], lr=0.1), "empty parameter list"),
        (lambda p: optim.Adam(iter([]), lr=0.1), "already used up"),
        (lambda p: optim.Adam([p, 3.0]), "parameter 1 is a float"),
        (lambda p: optim.Adam(p), "single Tensor"),
        (lambda p: optim.Adam([p, p]), "appears twice"),
        (lambda p: optim.Adam([mg.tensor([1, 2])]), "dtype int64"),
        (lambda p: optim.SGD([p], lr=0.0), "lr"),
        (lambda p: optim.SGD([p], lr=-1e-3), "positive"),
        (lambda p: optim.Adam([p], lr=float("nan")), "lr"),
        (lambda p: optim.Adam([p], lr=True), "lr"),
        (lambda p: optim.Adam([p], betas=(0.9, 1.0)), "betas\\[1\\]"),
        (lambda p: optim.Adam([p], betas=(-0.1, 0.999)), "betas\\[0\\]"),
        (lambda p: optim.Adam([p], betas=0.9), "pair"),
        (lambda p: optim.Adam([p], eps=-1e-8), "eps"),
        (lambda p: optim.RMSprop([p], eps=-1.0), "eps"),
        (lambda p: optim.RMSprop([p], alpha=1.5), "alpha"),
        (lambda p: optim.SGD([p], lr=0.1, momentum=-0.5), "momentum"),
        (lambda p: optim.SGD([p], lr=0.1, nesterov=True), "nesterov"),
        (lambda p: optim.SGD([p], lr=0.1, weight_decay=-1), "weight_decay"),
    ],
)
def test_bad_arguments_are_clear_errors(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make(param([1.0]))


def test_passing_a_model_instead_of_its_parameters_says_so():
    class Model:
        def parameters(self):
            return iter([param([1.0])])

    with pytest.raises(TypeError, match="model.parameters"):
        optim.Adam(Model())


def test_gradient_of_the_wrong_shape_is_an_error():
    p = param([1.0, 2.0])
    set_grad(p, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"gradient of parameter 0 has shape \(3,\).*\(2,\)"):
        optim.SGD([p], lr=0.1).step()


def trained_adam():
    params = make_problem()
    opt = optim.Adam(params, lr=0.01)
    train(params, opt, 2, 0)
    return opt.state_dict()


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda sd: sd.pop("betas"), "'betas' is missing"),
        (lambda sd: sd.pop("state.1.exp_avg_sq"), "'state.1.exp_avg_sq' is missing"),
        (lambda sd: sd.update({"state.0.momentum": np.zeros((3, 4))}), "unexpected key 'state.0.momentum'"),
        (lambda sd: sd.update({"extra": np.zeros(1)}), "unexpected key 'extra'"),
        (lambda sd: sd.update({"state.0.exp_avg": np.zeros((4, 3))}), r"'state.0.exp_avg' has shape \(4, 3\).*\(3, "),
        (lambda sd: sd.update({"state.0.step": np.zeros(2)}), "'state.0.step'"),
        (lambda sd: sd.update({"state.5.step": np.array(1)}), "'state.5.step' names parameter 5"),
        (lambda sd: sd.update({"num_params": np.array(7)}), "for 7 parameters"),
        (lambda sd: sd.update({"lr": np.array(-1.0)}), "lr"),
    ],
)
def test_load_state_dict_mismatch_names_the_key_and_changes_nothing(corrupt, message):
    sd = trained_adam()
    corrupt(sd)
    params = make_problem()
    opt = optim.Adam(params, lr=0.123)
    train(params, opt, 1, 0)
    before = opt.state_dict()
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(sd)
    after = opt.state_dict()
    assert set(after) == set(before) and opt.lr == 0.123
    for key in before:
        np.testing.assert_array_equal(after[key], before[key])


def test_loading_another_optimisers_state_dict_is_an_error():
    with pytest.raises(ValueError, match="SGD.load_state_dict: key 'momentum' is missing.*another kind of optimiser"):
        optim.SGD(make_problem(), lr=0.1).load_state_dict(trained_adam())


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1), optim.Adam, optim.RMSprop])
def test_a_0d_parameter_trains_and_stays_an_array(make):
    p = mg.tensor(1.5, requires_grad=True)
    opt = make([p])
    for _ in range(3):
        opt.zero_grad()
        (p * p).backward()
        opt.step()
    assert p.shape == () and p.data.ndim == 0 and type(p.data) is type(mg.tensor([1.0]).data)
    assert abs(float(p)) < 1.5
