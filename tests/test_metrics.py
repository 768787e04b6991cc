"""Tests for minigan.metrics: each metric on cases whose answer is known in closed form."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan import backend, data, metrics
from minigan.backend import xp
from minigan.classifier import ClassifierError
from minigan.metrics import MetricsError

FAST = settings(max_examples=25, deadline=None)
RAYLEIGH_3_SIGMA = 1 - math.exp(-9 / 2)  # P(||z|| <= 3) for z ~ N(0, I_2)
# four binomial standard deviations of a fraction near 0.989 measured on 2,500 samples
QUALITY_TOLERANCE = 4 * math.sqrt(RAYLEIGH_3_SIGMA * (1 - RAYLEIGH_3_SIGMA) / 2500)


def points(rows):
    return backend.asarray(rows, dtype="float64")


# ----------------------------------------------------------------- histograms against uniform


def test_kl_to_uniform_known_values():
    assert metrics.kl_to_uniform([5, 5, 5, 5]) == pytest.approx(0.0, abs=1e-15)
    assert metrics.kl_to_uniform([7, 0, 0, 0, 0, 0, 0, 0]) == pytest.approx(math.log(8), rel=1e-14)
    assert metrics.kl_to_uniform([3, 3, 0, 0]) == pytest.approx(math.log(2), rel=1e-14)
    assert math.isnan(metrics.kl_to_uniform([0, 0, 0]))


@FAST
@given(st.lists(st.integers(0, 50), min_size=2, max_size=30).filter(lambda c: sum(c) > 0))
def test_kl_to_uniform_lies_between_zero_and_log_k(counts):
    kl = metrics.kl_to_uniform(counts)
    assert -1e-12 <= kl <= math.log(len(counts)) + 1e-12


# ----------------------------------------------------------------- 2D mixtures


def test_perfect_ring_sampler_captures_all_8_modes_with_rayleigh_quality():
    backend.manual_seed(0)
    result = metrics.evaluate_2d_generator(data.ring_of_gaussians, "ring")
    assert result["modes_captured"] == 8 and result["n_modes"] == 8
    assert abs(result["high_quality_fraction"] - RAYLEIGH_3_SIGMA) < QUALITY_TOLERANCE
    assert sum(result["mode_counts"]) == round(2500 * result["high_quality_fraction"])
    assert 0 <= result["reverse_kl"] < 0.01  # E[KL] of a fair multinomial ~ (K - 1) / 2N = 0.0014


def test_perfect_grid_sampler_captures_all_25_modes():
    backend.manual_seed(1)
    result = metrics.evaluate_2d_generator(data.grid_of_gaussians, "grid")
    assert result["modes_captured"] == 25
    assert abs(result["high_quality_fraction"] - RAYLEIGH_3_SIGMA) < QUALITY_TOLERANCE
    assert 0 <= result["reverse_kl"] < 0.02  # (K - 1) / 2N = 0.005


def test_collapsed_sampler_captures_one_mode_and_reverse_kl_log_8():
    backend.manual_seed(2)
    mode = data.ring_modes()[3]

    def collapsed(n):
        return mg.tensor(mode + 0.02 * backend.randn(n, 2))

    result = metrics.evaluate_2d_generator(collapsed, "ring")
    assert result["modes_captured"] == 1
    assert result["mode_counts"][3] == sum(result["mode_counts"])
    assert result["reverse_kl"] == pytest.approx(math.log(8), rel=1e-12)
    assert abs(result["high_quality_fraction"] - RAYLEIGH_3_SIGMA) < QUALITY_TOLERANCE


def test_sampler_on_half_the_modes_scores_4_of_8_and_log_2():
    modes = data.ring_modes()
    samples = modes[xp.arange(2500) % 4 * 2]  # modes 0, 2, 4, 6, each 625 times, exactly on the centre
    result = metrics.mode_metrics(samples, modes, 0.02)
    assert result["modes_captured"] == 4
    assert result["mode_counts"] == [625, 0, 625, 0, 625, 0, 625, 0]
    assert result["high_quality_fraction"] == 1.0
    assert result["reverse_kl"] == pytest.approx(math.log(2), rel=1e-12)


def test_samples_far_from_every_mode_are_not_high_quality():
    backend.manual_seed(3)
    centre = 0.05 * backend.randn(2500, 2)  # the ring's centre is 2 = 100 sigma from every mode
    result = metrics.mode_metrics(centre, data.ring_modes(), 0.02)
    assert result["high_quality_fraction"] == 0.0 and result["modes_captured"] == 0
    assert math.isnan(result["reverse_kl"])
    far = metrics.mode_metrics(data.grid_modes() + 1.0, data.grid_modes(), 0.05)  # halfway between modes
    assert far["high_quality_fraction"] == 0.0 and far["modes_captured"] == 0


def test_high_quality_threshold_is_three_standard_deviations():
    modes = points([[0.0, 0.0], [10.0, 0.0]])
    inside, outside = 3 * 0.1 * 0.999, 3 * 0.1 * 1.001
    samples = points([[inside, 0.0], [0.0, -inside], [10.0 - outside, 0.0], [10.0, outside]])
    result = metrics.mode_metrics(samples, modes, std=0.1)
    assert result["high_quality_fraction"] == 0.5
    assert result["mode_counts"] == [2, 0] and result["modes_captured"] == 1
    wider = metrics.mode_metrics(samples, modes, std=0.1, threshold=4.0)
    assert wider["high_quality_fraction"] == 1.0 and wider["modes_captured"] == 2


@FAST
@given(st.integers(0, 2**31 - 1), st.integers(1, 40))
def test_mode_metrics_ignore_sample_order_and_stay_in_range(seed, n):
    backend.manual_seed(seed)
    modes = data.grid_modes()
    samples = modes[backend.randint(0, 25, (n,))] + 0.1 * backend.randn(n, 2)
    result = metrics.mode_metrics(samples, modes, 0.05)
    shuffled = metrics.mode_metrics(samples[backend.permutation(n)], modes, 0.05)
    assert shuffled["mode_counts"] == result["mode_counts"]
    assert 0 <= result["modes_captured"] <= min(n, 25)
    assert result["modes_captured"] == sum(c > 0 for c in result["mode_counts"])
    assert 0.0 <= result["high_quality_fraction"] <= 1.0


def test_default_std_is_the_datasets():
    assert metrics.default_std("ring") == 0.02
    assert metrics.default_std("grid") == 0.05


def test_toy_registry_names_sampler_modes_and_std():
    ring, grid = data.toy_dataset("ring"), data.toy_dataset("grid")
    assert (ring.sample, ring.modes, ring.std) == (data.ring_of_gaussians, data.ring_modes, 0.02)
    assert (grid.sample, grid.modes, grid.std) == (data.grid_of_gaussians, data.grid_modes, 0.05)
    assert ring.sample(7).shape == (7, 2) and grid.modes().shape == (25, 2)
    with pytest.raises(data.DataError, match="'ring', 'grid', got 'spiral'"):
        data.toy_dataset("spiral")


def test_2d_errors_say_what_is_wrong():
    with pytest.raises(MetricsError, match=r"shape \(2500, 2\), got shape \(2500, 3\)"):
        metrics.evaluate_2d_generator(lambda n: backend.randn(n, 3), "ring")
    with pytest.raises(MetricsError, match="'ring', 'grid'"):
        metrics.evaluate_2d_generator(data.ring_of_gaussians, "spiral")
    with pytest.raises(MetricsError, match=r"samples \(5, 3\) and modes \(8, 2\)"):
        metrics.mode_metrics(backend.randn(5, 3), data.ring_modes(), 0.02)
    with pytest.raises(MetricsError, match="positive"):
        metrics.mode_metrics(backend.randn(5, 2), data.ring_modes(), 0.0)


def test_reference_points_are_the_published_table():
    assert len(metrics.REFERENCE_POINTS) == 8
    assert ("VEEGAN Table 1", "grid", "VEEGAN", 24.6, 0.40) in metrics.REFERENCE_POINTS
    assert ("PacGAN Table 1", "ring", "PacGAN2", 7.9, 0.956) in metrics.REFERENCE_POINTS


# ----------------------------------------------------------------- Fréchet distance


def random_covariance(d, seed):
    backend.manual_seed(seed)
    a = backend.randn(d, d, dtype="float64")
    return a @ a.T + 0.1 * xp.eye(d)


def test_frechet_distance_of_a_gaussian_to_itself_is_zero():
    sigma = random_covariance(6, 0)
    mu = backend.randn(6, dtype="float64")
    assert metrics.frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-9)
    backend.manual_seed(4)
    features = backend.randn(500, 6) @ backend.randn(6, 6)
    stats = metrics.gaussian_statistics(features)
    assert metrics.frechet_distance(*stats, *stats) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_of_diagonal_gaussians_has_the_closed_form():
    backend.manual_seed(5)
    mu1, mu2 = backend.randn(8, dtype="float64"), backend.randn(8, dtype="float64")
    var1, var2 = backend.rand(8, dtype="float64") + 0.1, 3 * backend.rand(8, dtype="float64")
    expected = float(((mu1 - mu2) ** 2).sum() + (var1 + var2 - 2 * xp.sqrt(var1 * var2)).sum())
    found = metrics.frechet_distance(mu1, xp.diag(var1), mu2, xp.diag(var2))
    assert found == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_in_one_dimension_is_mean_and_std_gaps_squared():
    found = metrics.frechet_distance(points([1.0]), points([[4.0]]), points([-2.0]), points([[0.25]]))
    assert found == pytest.approx(3.0**2 + (2.0 - 0.5) ** 2, rel=1e-12)


def test_frechet_distance_of_commuting_covariances_matches_shared_eigenbasis():
    # Sigma_i = Q diag(l_i) Q^T: (Sigma1 Sigma2)^{1/2} = Q diag(sqrt(l1 l2)) Q^T
    q, _ = xp.linalg.qr(random_covariance(5, 6))
    l1, l2 = points([1.0, 2.0, 0.5, 4.0, 0.01]), points([3.0, 0.2, 0.5, 1.0, 2.0])
    sigma1, sigma2 = (q * l1) @ q.T, (q * l2) @ q.T
    mu = xp.zeros(5)
    expected = float((l1 + l2 - 2 * xp.sqrt(l1 * l2)).sum())
    assert metrics.frechet_distance(mu, sigma1, mu, sigma2) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_is_symmetric_for_non_commuting_covariances():
    sigma1, sigma2 = random_covariance(7, 7), random_covariance(7, 8)
    mu1, mu2 = backend.randn(7, dtype="float64"), backend.randn(7, dtype="float64")
    forward = metrics.frechet_distance(mu1, sigma1, mu2, sigma2)
    assert forward > 0
    assert metrics.frechet_distance(mu2, sigma2, mu1, sigma1) == pytest.approx(forward, rel=1e-9)


def test_gaussian_statistics_are_the_sample_mean_and_unbiased_covariance():
    backend.manual_seed(9)
    features = backend.randn(50, 3, dtype="float64")
    mu, sigma = metrics.gaussian_statistics(features)
    assert float(xp.abs(mu - features.mean(axis=0)).max()) < 1e-14
    assert float(xp.abs(sigma - xp.cov(features, rowvar=False)).max()) < 1e-13


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(MetricsError, match=r"means \(D,\) and covariances \(D, D\)"):
        metrics.frechet_distance(xp.zeros(3), xp.eye(3), xp.zeros(4), xp.eye(4))


# ----------------------------------------------------------------- Inception-style score


def test_inception_score_of_confident_uniform_predictions_is_the_number_of_classes():
    probs = xp.eye(10)[xp.arange(200) % 10]
    assert metrics.inception_score(probs) == pytest.approx(10.0, rel=1e-12)
    assert metrics.inception_score(xp.eye(4)[xp.arange(8) % 2]) == pytest.approx(2.0, rel=1e-12)


def test_inception_score_of_identical_predictions_is_one():
    assert metrics.inception_score(xp.eye(10)[xp.full(50, 3)]) == pytest.approx(1.0, rel=1e-12)
    soft = xp.tile(points([0.1, 0.2, 0.3, 0.4]), (20, 1))
    assert metrics.inception_score(soft) == pytest.approx(1.0, rel=1e-12)


@FAST
@given(st.integers(0, 2**31 - 1), st.integers(1, 30), st.integers(2, 12))
def test_inception_score_lies_between_one_and_the_number_of_classes(seed, n, c):
    backend.manual_seed(seed)
    logits = 3 * backend.randn(n, c, dtype="float64")
    probs = xp.exp(logits) / xp.exp(logits).sum(axis=1, keepdims=True)
    assert 1 - 1e-9 <= metrics.inception_score(probs) <= c + 1e-9


def test_class_coverage_counts_classes_with_at_least_one_percent():
    labels = xp.concatenate([xp.full(495, 0), xp.full(5, 1), xp.full(4, 2)])  # 1 % of 504 is 5.04
    assert metrics.class_coverage(labels) == 1
    assert metrics.class_coverage(xp.concatenate([labels, xp.full(1, 1)])) == 2  # 6 >= 5.05
    assert metrics.class_coverage(xp.arange(10)) == 10


# ----------------------------------------------------------------- the digit classifier and its metrics


@pytest.fixture(scope="module")
def digits():
    return data.load_digits()


def test_real_digits_cover_all_classes_evenly_and_are_their_own_frechet_reference(digits):
    images, labels = digits
    result = metrics.digit_metrics(mg.tensor(images))
    assert result["class_coverage"] == 10
    assert result["class_kl"] < 0.01
    assert result["inception_score"] > 9.0
    assert result["frechet_distance"] == pytest.approx(0.0, abs=1e-6)  # the same 5,000 images as the reference
    assert 0 < result["frechet_distance_real"] < 20
    assert sum(result["class_counts"]) == 5000
    assert all(type(c) is int for c in result["predictions"])   # plain numbers, as the module promises
    predictions = np.array(result["predictions"])
    assert predictions.shape == (5000,)
    assert np.bincount(predictions, minlength=10).tolist() == result["class_counts"]
    assert (predictions == backend.to_numpy(labels)).mean() > 0.95  # the classifier reads real digits right


def test_a_collapsed_generator_covers_one_class_with_kl_log_10_and_score_one(digits):
    images, _ = digits
    one_digit = xp.repeat(images[1234:1235], 300, axis=0)
    result = metrics.digit_metrics(one_digit)
    assert result["class_coverage"] == 1
    assert result["class_kl"] == pytest.approx(math.log(10), rel=1e-12)
    assert result["inception_score"] == pytest.approx(1.0, rel=1e-9)
    assert result["frechet_distance"] > 50 * result["frechet_distance_real"]


def test_noise_is_far_from_the_digits_in_feature_space(digits):
    images, _ = digits
    backend.manual_seed(10)
    noise = metrics.digit_metrics(2 * backend.rand(1000, 1, 28, 28) - 1)
    slightly_noisy = metrics.digit_metrics(xp.clip(images[::5] + 0.2 * backend.randn(1000, 1, 28, 28), -1, 1))
    assert noise["frechet_distance"] > slightly_noisy["frechet_distance"] > slightly_noisy["frechet_distance_real"]
    assert noise["inception_score"] < slightly_noisy["inception_score"]


def test_digit_metrics_against_given_real_images(digits):
    images, _ = digits
    real = images[1::2]
    result = metrics.digit_metrics(real, real_images=real)
    assert result["frechet_distance"] == pytest.approx(0.0, abs=1e-6)
    assert result["frechet_distance_real"] > 0


def test_digit_metrics_errors_say_what_is_wrong(digits, tmp_path):
    images, _ = digits
    with pytest.raises(ClassifierError, match=r"\(N, 1, 28, 28\) with N >= 1, got \(10, 28, 28\)"):
        metrics.digit_metrics(images[:10, 0])
    with pytest.raises(ClassifierError, match="NaN"):
        metrics.digit_metrics(images[:10] * math.nan)
    with pytest.raises(MetricsError, match="at least 2 images"):
        metrics.digit_metrics(images[:1])
