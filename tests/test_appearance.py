"""Answers show on the page: rendered by PDFium and MuPDF, measured in pixels."""

from __future__ import annotations

import pikepdf
import pytest

from .conftest import ENGINES
from .engines.plan import FillPlan
from .engines.render import RENDERERS, ink, widget_rects

TICKED = 0.08  # a tick mark covers well over 8% of its box
EMPTY = 0.002  # an empty field has next to no dark pixels
TEXT = 0.005  # a line of 9 pt text in a wide box


def test_every_widget_has_appearances_and_prints(booklet_pdf):
    with pikepdf.open(booklet_pdf) as pdf:
        assert "/NeedAppearances" not in pdf.Root.AcroForm
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                if annot.get("/Subtype") != "/Widget":
                    continue
                normal = annot.AP.N
                is_clear = str(annot.get("/T", "")).startswith("clear:")
                if "/Parent" in annot:  # a radio button: an on and an off drawing
                    assert len(normal.keys()) == 2 and "/Off" in normal
                else:
                    assert isinstance(normal, pikepdf.Stream)
                flags = int(annot.get("/F", 0))
                if str(annot.get("/T", "")) == "booklet":  # the hidden identity field
                    assert flags & 2 and not flags & 4 and int(annot.Ff) & 1
                    continue
                printed = bool(flags & 4)
                assert printed != is_clear, "data fields print, Clear buttons do not"
                assert "/BG" not in annot.get("/MK", {}) or is_clear, "no tinted fields"


def test_text_appearances_are_not_shared(booklet_pdf):
    with pikepdf.open(booklet_pdf) as pdf:
        streams = [
            f.AP.N.objgen for f in pdf.Root.AcroForm.Fields if f.get("/FT") == "/Tx"
        ]
    assert len(streams) == len(set(streams))


@pytest.mark.parametrize("renderer", RENDERERS)
def test_blank_booklet_shows_no_answers(booklet_pdf, renderer):
    rects = widget_rects(booklet_pdf)
    for (name, state), (page, rect) in rects.items():
        if name.startswith(("level:C1:", "level:I5:", "action:A:", "owner")):
            assert ink(booklet_pdf, renderer, page, rect) <= EMPTY, (name, state)


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("engine", list(ENGINES))
def test_engine_copy_shows_its_answers(filled, framework, engine, renderer):
    plan = FillPlan()
    path = filled[engine]
    rects = widget_rects(path)
    for item, moments in plan.expected_ratings(framework).items():
        for moment, level in moments.items():
            touched = any(i == item and m == moment for i, m, _ in plan.steps)
            if not touched:
                continue
            for scale_level in framework.scale:
                page, rect = rects[(f"level:{item}:{moment}", str(scale_level.level))]
                measured = ink(path, renderer, page, rect)
                if scale_level.level == level:
                    assert measured >= TICKED, (
                        item,
                        moment,
                        scale_level.level,
                        measured,
                    )
                else:
                    assert measured <= EMPTY, (
                        item,
                        moment,
                        scale_level.level,
                        measured,
                    )
    for name in plan.field_values():
        page, rect = rects[(name, None)]
        assert ink(path, renderer, page, rect) >= TEXT, (name, engine, renderer)
