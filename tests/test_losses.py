"""Tests for minigan.gan.losses and minigan.gan.tricks: every value and gradient against its closed form.

The closed forms are plain NumPy arithmetic in float64, written here from the
formulas (not from minigan's code); the logits are random.
"""

import warnings

import numpy as np
import pytest

import minigan as mg
from minigan import backend, gan
from minigan.tensor import Tensor

RNG_SEED = 1234


def host(t):
    return backend.to_numpy(t.data if isinstance(t, Tensor) else t)


def t64(array, requires_grad=True):
    return mg.tensor(np.asarray(array, dtype="float64"), requires_grad=requires_grad)


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def log_sigmoid(a):
    return np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))


def value_and_grads(loss_fn, *arrays):
    tensors = [t64(a) for a in arrays]
    loss = loss_fn(*tensors)
    grads = mg.grad(loss, tensors, allow_unused=True)
    return float(loss.item()), [np.zeros_like(a) if g is None else host(g) for a, g in zip(arrays, grads)]


@pytest.fixture
def logits():
    rng = np.random.default_rng(RNG_SEED)
    return rng.normal(0, 3, size=(16, 1)), rng.normal(0, 3, size=(12, 1))


# ------------------------------------------------------------------ minimax and the two generator losses


def test_d_loss_minimax_value_and_gradient(logits):
    a_r, a_f = logits
    value, (g_r, g_f) = value_and_grads(gan.d_loss_minimax, a_r, a_f)
    d_real, d_fake = sigmoid(a_r), sigmoid(a_f)
    assert value == pytest.approx(-(np.log(d_real).mean() + np.log(1 - d_fake).mean()), rel=1e-12)
    np.testing.assert_allclose(g_r, (d_real - 1) / len(a_r), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(g_f, d_fake / len(a_f), rtol=1e-10, atol=1e-15)


def test_d_loss_minimax_is_finite_for_extreme_logits():
    # log(sigmoid(-800)) underflows to -inf when computed naively; the true value is about -800
    value, (g_r, g_f) = value_and_grads(gan.d_loss_minimax, np.array([-800.0, 800.0]), np.array([800.0, -800.0]))
    assert value == pytest.approx((800 + 800) / 2, rel=1e-12)
    np.testing.assert_allclose(g_r, [-0.5, 0.0])
    np.testing.assert_allclose(g_f, [0.5, 0.0])


def test_d_loss_minimax_at_the_equilibrium_is_log_4():
    # D = 1/2 everywhere (logit 0): L_D = -2 log(1/2) = log 4, the value Goodfellow's theorem names
    value, _ = value_and_grads(gan.d_loss_minimax, np.zeros(5), np.zeros(7))
    assert value == pytest.approx(np.log(4.0), rel=1e-14)


def test_g_loss_saturating_value_and_gradient_is_minus_sigmoid(logits):
    _, a = logits
    value, (g,) = value_and_grads(lambda x: gan.g_loss(x, saturating=True), a)
    assert value == pytest.approx(np.log(1 - sigmoid(a)).mean(), rel=1e-12)
    np.testing.assert_allclose(g, -sigmoid(a) / len(a), rtol=1e-10, atol=1e-15)


def test_g_loss_non_saturating_value_and_gradient_is_minus_one_minus_sigmoid(logits):
    _, a = logits
    value, (g,) = value_and_grads(gan.g_loss, a)
    assert value == pytest.approx(-np.log(sigmoid(a)).mean(), rel=1e-12)
    np.testing.assert_allclose(g, -(1 - sigmoid(a)) / len(a), rtol=1e-10, atol=1e-15)


def test_saturating_gradient_vanishes_where_d_rejects_the_fakes():
    a = np.full((4, 1), -8.0)  # D(G(z)) = 3e-4: D wins easily, as early in training
    _, (g_sat,) = value_and_grads(lambda x: gan.g_loss(x, saturating=True), a)
    _, (g_ns,) = value_and_grads(gan.g_loss, a)
    assert np.abs(g_sat).sum() < 1e-3 * np.abs(g_ns).sum()


def test_losses_pass_gradcheck_and_gradgradcheck(logits):
    a_r, a_f = logits
    mg.gradcheck(gan.d_loss_minimax, [t64(a_r), t64(a_f)])
    mg.gradcheck(lambda a: gan.g_loss(a, saturating=True), [t64(a_f)])
    # (shape (1,) outputs: gradgradcheck turns a 0-d weight v into shape (1,), a gradcheck bug reported)
    mg.gradgradcheck(lambda a: gan.g_loss(a).reshape(1), [t64(a_f)])
    mg.gradgradcheck(lambda r, f: gan.d_loss_minimax(r, f).reshape(1), [t64(a_r), t64(a_f)])


# ------------------------------------------------------------------ binary cross-entropy with targets


def test_bce_with_logits_against_closed_form(logits):
    a, _ = logits
    y = np.random.default_rng(1).uniform(0, 1, size=a.shape)
    x = t64(a)
    loss = gan.bce_with_logits(x, t64(y, requires_grad=False))
    (g,) = mg.grad(loss, [x])
    want = -(y * log_sigmoid(a) + (1 - y) * log_sigmoid(-a)).mean()
    assert float(loss.item()) == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(host(g), (sigmoid(a) - y) / a.size, rtol=1e-10, atol=1e-15)


def test_bce_with_hard_targets_is_the_minimax_loss(logits):
    a_r, a_f = logits
    r, f = t64(a_r), t64(a_f)
    split = gan.bce_with_logits(r, 1.0) + gan.bce_with_logits(f, 0.0)
    assert float(split.item()) == pytest.approx(float(gan.d_loss_minimax(r, f).item()), rel=1e-14)


def test_bce_target_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"targets of shape \(3,\) do not match logits of shape \(3, 1\)"):
        gan.bce_with_logits(t64(np.zeros((3, 1))), t64(np.zeros(3)))


