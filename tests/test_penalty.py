"""Tests for minigan.gan.penalty: WGAN-GP by autograd == by hand == finite differences, in float64.

The critic is a LeakyReLU MLP written with minigan ops in this file, so the
test needs nothing but the core engine; ``nn.Linear`` computes the same thing.
"""

import numpy as np
import pytest

import minigan as mg
from minigan import backend, gan
from minigan.gan.penalty import NORM_EPS
from minigan.tensor import Tensor

SLOPE = 0.2


def host(t):
    return backend.to_numpy(t.data if isinstance(t, Tensor) else t)


def t64(array, requires_grad=True):
    return mg.tensor(np.asarray(array, dtype="float64"), requires_grad=requires_grad)


def mlp_critic(weights, biases, slope=SLOPE):
    """D(x) = W_L phi(... phi(x W_1^T + b_1) ...) + b_L, phi = LeakyReLU; weights in (out, in) layout."""

    def critic(x):
        h = x.reshape(x.shape[0], -1)
        for k, (W, b) in enumerate(zip(weights, biases)):
            h = h @ W.T + b
            if k < len(weights) - 1:
                h = mg.leaky_relu(h, slope)
        return h

    return critic


def random_mlp(sizes, seed):
    rng = np.random.default_rng(seed)
    weights = [t64(rng.normal(0, 1 / np.sqrt(n_in), size=(n_out, n_in))) for n_in, n_out in zip(sizes, sizes[1:])]
    biases = [t64(rng.normal(0, 0.5, size=n_out)) for n_out in sizes[1:]]
    return weights, biases


@pytest.fixture
def setup():
    rng = np.random.default_rng(21)
    weights, biases = random_mlp([6, 7, 5, 1], seed=22)
    real = t64(rng.normal(size=(8, 6)), requires_grad=False)
    fake = t64(rng.normal(1.0, 2.0, size=(8, 6)), requires_grad=False)
    eps = rng.uniform(size=8)
    return weights, biases, real, fake, eps


def penalty_of(weights, biases, real, fake, eps, lam=10.0):
    return gan.gradient_penalty(mlp_critic(weights, biases), real, fake, lam=lam, eps=eps)


# ------------------------------------------------------------------ autograd == by hand == finite differences


def test_autograd_penalty_and_its_gradient_equal_the_hand_derivation(setup):
    weights, biases, real, fake, eps = setup
    penalty = penalty_of(weights, biases, real, fake, eps)
    grads = mg.grad(penalty, weights + biases, allow_unused=True)

    x_hat = eps[:, None] * host(real) + (1 - eps[:, None]) * host(fake)
    hand_value, hand_w, hand_b = gan.gradient_penalty_mlp_by_hand(
        [w.data for w in weights], [b.data for b in biases], SLOPE, backend.asarray(x_hat), lam=10.0
    )
    assert float(penalty.item()) == pytest.approx(hand_value, rel=1e-12)
    for g, want in zip(grads, hand_w + hand_b):
        got = np.zeros(want.shape) if g is None else host(g)   # the biases are not in the penalty's graph
        np.testing.assert_allclose(got, host(want), rtol=1e-10, atol=1e-13)
    assert all(np.abs(host(w)).sum() > 0 for w in hand_w)       # the check is not vacuous


def test_penalty_gradient_matches_finite_differences(setup):
    weights, biases, real, fake, eps = setup
    mg.gradcheck(
        lambda *wb: penalty_of(list(wb[:3]), list(wb[3:]), real, fake, eps).reshape(1),
        weights + biases,
        atol=1e-7,
        rtol=1e-5,
    )


