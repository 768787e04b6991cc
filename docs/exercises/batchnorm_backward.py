"""Exercise: the backward of batch norm, in closed form.  Page: docs/exercises/batchnorm_backward.md

Training-mode batch norm of x (N, C) over the batch axis 0, per column:

    mu    = mean(x)                     (over axis 0)
    var   = mean((x - mu)^2)            (biased: divide by N, as in training)
    sigma = sqrt(var + eps)
    xhat  = (x - mu) / sigma
    y     = gamma * xhat + beta         gamma, beta: (C,)

Derive dL/dx, dL/dgamma and dL/dbeta from gy = dL/dy, remembering that mu and
sigma depend on every x of the batch, and write dL/dx in closed form:

    dL/dx = (1 / sigma) * (g - mean(g) - xhat * mean(g * xhat)),   g = gamma * gy

Fill in ``backward``: return (dL/dx, dL/dgamma, dL/dbeta) as Tensors of the
shapes of x, gamma and beta. Recompute mu, sigma and xhat from ``self.inputs``
with Tensor ops (``x.mean(axis=0, keepdims=True)``, ``t.sqrt()``, ``t.sum(axis=0)``)
rather than saving arrays in forward: then the gradient is differentiable again.

Check:  python -m minigan.exercises check batchnorm_backward this_file.py
"""

from minigan import Function
from minigan.backend import xp


class BatchNorm(Function):
    def forward(self, x, gamma, beta, eps):
        # Backend arrays in, array out; the forward is given.
        self.eps = eps
        xhat = (x - x.mean(axis=0)) / xp.sqrt(x.var(axis=0) + eps)
        return gamma * xhat + beta

    def backward(self, gy):
        x, gamma, beta = self.inputs  # Tensors
        # TODO: return (dL/dx, dL/dgamma, dL/dbeta).
        raise NotImplementedError
