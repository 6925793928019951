"""The booklet is small for the right reasons: each font embedded once as a
sound subset, streams compressed when that pays, no entries that say nothing.
The size and time targets themselves are in `make bench`."""

from __future__ import annotations

import io
import struct
from collections import Counter

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from sssp_print.sfnt import slim_name_table

from .conftest import ROOT, run_sssp

CHECKSUM_MAGIC = 0xB1B0AFBA


def _embedded_fonts(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    return [
        obj
        for obj in pdf.objects
        if isinstance(obj, pikepdf.Dictionary)
        and obj.get("/Type") == "/Font"
        and "/FontDescriptor" in obj
    ]


def _fonts_in_use(pdf: pikepdf.Pdf) -> set[tuple[int, int]]:
    """Fonts named by the pages and by the widgets' appearance streams."""
    used = set()

    def collect(resources) -> None:
        for font in (resources or {}).get("/Font", {}).values():
            used.add(font.objgen)

    for page in pdf.pages:
        collect(page.obj.get("/Resources"))
        for annot in page.obj.get("/Annots", []):
            normal = annot.get("/AP", {}).get("/N")
            looks = (
                [normal]
                if isinstance(normal, pikepdf.Stream)
                else list((normal or {}).values())
            )
            for look in looks:
                collect(look.get("/Resources"))
    return used


@pytest.fixture(scope="module")
def booklet_with_owner(tmp_path_factory):
    out = tmp_path_factory.mktemp("owner") / "owned.pdf"
    result = run_sssp("build", "--owner", "Zoë Ng", "-o", out)
    assert result.returncode == 0, result.stderr
    return out


def test_each_font_is_embedded_once_and_shared_by_pages_and_widgets(booklet_with_owner):
    with pikepdf.open(booklet_with_owner) as pdf:
        embedded = _embedded_fonts(pdf)
        families = Counter(str(font.BaseFont).split("+", 1)[1] for font in embedded)
        assert families == {"DejaVuSansCondensed": 1, "DejaVuSansCondensed-Bold": 1}
        in_use = _fonts_in_use(pdf)
        assert {font.objgen for font in embedded} <= in_use
        owner = next(f for f in pdf.Root.AcroForm.Fields if str(f.get("/T")) == "owner")
        owner_fonts = {font.objgen for font in owner.AP.N.Resources.Font.values()}
        clear = next(
            f for f in pdf.Root.AcroForm.Fields if str(f.get("/T")).startswith("clear:")
        )
        clear_fonts = {font.objgen for font in clear.AP.N.Resources.Font.values()}
        page_fonts = {font.objgen for font in pdf.pages[1].Resources.Font.values()}
        assert owner_fonts & page_fonts and clear_fonts & page_fonts


def test_embedded_font_programs_are_sound_truetype(booklet_with_owner):
    with pikepdf.open(booklet_with_owner) as pdf:
        fonts = _embedded_fonts(pdf)
        assert fonts
        for pdf_font in fonts:
            program = pdf_font.FontDescriptor.FontFile2
            data = program.read_bytes()
            assert int(program.Length1) == len(data)
            padded = data + b"\0" * (-len(data) % 4)
            assert (
                sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF
                == CHECKSUM_MAGIC
            )
            font = TTFont(
                io.BytesIO(data), checkChecksums=2
            )  # raises on a table checksum mismatch
            font.ensureDecompiled()
            assert {record.nameID for record in font["name"].names} <= set(range(7))
            assert (
                font["name"].getDebugName(6) == str(pdf_font.BaseFont).split("+", 1)[1]
            )


def test_slimming_keeps_the_glyphs_and_drops_the_licence_text():
    original = (ROOT / "fonts" / "DejaVuSansCondensed.ttf").read_bytes()
    slim = slim_name_table(original)
    assert len(slim) < len(original) - 10_000
    before, after = (
        TTFont(io.BytesIO(original)),
        TTFont(io.BytesIO(slim), checkChecksums=2),
    )
    assert after.getGlyphOrder() == before.getGlyphOrder()
    assert (
        after["glyf"]["a"].getCoordinates(after["glyf"])[0]
        == before["glyf"]["a"].getCoordinates(before["glyf"])[0]
    )
    assert (
        after["name"].getDebugName(4)
        == before["name"].getDebugName(4)
        == "DejaVu Sans Condensed"
    )
    assert before["name"].getDebugName(13) and after["name"].getDebugName(13) is None
    assert slim_name_table(b"not a font at all") == b"not a font at all"
    # A version 1 name table (with language tags) is left as it is.
    offset = next(
        struct.unpack_from(">I", original, 12 + 16 * i + 8)[0]
        for i in range(struct.unpack_from(">H", original, 4)[0])
        if original[12 + 16 * i : 16 + 16 * i] == b"name"
    )
    tagged = original[:offset] + b"\x00\x01" + original[offset + 2 :]
    assert slim_name_table(tagged) == tagged


def test_streams_are_compressed_when_it_pays_and_pages_carry_no_filler(booklet_pdf):
    with pikepdf.open(booklet_pdf) as pdf:
        filters = Counter()
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                raw, decoded = obj.read_raw_bytes(), obj.read_bytes()
                filters[str(obj.get("/Filter"))] += 1
                if len(decoded) >= 64:
                    assert obj.get("/Filter") == "/FlateDecode", obj.objgen
                else:
                    assert raw == decoded, obj.objgen
        assert set(filters) == {"/FlateDecode", "None"}
        for page in pdf.pages:
            assert "/ProcSet" not in page.Resources and "/Trans" not in page.obj
