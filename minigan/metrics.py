r"""Numbers that say whether a GAN worked.

Two families, one for each kind of data the examples train on.

**2D mixtures** (the ring of 8 and the grid of 25 Gaussians in
:mod:`minigan.data`), with the definitions of VEEGAN (Srivastava et al.,
NeurIPS 2017, section 5.1), also used by PacGAN (Lin et al., NeurIPS 2018):

* a generated sample is *high-quality* if it lies within 3 standard deviations
  of its nearest mode;
* a mode is *captured* if it is the nearest mode of at least one high-quality
  sample;
* both are measured on 2,500 samples.

That "captured" rule is lenient: one stray sample near a mode captures it, so
2,500 points of uniform noise over the grid's square capture most of its 25
modes. Beside it, :func:`mode_metrics` reports a *strict* count: a mode counts
when it holds at least 20 % of the high-quality samples a perfect sampler
would put there (:func:`strict_mode_threshold`). :func:`save_samples` writes
the samples behind a number to an ``.npz`` file and :func:`rescore_samples`
scores such a file again, so anyone can check a reported number.

:func:`mode_metrics` computes them (plus a reverse KL of the mode histogram,
see there); :func:`evaluate_2d_generator` draws the samples and picks the modes
and standard deviation of the named dataset.

**Digits** (the 5,000 bundled MNIST digits): a small convolutional classifier
(:mod:`minigan.classifier`), trained with minigan itself by
``scripts/train_digit_classifier.py`` and shipped as
``minigan/datasets/digit_classifier.npz``, reads the generated images.
:func:`digit_metrics` reports the classes covered, the KL of the predicted
class histogram to uniform, an Inception-style score (:func:`inception_score`),
and a Fréchet distance (:func:`frechet_distance`) in the classifier's 64-d
feature space next to its real-vs-real value.

Every function returns plain Python numbers (a float or an int, or a dict of
them and of lists of them), ready to print or put in a table.

Published reference points for the 2D mixtures, as :data:`REFERENCE_POINTS`
(high-quality as a fraction, like :func:`mode_metrics` reports it):

=============== ======= ======= ===== ============
table           dataset method  modes high-quality
=============== ======= ======= ===== ============
VEEGAN Table 1  ring    GAN     1     0.993
VEEGAN Table 1  ring    VEEGAN  8     0.529
VEEGAN Table 1  grid    GAN     3.3   0.005
VEEGAN Table 1  grid    VEEGAN  24.6  0.40
PacGAN Table 1  ring    GAN     6.3   0.982
PacGAN Table 1  ring    PacGAN2 7.9   0.956
PacGAN Table 1  grid    GAN     17.3  0.948
PacGAN Table 1  grid    PacGAN2 23.8  0.913
=============== ======= ======= ===== ============

(modes are means over the papers' runs, hence the fractions.)
"""

import functools
import math

from minigan import backend, data
from minigan.backend import xp
from minigan.classifier import N_CLASSES, classify_digits
from minigan.tensor import Tensor, no_grad


class MetricsError(ValueError):
    """A metric got an argument of the wrong shape, size or kind."""


REFERENCE_POINTS = (
    # (table, dataset, method, modes captured, high-quality fraction)
    ("VEEGAN Table 1", "ring", "GAN", 1.0, 0.993),
    ("VEEGAN Table 1", "ring", "VEEGAN", 8.0, 0.529),
    ("VEEGAN Table 1", "grid", "GAN", 3.3, 0.005),
    ("VEEGAN Table 1", "grid", "VEEGAN", 24.6, 0.40),
    ("PacGAN Table 1", "ring", "GAN", 6.3, 0.982),
    ("PacGAN Table 1", "ring", "PacGAN2", 7.9, 0.956),
    ("PacGAN Table 1", "grid", "GAN", 17.3, 0.948),
    ("PacGAN Table 1", "grid", "PacGAN2", 23.8, 0.913),
)


def _array(x, name):
    """``x`` (a Tensor or any array-like) as a float64 backend array."""
    array = x.data if isinstance(x, Tensor) else backend.asarray(x)
    if not backend.is_floating(array.dtype) and array.dtype.kind not in "iu":
        raise MetricsError(f"{name} must hold numbers, got dtype {array.dtype}.")
    return array.astype("float64")


