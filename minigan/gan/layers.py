r"""Layers for two techniques of *Improved Techniques for Training GANs* (Salimans et al., 2016).

* :class:`MinibatchDiscrimination` lets the discriminator look at a whole batch
  at once: it appends to each sample's features how alike that sample is to the
  others, so a collapsed generator (all samples alike) is easy to spot.
* :class:`VirtualBatchNorm` normalises each example with the statistics of a
  fixed *reference batch* plus that example alone, so a sample no longer
  depends on the other samples of its minibatch (as it does with BatchNorm).

Both are made of minigan ops only, so their derivatives (first and second) are
those of the ops they call; the tests check them against finite differences.
"""

import minigan as mg
from minigan.gan.tricks import minibatch_discrimination
from minigan.nn import init
from minigan.nn.layers import empty_parameter, shape_error
from minigan.nn.module import Module


class MinibatchDiscrimination(Module):
    r"""Minibatch discrimination as a layer: (N, A) features in, (N, A + B) out.

    The parameter ``T`` has shape (A, B, C) (``in_features``, ``num_kernels``,
    ``kernel_dim``). For the rows :math:`f_i` of a batch,

    .. math::

        M_i = f_i T \in \mathbb{R}^{B \times C},\qquad
        c_b(x_i, x_j) = \exp\big(-\|M_{i,b} - M_{j,b}\|_{L_1}\big),\qquad
        o(x_i)_b = \sum_{j=1}^{N} c_b(x_i, x_j)

    and the layer returns :math:`[f_i, o(x_i)]`, the features with the B
    closeness scores appended (the arithmetic is
    :func:`minigan.gan.tricks.minibatch_discrimination`). Put it near the end
    of the discriminator, before the last Linear, and feed the real and the
    fake samples as separate batches: then :math:`o` is large on a batch of
    near-identical fakes and the discriminator can learn to reject it.

    :math:`o` lies in :math:`[1, N]` (the :math:`j = i` term is :math:`e^0 = 1`).
    ``T`` starts as :math:`\mathcal N(0, \text{std}^2)` (default std 0.1,
    small, so that distances start small and the scores carry gradient).
    """

    def __init__(self, in_features, num_kernels, kernel_dim, std=0.1, dtype=None):
        super().__init__()
        for name, value in (("in_features", in_features), ("num_kernels", num_kernels), ("kernel_dim", kernel_dim)):
            if int(value) != value or value < 1:
                raise ValueError(f"MinibatchDiscrimination: {name} must be an integer >= 1, got {value!r}.")
        self.in_features, self.num_kernels, self.kernel_dim, self.std = in_features, num_kernels, kernel_dim, std
        self.T = empty_parameter(in_features, num_kernels, kernel_dim, dtype=dtype)
        self.reset_parameters()

    @property
    def out_features(self):
        return self.in_features + self.num_kernels

    def reset_parameters(self):
        init.normal_(self.T, std=self.std)

    def forward(self, features):
        if features.ndim != 2 or features.shape[1] != self.in_features:
            raise shape_error(self, f"input of shape (N, {self.in_features})", features)
        T = self.T.reshape(self.in_features, self.num_kernels * self.kernel_dim)   # the (A, B*C) matrix of the trick
        o = minibatch_discrimination(features, T, self.num_kernels)                # (N, B)
        return mg.cat([features, o], axis=1)

    def extra_repr(self):
        return f"in_features={self.in_features}, num_kernels={self.num_kernels}, kernel_dim={self.kernel_dim}"


