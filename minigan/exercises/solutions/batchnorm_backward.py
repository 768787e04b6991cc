"""Reference solution of docs/exercises/batchnorm_backward.py."""

from minigan import Function
from minigan.backend import xp


class BatchNorm(Function):
    r"""Training-mode batch norm over axis 0.

    mu = mean(x),  var = mean((x - mu)^2),  xhat = (x - mu) / sqrt(var + eps),  y = gamma xhat + beta.

    With g = gamma * gy:   dL/dx = (g - mean(g) - xhat mean(g xhat)) / sqrt(var + eps),
    dL/dgamma = sum(gy xhat),  dL/dbeta = sum(gy)   (means and sums over axis 0).
    """

    def forward(self, x, gamma, beta, eps):
        self.eps = eps
        xhat = (x - x.mean(axis=0)) / xp.sqrt(x.var(axis=0) + eps)
        return gamma * xhat + beta

    def backward(self, gy):
        x, gamma, _ = self.inputs
        centred = x - x.mean(axis=0, keepdims=True)
        inv_std = 1.0 / ((centred * centred).mean(axis=0, keepdims=True) + self.eps).sqrt()
        xhat = centred * inv_std
        g = gy * gamma
        dx = inv_std * (g - g.mean(axis=0, keepdims=True) - xhat * (g * xhat).mean(axis=0, keepdims=True))
        return dx, (gy * xhat).sum(axis=0), gy.sum(axis=0)
