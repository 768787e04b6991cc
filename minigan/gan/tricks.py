r"""Training tricks from the GAN literature, each a formula you can test.

* soft and noisy targets for the discriminator: :func:`flip_labels` and
  :func:`noisy_labels` return targets, :func:`d_loss_one_sided_smoothing`
  returns D's loss with the real targets smoothed (Salimans et al. 2016; the
  "GAN hacks" list);
* :func:`instance_noise` on D's inputs, annealed by :func:`annealed_std`
  (Sønderby et al. 2017; Arjovsky & Bottou 2017);
* from *Improved Techniques for Training GANs* (Salimans et al. 2016):
  :func:`feature_matching_loss`, :class:`HistoricalAverage` and
  :func:`minibatch_discrimination`.

Targets are constant Tensors (no gradient) of the logits' shape; feed them to
:func:`minigan.gan.losses.bce_with_logits` (a ``d_loss_...`` is already a loss). Random draws come from minigan's
seeded generator (``mg.manual_seed``), so a run repeats exactly.
"""

import minigan as mg
from minigan import backend
from minigan.backend import xp
from minigan.gan.losses import bce_with_logits
from minigan.tensor import Tensor

# ------------------------------------------------------------------ soft and noisy labels


def d_loss_one_sided_smoothing(real_logits, fake_logits, real_target=0.9):
    r"""The discriminator's loss with real targets smoothed to :math:`\alpha` and fake targets left at 0.

    .. math::

        L_D = -\operatorname{mean}\big[\alpha\log\sigma(a_r) + (1 - \alpha)\log\sigma(-a_r)\big]
              - \operatorname{mean}\log\sigma(-a_f)

    :math:`\partial L_D/\partial a_r = (\sigma(a_r) - \alpha)/N`: D is no
    longer pushed towards certainty on real data, but stops at
    :math:`D(x) = \alpha` (``real_target``, 0.9). That keeps its logits from
    growing without bound and its gradients from becoming extreme.

    Why only the real side: with targets :math:`\alpha` for real and
    :math:`\beta` for fake, the optimal discriminator is

    .. math::

        D^*(x) = \frac{\alpha\, p_{data}(x) + \beta\, p_g(x)}{p_{data}(x) + p_g(x)}

    With :math:`\beta > 0`, where there is no data but the generator puts mass
    (:math:`p_{data} \approx 0`, :math:`p_g > 0`), :math:`D^* = \beta`, the
    same as on a mix: nothing there tells G to move those samples towards the
    data. With :math:`\beta = 0`, :math:`D^* \to 0` there and G is pushed away.
    """
    if not 0 < real_target <= 1:
        raise ValueError(f"d_loss_one_sided_smoothing: real_target must be in (0, 1], got {real_target}.")
    return bce_with_logits(real_logits, real_target) + bce_with_logits(fake_logits, 0.0)


