"""The built booklet, as independent engines (pikepdf/qpdf, MuPDF) see it."""

from __future__ import annotations

import json
import re
from collections import Counter

import pikepdf
import pymupdf
import pytest

from sssp_print.identity import IDENTITY_KEY

from .conftest import ROOT, run_sssp
from .engines.render import RENDERERS, ink, widget_rects


def _fields(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    return list(pdf.Root.AcroForm.Fields)


def test_booklet_has_the_fields_the_framework_asks_for(booklet_pdf, framework):
    with pikepdf.open(booklet_pdf) as pdf:
        fields = _fields(pdf)
        names = [str(f.T) for f in fields]
        assert len(names) == len(set(names)), "field names are not unique"
        assert all("." not in name for name in names), "a period would split the name"

        text_fields = [f for f in fields if f.FT == "/Tx"]
        radios = [
            f for f in fields if f.FT == "/Btn" and int(f.get("/Ff", 0)) & (1 << 15)
        ]
        pushes = [
            f for f in fields if f.FT == "/Btn" and int(f.get("/Ff", 0)) & (1 << 16)
        ]

        owners = [f for f in text_fields if str(f.T) == "owner"]
        assert len(owners) == 1

        assert len(radios) == 23 * 2
        for group in radios:
            states = sorted(
                str(k) for kid in group.Kids for k in kid.AP.N.keys() if k != "/Off"
            )
            assert states == ["/0", "/1", "/2", "/3", "/4"], str(group.T)
            assert not int(group.Ff) & (1 << 14), "NoToggleToOff would forbid clearing"
            assert str(group.TU)
            assert all(str(kid.TU) for kid in group.Kids)

        action_cells = [f for f in text_fields if str(f.T).startswith("action:")]
        tables = Counter(str(f.T).split(":")[1] for f in action_cells)
        assert sorted(tables) == sorted([*"ABCDEFG", "I1", "I2", "I3", "I4", "I5"])
        assert set(tables.values()) == {5 * 4}
        for cell in action_cells:
            assert "/MaxLen" not in cell
            column = str(cell.T).split(":")[3]
            multiline = bool(int(cell.get("/Ff", 0)) & (1 << 12))
            assert multiline == (column in ("action", "notes")), str(cell.T)

        # Every clear control resets exactly its own row's radio group.
        assert len(pushes) == len(radios)
        for push in pushes:
            action = push.A
            assert action.S == "/ResetForm"
            group = str(push.T).replace("clear:", "level:", 1)
            # Named both by text (PDFium resets only those) and by reference.
            by_name, by_reference = list(action.Fields)
            assert str(by_name) == group
            assert str(by_reference.T) == group


def test_tooltips_say_what_a_box_means(booklet_pdf):
    with pikepdf.open(booklet_pdf) as pdf:
        group = next(f for f in _fields(pdf) if str(f.T) == "level:C2:begin")
        tips = [str(kid.TU) for kid in group.Kids]
    assert "Competence 2, Beginning of the Course: level 3, Confident" in tips
    assert str(group.TU) == "Competence 2, Beginning of the Course"


def test_tab_order_follows_reading_order(booklet_pdf, framework):
    """Widgets are listed page by page, top to bottom, in framework order."""
    with pikepdf.open(booklet_pdf) as pdf:
        order = []
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                if annot.get("/Subtype") != "/Widget":
                    continue
                name = annot.get("/T") or annot.Parent.get("/T")
                if not order or order[-1] != str(name):
                    order.append(str(name))
    levels = [n for n in order if n.startswith("level:")]
    expected = [
        f"level:{i.id}:{m.id}" for i in framework.items() for m in framework.moments
    ]
    assert levels == expected
    assert order[0] == "owner"
    first_table = [n for n in order if n.startswith("action:A:")]
    assert first_table[:4] == [
        "action:A:1:action",
        "action:A:1:by_whom",
        "action:A:1:by_when",
        "action:A:1:notes",
    ]


def test_booklet_carries_its_identity_and_field_map(booklet_pdf, framework):
    with pikepdf.open(booklet_pdf) as pdf:
        identity = json.loads(pdf.Root[IDENTITY_KEY].read_bytes())
        names = {str(f.T) for f in _fields(pdf)}
    assert identity["framework"] == {
        "id": "sssp",
        "version": framework.version,
        "content_hash": framework.content_hash,
        "title": framework.title,
    }
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", identity["framework"]["content_hash"])
    assert identity["booklet_id"] == ""
    assert set(identity["fields"]) == names - {"booklet"}
    assert identity["fields"]["level:C7:end"] == {
        "role": "level",
        "item": "C7",
        "moment": "end",
    }


def test_booklet_keeps_its_identity_a_second_time_in_a_hidden_field(
    tmp_path, booklet_layout
):
    from sssp_print.pdf import render_booklet

    path = tmp_path / "ids.pdf"
    path.write_bytes(
        render_booklet(booklet_layout, booklet_id="B-0007", participant_id="P-42")
    )
    with pikepdf.open(path) as pdf:
        identity = json.loads(pdf.Root[IDENTITY_KEY].read_bytes())
        label = next(
            f for f in pdf.Root.AcroForm.Fields if str(f.get("/T")) == "booklet"
        )
        assert label.V == label.DV, "a reader's Clear Form puts the default back"
        assert label in list(pdf.pages[0].Annots)
    stored = json.loads(str(label.V))
    assert stored["booklet_id"] == "B-0007" and stored["participant_id"] == "P-42"
    assert stored["framework"] == {
        k: identity["framework"][k] for k in ("id", "version", "content_hash")
    }


def test_booklet_is_valid_and_has_no_scripts(booklet_pdf):
    with pikepdf.open(booklet_pdf) as pdf:
        assert pdf.check_pdf_syntax() == []
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary):
                assert obj.get("/S") not in (
                    "/JavaScript",
                    "/Launch",
                    "/URI",
                    "/SubmitForm",
                )
                assert "/JS" not in obj and "/AA" not in obj