# ------------------------------------------------------------------ Wasserstein, hinge, least squares


def test_wasserstein_losses_and_their_gradients(logits):
    real, fake = logits
    value, (g_r, g_f) = value_and_grads(gan.wasserstein_critic_loss, real, fake)
    assert value == pytest.approx(fake.mean() - real.mean(), rel=1e-12)
    np.testing.assert_allclose(g_r, np.full_like(real, -1 / len(real)))
    np.testing.assert_allclose(g_f, np.full_like(fake, 1 / len(fake)))
    value, (g_f,) = value_and_grads(gan.wasserstein_generator_loss, fake)
    assert value == pytest.approx(-fake.mean(), rel=1e-12)
    np.testing.assert_allclose(g_f, np.full_like(fake, -1 / len(fake)))


def test_clip_weights_clips_in_place():
    w = t64([[-0.5, 0.005], [0.02, -0.001]])
    array = w.data
    gan.clip_weights_([w], c=0.01)
    assert w.data is array
    np.testing.assert_array_equal(host(w), [[-0.01, 0.005], [0.01, -0.001]])
    with pytest.raises(ValueError, match="positive"):
        gan.clip_weights_([w], c=0)


def test_hinge_losses_and_their_gradients(logits):
    real, fake = logits
    value, (g_r, g_f) = value_and_grads(gan.d_loss_hinge, real, fake)
    assert value == pytest.approx(np.maximum(0, 1 - real).mean() + np.maximum(0, 1 + fake).mean(), rel=1e-12)
    np.testing.assert_allclose(g_r, np.where(real < 1, -1.0, 0.0) / len(real))
    np.testing.assert_allclose(g_f, np.where(fake > -1, 1.0, 0.0) / len(fake))
    value, (g_f,) = value_and_grads(gan.g_loss_hinge, fake)
    assert value == pytest.approx(-fake.mean(), rel=1e-12)
    np.testing.assert_allclose(g_f, np.full_like(fake, -1 / len(fake)))


