"""Reference solution of docs/exercises/discriminator_loss_gradient.py."""

from minigan.backend import xp


def softplus(a):
    """log(1 + e^a) without overflow; -log sigmoid(a) = softplus(-a) and -log(1 - sigmoid(a)) = softplus(a)."""
    return xp.maximum(a, 0) + xp.log1p(xp.exp(-xp.abs(a)))


def sigmoid(a):
    return 0.5 + 0.5 * xp.tanh(0.5 * a)


def discriminator_loss(a_real, a_fake):
    r"""L = -mean(log sigmoid(a_real)) - mean(log(1 - sigmoid(a_fake)))
      = mean(softplus(-a_real)) + mean(softplus(a_fake)).
    """
    return softplus(-a_real).mean() + softplus(a_fake).mean()


def discriminator_loss_grad(a_real, a_fake):
    r"""dL/da = (sigmoid(a) - y) / batch size, with y = 1 for the real logits and y = 0 for the fake ones."""
    return (sigmoid(a_real) - 1.0) / a_real.size, sigmoid(a_fake) / a_fake.size