def _normalise(text: str) -> str:
    return " ".join(text.replace("•", " ").replace("–", " ").split())


def test_every_statement_is_printed(booklet_pdf, framework):
    """Each statement's words stand in one cell, or run on into the same
    column of the next page when a long rubric breaks."""
    doc = pymupdf.open(booklet_pdf)
    blocks = []  # (page, x0 of the cell, text of the cell)
    for page in doc:
        cells = [
            item[1]
            for drawing in page.get_drawings()
            for item in drawing["items"]
            if item[0] == "re"
        ]
        grouped: dict[tuple, list] = {}
        for block in page.get_text("dict")["blocks"]:
            for line in block.get("lines", []):
                box = pymupdf.Rect(line["bbox"])
                centre = pymupdf.Point((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
                around = [c for c in cells if centre in c]
                if around:
                    cell = min(around, key=lambda c: c.width * c.height)
                    key = (round(cell.x0), round(cell.y0))
                else:
                    key = (-1, -1)  # headings and other text outside tables
                text = " ".join(span["text"] for span in line["spans"])
                grouped.setdefault(key, []).append((box.y0, box.x0, text))
        for (x0, _), lines in grouped.items():
            text = " ".join(t for _, _, t in sorted(lines))
            # A line broken after "/" or a hyphen joins up again with no space.
            text = re.sub(r"(?<=\w)([/-]) ", r"\1", text)
            blocks.append((page.number, x0, _normalise(text)))

    def printed(text: str) -> bool:
        wanted = _normalise(text)
        if any(wanted in b for _, _, b in blocks):
            return True
        return any(
            wanted in f"{a} {b}"
            for pa, xa, a in blocks
            for pb, xb, b in blocks
            if pb == pa + 1 and abs(xa - xb) <= 3
        )

    missing = []
    count = 0
    for item in framework.items():
        assert printed(item.title), item.title
        for statements in item.levels.values():
            for statement in statements:
                for piece in (statement.text, *statement.items, statement.closing):
                    if piece:
                        count += 1
                        if not printed(piece):
                            missing.append((item.id, piece))
    assert count > 250
    assert missing == []


def test_contents_page_ranges_match_the_pages(booklet_pdf, booklet_layout, framework):
    doc = pymupdf.open(booklet_pdf)
    contents = _normalise(doc[1].get_text())
    for area in framework.areas():
        first, last = booklet_layout.area_pages[area.id]
        heading = f"{area.number}. {area.title}" if area.number else area.title
        where = f"page {first}" if first == last else f"pages {first}–{last}"
        assert _normalise(f"{heading} {where}") in contents
        assert _normalise(heading) in _normalise(doc[first - 1].get_text())
        next_page = _normalise(doc[last].get_text()) if last < len(doc) else ""
        assert f"Action plan: {_normalise(heading)}" in _normalise(
            " ".join(doc[p].get_text() for p in range(first - 1, last))
        )
        assert f"Action plan: {_normalise(heading)}" not in next_page
    assert f"Page 3 of {len(doc)}" in doc[2].get_text()


def test_long_rubric_repeats_its_header_on_the_next_page(tmp_path):
    source = (ROOT / "content" / "examples" / "minimal.yaml").read_text(
        encoding="utf-8"
    )
    long_level = "\n".join(
        f"                - Statement number {n} that goes on for a while to fill the column."
        for n in range(1, 90)
    )
    source = source.replace("                - Can purl a whole row.", long_level)
    framework_file = tmp_path / "long.yaml"
    framework_file.write_text(source, encoding="utf-8")
    out = tmp_path / "long.pdf"
    result = run_sssp("build", framework_file, "-o", out)
    assert result.returncode == 0, result.stderr

    doc = pymupdf.open(out)
    pages_with_statements = [
        p.number for p in doc if "Statement number" in p.get_text()
    ]
    assert len(pages_with_statements) >= 2
    for number in pages_with_statements:
        assert "Getting there (1)" in doc[number].get_text(), "header row not repeated"
    text = _normalise(" ".join(doc[n].get_text() for n in pages_with_statements))
    for n in range(1, 90):
        assert f"Statement number {n} that goes on" in text
    # Nothing is drawn outside the page's margins.
    for page in doc:
        for x0, y0, x1, y1, *_ in page.get_text("words"):
            assert 30 < x0 and x1 < page.rect.width - 30
            assert 20 < y0 and y1 < page.rect.height - 20


def test_rebuilds_are_identical_and_letter_paper_works(tmp_path):
    a, b, c = tmp_path / "a.pdf", tmp_path / "b.pdf", tmp_path / "c.pdf"
    assert run_sssp("build", "-o", a).returncode == 0
    assert run_sssp("build", "-o", b).returncode == 0
    assert a.read_bytes() == b.read_bytes()
    assert run_sssp("build", "--paper", "letter", "-o", c).returncode == 0
    page = pymupdf.open(c)[0]
    assert (round(page.rect.width), round(page.rect.height)) == (612, 792)


def test_build_default_output_is_named_after_the_framework(tmp_path):
    result = run_sssp("build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "build" / "sssp.pdf").exists()
    assert list((tmp_path / "build").iterdir()) == [tmp_path / "build" / "sssp.pdf"]
    for args in (
        ["--paper", "letter"],
        ["--imposition", "a5-booklet"],
        ["--imposition", "a5-booklet", "--paper", "letter"],
    ):
        assert run_sssp("build", *args, cwd=tmp_path).returncode == 0
    names = sorted(p.name for p in (tmp_path / "build").iterdir())
    assert names == [
        "sssp-a5-booklet-letter.pdf",
        "sssp-a5-booklet.pdf",
        "sssp-letter.pdf",
        "sssp.pdf",
    ]
    assert len({(tmp_path / "build" / n).read_bytes() for n in names}) == 4, (
        "no build replaced another"
    )


def test_another_framework_builds_with_its_own_shape(tmp_path):
    out = tmp_path / "knit.pdf"
    result = run_sssp(
        "build", ROOT / "content" / "examples" / "minimal.yaml", "-o", out
    )
    assert result.returncode == 0, result.stderr
    with pikepdf.open(out) as pdf:
        names = {str(f.T) for f in pdf.Root.AcroForm.Fields}
        group = next(
            f for f in pdf.Root.AcroForm.Fields if str(f.T) == "level:knit:now"
        )
        states = sorted(
            str(k) for kid in group.Kids for k in kid.AP.N.keys() if k != "/Off"
        )
    assert states == ["/0", "/1", "/2"]
    assert {n for n in names if n.startswith("action:socks:")} == {
        f"action:socks:{row}:{col}" for row in (1, 2, 3) for col in ("step", "when")
    }
    assert "level:socks:now" in names


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_action_tables_and_headings_are_not_stranded(tmp_path, paper):
    out = tmp_path / f"{paper}.pdf"
    assert run_sssp("build", "--paper", paper, "-o", out).returncode == 0
    with pikepdf.open(out) as pdf:
        table_pages: dict[str, set[int]] = {}
        for index, page in enumerate(pdf.pages):
            for annot in page.obj.get("/Annots", []):
                name = str(annot.get("/T", ""))
                if name.startswith("action:"):
                    table_pages.setdefault(name.split(":")[1], set()).add(index)
    assert all(len(pages) == 1 for pages in table_pages.values()), table_pages

    doc = pymupdf.open(out)
    for page in doc:
        words = page.get_text("words")
        body = [w for w in words if 60 < w[1] < page.rect.height - 60]
        has_fields = any(True for _ in page.widgets())
        assert has_fields or len(body) > 12, (
            f"page {page.number + 1} holds next to nothing"
        )


def test_outputs_get_the_usual_file_permissions(tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        out = tmp_path / "perm.pdf"
        assert run_sssp("build", "-o", out).returncode == 0
        assert out.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(umask)


def test_owner_prefill_is_one_line_in_any_script(tmp_path):
    out = tmp_path / "owner.pdf"
    result = run_sssp("build", "--owner", "Zoë\nΚώστας 陳大文 🙂", "-o", out)
    assert result.returncode == 0, result.stderr
    assert b"U+" not in result.stderr, "every character has a glyph in the chain"
    answers = json.loads(run_sssp("read", out).stdout)
    assert answers["owner"] == "Zoë Κώστας 陳大文 🙂"
    page, rect = widget_rects(out)[("owner", None)]
    for renderer in RENDERERS:
        assert ink(out, renderer, page, rect) > 0.01, (
            f"{renderer} shows the pre-filled name"
        )


def test_missing_glyph_is_reported_by_code_point_only(tmp_path):
    out = tmp_path / "hieroglyph.pdf"
    result = run_sssp("build", "--owner", "Nefer 𓀀", "-o", out)
    assert result.returncode == 0
    stderr = result.stderr.decode("utf-8")
    assert "U+13000" in stderr
    assert "Nefer" not in stderr and "𓀀" not in stderr


def test_option_values_are_not_case_sensitive(tmp_path):
    out = tmp_path / "upper.pdf"
    result = run_sssp("build", "--paper", "Letter", "--edition", "PRINT", "-o", out)
    assert result.returncode == 0, result.stderr
    with pikepdf.open(out) as pdf:
        assert [round(float(v)) for v in pdf.pages[0].mediabox] == [0, 0, 612, 792]
        assert "/AcroForm" not in pdf.Root
