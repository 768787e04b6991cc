"""The lessons in notebooks/: built from their sources, stored without outputs, and each run top to bottom.

Each notebook is executed with nbclient in a fresh kernel, from the notebooks/
folder, with MINIGAN_QUICK=1 (shorter trainings) and this checkout first on
the kernel's PYTHONPATH. A notebook passes when every cell runs and at least
one picture was shown inline. The kernel gets one BLAS thread (see execute).
"""

import importlib.util
import json
import os
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
TIMEOUT_PER_CELL = 180  # seconds: a whole lesson must finish within 3 minutes on 2 cores

nbformat = pytest.importorskip("nbformat")
_spec = importlib.util.spec_from_file_location("minigan_notebooks_build", NOTEBOOKS / "build.py")
build = importlib.util.module_from_spec(_spec)  # notebooks/build.py: sources -> notebooks
_spec.loader.exec_module(build)


def execute(path, quick=True):
    """Run the notebook at ``path`` in a fresh kernel; return the executed notebook and the seconds it took."""
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    env = {"MINIGAN_QUICK": "1" if quick else "0", "MPLBACKEND": "Agg"}
    # One BLAS thread unless told otherwise: the lessons' matrices are small, and on a shared machine
    # OpenBLAS's threads spin against the other processes. Measured on this 2-core machine at load ~9:
    # lesson 5 (default settings) took 171 s wall / 60 s CPU with OpenBLAS's default threads, 21 s / 6 s with one.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = os.environ.get(name, "1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        client = NotebookClient(nb, timeout=TIMEOUT_PER_CELL, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOKS)}})
        start = time.perf_counter()
        client.execute()
        return nb, time.perf_counter() - start
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_there_are_at_least_eight_lessons_in_reading_order():
    names = [p.name for p in LESSONS]
    assert len(names) >= 8, names
    assert [int(n[:2]) for n in names] == list(range(1, len(names) + 1))


def test_every_notebook_is_its_source_built_and_has_no_outputs():
    assert build.main(["--check"]) == 0, "a notebook differs from notebooks/src: run python notebooks/build.py"
    assert [p.stem for p in LESSONS] == [src.stem for src, _ in build.targets()]
    for path in LESSONS:
        text = path.read_text(encoding="utf-8")
        assert '"output_type"' not in text, f"{path.name} was committed with outputs"
        assert all(cell.get("execution_count") is None for cell in json.loads(text)["cells"]
                   if cell["cell_type"] == "code")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_each_lesson_ends_with_what_to_try_next_and_links_pages_that_exist(path):
    nb = nbformat.read(str(path), as_version=4)
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and "What to try next" in last.source
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    links = re.findall(r"\]\((\.\./docs/[^)#]+|[0-9][0-9]_[^)#]+\.ipynb)", text)
    assert any(link.startswith("../docs/") for link in links), f"{path.name} links no docs page"
    for link in links:
        assert (NOTEBOOKS / link).exists(), f"{path.name} links {link}, which does not exist"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lessons_use_the_public_api_only(path):
    code = "\n".join(c.source for c in nbformat.read(str(path), as_version=4).cells if c.cell_type == "code")
    assert "minigan.backend" not in code and "import backend" not in code


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_top_to_bottom_in_a_fresh_kernel_and_shows_pictures(path, record_property):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb, seconds = execute(path)
    record_property("seconds", round(seconds, 1))
    print(f"{path.name}: {seconds:.1f} s")
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {}) or "image/gif" in o.get("data", {})]
    assert images, f"{path.name} showed no picture"
    assert seconds < 180, f"{path.name} took {seconds:.0f} s with MINIGAN_QUICK=1"
