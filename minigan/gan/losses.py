r"""GAN losses, each the formula of its paper, computed from logits.

The discriminator outputs a *logit* :math:`a` (any real number); its
probability that the input is real is :math:`D = \sigma(a) = 1 / (1 + e^{-a})`.
The logs of the GAN value function are then

.. math::

    \log D = \log \sigma(a), \qquad \log(1 - D) = \log \sigma(-a)

since :math:`1 - \sigma(a) = \sigma(-a)`. ``mg.log_sigmoid`` computes
:math:`\log\sigma(a) = \min(a, 0) - \log(1 + e^{-|a|})` without overflow.
Never write ``log(sigmoid(a))``: for :math:`a = -800`, ``sigmoid`` rounds to 0
(even in float64) and the log is :math:`-\infty`, while the true value is just -800.

Every loss is averaged over the batch (:math:`\mathbb{E}` is a batch mean) and
is *minimised* by the player that owns it. The two derivatives a student
should know by heart, for one logit of a batch of N:

.. math::

    \frac{\partial}{\partial a}\big(-\log\sigma(a)\big) = -(1 - \sigma(a)),
    \qquad
    \frac{\partial}{\partial a}\big(-\log\sigma(-a)\big) = \sigma(a)

(each divided by N for the batch mean).
"""

import warnings

import minigan as mg
import minigan.functional as F
from minigan import backend
from minigan.backend import xp
from minigan.tensor import Tensor

# ------------------------------------------------------------------ the original GAN (Goodfellow et al., 2014)


def d_loss_minimax(real_logits, fake_logits):
    r"""The discriminator's loss: :math:`L_D = -\big(\mathbb{E}_x[\log D(x)] + \mathbb{E}_z[\log(1 - D(G(z)))]\big)`.

    D maximises the value function :math:`V(D, G)`, so it minimises :math:`-V`.
    With logits :math:`a_r = \text{logit}(x)`, :math:`a_f = \text{logit}(G(z))`:

    .. math::

        L_D = -\operatorname{mean}\log\sigma(a_r) - \operatorname{mean}\log\sigma(-a_f)

    This is binary cross-entropy with target 1 for real and 0 for fake.
    Gradients: :math:`\partial L_D/\partial a_r = (\sigma(a_r) - 1)/N`,
    :math:`\partial L_D/\partial a_f = \sigma(a_f)/M`: "probability minus target".
    At the optimum, :math:`D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))`.
    """
    _check_logits(real_logits, "real_logits", "d_loss_minimax")
    _check_logits(fake_logits, "fake_logits", "d_loss_minimax")
    log_d_real = mg.log_sigmoid(real_logits)             # log D(x)
    log_one_minus_d_fake = mg.log_sigmoid(-fake_logits)  # log(1 - D(G(z)))
    return -(mg.mean(log_d_real) + mg.mean(log_one_minus_d_fake))


def g_loss(fake_logits, saturating=False):
    r"""The generator's loss, in one of its two forms.

    * ``saturating=True``: :math:`L_G = \mathbb{E}_z[\log(1 - D(G(z)))] = \operatorname{mean}\log\sigma(-a)`,
      the term of the value function that G minimises (the minimax game as written).
    * ``saturating=False`` (the default, what everyone trains with):
      :math:`L_G = -\mathbb{E}_z[\log D(G(z))] = -\operatorname{mean}\log\sigma(a)`.

    Both push :math:`D(G(z))` up, and they have the same fixed point. The
    lesson is in their gradients with respect to the logit :math:`a`
    (times 1/N for the mean):

    .. math::

        \frac{\partial}{\partial a}\log\sigma(-a) = -\sigma(a) \quad\text{(saturating)},\qquad
        \frac{\partial}{\partial a}\big(-\log\sigma(a)\big) = -(1 - \sigma(a)) \quad\text{(non-saturating)}

    Early in training D rejects the fakes easily: :math:`a \ll 0`, so
    :math:`\sigma(a) \approx 0`. The saturating gradient is then about 0 and
    G learns nothing; the non-saturating one is about -1, its strongest. Hence
    Goodfellow et al.'s advice to train G to maximise :math:`\log D(G(z))`.
    """
    _check_logits(fake_logits, "fake_logits", "g_loss")
    if saturating:
        return mg.mean(mg.log_sigmoid(-fake_logits))   # log(1 - D(G(z)))
    return -mg.mean(mg.log_sigmoid(fake_logits))       # -log D(G(z))


