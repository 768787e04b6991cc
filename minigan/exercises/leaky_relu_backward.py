"""Checker: the backward of LeakyReLU, dy/dx = 1 for x > 0 and a (the negative slope) otherwise."""

from minigan.backend import xp
from minigan.exercises.checking import Mistake, away_from_zero, check_function

TITLE = "backward of LeakyReLU: dy/dx = 1 if x > 0 else negative_slope  [a Function]"
CHECKS = "forward, gradient, finite differences and second derivative"

FIXED_CASES = [
    {"shape": (6,), "negative_slope": 0.2, "seed": 0},
    {"shape": (2, 3), "negative_slope": 0.01, "seed": 1},
    {"shape": (3, 2, 2), "negative_slope": 0.5, "seed": 2},
]


def draw_case(draw):
    shape = tuple(draw.int(1, 4) for _ in range(draw.int(1, 3)))
    return {"shape": shape, "negative_slope": draw.choice([0.01, 0.1, 0.2, 0.5]), "seed": draw.int(0, 2**16)}


def _mistakes(a):
    return {
        "x": [
            Mistake("this is ReLU's gradient: for x <= 0 LeakyReLU still passes negative_slope * gy, not 0.",
                    lambda x, gy: gy * (x > 0)),
            Mistake("the two branches are swapped: dy/dx = 1 where x > 0 and negative_slope where x <= 0.",
                    lambda x, gy: gy * xp.where(x > 0, a, 1.0)),
            Mistake("the chain rule multiplies by the upstream gradient gy; this is dy/dx alone.",
                    lambda x, gy: xp.where(x > 0, 1.0, a)),
            Mistake("this is gy * y: the gradient is gy times the slope (1 or negative_slope), not times the output.",
                    lambda x, gy: gy * xp.where(x > 0, x, a * x)),
        ]
    }


def check_case(answer, reference, case):
    x = away_from_zero(case["shape"], scale=2.0)
    a = case["negative_slope"]
    check_function(
        answer, "LeakyReLU", reference.get("LeakyReLU"), [x], params={"negative_slope": a},
        names=["x"], mistakes=_mistakes(a), elementwise=True,
    )
