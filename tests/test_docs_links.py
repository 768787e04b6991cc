"""Every link in the docs (and the README) goes somewhere real.

A docs page ties each formula to the code that computes it and to the test
that checks it, with links of one fixed form::

    [minigan/gan/losses.py: d_loss_minimax](../minigan/gan/losses.py)
    [tests/test_losses.py: test_d_loss_minimax_value_and_gradient](../tests/test_losses.py)

The text names the file (from the repository root) and a symbol in it: a
function, a class, a method (``Adam._update``) or a module-level name. Line
anchors (``#L40``) are refused: line numbers rot, names do not. This file
checks that

* every relative link (and image) on every page resolves to an existing file,
  and every ``#anchor`` into a Markdown page to one of its headings;
* every link into ``minigan/`` or ``tests/`` names a symbol, the named file is
  the linked file, and the symbol is *defined* there (parsed with ``ast``:
  renaming a function breaks the link, and this test says where); a link to a
  whole file (an exercise stub) must say so, its text being the file's path or name;
  on the topic pages (``docs/*.md``) every such link names a symbol;
* a symbol in ``tests/`` is a test (``test_...``);
* the docs index reaches every page, and the README links to the index.

Links to the web are not followed (the tests run offline).
"""

import ast
import functools
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
GENERATED = {"results.md"}  # written by a script after the docs, linked from the index once it exists
MUST_NAME_A_SYMBOL = ("minigan/", "tests/")

FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1", re.S | re.M)
DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$[^$\n]+?\$")
INLINE_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
LINK = re.compile(r"!?\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_SRC = re.compile(r"<(?:img|a)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", re.I)
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.M)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
CODE_TEXT = re.compile(r"^(?P<path>[\w./-]+\.py):\s*(?P<symbol>[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)$")


# ------------------------------------------------------------------ reading a page


def prose(markdown):
    """The page without fenced code, math and code spans that hold brackets: there, brackets are not links.

    A code span inside a link's text (``[`minigan/ops/nn.py: Linear`](...)``) stays.
    """
    text = FENCE.sub("", markdown)
    text = DISPLAY_MATH.sub("", text)
    text = INLINE_MATH.sub("", text)
    return INLINE_CODE.sub(lambda m: "" if "](" in m.group(2) else m.group(0), text)


def links(markdown):
    """(text, target) for every Markdown link, image, HTML src/href and reference definition on a page."""
    text = prose(markdown)
    found = [(m.group(1), m.group(2)) for m in LINK.finditer(text)]
    found += [("", m.group(1)) for m in HTML_SRC.finditer(text)]
    found += [("", m.group(1)) for m in REFERENCE_DEF.finditer(text)]
    return found


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    heading = INLINE_CODE.sub(lambda m: m.group(2), heading)
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    heading = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return heading.replace(" ", "-")


def anchors(markdown):
    """Every heading anchor of a page, with GitHub's -1, -2 suffixes for repeats."""
    seen, result = {}, set()
    for m in HEADING.finditer(FENCE.sub("", markdown)):
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        result.add(base if n == 0 else f"{base}-{n}")
    return result


# ------------------------------------------------------------------ reading a Python file


