"""Chosen pages rendered to PNG, for people to look at and for the tests to
compare with approved images.

    python -m tests.visual preview [DIR]   write the PNGs (make preview)
    python -m tests.visual approve         make the current renders the approved ones

Approve only after looking at the new images and finding them right.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pymupdf
import pypdfium2 as pdfium
from PIL import Image, ImageChops

from sssp_print.content import load_framework
from sssp_print.impose import impose_booklet
from sssp_print.layout import PAPER_SIZES, layout_booklet
from sssp_print.pdf import render_booklet

APPROVED = Path(__file__).with_name("approved")
DPI = 60
# A pixel counts as different when its grey level moves by more than this;
# the share of such pixels may not pass SHARE. Anti-aliasing differences
# between runs stay far below both.
LEVEL = 48
SHARE = 0.0002


def _render(data: bytes, index: int) -> Image.Image:
    doc = pdfium.PdfDocument(data)
    doc.init_forms()
    page = doc[index]
    image = (
        page.render(scale=DPI / 72, may_draw_forms=True, grayscale=True)
        .to_pil()
        .convert("L")
    )
    page.close()
    doc.close()
    return image


def _first_page(data: bytes, wanted) -> int:
    doc = pymupdf.open(stream=data, filetype="pdf")
    return next(page.number for page in doc if wanted(page))


def _carries_rubric_over(page: pymupdf.Page) -> bool:
    """The page opens with a rubric carried over from the page before."""
    first_lines = page.get_text().split("\n")[:3]
    return page.number > 1 and any(line.endswith(", continued") for line in first_lines)


def chosen_pages() -> dict[str, Image.Image]:
    """The pages the visual checks cover, by name."""
    framework = load_framework()
    fillable = render_booklet(layout_booklet(framework))
    small_print = render_booklet(layout_booklet(framework, paper="a5", edition="print"))
    a4_w, a4_h = PAPER_SIZES["a4"]
    imposed = impose_booklet(small_print, sheet_size=(a4_h, a4_w))
    return {
        "cover": _render(fillable, 0),
        "contents": _render(fillable, 1),
        "action-table": _render(
            fillable,
            _first_page(fillable, lambda p: p.get_text().startswith("Action plan")),
        ),
        "rubric-continued": _render(
            small_print, _first_page(small_print, _carries_rubric_over)
        ),
        "imposed-sheet": _render(imposed, 4),  # the front of sheet 3: pages 44 and 5
    }


def compare(actual: Image.Image, approved: Image.Image) -> str | None:
    """None when the images match within the tolerance, else what differs."""
    if actual.size != approved.size:
        return f"size {actual.size} differs from the approved {approved.size}"
    difference = ImageChops.difference(actual, approved)
    histogram = difference.histogram()
    changed = sum(histogram[LEVEL + 1 :])
    share = changed / (actual.width * actual.height)
    if share <= SHARE:
        return None
    mask = difference.point(lambda v: 255 if v > LEVEL else 0)
    x0, y0, _, _ = mask.getbbox()
    return f"{share:.2%} of pixels differ (allowed {SHARE:.2%}); the first near x={x0}, y={y0}"


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "preview"
    if command == "preview":
        target = Path(argv[1]) if len(argv) > 1 else Path("build/preview")
    elif command == "approve":
        target = APPROVED
    else:
        print(__doc__, file=sys.stderr)
        return 2
    target.mkdir(parents=True, exist_ok=True)
    for name, image in chosen_pages().items():
        image.save(target / f"{name}.png", optimize=True)
        print(f"{target / name}.png", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
