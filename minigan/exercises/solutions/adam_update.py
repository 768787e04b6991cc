"""Reference solution of docs/exercises/adam_update.py."""

from minigan.backend import xp


def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    r"""One Adam step (Kingma & Ba, Algorithm 1); t counts from 1.

    m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2,
    m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t),
    param = param - lr m_hat / (sqrt(v_hat) + eps).
    """
    b1, b2 = betas
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad * grad
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return param - lr * m_hat / (xp.sqrt(v_hat) + eps), m, v
