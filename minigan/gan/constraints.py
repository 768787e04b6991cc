"""Constraints on a critic's weights (not losses: they change the weights in place, after a step)."""

from minigan.backend import xp


def clip_weights_(params, c=0.01):
    r"""WGAN's weight clipping, in place: :math:`w \leftarrow \operatorname{clip}(w, -c, c)` for every parameter.

    Called after each critic step, it keeps the critic's weights in a compact
    box, hence the critic Lipschitz (with some unknown constant). Arjovsky et
    al. call it "a clearly terrible way to enforce a Lipschitz constraint":
    too small a c and gradients vanish, too large and training is slow. The
    gradient penalty (WGAN-GP) replaces it.
    """
    if not c > 0:
        raise ValueError(f"clip_weights_: the clipping bound c must be positive, got {c}.")
    for p in params:
        xp.clip(p.data, -c, c, out=p.data)
