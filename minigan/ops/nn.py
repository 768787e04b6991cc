"""The ops behind the layers: linear, normalisation, dropout, embedding and the logistic loss.

``Linear`` and ``Normalize`` are Functions of their own, with the derivative
written out beside the forward; the rest are short compositions of existing
ops (a product with a constant mask, an index, a softplus), so their
derivatives come from those ops.
"""

from minigan import backend
from minigan.backend import xp
from minigan.ops.activation import softplus
from minigan.ops.reduce import mean, sum, sum_to
from minigan.tensor import Function, ShapeError, Tensor, as_tensor, is_grad_enabled, real_number

# --------------------------------------------------------------------- linear


class Linear(Function):
    r"""y = x W^T + b,  with W of shape (out, in), x of shape (..., in), b of shape (out,).

    Writing g = dL/dy and treating every leading axis of x as one more row:

        dL/dx = g W,    dL/dW = g^T x,    dL/db = g summed over the rows.

    Each is a matrix product (or a sum), so the backward is itself differentiable.
    """

    def forward(self, x, weight, bias=None):
        y = xp.matmul(x, weight.T)
        if bias is not None:
            y += bias
        return y

    def backward(self, g):
        x, weight = self.inputs[:2]
        rows = g.reshape(-1, g.shape[-1])
        gx = None
        if self.needs_input_grad[0]:
            # one output (a discriminator's logit): g W is an outer product, and g * W, broadcast,
            # is the same numbers ten times faster than a matrix product with an inner size of 1
            gx = g * weight if weight.shape[0] == 1 and g.ndim > 1 else g @ weight
        gw = rows.T @ x.reshape(-1, x.shape[-1]) if self.needs_input_grad[1] else None
        if len(self.inputs) == 2:
            return gx, gw
        gb = rows.sum(0) if self.needs_input_grad[2] else None
        return gx, gw, gb


def linear(x, weight, bias=None):
    """y = x @ weight.T + bias, over the last axis of x (PyTorch's ``F.linear``)."""
    if x.shape[-1:] != weight.shape[1:]:
        raise ShapeError(
            f"linear: x has {x.shape[-1] if x.ndim else 0} features in its last dimension "
            f"(shape {tuple(x.shape)}) but weight of shape {tuple(weight.shape)} expects {weight.shape[1]}.",
            f"input with {weight.shape[1]} features in its last dimension",
            x.shape,
        )
    return Linear.apply(x, weight) if bias is None else Linear.apply(x, weight, bias)


# --------------------------------------------------------------------- normalisation