def test_hand_gradient_matches_finite_differences(setup):
    weights, biases, real, fake, eps = setup
    x_hat = backend.asarray(eps[:, None] * host(real) + (1 - eps[:, None]) * host(fake))
    arrays = [host(w).copy() for w in weights] + [host(b).copy() for b in biases]

    def value(arrs):
        return gan.gradient_penalty_mlp_by_hand(
            [backend.asarray(a) for a in arrs[:3]], [backend.asarray(a) for a in arrs[3:]], SLOPE, x_hat
        )[0]

    _, hand_w, hand_b = gan.gradient_penalty_mlp_by_hand(
        [backend.asarray(a) for a in arrays[:3]], [backend.asarray(a) for a in arrays[3:]], SLOPE, x_hat
    )
    h = 1e-6
    for k, analytic in enumerate(hand_w + hand_b):
        numeric = np.zeros(arrays[k].shape)
        for index in np.ndindex(arrays[k].shape):
            original = arrays[k][index]
            arrays[k][index] = original + h
            plus = value(arrays)
            arrays[k][index] = original - h
            minus = value(arrays)
            arrays[k][index] = original
            numeric[index] = (plus - minus) / (2 * h)
        np.testing.assert_allclose(host(analytic), numeric, rtol=1e-5, atol=1e-7)


def test_penalty_gradient_flows_into_the_critic_through_backward(setup):
    # the training loop calls backward() on (critic loss + penalty): the weights' .grad holds both
    weights, biases, real, fake, eps = setup
    critic = mlp_critic(weights, biases)
    loss = gan.wasserstein_critic_loss(critic(real), critic(fake))
    w_loss = [host(g) for g in mg.grad(loss, weights)]
    total = gan.wasserstein_critic_loss(critic(real), critic(fake)) + penalty_of(weights, biases, real, fake, eps)
    total.backward()
    w_penalty = [host(g) for g in mg.grad(penalty_of(weights, biases, real, fake, eps), weights)]
    for w, a, b in zip(weights, w_loss, w_penalty):
        np.testing.assert_allclose(host(w.grad), a + b, rtol=1e-10, atol=1e-13)


# ------------------------------------------------------------------ epsilon per sample, norm per sample


def test_eps_is_drawn_per_sample_and_shared_by_a_samples_dimensions():
    seen = []

    def spy(x):
        seen.append(host(x).copy())
        return mg.sum(x.reshape(x.shape[0], -1), axis=1)

    real = t64(np.ones((6, 2, 3, 3)), requires_grad=False)
    fake = t64(np.zeros((6, 2, 3, 3)), requires_grad=False)
    mg.manual_seed(31)
    gan.gradient_penalty(spy, real, fake)
    mg.manual_seed(31)
    eps = host(backend.rand(6, 1, 1, 1, dtype="float64"))
    x_hat = seen[0]                                   # = eps * 1 + (1 - eps) * 0 = eps, broadcast
    np.testing.assert_array_equal(x_hat, np.broadcast_to(eps, (6, 2, 3, 3)))
    assert len(set(eps.ravel())) == 6                 # a different eps for every sample


def test_norm_runs_over_all_of_a_samples_dimensions():
    # D(x) = 1/2 sum x^2 per sample has gradient x, so the penalty is lam * mean_n (||x^_n||_F - 1)^2
    rng = np.random.default_rng(41)
    real, fake = rng.normal(0, 0.3, size=(5, 2, 3, 4)), rng.normal(0, 0.3, size=(5, 2, 3, 4))
    eps = rng.uniform(size=5)
    x_hat = eps[:, None, None, None] * real + (1 - eps[:, None, None, None]) * fake

    def quadratic(x):
        return 0.5 * mg.sum((x * x).reshape(x.shape[0], -1), axis=1)

    got = float(gan.gradient_penalty(quadratic, t64(real, False), t64(fake, False), lam=3.0, eps=eps).item())
    per_sample = np.sqrt((x_hat**2).reshape(5, -1).sum(axis=1))
    assert got == pytest.approx(3.0 * ((per_sample - 1) ** 2).mean(), rel=1e-9)
    per_row = np.sqrt((x_hat**2).sum(axis=-1))        # the wrong norm (last axis only) gives another number
    assert abs(got - 3.0 * ((per_row - 1) ** 2).mean()) > 1e-3


