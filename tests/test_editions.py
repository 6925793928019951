"""Editions, imposition, navigation, metadata and other languages."""

from __future__ import annotations

import re

import pikepdf
import pymupdf
import pytest

from .conftest import ROOT, run_sssp

ZH = ROOT / "content" / "examples" / "sssp-zh-hant-sample.yaml"


def _build(tmp_path, *args) -> pymupdf.Document:
    out = tmp_path / "out.pdf"
    result = run_sssp("build", *args, "-o", out)
    assert result.returncode == 0, result.stderr
    return pymupdf.open(out)


def test_print_edition_has_circles_and_lines_and_no_fields(tmp_path, framework):
    doc = _build(tmp_path, "--edition", "print")
    with pikepdf.open(doc.name) as pdf:
        assert "/AcroForm" not in pdf.Root
        assert not any(
            a.get("/Subtype") == "/Widget"
            for p in pdf.pages
            for a in p.obj.get("/Annots", [])
        )
    circles = rules = 0
    for page in doc:
        for drawing in page.get_drawings():
            curves = [i for i in drawing["items"] if i[0] == "c"]
            if len(curves) == 4 and 11 < drawing["rect"].width < 15:
                circles += 1
            lines = [i for i in drawing["items"] if i[0] == "l"]
            rules += len(lines)
    ticks = (
        sum(1 for _ in framework.items())
        * len(framework.moments)
        * len(framework.scale)
    )
    assert circles == ticks
    assert rules > 12 * 5 * 4 * 2  # at least two writing lines in every action cell
    assert "Tick one circle" in doc[0].get_text()


def _left_edge(page: pymupdf.Page) -> float:
    return min(
        w[0] for w in page.get_text("words") if 60 < w[1] < page.rect.height - 60
    )


def test_print_edition_mirrors_its_margins_for_binding(tmp_path):
    doc = _build(tmp_path, "--edition", "print")
    odd, even = _left_edge(doc[2]), _left_edge(doc[3])
    assert odd - even == pytest.approx(16, abs=0.5)  # inner 58 pt, outer 42 pt


def _expected_sides(pages: int) -> list[tuple[int | None, int | None]]:
    """Saddle stitching, worked out sheet by sheet from the outside in, with
    a blank outside back cover."""
    total = pages + 4 - pages % 4
    sides = []
    low, high = 1, total
    while low < high:
        sides.append((high, low))
        sides.append((low + 1, high - 1))
        low, high = low + 2, high - 2
    return [tuple(n if n <= pages else None for n in side) for side in sides]


def _printed_number(page: pymupdf.Page, clip: pymupdf.Rect, title: str) -> int | None:
    text = page.get_text(clip=clip)
    found = re.search(r"Page (\d+) of (\d+)", text)
    if found:
        return int(found.group(1))
    if title in " ".join(text.split()):
        return 1  # the cover carries no page number
    assert not text.strip(), f"unexpected text on a side: {text[:80]!r}"
    return None


@pytest.mark.parametrize("paper,sheet", [("a4", (842, 595)), ("letter", (792, 612))])
def test_a5_booklet_sheets_fold_into_page_order(tmp_path, paper, sheet):
    doc = _build(tmp_path, "--imposition", "a5-booklet", "--paper", paper)
    first = doc[0]
    assert (round(first.rect.width), round(first.rect.height)) == sheet
    half = first.rect.width / 2

    total = None
    seen = []
    for page in doc:
        left = _printed_number(
            page, pymupdf.Rect(0, 0, half, page.rect.height), "SENCO/School"
        )
        right = _printed_number(
            page,
            pymupdf.Rect(half, 0, page.rect.width, page.rect.height),
            "SENCO/School",
        )
        seen.append((left, right))
        match = re.search(r"of (\d+)", page.get_text())
        total = int(match.group(1)) if match else total
    assert len(doc) % 2 == 0 and len(seen) == len(_expected_sides(total))
    assert seen == _expected_sides(total)
    assert seen[0] == (None, 1), "the outside back cover is blank"
    with pikepdf.open(doc.name) as pdf:
        assert "/AcroForm" not in pdf.Root


