"""A filled booklet -> a static archive copy: the answers drawn on the pages, no fields.

The answers are drawn from the values that ``sssp read`` finds, never from the
filler's own appearances: some fillers leave text undrawn or draw it with a
font that lacks its characters. Text is wrapped into its box and made smaller
until it fits. An answer that would need type too small to read shows its
beginning in the box, with an arrow and a page number, and is printed in full
on pages added at the end, so nothing is cut off.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from reportlab.pdfgen.canvas import Canvas

from . import fieldnames
from .errors import ReadError
from .fonts import BOLD, REGULAR, FontSet
from .identity import IDENTITY_KEY
from .layout import wrap
from .pdf import save_bytes, tidy_font_subsets
from .reader import normal_states, pdf_int, pdf_rect, read_booklet

log = logging.getLogger(__name__)

PAD = 2.0
LARGEST = 10.0
READABLE = 6.0  # the smallest size drawn in a box; longer answers continue at the end
LEADING = 1.2
# Pages added for long answers: margins and type of the booklet's body.
END_MARGINS = (58.0, 42.0, 60.0, 54.0)  # left, right, top, bottom
END_SIZE = 10.0


@dataclass(frozen=True)
class Flattened:
    data: bytes
    warnings: int  # what `sssp read` would warn about in the source
    continued: int  # answers printed in full on added pages


def flatten_booklet(source: Path, fonts: FontSet | None = None) -> Flattened:
    """Return the flattened PDF of a filled booklet.

    Raises:
        ReadError: the source cannot be read as a booklet.
    """
    fonts = fonts or FontSet()
    answers = read_booklet(source)
    try:
        return _flatten(source, answers, fonts)
    except pikepdf.PikepdfError as exc:
        # The answers were readable, but a page itself is damaged.
        detail = str(exc).replace(str(source), "").strip(" :").splitlines()[0]
        raise ReadError(
            "damaged",
            source,
            f"the pages are too damaged to draw on ({detail}); "
            "`sssp read` still gives the answers",
        ) from None


def _flatten(source: Path, answers: dict[str, Any], fonts: FontSet) -> Flattened:
    texts = _texts_by_field(answers)
    with pikepdf.open(source) as pdf:
        boxes = _widget_boxes(pdf)
        ticks = _tick_boxes(pdf, answers)
        page_w, page_h = _page_size(pdf.pages[0])
        fits = {
            name: _fit(texts[name], box.rect, fonts)
            for name, box in boxes.items()
            if texts.get(name)
        }
        long_answers = [
            (boxes[name].label, texts[name], name)
            for name in _reading_order(boxes)
            if name in fits and not fits[name][2]
        ]
        end_pages, starts = _end_pages(
            page_w, page_h, len(pdf.pages) + 1, long_answers, fonts
        )
        continued = {name: len(pdf.pages) + 1 + starts[name] for name in starts}
        for index, page in enumerate(pdf.pages):
            marks = [
                (boxes[name], fits[name], continued.get(name))
                for name in fits
                if boxes[name].page == index
            ]
            page_ticks = [rect for i, rect in ticks if i == index]
            if marks or page_ticks:
                width, height = _page_size(page)
                overlay = _draw_overlay(width, height, marks, page_ticks, fonts)
                with pikepdf.open(io.BytesIO(overlay)) as drawn:
                    page.add_overlay(drawn.pages[0])
            _drop_widgets(page)
        if end_pages is not None:
            first_added = len(pdf.pages)
            with pikepdf.open(io.BytesIO(end_pages)) as extra:
                pdf.pages.extend(extra.pages)
            try:
                with pdf.open_outline() as outline:
                    for label, _text, name in long_answers:
                        outline.root.append(
                            pikepdf.OutlineItem(label, first_added + starts[name])
                        )
            except (ValueError, pikepdf.OutlineStructureError):
                log.warning(
                    "%s: its bookmarks are damaged; the added pages get none", source
                )
        if "/AcroForm" in pdf.Root:
            del pdf.Root["/AcroForm"]
        tidy_font_subsets(pdf)
        data = save_bytes(pdf)
    log.info(
        "flattened %s: %d text answers (%d continued at the end), %d ticks",
        source,
        len(fits),
        len(starts),
        len(ticks),
    )
    return Flattened(data, len(answers["warnings"]), len(starts))


def _texts_by_field(answers: dict[str, Any]) -> dict[str, str]:
    texts = {fieldnames.owner_field(): answers.get("owner") or ""}
    for table, rows in answers.get("actions", {}).items():
        for row in rows:
            for column, value in row.items():
                if column != "row" and value:
                    texts[fieldnames.action_field(table, row["row"], column)] = value
    return texts


@dataclass(frozen=True)
class _Box:
    page: int
    rect: list[float]
    label: str  # the field's tooltip, which says what it is in the framework's words
    multiline: bool


def _widget_boxes(pdf: pikepdf.Pdf) -> dict[str, _Box]:
    """Field name -> where each text widget sits, and its tooltip."""
    boxes = {}
    for index, page in enumerate(pdf.pages):
        for annot in _annotations(page):
            if (
                not isinstance(annot, pikepdf.Dictionary)
                or annot.get("/Subtype") != "/Widget"
            ):
                continue
            rect = pdf_rect(annot.get("/Rect"))
            if annot.get("/FT") == "/Tx" and "/T" in annot and rect is not None:
                name = str(annot.T)
                multiline = bool(pdf_int(annot.get("/Ff")) & (1 << 12))
                boxes[name] = _Box(index, rect, str(annot.get("/TU", name)), multiline)
    return boxes


def _page_size(page: pikepdf.Page) -> tuple[float, float]:
    box = pdf_rect(page.obj.get("/MediaBox")) or [0.0, 0.0, 595.28, 841.89]
    return box[2], box[3]


def _reading_order(boxes: dict[str, _Box]) -> list[str]:
    return sorted(
        boxes,
        key=lambda name: (boxes[name].page, -boxes[name].rect[3], boxes[name].rect[0]),
    )


def _tick_boxes(
    pdf: pikepdf.Pdf, answers: dict[str, Any]
) -> list[tuple[int, list[float]]]:
    """(page index, rectangle) of the box of every chosen level: from the
    booklet's map, or from the buttons themselves when an app dropped the map."""
    layout = _map_buttons(pdf)
    if not layout:
        layout = _buttons_on_pages(pdf)
    found = []
    for item, moments in answers.get("ratings", {}).items():
        for moment, level in moments.items():
            if level is None:
                continue
            for button in layout.get(fieldnames.level_field(item, moment), []):
                if fieldnames.parse_level_state(str(button["state"])) == level:
                    found.append((button["page"], button["rect"]))
    return found


