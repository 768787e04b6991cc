"""Exercise: the gradient penalty of WGAN-GP and its gradient.  Page: docs/exercises/gradient_penalty.md

A critic with one hidden LeakyReLU layer, for a batch x of shape (n, d):

    z = x @ W1.T + b1              W1: (h, d), b1: (h,)
    f = leaky_relu(z) @ w2 + b2    w2: (h,),  b2: a number;   f: (n,)

Let s = leaky_relu'(z) (1 where z > 0, ``slope`` elsewhere), shape (n, h). Then

    g_i = grad_x f(x_i) = W1^T (w2 * s_i)          (all rows: (s * w2) @ W1, shape (n, d))
    GP  = (1/n) sum_i (|g_i| - 1)^2                 |g_i| = sqrt(sum_k g_ik^2)

Derive dGP/dW1 and dGP/dw2. The slopes s are piecewise constant, so away from
the kinks they do not change when the weights move a little: GP depends on the
weights only through g. Write u_i = dGP/dg_i first.

Fill in the three functions on backend arrays (``xp``); ``critic`` is given.

Check:  python -m minigan.exercises check gradient_penalty this_file.py
"""

from minigan.backend import xp


def critic(x, W1, b1, w2, b2, slope):
    # Given: f, shape (n,).
    z = x @ W1.T + b1
    return xp.where(z > 0, z, slope * z) @ w2 + b2


def critic_input_gradient(x, W1, b1, w2, b2, slope):
    # TODO: return g, shape (n, d): row i is grad_x f(x_i).
    raise NotImplementedError


def gradient_penalty(x, W1, b1, w2, b2, slope):
    # TODO: return GP, one number.
    raise NotImplementedError


def gradient_penalty_grad(x, W1, b1, w2, b2, slope):
    # TODO: return (dGP/dW1, dGP/dw2), shaped like W1 and w2.
    raise NotImplementedError
