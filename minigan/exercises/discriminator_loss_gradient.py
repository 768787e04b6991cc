"""Checker: the discriminator's loss on logits and its gradient, sigmoid(a) - y."""

from minigan.backend import xp
from minigan.exercises.checking import CheckFailed, check_against_finite_differences, compare, randn

TITLE = "discriminator loss -[log s(a_real) + log(1 - s(a_fake))] and its gradient s(a) - y  [plain functions]"
CHECKS = "the loss, its gradient and finite differences"

FIXED_CASES = [
    {"n_real": 3, "n_fake": 3, "seed": 0},
    {"n_real": 4, "n_fake": 2, "seed": 1},
    {"n_real": 1, "n_fake": 5, "seed": 2},
    {"n_real": 2, "n_fake": 2, "confident": True, "seed": 3},  # |a| = 40: log(1 - sigmoid(40)) = log(0) naively
]


def draw_case(draw):
    return {"n_real": draw.int(1, 6), "n_fake": draw.int(1, 6), "seed": draw.int(0, 2**16)}


def _sigmoid(a):
    return 1.0 / (1.0 + xp.exp(-a))


def _softplus_mean(a):
    return float(xp.mean(xp.logaddexp(0.0, a)))


def _grad_mistakes(a_real, a_fake):
    """(hint, wrong gradient) pairs for each input: the slips students make, evaluated on this case."""
    n, m, sr, sf = a_real.size, a_fake.size, _sigmoid(a_real), _sigmoid(a_fake)
    return {
        "a_real": [
            ("this is sigmoid(a) / n: for a real sample the label is y = 1, so the gradient is "
                    "(sigmoid(a) - 1) / n, negative: D is pushed to raise its logit.", sr / n),
            ("the sign is flipped: d/da -log sigmoid(a) = -(1 - sigmoid(a)) = sigmoid(a) - 1.", (1 - sr) / n),
            ("the loss is a mean over the real batch: divide by its size n.", sr - 1),
            ("sigmoid'(a) = sigmoid(a)(1 - sigmoid(a)) is cancelled by the log's 1/sigmoid(a); "
                    "the result is sigmoid(a) - 1, with no extra factor.", -sr * (1 - sr) / n),
            ("the chain rule stopped at d log(s) = 1/s: multiply by ds/da = s (1 - s).", -1 / sr / n),
        ],
        "a_fake": [
            ("this is (sigmoid(a) - 1) / m: for a fake sample the label is y = 0, so the gradient is "
                    "sigmoid(a) / m, positive: D is pushed to lower its logit.", (sf - 1) / m),
            ("the sign is flipped: d/da -log(1 - sigmoid(a)) = sigmoid(a).", -sf / m),
            ("the loss is a mean over the fake batch: divide by its size m.", sf),
            ("the fake term is a mean over the fakes: divide by their count m, not by the real count n.",
                    sf / n),
            ("sigmoid'(a) is cancelled by the log's 1/(1 - sigmoid(a)); the result is sigmoid(a), "
                    "with no extra factor.", sf * (1 - sf) / m),
        ],
    }


def check_case(answer, reference, case):
    if case.get("confident"):
        a_real, a_fake = xp.asarray([40.0, -3.0]), xp.asarray([-1.0, 40.0])
    else:
        a_real, a_fake = randn(case["n_real"], scale=2.0), randn(case["n_fake"], scale=2.0)
    loss, grad = answer.get("discriminator_loss"), answer.get("discriminator_loss_grad")
    n, m = a_real.size, a_fake.size
    compare(
        "discriminator_loss(a_real, a_fake)", reference.get("discriminator_loss")(a_real, a_fake),
        answer.call("discriminator_loss", loss, a_real, a_fake), label="L",
        shape_hint="the loss is one number (a float or a 0-d array).",
        mistakes=[
            ("the loss is a mean over each batch, not a sum.",
             n * _softplus_mean(-a_real) + m * _softplus_mean(a_fake)),
            ("the sign is flipped: D maximises log sigmoid(a_real) + log(1 - sigmoid(a_fake)), so the loss "
             "to minimise is minus that.", -_softplus_mean(-a_real) - _softplus_mean(a_fake)),
        ],
    )
    expected = reference.get("discriminator_loss_grad")(a_real, a_fake)
    received = answer.call("discriminator_loss_grad", grad, a_real, a_fake)
    if not isinstance(received, (tuple, list)) or len(received) != 2:
        raise CheckFailed("discriminator_loss_grad", ["return a pair of arrays: (dL/da_real, dL/da_fake)."])
    mistakes = _grad_mistakes(a_real, a_fake)
    for name, e, r in zip(("a_real", "a_fake"), expected, received):
        compare(f"discriminator_loss_grad, the gradient of {name}", e, r, label=f"dL/d{name}", mistakes=mistakes[name])
    check_against_finite_differences(
        answer, "discriminator_loss_grad", loss, lambda gy, ar, af: tuple(gy * g for g in grad(ar, af)),
        [a_real, a_fake], wrt=[0, 1],
    )
