"""`sssp flatten`: a static archive copy that shows every answer and has no fields."""

from __future__ import annotations

import pikepdf
import pymupdf
import pytest

from .conftest import run_sssp
from .engines.mupdf import fill_with_mupdf
from .engines.plan import LONG_TEXT, FillPlan
from .engines.render import RENDERERS, ink, widget_rects
from .test_appearance import EMPTY, TICKED


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def flattened(filled, tmp_path_factory):
    folder = tmp_path_factory.mktemp("flat")
    copies = {}
    for engine in ("mupdf", "pdfium", "pdfjs"):
        out = folder / f"{engine}-archive.pdf"
        result = run_sssp("flatten", filled[engine], "-o", out)
        assert result.returncode == 0, result.stderr
        copies[engine] = out
    return copies


@pytest.mark.parametrize("engine", ["mupdf", "pdfium", "pdfjs"])
def test_archive_has_no_fields_and_reads_as_such(flattened, engine):
    path = flattened[engine]
    with pikepdf.open(path) as pdf:
        assert "/AcroForm" not in pdf.Root
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                assert annot.get("/Subtype") != "/Widget"
        assert pdf.check_pdf_syntax() == []
    result = run_sssp("read", path)
    assert result.returncode == 1
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "no form fields" in lines[0]


@pytest.mark.parametrize("engine", ["mupdf", "pdfium", "pdfjs"])
def test_archive_pages_carry_every_text_answer(flattened, engine):
    doc = pymupdf.open(flattened[engine])
    text = _squash(" ".join(page.get_text() for page in doc))
    for name, value in FillPlan().field_values().items():
        for line in value.split("\n"):
            assert _squash(line) in text, (engine, name, line)


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("engine", ["mupdf", "pdfium", "pdfjs"])
def test_archive_pages_show_every_tick(filled, flattened, framework, engine, renderer):
    rects = widget_rects(filled[engine])  # the boxes sit where the fields were
    path = flattened[engine]
    for item, moments in FillPlan().expected_ratings(framework).items():
        for moment, level in moments.items():
            for scale_level in framework.scale:
                page, rect = rects[(f"level:{item}:{moment}", str(scale_level.level))]
                measured = ink(path, renderer, page, rect)
                if scale_level.level == level:
                    assert measured >= TICKED, (item, moment, measured)
                else:
                    assert measured <= EMPTY, (
                        item,
                        moment,
                        scale_level.level,
                        measured,
                    )


def test_flatten_refuses_to_overwrite_and_bad_input(tmp_path, booklet_pdf):
    copy = tmp_path / "filled.pdf"
    copy.write_bytes(booklet_pdf.read_bytes())
    before = copy.read_bytes()
    result = run_sssp("flatten", copy, "-o", copy)
    assert result.returncode == 1 and copy.read_bytes() == before
    not_pdf = tmp_path / "letter.pdf"
    not_pdf.write_text("Dear parents,")
    result = run_sssp("flatten", not_pdf, "-o", tmp_path / "out.pdf")
    assert result.returncode == 1
    assert b"Traceback" not in result.stderr and b"not a PDF" in result.stderr
    assert not (tmp_path / "out.pdf").exists()


def _words_in(page: pymupdf.Page, rect: list[float]) -> list[tuple[str, float]]:
    """(text, font size) of the spans drawn inside a widget's rectangle."""
    height = page.rect.height
    x0, y0, x1, y1 = rect
    clip = pymupdf.Rect(x0, height - y1, x1, height - y0)
    spans = []
    for block in page.get_text("dict", clip=clip)["blocks"]:
        for line in block.get("lines", []):
            spans.extend(
                (span["text"], span["size"])
                for span in line["spans"]
                if span["text"].strip()
            )
    return spans


