"""Exercise: the backward of softplus and of log-sigmoid.  Page: docs/exercises/softplus_log_sigmoid_backward.md

    softplus(x)    = log(1 + e^x)          (the GAN losses are softplus of logits)
    log_sigmoid(x) = log(1 / (1 + e^-x)) = -softplus(-x)

Derive both derivatives and write them with sigmoid(x) = 1 / (1 + e^-x), then
fill in the two ``backward`` methods. Each receives gy = dL/dy (a Tensor shaped
like x) and returns dL/dx. Use minigan ops on Tensors: ``self.inputs[0]`` is x
as a Tensor, and ``x.sigmoid()`` is minigan's (overflow-free) sigmoid. The
checker also tries |x| up to 800, where e^x overflows: a formula such as
e^x / (1 + e^x) gives nan there.

Check:  python -m minigan.exercises check softplus_log_sigmoid_backward this_file.py
"""

from minigan import Function
from minigan.backend import xp


class Softplus(Function):
    def forward(self, x):
        # log(1 + e^x) written so that it never overflows; given.
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        (x,) = self.inputs  # a Tensor
        # TODO: return dL/dx.
        raise NotImplementedError


class LogSigmoid(Function):
    def forward(self, x):
        # log sigmoid(x) = -softplus(-x), written so that it never overflows; given.
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        (x,) = self.inputs  # a Tensor
        # TODO: return dL/dx.
        raise NotImplementedError
