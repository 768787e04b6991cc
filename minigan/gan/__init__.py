"""The GAN toolkit: losses, the gradient penalty, weight clipping and training tricks, each formula in its docstring.

``from minigan.gan import d_loss_minimax, g_loss`` and the rest; checkpoints
and the guards of a training loop (NaN losses, flags checked before training)
live in :mod:`minigan.gan.checkpoint` and :mod:`minigan.gan.guards`.
:func:`sample` draws from a generator in eval mode, without a graph.
"""

from minigan.gan.constraints import clip_weights_
from minigan.gan.layers import MinibatchDiscrimination, VirtualBatchNorm
from minigan.gan.losses import (
    auxiliary_classifier_loss,
    bce_with_logits,
    cycle_consistency_loss,
    d_loss_hinge,
    d_loss_least_squares,
    d_loss_minimax,
    g_loss,
    g_loss_hinge,
    g_loss_least_squares,
    identity_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from minigan.gan.penalty import gradient_penalty, gradient_penalty_mlp_by_hand
from minigan.gan.sampling import sample
from minigan.gan.tricks import (
    HistoricalAverage,
    annealed_std,
    d_loss_one_sided_smoothing,
    feature_matching_loss,
    flip_labels,
    instance_noise,
    minibatch_discrimination,
    noisy_labels,
)

__all__ = [
    "MinibatchDiscrimination",
    "VirtualBatchNorm",
    "HistoricalAverage",
    "annealed_std",
    "auxiliary_classifier_loss",
    "bce_with_logits",
    "clip_weights_",
    "cycle_consistency_loss",
    "d_loss_hinge",
    "d_loss_least_squares",
    "d_loss_minimax",
    "d_loss_one_sided_smoothing",
    "feature_matching_loss",
    "flip_labels",
    "g_loss",
    "g_loss_hinge",
    "g_loss_least_squares",
    "gradient_penalty",
    "gradient_penalty_mlp_by_hand",
    "identity_loss",
    "instance_noise",
    "minibatch_discrimination",
    "noisy_labels",
    "sample",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]
