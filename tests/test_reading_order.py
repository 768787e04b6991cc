"""docs/README.md starts with "Start here" (the lessons in order), and every theory page names and links its paper."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INDEX = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")

PAPERS = {  # page -> the arXiv numbers it must link
    "minimax_game": ["1406.2661"],
    "generator_loss": ["1406.2661"],
    "bce": ["1406.2661"],
    "optimal_discriminator": ["1406.2661"],
    "conditional_gans": ["1411.1784", "1610.09585"],
    "dcgan": ["1511.06434"],
    "improved_gan": ["1606.03498"],
    "wgan": ["1701.07875", "1704.00028"],
    "cyclegan": ["1703.10593"],
    "failure_modes": ["1406.2661"],
    "training_tips": ["1511.06434", "1606.03498"],
}


def test_the_index_starts_with_start_here_and_lists_every_lesson_in_order():
    headings = re.findall(r"^## (.+)$", INDEX, flags=re.M)
    assert headings[0] == "Start here"
    start = INDEX.split("## Start here", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"\(\.\./notebooks/([0-9][0-9]_[\w]+\.ipynb)\)", start)
    lessons = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert listed == lessons


def test_every_theory_page_names_and_links_its_paper():
    for page, numbers in PAPERS.items():
        head = (ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8")[:1500]
        assert "**Paper" in head, f"{page}.md does not name its paper at the top"
        for number in numbers:
            assert f"(https://arxiv.org/abs/{number})" in head, f"{page}.md does not link arXiv:{number}"
    for number in {n for numbers in PAPERS.values() for n in numbers}:
        assert f"(https://arxiv.org/abs/{number})" in INDEX


def test_the_five_reading_texts_are_named_with_the_pages_that_correct_them():
    reading = INDEX.split("## The reading, and its slips", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in reading.split("\n") if re.match(r"\| 00[0-4],", line)]
    assert [row[2:5] for row in rows] == ["000", "001", "002", "003", "004"]
    for row in rows:
        assert re.search(r"\]\([a-z_]+\.md#", row), f"no correcting page for text {row[2:5]}"
