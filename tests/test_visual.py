"""Rendered pages match the approved images (see tests/visual.py to approve)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from .visual import APPROVED, chosen_pages, compare

OUTPUT = Path(__file__).with_name("output")


@pytest.fixture(scope="module")
def rendered():
    return chosen_pages()


@pytest.mark.parametrize(
    "name", ["cover", "contents", "action-table", "rubric-continued", "imposed-sheet"]
)
def test_page_matches_the_approved_image(rendered, name):
    approved = Image.open(APPROVED / f"{name}.png").convert("L")
    problem = compare(rendered[name], approved)
    if problem:
        OUTPUT.mkdir(exist_ok=True)
        rendered[name].save(OUTPUT / f"{name}-actual.png")
        approved.save(OUTPUT / f"{name}-approved.png")
    assert problem is None, f"{name}: {problem}; see tests/output/"


def test_comparison_notices_a_change(rendered):
    """The tolerance lets anti-aliasing through, not a missing line of text."""
    approved = Image.open(APPROVED / "contents.png").convert("L")

    # White out the last line of the contents (the "Student Voice" entry):
    # the band of rows with ink just above the footer.
    def inked(y: int) -> bool:
        return approved.crop((0, y, approved.width, y + 1)).getextrema()[0] < 100

    y = approved.height - 60
    while not inked(y):
        y -= 1
    bottom = y
    while inked(y):
        y -= 1
    damaged = approved.copy()
    damaged.paste(255, (0, y, approved.width, bottom + 1))
    assert compare(damaged, approved) is not None
    assert compare(approved, approved) is None