class VirtualBatchNorm(Module):
    r"""Virtual batch normalisation: each example normalised with a fixed reference batch plus itself.

    **The input carries its reference.** The first ``reference_size`` (R) rows
    of every input are the reference batch, the rows after them the examples:
    ``net(mg.cat([x_ref, x]))[R:]``. The reference *inputs* (e.g. the noise
    :math:`z_{ref}` of a generator) are drawn once at the start of training and
    passed with every batch, so the reference statistics at this layer follow
    the current weights and get gradients, as in Salimans et al.'s code. The
    layer keeps no state between calls.

    Per channel c (axis 1), with the statistics over the batch axis, and over
    the spatial axes of (N, C, H, W) inputs:

    .. math::

        \mu_r = \operatorname{mean}(x_{ref}),\qquad v_r = \operatorname{mean}\big((x_{ref} - \mu_r)^2\big)

    For one example :math:`x` (a row; for images, :math:`m_x, v_x` are the mean
    and variance over its own pixels, for vectors :math:`m_x = x,\ v_x = 0`),
    with :math:`w = 1/(R + 1)`, the statistics of the R + 1 rows
    :math:`\{x_{ref}, x\}` are those of a two-part mixture:

    .. math::

        \mu = w\, m_x + (1 - w)\,\mu_r,\qquad
        \sigma^2 = w\, v_x + (1 - w)\, v_r + w(1 - w)\,(m_x - \mu_r)^2

        \mathrm{VBN}(x) = \gamma\,\frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    This equals Salimans et al.'s :math:`\sigma^2 = \overline{x^2} - \mu^2` with
    :math:`\overline{x^2} = w\,\overline{x^2}_x + (1 - w)\,\overline{x^2}_{ref}`,
    but never subtracts two large numbers, so it cannot go negative in float32.
    The reference rows themselves are normalised with :math:`\mu_r, v_r` alone
    (that is what the next layer's reference statistics are computed from).
    Each example's output depends on the reference and on itself only, never on
    the other examples of its batch. :math:`\gamma` (``weight``) starts at 1,
    :math:`\beta` (``bias``) at 0.
    """

    def __init__(self, num_features, reference_size, eps=1e-5, affine=True, dtype=None):
        super().__init__()
        if int(reference_size) != reference_size or reference_size < 1:
            raise ValueError(f"VirtualBatchNorm: reference_size must be an integer >= 1, got {reference_size!r}.")
        self.num_features, self.reference_size, self.eps, self.affine = num_features, reference_size, eps, affine
        self.weight = empty_parameter(num_features, dtype=dtype) if affine else None
        self.bias = empty_parameter(num_features, dtype=dtype) if affine else None
        self.reset_parameters()

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, x):
        R, C = self.reference_size, self.num_features
        if x.ndim not in (2, 4) or x.shape[1] != C or x.shape[0] <= R:
            raise shape_error(
                self, f"input of shape (R + N, {C}) or (R + N, {C}, H, W) with the R = {R} reference rows first "
                "and N >= 1 examples after them", x)
        spatial = tuple(range(2, x.ndim))                    # () for vectors, (2, 3) for images
        ref, ex = x[:R], x[R:]
        mu_r = mg.mean(ref, axis=(0,) + spatial, keepdims=True)              # reference mean, (1, C[, 1, 1])
        v_r = mg.mean((ref - mu_r) ** 2, axis=(0,) + spatial, keepdims=True)  # reference variance
        if spatial:
            m_x = mg.mean(ex, axis=spatial, keepdims=True)                   # each example's own mean
            v_x = mg.mean((ex - m_x) ** 2, axis=spatial, keepdims=True)      # and variance over its pixels
        else:
            m_x, v_x = ex, 0.0
        w = 1.0 / (R + 1)
        mu = w * m_x + (1 - w) * mu_r                                        # mean of {x_ref, x}
        var = w * v_x + (1 - w) * v_r + (w * (1 - w)) * (m_x - mu_r) ** 2    # variance of {x_ref, x}
        y = mg.cat([(ref - mu_r) * (v_r + self.eps) ** -0.5, (ex - mu) * (var + self.eps) ** -0.5], axis=0)
        if not self.affine:
            return y
        shape = (1, C) + (1,) * len(spatial)
        return y * self.weight.reshape(shape) + self.bias.reshape(shape)

    def extra_repr(self):
        text = f"{self.num_features}, reference_size={self.reference_size}"
        if self.eps != 1e-5:
            text += f", eps={self.eps}"
        return text + ("" if self.affine else ", affine=False")
