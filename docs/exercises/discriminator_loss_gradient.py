"""Exercise: the discriminator's loss and its gradient.  Page: docs/exercises/discriminator_loss_gradient.md

D outputs logits a (before the sigmoid): D(x) = sigmoid(a). For a batch of n
real logits and m fake logits, the discriminator minimises

    L = -(1/n) sum_i log sigmoid(a_real_i)  -  (1/m) sum_j log(1 - sigmoid(a_fake_j))

(binary cross-entropy with label y = 1 for real, y = 0 for fake). Show that

    dL/da_real_i = (sigmoid(a_real_i) - 1) / n,     dL/da_fake_j = sigmoid(a_fake_j) / m

i.e. (sigmoid(a) - y) / batch size, and write both functions on backend arrays
(``xp``). The checker also uses confident logits (|a| = 40), where
log(1 - sigmoid(40)) is log(0) in floating point: use
-log sigmoid(a) = softplus(-a) and -log(1 - sigmoid(a)) = softplus(a), with
softplus(a) = max(a, 0) + log(1 + e^-|a|).

Check:  python -m minigan.exercises check discriminator_loss_gradient this_file.py
"""

from minigan.backend import xp  # noqa: F401  (xp.exp, xp.log1p, xp.maximum ...)


def discriminator_loss(a_real, a_fake):
    # TODO: return L, one number.
    raise NotImplementedError


def discriminator_loss_grad(a_real, a_fake):
    # TODO: return (dL/da_real, dL/da_fake), arrays shaped like a_real and a_fake.
    raise NotImplementedError
