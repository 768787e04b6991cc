"""Random Tensors from minigan's one seeded generator (PyTorch's names).

``mg.manual_seed(seed)`` seeds the generator; every draw below, weight
initialisation and data shuffling read from it, so a seeded run repeats
(on one machine, with the same BLAS threads).
"""

import operator

from minigan import backend
from minigan.tensor import Tensor


def randn(*shape, dtype="float32", requires_grad=False):
    """A Tensor of standard normal samples N(0, 1): ``mg.randn(64, 100)``."""
    return Tensor(backend.randn(*_shape(shape), dtype=dtype), requires_grad=requires_grad)


def rand(*shape, dtype="float32", requires_grad=False):
    """A Tensor of uniform samples U[0, 1): ``mg.rand(64, 1)``."""
    return Tensor(backend.rand(*_shape(shape), dtype=dtype), requires_grad=requires_grad)


def randint(low, high, shape, dtype="int64"):
    """A Tensor of integers drawn uniformly from [low, high): ``mg.randint(0, 10, (64,))``."""
    return Tensor(backend.randint(low, high, tuple(shape) if not isinstance(shape, int) else (shape,), dtype=dtype))


def randperm(n):
    """A Tensor holding a random permutation of 0 .. n-1 (int64)."""
    return Tensor(backend.permutation(n))


def _shape(shape):
    """Accept both ``randn(2, 3)`` and ``randn((2, 3))``, like PyTorch."""
    original = shape
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        shape = tuple(operator.index(n) for n in shape)   # ints, NumPy's ints too; not 1.5
    except TypeError:
        shape = None
    if shape is None or any(n < 0 for n in shape):
        raise ValueError(f"a shape needs integers >= 0, got {original}.")
    return shape
