"""Fill the booklet with MuPDF (an engine nobody here wrote), then read it back."""

from __future__ import annotations

import json

import pymupdf
import pytest

from .conftest import run_sssp

OWNER = "Zoë Łukasz-Ærø 陳大文 🙂"
LONG_NOTE = ("Κάθε Δευτέρα 陳大文 visits the SMC; emoji 📚✅. " * 14).strip()

# (item, moment) -> the levels clicked one after another; None clears.
CLICKS = {
    ("C1", "begin"): [1, 3],
    ("C1", "end"): [2, 4, 4],
    ("C3", "begin"): [2, None],
    ("C9", "begin"): [0],
    ("C18", "end"): [1],
    ("I5", "end"): [4, 2],
}
CELLS = {
    ("A", 1, "action"): "Meet the SENCO network.\nThen share notes with staff.",
    ("A", 1, "by_whom"): "Ærø & Zoë",
    ("A", 1, "by_when"): "2027-03-01",
    ("A", 3, "notes"): "Second line below\nthird line\n\nafter a blank line",
    ("I3", 5, "notes"): LONG_NOTE,
    ("G", 2, "action"): "=SUM(A1) is plain text here",
}


def _fill_with_mupdf(source, target, incremental: bool) -> None:
    doc = pymupdf.open(source)
    for page in doc:
        for widget in page.widgets():
            name = widget.field_name
            if name == "owner":
                widget.field_value = OWNER
                widget.update()
            elif name.startswith("action:"):
                _, table, row, column = name.split(":")
                value = CELLS.get((table, int(row), column))
                if value is not None:
                    widget.field_value = value
                    widget.update()
    # Radio clicks happen in order, one click at a time, like a person.
    for (item, moment), clicks in CLICKS.items():
        for level in clicks:
            for page in doc:
                for widget in page.widgets():
                    if widget.field_name != f"level:{item}:{moment}":
                        continue
                    # MuPDF turns a button on for any true value (even "Off"),
                    # and False on one button clears the whole group.
                    if level is None:
                        widget.field_value = False
                        widget.update()
                    elif widget.on_state() == str(level):
                        widget.field_value = True
                        widget.update()
    if incremental:
        doc.save(target) if source != target else doc.saveIncr()
    else:
        doc.save(target, garbage=3, deflate=True)
    doc.close()


def _expected_ratings(framework):
    ratings = {i.id: {m.id: None for m in framework.moments} for i in framework.items()}
    for (item, moment), clicks in CLICKS.items():
        ratings[item][moment] = clicks[-1]
    return ratings


def _expected_actions(framework):
    actions = {area.id: [] for area in framework.areas()}
    rows = {}
    for (table, row, column), text in CELLS.items():
        rows.setdefault((table, row), {})[column] = text
    for (table, row), cells in sorted(rows.items(), key=lambda kv: kv[0][1]):
        actions[table].append(
            {"row": row, **{c.id: cells.get(c.id) for c in framework.action_table.columns}}
        )
    return actions


@pytest.mark.parametrize("incremental", [False, True], ids=["full-save", "incremental-save"])
def test_mupdf_filled_booklet_reads_back_exactly(tmp_path, booklet_pdf, framework, incremental):
    filled = tmp_path / "filled.pdf"
    if incremental:
        filled.write_bytes(booklet_pdf.read_bytes())
        _fill_with_mupdf(filled, filled, incremental=True)
    else:
        _fill_with_mupdf(booklet_pdf, filled, incremental=False)

    out = tmp_path / "answers.json"
    result = run_sssp("read", filled, "-o", out)
    assert result.returncode == 0, result.stderr
    answers = json.loads(out.read_text(encoding="utf-8"))

    assert answers["schema_version"] == 1
    assert answers["framework"] == {
        "id": "sssp", "version": framework.version, "content_hash": framework.content_hash,
    }
    assert answers["booklet_id"] is None and answers["participant_id"] is None
    assert answers["owner"] == OWNER
    assert answers["ratings"] == _expected_ratings(framework)
    assert answers["actions"] == _expected_actions(framework)
    assert answers["warnings"] == []
    for moments in answers["ratings"].values():
        assert all(v is None or type(v) is int for v in moments.values())

    # stdout gives the same JSON, and no typed text leaks into the logs.
    result = run_sssp("read", filled)
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
    for path, words in ((not_pdf, "not a PDF"), (printed, "no form fields"), (tmp_path / "gone.pdf", "no such file")):
        result = run_sssp("read", path)
        stderr = result.stderr.decode()
        assert result.returncode == 1
        assert "Traceback" not in stderr
        assert len(stderr.strip().splitlines()) == 1
        assert words in stderr and path.name in stderr
