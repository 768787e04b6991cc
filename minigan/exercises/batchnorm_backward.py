"""Checker: the closed-form backward of training-mode batch norm over axis 0."""

from minigan.backend import xp
from minigan.exercises.checking import Mistake, check_function, randn

TITLE = "backward of batch norm (training mode, over the batch axis), in closed form  [a Function]"
CHECKS = "forward, the gradients of x, gamma and beta, finite differences and second derivatives"

FIXED_CASES = [
    {"N": 4, "C": 3, "eps": 1e-5, "seed": 0},
    {"N": 2, "C": 1, "eps": 1e-5, "seed": 1},
    {"N": 6, "C": 2, "eps": 0.1, "seed": 2},
]


def draw_case(draw):
    return {"N": draw.int(2, 6), "C": draw.int(1, 4), "eps": draw.choice([1e-5, 1e-3, 0.1]), "seed": draw.int(0, 2**16)}


def _xhat(x, eps):
    inv_std = 1.0 / xp.sqrt(x.var(axis=0) + eps)
    return inv_std, (x - x.mean(axis=0)) * inv_std


def _dx(x, gamma, gy, eps, mean_term=True, xhat_term=True, reduce="mean", xhat_sign=-1.0):
    """The closed form (gamma * gy - mean(gamma * gy) - xhat mean(gamma * gy * xhat)) / sigma, or a wrong variant."""
    inv_std, xhat = _xhat(x, eps)
    g = gamma * gy
    r = (lambda t: t.mean(axis=0)) if reduce == "mean" else (lambda t: t.sum(axis=0))
    out = g - r(g) if mean_term else g
    return inv_std * (out + xhat_sign * xhat * r(g * xhat) if xhat_term else out)


def _mistakes(eps):
    def dx(**variant):
        return lambda x, gamma, beta, gy: _dx(x, gamma, gy, eps, **variant)

    return {
        "x": [
            Mistake("sigma = sqrt(var + eps) was treated as a constant: it depends on x too, which adds "
                    "the term - xhat * mean(g * xhat) (g = gamma * gy).", dx(xhat_term=False)),
            Mistake("the mean and sigma were treated as constants: both depend on every x of the batch, "
                    "dL/dx = (g - mean(g) - xhat mean(g xhat)) / sigma with g = gamma * gy.",
                    dx(mean_term=False, xhat_term=False)),
            Mistake("the mean mu was treated as a constant: it adds the term - mean(gamma * gy).",
                    dx(mean_term=False)),
            Mistake("sums where means belong: mu and var are means over the batch, so each brings a 1/N.",
                    dx(reduce="sum")),
            Mistake("the xhat term has the wrong sign: dL/dx = (g - mean(g) - xhat mean(g xhat)) / sigma.",
                    dx(xhat_sign=1.0)),
            Mistake("gamma is missing: y = gamma * xhat + beta, so the gradient reaching xhat is gamma * gy.",
                    lambda x, gamma, beta, gy: _dx(x, 1.0, gy, eps)),
        ],
        "gamma": [
            Mistake("dL/dgamma = sum over the batch of gy * xhat (y = gamma * xhat + beta); xhat is missing.",
                    lambda x, gamma, beta, gy: gy.sum(axis=0)),
            Mistake("gamma is shared by the whole batch: sum gy * xhat over axis 0, not mean.",
                    lambda x, gamma, beta, gy: (gy * _xhat(x, eps)[1]).mean(axis=0)),
        ],
        "beta": [
            Mistake("beta is shared by the whole batch: sum gy over axis 0, not mean.",
                    lambda x, gamma, beta, gy: gy.mean(axis=0)),
        ],
    }


def check_case(answer, reference, case):
    n, c, eps = case["N"], case["C"], case["eps"]
    x, gamma, beta = randn(n, c, scale=2.0) + 0.5, randn(c) + 1.0, randn(c)
    check_function(
        answer, "BatchNorm", reference.get("BatchNorm"), [x, gamma, beta], params={"eps": eps},
        names=["x", "gamma", "beta"], mistakes=_mistakes(eps),
    )
