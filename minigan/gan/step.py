r"""The alternating training step of Algorithm 1 (Goodfellow et al., 2014), written out.

.. code-block:: text

    for each training iteration:
        for k steps:
            sample m noise vectors z and m real examples x
            update D by ascending  (1/m) sum [log D(x) + log(1 - D(G(z)))]
        sample m noise vectors z
        update G by descending (1/m) sum log(1 - D(G(z)))     (or ascending log D(G(z)): non-saturating)

Two things keep the players apart, and both are easy to get wrong:

* **D's step must not train G.** The fakes enter D's loss as constants
  (made under ``mg.no_grad()``, as every example makes them; ``G(z).detach()``
  gives the same numbers): no gradient flows back into G's weights, and no
  graph of G is recorded for nothing.
* **G's step must not train D.** G's loss is a function of D's weights too;
  freezing D (``D.requires_grad_(False)``) keeps its gradients out of the
  backward pass, and unfreezing it afterwards lets its next step train it.

``examples/vanilla_gan.py`` writes this loop in its own body so that it reads
top to bottom; these functions are the same loop as a library (the tests
check that they train its networks to the same weights, step for step), for
the course's checks and for scripts that want it.
"""

import minigan as mg
from minigan.gan.losses import d_loss_minimax, g_loss


def discriminator_step(D, G, opt_d, real, z, d_loss=d_loss_minimax):
    r"""One step of D: minimise ``d_loss(D(real), D(G(z)))`` in D's weights, G held fixed.

    :math:`L_D = -\big(\operatorname{mean}\log D(x) + \operatorname{mean}\log(1 - D(G(z)))\big)`
    by default (:func:`minigan.gan.losses.d_loss_minimax`). The fakes are
    made without a graph, so :math:`\partial L_D/\partial\theta_G` is never
    computed and G's ``.grad`` stays untouched. Returns the loss (a Tensor).
    """
    with mg.no_grad():
        fake = G(z)                                    # G(z) as a constant: no gradient into G
    loss = d_loss(D(real), D(fake))
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()                                       # theta_D <- theta_D - lr dL_D/dtheta_D
    return loss


def generator_step(D, G, opt_g, z, g_loss=g_loss):
    r"""One step of G: minimise ``g_loss(D(G(z)))`` in G's weights, with D frozen.

    :math:`L_G = -\operatorname{mean}\log D(G(z))` by default (non-saturating,
    :func:`minigan.gan.losses.g_loss`). D is frozen during the backward pass,
    so no gradient reaches (or accumulates in) D's weights, and unfrozen
    afterwards. Returns the loss (a Tensor).
    """
    D.requires_grad_(False)                            # D is a fixed function of G's output here
    try:
        loss = g_loss(D(G(z)))
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()                                   # theta_G <- theta_G - lr dL_G/dtheta_G
    finally:
        D.requires_grad_(True)                         # D trains again at its next step
    return loss


def train_step(D, G, opt_d, opt_g, real_batches, sample_z, k=1, d_loss=d_loss_minimax, g_loss=g_loss):
    r"""One iteration of Algorithm 1: ``k`` discriminator steps, then one generator step.

    ``real_batches`` is an iterator of real batches (one is taken per D
    step); ``sample_z()`` returns a fresh noise batch (one per D step, and
    one for G's step). Returns ``(d_losses, g_loss)``: the list of the k
    discriminator losses (floats) and the generator's loss (a float).
    """
    d_losses = []
    for _ in range(k):
        d_losses.append(float(discriminator_step(D, G, opt_d, next(real_batches), sample_z(), d_loss)))
    return d_losses, float(generator_step(D, G, opt_g, sample_z(), g_loss))
