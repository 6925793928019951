"""Fill the booklet with MuPDF (an engine nobody here wrote), then read it back."""

from __future__ import annotations

import json

import pikepdf
import pymupdf
import pytest

from .conftest import run_sssp
from .engines.mupdf import fill_with_mupdf
from .engines.plan import FillPlan

# Levels changed and cleared, long and multi-line text in several scripts, and
# a cell that a spreadsheet would take for a formula.
PLAN = FillPlan(
    cells={
        **FillPlan().cells,
        ("G", 2, "action"): "=SUM(A1) is plain text here",
    }
)


@pytest.mark.parametrize(
    "incremental", [False, True], ids=["full-save", "incremental-save"]
)
def test_mupdf_filled_booklet_reads_back_exactly(
    tmp_path, booklet_pdf, framework, incremental
):
    filled = tmp_path / "filled.pdf"
    if incremental:
        filled.write_bytes(booklet_pdf.read_bytes())
        fill_with_mupdf(filled, filled, PLAN, incremental=True)
    else:
        fill_with_mupdf(booklet_pdf, filled, PLAN)

    out = tmp_path / "answers.json"
    result = run_sssp("read", filled, "-o", out)
    assert result.returncode == 0, result.stderr
    answers = json.loads(out.read_text(encoding="utf-8"))

    assert answers["schema_version"] == 1
    assert answers["framework"] == {
        "id": "sssp",
        "version": framework.version,
        "content_hash": framework.content_hash,
    }
    assert answers["booklet_id"] is None and answers["participant_id"] is None
    assert answers["owner"] == PLAN.owner
    assert answers["ratings"] == PLAN.expected_ratings(framework)
    assert answers["actions"] == PLAN.expected_actions(framework)
    assert answers["warnings"] == []
    for moments in answers["ratings"].values():
        assert all(v is None or type(v) is int for v in moments.values())

    # stdout gives the same JSON, and no typed text leaks into the logs.
    result = run_sssp("-v", "read", filled)
    assert json.loads(result.stdout.decode("utf-8")) == answers
    assert "Zoë" not in result.stderr.decode("utf-8", "replace")


def test_blank_booklet_reads_as_empty(booklet_pdf, framework):
    result = run_sssp("read", booklet_pdf)
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    assert answers["owner"] is None
    assert all(v is None for m in answers["ratings"].values() for v in m.values())
    assert list(answers["ratings"]) == [i.id for i in framework.items()]
    assert answers["actions"] == {a.id: [] for a in framework.areas()}


def test_reader_needs_no_framework_file(tmp_path, booklet_pdf):
    """A booklet is read through its own map, even when the content has moved on."""
    doc = pymupdf.open(booklet_pdf)
    for page in doc:
        for widget in page.widgets():
            if widget.field_name == "level:C2:end" and widget.on_state() == "1":
                widget.field_value = widget.on_state()
                widget.update()
    filled = tmp_path / "old.pdf"
    doc.save(filled)
    result = run_sssp("read", filled, cwd=tmp_path)
    assert json.loads(result.stdout)["ratings"]["C2"]["end"] == 1


def test_unreadable_files_fail_with_one_line(tmp_path):
    not_pdf = tmp_path / "notes.pdf"
    not_pdf.write_bytes(b"PK\x03\x04 this is a word file really")
    printed = tmp_path / "printed.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "printed copy")
    doc.save(printed)
    for path, words in (
        (not_pdf, "not a PDF"),
        (printed, "no form fields"),
        (tmp_path / "gone.pdf", "no such file"),
    ):
        result = run_sssp("read", path)
        stderr = result.stderr.decode()
        assert result.returncode == 1
        assert "Traceback" not in stderr
        assert len(stderr.strip().splitlines()) == 1
        assert words in stderr and path.name in stderr


def test_a_rewrite_that_drops_the_field_map_reads_the_same(
    tmp_path, booklet_layout, framework
):
    """An app that rewrites the whole file (here pypdf's append, as Preview
    and phone apps do in their own way) keeps the form but not the catalog
    entry with the field map."""
    import pypdf

    from sssp_print.pdf import render_booklet

    blank = tmp_path / "personal.pdf"
    blank.write_bytes(
        render_booklet(booklet_layout, booklet_id="B-0007", participant_id="P-42")
    )
    filled, rewritten = tmp_path / "filled.pdf", tmp_path / "rewritten.pdf"
    plan = FillPlan()
    fill_with_mupdf(blank, filled, plan)
    writer = pypdf.PdfWriter()
    writer.append(pypdf.PdfReader(filled))
    writer.write(rewritten)
    with pikepdf.open(rewritten) as pdf:
        assert "/SsspPrintBooklet" not in pdf.Root and "/AcroForm" in pdf.Root

    before = json.loads(run_sssp("read", filled).stdout)
    result = run_sssp("read", rewritten)
    assert result.returncode == 0, result.stderr
    after = json.loads(result.stdout)
    assert [w["kind"] for w in after.pop("warnings")] == ["no-field-map"]
    assert before.pop("warnings") == []
    assert after == before
    assert after["participant_id"] == "P-42" and after["booklet_id"] == "B-0007"
    assert after["ratings"] == plan.expected_ratings(framework)
