"""Write the lesson notebooks from their sources, without outputs.

Each lesson is kept as a plain Python file in ``notebooks/src/`` (the "percent"
format that jupytext and VS Code read: a line ``# %%`` starts a code cell,
``# %% [markdown]`` a text cell whose lines start with ``# ``). Edit the
source, then run::

    python notebooks/build.py          # rewrites notebooks/NN_*.ipynb
    python notebooks/build.py --check  # exits 1 if a notebook differs from its source

The notebooks are stored without outputs; tests/test_notebooks.py runs each
one in a fresh kernel.
"""

import argparse
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"


def cells_of(text):
    """The (kind, source) cells of a percent-format file: kind is "code" or "markdown"."""
    cells, kind, lines = [], None, []

    def close():
        if kind is not None:
            body = "\n".join(lines).strip("\n")
            if kind == "markdown":
                body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.split("\n"))
            cells.append((kind, body))

    for line in text.split("\n"):
        if line.startswith("# %%"):
            close()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        elif kind is not None:
            lines.append(line)
    close()
    return cells


def notebook_of(text):
    """A notebook (nbformat v4, no outputs) with the cells of a percent-format source."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, (kind, body) in enumerate(cells_of(text)):
        cell = nbformat.v4.new_code_cell(body) if kind == "code" else nbformat.v4.new_markdown_cell(body)
        cell["id"] = f"cell-{i:02d}"  # stable ids: rebuilding an unchanged source changes nothing
        nb.cells.append(cell)
    return nb


def targets():
    """(source, notebook) paths, one pair per lesson, in reading order."""
    return [(src, HERE / (src.stem + ".ipynb")) for src in sorted(SOURCES.glob("[0-9][0-9]_*.py"))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if a notebook is stale")
    args = parser.parse_args(argv)
    stale = []
    for src, path in targets():
        text = nbformat.writes(notebook_of(src.read_text(encoding="utf-8"))) + "\n"
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path.name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("stale notebooks (run python notebooks/build.py): " + ", ".join(stale))
        return 1
    print(("up to date: " if args.check else "written: ") + (", ".join(stale) if stale else "nothing to do"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
