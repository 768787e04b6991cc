"""minigan: a from-scratch GAN engine for learning.

A small reverse-mode autograd over NumPy arrays (CuPy on a GPU with
``MINIGAN_BACKEND=cupy``), layers written by hand, and the GAN losses and
training loop written out, so each formula of the GAN literature is a line of
code you can step into.

This file only re-exports: each name is defined in the module it is imported
from (an op beside its Function in ``minigan/ops``).
"""

from minigan.autograd import grad
from minigan.backend import BACKEND, manual_seed
from minigan.gradcheck import GradcheckError, gradcheck, gradgradcheck
from minigan.ops import (  # noqa: A004
    abs,
    broadcast_to,
    cat,
    clamp,
    clip,
    concatenate,
    exp,
    flatten,
    leaky_relu,
    log,
    log_sigmoid,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    softmax,
    softplus,
    softsign,
    sqrt,
    squeeze,
    stack,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from minigan.random import rand, randint, randn, randperm
from minigan.tensor import Function, Tensor, enable_grad, is_grad_enabled, no_grad, set_grad_enabled, tensor
from minigan.trace import trace

__version__ = "0.1.0"

__all__ = [
    "rand",
    "randint",
    "randn",
    "randperm",
    "BACKEND",
    "Function",
    "GradcheckError",
    "Tensor",
    "abs",
    "broadcast_to",
    "cat",
    "clamp",
    "clip",
    "concatenate",
    "enable_grad",
    "exp",
    "flatten",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "is_grad_enabled",
    "leaky_relu",
    "log",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "manual_seed",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "no_grad",
    "permute",
    "pow",
    "relu",
    "reshape",
    "set_grad_enabled",
    "sigmoid",
    "softmax",
    "softplus",
    "softsign",
    "sqrt",
    "squeeze",
    "stack",
    "sum",
    "tanh",
    "tensor",
    "trace",
    "transpose",
    "unsqueeze",
    "var",
    "where",
]
