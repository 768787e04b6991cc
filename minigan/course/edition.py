"""The student edition: a copy of the project with each assignment's target functions cut out.

A target ``path:Qualified.name`` is found by its AST. Its body (everything
after the docstring, comments included) is replaced with a stub,

    raise NotImplementedError("assignment <name>: <task>")

or, for a fast helper, with the call of its stubbed reference (the
target's ``delegate``), so that no copy of the formula stays behind. The
signature and the docstring (the math) stay. What never goes into the
edition: the teacher-only files of :data:`TEACHER_ONLY` (the mistake
catalogue, the teacher's tests), caches, and the old exercise folders.
"""

import ast
import json
import shutil
import textwrap
from pathlib import Path

from minigan.course.assignments import ASSIGNMENTS, select

ROOT = Path(__file__).resolve().parents[2]

COPIED = (
    "minigan", "tests", "examples", "docs", "notebooks", "scripts", "benchmarks",
    "setup.cfg", "pyproject.toml", "README.md", "LICENSE", "CONTRIBUTING.md", ".ci",
)
TEACHER_ONLY = (
    "minigan/course/mistakes.py",     # the wrong formulas behind the hints (some are one sign from the answer)
    "tests/test_course.py",           # the teacher's tests of the course itself
    # the engine's tests that hold an independent reference of a cut formula (a second copy of the answer):
    "tests/test_ops.py", "tests/test_optim.py", "tests/test_conv.py", "tests/test_layers.py", "tests/test_nn.py",
    "tests/test_losses.py", "tests/test_penalty.py", "tests/test_gan_layers.py", "tests/test_theory.py",
    "minigan/exercises",
    "docs/teaching/results",
)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis", "*.egg-info", "runs")
KEY = "minigan/course/key.json"
WORKFLOW = ".github/workflows/classroom.yml"


_KEPT_BY_THE_TEACHER = '''"""The teacher keeps this file: it holds an independent reference of a formula you write.

Your checks are in tests/test_course_assignments.py (python -m pytest -m ASSIGNMENT), and
python -m minigan.course grade . grades them all.
"""
'''


class EditionError(Exception):
    """The student edition cannot be written (the message says why and what to do)."""


def find_function(tree, qualname):
    """The FunctionDef node of ``Class.method`` or ``function`` in a module's AST, or None."""
    scope, node = tree.body, None
    for part in qualname.split("."):
        node = next(
            (n for n in scope if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
             and n.name == part),
            None,
        )
        if node is None:
            return None
        scope = node.body
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def _kept(statement):
    """The docstring, and the argument checks a body starts with (``_check_...(...)``), stay in the edition."""
    if not isinstance(statement, ast.Expr):
        return False
    value = statement.value
    if isinstance(value, ast.Constant):
        return isinstance(value.value, str)
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and \
        value.func.id.startswith(("_check", "_warn"))


def _body_span(fn):
    """(first line, last line), 1-based, of ``fn``'s body after its docstring and leading argument checks."""
    body = fn.body
    k = 0
    while k < len(body) and _kept(body[k]):
        k += 1
    if k == len(body):
        return body[-1].end_lineno + 1, body[-1].end_lineno  # nothing to cut: insert after the last kept line
    start = body[k - 1].end_lineno + 1 if k else body[0].lineno
    return start, body[-1].end_lineno


def replace_bodies(source, replacements, path="<source>"):
    """``source`` with each function body in ``replacements`` ({qualname: new body text}) put in place.

    The new body is indented like the old one; the docstring stays.
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    spans = []
    for qualname, body in replacements.items():
        fn = find_function(tree, qualname)
        if fn is None:
            raise EditionError(f"{path} has no function {qualname}; retarget it in minigan/course/assignments.py.")
        first, last = _body_span(fn)
        indent = " " * fn.body[0].col_offset
        spans.append((first, last, "".join(indent + line + "\n" for line in body.splitlines())))
    for first, last, text in sorted(spans, reverse=True):
        lines[first - 1 : last] = [text]
    return "".join(lines)


def function_body(source, qualname, path="<source>"):
    """The text of ``qualname``'s body after its docstring, dedented (what :func:`replace_bodies` cuts)."""
    fn = find_function(ast.parse(source), qualname)
    if fn is None:
        raise EditionError(f"{path} has no function {qualname}; retarget it in minigan/course/assignments.py.")
    first, last = _body_span(fn)
    lines = source.splitlines(keepends=True)[first - 1 : last]
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "".join(line[indent:] if line.strip() else "\n" for line in lines)


