"""Checker: the backward of softplus (dy/dx = sigmoid(x)) and of log-sigmoid (dy/dx = 1 - sigmoid(x))."""

from minigan.backend import xp
from minigan.exercises.checking import Mistake, check_function, randn

TITLE = "backward of softplus and log-sigmoid: sigmoid(x) and 1 - sigmoid(x)  [two Functions]"
CHECKS = "forward, gradient, finite differences and second derivative of both ops"

FIXED_CASES = [
    {"shape": (5,), "seed": 0},
    {"shape": (2, 3), "seed": 1},
    {"shape": (8,), "extreme": True, "seed": 2},  # |x| up to 800: exp(800) overflows
]


def draw_case(draw):
    shape = tuple(draw.int(1, 4) for _ in range(draw.int(1, 3)))
    return {"shape": shape, "seed": draw.int(0, 2**16)}


def _sigmoid(x):
    return 1.0 / (1.0 + xp.exp(-x))


SOFTPLUS_MISTAKES = {
    "x": [
        Mistake("this is sigmoid(-x) = 1 - sigmoid(x), the derivative of log-sigmoid; "
                "d/dx log(1 + e^x) = e^x / (1 + e^x) = sigmoid(x).", lambda x, gy: gy * _sigmoid(-x)),
        Mistake("this is sigmoid'(x) = sigmoid(x) (1 - sigmoid(x)); softplus' is sigmoid(x) itself.",
                lambda x, gy: gy * _sigmoid(x) * (1 - _sigmoid(x))),
        Mistake("this is e^x: the chain rule through log(u) divides by u = 1 + e^x.",
                lambda x, gy: gy * xp.exp(x)),
        Mistake("the chain rule multiplies by the upstream gradient gy; this is sigmoid(x) alone.",
                lambda x, gy: _sigmoid(x)),
    ]
}

LOG_SIGMOID_MISTAKES = {
    "x": [
        Mistake("this is sigmoid(x), softplus's derivative; d/dx log sigmoid(x) = sigmoid'(x) / sigmoid(x) "
                "= 1 - sigmoid(x).", lambda x, gy: gy * _sigmoid(x)),
        Mistake("this is sigmoid(x) - 1, the sign is flipped: log sigmoid increases, its slope 1 - sigmoid(x) > 0.",
                lambda x, gy: gy * (_sigmoid(x) - 1)),
        Mistake("this is 1 / sigmoid(x): d log(u) = du / u, and du/dx = sigmoid(x) (1 - sigmoid(x)) is missing.",
                lambda x, gy: gy / _sigmoid(x)),
        Mistake("this is sigmoid'(x) = sigmoid(x) (1 - sigmoid(x)); divide it by sigmoid(x) (the log's chain rule).",
                lambda x, gy: gy * _sigmoid(x) * (1 - _sigmoid(x))),
        Mistake("the chain rule multiplies by the upstream gradient gy; this is 1 - sigmoid(x) alone.",
                lambda x, gy: 1 - _sigmoid(x)),
    ]
}


def check_case(answer, reference, case):
    if case.get("extreme"):
        x = xp.asarray([-800.0, -50.0, -5.0, -0.5, 0.5, 5.0, 50.0, 800.0])
    else:
        x = randn(*case["shape"], scale=3.0)
    for name, mistakes in (("Softplus", SOFTPLUS_MISTAKES), ("LogSigmoid", LOG_SIGMOID_MISTAKES)):
        check_function(answer, name, reference.get(name), [x], names=["x"], mistakes=mistakes, elementwise=True)
