"""Half-size booklet pages -> sheets for saddle stitching (two pages a side).

Printed on both sides (flip on the short edge), folded in the middle and
stapled, the sheets make the booklet in page order. The page count is padded
with blank pages to a multiple of four.
"""

from __future__ import annotations

import io

import pikepdf

from .pdf import save_bytes


def saddle_stitch_order(page_count: int) -> list[tuple[int | None, int | None]]:
    """(left, right) 1-based page numbers for each side, sheet by sheet.

    None is a blank page. Sides alternate: front of sheet 1, back of sheet 1,
    front of sheet 2, and so on.
    """
    total = -(-page_count // 4) * 4
    sides = []
    for sheet in range(total // 4):
        outer_low, outer_high = 2 * sheet + 1, total - 2 * sheet
        sides.append((outer_high, outer_low))          # front: last | first
        sides.append((outer_low + 1, outer_high - 1))  # back: second | last but one
    return [
        tuple(number if number <= page_count else None for number in side)  # type: ignore[misc]
        for side in sides
    ]


def impose_booklet(data: bytes, sheet_size: tuple[float, float]) -> bytes:
    """Lay half-size pages two by two on landscape sheets of ``sheet_size``.

    Each page sits in the middle of its half of the sheet (an A5 page is a
    hair narrower than half an A4 sheet).
    """
    sheet_w, sheet_h = sheet_size
    with pikepdf.open(io.BytesIO(data)) as source, pikepdf.new() as sheets:
        first = source.pages[0].mediabox
        page_w, page_h = float(first[2]) - float(first[0]), float(first[3]) - float(first[1])
        forms = [sheets.copy_foreign(page.as_form_xobject()) for page in source.pages]
        for left, right in saddle_stitch_order(len(source.pages)):
            sheet = sheets.add_blank_page(page_size=(sheet_w, sheet_h))
            for slot, number in enumerate((left, right)):
                if number is None:
                    continue
                x = slot * sheet_w / 2 + (sheet_w / 2 - page_w) / 2
                y = (sheet_h - page_h) / 2
                sheet.add_overlay(forms[number - 1], pikepdf.Rectangle(x, y, x + page_w, y + page_h))
        info = source.docinfo
        for key in ("/Title", "/Author", "/Subject", "/Keywords", "/Creator"):
            if key in info:
                sheets.docinfo[key] = info[key]
        if "/Lang" in source.Root:
            sheets.Root.Lang = source.Root.Lang
        return save_bytes(sheets)
