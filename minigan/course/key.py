"""The answer key: for each assignment's fixed cases, the expected outputs and the outputs of known mistakes.

Built by the teacher's tree (the reference engine and the mistake catalogue
:mod:`minigan.course.mistakes`, which never goes into a student edition),
and written into each student edition as ``minigan/course/key.json``. It
holds numbers only: values of the targets on fixed inputs, never the code
that computes them. The pen-and-paper answers are kept as salted hashes
of their 3-digit roundings, so the key does not give them away either.
"""

import json
import warnings
from pathlib import Path

from minigan import backend
from minigan.course import checks
from minigan.course.checking import fingerprint

KEY_FILE = Path(__file__).resolve().parent / "key.json"


class KeyMissing(Exception):
    pass


def encode(value):
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return {"__array__": backend.to_numpy(backend.asarray(value, dtype="float64")).tolist()}


def decode(value):
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return backend.asarray(value["__array__"], dtype="float64")
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def build():
    """The key, from this tree's engine (the reference) and its mistake catalogue: a JSON-ready dict."""
    try:
        from minigan.course import mistakes
    except ImportError:
        raise KeyMissing(
            "this tree has neither minigan/course/key.json nor the mistake catalogue; a student edition ships "
            "the key: write a fresh one with `python -m minigan.course student-edition DIR`."
        ) from None
    key = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # some wrong formulas overflow: their values are inf
        for name, spec in checks.SPECS.items():
            key[name] = {"cases": _cases(name, spec, mistakes)}
    return key


def _cases(name, spec, mistakes):
    """The key's cases of one assignment: inputs, expected outputs, and the outputs of known mistakes."""
    cases = []
    for case in spec.cases():
        if name == "pen_and_paper":
            q = case["question"]
            (answer,) = spec.probe(case).values()
            cases.append({"inputs": case, "answer": fingerprint(q, answer),
                          "mistakes": [[fingerprint(q, v), h] for h, v in mistakes.pen_and_paper(q)]})
            continue
        expected = spec.probe(case)
        wrong = mistakes.catalogue(name, case, expected)
        cases.append({"inputs": encode(case), "expected": encode(expected),
                      "mistakes": {out: [[h, encode(v)] for h, v in pairs] for out, pairs in wrong.items()}})
    return cases


def load():
    """The key of the tree being graded: its key.json if it has one (a student edition), else built from it."""
    if KEY_FILE.is_file():
        return json.loads(KEY_FILE.read_text())
    return json.loads(json.dumps(build()))  # the same shape as read from a file
