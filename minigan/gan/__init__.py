"""The GAN toolkit: losses, the gradient penalty and training tricks, each formula in its docstring.

``from minigan.gan import d_loss_minimax, g_loss`` and the rest; checkpoints
and training guards live in :mod:`minigan.gan.checkpoint` and
:mod:`minigan.gan.training`.
"""

from minigan.gan.layers import MinibatchDiscrimination, VirtualBatchNorm
from minigan.gan.losses import (
    auxiliary_classifier_loss,
    bce_with_logits,
    clip_weights_,
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
from minigan.gan.tricks import (
    HistoricalAverage,
    annealed_std,
    feature_matching_loss,
    flip_labels,
    instance_noise,
    minibatch_discrimination,
    noisy_labels,
    one_sided_label_smoothing,
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
    "one_sided_label_smoothing",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]