# ----------------------------------------------------------------- histograms against uniform (the one home)


def kl_to_uniform(counts):
    r"""KL(p || uniform) of the histogram ``counts`` over K bins, in nats.

        p_k = counts_k / sum(counts),   KL = sum_k p_k log(p_k / (1/K)) = sum_k p_k log(K p_k)

    with 0 log 0 = 0. It is 0 when every bin is equally full and log K when one
    bin holds everything. An empty histogram has no p: the result is NaN.
    """
    counts = _array(counts, "counts")
    total = float(counts.sum())
    if total == 0:
        return math.nan
    p = counts / total
    safe = xp.where(p > 0, p, 1.0)  # log(1) = 0 where p = 0, so those bins add 0 log 0 = 0
    return float((p * xp.log(safe * len(p))).sum())


# ----------------------------------------------------------------- 2D mixtures (VEEGAN's definitions)

HIGH_QUALITY_STDS = 3.0
SAMPLES_2D = 2500


def mode_metrics(samples, modes, std, threshold=HIGH_QUALITY_STDS):
    r"""Mode coverage and sample quality of 2D samples from a mixture with known modes.

    For samples x_i (N, 2) and mode centres mu_k (K, 2) of a mixture whose
    components have standard deviation ``std``:

        d_i = min_k ||x_i - mu_k||,        k_i = argmin_k ||x_i - mu_k||
        high-quality(i)  <=>  d_i <= threshold * std          (threshold = 3, VEEGAN)
        high_quality_fraction = #{i high-quality} / N
        modes_captured        = #{k_i : i high-quality}
        modes_captured_strict = #{k : c_k >= share * N (1 - exp(-threshold^2 / 2)) / K}   (share = 0.2)
        reverse_kl            = KL(p_gen || uniform) = sum_k p_k log(K p_k),
                                p_k = #{i high-quality : k_i = k} / #{i high-quality}

    The reverse KL (generated histogram first, 0 log 0 = 0) is measured on the
    mode histogram of the high-quality samples, against the uniform weights of
    the true mixture, in nats. PacGAN reports a reverse KL of the mode
    histogram beside VEEGAN's two numbers; this is the definition used here.
    It is 0 for a generator that fills every mode equally and log K for one
    collapsed onto a single mode; with no high-quality sample it is undefined
    (NaN).

    For a perfect sampler a fraction 1 - exp(-threshold^2 / 2) of the samples
    is high-quality (the radius of a 2D standard normal is Rayleigh): 98.9 %
    at 3 sigma.

    Returns a dict: ``modes_captured`` (int), ``modes_captured_strict`` (int,
    see :func:`strict_mode_threshold`; c_k is the k-th mode count),
    ``high_quality_fraction`` (float in [0, 1]), ``reverse_kl`` (float),
    ``n_modes`` (K) and ``mode_counts`` (list of K ints: high-quality samples
    per mode).
    """
    x, mu = _array(samples, "samples"), _array(modes, "modes")
    if x.ndim != 2 or mu.ndim != 2 or x.shape[1] != mu.shape[1] or len(x) == 0 or len(mu) == 0:
        raise MetricsError(
            f"mode_metrics needs samples (N, D) and modes (K, D) with the same D, "
            f"got samples {tuple(x.shape)} and modes {tuple(mu.shape)}."
        )
    if not (isinstance(std, (int, float)) and std > 0) or not (threshold > 0):
        raise MetricsError(f"std and threshold must be positive numbers, got std={std!r}, threshold={threshold!r}.")
    squared = ((x[:, None, :] - mu[None, :, :]) ** 2).sum(axis=2)  # (N, K)
    nearest = squared.argmin(axis=1)
    distance = xp.sqrt(squared.min(axis=1))
    good = distance <= threshold * std
    counts = xp.bincount(nearest[good], minlength=len(mu))
    return {
        "modes_captured": int((counts > 0).sum()),
        "modes_captured_strict": int((counts >= strict_mode_threshold(len(x), len(mu), threshold)).sum()),
        "high_quality_fraction": float(good.mean()),
        "reverse_kl": kl_to_uniform(counts),
        "n_modes": len(mu),
        "mode_counts": [int(c) for c in backend.to_numpy(counts)],
    }


