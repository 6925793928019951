"""Half-size booklet pages -> sheets for saddle stitching (two pages a side).

Printed on both sides (flip on the short edge), folded in the middle and
stapled, the sheets make the booklet in page order. Blank pages pad the
count to a multiple of four, with at least one at the end: the outside back
cover is handled most and is left blank, never a page to write on.
"""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Array, Dictionary, Name

from .pdf import save_bytes


def saddle_stitch_order(page_count: int) -> list[tuple[int | None, int | None]]:
    """(left, right) 1-based page numbers for each side, sheet by sheet.

    None is a blank page. Sides alternate: front of sheet 1, back of sheet 1,
    front of sheet 2, and so on.
    """
    total = (page_count // 4 + 1) * 4
    sides = []
    for sheet in range(total // 4):
        outer_low, outer_high = 2 * sheet + 1, total - 2 * sheet
        sides.append((outer_high, outer_low))  # front: last | first
        sides.append((outer_low + 1, outer_high - 1))  # back: second | last but one
    return [
        tuple(number if number <= page_count else None for number in side)  # type: ignore[misc]
        for side in sides
    ]


def impose_booklet(
    data: bytes,
    sheet_size: tuple[float, float],
    bookmarks: list[tuple[str, int, int]] = (),
) -> bytes:
    """Lay half-size pages two by two on landscape sheets of ``sheet_size``.

    Each page sits in the middle of its half of the sheet (an A5 page is a
    hair narrower than half an A4 sheet). ``bookmarks`` (title, level, 0-based
    page) become the outline, each pointing at the side that carries its page.
    """
    sheet_w, sheet_h = sheet_size
    with pikepdf.open(io.BytesIO(data)) as source, pikepdf.new() as sheets:
        first = source.pages[0].mediabox
        page_w, page_h = (
            float(first[2]) - float(first[0]),
            float(first[3]) - float(first[1]),
        )
        forms = [sheets.copy_foreign(page.as_form_xobject()) for page in source.pages]
        side_of: dict[int, int] = {}
        for side, (left, right) in enumerate(saddle_stitch_order(len(source.pages))):
            sheet = sheets.add_blank_page(page_size=(sheet_w, sheet_h))
            # Resources and drawing written out by hand, with fixed names, so
            # that the same booklet always gives the same bytes.
            xobjects = Dictionary()
            content = []
            for slot, number in enumerate((left, right)):
                if number is None:
                    continue
                side_of[number - 1] = side
                name = f"/Page{number}"
                xobjects[name] = forms[number - 1]
                x = slot * sheet_w / 2 + (sheet_w / 2 - page_w) / 2
                y = (sheet_h - page_h) / 2
                content.append(f"q 1 0 0 1 {x:.3f} {y:.3f} cm {name} Do Q")
            sheet.obj.Resources = Dictionary(XObject=xobjects)
            sheet.obj.Contents = sheets.make_stream("\n".join(content).encode("ascii"))

        for key, value in source.docinfo.items():
            sheets.docinfo[key] = value
        for key in ("/Lang",):
            if key in source.Root:
                sheets.Root[key] = source.Root[key]
        _add_outline(sheets, bookmarks, side_of)
        sheets.Root.PageMode = Name.UseOutlines
        sheets.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        sheets.Root.OpenAction = Array([sheets.pages[0].obj, Name.FitH, sheet_h])
        return save_bytes(sheets)


def _add_outline(pdf: pikepdf.Pdf, bookmarks, side_of: dict[int, int]) -> None:
    with pdf.open_outline() as outline:
        parents: list[list] = [outline.root]
        for title, level, page in bookmarks:
            item = pikepdf.OutlineItem(title, side_of.get(page, 0))
            del parents[level + 1 :]
            parents[min(level, len(parents) - 1)].append(item)
            parents.append(item.children)