def test_long_answers_continue_on_pages_at_the_end(tmp_path, booklet_pdf):
    essay = " ".join(
        f"Sentence {n} of a very long reflection on the term." for n in range(1, 121)
    )
    plan = FillPlan(
        cells={
            ("A", 1, "notes"): essay,
            ("B", 2, "action"): "Short.",
            ("G", 5, "notes"): LONG_TEXT,
        }
    )
    filled_copy, archive = tmp_path / "long.pdf", tmp_path / "long-archive.pdf"
    fill_with_mupdf(booklet_pdf, filled_copy, plan)
    result = run_sssp("flatten", filled_copy, "-o", archive)
    assert result.returncode == 0, result.stderr
    assert essay.encode() not in result.stderr and b"Sentence" not in result.stderr
    assert b"2 long answer(s) continued on pages added at the end" in result.stderr

    booklet_pages = len(pymupdf.open(booklet_pdf))
    doc = pymupdf.open(archive)
    added = list(doc)[booklet_pages:]
    assert len(added) >= 2, "the essay needs more than one added page"
    bodies = []
    for number, page in enumerate(added, start=booklet_pages + 1):
        *body, footer = page.get_text().strip().splitlines()
        assert footer == str(number)
        bodies.extend(body)
    added_text = _squash(" ".join(bodies))
    assert _squash(essay) in added_text and _squash(LONG_TEXT) in added_text
    assert added_text.index(_squash("Action plan A, row 1: Notes")) < added_text.index(
        _squash("Action plan G, row 5: Notes")
    )

    rects = widget_rects(filled_copy)
    for name, starts_on in (
        ("action:A:1:notes", booklet_pages + 1),
        ("action:G:5:notes", None),
    ):
        page_index, rect = rects[(name, None)]
        spans = _words_in(doc[page_index], rect)
        assert spans and min(size for _, size in spans) >= 6, (
            "no type smaller than 6 pt in a box"
        )
        shown = " ".join(text for text, _ in spans)
        assert "→" in shown
        if starts_on is not None:
            assert shown.rstrip().endswith(f"→ {starts_on}")
    page_index, rect = rects[("action:B:2:action", None)]
    assert "→" not in " ".join(text for text, _ in _words_in(doc[page_index], rect))
    # A short answer in a multi-line cell starts at the top, as readers draw it.
    (block,) = [
        b
        for b in doc[page_index].get_text(
            "dict",
            clip=pymupdf.Rect(
                rect[0],
                doc[page_index].rect.height - rect[3],
                rect[2],
                doc[page_index].rect.height - rect[1],
            ),
        )["blocks"]
    ]
    assert block["bbox"][1] - (doc[page_index].rect.height - rect[3]) < 6
    toc = doc.get_toc()
    assert [1, "Action plan A, row 1: Notes", booklet_pages + 1] in toc
    assert [1, "Action plan G, row 5: Notes", booklet_pages + 2] in toc or [
        1,
        "Action plan G, row 5: Notes",
        booklet_pages + 1,
    ] in toc


def test_flatten_says_when_the_source_needs_a_look(tmp_path, filled):
    cut = tmp_path / "cut.pdf"
    data = filled["mupdf"].read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.9)])
    result = run_sssp("flatten", cut, "-o", tmp_path / "archive.pdf")
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.decode().strip().splitlines()
    assert "warning(s): run `sssp read` on it to see them" in line


def test_archive_of_a_copy_without_its_field_map_shows_every_tick(
    tmp_path, filled, framework
):
    stripped, archive = tmp_path / "stripped.pdf", tmp_path / "archive.pdf"
    with pikepdf.open(filled["pdfium"]) as pdf:
        del pdf.Root["/SsspPrintBooklet"]
        pdf.save(stripped)
    result = run_sssp("flatten", stripped, "-o", archive)
    assert result.returncode == 0, result.stderr
    rects = widget_rects(filled["pdfium"])
    for item, moments in FillPlan().expected_ratings(framework).items():
        for moment, level in moments.items():
            if level is not None:
                page, rect = rects[(f"level:{item}:{moment}", str(level))]
                assert ink(archive, "mupdf", page, rect) >= TICKED, (item, moment)


def test_a_page_too_damaged_to_draw_on_gives_one_line(tmp_path, filled):
    damaged = tmp_path / "damaged.pdf"
    with pikepdf.open(filled["mupdf"]) as pdf:
        page = pdf.pages[2]  # holds ticks, so the archive draws on it
        page.Contents.write(
            b"\x78\x9c garbage that does not inflate", filter=pikepdf.Name.FlateDecode
        )
        pdf.save(damaged)
    assert run_sssp("read", damaged).returncode == 0, "the answers themselves are fine"
    result = run_sssp("flatten", damaged, "-o", tmp_path / "archive.pdf")
    assert result.returncode == 1
    (line,) = result.stderr.decode().strip().splitlines()
    assert "too damaged to draw on" in line and "Traceback" not in line
    assert not (tmp_path / "archive.pdf").exists()


def test_damaged_bookmarks_do_not_stop_an_archive(tmp_path, booklet_pdf):
    essay = "A long reflection. " * 400
    filled_copy, broken, archive = (
        tmp_path / "f.pdf",
        tmp_path / "b.pdf",
        tmp_path / "a.pdf",
    )
    fill_with_mupdf(
        booklet_pdf, filled_copy, FillPlan(cells={("A", 1, "notes"): essay})
    )
    with pikepdf.open(filled_copy) as pdf:
        pdf.Root.Outlines.First = pikepdf.String("not a bookmark")
        pdf.save(broken)
    result = run_sssp("flatten", broken, "-o", archive)
    assert result.returncode == 0, result.stderr
    doc = pymupdf.open(archive)
    assert len(doc) > len(pymupdf.open(booklet_pdf))
    assert (
        " ".join(p.get_text() for p in doc)
        .replace("\n", " ")
        .count("A long reflection.")
        >= 400
    )
