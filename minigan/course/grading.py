"""The autograder: run every assignment's checks on the engine of one tree and report points.

:func:`grade` runs in the tree being graded (``python -m minigan.course
grade DIR`` starts it in a subprocess with DIR first on ``sys.path``, so the
student's code is what runs, never an installed minigan). The report is one
dict, the JSON of ``grade --json``::

    {"score": points, "total": points, "assignments": [
        {"name", "targets", "passed", "points", "max_points",
         "checks": [{"name", "passed", "message"}, ...]}, ...]}

An assignment earns its points when all its checks pass. A check that meets
a stub says the assignment is not done yet (or which assignment it needs
first); a failing one names the element, expected vs received, and the
likely mistake, never the code.
"""

import re
import traceback
import warnings
from pathlib import Path

from minigan.course import checks as course_checks
from minigan.course import key as answer_key
from minigan.course.assignments import ASSIGNMENTS, select
from minigan.course.checking import CheckFailed, NotDone, compare

_STUB = re.compile(r"assignment (\w+): ")
_ROOT = Path(__file__).resolve().parents[2]


def _run(assignment, fn):
    """(passed, message) of one check."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except NotImplementedError as err:
        text = str(err)
        found = _STUB.match(text)
        if found and found.group(1) != assignment.name:
            return False, f"needs assignment {found.group(1)} first, which is not done yet ({text})."
        if found:
            return False, f"not done yet: {text}"
        return False, f"not done yet: something raised NotImplementedError ({text or 'no message'})."
    except NotDone as err:
        return False, f"not done yet: {err}"
    except CheckFailed as failure:
        return False, failure.message()
    except Exception as err:  # the student's code raised: say what and where (a target's file and line)
        return False, f"it raised {type(err).__name__}: {err}{_where(err)}"
    return True, "passed"


def _where(err):
    targets = {t.path for a in ASSIGNMENTS for t in a.targets}
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        try:
            rel = Path(frame.filename).resolve().relative_to(_ROOT).as_posix()
        except ValueError:
            continue
        if rel in targets:
            return f" (at {rel} line {frame.lineno}, in {frame.name})"
    return ""


def _case_check(assignment, spec, key_case):
    def check():
        if assignment.name == "pen_and_paper":
            question = key_case["inputs"]["question"]
            (value,) = spec.probe(key_case["inputs"]).values()
            course_checks.check_number(question, value, key_case)
            return
        case = answer_key.decode(key_case["inputs"])
        expected = answer_key.decode(key_case["expected"])
        mistakes = answer_key.decode(key_case["mistakes"])
        received = spec.probe(case)
        for label, value in expected.items():
            compare(label, value, received.get(label), mistakes=[(h, v) for h, v in mistakes.get(label, [])],
                    context=_context(case, value))

    return check


def _context(case, expected):
    """For an elementwise op, the input at the wrong element (the kink of LeakyReLU is x = 0)."""
    x = case.get("x") if isinstance(case, dict) else None
    if x is None or getattr(x, "shape", None) != getattr(expected, "shape", ()):
        return None
    return lambda index: f"at x{list(index)} = {float(x[index]):.6g}"


def _describe(key_case, k, n):
    inputs = key_case["inputs"]
    if "question" in inputs:
        return f"question {inputs['question']}"
    return f"fixed case {k + 1} of {n}"


def checks_of(assignment, key):
    """[(check name, check function)] of one assignment: its key's fixed cases, then its live checks."""
    spec = course_checks.SPECS[assignment.name]
    cases = key.get(assignment.name, {}).get("cases", [])
    out = [(_describe(c, k, len(cases)), _case_check(assignment, spec, c)) for k, c in enumerate(cases)]
    return out + list(spec.live)


def run_check(assignment, fn):
    """(passed, message) of one check of ``assignment``."""
    return _run(assignment, fn)


def grade(names=None):
    """The report (a dict, see the module's docstring) of this tree's engine on the chosen assignments."""
    key = answer_key.load()
    report = []
    for assignment in select(names):
        results = []
        for check_name, fn in checks_of(assignment, key):
            passed, message = _run(assignment, fn)
            results.append({"name": check_name, "passed": passed, "message": message})
        passed = bool(results) and all(r["passed"] for r in results)
        report.append({
            "name": assignment.name,
            "targets": [t.spec for t in assignment.targets],
            "passed": passed,
            "points": assignment.points if passed else 0,
            "max_points": assignment.points,
            "checks": results,
        })
    return {"score": sum(a["points"] for a in report), "total": sum(a["max_points"] for a in report),
            "assignments": report}


def table(report):
    """The report as text: one line per assignment, and each failing check's message below it."""
    width = max(len(a["name"]) for a in report["assignments"])
    lines = [f"{'assignment':<{width}}  points  result"]
    for a in report["assignments"]:
        done = sum(c["passed"] for c in a["checks"])
        lines.append(f"{a['name']:<{width}}  {a['points']:>2}/{a['max_points']:<3}  "
                     f"{'pass' if a['passed'] else 'FAIL'} ({done}/{len(a['checks'])} checks)")
        failing = [c for c in a["checks"] if not c["passed"]]
        messages = list(dict.fromkeys(c["message"] for c in failing))  # the same message once
        for message in messages[:2]:
            names = [c["name"] for c in failing if c["message"] == message]
            lines.append(f"    {names[0]}{f' (and {len(names) - 1} more)' if len(names) > 1 else ''}: {message}")
        if len(messages) > 2:
            lines.append(f"    ... and {len(messages) - 2} more messages: python -m minigan.course grade DIR --json")
    lines.append(f"score {report['score']} / {report['total']}")
    if report["score"] < report["total"]:
        lines.append("a hint: python -m minigan.course hint NAME (the direction), then --level 2 (the formula)")
    return "\n".join(lines)
