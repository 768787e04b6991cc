"""Layers without spatial structure: Linear, Embedding, Dropout, the activations, Flatten and Unflatten.

A layer holds its parameters and settings (and checks those, once, when it is
made); the arithmetic, its derivative and the checks of the input live in the
functional op it calls (``minigan/ops``). When that op finds a bad shape, the
layer's ``__call__`` (:class:`~minigan.nn.module.Module`) re-raises it under
the layer's name, so a mistake names the layer and both shapes.
"""

import minigan.functional as F
from minigan.backend import xp
from minigan.nn import init
from minigan.nn.module import Module, Parameter, positive_sizes, shape_error
from minigan.ops.nn import check_dropout_probability
from minigan.tensor import real_number

DEFAULT_DTYPE = "float32"


def empty_parameter(*shape, dtype=None):
    """A Parameter of ``shape`` (zeros until an init function fills it)."""
    return Parameter(xp.zeros(shape, dtype=dtype or DEFAULT_DTYPE))


class Identity(Module):
    """y = x."""

    def forward(self, x):
        return x


class Linear(Module):
    """y = x W^T + b, with W of shape (out_features, in_features); PyTorch's default initialisation."""

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        in_features, out_features = positive_sizes("Linear", in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = empty_parameter(out_features, in_features, dtype=dtype)
        self.bias = empty_parameter(out_features, dtype=dtype) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.default_init_(self.weight, self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}" + (
            ", bias=False" if self.bias is None else ""
        )


class Embedding(Module):
    """A table of ``num_embeddings`` learned vectors of size ``embedding_dim``, looked up by integer index."""

    def __init__(self, num_embeddings, embedding_dim, dtype=None):
        super().__init__()
        num_embeddings, embedding_dim = positive_sizes(
            "Embedding", num_embeddings=num_embeddings, embedding_dim=embedding_dim
        )
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = empty_parameter(num_embeddings, embedding_dim, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)

    def forward(self, indices):
        return F.embedding(indices, self.weight)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"


class Dropout(Module):
    """Zero each element with probability p in training (scaling the rest by 1/(1-p)); identity in eval."""

    def __init__(self, p=0.5):
        super().__init__()
        check_dropout_probability(p)
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class ReLU(Module):
    """y = max(x, 0)."""

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    """y = x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = real_number(negative_slope, "LeakyReLU's negative_slope")

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """y = tanh(x)."""

    def forward(self, x):
        return F.tanh(x)


class Sigmoid(Module):
    """y = 1 / (1 + e^-x)."""

    def forward(self, x):
        return F.sigmoid(x)


class Softsign(Module):
    """y = x / (1 + |x|)."""

    def forward(self, x):
        return F.softsign(x)


class Flatten(Module):
    """Merge dimensions start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``: (N, 6272) -> (N, 128, 7, 7)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        size = 1
        for n in self.unflattened_size:
            size *= n
        if not -x.ndim <= self.dim < x.ndim:
            raise shape_error(self, f"input with a dimension {self.dim}", x)
        dim = self.dim % x.ndim
        free = -1 in self.unflattened_size
        if (free and x.shape[dim] % -size) or (not free and x.shape[dim] != size):
            raise shape_error(self, f"dimension {self.dim} of size {'a multiple of ' if free else ''}{abs(size)}", x)
        return x.reshape(x.shape[:dim] + self.unflattened_size + x.shape[dim + 1 :])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
