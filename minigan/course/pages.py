"""The student's pages, docs/exercises/: rendered from the assignments table, so the table stays their one home.

``python -m minigan.course pages`` rewrites them; a test checks they are up to date.
"""

from pathlib import Path

from minigan.course.assignments import ASSIGNMENTS, EXAMPLES

PAGES = Path(__file__).resolve().parents[2] / "docs" / "exercises"

_WORKFLOW = """\
## How you work

Your teacher gives you a *student edition*: a copy of minigan in which the
functions of every assignment are cut out. Each cut function keeps its
signature and its docstring (the math), and its body raises
`NotImplementedError("assignment NAME: what to write")`. You fill the bodies
in, one assignment at a time, in the order below:

```bash
python -m minigan.course list                      # the assignments, in order
python -m pytest -m sigmoid_backward               # one assignment's checks (gradchecks included)
python -m minigan.course grade .                   # every assignment: points, and what is wrong
python -m minigan.course hint sigmoid_backward     # a hint: first the direction ...
python -m minigan.course hint sigmoid_backward --level 2   # ... then the formula, from the docs page
```

A failing check names the element that is wrong, the expected and the
received value, and, when your values match a slip students often make,
which slip it is. It never shows code. A check that meets a stub says the
assignment is not done yet, or which earlier assignment it needs first.
The grader runs on *your* code: it imports minigan from the folder it
grades, never an installed copy.

Once every assignment an example needs is done, that example trains on your
engine: your sigmoid backward, your batch norm, your Adam step.
"""


def _link(path):
    return f"[`{path}`](../../{path})"


def render_index():
    lines = [
        "# The course: minigan's engine, cut out for you to write",
        "",
        f"{len(ASSIGNMENTS)} assignments, from a backward of one line to the training step of a GAN.",
        "Each one is a piece of the engine; the grader checks it the way the project's own tests do",
        "(values on fixed cases, `mg.gradcheck` against finite differences, `mg.gradgradcheck`),",
        "and the real examples then run on it. Teachers: see [docs/teaching/](../teaching/README.md).",
        "",
        _WORKFLOW,
        "## The assignments, in order",
        "",
        "| # | assignment | you write | read first | points |",
        "|---|---|---|---|---|",
    ]
    for k, a in enumerate(ASSIGNMENTS, start=1):
        targets = ", ".join(f"`{t.qualname}`" for t in a.targets if not t.delegate)
        lines.append(f"| {k} | [{a.name}]({a.name}.md) | {targets} | [{a.docs}](../{a.docs}) | {a.points} |")
    lines += ["", "## Which assignments each example needs", "",
              "| example | assignments |", "|---|---|"]
    for example, names in EXAMPLES.items():
        lines.append(f"| [`examples/{example}`](../../examples/{example}) | "
                     + ", ".join(f"[{n}]({n}.md)" for n in names) + " |")
    lines += ["", "`examples/vanilla_gan.py` writes Algorithm 1's loop out in its own body; the library version",
              "that the [training_step](training_step.md) assignment asks for is `minigan/gan/step.py`.", ""]
    return "\n".join(lines)


def render_page(a):
    k = ASSIGNMENTS.index(a) + 1
    lines = [f"# Assignment {k}: {a.title}", "", f"**Read first:** [docs/{a.docs}](../{a.docs}) · "
             f"**points:** {a.points} · **check:** `python -m pytest -m {a.name}`", "", "## You write", ""]
    for t in a.targets:
        if not t.delegate:
            lines.append(f"- {_link(t.path)} `{t.qualname}`: {t.task}.")
    fast = [t for t in a.targets if t.delegate]
    if fast:
        lines += ["", "Not yours: " + ", ".join(f"`{t.qualname}`" for t in fast) + ". These fast helpers of the same "
                  "formula call the plain version in the student edition (or are not used), so no second copy of "
                  "the answer is left in it."]
    if a.needs:
        lines += ["", "Do first: " + ", ".join(f"[{n}]({n}.md)" for n in a.needs)
                  + " (this assignment's checks run through that code)."]
    examples = [e for e, names in EXAMPLES.items() if a.name in names]
    if examples:
        lines += ["", "Needed by: " + ", ".join(f"`examples/{e}`" for e in examples) + "."]
    lines += ["", "## Hints", "",
              f"`python -m minigan.course hint {a.name}` gives the direction; `--level 2` the formula, "
              "from the docs page. Try the first before the second.", "",
              "## Check", "", "```bash", f"python -m pytest -m {a.name}          # this assignment's checks",
              f"python -m minigan.course grade . --assignments {a.name}", "```", ""]
    return "\n".join(lines)


def rendered():
    """{file name: text} of every page."""
    out = {"README.md": render_index()}
    out.update({f"{a.name}.md": render_page(a) for a in ASSIGNMENTS})
    return out


CLASSROOM = PAGES.parent / "teaching" / "classroom.yml"


def write(directory=PAGES):
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in rendered().items():
        (directory / name).write_text(text)
    CLASSROOM.parent.mkdir(parents=True, exist_ok=True)
    CLASSROOM.write_text(render_classroom())


def render_classroom():
    """docs/teaching/classroom.yml: a GitHub Classroom autograding workflow, one graded step per assignment.

    One step runs the grader once (``grade . --json > grade.json``); each
    assignment's step then reads its verdict from that JSON, so the points in
    Classroom are the grader's. The student edition installs it as
    .github/workflows/classroom.yml.
    """
    steps, ids = [], []
    for a in ASSIGNMENTS:
        ids.append(a.name)
        verdict = ("import json, sys; r = json.load(open('grade.json')); "
                   f"sys.exit(0 if [a for a in r['assignments'] if a['name'] == '{a.name}'][0]['passed'] else 1)")
        steps.append(f"""\
    - name: {a.name}
      id: {a.name}
      uses: classroom-resources/autograding-command-grader@v1
      with:
        test-name: {a.name}
        setup-command: ''
        command: python -c "{verdict}"
        timeout: 5
        max-score: {a.points}
""")
    env = "".join(f"        {i.upper()}_RESULTS: \"${{{{steps.{i}.outputs.result}}}}\"\n" for i in ids)
    return f"""\
# GitHub Classroom autograding for minigan's course (written by `python -m minigan.course pages`).
# The student edition installs this file as .github/workflows/classroom.yml. Each push runs the grader
# once on the student's own code (python -m minigan.course grade . --json) and reports one score per
# assignment to Classroom; the grader's full report is the job summary and the grade.json artifact.
name: Autograding Tests
'on':
- push
- repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
    - name: Checkout code
      uses: actions/checkout@v4
    - name: Set up Python
      uses: actions/setup-python@v5
      with:
        python-version: '3.11'
    - name: Install
      run: python -m pip install numpy matplotlib tqdm pytest hypothesis
    - name: Grade (python -m minigan.course grade . --json)
      run: |
        python -m minigan.course grade . --json > grade.json || true
        python -m minigan.course grade . >> "$GITHUB_STEP_SUMMARY" || true
    - name: Keep the report
      uses: actions/upload-artifact@v4
      with:
        name: grade
        path: grade.json
{"".join(steps)}    - name: Autograding Reporter
      uses: classroom-resources/autograding-grading-reporter@v1
      env:
{env}      with:
        runners: {",".join(ids)}
"""
