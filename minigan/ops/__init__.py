"""minigan's ops, one file per family; this file only re-exports them.

Each file holds, for every op in it, the :class:`~minigan.tensor.Function`
(forward and the derivative beside it), the function that checks arguments
and calls ``Op.apply``, and the Tensor method or operator attached right
after that function (``Tensor.sigmoid = sigmoid``):

    reduce.py       sum, mean, var, max, min, broadcast_to, sum_to
    shape.py        reshape/view, flatten, squeeze, unsqueeze, permute, transpose, indexing, cat, stack
    arithmetic.py   + - * / neg, pow and **, exp, log, sqrt, abs, clip, where, maximum, minimum, matmul and @
    activation.py   relu, leaky_relu, sigmoid, tanh, softplus, log_sigmoid, softsign, logsumexp, log_softmax,
                    softmax
    nn.py           linear, batch_norm, layer_norm, dropout, embedding, binary_cross_entropy_with_logits
    conv.py         conv2d, conv_transpose2d, conv2d_weight

Each file imports only the families listed above it. Importing this package
imports the first four, which attaches every Tensor method; the layers' ops
(nn.py, conv.py) are re-exported by ``minigan.functional``.
"""

from minigan.ops.activation import (
    LeakyReLU,
    LogSigmoid,
    ReLU,
    Sigmoid,
    Softplus,
    Softsign,
    Tanh,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    logsumexp,
    relu,
    sigmoid,
    softmax,
    softplus,
    softsign,
    tanh,
)
from minigan.ops.arithmetic import (  # noqa: A004
    Abs,
    Add,
    Clip,
    Div,
    Exp,
    Log,
    MatMul,
    Maximum,
    Minimum,
    Mul,
    Neg,
    PowConstant,
    Power,
    Sqrt,
    Sub,
    Where,
    abs,
    add,
    clamp,
    clip,
    div,
    exp,
    log,
    matmul,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sqrt,
    sub,
    where,
)
from minigan.ops.reduce import BroadcastTo, Max, Sum, broadcast_to, max, mean, min, sum, sum_to, var  # noqa: A004
from minigan.ops.shape import (
    Concatenate,
    GetItem,
    IndexAdd,
    Permute,
    Reshape,
    cat,
    concatenate,
    flatten,
    getitem,
    permute,
    reshape,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)

__all__ = [
    "Abs", "Add", "BroadcastTo", "Clip", "Concatenate", "Div", "Exp", "GetItem", "IndexAdd", "LeakyReLU", "Log",
    "LogSigmoid", "MatMul", "Max", "Maximum", "Minimum", "Mul", "Neg", "Permute", "PowConstant", "Power", "ReLU",
    "Reshape", "Sigmoid", "Softplus", "Softsign", "Sqrt", "Sub", "Sum", "Tanh", "Where",
    "abs", "add", "broadcast_to", "cat", "clamp", "clip",
    "concatenate", "div", "exp", "flatten",
    "getitem", "leaky_relu", "log", "log_sigmoid", "log_softmax", "logsumexp", "matmul",
    "max", "maximum", "mean", "min", "minimum", "mul", "neg", "permute", "pow", "relu", "reshape", "sigmoid",
    "softmax", "softplus", "softsign", "sqrt", "squeeze", "stack", "sub", "sum", "sum_to", "tanh", "transpose",
    "unsqueeze", "var", "where",
]
