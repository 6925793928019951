"""Fill a booklet with MuPDF (PyMuPDF), the engine of MuPDF-based viewers."""

from __future__ import annotations

from pathlib import Path

import pymupdf

from .plan import FillPlan


def _press_clear(doc: pymupdf.Document, button) -> None:
    """Run the Clear button's ResetForm action the way MuPDF's viewer does."""
    mupdf = pymupdf.mupdf
    pdf = pymupdf._as_pdf_document(doc)
    action = mupdf.pdf_dict_get(
        mupdf.pdf_load_object(pdf, button.xref), mupdf.pdf_new_name("A")
    )
    fields = mupdf.pdf_dict_get(action, mupdf.pdf_new_name("Fields"))
    flags = mupdf.pdf_to_int(mupdf.pdf_dict_get(action, mupdf.pdf_new_name("Flags")))
    mupdf.pdf_reset_form(pdf, fields, flags & 1)


def fill_with_mupdf(
    source: Path, target: Path, plan: FillPlan, incremental: bool = False
) -> None:
    doc = pymupdf.open(source)
    # A widget lives only as long as its page object: hold on to the pages.
    pages = [doc[i] for i in range(len(doc))]
    widgets: dict[str, list] = {}
    for page in pages:
        for widget in page.widgets():
            widgets.setdefault(widget.field_name, []).append(widget)

    for name, value in plan.field_values().items():
        for widget in widgets[name]:
            widget.field_value = value
            widget.update()
    for item, moment, level in plan.steps:
        if level is None:
            _press_clear(doc, widgets[f"clear:{item}:{moment}"][0])
            continue
        for widget in widgets[f"level:{item}:{moment}"]:
            # MuPDF turns a radio button on for any true value.
            if widget.on_state() == str(level):
                widget.field_value = True
                widget.update()

    if incremental:
        if Path(source) != Path(target):
            raise ValueError("an incremental save writes back to its source")
        doc.saveIncr()
    else:
        doc.save(target, garbage=3, deflate=True)
    del widgets, pages
    doc.close()