def _map_buttons(pdf: pikepdf.Pdf) -> dict[str, list[dict[str, Any]]]:
    """The tick boxes as the booklet's map records them; {} when it is gone
    or damaged (the reader then worked from the fields too)."""
    stream = pdf.Root.get(IDENTITY_KEY)
    try:
        buttons = (
            json.loads(stream.read_bytes()).get("buttons", {})
            if isinstance(stream, pikepdf.Stream)
            else {}
        )
    except (ValueError, AttributeError, pikepdf.PdfError):
        return {}
    return buttons if isinstance(buttons, dict) else {}


def _annotations(page: pikepdf.Page) -> list[pikepdf.Dictionary]:
    annots = page.obj.get("/Annots")
    if not isinstance(annots, pikepdf.Array):
        return []
    return [a for a in annots if isinstance(a, pikepdf.Dictionary)]


def _buttons_on_pages(pdf: pikepdf.Pdf) -> dict[str, list[dict[str, Any]]]:
    """Radio group name -> its buttons' on-states, pages and rectangles."""
    buttons: dict[str, list[dict[str, Any]]] = {}
    for index, page in enumerate(pdf.pages):
        for annot in _annotations(page):
            parent = annot.get("/Parent")
            rect = pdf_rect(annot.get("/Rect"))
            if annot.get("/Subtype") != "/Widget" or rect is None:
                continue
            if not isinstance(parent, pikepdf.Dictionary):
                continue
            for state in normal_states(annot):
                if state != "/Off":
                    buttons.setdefault(str(parent.get("/T")), []).append(
                        {"state": state[1:], "page": index, "rect": rect}
                    )
    return buttons


