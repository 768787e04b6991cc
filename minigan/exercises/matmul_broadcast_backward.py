"""Checker: the backward of a batched, broadcasting matmul (transposes, and sums over broadcast axes)."""

import math

from minigan.backend import xp
from minigan.exercises.checking import Mistake, check_function, randn
from minigan.ops.reduce import sum_to
from minigan.tensor import Tensor

TITLE = "backward of broadcasting matmul: dA = dC B^T, dB = A^T dC, summed over broadcast axes  [a Function]"
CHECKS = "forward, both gradients, finite differences and second derivatives"

FIXED_CASES = [
    {"a_shape": (2, 3), "b_shape": (3, 4), "seed": 0},
    {"a_shape": (3, 3), "b_shape": (3, 3), "seed": 1},  # square: a missing transpose still fits
    {"a_shape": (2, 2, 3), "b_shape": (3, 4), "seed": 2},  # b shared by a batch of 2
    {"a_shape": (2, 3), "b_shape": (4, 3, 2), "seed": 3},
    {"a_shape": (2, 1, 2, 3), "b_shape": (3, 3, 2), "seed": 4},
]


def _batch_dims(draw, batch):
    kept = batch[len(batch) - draw.int(0, len(batch)) :]
    return tuple(1 if draw.choice([True, False]) else n for n in kept)


def draw_case(draw):
    batch = tuple(draw.int(1, 3) for _ in range(draw.int(0, 2)))
    n, k, m = draw.int(1, 4), draw.int(1, 4), draw.int(1, 4)
    return {
        "a_shape": _batch_dims(draw, batch) + (n, k),
        "b_shape": _batch_dims(draw, batch) + (k, m),
        "seed": draw.int(0, 2**16),
    }


def _t(x):
    return xp.swapaxes(x, -1, -2)


def _back_to(array, shape):
    return sum_to(Tensor(array), shape).data


def _mean_to(array, shape):
    return _back_to(array, shape) * (math.prod(shape) / array.size)


MISTAKES = {
    "a": [
        Mistake("B is not transposed: dL/dA = dL/dC @ B^T (its shape must be A's).",
                lambda a, b, gc: _back_to(xp.matmul(gc, b), a.shape)),
        Mistake("the product is in the wrong order: dL/dA = dL/dC @ B^T, not B^T @ dL/dC.",
                lambda a, b, gc: _back_to(xp.matmul(_t(b), gc), a.shape)),
        Mistake("the broadcast copies are averaged: each copy of A contributed to C, so sum their gradients.",
                lambda a, b, gc: _mean_to(xp.matmul(gc, _t(b)), a.shape)),
    ],
    "b": [
        Mistake("A is not transposed: dL/dB = A^T @ dL/dC (its shape must be B's).",
                lambda a, b, gc: _back_to(xp.matmul(a, gc), b.shape)),
        Mistake("this is (A^T @ dL/dC)^T = dL/dC^T @ A, the transposed gradient: dL/dB = A^T @ dL/dC.",
                lambda a, b, gc: _back_to(xp.matmul(_t(gc), a), b.shape)),
        Mistake("the broadcast copies are averaged: each copy of B contributed to C, so sum their gradients.",
                lambda a, b, gc: _mean_to(xp.matmul(_t(a), gc), b.shape)),
    ],
}


def check_case(answer, reference, case):
    a, b = randn(*case["a_shape"]), randn(*case["b_shape"])
    check_function(answer, "MatMul", reference.get("MatMul"), [a, b], names=["a", "b"], mistakes=MISTAKES)