class Normalize(Function):
    r"""Normalise x over ``axes``, then scale and shift: the heart of BatchNorm and LayerNorm.

    Forward, with each mean taken over the m elements that ``axes`` spans:

        mu = mean(x),   var = mean((x - mu)^2),   s = 1 / sqrt(var + eps)
        x̂ = (x - mu) s,   y = gamma x̂ + beta          (gamma, beta broadcast against x)

    Backward, with g = dL/dy and h = gamma g:

        dL/dbeta  = g   summed over the axes beta was broadcast along
        dL/dgamma = g x̂ summed likewise
        dL/dx     = s (h - mean(h) - x̂ mean(h x̂))

    The last line comes from dmu/dx_j = 1/m and ds/dx_j = -s^3 (x_j - mu)/m = -s^2 x̂_j / m:

        dx̂_i/dx_j = s (delta_ij - 1/m) + (x_i - mu) ds/dx_j = s (delta_ij - 1/m - x̂_i x̂_j / m).

    Second derivatives: x̂ and s are functions of x. When the backward is itself
    recorded (``create_graph=True``), :meth:`_normalized` recomputes them from x
    with ops, so that differentiating dL/dx again also differentiates s and x̂.
    Treating s as a constant there would silently drop those terms. Without
    ``create_graph`` nothing differentiates the backward, so the mean and s
    kept from the forward are reused.

    ``running = (running_mean, running_var, momentum)`` (BatchNorm in training)
    also moves the running averages towards this batch's statistics, using the
    unbiased variance var * m / (m - 1), as PyTorch does.
    """

    def forward(self, x, weight, bias, axes, eps, running=None):
        self.axes, self.eps = axes, eps
        self.mean = x.mean(axis=axes, keepdims=True)
        y = x - self.mean
        var = (y * y).mean(axis=axes, keepdims=True)
        self.inv_std = 1.0 / xp.sqrt(var + eps)
        if running is not None:
            _update_running_stats(*running, self.mean, var, x.size // var.size)
        y *= self.inv_std * weight
        y += bias
        return y

    def _normalized(self, x):
        """x̂ and s: recomputed from x with ops when a graph is being recorded, else from the forward."""
        if not is_grad_enabled():
            x_hat = x.data - self.mean
            x_hat *= self.inv_std
            return Tensor(x_hat), Tensor(self.inv_std)
        centred = x - mean(x, self.axes, keepdims=True)
        inv_std = (mean(centred * centred, self.axes, keepdims=True) + self.eps) ** -0.5
        return centred * inv_std, inv_std

    def backward(self, g):
        x, weight, bias = self.inputs
        x_hat, inv_std = self._normalized(x)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            h = g * weight
            h_mean = mean(h, self.axes, keepdims=True)
            h_x_hat_mean = mean(h * x_hat, self.axes, keepdims=True)
            gx = inv_std * (h - h_mean - x_hat * h_x_hat_mean)
        if self.needs_input_grad[1]:
            gw = sum_to(g * x_hat, weight.shape)
        if self.needs_input_grad[2]:
            gb = sum_to(g, bias.shape)
        return gx, gw, gb


class BatchNorm(Normalize):
    r"""Normalize with one gamma and one beta per channel, as BatchNorm has them.

    gamma is then constant over the statistics axes, so it factors out of the
    means of h = gamma g, and those means are the sums dL/dbeta and dL/dgamma
    divided by m. The backward of :class:`Normalize` becomes the classic formula
    of :func:`batch_norm_backward`. When no graph is recorded (no
    ``create_graph``), :func:`batch_norm_backward_fast` computes the same lines
    on the raw arrays, in place.
    """

    def backward(self, g):
        x, weight, _ = self.inputs
        x_hat, inv_std = self._normalized(x)
        if is_grad_enabled():  # create_graph: the formula op by op, so that it can be differentiated again
            return batch_norm_backward(g, x_hat, weight, inv_std, self.axes, self.needs_input_grad)
        return batch_norm_backward_fast(g, x_hat, weight, inv_std, self.axes, self.needs_input_grad)


def batch_norm_backward(g, x_hat, weight, inv_std, axes, needs_input_grad=(True, True, True)):
    r"""The gradients (dL/dx, dL/dgamma, dL/dbeta) of y = gamma x̂ + beta, x̂ = (x - mu) s, from g = dL/dy.

        dL/dbeta  = sum(g),    dL/dgamma = sum(g x̂),
        dL/dx     = gamma s (g - dL/dbeta / m - x̂ dL/dgamma / m)

    with sums over ``axes`` (batch and spatial), m the number of elements each
    sum takes in, and s = 1 / sqrt(var + eps). Tensors in, Tensors out, made of
    ops, so the result can be differentiated again. A gradient whose entry in
    ``needs_input_grad`` is False comes back as None.
    """
    gb = sum(g, axes, keepdims=True)
    gw = sum(g * x_hat, axes, keepdims=True)
    gx = None
    if needs_input_grad[0]:
        m = x_hat.size // gb.size
        gx = (weight * inv_std) * (g - gb * (1.0 / m) - x_hat * (gw * (1.0 / m)))
    return gx, gw if needs_input_grad[1] else None, gb if needs_input_grad[2] else None


def batch_norm_backward_fast(g, x_hat, weight, inv_std, axes, needs_input_grad=(True, True, True)):
    """:func:`batch_norm_backward` on the raw arrays, in place: one image-sized temporary, no graph.

    g is first laid out in x̂'s memory order (a gradient coming back through a
    reshape is often not): NumPy is several times slower on operands whose
    memory orders differ.
    """
    g, x_hat, weight, inv_std = g.data, x_hat.data, weight.data, inv_std.data
    if g.strides != x_hat.strides:
        g = _copy_like(g, x_hat)
    m = x_hat.size // inv_std.size
    gb = g.sum(axis=axes, keepdims=True)                    # dL/dbeta  = sum(g)
    gx = g * x_hat
    gw = gx.sum(axis=axes, keepdims=True)                   # dL/dgamma = sum(g x̂)
    if not needs_input_grad[0]:
        gx = None
    else:                                                   # dL/dx = gamma s (g - dL/dbeta / m - x̂ dL/dgamma / m)
        xp.multiply(x_hat, gw / m, out=gx)
        gx += gb / m
        xp.subtract(g, gx, out=gx)
        gx *= weight * inv_std
    grads = (gx, gw if needs_input_grad[1] else None, gb if needs_input_grad[2] else None)
    return tuple(None if a is None else Tensor(a) for a in grads)


def _copy_like(a, like):
    """A copy of ``a`` laid out in memory like ``like`` (same shape): what NumPy's elementwise ops run fastest on."""
    out = xp.empty_like(like, dtype=a.dtype)
    out[...] = a
    return out


def _update_running_stats(running_mean, running_var, momentum, batch_mean, batch_var, count):
    """running <- (1 - momentum) running + momentum batch, in place; the variance made unbiased first."""
    unbiased_var = batch_var.reshape(running_var.shape) * (count / (count - 1))
    running_mean[...] = (1 - momentum) * running_mean + momentum * batch_mean.reshape(running_mean.shape)
    running_var[...] = (1 - momentum) * running_var + momentum * unbiased_var


def _affine(weight, bias, shape, like):
    """weight and bias reshaped to broadcast as ``shape``; a missing one is the constant 1 or 0."""
    weight = Tensor(xp.ones((), dtype=like.dtype)) if weight is None else weight.reshape(shape)
    bias = Tensor(xp.zeros((), dtype=like.dtype)) if bias is None else bias.reshape(shape)
    return weight, bias


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    r"""Normalise each channel (axis 1) of x over the batch and any spatial axes.

    Training: y = gamma (x - mu_B) / sqrt(var_B + eps) + beta with the batch's
    own statistics (see :class:`BatchNorm` for the derivatives), and the
    running averages, when given, move towards them by ``momentum``.
    Evaluation: the same with the running averages in place of mu_B and
    var_B; these are constants, so y is an affine map of x.
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, ...), got shape {tuple(x.shape)}.")
    channels = x.shape[1]
    shape = (1, channels) + (1,) * (x.ndim - 2)
    weight, bias = _affine(weight, bias, shape, x)
    if training:
        if x.size // max(channels, 1) < 2:
            raise ShapeError(
                f"batch_norm: expected more than 1 value per channel when training, got input of shape "
                f"{tuple(x.shape)}; use a batch of 2 or more, or evaluation mode.",
                "more than 1 value per channel when training (use a batch of 2 or more, or .eval())",
                x.shape,
            )
        running = None if running_mean is None else (running_mean.data, running_var.data, momentum)
        axes = (0,) + tuple(range(2, x.ndim))
        return BatchNorm.apply(x, weight, bias, axes=axes, eps=eps, running=running)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: evaluation mode (training=False) needs running_mean and running_var.")
    mu = Tensor(running_mean.data.reshape(shape))
    scale = weight * Tensor(((running_var.data + eps) ** -0.5).reshape(shape))
    return x * scale + (bias - mu * scale)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    r"""Normalise each sample over its last ``len(normalized_shape)`` axes, then scale and shift elementwise.

    y = gamma (x - mu) / sqrt(var + eps) + beta with mu and var taken over those
    axes; gamma and beta have shape ``normalized_shape``. Derivatives: :class:`Normalize`.
    """
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(normalized_shape)
    if x.ndim < k or tuple(x.shape[x.ndim - k :]) != normalized_shape:
        expected = f"input whose last dimensions are {normalized_shape}"
        raise ShapeError(f"layer_norm: expected {expected}, got shape {tuple(x.shape)}.", expected, x.shape)
    weight, bias = _affine(weight, bias, normalized_shape, x)
    return Normalize.apply(x, weight, bias, axes=tuple(range(x.ndim - k, x.ndim)), eps=eps)


# --------------------------------------------------------------------- dropout, embedding


def dropout(x, p=0.5, training=True):
    r"""y = x m / (1 - p) with m ~ Bernoulli(1 - p) drawn per element; y = x when not training.

    Dividing by 1 - p ("inverted dropout") keeps E[y] = x, so evaluation needs no
    rescaling. dy/dx = m / (1 - p): the mask is a constant of the graph.
    """
    check_dropout_probability(p)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * Tensor(xp.zeros(x.shape, dtype=x.dtype))
    keep = backend.rand(*x.shape, dtype=x.dtype) >= p
    return x * Tensor(keep.astype(x.dtype) * (1.0 / (1.0 - p)))


def check_dropout_probability(p):
    """0 <= p <= 1, else a ValueError (F.dropout checks each call; nn.Dropout when it is made)."""
    p = real_number(p, "the dropout probability p")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, got p={p}.")


def embedding(indices, weight):
    r"""y[..., :] = weight[indices[...], :]: a row lookup (gather).

    dL/dweight[k] = the sum of dL/dy over every position where indices == k: the
    scatter-add that is the backward of indexing (``GetItem``).
    """
    index = indices.data if isinstance(indices, Tensor) else backend.asarray(indices)
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {index.dtype}.")
    if index.size and (int(index.min()) < 0 or int(index.max()) >= weight.shape[0]):
        bad = int(index.min()) if int(index.min()) < 0 else int(index.max())
        raise IndexError(f"embedding: index {bad} is out of range for a table of {weight.shape[0]} rows.")
    return weight[index]


# --------------------------------------------------------------------- loss


def _reduce(loss, reduction):
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}.")


def binary_cross_entropy_with_logits(logits, targets, weight=None, reduction="mean"):
    r"""Cross-entropy of targets y against sigmoid(a), computed from the logits a.

        loss = -[y log sigmoid(a) + (1 - y) log(1 - sigmoid(a))] = softplus(a) - a y

    and softplus(a) = max(a, 0) + log(1 + e^-|a|) never overflows, however large |a|.
    d loss/da = sigmoid(a) - y,   d loss/dy = -a.
    """
    targets = as_tensor(targets, like=logits)
    if targets.shape != logits.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits: targets of shape {tuple(targets.shape)} do not match "
            f"logits of shape {tuple(logits.shape)}; give one target per logit."
        )
    loss = softplus(logits) - logits * targets
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)
