"""``python -m minigan.exercises list | show NAME | check NAME answer.py [--solution]``."""

import argparse
import sys

from minigan import exercises


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m minigan.exercises", description="minigan's classroom exercises and their checker."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the exercises")
    show = commands.add_parser("show", help="print where the stub is and what to do")
    show.add_argument("name")
    check = commands.add_parser("check", help="check an answer file")
    check.add_argument("name")
    check.add_argument("path", nargs="?", help="your filled-in copy of docs/exercises/NAME.py")
    check.add_argument("--solution", action="store_true", help="check the shipped reference solution instead")
    check.add_argument(
        "--examples", type=int, default=exercises.DEFAULT_EXAMPLES, help="drawn cases after the fixed ones"
    )
    args = parser.parse_args(argv)

    if args.command == "list":
        width = max(map(len, exercises.NAMES))
        for name in exercises.NAMES:
            print(f"{name:<{width}}  {exercises.get(name).TITLE}")
        return 0
    try:
        if args.command == "show":
            return _show(args.name)
        if args.solution == (args.path is not None):
            parser.error("check needs either the path of your answer or --solution (not both).")
        path = exercises.solution_path(args.name) if args.solution else args.path
        verdict = exercises.check(args.name, path, examples=args.examples)
    except (exercises.UnknownExercise, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(verdict.text)
    return 0 if verdict.passed else 1


def _show(name):
    exercise = exercises.get(name)
    stub = exercises.stub_path(name)
    print(f"{name}: {exercise.TITLE}")
    if stub is None:
        print("The stubs and pages are in docs/exercises/ of minigan's source tree.")
        return 0
    print(f"page: {stub.with_suffix('.md')}")
    print(f"stub: {stub}")
    print(f"\n  cp {stub} my_{name}.py   # fill it in, then:")
    print(f"  python -m minigan.exercises check {name} my_{name}.py\n")
    print(stub.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
