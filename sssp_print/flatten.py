"""A filled booklet -> a static archive copy: the answers drawn on the pages, no fields.

The answers are drawn from the values that ``sssp read`` finds, never from the
filler's own appearances: some fillers leave text undrawn or draw it with a
font that lacks its characters. Text is wrapped into its box and made smaller
until it fits, so nothing is cut off.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pikepdf
from reportlab.pdfgen.canvas import Canvas

from . import fieldnames
from .fonts import REGULAR, FontSet
from .identity import IDENTITY_KEY
from .layout import wrap
from .pdf import retag_font_subsets, save_bytes
from .reader import read_booklet

log = logging.getLogger(__name__)

PAD = 2.0
LARGEST = 10.0
SMALLEST = 2.0


def flatten_booklet(source: Path, fonts: FontSet | None = None) -> bytes:
    """Return the flattened PDF of a filled booklet.

    Raises:
        ReadError: the source cannot be read as a booklet.
    """
    fonts = fonts or FontSet()
    answers = read_booklet(source)
    texts = _texts_by_field(answers)
    with pikepdf.open(source) as pdf:
        boxes = _widget_boxes(pdf)
        ticks = _tick_boxes(pdf, answers)
        for index, page in enumerate(pdf.pages):
            marks = [(rect, texts[name]) for name, (i, rect) in boxes.items() if i == index and texts.get(name)]
            page_ticks = [rect for i, rect in ticks if i == index]
            if marks or page_ticks:
                width, height = float(page.mediabox[2]), float(page.mediabox[3])
                overlay = _draw_overlay(width, height, marks, page_ticks, fonts)
                with pikepdf.open(io.BytesIO(overlay)) as drawn:
                    page.add_overlay(drawn.pages[0])
            _drop_widgets(page)
        if "/AcroForm" in pdf.Root:
            del pdf.Root["/AcroForm"]
        retag_font_subsets(pdf)
        data = save_bytes(pdf)
    log.info("flattened %s: %d text answers, %d ticks", source, sum(1 for t in texts.values() if t), len(ticks))
    return data


def _texts_by_field(answers: dict[str, Any]) -> dict[str, str]:
    texts = {fieldnames.owner_field(): answers.get("owner") or ""}
    for table, rows in answers.get("actions", {}).items():
        for row in rows:
            for column, value in row.items():
                if column != "row" and value:
                    texts[fieldnames.action_field(table, row["row"], column)] = value
    return texts


def _widget_boxes(pdf: pikepdf.Pdf) -> dict[str, tuple[int, list[float]]]:
    """Field name -> (page index, rectangle) of each text widget."""
    boxes = {}
    for index, page in enumerate(pdf.pages):
        for annot in page.obj.get("/Annots", []):
            if not isinstance(annot, pikepdf.Dictionary) or annot.get("/Subtype") != "/Widget":
                continue
            if annot.get("/FT") == "/Tx" and "/T" in annot:
                boxes[str(annot.T)] = (index, [float(v) for v in annot.Rect])
    return boxes


def _tick_boxes(pdf: pikepdf.Pdf, answers: dict[str, Any]) -> list[tuple[int, list[float]]]:
    """(page index, rectangle) of the box of every chosen level, from the booklet's map."""
    stream = pdf.Root.get(IDENTITY_KEY)
    layout = json.loads(stream.read_bytes()).get("buttons", {}) if stream is not None else {}
    found = []
    for item, moments in answers.get("ratings", {}).items():
        for moment, level in moments.items():
            if level is None:
                continue
            for button in layout.get(fieldnames.level_field(item, moment), []):
                if fieldnames.parse_level_state(str(button["state"])) == level:
                    found.append((button["page"], button["rect"]))
    return found


def _fit(text: str, width: float, height: float, fonts: FontSet) -> tuple[float, list[str]]:
    """The largest size (down to SMALLEST) at which the text fits the box."""
    size = LARGEST
    while True:
        lines = wrap(fonts, text, REGULAR, size, width)
        if len(lines) * size * 1.2 <= height or size <= SMALLEST:
            return size, lines
        size = max(SMALLEST, size - 0.5 if size > 6 else size - 0.25)


def _draw_overlay(width, height, marks, ticks, fonts: FontSet) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=1)
    canvas.setFillGray(0)
    for (x0, y0, x1, y1), text in marks:
        size, lines = _fit(text, x1 - x0 - 2 * PAD, y1 - y0 - 2 * PAD, fonts)
        leading = size * 1.2
        block = len(lines) * leading
        # One line sits in the middle of its box; several start at the top.
        top = y1 - PAD if len(lines) > 1 else (y0 + y1 + block) / 2
        y = top - size
        for line in lines:
            x = x0 + PAD
            for font_name, part in fonts.runs(line, REGULAR):
                canvas.setFont(font_name, size)
                canvas.drawString(x, y, part)
                x += canvas.stringWidth(part, font_name, size)
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
    kept = pikepdf.Array([a for a in annots if not (isinstance(a, pikepdf.Dictionary) and a.get("/Subtype") == "/Widget")])
    if len(kept):
        page.obj.Annots = kept
    else:
        del page.obj["/Annots"]