def default_std(dataset):
    """The standard deviation the named toy dataset is sampled with by default (ring 0.02, grid 0.05).

    Read from the sampler's signature in :mod:`minigan.data`, so the data and
    the metric cannot disagree.
    """
    return _toy(dataset).std


def _toy(dataset):
    try:
        return data.toy_dataset(dataset)
    except data.DataError as err:
        raise MetricsError(str(err)) from None


def evaluate_2d_generator(sample_fn, dataset="ring", n=SAMPLES_2D, std=None):
    """:func:`mode_metrics` of ``n`` samples of ``sample_fn`` against a toy dataset's modes.

    ``sample_fn(n)`` returns n generated points, shape (n, 2), as a Tensor or
    array (for a generator ``G``: ``lambda n: G(mg.tensor(backend.randn(n, z_dim)))``);
    it runs under ``no_grad``. ``dataset`` is ``"ring"`` (8 modes) or
    ``"grid"`` (25 modes) with the default layout of :mod:`minigan.data`, and
    ``std`` defaults to that dataset's (:func:`default_std`). ``n`` is 2,500,
    as in VEEGAN.
    """
    modes_fn = _toy(dataset).modes
    std = default_std(dataset) if std is None else std
    with no_grad():
        samples = sample_fn(n)
    shape = tuple(samples.shape)
    if shape != (n, 2):
        raise MetricsError(f"sample_fn({n}) must return points of shape ({n}, 2), got shape {shape}.")
    return mode_metrics(samples, modes_fn(), std)


STRICT_SHARE = 0.2


def strict_mode_threshold(n_samples, n_modes, threshold=HIGH_QUALITY_STDS, share=STRICT_SHARE):
    r"""The high-quality samples a mode must hold to count as captured under the strict rule.

    A perfect sampler of a mixture of K equal components puts, in expectation,

        e = N (1 - exp(-threshold^2 / 2)) / K

    high-quality samples at each mode (the radius of a 2D normal is Rayleigh,
    so a fraction 1 - exp(-t^2 / 2) lies within t std). A mode counts strictly
    when it holds at least ``share`` e of them (share = 20 %): 19.8 samples of
    2,500 on the grid of 25, 61.8 on the ring of 8.

    The share is of what a *perfect* sampler would put there, not of the
    high-quality samples this generator happened to make: uniform noise on
    the square [-5, 5]^2 around the grid makes only ~43 high-quality samples
    of 2,500, 1.7 per mode, and 20 % of that is less than one sample, so a
    rule relative to them would be no stricter than the lenient one. Measured
    over 20 draws of such noise (tests/test_benchmark_toys.py): the lenient
    rule counts 20.4 of 25 modes on average (16 to 23), the strict rule 0.
    """
    return share * n_samples * (1 - math.exp(-threshold**2 / 2)) / n_modes


def save_samples(path, samples, dataset, **numbers):
    """Write the samples behind a toy number to ``path`` (.npz), with what is needed to score them again.

    The file holds ``samples`` (N, 2) as given (float32 from a generator), ``modes`` (K, 2) and
    ``std`` of the named toy dataset, the ``dataset`` name and the numbers
    given as keywords (each a number or a string, e.g. ``seed=3,
    method="WGAN-GP"``). Read it with :func:`rescore_samples`, or with
    ``numpy.load`` anywhere else.
    """
    toy = _toy(dataset)
    x = samples.data if isinstance(samples, Tensor) else backend.asarray(samples)
    if x.ndim != 2 or x.shape[1] != 2 or not backend.is_floating(x.dtype):
        raise MetricsError(f"save_samples needs float samples of shape (N, 2), got {tuple(x.shape)} {x.dtype}.")
    for name, value in numbers.items():
        if not isinstance(value, (int, float, str)):
            raise MetricsError(f"save_samples: {name} must be a number or a string, got {type(value).__name__}.")
    arrays = {"samples": x, "modes": _array(toy.modes(), "modes"), "std": float(toy.std), "dataset": dataset,
              **numbers}
    with open(path, "wb") as f:
        backend.save_npz(f, arrays)