def flip_labels(targets, p):
    r"""Each target :math:`y` replaced by :math:`1 - y` with probability ``p`` (independently).

    Occasionally lying to the discriminator (p of a few percent) keeps it from
    becoming too sure too soon. (The other "flip", training G with the fakes
    labelled real, is the non-saturating :func:`~minigan.gan.losses.g_loss`.)
    Draws :math:`u \sim U[0, 1)` of the targets' shape; flips where :math:`u < p`.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"flip_labels: p must be a probability in [0, 1], got {p}.")
    y = _target_array(targets)
    u = backend.rand(*y.shape, dtype=y.dtype)
    return Tensor(xp.where(u < p, 1 - y, y))


def noisy_labels(targets, amount=0.3):
    r"""Soft, noisy targets: :math:`y' = y + (1 - 2y)\, a\, u`, :math:`u \sim U[0, 1)` per element, a = ``amount``.

    A hard 1 becomes a random number in :math:`(1 - a, 1]` and a hard 0 one in
    :math:`[0, a)` (the "GAN hacks" advice, with a = 0.3, kept inside [0, 1]
    so the targets stay probabilities). Soft targets in between move towards
    1/2 the same way.
    """
    if not 0 <= amount <= 1:
        raise ValueError(f"noisy_labels: amount must be in [0, 1], got {amount}.")
    y = _target_array(targets)
    u = backend.rand(*y.shape, dtype=y.dtype)
    return Tensor(y + (1 - 2 * y) * amount * u)


def _target_array(targets):
    y = targets.data if isinstance(targets, Tensor) else backend.asarray(targets)
    if not backend.is_floating(y.dtype):
        y = y.astype("float32")
    return y


# ------------------------------------------------------------------ instance noise


def instance_noise(x, std):
    r""":math:`x + \sigma\,n`, :math:`n \sim \mathcal N(0, I)`: blur what the discriminator sees.

    Add it to the real *and* the fake batch before D. Two distributions on thin
    manifolds hardly overlap, so a perfect discriminator exists and its
    gradients are useless; Gaussian noise spreads both until they overlap.
    Anneal :math:`\sigma` to 0 (:func:`annealed_std`). The gradient passes
    unchanged: :math:`\partial(x + \sigma n)/\partial x = I`. With ``std`` 0,
    ``x`` is returned as is (and nothing is drawn).
    """
    if std < 0:
        raise ValueError(f"instance_noise: std must be >= 0, got {std}.")
    if std == 0:
        return x
    return x + Tensor(std * backend.randn(*x.shape, dtype=x.dtype))


def annealed_std(step, total_steps, start=0.1, end=0.0):
    r"""A linear schedule: :math:`\sigma_t = \sigma_0 + (\sigma_1 - \sigma_0) \min(t / T, 1)`."""
    if total_steps <= 0:
        raise ValueError(f"annealed_std: total_steps must be positive, got {total_steps}.")
    return start + (end - start) * min(step / total_steps, 1.0)


# ------------------------------------------------------------------ Improved GAN (Salimans et al., 2016)


def feature_matching_loss(f_real, f_fake):
    r"""Feature matching: :math:`\|\mathbb{E}_x f(x) - \mathbb{E}_z f(G(z))\|_2^2`, a loss for the generator.

    ``f_real`` (N, ...) and ``f_fake`` (M, ...) are an intermediate layer's
    activations of the discriminator; each sample's features are flattened,
    averaged over the batch, and the squared distance of the two means is
    summed over the features. G matches the statistics of the real data
    instead of maximising D's output, which keeps it from overtraining on
    the current D. Pass ``f_real.detach()`` (the real side is a target).
    With :math:`\mu_r, \mu_f` the means:
    :math:`\partial L/\partial f_{fake,m} = -2(\mu_r - \mu_f)/M`.
    """
    if f_real.shape[1:] != f_fake.shape[1:]:
        raise ValueError(
            f"feature_matching_loss: f_real has shape {tuple(f_real.shape)} and f_fake {tuple(f_fake.shape)}; "
            "the features (all but the batch axis) must match."
        )
    mu_real = mg.mean(f_real.reshape(f_real.shape[0], -1), axis=0)    # E_x f(x)
    mu_fake = mg.mean(f_fake.reshape(f_fake.shape[0], -1), axis=0)    # E_z f(G(z))
    diff = mu_real - mu_fake
    return mg.sum(diff * diff)


class HistoricalAverage:
    r"""Historical averaging: the penalty :math:`\|\theta - \frac1t\sum_{i=1}^t \theta[i]\|^2`.

    Keeps the running mean :math:`\bar\theta_t` of the parameters' past values
    (the values at construction and after each :meth:`update`), and
    :meth:`penalty` returns :math:`\sum_{\text{params}} \|\theta - \bar\theta_t\|^2`,
    differentiable in :math:`\theta` (the average is a constant):
    :math:`\partial/\partial\theta = 2(\theta - \bar\theta_t)`. Add
    :math:`\lambda` times it to a player's loss, and call :meth:`update`
    after each of its optimiser steps. It damps the oscillations of a game
    that gradient descent would circle around (fictitious play).

    The mean is updated in place, :math:`\bar\theta_t = \bar\theta_{t-1} + (\theta_t - \bar\theta_{t-1})/t`,
    so no history is stored.
    """

    def __init__(self, params):
        self.params = list(params)
        if not self.params or not all(isinstance(p, Tensor) for p in self.params):
            raise ValueError("HistoricalAverage needs a non-empty list of Tensors, such as model.parameters().")
        self.count = 0
        self.averages = [xp.zeros_like(p.data) for p in self.params]
        self.update()

    def update(self):
        """Add the parameters' current values to the average (t <- t + 1)."""
        self.count += 1
        for k, p in enumerate(self.params):
            self.averages[k] = self.averages[k] + (p.data - self.averages[k]) / self.count

    def penalty(self):
        r""":math:`\sum_{\text{params}} \|\theta - \bar\theta_t\|^2`, a Tensor in the graph of the parameters."""
        total = 0.0
        for p, average in zip(self.params, self.averages):
            diff = p - Tensor(average)
            total = total + mg.sum(diff * diff)
        return total

    def state_dict(self):
        """``count`` and ``average.<i>`` as host arrays, for a checkpoint."""
        sd = {"count": backend.to_numpy(self.count)}
        sd.update({f"average.{k}": backend.to_numpy(a).copy() for k, a in enumerate(self.averages)})
        return sd

    def load_state_dict(self, sd):
        expected = {"count"} | {f"average.{k}" for k in range(len(self.params))}
        if set(sd) != expected:
            key = sorted(set(sd) ^ expected)[0]
            what = "missing" if key in expected else "unexpected"
            raise ValueError(f"HistoricalAverage.load_state_dict: key {key!r} is {what}.")
        for k, p in enumerate(self.params):
            shape = tuple(sd[f"average.{k}"].shape)
            if shape != tuple(p.shape):
                raise ValueError(
                    f"HistoricalAverage.load_state_dict: key 'average.{k}' has shape {shape}, "
                    f"but parameter {k} has shape {tuple(p.shape)}."
                )
        self.count = int(sd["count"])
        self.averages = [backend.asarray(sd[f"average.{k}"], dtype=p.dtype).copy() for k, p in enumerate(self.params)]


