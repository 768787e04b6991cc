"""Reference solution of docs/exercises/gradient_penalty.py."""

from minigan.backend import xp


def critic(x, W1, b1, w2, b2, slope):
    r"""f(x) = w2 . leaky_relu(W1 x + b1) + b2, for each row x of a batch (n, d): the output has shape (n,)."""
    z = x @ W1.T + b1
    return xp.where(z > 0, z, slope * z) @ w2 + b2


def _slopes(x, W1, b1, slope):
    """s = leaky_relu'(z): 1 where z > 0, ``slope`` elsewhere; shape (n, h)."""
    return xp.where(x @ W1.T + b1 > 0, 1.0, slope)


def critic_input_gradient(x, W1, b1, w2, b2, slope):
    r"""grad_x f(x_i) = W1^T (w2 * s_i), for every row at once: (s * w2) @ W1, shape (n, d)."""
    return (_slopes(x, W1, b1, slope) * w2) @ W1


def gradient_penalty(x, W1, b1, w2, b2, slope):
    r"""GP = mean_i (|g_i| - 1)^2 with g_i = grad_x f(x_i)."""
    g = critic_input_gradient(x, W1, b1, w2, b2, slope)
    norms = xp.sqrt((g * g).sum(axis=1))
    return ((norms - 1.0) ** 2).mean()


def gradient_penalty_grad(x, W1, b1, w2, b2, slope):
    r"""(dGP/dW1, dGP/dw2).

    The slopes s are piecewise constant in the weights (the LeakyReLU
    simplification: ds/dW1 = 0 away from the kinks), so GP depends on W1 and
    w2 only through g_i = W1^T (w2 * s_i). With u_i = dGP/dg_i = 2 (|g_i| - 1) g_i / (n |g_i|):
    dGP/dW1 = sum_i (w2 * s_i) u_i^T   and   dGP/dw2 = sum_i s_i * (W1 u_i).
    """
    s = _slopes(x, W1, b1, slope)
    g = (s * w2) @ W1
    norms = xp.sqrt((g * g).sum(axis=1, keepdims=True))
    u = 2.0 * (norms - 1.0) / (len(x) * norms) * g
    return (s * w2).T @ u, (s * (u @ W1.T)).sum(axis=0)
