"""One assignment at a time: ``python -m pytest -m NAME`` runs that assignment's checks, gradchecks included.

The same checks as ``python -m minigan.course grade .``, one test each, marked
with the assignment's name (the markers are registered in setup.cfg). In the
project every one passes; in a student edition they pass once the assignment
is done, and a failing one says what is wrong, as the grader does.
"""

import pytest

from minigan.course import key as answer_key
from minigan.course.assignments import ASSIGNMENTS
from minigan.course.grading import checks_of, run_check

_KEY = answer_key.load()


def _params():
    for a in ASSIGNMENTS:
        for name, fn in checks_of(a, _KEY):
            yield pytest.param(a, fn, marks=getattr(pytest.mark, a.name), id=f"{a.name}: {name}")


@pytest.mark.parametrize("assignment, check", list(_params()))
def test_assignment(assignment, check):
    passed, message = run_check(assignment, check)
    assert passed, f"{assignment.name}: {message}"