def bce_with_logits(logits, targets):
    r"""Binary cross-entropy from logits: :math:`-\operatorname{mean}\big[y\log\sigma(a) + (1 - y)\log\sigma(-a)\big]`.

    ``targets`` (:math:`y`) is a Tensor of ``logits``' shape, or one number
    for all of them. With :math:`y = 1` for real and :math:`y = 0` for fake
    this is :func:`d_loss_minimax` term by term; soft or noisy targets (see
    :mod:`minigan.gan.tricks`) are why it takes :math:`y` at all.
    :math:`\partial/\partial a = (\sigma(a) - y)/N`. The op itself is
    ``minigan.functional.binary_cross_entropy_with_logits``; this only fills
    in a number target.

    (The BCE written as :math:`y\log y + (1-y)\log(1-y)` in some notes is a
    slip: that is minus the entropy of the targets, which has no :math:`D` in it.)
    """
    if not isinstance(targets, Tensor):
        targets = Tensor(xp.full(logits.shape, targets, dtype=logits.dtype))
    return F.binary_cross_entropy_with_logits(logits, targets)


# ------------------------------------------------------------------ Wasserstein GAN (Arjovsky et al., 2017)


def wasserstein_critic_loss(real_scores, fake_scores):
    r"""The critic's loss: :math:`L_C = \mathbb{E}_z[C(G(z))] - \mathbb{E}_x[C(x)]`.

    The critic :math:`C` outputs an unbounded score (no sigmoid). It
    *maximises* :math:`\mathbb{E}[C(x)] - \mathbb{E}[C(G(z))]`, the
    Kantorovich-Rubinstein estimate of the Wasserstein-1 distance when
    :math:`C` is 1-Lipschitz; minimising the negative is this loss. (Notes that
    write "critic loss = real - fake" mean the quantity maximised.) Keep
    :math:`C` Lipschitz with :func:`minigan.gan.constraints.clip_weights_` or
    :func:`minigan.gan.penalty.gradient_penalty`.
    """
    return mg.mean(fake_scores) - mg.mean(real_scores)


def wasserstein_generator_loss(fake_scores):
    r"""The generator's loss: :math:`L_G = -\mathbb{E}_z[C(G(z))]` (raise the critic's score of the fakes)."""
    return -mg.mean(fake_scores)


# ------------------------------------------------------------------ hinge (Lim & Ye 2017; SAGAN, BigGAN)


def d_loss_hinge(real_logits, fake_logits):
    r"""Hinge discriminator loss: :math:`\mathbb{E}_x[\max(0, 1 - D(x))] + \mathbb{E}_z[\max(0, 1 + D(G(z)))]`.

    :math:`D` is a raw score. A real sample scored above 1, or a fake below -1,
    costs nothing and gives no gradient: D stops pushing once it is sure.
    """
    return mg.mean(mg.relu(1.0 - real_logits)) + mg.mean(mg.relu(1.0 + fake_logits))


def g_loss_hinge(fake_logits):
    r"""Hinge generator loss: :math:`-\mathbb{E}_z[D(G(z))]` (the same as the Wasserstein generator loss)."""
    return -mg.mean(fake_logits)


# ------------------------------------------------------------------ least squares (LSGAN, Mao et al. 2017)


def d_loss_least_squares(real_scores, fake_scores, a=0.0, b=1.0):
    r"""LSGAN discriminator loss: :math:`\tfrac12\mathbb{E}_x[(D(x) - b)^2] + \tfrac12\mathbb{E}_z[(D(G(z)) - a)^2]`.

    :math:`D` is a raw score (no sigmoid); fakes are coded :math:`a = 0`,
    reals :math:`b = 1`. A square keeps penalising fakes that are on the
    right side of the boundary but far from the data, where the log loss has
    saturated: so the generator keeps getting gradient.
    """
    return 0.5 * mg.mean((real_scores - b) ** 2) + 0.5 * mg.mean((fake_scores - a) ** 2)


def g_loss_least_squares(fake_scores, c=1.0):
    r"""LSGAN generator loss: :math:`\tfrac12\mathbb{E}_z[(D(G(z)) - c)^2]`, with :math:`c = 1` (G wants "real")."""
    return 0.5 * mg.mean((fake_scores - c) ** 2)


# ------------------------------------------------------------------ conditional: ACGAN (Odena et al., 2017)


