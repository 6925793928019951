"""Fill a booklet with PDFium (Chrome's and Edge's engine), as a person would.

pypdfium2 has no call that sets a field's value, so this drives PDFium's
form-fill environment like a user: it clicks the centre of a widget and types
into it one UTF-16 unit at a time, then saves incrementally as Chrome does.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as raw


def _utf16(buffer_fn) -> str:
    size = buffer_fn(None, 0)
    if size <= 2:
        return ""
    buf = (ctypes.c_ushort * (size // 2))()
    buffer_fn(buf, size)
    return bytes(buf)[: size - 2].decode("utf-16-le")


class PdfiumFiller:
    """One open document with its form environment."""

    def __init__(self, path: Path) -> None:
        self.pdf = pdfium.PdfDocument(str(path))
        self.pdf.init_forms()
        self.env = self.pdf.formenv.raw
        self.pages: dict[int, pdfium.PdfPage] = {}
        self.widgets: dict[tuple[str, str], tuple[int, tuple[float, float]]] = {}
        for index in range(len(self.pdf)):
            page = self._page(index)
            for n in range(raw.FPDFPage_GetAnnotCount(page.raw)):
                annot = raw.FPDFPage_GetAnnot(page.raw, n)
                try:
                    if raw.FPDFAnnot_GetSubtype(annot) != raw.FPDF_ANNOT_WIDGET:
                        continue
                    name = _utf16(
                        lambda b, s: raw.FPDFAnnot_GetFormFieldName(
                            self.env, annot, b, s
                        )
                    )
                    export = _utf16(
                        lambda b, s: raw.FPDFAnnot_GetFormFieldExportValue(
                            self.env, annot, b, s
                        )
                    )
                    rect = raw.FS_RECTF()
                    raw.FPDFAnnot_GetRect(annot, rect)
                    centre = (
                        (rect.left + rect.right) / 2,
                        (rect.top + rect.bottom) / 2,
                    )
                    self.widgets[(name, export)] = (index, centre)
                finally:
                    raw.FPDFPage_CloseAnnot(annot)

    def _page(self, index: int) -> pdfium.PdfPage:
        if index not in self.pages:
            # pypdfium2 runs FORM_OnAfterLoadPage for pages of a document
            # whose forms are initialised.
            self.pages[index] = self.pdf[index]
        return self.pages[index]

    def click(self, name: str, export: str = "") -> None:
        index, (x, y) = self.widgets[(name, export)]
        page = self._page(index).raw
        raw.FORM_OnMouseMove(self.env, page, 0, x, y)
        raw.FORM_OnLButtonDown(self.env, page, 0, x, y)
        raw.FORM_OnLButtonUp(self.env, page, 0, x, y)

    def type_text(self, name: str, text: str) -> None:
        """Click into a text field and type, pressing Enter for a line break."""
        self.click(name)
        index, _ = self.widgets[(name, "")]
        page = self._page(index).raw
        raw.FORM_SelectAllText(self.env, page)
        for char in text:
            if char == "\n":
                raw.FORM_OnKeyDown(self.env, page, 0x0D, 0)
                raw.FORM_OnChar(self.env, page, 0x0D, 0)
                raw.FORM_OnKeyUp(self.env, page, 0x0D, 0)
                continue
            data = char.encode("utf-16-le")
            for i in range(0, len(data), 2):
                raw.FORM_OnChar(
                    self.env, page, int.from_bytes(data[i : i + 2], "little"), 0
                )
        raw.FORM_ForceToKillFocus(self.env)

    def save(self, target: Path, incremental: bool = True) -> None:
        raw.FORM_ForceToKillFocus(self.env)
        flags = raw.FPDF_INCREMENTAL if incremental else raw.FPDF_NO_INCREMENTAL
        self.pdf.save(str(target), flags=flags)

    def close(self) -> None:
        for page in self.pages.values():
            page.close()
        self.pdf.close()


def fill_with_pdfium(source: Path, target: Path, plan) -> None:
    """Click and type the plan into the booklet; save incrementally to target."""
    filler = PdfiumFiller(source)
    try:
        for name, text in plan.field_values().items():
            filler.type_text(name, text)
        for item, moment, level in plan.steps:
            if level is None:
                filler.click(f"clear:{item}:{moment}")
            else:
                filler.click(f"level:{item}:{moment}", str(level))
        filler.save(target, incremental=True)
    finally:
        filler.close()
