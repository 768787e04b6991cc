"""docs/stepping_through.md: its pdb sessions run, and every file, line and function they show still holds.

Each ```text block of the page that starts with ``$ python`` is a session: its
``(Pdb)`` commands are piped into that command, run from the checkout with the
checkout on sys.path (what ``pip install -e .`` gives, see the page), and every
location the page shows in minigan/ or examples/ (``> .../file(line)function()``,
the ``-> code`` under it, ``Breakpoint n at .../file:line``) must appear in the
real output, in the same order.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "stepping_through.md"


def _blocks(kind):
    return re.findall(r"```" + kind + r"\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


def _sessions():
    return [block for block in _blocks("text") if block.startswith("$ python")]


def _strip_prompts(line):
    while line.startswith("(Pdb) "):
        line = line[len("(Pdb) "):]
    return line


def _checked_lines(lines):
    """The lines of a transcript that name a place in the checkout, and the code line right under each."""
    out, previous_was_place = [], False
    for line in lines:
        line = _strip_prompts(line.rstrip())
        place = ".../minigan/" in line or ".../examples/" in line
        if place or (previous_was_place and line.startswith("-> ")):
            out.append(line)
        previous_was_place = place
    return out


def _matches(expected, actual):
    if expected.startswith("-> "):
        return actual == expected
    head, tail = expected.split("...", 1)
    return actual.startswith(head) and actual.endswith(tail) and str(ROOT) in actual


@pytest.fixture(scope="module")
def step_through(tmp_path_factory):
    (snippet,) = [b for b in _blocks("python") if "pdb.Pdb(skip=" in b]
    path = ROOT / "step_through.py"  # where the page says to save it (sys.path[0] is then the checkout)
    assert not path.exists() or path.read_text(encoding="utf-8") == snippet, "a step_through.py of your own is there"
    path.write_text(snippet, encoding="utf-8")
    yield path
    path.unlink()


@pytest.mark.slow
@pytest.mark.parametrize("session", range(len(_sessions())))
def test_each_pdb_session_of_the_page_runs_as_shown(session, step_through, tmp_path):
    block = _sessions()[session]
    lines = block.strip("\n").split("\n")
    command = lines[0][len("$ python "):].split()
    commands = [_strip_prompts(line) for line in lines if line.startswith("(Pdb) ")]
    assert commands[-1] == "q"
    command = [str(tmp_path / "runs" / "debug") if c == "runs/debug" else c for c in command]
    commands = [c.replace("runs/debug", str(tmp_path / "runs" / "debug")) for c in commands]
    (tmp_path / "runs" / "debug").mkdir(parents=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    result = subprocess.run([sys.executable, *command], input="\n".join(commands) + "\n", capture_output=True,
                            text=True, cwd=ROOT, env=env, timeout=300)
    actual = [_strip_prompts(line.rstrip()) for line in result.stdout.split("\n")]
    position = 0
    for expected in _checked_lines(lines[1:]):
        found = next((i for i in range(position, len(actual)) if _matches(expected, actual[i])), None)
        assert found is not None, f"the page shows {expected!r}, but pdb printed:\n" + result.stdout[-6000:]
        position = found + 1
    if "draw_graph" in block:
        assert (tmp_path / "runs" / "debug" / "loss_D.png").stat().st_size > 10_000


def test_the_page_says_why_a_path_breakpoint_needs_the_install_setting():
    text = PAGE.read_text(encoding="utf-8")
    assert "not found from sys.path" in text and "package_dir" in text
    setup = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    assert re.search(r"package_dir\s*=\s*\n\s*=\.", setup), "setup.cfg must keep package_dir = =. (see the page)"


def test_the_vscode_configuration_runs_the_example_for_one_iteration():
    text = (ROOT / ".vscode" / "launch.json").read_text(encoding="utf-8")
    config = json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.M))  # VS Code allows // comments
    first = config["configurations"][0]
    assert first["program"] == "${workspaceFolder}/examples/vanilla_gan.py"
    assert first["args"][:2] == ["--steps", "1"] and first["justMyCode"] is True
    skipped = {rule["module"] for rule in first["rules"] if rule["include"] is False}
    assert {"minigan.tensor", "minigan.autograd"} <= skipped
    for rule in skipped:  # each names a module that exists
        assert (ROOT / (rule.replace(".", "/") + ".py")).exists(), rule
    shown = json.loads(_blocks("json")[0])
    assert shown == first, "the page shows a configuration other than the committed one"
