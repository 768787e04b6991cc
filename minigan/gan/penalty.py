r"""WGAN-GP's gradient penalty (Gulrajani et al., 2017), by autograd and by hand.

A differentiable function is 1-Lipschitz exactly when its gradient has norm at
most 1 everywhere. The optimal WGAN critic has gradient norm 1 on the lines
between real and generated samples, so WGAN-GP adds to the critic's loss

.. math::

    P = \lambda\, \mathbb{E}_{\hat x}\big[(\|\nabla_{\hat x} D(\hat x)\|_2 - 1)^2\big],
    \qquad \hat x = \epsilon x + (1 - \epsilon) G(z),\quad \epsilon \sim U[0, 1]

with one :math:`\epsilon` per sample and :math:`\lambda = 10`. The penalty is
a function of a *gradient*, and the critic's optimiser needs *its* gradient
with respect to the critic's weights: a derivative of a derivative. That is
what ``mg.grad(..., create_graph=True)`` is for. :func:`gradient_penalty_mlp_by_hand`
writes the same two derivatives out for an MLP critic, and the tests check
that the two agree with each other and with finite differences.
"""

import warnings
import weakref

import minigan as mg
from minigan import backend, nn
from minigan.backend import xp
from minigan.tensor import Tensor

NORM_EPS = 1e-12
r"""Added to :math:`\|g\|^2` before the square root: :math:`\|g\| \approx \sqrt{\|g\|^2 + 10^{-12}}`.

Needed: :math:`d\|g\|/dg = g / \|g\|` is 0/0 when :math:`g = 0`, which
happens for real (a ReLU critic whose units are all off at some
:math:`\hat x`, or an all-zero layer), and one NaN poisons every weight.
With the epsilon that derivative is 0 there. Elsewhere it changes the norm by
at most :math:`10^{-6}` (at :math:`g = 0`) and relatively by
:math:`\approx 5 \cdot 10^{-13}/\|g\|^2`: far below float32 rounding.
"""


def gradient_penalty(critic, real, fake, lam=10.0, eps=None):
    r"""The WGAN-GP penalty :math:`\lambda\,\mathbb{E}[(\|\nabla_{\hat x} D(\hat x)\|_2 - 1)^2]`, differentiable.

    ``critic`` maps a batch (N, ...) to scores (N,) or (N, 1); ``real`` and
    ``fake`` are batches of one shape. ``eps`` defaults to :math:`\epsilon_n
    \sim U[0, 1)` drawn from minigan's seeded generator, one per sample, shaped
    (N, 1, 1, ...) so that it broadcasts over the sample's dimensions; pass
    ``eps`` (N numbers) to fix it. The norm runs over *all* of a sample's
    dimensions (channels, height and width together), not per row or channel.

    Steps, each a line below:

    1. :math:`\hat x = \epsilon x + (1 - \epsilon)\tilde x`, as a new leaf
       that requires grad (no gradient flows back into ``real`` or ``fake``:
       the penalty trains the critic only);
    2. :math:`g_n = \nabla_{\hat x_n} D(\hat x_n)`, all at once as the gradient
       of :math:`\sum_n D(\hat x_n)`: sample n's score depends on
       :math:`\hat x_n` only, so the sum's gradient holds each sample's own
       gradient in its row. (That is false with BatchNorm in the critic, which
       mixes samples; WGAN-GP uses LayerNorm or none, and a warning names
       any BatchNorm layer found in a critic that is an ``nn.Module``, once
       per critic.) ``create_graph=True``
       records this backward pass, so :math:`g` is a function of the weights;
    3. :math:`P = \lambda\,\operatorname{mean}_n(\|g_n\|_2 - 1)^2`, with
       :data:`NORM_EPS` inside the square root.

    ``P.backward()`` then differentiates through step 2 into the critic's weights.
    """
    _warn_if_batchnorm(critic)
    if tuple(real.shape) != tuple(fake.shape):
        raise ValueError(f"gradient_penalty: real has shape {tuple(real.shape)} but fake has {tuple(fake.shape)}.")
    n = real.shape[0]
    per_sample = (n,) + (1,) * (real.ndim - 1)                      # (N, 1, 1, ...)
    if eps is None:
        eps = backend.rand(*per_sample, dtype=real.dtype)          # eps_n ~ U[0, 1), one per sample
    else:
        eps = eps.data if isinstance(eps, Tensor) else backend.asarray(eps, dtype=real.dtype)
        if eps.size != n:
            raise ValueError(f"gradient_penalty: eps must hold one number per sample ({n}), got shape {eps.shape}.")
        eps = eps.reshape(per_sample).astype(real.dtype, copy=False)
    x_hat = Tensor(eps * real.data + (1 - eps) * fake.data, requires_grad=True)  # x^ = eps x + (1 - eps) G(z)
    scores = critic(x_hat)
    (g,) = mg.grad(mg.sum(scores), x_hat, create_graph=True)       # g_n = dD(x^_n)/dx^_n
    squared = mg.sum((g * g).reshape(n, -1), axis=1)               # ||g_n||^2 over all of sample n's dims
    norm = mg.sqrt(squared + NORM_EPS)
    return lam * mg.mean((norm - 1.0) ** 2)


