"""Checker: one step of Adam, with its bias correction."""

from minigan.backend import xp
from minigan.exercises.checking import CheckFailed, compare, randn

TITLE = "one Adam step: moment estimates, bias correction, update  [a plain function]"
CHECKS = "m, v and the parameter after each of several steps"

FIXED_CASES = [
    {"shape": (3,), "lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "steps": 3, "seed": 0},
    {"shape": (2, 3), "lr": 0.1, "betas": (0.5, 0.9), "eps": 0.1, "steps": 4, "seed": 1},  # DCGAN-like beta1
    {"shape": (1,), "lr": 0.01, "betas": (0.0, 0.99), "eps": 1e-3, "steps": 3, "seed": 2},
]


def draw_case(draw):
    return {
        "shape": tuple(draw.int(1, 4) for _ in range(draw.int(1, 2))),
        "lr": draw.choice([1e-3, 1e-2, 0.1]),
        "betas": draw.choice([(0.9, 0.999), (0.5, 0.999), (0.0, 0.9), (0.8, 0.5)]),
        "eps": draw.choice([1e-8, 1e-3, 0.1]),
        "steps": draw.int(1, 5),
        "seed": draw.int(0, 2**16),
    }


def _update(m, v, t, lr, b1, b2, eps, correct=True, t_offset=0, eps_inside=False):
    """The parameter's change for given moments, or one of the classic wrong variants."""
    if correct:
        m, v = m / (1 - b1 ** (t + t_offset)), v / (1 - b2 ** (t + t_offset))
    return -lr * m / (xp.sqrt(v + eps) if eps_inside else xp.sqrt(v) + eps)


def _mistakes(param, g, m, v, t, lr, b1, b2, eps):
    m1, v1 = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    return {
        "m": [
            ("m = beta1 m + (1 - beta1) g: the (1 - beta1) on g is missing.", b1 * m + g),
            ("beta1 and 1 - beta1 are swapped: m = beta1 m + (1 - beta1) g keeps most of the old m.",
             (1 - b1) * m + b1 * g),
        ],
        "v": [
            ("v averages the squared gradient: v = beta2 v + (1 - beta2) g^2.", b2 * v + (1 - b2) * g),
            ("v uses beta1; it has its own beta2: v = beta2 v + (1 - beta2) g^2.", b1 * v + (1 - b1) * g * g),
        ],
        "param": [
            ("the bias correction is missing: m_hat = m / (1 - beta1^t) and v_hat = v / (1 - beta2^t) undo "
             "the pull towards the zero initial moments.", param + _update(m1, v1, t, lr, b1, b2, eps, correct=False)),
            ("the bias correction uses the wrong step: t counts from 1 at the first step, 1 - beta^t.",
             param + _update(m1, v1, t, lr, b1, b2, eps, t_offset=1)),
            ("eps is added outside the square root: theta -= lr m_hat / (sqrt(v_hat) + eps).",
             param + _update(m1, v1, t, lr, b1, b2, eps, eps_inside=True)),
            ("the step goes uphill: theta = theta - lr m_hat / (sqrt(v_hat) + eps).",
             param - _update(m1, v1, t, lr, b1, b2, eps)),
        ],
    }


def check_case(answer, reference, case):
    step = answer.get("adam_step")
    lr, (b1, b2), eps = case["lr"], case["betas"], case["eps"]
    param = randn(*case["shape"])
    m, v = xp.zeros_like(param), xp.zeros_like(param)
    for t in range(1, case["steps"] + 1):
        g = randn(*case["shape"])
        expected = reference.get("adam_step")(param.copy(), g.copy(), m.copy(), v.copy(), t, lr, (b1, b2), eps)
        received = answer.call("adam_step", step, param.copy(), g.copy(), m.copy(), v.copy(), t, lr, (b1, b2), eps)
        if not isinstance(received, (tuple, list)) or len(received) != 3:
            raise CheckFailed("adam_step", ["return the triple (new param, new m, new v)."])
        mistakes = _mistakes(param, g, m, v, t, lr, b1, b2, eps)

        def context(index, old=param, e=expected[0], r=received[0]):
            return (f"the step new_param - param: expected {float(e[index] - old[index]):.6g}, "
                    f"received {float(r[index] - old[index]):.6g}")

        for k, name in ((1, "m"), (2, "v"), (0, "param")):
            compare(f"adam_step at step t={t}: the new {name}", expected[k], received[k], label=name,
                    mistakes=mistakes[name], context=context if name == "param" else None)
        param, m, v = expected