def test_least_squares_losses_and_their_gradients(logits):
    real, fake = logits
    value, (g_r, g_f) = value_and_grads(gan.d_loss_least_squares, real, fake)
    assert value == pytest.approx(0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean(), rel=1e-12)
    np.testing.assert_allclose(g_r, (real - 1) / len(real), rtol=1e-12)
    np.testing.assert_allclose(g_f, fake / len(fake), rtol=1e-12)
    value, (g_f,) = value_and_grads(gan.g_loss_least_squares, fake)
    assert value == pytest.approx(0.5 * ((fake - 1) ** 2).mean(), rel=1e-12)
    np.testing.assert_allclose(g_f, (fake - 1) / len(fake), rtol=1e-12)
    # the general a-b-c coding of the LSGAN paper
    value, _ = value_and_grads(lambda r, f: gan.d_loss_least_squares(r, f, a=-1.0, b=1.0), real, fake)
    assert value == pytest.approx(0.5 * ((real - 1) ** 2).mean() + 0.5 * ((fake + 1) ** 2).mean(), rel=1e-12)


# ------------------------------------------------------------------ ACGAN's auxiliary classifier


def log_softmax(s):
    shifted = s - s.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@pytest.fixture
def class_scores():
    rng = np.random.default_rng(7)
    return rng.normal(0, 2, size=(9, 10)), rng.integers(0, 10, size=9)


def test_auxiliary_classifier_loss_value_and_gradient(class_scores):
    s, labels = class_scores
    x = t64(s)
    loss = gan.auxiliary_classifier_loss(x, mg.tensor(labels))
    (g,) = mg.grad(loss, [x])
    n = len(labels)
    assert float(loss.item()) == pytest.approx(-log_softmax(s)[np.arange(n), labels].mean(), rel=1e-12)
    one_hot = np.eye(10)[labels]
    np.testing.assert_allclose(host(g), (np.exp(log_softmax(s)) - one_hot) / n, rtol=1e-10, atol=1e-15)
    mg.gradcheck(lambda t: gan.auxiliary_classifier_loss(t, labels), [t64(s)])


def test_auxiliary_classifier_loss_is_wrong_on_probabilities(class_scores):
    # the classic bug: softmax before the loss applies it twice
    s, labels = class_scores
    right = -log_softmax(s)[np.arange(len(labels)), labels].mean()
    probabilities = np.exp(log_softmax(s))
    with pytest.warns(UserWarning, match="look like probabilities"):
        wrong = float(gan.auxiliary_classifier_loss(t64(probabilities), labels).item())
    assert abs(wrong - right) > 0.1
    # and it can never go below log(K - 1 + e) - 1, even for a perfect classifier
    perfect = np.eye(10)[labels]
    with pytest.warns(UserWarning):
        floor = float(gan.auxiliary_classifier_loss(t64(perfect), labels).item())
    assert floor == pytest.approx(np.log(9 + np.e) - 1, rel=1e-12)


def test_auxiliary_classifier_loss_on_logits_does_not_warn(class_scores):
    s, labels = class_scores
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gan.auxiliary_classifier_loss(t64(s), list(labels))


@pytest.mark.parametrize(
    "labels, message",
    [
        (np.zeros(9), "integers"),
        (np.zeros(8, dtype=int), r"shape \(9,\)"),
        (np.full(9, 10), r"\[0, 10\)"),
        (np.full(9, -1), r"\[0, 10\)"),
    ],
)
def test_auxiliary_classifier_label_errors(class_scores, labels, message):
    with pytest.raises(ValueError, match=message):
        gan.auxiliary_classifier_loss(t64(class_scores[0]), labels)


# ------------------------------------------------------------------ CycleGAN


def test_cycle_consistency_and_identity_losses():
    rng = np.random.default_rng(3)
    x, rec = rng.normal(size=(2, 3, 4, 4)), rng.normal(size=(2, 3, 4, 4))
    value, (_, g) = value_and_grads(gan.cycle_consistency_loss, x, rec)
    assert value == pytest.approx(10.0 * np.abs(rec - x).mean(), rel=1e-12)
    np.testing.assert_allclose(g, 10.0 * np.sign(rec - x) / x.size, rtol=1e-12)
    value, _ = value_and_grads(lambda a, b: gan.identity_loss(a, b, lam=2.5), x, rec)
    assert value == pytest.approx(2.5 * np.abs(rec - x).mean(), rel=1e-12)
    with pytest.raises(ValueError, match=r"x has shape \(2, 3, 4, 4\) but reconstructed has shape \(2, 3, 4\)"):
        gan.cycle_consistency_loss(t64(x), t64(x[..., 0]))