def _fit(text: str, rect: list[float], fonts: FontSet) -> tuple[float, list[str], bool]:
    """(size, lines, whole): the largest size, down to READABLE, at which the
    text fits its box; ``whole`` is False when even READABLE is too large, and
    the lines are then the ones that fit."""
    x0, y0, x1, y1 = rect
    width, height = x1 - x0 - 2 * PAD, y1 - y0 - 2 * PAD
    size = LARGEST
    while True:
        lines = wrap(fonts, text, REGULAR, size, width)
        if len(lines) * size * LEADING <= height:
            return size, lines, True
        if size <= READABLE:
            room = max(1, int(height // (size * LEADING)))
            return size, lines[:room], False
        size = max(READABLE, size - 0.5)


def _with_arrow(line: str, page: int, width: float, size: float, fonts: FontSet) -> str:
    """The last line in a box, shortened to make room for "… → page"."""
    marker = f" … → {page}"
    while line and fonts.width(line + marker, REGULAR, size) > width:
        line = line.rsplit(" ", 1)[0] if " " in line.strip() else line[:-1]
    return line.rstrip() + marker


def _end_pages(
    width: float,
    height: float,
    first_number: int,
    answers: list[tuple[str, str, str]],
    fonts: FontSet,
):
    """Pages with long answers in full, each under its field's tooltip.

    Returns the PDF (None when no answer needs it) and, for each field, the
    0-based number of the added page its answer starts on.
    """
    if not answers:
        return None, {}
    left, right, top, bottom = END_MARGINS
    line_width = width - left - right
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=1)
    canvas.setFillGray(0)
    page, y, starts = 0, height - top, {}

    def next_page() -> None:
        nonlocal page, y
        # The booklet's footer words belong to its framework; the number alone
        # is enough to find the page an arrow points to.
        canvas.setFont(fonts.runs("0", REGULAR)[0][0], 8)
        canvas.drawCentredString(
            width / 2, min(30.0, height * 0.035), str(first_number + page)
        )
        canvas.showPage()
        page, y = page + 1, height - top

    def line(text: str, style: str) -> None:
        nonlocal y
        if y - END_SIZE * LEADING < bottom:
            next_page()
        y -= END_SIZE * LEADING
        _draw_runs(canvas, fonts, text, style, END_SIZE, left, y)

    for label, text, name in answers:
        if y - 3 * END_SIZE * LEADING < bottom:  # a heading never ends a page
            next_page()
        starts[name] = page
        for heading in wrap(fonts, label, BOLD, END_SIZE, line_width):
            line(heading, BOLD)
        for body in wrap(fonts, text, REGULAR, END_SIZE, line_width):
            line(body, REGULAR)
        y -= END_SIZE
    next_page()
    canvas.save()
    return buffer.getvalue(), starts


def _draw_runs(
    canvas: Canvas,
    fonts: FontSet,
    text: str,
    style: str,
    size: float,
    x: float,
    y: float,
) -> None:
    for font_name, part in fonts.runs(text, style):
        canvas.setFont(font_name, size)
        canvas.drawString(x, y, part)
        x += canvas.stringWidth(part, font_name, size)


def _draw_overlay(width, height, marks, ticks, fonts: FontSet) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=1)
    canvas.setFillGray(0)
    for box, (size, lines, _whole), continued_on in marks:
        x0, y0, x1, y1 = box.rect
        if continued_on is not None:
            lines = [
                *lines[:-1],
                _with_arrow(lines[-1], continued_on, x1 - x0 - 2 * PAD, size, fonts),
            ]
        leading = size * LEADING
        block = len(lines) * leading
        # Text of a multi-line field starts at the top, as readers draw it;
        # a one-line field's sits in the middle.
        top = y1 - PAD if box.multiline else (y0 + y1 + block) / 2
        y = top - size
        for line in lines:
            _draw_runs(canvas, fonts, line, REGULAR, size, x0 + PAD, y)
            y -= leading
    canvas.setLineWidth(1.5)
    canvas.setLineCap(1)
    canvas.setLineJoin(1)
    for x0, y0, x1, y1 in ticks:
        w, h = x1 - x0, y1 - y0
        path = canvas.beginPath()
        path.moveTo(x0 + 0.2 * w, y0 + 0.51 * h)
        path.lineTo(x0 + 0.41 * w, y0 + 0.24 * h)
        path.lineTo(x0 + 0.82 * w, y0 + 0.79 * h)
        canvas.drawPath(path, stroke=1, fill=0)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _drop_widgets(page: pikepdf.Page) -> None:
    annots = page.obj.get("/Annots")
    if not isinstance(annots, pikepdf.Array):
        return
    kept = pikepdf.Array(
        [
            a
            for a in annots
            if not (
                isinstance(a, pikepdf.Dictionary) and a.get("/Subtype") == "/Widget"
            )
        ]
    )
    if len(kept):
        page.obj.Annots = kept
    else:
        del page.obj["/Annots"]