def test_bookmarks_links_and_opening_view(booklet_pdf, booklet_layout, framework):
    doc = pymupdf.open(booklet_pdf)
    toc = doc.get_toc()
    titles = [t[1] for t in toc]
    for area in framework.areas():
        heading = f"{area.number}. {area.title}" if area.number else area.title
        assert heading in titles
        assert f"Action plan: {heading}" in titles
        first, _ = booklet_layout.area_pages[area.id]
        assert next(t[2] for t in toc if t[1] == heading) == first
    for item in framework.items():
        if item.id.startswith("C"):
            assert f"{item.number}. {item.title}" in titles
    assert [t[1] for t in toc if t[0] == 1][:2] == [framework.title, "Contents"]

    links = [link for link in doc[1].get_links() if link["kind"] == pymupdf.LINK_GOTO]
    targets = sorted({link["page"] + 1 for link in links})
    firsts = sorted({booklet_layout.area_pages[a.id][0] for a in framework.areas()})
    assert set(firsts) <= set(targets)

    with pikepdf.open(booklet_pdf) as pdf:
        assert pdf.Root.PageMode == "/UseOutlines"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        action = pdf.Root.OpenAction
        assert action[0].objgen == pdf.pages[0].obj.objgen and action[1] == "/FitH"


def test_metadata_and_dates(tmp_path, booklet_pdf, framework):
    with pikepdf.open(booklet_pdf) as pdf:
        info = pdf.docinfo
        assert str(info.Title) == framework.title
        assert str(info.Subject) == framework.subtitle
        assert "sssp" in str(info.Keywords)
        assert str(pdf.Root.Lang) == "en-GB"
        assert "/CreationDate" not in info
    doc = _build(tmp_path, "--date", "2027-03-01")
    with pikepdf.open(doc.name) as pdf:
        assert str(pdf.docinfo.CreationDate).startswith("D:20270301")


@pytest.mark.parametrize(
    "args",
    [[], ["--edition", "print"], ["--imposition", "a5-booklet"]],
    ids=["fillable", "print", "a5-booklet"],
)
def test_chinese_sample_builds_with_no_english_left(tmp_path, args):
    doc = _build(tmp_path, ZH, *args)
    text = " ".join(page.get_text() for page in doc)
    assert "明白領導與管理的分別，以及兩者背後的核心原則。" in "".join(text.split())
    assert "第 3 頁，共" in text or "第 2 頁，共" in text
    for english in (
        "Contents",
        "Page ",
        "Action plan",
        "Clear",
        "Beginning",
        "Section",
        "Pre (0)",
        "How to fill",
        ": ",
    ):
        assert english not in text, english
    with pikepdf.open(doc.name) as pdf:
        assert str(pdf.Root.Lang) == "zh-Hant"


def test_chinese_lines_break_without_spaces(tmp_path):
    doc = _build(tmp_path, ZH)
    statement = "為教師及支援人員提供支援和意見，協助他們發展與教學及學生整體成果相關的領導技巧。"
    page = next(p for p in doc if statement[:8] in "".join(p.get_text().split()))
    assert statement in "".join(page.get_text().split())
    lines = [line.strip() for line in page.get_text().splitlines()]
    assert not any(statement in line for line in lines), "it should wrap"
    pieces = [
        line for line in lines if len(line) >= 4 and line.lstrip("• ") in statement
    ]
    assert len(pieces) >= 3, pieces  # one statement, several lines
    for x0, y0, x1, y1, *_ in page.get_text("words"):
        assert x1 < page.rect.width - 20


def test_a_font_without_the_content_characters_stops_the_build(tmp_path):
    out = tmp_path / "x.pdf"
    result = run_sssp(
        "build", ZH, "--font", ROOT / "fonts" / "DejaVuSansCondensed.ttf", "-o", out
    )
    stderr = result.stderr.decode()
    assert result.returncode == 1
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr
    assert "no glyph for U+" in stderr and "sssp-zh-hant-sample.yaml" in stderr
    assert "first used in title" in stderr
    assert not out.exists()


def test_a_font_with_one_weight_gets_a_drawn_bold(tmp_path, booklet_pdf):
    """Droid Sans Fallback has no bold: Chinese headings are outlined to look bold."""

    def render_modes(path) -> set[bytes]:
        with pikepdf.open(path) as pdf:
            return {
                mode
                for page in pdf.pages
                for mode in re.findall(rb"\b([0-7]) Tr\b", page.Contents.read_bytes())
            }

    chinese = _build(tmp_path, ZH)
    assert b"2" in render_modes(chinese.name)
    assert b"2" not in render_modes(booklet_pdf)  # DejaVu has a real bold
