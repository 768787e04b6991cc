"""minigan's functional ops under PyTorch's names: ``import minigan.functional as F``.

Nothing is defined here; each name points at the op in ``minigan/ops`` where
its forward and derivative are written.
"""

from minigan.ops import leaky_relu, log_sigmoid, log_softmax, relu, sigmoid, softmax, softplus, softsign, tanh
from minigan.ops.conv import conv2d, conv_transpose2d
from minigan.ops.nn import (
    batch_norm,
    binary_cross_entropy_with_logits,
    dropout,
    embedding,
    layer_norm,
    linear,
)

__all__ = [
    "batch_norm", "binary_cross_entropy_with_logits", "conv2d", "conv_transpose2d", "dropout", "embedding",
    "layer_norm", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "relu", "sigmoid", "softmax", "softplus",
    "softsign", "tanh",
]