def minibatch_discrimination(features, T, num_kernels):
    r"""Minibatch discrimination: features that tell D how alike the samples of a batch are.

    ``features`` :math:`f` is (N, A); ``T`` a trainable tensor of shape
    (A, B·C) with B = ``num_kernels``. Then

    .. math::

        M_n = (f_n T) \text{ as a } B \times C \text{ matrix},\qquad
        c_b(x_i, x_j) = \exp\big(-\|M_{i,b} - M_{j,b}\|_{L_1}\big),\qquad
        o(x_i)_b = \sum_{j=1}^N c_b(x_i, x_j)

    (the j = i term is :math:`e^0 = 1`, as in the paper's formula). Returns
    :math:`o` of shape (N, B); concatenate it to :math:`f` for D's next layer.
    A collapsed generator makes samples that are all alike, so :math:`o`
    is large on fakes and D learns to spot it.
    """
    n, a = features.shape
    if T.ndim != 2 or T.shape[0] != a or T.shape[1] % num_kernels:
        raise ValueError(
            f"minibatch_discrimination: T must have shape ({a}, B*C) with B = num_kernels = {num_kernels}, "
            f"got {tuple(T.shape)}."
        )
    M = mg.matmul(features, T).reshape(n, num_kernels, -1)            # (N, B, C)
    l1 = mg.sum(mg.abs(M.unsqueeze(1) - M.unsqueeze(0)), axis=3)       # (N, N, B): ||M_i,b - M_j,b||_1
    return mg.sum(mg.exp(-l1), axis=1)                                 # o(x_i)_b = sum_j c_b(x_i, x_j)
