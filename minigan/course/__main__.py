"""``python -m minigan.course list | hint NAME | student-edition DIR [--assignments NAMES] | grade DIR [--json]``."""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from minigan.course.assignments import ASSIGNMENTS, UnknownAssignment, get, select

GRADE_TIMEOUT_S = 900


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minigan.course", description="minigan's course: assignments, "
                                     "the student edition and the autograder.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the assignments, in course order")
    hint = commands.add_parser("hint", help="a hint for one assignment: first the direction, then the formula")
    hint.add_argument("name")
    hint.add_argument("--level", type=int, default=1, choices=(1, 2), help="1: the direction; 2: the formula")
    edition = commands.add_parser("student-edition", help="write a copy of the project with the assignments cut out")
    edition.add_argument("directory")
    edition.add_argument("--assignments", help="comma-separated names (default: all)")
    grade = commands.add_parser("grade", help="grade a tree (a student edition, or the project itself)")
    grade.add_argument("directory")
    grade.add_argument("--json", action="store_true", help="print exactly one JSON object")
    grade.add_argument("--assignments", help="grade only these (comma-separated)")
    commands.add_parser("pages", help="rewrite the student's pages docs/exercises/ from the assignments table")
    here = commands.add_parser("_grade-here", help=argparse.SUPPRESS)
    here.add_argument("--assignments")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            width = max(len(a.name) for a in ASSIGNMENTS)
            for k, a in enumerate(ASSIGNMENTS, start=1):
                print(f"{k:>2}. {a.name:<{width}}  {a.title}  (docs/{a.docs}; {a.points} points)")
            return 0
        if args.command == "hint":
            a = get(args.name)
            print(f"{a.name}, hint {args.level} of {len(a.hints)}: {a.hints[args.level - 1]}")
            if args.level < len(a.hints):
                print(f"(more precise: python -m minigan.course hint {a.name} --level {args.level + 1})")
            return 0
        if args.command == "pages":
            from minigan.course import pages

            pages.write()
            print(f"wrote {len(pages.rendered())} pages to {pages.PAGES}")
            return 0
        if args.command == "student-edition":
            return _student_edition(args.directory, args.assignments)
        if args.command == "_grade-here":
            return _grade_here(args.assignments)
        return _grade(args.directory, args.json, args.assignments)
    except UnknownAssignment as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _student_edition(directory, names):
    from minigan.course.edition import EditionError, write_student_edition

    try:
        chosen = write_student_edition(directory, names)
    except EditionError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote the student edition to {directory}: {len(chosen)} assignment(s) cut "
          f"({', '.join(a.name for a in chosen)}).")
    print(f"  cd {directory} && python -m minigan.course grade .       # nothing passes yet")
    print(f"  cd {directory} && python -m pytest -m {chosen[0].name}   # one assignment's checks")
    return 0


def _grade_here(names):
    """Grade the tree this process imported minigan from (the child of ``grade``): the report's JSON on stdout."""
    from minigan.course.grading import grade

    print(json.dumps(grade(names)))
    return 0


def _failed_report(names, message):
    return {"score": 0, "total": sum(a.points for a in select(names)), "assignments": [
        {"name": a.name, "targets": [t.spec for t in a.targets], "passed": False, "points": 0,
         "max_points": a.points, "checks": [{"name": "importing the code", "passed": False, "message": message}]}
        for a in select(names)]}


def _grade(directory, as_json, names):
    from minigan.course.grading import table

    select(names)  # an unknown name fails here, with the list of names
    root = Path(directory).resolve()
    if not (root / "minigan" / "__init__.py").is_file():
        print(f"error: {directory} holds no minigan package (no minigan/__init__.py); give the root of a "
              "student edition or of the project.", file=sys.stderr)
        return 2
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])]))
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import minigan, pathlib; "
        "here = pathlib.Path(minigan.__file__).resolve(); "
        "assert pathlib.Path(sys.argv[1]) in here.parents, f'imported minigan from {here}, not from {sys.argv[1]}'; "
        "from minigan.course.__main__ import main; sys.exit(main(['_grade-here'] + sys.argv[2:]))"
    )
    command = [sys.executable, "-c", code, str(root)] + (["--assignments", names] if names else [])
    try:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=GRADE_TIMEOUT_S)
        report = json.loads(done.stdout) if done.returncode == 0 else None
        problem = None if report else (done.stderr.strip().splitlines() or ["no output"])[-1]
    except subprocess.TimeoutExpired:
        report, problem = None, f"grading took longer than {GRADE_TIMEOUT_S} s (an endless loop?)"
    except json.JSONDecodeError:
        report, problem = None, "the code printed to stdout while being graded; remove the print() calls"
    if report is None:
        report = _failed_report(names, f"the code in {directory} could not be graded: {problem}")
    print(json.dumps(report) if as_json else table(report))
    return 0 if report["score"] == report["total"] else 1


if __name__ == "__main__":
    sys.exit(main())
