"""Exercise: one step of Adam.  Page: docs/exercises/adam_update.md

Given the parameter theta, its gradient g, the moment estimates m and v (zeros
before the first step) and the step number t (1 at the first step):

    m     = beta1 * m + (1 - beta1) * g
    v     = beta2 * v + (1 - beta2) * g^2
    m_hat = m / (1 - beta1^t)                  (bias correction: m and v start at 0)
    v_hat = v / (1 - beta2^t)
    theta = theta - lr * m_hat / (sqrt(v_hat) + eps)

Fill in ``adam_step`` on backend arrays (``xp``): return the new
(theta, m, v). Everything is elementwise.

Check:  python -m minigan.exercises check adam_update this_file.py
"""

from minigan.backend import xp  # noqa: F401  (xp.sqrt)


def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    # TODO: return (new param, new m, new v).
    raise NotImplementedError
