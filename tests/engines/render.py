"""Render pages with PDFium and MuPDF and measure ink inside field rectangles.

PDFium draws widgets only through its form environment (as Chrome does), so
forms are initialised before rendering. Both renderers draw each widget from
its appearance stream, unless a saved copy asks for new appearances.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pikepdf
import pymupdf
import pypdfium2 as pdfium

SCALE = 2.0
RENDERERS = ("pdfium", "mupdf")


def widget_rects(path: Path) -> dict[tuple[str, str | None], tuple[int, list[float]]]:
    """(field name, on-state or None) -> (page index, [x0, y0, x1, y1])."""
    found = {}
    with pikepdf.open(path) as pdf:
        for index, page in enumerate(pdf.pages):
            for annot in page.obj.get("/Annots", []):
                if annot.get("/Subtype") != "/Widget":
                    continue
                parent = annot.get("/Parent")
                name = str(annot.get("/T") if parent is None else parent.get("/T"))
                state = None
                if parent is not None:
                    state = next(str(k)[1:] for k in annot.AP.N.keys() if k != "/Off")
                found[(name, state)] = (index, [float(v) for v in annot.Rect])
    return found


@lru_cache(maxsize=64)
def _page_image(path: str, renderer: str, index: int):
    if renderer == "pdfium":
        doc = pdfium.PdfDocument(path)
        doc.init_forms()
        page = doc[index]
        image = page.render(scale=SCALE, may_draw_forms=True).to_pil().convert("L")
        height = page.get_height()
        page.close()
        doc.close()
        return image, height
    doc = pymupdf.open(path)
    page = doc[index]
    pix = page.get_pixmap(
        matrix=pymupdf.Matrix(SCALE, SCALE), colorspace=pymupdf.csGRAY
    )
    from PIL import Image

    image = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    return image, page.rect.height


def render_page(path: Path, renderer: str, index: int):
    """The page as a greyscale PIL image at SCALE."""
    return _page_image(str(path), renderer, index)[0]


def ink(
    path: Path, renderer: str, index: int, rect: list[float], inset: float = 2.0
) -> float:
    """Share of dark pixels inside a rectangle (PDF points, inset from its edges
    so that rules drawn around a field do not count)."""
    image, height = _page_image(str(path), renderer, index)
    x0, y0, x1, y1 = rect
    box = (
        int((x0 + inset) * SCALE),
        int((height - y1 + inset) * SCALE),
        int((x1 - inset) * SCALE),
        int((height - y0 - inset) * SCALE),
    )
    crop = image.crop(box)
    histogram = crop.histogram()
    dark = sum(histogram[:128])
    return dark / max(1, crop.width * crop.height)