def test_loss_of_a_non_tensor_is_a_clear_error():
    with pytest.raises(TypeError, match="real_logits must be a minigan Tensor"):
        gan.d_loss_minimax(np.zeros(3), t64(np.zeros(3)))


# ------------------------------------------------------------------ tricks: labels


def test_d_loss_one_sided_smoothing_value_gradient_and_optimum(logits):
    a_r, a_f = logits
    alpha = 0.9
    value, (g_r, g_f) = value_and_grads(lambda r, f: gan.d_loss_one_sided_smoothing(r, f, alpha), a_r, a_f)
    want = -(alpha * log_sigmoid(a_r) + (1 - alpha) * log_sigmoid(-a_r)).mean() - log_sigmoid(-a_f).mean()
    assert value == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(g_r, (sigmoid(a_r) - alpha) / len(a_r), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(g_f, sigmoid(a_f) / len(a_f), rtol=1e-10, atol=1e-15)  # fake side untouched
    # D stops at D(x) = alpha: the gradient vanishes at logit log(alpha / (1 - alpha))
    _, (g_opt, _) = value_and_grads(
        lambda r, f: gan.d_loss_one_sided_smoothing(r, f, alpha), np.full(3, np.log(alpha / (1 - alpha))), a_f
    )
    np.testing.assert_allclose(g_opt, 0.0, atol=1e-15)
    # real_target = 1 is the unsmoothed minimax loss
    r, f = t64(a_r), t64(a_f)
    assert float(gan.d_loss_one_sided_smoothing(r, f, 1.0).item()) == pytest.approx(
        float(gan.d_loss_minimax(r, f).item()), rel=1e-14
    )


def test_flip_labels_draws_one_uniform_per_label():
    y = np.array([1.0, 0.0] * 500)
    mg.manual_seed(5)
    flipped = host(gan.flip_labels(mg.tensor(y), 0.1))
    mg.manual_seed(5)
    u = host(backend.rand(len(y), dtype="float32"))
    np.testing.assert_array_equal(flipped, np.where(u < 0.1, 1 - y, y))
    assert 60 < (flipped != y).sum() < 140  # about 10% of 1000 (sd 9.5)
    np.testing.assert_array_equal(host(gan.flip_labels(mg.tensor(y), 0.0)), y)
    np.testing.assert_array_equal(host(gan.flip_labels(mg.tensor(y), 1.0)), 1 - y)
    with pytest.raises(ValueError, match="probability"):
        gan.flip_labels(mg.tensor(y), 1.5)


def test_noisy_labels_against_closed_form():
    y = np.array([1.0, 0.0, 1.0, 0.0, 0.5])
    mg.manual_seed(6)
    noisy = host(gan.noisy_labels(mg.tensor(y, dtype="float64"), amount=0.3))
    mg.manual_seed(6)
    u = host(backend.rand(len(y), dtype="float64"))
    np.testing.assert_allclose(noisy, y + (1 - 2 * y) * 0.3 * u, rtol=1e-15)
    assert ((noisy[[0, 2]] > 0.7) & (noisy[[0, 2]] <= 1)).all() and ((noisy[[1, 3]] >= 0) & (noisy[[1, 3]] < 0.3)).all()


# ------------------------------------------------------------------ tricks: instance noise


def test_instance_noise_adds_seeded_gaussian_noise_and_passes_the_gradient():
    x = t64(np.arange(12.0).reshape(3, 4))
    mg.manual_seed(9)
    noisy = gan.instance_noise(x, 0.5)
    mg.manual_seed(9)
    n = host(backend.randn(3, 4, dtype="float64"))
    np.testing.assert_allclose(host(noisy), np.arange(12.0).reshape(3, 4) + 0.5 * n, rtol=1e-15)
    (g,) = mg.grad(mg.sum(noisy * 2.0), [x])
    np.testing.assert_array_equal(host(g), np.full((3, 4), 2.0))
    assert gan.instance_noise(x, 0.0) is x
    assert [gan.annealed_std(s, 100, start=0.2) for s in (0, 50, 100, 150)] == pytest.approx([0.2, 0.1, 0.0, 0.0])


# ------------------------------------------------------------------ tricks: feature matching, historical averaging


def test_feature_matching_loss_value_and_gradients():
    rng = np.random.default_rng(11)
    f_real, f_fake = rng.normal(size=(6, 2, 3)), rng.normal(1.0, 1.0, size=(4, 2, 3))
    value, (g_r, g_f) = value_and_grads(gan.feature_matching_loss, f_real, f_fake)
    diff = f_real.reshape(6, -1).mean(0) - f_fake.reshape(4, -1).mean(0)
    assert value == pytest.approx((diff**2).sum(), rel=1e-12)
    np.testing.assert_allclose(g_r, np.broadcast_to(2 * diff.reshape(2, 3) / 6, (6, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(g_f, np.broadcast_to(-2 * diff.reshape(2, 3) / 4, (4, 2, 3)), rtol=1e-12)
    with pytest.raises(ValueError, match="features"):
        gan.feature_matching_loss(t64(f_real), t64(f_fake[:, 0]))


def test_historical_average_penalty_is_distance_to_the_mean_of_past_parameters():
    w, b = t64([1.0, 2.0]), t64([[0.5]])
    history = gan.HistoricalAverage([w, b])     # theta[1]: the initial values
    assert float(history.penalty().item()) == 0.0
    past_w, past_b = [np.array([1.0, 2.0])], [np.array([[0.5]])]
    rng = np.random.default_rng(12)
    for _ in range(4):                           # theta[2..5], as if after optimiser steps
        w.data = backend.asarray(host(w) + rng.normal(size=2))
        b.data = backend.asarray(host(b) + rng.normal(size=(1, 1)))
        history.update()
        past_w.append(host(w).copy())
        past_b.append(host(b).copy())
    w.data = backend.asarray(host(w) + 1.0)      # move once more without update: the penalty sees it
    mean_w, mean_b = np.mean(past_w, axis=0), np.mean(past_b, axis=0)
    penalty = history.penalty()
    want = ((host(w) - mean_w) ** 2).sum() + ((host(b) - mean_b) ** 2).sum()
    assert float(penalty.item()) == pytest.approx(want, rel=1e-12)
    g_w, g_b = mg.grad(penalty, [w, b])
    np.testing.assert_allclose(host(g_w), 2 * (host(w) - mean_w), rtol=1e-12)
    np.testing.assert_allclose(host(g_b), 2 * (host(b) - mean_b), rtol=1e-12)
    # it resumes: a fresh HistoricalAverage loaded from the state dict gives the same penalty
    restored = gan.HistoricalAverage([w, b])
    restored.load_state_dict(history.state_dict())
    assert restored.count == 5
    assert float(restored.penalty().item()) == float(penalty.item())
    with pytest.raises(ValueError, match="'average.1' is missing"):
        restored.load_state_dict({"count": np.array(1), "average.0": np.zeros(2)})


# ------------------------------------------------------------------ tricks: minibatch discrimination


def test_minibatch_discrimination_against_the_paper_formula():
    rng = np.random.default_rng(13)
    f, T = rng.normal(size=(5, 4)), rng.normal(0, 0.3, size=(4, 3 * 2))
    out = host(gan.minibatch_discrimination(t64(f), t64(T), num_kernels=3))
    M = (f @ T).reshape(5, 3, 2)
    want = np.zeros((5, 3))
    for i in range(5):
        for b in range(3):
            want[i, b] = sum(np.exp(-np.abs(M[i, b] - M[j, b]).sum()) for j in range(5))
    np.testing.assert_allclose(out, want, rtol=1e-12)
    # samples that are all the same (a collapsed generator) score N on every kernel
    same = host(gan.minibatch_discrimination(t64(np.ones((5, 4))), t64(T), num_kernels=3))
    np.testing.assert_allclose(same, 5.0)
    mg.gradcheck(lambda a, t: gan.minibatch_discrimination(a, t, 3), [t64(f), t64(T)])
    with pytest.raises(ValueError, match=r"T must have shape \(4, B\*C\)"):
        gan.minibatch_discrimination(t64(f), t64(T[:, :5]), num_kernels=3)