def defined_names(source):
    """{dotted name: ast node} for the functions, classes, methods and assigned names a module defines."""
    names = {}

    def visit(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names[prefix + node.name] = node
                if isinstance(node, ast.ClassDef):
                    visit(node.body, prefix + node.name + ".")
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            names[prefix + name.id] = node

    visit(ast.parse(source).body, "")
    return names


def names_in(path):
    return _defined_names_cached(path.read_text(encoding="utf-8"))


_defined_names_cached = functools.lru_cache(maxsize=None)(defined_names)


# ------------------------------------------------------------------ the checker


def check_page(page, repo=REPO):
    """Every problem with the links of one page, as sentences (an empty list: all good)."""
    problems = []
    markdown = page.read_text(encoding="utf-8")
    where = page.relative_to(repo).as_posix()
    for text, target in links(markdown):
        if SCHEME.match(target) or target.startswith("//"):
            continue  # the web, mail: not checked offline
        problems += [f"{where}: link [{text}]({target}): {p}" for p in check_link(page, text, target, markdown, repo)]
    return problems


def check_link(page, text, target, markdown, repo):
    path_part, _, fragment = target.partition("#")
    if not path_part:
        return [] if fragment in anchors(markdown) else [f"no heading with anchor #{fragment} on this page"]
    if path_part.startswith("/"):
        return ["use a path relative to the page, not one starting with /"]
    resolved = (page.parent / path_part).resolve()
    try:
        relative = resolved.relative_to(repo).as_posix()
    except ValueError:
        return ["points outside the repository"]
    if not resolved.exists():
        return [f"{relative} does not exist"]
    if resolved.suffix == ".md" and fragment:
        if fragment not in anchors(resolved.read_text(encoding="utf-8")):
            return [f"{relative} has no heading with anchor #{fragment}"]
    if resolved.suffix == ".py":
        return check_code_link(text, fragment, resolved, relative)
    return []


def check_code_link(text, fragment, resolved, relative):
    if fragment:
        return [f"no #{fragment} on a code link: line numbers rot; name the symbol in the text instead"]
    label = text.strip().strip("`").strip()
    match = CODE_TEXT.match(label)
    if match is None:
        if relative.startswith(MUST_NAME_A_SYMBOL) and label not in (relative, resolved.name):
            return [f"a link into {relative} must read [{relative}: symbol_name](...), or name the whole file"]
        return []  # a whole file, named as such (an exercise stub, an example script)
    if match["path"] != relative:
        return [f"the text names {match['path']} but the link goes to {relative}"]
    symbol = match["symbol"]
    if symbol not in names_in(resolved):
        return [f"{relative} defines no {symbol} (renamed or removed?)"]
    if relative.startswith("tests/"):
        node = names_in(resolved)[symbol]
        if not symbol.split(".")[-1].startswith("test_") or not isinstance(node, ast.FunctionDef):
            return [f"{symbol} in {relative} is not a test function (test_...)"]
    return []


def pages(repo=REPO):
    return sorted((repo / "docs").rglob("*.md")) + [repo / "README.md"]


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_link_on_the_page_resolves(page):
    problems = check_page(page)
    assert not problems, "\n".join(problems)


def test_each_topic_page_links_code_and_tests_by_symbol():
    topic_pages = [p for p in DOCS.glob("*.md") if p.name != "README.md" and p.name not in GENERATED]
    assert len(topic_pages) >= 10, "docs/ should hold a page per topic"
    for page in topic_pages:
        code = [(text, t) for text, t in links(page.read_text(encoding="utf-8")) if t.endswith(".py")]
        assert any("minigan/" in t for _, t in code), f"{page.name} links no code"
        assert any("tests/" in t for _, t in code), f"{page.name} links no test"
        for text, target in code:  # on these pages a formula's code is always named down to the symbol
            if target.startswith(("../minigan/", "../tests/")):
                assert CODE_TEXT.match(text.strip("` ")), f"{page.name}: [{text}]({target}) names no symbol"


def test_the_index_reaches_every_page():
    index = DOCS / "README.md"
    linked = {(DOCS / t.partition("#")[0]).resolve() for _, t in links(index.read_text(encoding="utf-8"))}
    for page in DOCS.glob("*.md"):
        if page.name not in {"README.md"} | GENERATED:
            assert page.resolve() in linked, f"docs/README.md does not link {page.name}"


def test_the_readme_links_the_docs_index():
    targets = {t.partition("#")[0].rstrip("/") for _, t in links((REPO / "README.md").read_text(encoding="utf-8"))}
    assert targets & {"docs/README.md", "docs"}, (
        "README.md should link the docs index, e.g. with the line: "
        "[Derivations and theory: docs/README.md](docs/README.md)"
    )


MATH_FENCE = re.compile(r"^ {0,3}```math\n.*?^ {0,3}```", re.S | re.M)
ESCAPED_PUNCTUATION = re.compile(r"\\[!-/:-@\[-`{-~]")


def math_problems(markdown):
    r"""Math that GitHub's Markdown would mangle before MathJax sees it.

    In ``$...$`` and ``$$...$$`` a backslash before punctuation (``\,``, ``\{``,
    ``\|``, ``\\``) is a Markdown escape, so the backslash vanishes; ``*`` can
    turn into emphasis; ``$ x$`` with a space inside is not math at all; a ``|``
    breaks a table row. Multi-line and aligned math goes in a ```` ```math ```` block,
    which Markdown leaves alone.
    """
    text = MATH_FENCE.sub("", markdown)
    text = FENCE.sub("", text)
    text = INLINE_CODE.sub("", text)
    problems = []
    spans = [m.group(0) for m in DISPLAY_MATH.finditer(text)]
    inline_text = DISPLAY_MATH.sub("", text)
    for m in INLINE_MATH.finditer(inline_text):
        spans.append(m.group(0))
        if inline_text[m.end() : m.end() + 1].isalnum() or inline_text[max(m.start() - 1, 0) : m.start()].isalnum():
            problems.append(f"{m.group(0)!r}: a letter or digit right against a '$' can keep GitHub from seeing math")
    for span in spans:
        if ESCAPED_PUNCTUATION.search(span):
            problems.append(f"{span!r}: a backslash before punctuation is a Markdown escape; use a word command")
        if "*" in span:
            problems.append(f"{span!r}: '*' may become emphasis; write \\ast")
        if "begin{align" in span:
            problems.append(f"{span!r}: put aligned equations in a ```math block")
        if not span.startswith("$$") and (span[1].isspace() or span[-2].isspace()):
            problems.append(f"{span!r}: GitHub needs $x$, not $ x $")
    for line in inline_text.splitlines():
        if line.lstrip().startswith("|"):
            for m in INLINE_MATH.finditer(line):
                if "|" in m.group(0):
                    problems.append(f"{m.group(0)!r}: a '|' in math breaks the table row")
    return problems


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_math_is_written_so_github_renders_it(page):
    problems = math_problems(page.read_text(encoding="utf-8"))
    assert not problems, f"{page.name}:\n" + "\n".join(problems)


def test_the_math_check_catches_what_github_mangles():
    assert math_problems("$a\\,b$ and $D^*$ and $ x$\n\n| $\\lvert x \\rvert$ | $|x|$ |\n") != []
    assert len(math_problems("$a\\,b$ and $D^*$ and $ x$ and $x$1")) == 4
    assert math_problems("$D^\\ast = a_{r,i}$ and\n\n$$\\frac{1}{N}\\sum_i x$$\n\n```math\na \\\\ b\n```\n") == []


# ------------------------------------------------------------------ the checker catches what it should


@pytest.fixture
def tiny_repo(tmp_path):
    """A repository with one module, one test file and one page that links both correctly."""
    (tmp_path / "minigan").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "minigan" / "losses.py").write_text(
        "EPS = 1e-12\n\ndef d_loss(a):\n    return a\n\nclass Adam:\n    def step(self):\n        pass\n"
    )
    (tmp_path / "tests" / "test_losses.py").write_text("def helper():\n    pass\n\ndef test_d_loss():\n    pass\n")
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## The BCE, derived\n")
    return tmp_path