def rescore_samples(path, threshold=HIGH_QUALITY_STDS):
    """:func:`mode_metrics` of the samples in a file written by :func:`save_samples`.

    Returns the metrics, plus the numbers stored beside the samples under
    ``"stored"`` (so a reader can compare what was reported with what the
    samples give).
    """
    try:
        arrays = backend.load_npz(path)
    except (OSError, backend.ArchiveError) as err:
        raise MetricsError(f"cannot read samples from {path}: {err}; write them with save_samples.") from None
    missing = [name for name in ("samples", "modes", "std") if name not in arrays]
    if missing:
        raise MetricsError(f"{path} lacks {', '.join(missing)}: it was not written by save_samples.")
    result = mode_metrics(arrays["samples"], arrays["modes"], float(arrays["std"]), threshold)
    result["stored"] = {name: value.item() for name, value in arrays.items()
                        if name not in ("samples", "modes") and value.ndim == 0}
    return result


# ----------------------------------------------------------------- scores on classifier outputs


def gaussian_statistics(features):
    r"""Mean and covariance of the rows of ``features`` (N, D), in float64.

        mu = (1/N) sum_i f_i,    Sigma = 1/(N-1) sum_i (f_i - mu)(f_i - mu)^T
    """
    f = _array(features, "features")
    if f.ndim != 2 or len(f) < 2:
        raise MetricsError(f"gaussian_statistics needs features of shape (N, D) with N >= 2, got {tuple(f.shape)}.")
    mu = f.mean(axis=0)
    centred = f - mu
    return mu, centred.T @ centred / (len(f) - 1)


def _sqrt_psd(matrix):
    r"""The symmetric square root of a symmetric positive semi-definite matrix.

        A = V diag(w) V^T  (eigh)   =>   A^{1/2} = V diag(sqrt(w)) V^T

    Eigenvalues a hair below zero (round-off) count as zero.
    """
    w, v = xp.linalg.eigh(matrix)
    return (v * xp.sqrt(xp.clip(w, 0, None))) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2):
    r"""Fréchet (2-Wasserstein) distance squared between N(mu1, Sigma1) and N(mu2, Sigma2).

        d^2 = ||mu1 - mu2||^2 + Tr(Sigma1 + Sigma2 - 2 (Sigma1 Sigma2)^{1/2})

    (Dowson and Landau 1982; the FID of Heusel et al. 2017 is this on Inception
    features.) Sigma1 Sigma2 is not symmetric, but it is similar to the
    symmetric positive semi-definite M = Sigma1^{1/2} Sigma2 Sigma1^{1/2}
    (conjugate by Sigma1^{1/2}), so they share eigenvalues and

        Tr (Sigma1 Sigma2)^{1/2} = Tr M^{1/2} = sum_j sqrt(lambda_j(M)),

    computed here with two symmetric eigendecompositions, no general matrix
    square root. The result is in float64, clipped at 0 against round-off.
    """
    mu1, mu2 = _array(mu1, "mu1"), _array(mu2, "mu2")
    sigma1, sigma2 = _array(sigma1, "sigma1"), _array(sigma2, "sigma2")
    d = mu1.shape[0] if mu1.ndim == 1 else -1
    if mu2.shape != (d,) or sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise MetricsError(
            f"frechet_distance needs means (D,) and covariances (D, D) of one D, got {tuple(mu1.shape)}, "
            f"{tuple(sigma1.shape)}, {tuple(mu2.shape)}, {tuple(sigma2.shape)}."
        )
    root1 = _sqrt_psd(sigma1)
    m = root1 @ sigma2 @ root1
    eigenvalues = xp.linalg.eigvalsh((m + m.T) / 2)
    trace_sqrt = float(xp.sqrt(xp.clip(eigenvalues, 0, None)).sum())
    diff = mu1 - mu2
    value = float(diff @ diff) + float(xp.trace(sigma1) + xp.trace(sigma2)) - 2 * trace_sqrt
    return max(value, 0.0)