_CRITICS_WARNED = weakref.WeakSet()  # each critic is warned about once, not at every step


def _warn_if_batchnorm(critic):
    """Warn, once per critic, if the nn.Module ``critic`` holds a BatchNorm layer (it mixes the samples)."""
    if not isinstance(critic, nn.Module) or critic in _CRITICS_WARNED:
        return
    for name, module in critic.named_modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            _CRITICS_WARNED.add(critic)
            warnings.warn(
                f"gradient_penalty: the critic has a {type(module).__name__} layer ({name!r}); BatchNorm mixes the "
                "samples of a batch, so each row of the input gradient is not that sample's own gradient and the "
                "penalty is wrong. Use nn.LayerNorm or no normalisation in a WGAN-GP critic.",
                stacklevel=3,
            )
            return


def gradient_penalty_mlp_by_hand(weights, biases, slope, x_hat, lam=10.0):
    r"""The gradient penalty of an MLP critic and its gradient by the weights, by explicit formulas.

    The critic (PyTorch layout: ``weights[l]`` is :math:`W_l`, shape (out, in)):

    .. math::

        h_0 = \hat x,\quad z_l = h_{l-1} W_l^T + b_l,\quad h_l = \phi(z_l)\ (l < L),\quad D = z_L

    with :math:`\phi` the LeakyReLU of slope ``slope`` and :math:`W_L` of
    shape (1, H). All arrays are backend arrays, a batch of N rows;
    ``x_hat`` is (N, d). Returns ``(penalty, grad_weights, grad_biases)``:
    a float and two lists of arrays shaped like ``weights`` and ``biases``.

    **Derivation**, for one sample (the rows of the batch do not interact).

    *Step 1, the masks.* :math:`\phi'(z) = 1` for :math:`z > 0` and
    ``slope`` otherwise. Write :math:`m_l = \phi'(z_l)` (a vector) and
    :math:`M_l = \operatorname{diag}(m_l)`. Because :math:`\phi'' = 0` (away
    from the kink at 0, a set of measure zero), every :math:`m_l` is
    *constant* under small changes of :math:`\hat x`, the weights or the
    biases: the network is linear on a neighbourhood of the point.

    *Step 2, the input gradient* (the chain rule, backward). Let
    :math:`\delta_l = \partial D/\partial z_l` (a row vector):

    .. math::

        \delta_L = 1,\qquad \delta_l = (\delta_{l+1} W_{l+1}) \odot m_l,\qquad
        g = \nabla_{\hat x} D = \delta_1 W_1

    that is :math:`g^T = W_1^T M_1 W_2^T M_2 \cdots M_{L-1} W_L^T`, a product
    of the weights and the constant masks. The biases are not in it.

    *Step 3, the penalty and its gradient by g.* With
    :math:`P = \frac{\lambda}{N}\sum_n (\|g_n\| - 1)^2`:

    .. math::

        r_n := \frac{\partial P}{\partial g_n} = \frac{2\lambda}{N}\,(\|g_n\| - 1)\,\frac{g_n}{\|g_n\|}

    *Step 4, the gradient by* :math:`W_l`. Split the product around
    :math:`W_l`: :math:`g = \delta_l W_l J_{l-1}` where
    :math:`J_{l-1} = \partial h_{l-1}/\partial \hat x = M_{l-1} W_{l-1} \cdots M_1 W_1`
    (:math:`J_0 = I`). Neither :math:`\delta_l` (built from
    :math:`W_{l+1}, \dots, W_L`) nor :math:`J_{l-1}` (from
    :math:`W_1, \dots, W_{l-1}`) contains :math:`W_l`, so g is *linear* in
    :math:`W_l`: :math:`\partial g_k / \partial (W_l)_{ij} = (\delta_l)_i (J_{l-1})_{jk}`.
    By the chain rule,

    .. math::

        \frac{\partial P}{\partial (W_l)_{ij}} = \sum_n (\delta_{n,l})_i\,(J_{n,l-1}\, r_n^T)_j
        \quad\Longrightarrow\quad
        \frac{\partial P}{\partial W_l} = \sum_n \delta_{n,l}^T\, q_{n,l-1}

    with :math:`q_{l-1} = (J_{l-1} r^T)^T`: the direction :math:`r` pushed
    *forward* through layers 1..l-1 of the linearised network, no biases:

    .. math::

        q_0 = r,\qquad q_l = (q_{l-1} W_l^T) \odot m_l

    So: a forward pass (for the masks), a backward pass (:math:`\delta`, then
    g), a forward pass of r (:math:`q`), and one outer product per layer.
    This is double backpropagation written out.

    *Step 5, the biases.* g does not depend on any :math:`b_l` (step 2), and
    the masks are locally constant, so :math:`\partial P / \partial b_l = 0`.
    The biases move the kinks, which only matters at measure-zero points.

    The norm uses :data:`NORM_EPS` exactly as :func:`gradient_penalty` does.
    """
    n = x_hat.shape[0]
    # forward: the masks m_l = phi'(z_l)
    h, masks = x_hat, []
    for W, b in zip(weights[:-1], biases[:-1]):
        z = h @ W.T + b
        m = xp.where(z > 0, 1.0, slope).astype(z.dtype)
        masks.append(m)
        h = z * m                                                 # phi(z) = z phi'(z) for a LeakyReLU
    # backward: delta_l = dD/dz_l, and g = delta_1 W_1
    deltas = [None] * len(weights)
    deltas[-1] = xp.ones((n, 1), dtype=x_hat.dtype)               # delta_L = 1
    for l in range(len(weights) - 2, -1, -1):
        deltas[l] = (deltas[l + 1] @ weights[l + 1]) * masks[l]   # delta_l = (delta_{l+1} W_{l+1}) * m_l
    g = deltas[0] @ weights[0]                                    # g_n = grad of D at x^_n, (N, d)
    # the penalty and r = dP/dg
    norm = xp.sqrt((g * g).sum(axis=1, keepdims=True) + NORM_EPS)
    penalty = lam * float(((norm - 1) ** 2).mean())
    r = (2 * lam / n) * (norm - 1) * g / norm
    # forward pass of r through the linearised net: q_0 = r, q_l = (q_{l-1} W_l^T) * m_l
    qs = [r]
    for W, m in zip(weights[:-1], masks):
        qs.append((qs[-1] @ W.T) * m)
    grad_weights = [deltas[l].T @ qs[l] for l in range(len(weights))]   # dP/dW_l = sum_n delta_l^T q_{l-1}
    grad_biases = [xp.zeros_like(b) for b in biases]                    # dP/db_l = 0
    return penalty, grad_weights, grad_biases