def stub_body(assignment, target):
    if target.delegate:
        return target.delegate
    message = f"assignment {assignment.name}: {target.task}"
    pieces = textwrap.wrap(message, 84, drop_whitespace=False)
    return "raise NotImplementedError(\n" + "".join(f"    {p!r}\n" for p in pieces) + ")"


def cut(root, assignments):
    """Replace every target of ``assignments`` in the tree at ``root`` with its stub, file by file."""
    by_file = {}
    for a in assignments:
        for t in a.targets:
            by_file.setdefault(t.path, {})[t.qualname] = stub_body(a, t)
    for path, replacements in by_file.items():
        file = Path(root) / path
        file.write_text(replace_bodies(file.read_text(), replacements, path))


def fill(root, source_root, assignments):
    """Put the bodies of ``source_root``'s targets back into the tree at ``root`` (the reference solution).

    A fast helper (a target with a ``delegate``) keeps its delegate, as a student's copy does: the
    filled edition runs the bodies the student writes, through the references.
    """
    by_file = {}
    for a in assignments:
        for t in a.targets:
            if t.delegate:
                continue
            original = (Path(source_root) / t.path).read_text()
            by_file.setdefault(t.path, {})[t.qualname] = function_body(original, t.qualname, t.path)
    for path, replacements in by_file.items():
        file = Path(root) / path
        file.write_text(replace_bodies(file.read_text(), replacements, path))


RUFF_IGNORES = "[tool.ruff.lint.per-file-ignores]"


def _keep_imports_for_the_student(directory, chosen):
    """Tell ruff (in the edition's pyproject.toml) that a cut file's imports are the student's to use.

    A cut body no longer uses what its solution imported (``sum_to``, ``xp``), so ``ruff check`` would
    call those imports unused and ``--fix`` would delete what the student needs.
    """
    pyproject = Path(directory) / "pyproject.toml"
    if not pyproject.is_file() or RUFF_IGNORES not in pyproject.read_text():
        return
    paths = sorted({t.path for a in chosen for t in a.targets if not t.delegate})
    lines = [f'"{path}" = ["F401"]   # the student edition: imports the cut bodies will need' for path in paths]
    text = pyproject.read_text().replace(RUFF_IGNORES, "\n".join([RUFF_IGNORES, *lines]), 1)
    pyproject.write_text(text)


def write_student_edition(directory, names=None, source_root=ROOT):
    """Write the student edition of the project at ``source_root`` into ``directory``; return the assignments cut."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise EditionError(
            f"{directory} already exists and is not empty; give a new or empty folder for the student edition."
        )
    chosen = select(names)
    directory.mkdir(parents=True, exist_ok=True)
    source_root = Path(source_root)
    for name in COPIED:
        src = source_root / name
        if src.is_dir():
            shutil.copytree(src, directory / name, ignore=IGNORED)
        elif src.is_file():
            shutil.copy2(src, directory / name)
    for name in TEACHER_ONLY:
        victim = directory / name
        if victim.is_dir():
            shutil.rmtree(victim)
        elif victim.exists():
            victim.unlink()
            if name.startswith("tests/test_") and name != "tests/test_course.py":  # the docs link to it
                victim.write_text(_KEPT_BY_THE_TEACHER)
    from minigan.course import key as answer_key

    (directory / KEY).write_text(json.dumps(answer_key.build()))
    cut(directory, chosen)
    _keep_imports_for_the_student(directory, chosen)
    workflow = source_root / "docs" / "teaching" / "classroom.yml"
    if workflow.is_file():
        (directory / WORKFLOW).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workflow, directory / WORKFLOW)
    (directory / "minigan" / "course" / "edition.json").write_text(
        json.dumps({"assignments_cut": [a.name for a in chosen],
                    "all_assignments": [a.name for a in ASSIGNMENTS]}, indent=1) + "\n"
    )
    return chosen