def write_page(repo, body):
    page = repo / "docs" / "page.md"
    page.write_text("# Page\n\n" + body + "\n")
    return page


def test_the_checker_accepts_good_links(tiny_repo):
    page = write_page(tiny_repo, "\n".join([
        "[minigan/losses.py: d_loss](../minigan/losses.py) and [`minigan/losses.py: Adam.step`](../minigan/losses.py)",
        "[minigan/losses.py: EPS](../minigan/losses.py), [tests/test_losses.py: test_d_loss](../tests/test_losses.py)",
        "[the BCE](other.md#the-bce-derived), [top](#page), [web](https://example.org/x.py)",
        "whole files: [minigan/losses.py](../minigan/losses.py), [`test_losses.py`](../tests/test_losses.py)",
        "$[a](b)$ is math and `[a](b)` is code: neither is a link.",
        "```python\n[x](missing.py)\n```",
    ]))
    assert check_page(page, repo=tiny_repo) == []


@pytest.mark.parametrize(
    "body, complaint",
    [
        ("[minigan/losses.py: d_loss_renamed](../minigan/losses.py)", "defines no d_loss_renamed"),
        ("[minigan/losses.py: Adam.update](../minigan/losses.py)", "defines no Adam.update"),
        ("[tests/test_losses.py: test_gone](../tests/test_losses.py)", "defines no test_gone"),
        ("[tests/test_losses.py: helper](../tests/test_losses.py)", "not a test function"),
        ("[the losses](../minigan/losses.py)", "must read [minigan/losses.py: symbol_name]"),
        ("[minigan/losses.py: d_loss](../minigan/losses.py#L3)", "line numbers rot"),
        ("[minigan/other.py: d_loss](../minigan/losses.py)", "the text names minigan/other.py"),
        ("[gone](../minigan/gone.py)", "minigan/gone.py does not exist"),
        ("![plot](img/missing.png)", "docs/img/missing.png does not exist"),
        ("[x](other.md#no-such-heading)", "no heading with anchor #no-such-heading"),
        ("[x](#nowhere)", "no heading with anchor #nowhere on this page"),
        ("[x](/docs/other.md)", "relative to the page"),
        ("[x](../../outside.md)", "outside the repository"),
    ],
)
def test_the_checker_rejects_broken_links(tiny_repo, body, complaint):
    problems = check_page(write_page(tiny_repo, body), repo=tiny_repo)
    assert len(problems) == 1 and complaint in problems[0], problems


def test_renaming_a_function_breaks_its_link(tiny_repo):
    page = write_page(tiny_repo, "[minigan/losses.py: d_loss](../minigan/losses.py)")
    assert check_page(page, repo=tiny_repo) == []
    module = tiny_repo / "minigan" / "losses.py"
    module.write_text(module.read_text().replace("def d_loss", "def discriminator_loss"))
    assert "defines no d_loss" in " ".join(check_page(page, repo=tiny_repo))


def test_github_heading_anchors():
    assert slug("Why D(x) = 1/2 at equilibrium") == "why-dx--12-at-equilibrium"
    assert slug("The `g_loss`, saturating vs non-saturating") == "the-g_loss-saturating-vs-non-saturating"
    assert anchors("# A\n## A\n```\n# not a heading\n```\n") == {"a", "a-1"}
