"""Checker: WGAN-GP's penalty for a one-hidden-layer LeakyReLU critic, and its gradient with respect to the weights."""

from minigan.backend import xp
from minigan.exercises.checking import CheckFailed, check_against_finite_differences, compare, randn

TITLE = "gradient penalty mean((|grad_x f| - 1)^2) of a LeakyReLU critic, and its gradient in W1, w2  [plain functions]"
CHECKS = "the critic, its input gradient, the penalty, its weight gradients and finite differences"

FIXED_CASES = [
    {"n": 1, "d": 2, "h": 3, "slope": 0.2, "seed": 0},
    {"n": 3, "d": 2, "h": 4, "slope": 0.2, "seed": 1},
    {"n": 4, "d": 3, "h": 3, "slope": 0.01, "seed": 2},  # h == d: a transposed W1 still fits
]


def draw_case(draw):
    return {"n": draw.int(1, 4), "d": draw.int(1, 4), "h": draw.int(1, 5), "slope": draw.choice([0.01, 0.2, 0.5]),
            "seed": draw.int(0, 2**16)}


def _arrays(n, d, h, slope):
    """x, W1, b1, w2, b2 with every pre-activation |z| >= 0.05 and every |grad_x f| >= 0.1 (away from the kinks)."""
    while True:
        x, W1, b1, w2, b2 = randn(n, d), randn(h, d), randn(h), randn(h), randn()
        z = x @ W1.T + b1
        _, _, r = _parts(x, W1, b1, w2, slope)
        if bool((abs(z) >= 0.05).all()) and bool((r >= 0.1).all()):
            return x, W1, b1, w2, b2


def _parts(x, W1, b1, w2, slope):
    s = xp.where(x @ W1.T + b1 > 0, 1.0, slope)
    g = (s * w2) @ W1
    r = xp.sqrt((g * g).sum(axis=1, keepdims=True))
    return s, g, r


def _weight_grads(W1, w2, s, u):
    return (s * w2).T @ u, (s * (u @ W1.T)).sum(axis=0)


def _mistakes(x, W1, b1, w2, slope):
    n = x.shape[0]
    s, g, r = _parts(x, W1, b1, w2, slope)
    u = 2 * (r - 1) / (n * r) * g
    ones = xp.ones_like(s)
    return {
        "input": [
            ("LeakyReLU's slope is missing: grad_x f = W1^T (w2 * s) with s = 1 where z > 0 and slope elsewhere.",
             w2 @ W1 * ones[:, :1]),
            ("this uses ReLU's slope (0 for z <= 0): LeakyReLU passes `slope` there.",
             (xp.where(s == 1, 1.0, 0.0) * w2) @ W1),
        ],
        "penalty": [
            ("the penalty uses |g|^2 - 1: it is (|g| - 1)^2 with |g| = sqrt(sum g^2), the norm, not its square.",
             float((((g * g).sum(axis=1) - 1) ** 2).mean())),
            ("the penalty is a mean over the batch, not a sum.", float(((r - 1) ** 2).sum())),
            ("the penalty squares (|g| - 1): it is (|g| - 1)^2, not |g| - 1.", float((r - 1).mean())),
        ],
        "W1": [
            ("the slopes s are missing in dGP/dW1 = sum_i (w2 * s_i) u_i^T.", _weight_grads(W1, w2, ones, u)[0]),
            ("d|g|/dg = g / |g|: the division by |g| is missing.", _weight_grads(W1, w2, s, u * r)[0]),
            ("d/d|g| of (|g| - 1)^2 is 2 (|g| - 1): the factor 2 is missing.", _weight_grads(W1, w2, s, u / 2)[0]),
            ("the penalty is a mean over the batch: the 1/n is missing.", _weight_grads(W1, w2, s, u * n)[0]),
            ("dGP/dW1 is transposed: dGP/dW1[j, k] = sum_i w2_j s_ij u_ik has W1's shape (h, d).",
             _weight_grads(W1, w2, s, u)[0].T),
        ],
        "w2": [
            ("the slopes s are missing in dGP/dw2 = sum_i s_i * (W1 u_i).", _weight_grads(W1, w2, ones, u)[1]),
            ("d|g|/dg = g / |g|: the division by |g| is missing.", _weight_grads(W1, w2, s, u * r)[1]),
            ("d/d|g| of (|g| - 1)^2 is 2 (|g| - 1): the factor 2 is missing.", _weight_grads(W1, w2, s, u / 2)[1]),
            ("the penalty is a mean over the batch: the 1/n is missing.", _weight_grads(W1, w2, s, u * n)[1]),
        ],
    }


def check_case(answer, reference, case):
    x, W1, b1, w2, b2 = arrays = _arrays(case["n"], case["d"], case["h"], case["slope"])
    slope = case["slope"]
    names = ("critic", "critic_input_gradient", "gradient_penalty", "gradient_penalty_grad")
    mine = {name: answer.get(name) for name in names}
    ref = {name: reference.get(name) for name in names}
    mistakes = _mistakes(x, W1, b1, w2, slope)

    def run(name):
        return answer.call(name, mine[name], *arrays, slope)

    compare("critic(x, ...)", ref["critic"](*arrays, slope), run("critic"), label="f")
    compare(
        "critic_input_gradient, grad_x f", ref["critic_input_gradient"](*arrays, slope),
        run("critic_input_gradient"), label="g", mistakes=mistakes["input"],
        shape_hint="grad_x f has one row per sample, shaped like x: (n, d).",
    )
    check_against_finite_differences(
        answer, "critic_input_gradient",
        lambda x: mine["critic"](x, W1, b1, w2, b2, slope),
        lambda gy, x: (gy[:, None] * mine["critic_input_gradient"](x, W1, b1, w2, b2, slope),), [x], wrt=[0],
    )
    compare("gradient_penalty", ref["gradient_penalty"](*arrays, slope), run("gradient_penalty"), label="GP",
            mistakes=mistakes["penalty"], shape_hint="the penalty is one number.")
    received = run("gradient_penalty_grad")
    if not isinstance(received, (tuple, list)) or len(received) != 2:
        raise CheckFailed("gradient_penalty_grad", ["return a pair of arrays: (dGP/dW1, dGP/dw2)."])
    for name, e, r in zip(("W1", "w2"), ref["gradient_penalty_grad"](*arrays, slope), received):
        compare(f"gradient_penalty_grad, the gradient of {name}", e, r, label=f"dGP/d{name}",
                mistakes=mistakes[name])
    check_against_finite_differences(
        answer, "gradient_penalty_grad",
        lambda *a: mine["gradient_penalty"](*a, slope),
        lambda gy, *a: tuple(gy * g for g in mine["gradient_penalty_grad"](*a, slope)), list(arrays), wrt=[1, 3],
    )
