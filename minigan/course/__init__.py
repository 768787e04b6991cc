"""minigan's course: assignments cut out of the engine, a student edition, and an autograder.

::

    python -m minigan.course list                             # the assignments, in course order
    python -m minigan.course student-edition DIR [--assignments NAMES]
    python -m minigan.course grade DIR [--json]               # run the checks on DIR's own code
    python -m minigan.course hint NAME [--level 2]            # first the direction, then the formula

The engine is the answer key: an assignment is a function of the engine
(``minigan/course/assignments.py`` names them, the one table to retarget),
cut out of the student edition, and graded by checks
(``minigan/course/checks.py``) against an answer key of numbers
(``minigan/course/key.py``). Once a student fills the functions in, the real
examples run on the student's code. The student's pages: docs/exercises/;
the teacher's kit: docs/teaching/.
"""

from minigan.course.assignments import ASSIGNMENTS, NAMES, get, select

__all__ = ["ASSIGNMENTS", "NAMES", "get", "select"]