def test_linear_critic_closed_form():
    # D(x) = w . x: the gradient is w at every x^, so P = lam (||w|| - 1)^2 and dP/dw = 2 lam (||w|| - 1) w / ||w||
    w_np = np.array([0.3, -1.2, 0.8])
    w = t64(w_np)
    real, fake = t64(np.random.default_rng(1).normal(size=(4, 3)), False), t64(np.zeros((4, 3)), False)
    penalty = gan.gradient_penalty(lambda x: x @ w, real, fake, lam=10.0)
    norm = np.linalg.norm(w_np)
    assert float(penalty.item()) == pytest.approx(10.0 * (norm - 1) ** 2, rel=1e-10)
    (g,) = mg.grad(penalty, [w])
    np.testing.assert_allclose(host(g), 20.0 * (norm - 1) * w_np / norm, rtol=1e-9)


def test_zero_input_gradient_gives_a_finite_penalty_gradient():
    # an all-zero critic: g = 0, d||g||/dg = 0/0 without NORM_EPS, which would poison every weight with NaN
    w = t64(np.zeros(3))
    penalty = gan.gradient_penalty(lambda x: x @ w, t64(np.ones((4, 3)), False), t64(np.zeros((4, 3)), False))
    (g,) = mg.grad(penalty, [w])
    assert float(penalty.item()) == pytest.approx(10.0 * (np.sqrt(NORM_EPS) - 1) ** 2, rel=1e-14)
    assert np.isfinite(host(g)).all()


def test_penalty_does_not_reach_the_generator_and_keeps_float32():
    weights, biases = random_mlp([4, 3, 1], seed=5)
    weights = [mg.tensor(host(w).astype("float32"), requires_grad=True) for w in weights]
    biases = [mg.tensor(host(b).astype("float32"), requires_grad=True) for b in biases]
    fake = mg.tensor(np.random.default_rng(2).normal(size=(5, 4)).astype("float32"), requires_grad=True)
    real = mg.tensor(np.ones((5, 4), dtype="float32"))
    penalty = gan.gradient_penalty(mlp_critic(weights, biases), real, fake)
    assert penalty.dtype == backend.dtype("float32")
    penalty.backward()
    assert fake.grad is None and weights[0].grad is not None


def test_penalty_argument_errors():
    critic = mlp_critic(*random_mlp([3, 1], seed=0))
    with pytest.raises(ValueError, match=r"real has shape \(4, 3\) but fake has \(5, 3\)"):
        gan.gradient_penalty(critic, t64(np.zeros((4, 3)), False), t64(np.zeros((5, 3)), False))
    with pytest.raises(ValueError, match="one number per sample"):
        gan.gradient_penalty(critic, t64(np.zeros((4, 3)), False), t64(np.zeros((4, 3)), False), eps=np.ones(3))


# ------------------------------------------------------------------ BatchNorm in a critic: a warning naming it


def test_batchnorm_in_the_critic_warns_once_naming_the_layer():
    import warnings

    from minigan import nn

    critic = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.LeakyReLU(0.2), nn.Linear(4, 1))
    real, fake = mg.tensor(np.ones((4, 3), dtype="float32")), mg.tensor(np.zeros((4, 3), dtype="float32"))
    with pytest.warns(UserWarning, match=r"critic has a BatchNorm1d layer \('1'\).*LayerNorm"):
        gan.gradient_penalty(critic, real, fake)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # once per critic: the next steps stay quiet
        gan.gradient_penalty(critic, real, fake)
        clean = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.LeakyReLU(0.2), nn.Linear(4, 1))
        gan.gradient_penalty(clean, real, fake)        # LayerNorm is per sample: no warning
    nested = nn.Sequential(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)), nn.Flatten(), nn.Linear(2, 1))
    images = mg.tensor(np.ones((2, 1, 3, 3), dtype="float32"))
    with pytest.warns(UserWarning, match=r"BatchNorm2d layer \('0\.1'\)"):
        gan.gradient_penalty(nested, images, images * 0.5)
