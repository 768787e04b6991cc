"""BatchNorm1d, BatchNorm2d and LayerNorm: normalise, then scale by gamma (weight) and shift by beta (bias).

The normalisation and its closed-form derivative live in ``minigan/ops/nn.py``
(``Normalize``). BatchNorm also keeps running averages of each channel's mean
and (unbiased) variance as buffers: they are saved in the state_dict and used
instead of the batch statistics in ``eval()`` mode.
"""

import minigan.functional as F
from minigan.backend import xp
from minigan.nn import init
from minigan.nn.layers import empty_parameter
from minigan.nn.module import Module, positive_sizes, shape_error
from minigan.tensor import Tensor


class _BatchNorm(Module):
    """Per-channel normalisation over the batch (and any spatial axes); channels on axis 1."""

    expected_ndims = ()  # set by the subclasses
    layout = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, dtype=None):
        super().__init__()
        (num_features,) = positive_sizes(type(self).__name__, num_features=num_features)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = empty_parameter(num_features, dtype=dtype) if affine else None
        self.bias = empty_parameter(num_features, dtype=dtype) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(xp.zeros(num_features, dtype=dtype or "float32")))
            self.register_buffer("running_var", Tensor(xp.ones(num_features, dtype=dtype or "float32")))
            self.register_buffer("num_batches_tracked", Tensor(xp.zeros((), dtype="int64")))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self):
        """Running statistics to (0, 1), gamma to 1, beta to 0."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, x):
        if x.ndim not in self.expected_ndims or x.shape[1] != self.num_features:
            raise shape_error(self, "input of shape " + self.layout.format(C=self.num_features), x)
        momentum = self.momentum
        counting = self.training and self.track_running_stats
        if counting and momentum is None:  # a cumulative average: the k-th batch gets weight 1/k
            momentum = 1.0 / (int(self.num_batches_tracked.data) + 1)
        use_batch_stats = self.training or self.running_mean is None
        y = F.batch_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias, use_batch_stats, momentum, self.eps
        )
        if counting:  # counted once the batch was accepted (F.batch_norm checks it has 2 or more values)
            self.num_batches_tracked.data += 1
        return y

    def extra_repr(self):
        text = f"{self.num_features}"
        for name, default in (("eps", 1e-5), ("momentum", 0.1), ("affine", True), ("track_running_stats", True)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text


class BatchNorm1d(_BatchNorm):
    """BatchNorm over (N, C) or (N, C, L) inputs: statistics over N (and L) for each of the C channels."""

    expected_ndims = (2, 3)
    layout = "(N, {C}) or (N, {C}, L)"


class BatchNorm2d(_BatchNorm):
    """BatchNorm over (N, C, H, W) inputs: statistics over N, H and W for each of the C channels."""

    expected_ndims = (4,)
    layout = "(N, {C}, H, W)"


class LayerNorm(Module):
    """Normalise each sample over its last dimensions (``normalized_shape``), then scale and shift elementwise."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        sizes = {f"normalized_shape[{i}]": n for i, n in enumerate(shape)}
        self.normalized_shape = tuple(positive_sizes("LayerNorm", **sizes))
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.weight = empty_parameter(*self.normalized_shape, dtype=dtype) if elementwise_affine else None
        self.bias = empty_parameter(*self.normalized_shape, dtype=dtype) if elementwise_affine and bias else None
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        text = f"{self.normalized_shape}"
        if self.eps != 1e-5:
            text += f", eps={self.eps}"
        if not self.elementwise_affine:
            text += ", elementwise_affine=False"
        elif self.bias is None:
            text += ", bias=False"
        return text