def inception_score(probs):
    r"""Inception-style score of class probabilities p(y|x_i), shape (N, C).

        p(y) = (1/N) sum_i p(y|x_i)
        IS   = exp( (1/N) sum_i KL(p(y|x_i) || p(y)) )
             = exp( (1/N) sum_i sum_y p(y|x_i) (log p(y|x_i) - log p(y)) ),   0 log 0 = 0

    (Salimans et al. 2016, here with our digit classifier instead of Inception
    and over all N samples at once, no splits.) It lies in [1, C]: C when each
    sample is classified with certainty and the classes are used equally, 1
    when every sample gets the same prediction.
    """
    p = _array(probs, "probs")
    if p.ndim != 2 or len(p) == 0:
        raise MetricsError(f"inception_score needs probabilities of shape (N, C), got {tuple(p.shape)}.")
    marginal = p.mean(axis=0)
    log_p = xp.log(xp.where(p > 0, p, 1.0))  # where p = 0 the term p log(.) is 0
    log_marginal = xp.log(xp.where(marginal > 0, marginal, 1.0))
    kl = (p * (log_p - log_marginal)).sum(axis=1)
    return math.exp(float(kl.mean()))


def class_coverage(predictions, n_classes=10, min_fraction=0.01):
    r"""How many classes the predicted labels cover.

        coverage = #{c : count_c >= min_fraction * N}

    A class counts once at least ``min_fraction`` (1 %) of the N samples are
    predicted as it, a tenth of its fair share on 10 classes, so a few stray
    misreadings do not count as covering a class; with N < 100 one sample is
    enough.
    """
    labels = backend.asarray(predictions.data if isinstance(predictions, Tensor) else predictions)
    counts = xp.bincount(labels.astype("int64"), minlength=n_classes)
    return int((counts >= min_fraction * len(labels)).sum())


@functools.lru_cache(maxsize=1)
def _bundled_real_statistics():
    """Feature statistics of the 5,000 bundled digits and their real-vs-real distance (computed once)."""
    images, _ = data.load_digits()
    return _real_statistics(images)


def _real_statistics(real_images):
    features, _ = classify_digits(real_images)
    stats = gaussian_statistics(features)
    half1, half2 = gaussian_statistics(features[0::2]), gaussian_statistics(features[1::2])
    return stats, frechet_distance(*half1, *half2)


def digit_metrics(images, real_images=None):
    r"""How well generated digits (N, 1, 28, 28) in [-1, 1] match the real ones, read by the digit classifier.

    With p(y|x) the classifier's softmax and y_hat(x) = argmax_y p(y|x):

    * ``class_coverage``: classes predicted for at least 1 % of the samples
      (:func:`class_coverage`), out of 10;
    * ``class_kl``: KL(q || uniform) = sum_c q_c log(10 q_c) of the predicted
      class histogram q (:func:`kl_to_uniform`): 0 for equal classes, log 10 =
      2.30 for a single class;
    * ``inception_score``: exp(E_x KL(p(y|x) || p(y))) (:func:`inception_score`),
      from 1 to 10;
    * ``frechet_distance``: ||mu_g - mu_r||^2 + Tr(S_g + S_r - 2 (S_g S_r)^{1/2})
      between Gaussians fitted to the classifier's 64-d features of the
      generated and of the real images (:func:`frechet_distance`);
    * ``frechet_distance_real``: the same between two disjoint halves of the
      real images (even and odd indices), the value of "as real as the real
      data" at this sample size. Fréchet distances shrink as N grows, so
      compare runs at the same N.
    * ``class_counts``: the predicted class histogram (10 ints);
    * ``predictions``: the class y_hat(x) read for each image (a list of N ints).

    ``real_images`` defaults to the 5,000 bundled digits (their statistics
    are computed once and cached).
    """
    features, probs = classify_digits(images)
    if len(features) < 2:
        raise MetricsError(f"digit_metrics needs at least 2 images to fit a Gaussian, got {len(features)}.")
    predictions = probs.argmax(axis=1)
    counts = xp.bincount(predictions, minlength=N_CLASSES)
    if real_images is None:
        (mu_r, sigma_r), real_vs_real = _bundled_real_statistics()
    else:
        (mu_r, sigma_r), real_vs_real = _real_statistics(real_images)
    return {
        "class_coverage": class_coverage(predictions, N_CLASSES),
        "class_kl": kl_to_uniform(counts),
        "inception_score": inception_score(probs),
        "frechet_distance": frechet_distance(*gaussian_statistics(features), mu_r, sigma_r),
        "frechet_distance_real": real_vs_real,
        "class_counts": [int(c) for c in backend.to_numpy(counts)],
        "predictions": [int(c) for c in backend.to_numpy(predictions)],
    }
