"""Checker: the backward of sigmoid, dy/dx = y (1 - y)."""

from minigan.backend import xp
from minigan.exercises.checking import Mistake, check_function, randn

TITLE = "backward of sigmoid: dy/dx = sigmoid(x) (1 - sigmoid(x))  [a Function]"
CHECKS = "forward, gradient, finite differences and second derivative"

FIXED_CASES = [
    {"shape": (1,), "seed": 0},
    {"shape": (5,), "seed": 1},
    {"shape": (2, 3), "seed": 2},
]


def draw_case(draw):
    shape = tuple(draw.int(1, 4) for _ in range(draw.int(1, 3)))
    return {"shape": shape, "seed": draw.int(0, 2**16)}


def _sigmoid(x):
    return 1.0 / (1.0 + xp.exp(-x))


MISTAKES = {
    "x": [
        Mistake("dy/dx is y (1 - y), not y: sigmoid is not its own derivative (that is exp).",
                lambda x, gy: gy * _sigmoid(x)),
        Mistake("y (1 - y) needs the output y = sigmoid(x), not the input x: this is x (1 - x).",
                lambda x, gy: gy * x * (1 - x)),
        Mistake("the chain rule multiplies by the upstream gradient gy; this is y (1 - y) alone.",
                lambda x, gy: _sigmoid(x) * (1 - _sigmoid(x))),
        Mistake("this is y (y - 1): the derivative is y (1 - y), positive everywhere.",
                lambda x, gy: gy * _sigmoid(x) * (_sigmoid(x) - 1)),
        Mistake("this is 1 - y alone, which is d/dx log sigmoid(x); sigmoid's derivative is y (1 - y).",
                lambda x, gy: gy * (1 - _sigmoid(x))),
    ]
}


def check_case(answer, reference, case):
    x = randn(*case["shape"], scale=3.0)
    check_function(answer, "Sigmoid", reference.get("Sigmoid"), [x], names=["x"], mistakes=MISTAKES, elementwise=True)
