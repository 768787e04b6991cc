"""Classroom exercises: derive a gradient by hand, write it down, and let a checker prove it.

Each exercise has a page and a stub in ``docs/exercises/``; copy the stub, fill
it in, and run::

    python -m minigan.exercises list                      # the exercises, one line each
    python -m minigan.exercises show NAME                 # where the stub is, and the task
    python -m minigan.exercises check NAME answer.py      # PASS, or what is wrong and where
    python -m minigan.exercises check NAME --solution     # the reference solution passes

The checker of exercise ``NAME`` lives in ``minigan/exercises/NAME.py``; its
reference solution, the same stub filled in, in ``minigan/exercises/solutions/NAME.py``.
"""

import importlib
from pathlib import Path

from minigan.exercises.checking import Answer, CheckFailed, NotDone, run_cases, seeded

NAMES = (
    "sigmoid_backward",
    "leaky_relu_backward",
    "softplus_log_sigmoid_backward",
    "matmul_broadcast_backward",
    "batchnorm_backward",
    "conv2d_im2col",
    "discriminator_loss_gradient",
    "gradient_penalty",
    "adam_update",
)

DEFAULT_EXAMPLES = 10  # cases drawn after the fixed ones

_HERE = Path(__file__).resolve().parent


class UnknownExercise(KeyError):
    def __str__(self):
        return f"no exercise named {self.args[0]!r}; the exercises are: {', '.join(NAMES)}."


def get(name):
    """The checker module of exercise ``name`` (``TITLE``, ``FIXED_CASES``, ``draw_case``, ``check_case``)."""
    if name not in NAMES:
        raise UnknownExercise(name)
    return importlib.import_module(f"minigan.exercises.{name}")


def solution_path(name):
    get(name)
    return _HERE / "solutions" / f"{name}.py"


def stub_path(name):
    """The stub ``docs/exercises/NAME.py`` of a source checkout, or None when minigan was installed without docs."""
    get(name)
    path = _HERE.parents[1] / "docs" / "exercises" / f"{name}.py"
    return path if path.exists() else None


class Verdict:
    """The outcome of one check: ``status`` is "pass", "fail" or "not done"; ``text`` is what to print."""

    def __init__(self, name, status, text, failure=None):
        self.name, self.status, self.text, self.failure = name, status, text, failure

    @property
    def passed(self):
        return self.status == "pass"

    def __str__(self):
        return self.text


def check(name, path, examples=DEFAULT_EXAMPLES):
    """Check the answer file at ``path`` for exercise ``name``; return a :class:`Verdict`."""
    exercise = get(name)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no answer file at {path}; give the path of your filled-in copy of the stub.")
    cases = []
    try:
        answer = Answer(path)
        reference = Answer(solution_path(name))

        def run_case(case):
            try:
                with seeded(case["seed"]):
                    exercise.check_case(answer, reference, case)
            except CheckFailed as failure:
                failure.case = failure.case or case
                raise
            if case not in cases:
                cases.append(case)

        run_cases(exercise, run_case, examples)
    except NotDone as err:
        return Verdict(name, "not done", f"NOT DONE {name}: {err}")
    except CheckFailed as failure:
        return Verdict(name, "fail", _failure_text(name, failure), failure)
    return Verdict(
        name, "pass",
        f"PASS {name}: {exercise.CHECKS} agree on {len(cases)} cases "
        f"({len(exercise.FIXED_CASES)} fixed, {len(cases) - len(exercise.FIXED_CASES)} drawn).",
    )


def _failure_text(name, failure):
    lines = [f"FAIL {name}", f"  check: {failure.check}"]
    if failure.case is not None:
        lines.append("  case:  " + ", ".join(f"{k}={v}" for k, v in failure.case.items()))
    lines += [f"  {line}" for line in failure.lines]
    if failure.hint:
        lines.append(f"  hint:  {failure.hint}")
    return "\n".join(lines)