def auxiliary_classifier_loss(class_logits, labels):
    r"""Cross-entropy of ACGAN's auxiliary classifier: :math:`L_C = -\mathbb{E}[\log P(C = c \mid x)]`.

    ``class_logits`` (N, K) are the *raw* class scores of the discriminator's
    second head; ``labels`` (N,) the integer classes. With
    :math:`\log P(c \mid x) = \operatorname{log\_softmax}(s)_c = s_c - \log\sum_k e^{s_k}`:

    .. math::

        L_C = -\frac1N \sum_n \operatorname{log\_softmax}(s_n)_{c_n},\qquad
        \frac{\partial L_C}{\partial s_{nk}} = \frac{\operatorname{softmax}(s_n)_k - [k = c_n]}{N}

    Both D and G minimise it (D on real and fake images, G on its fakes with
    the labels it was asked for). Do NOT apply a softmax first: the softmax
    would then be applied twice, the loss could never go below
    :math:`\log(K - 1 + e) - 1`, and the gradients shrink. A warning says so
    if the rows already look like probabilities.
    """
    if class_logits.ndim != 2:
        raise ValueError(
            f"auxiliary_classifier_loss: class_logits must have shape (N, K), got {tuple(class_logits.shape)}."
        )
    n, k = class_logits.shape
    labels = labels.data if isinstance(labels, Tensor) else backend.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != n or labels.dtype.kind not in "iu":
        raise ValueError(
            f"auxiliary_classifier_loss: labels must be {n} integers (shape ({n},)), "
            f"got shape {tuple(labels.shape)} of dtype {labels.dtype}."
        )
    if n and (int(labels.min()) < 0 or int(labels.max()) >= k):
        raise ValueError(
            f"auxiliary_classifier_loss: labels must lie in [0, {k}), got {int(labels.min())}..{int(labels.max())}."
        )
    if _looks_like_probabilities(class_logits.data):
        warnings.warn(
            "auxiliary_classifier_loss: class_logits look like probabilities (each row in [0, 1], summing to 1); "
            "pass the raw scores: log_softmax is applied inside.",
            stacklevel=2,
        )
    one_hot = Tensor(xp.eye(k, dtype=class_logits.dtype)[labels])   # row n: 1 at c_n, 0 elsewhere
    log_p = mg.log_softmax(class_logits, axis=1)                     # log P(k | x_n)
    return -mg.sum(log_p * one_hot) * (1.0 / n)


def _looks_like_probabilities(scores):
    if scores.size == 0:
        return False
    inside = bool(((scores >= 0) & (scores <= 1)).all())
    return inside and bool((xp.abs(scores.sum(axis=1) - 1) < 1e-4).all())


# ------------------------------------------------------------------ image-to-image: CycleGAN (Zhu et al., 2017)


def cycle_consistency_loss(x, reconstructed, lam=10.0):
    r"""CycleGAN's cycle loss: :math:`\lambda\,\mathbb{E}\,\|F(G(x)) - x\|_1` (mean absolute error).

    ``reconstructed`` is :math:`F(G(x))`: translate to the other domain and
    back. Sum it for both directions, :math:`x \to G \to F` and
    :math:`y \to F \to G`. :math:`\lambda = 10` in the paper. L1 rather
    than L2, because the mean of a squared error blurs images.
    Derivative: :math:`\lambda\operatorname{sign}(F(G(x)) - x) / \text{size}`.
    """
    _check_same_shape(x, reconstructed, "cycle_consistency_loss", "x", "reconstructed")
    return lam * mg.mean(mg.abs(reconstructed - x))


def identity_loss(y, mapped, lam=5.0):
    r"""CycleGAN's identity loss: :math:`\lambda_{id}\,\mathbb{E}\,\|G(y) - y\|_1`.

    ``mapped`` is :math:`G(y)`: an image already in G's target domain should
    pass unchanged (it keeps colours from drifting). The paper uses
    :math:`\lambda_{id} = 0.5\lambda = 5`.
    """
    _check_same_shape(y, mapped, "identity_loss", "y", "mapped")
    return lam * mg.mean(mg.abs(mapped - y))


# ------------------------------------------------------------------ checks


def _check_logits(logits, name, where):
    if not isinstance(logits, Tensor):
        raise TypeError(f"{where}: {name} must be a minigan Tensor not {type(logits).__name__}.")
    if not backend.is_floating(logits.dtype):
        raise TypeError(f"{where}: {name} must be floating point, got dtype {logits.dtype}.")


def _check_same_shape(a, b, where, name_a, name_b):
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{where}: {name_a} has shape {tuple(a.shape)} but {name_b} has shape {tuple(b.shape)}.")
