"""`sssp harvest` over a mixed folder: good booklets from several engines and
one file of every problem kind. Everything is read or reported, nothing is
lost, nothing is altered."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import sys
import zlib
from pathlib import Path

import pikepdf
import pymupdf
import pytest
from openpyxl import load_workbook

from sssp_print.content import load_framework
from sssp_print.harvest import harvest
from sssp_print.identity import IDENTITY_KEY
from sssp_print.layout import layout_booklet
from sssp_print.pdf import render_booklet

from .conftest import CONTENT, run_sssp
from .engines.mupdf import fill_with_mupdf
from .engines.plan import FillPlan

RISKY = {  # texts a spreadsheet would otherwise run as formulas
    ("A", 1, "action"): '=HYPERLINK("http://example.invalid","click")',
    ("A", 1, "by_whom"): "+44 20 7946 0000",
    ("A", 1, "by_when"): "-5 days",
    ("A", 1, "notes"): "@risk\nsecond line, with a comma",
}


def _checksums(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _set_identity(path: Path, **changes) -> None:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        identity = json.loads(pdf.Root[IDENTITY_KEY].read_bytes())
        identity.update(changes)
        pdf.Root[IDENTITY_KEY] = pdf.make_stream(json.dumps(identity).encode())
        pdf.save(path)


def _older_version(tmp_path: Path) -> Path:
    """A booklet built from an earlier version of the content, with one more item."""
    text = CONTENT.read_text(encoding="utf-8").replace(
        'version: "1.0"', 'version: "0.9"'
    )
    extra = (
        "          - id: C19\n            number: 19\n            title: An item dropped later\n"
        "            levels:\n              1:\n                - Was once rated.\n"
    )
    text = text.replace("      - id: B\n", extra + "      - id: B\n", 1)
    yaml_path = tmp_path / "sssp-0.9.yaml"
    yaml_path.write_text(text, encoding="utf-8")
    blank = tmp_path / "old-blank.pdf"
    blank.write_bytes(render_booklet(layout_booklet(load_framework(yaml_path))))
    plan = FillPlan(steps=[("C19", "begin", 1), ("C2", "end", 3)], cells={})
    filled_old = tmp_path / "old-filled.pdf"
    fill_with_mupdf(blank, filled_old, plan)
    return filled_old


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory, filled, booklet_pdf):
    root = tmp_path_factory.mktemp("returned")
    work = tmp_path_factory.mktemp("work")
    (root / "school one").mkdir()
    (root / "school two" / "late").mkdir(parents=True)

    # Good booklets from each engine; two folders hold a booklet.pdf each.
    shutil.copyfile(filled["pdfium"], root / "school one" / "booklet.pdf")
    shutil.copyfile(filled["pdfjs"], root / "school two" / "booklet.pdf")
    shutil.copyfile(
        filled["mupdf-incremental"], root / "school two" / "late" / "Zoë 陳.PDF"
    )
    risky = root / "risky.pdf"
    fill_with_mupdf(
        booklet_pdf,
        risky,
        FillPlan(owner="Risky Rita", steps=[("C5", "begin", 2)], cells=RISKY),
    )

    # One file of every problem kind.
    (root / "word.pdf").write_bytes(b"PK\x03\x04word/document.xml this is a Word file")
    (root / "empty.pdf").write_bytes(b"")
    data = filled["mupdf"].read_bytes()
    (root / "cut short.pdf").write_bytes(data[: len(data) // 2])
    with pikepdf.open(filled["mupdf"]) as pdf:
        pdf.save(
            root / "locked.pdf",
            encryption=pikepdf.Encryption(user="secret", owner="owner"),
        )
        pdf.save(
            root / "owner-only.pdf",
            encryption=pikepdf.Encryption(user="", owner="owner"),
        )
    assert (
        run_sssp("flatten", filled["pdfium"], "-o", root / "printed.pdf").returncode
        == 0
    )
    other_form = pymupdf.open()
    page = other_form.new_page()
    widget = pymupdf.Widget()
    widget.field_type = pymupdf.PDF_WIDGET_TYPE_TEXT
    widget.field_name = "Name"
    widget.rect = pymupdf.Rect(72, 72, 300, 100)
    page.add_widget(widget)
    other_form.save(root / "other form.pdf")
    shutil.copyfile(_older_version(work), root / "old version.pdf")
    shutil.copyfile(filled["pdfjs"], root / "school one" / "copy of booklet.pdf")
    shutil.copyfile(booklet_pdf, root / "blank.pdf")
    assert (
        run_sssp(
            "build", "--owner", "Pat Example", "-o", root / "named blank.pdf"
        ).returncode
        == 0
    )
    commented = pymupdf.open(filled["mupdf"])
    commented[2].add_freetext_annot(
        pymupdf.Rect(300, 700, 550, 760), "I am level 2 really — Zoë"
    )
    commented[5].add_text_annot(pymupdf.Point(500, 500), "Sticky note text")
    commented.save(root / "commented.pdf")
    for name in ("twin-a.pdf", "twin-b.pdf"):
        fill_with_mupdf(
            booklet_pdf,
            root / name,
            FillPlan(owner=name, steps=[("C1", "end", 1)], cells={}),
        )
        _set_identity(root / name, booklet_id="B-0042", participant_id="P-7")
    bomb = root / "bomb.pdf"
    shutil.copyfile(booklet_pdf, bomb)
    with pikepdf.open(bomb, allow_overwriting_input=True) as pdf:
        squashed = zlib.compress(b"\0" * (256 * 2**20), 9)
        stream = pikepdf.Stream(pdf, squashed)
        stream.Filter = pikepdf.Name.FlateDecode
        pdf.Root[IDENTITY_KEY] = pdf.make_indirect(stream)
        pdf.save(bomb)
    (root / "notes.txt").write_text("not a pdf name, not harvested")
    return root


EXPECTED_PROBLEMS = {  # file -> (kind, severity)
    "word.pdf": ("not-pdf", "error"),
    "empty.pdf": ("empty", "error"),
    "cut short.pdf": ("repaired", "warning"),
    "locked.pdf": ("encrypted", "error"),
    "printed.pdf": ("no-fields", "error"),
    "other form.pdf": ("not-booklet", "error"),
    "old version.pdf": ("other-version", "warning"),
    "school one/copy of booklet.pdf": ("duplicate", "warning"),
    "school two/booklet.pdf": ("duplicate", "warning"),
    "blank.pdf": ("nothing-filled", "warning"),
    "named blank.pdf": ("nothing-filled", "warning"),
    "commented.pdf": ("comment", "warning"),
    "twin-a.pdf": ("duplicate", "warning"),
    "twin-b.pdf": ("duplicate", "warning"),
    "bomb.pdf": ("too-large", "error"),
}
GOOD = [
    "school one/booklet.pdf",
    "school two/booklet.pdf",
    "school two/late/Zoë 陳.PDF",
    "risky.pdf",
    "owner-only.pdf",
]


@pytest.fixture(scope="module")
def harvested(mixed_folder, tmp_path_factory):
    before = _checksums(mixed_folder)
    out = tmp_path_factory.mktemp("harvest") / "out"
    result = run_sssp("harvest", mixed_folder, "--out", out, "--jobs", "2")
    return out, result, before


def _csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8")), (
        "Excel needs the UTF-8 byte-order mark"
    )
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_mixed_folder_exit_code_and_summary(harvested):
    out, result, _ = harvested
    stderr = result.stderr.decode("utf-8")
    assert result.returncode == 1, stderr  # some files could not be read
    assert "Traceback" not in stderr
    (line,) = stderr.strip().splitlines()
    files = set(GOOD) | set(EXPECTED_PROBLEMS)
    failed = {
        f for f, (_, severity) in EXPECTED_PROBLEMS.items() if severity == "error"
    }
    warned = set(EXPECTED_PROBLEMS) - failed
    clean = files - failed - warned
    assert line == (
        f"sssp: harvested {len(files)} files into {out}: {len(clean)} read, "
        f"{len(warned)} read with warnings, {len(failed)} failed"
    )
    for typed in ("Zoë Łukasz", "Risky Rita", "Sticky note", "陳大文"):
        assert typed not in stderr, "logs must not carry typed text"


def test_every_bad_file_has_its_row(harvested):
    out, _, _ = harvested
    rows = _csv(out / "problems.csv")
    found = {(r["file"], r["kind"], r["severity"]) for r in rows}
    for file, (kind, severity) in EXPECTED_PROBLEMS.items():
        assert (file, kind, severity) in found, (file, kind)
    assert all(r["message"] for r in rows)
    old = next(r for r in rows if r["kind"] == "other-version")
    assert "version 0.9" in old["message"]
    assert {r["file"] for r in rows if r["severity"] == "error"} == {
        f for f, (_, s) in EXPECTED_PROBLEMS.items() if s == "error"
    }
    assert "notes.txt" not in {r["file"] for r in rows}


def test_good_booklets_are_all_there(harvested, framework):
    out, _, _ = harvested
    plan = FillPlan()
    responses = out / "responses"
    for file in GOOD:
        assert (responses / f"{file}.json").exists(), file
    answers = json.loads(
        (responses / "school two/late/Zoë 陳.PDF.json").read_text(encoding="utf-8")
    )
    assert answers["file"] == "school two/late/Zoë 陳.PDF"
    assert answers["ratings"] == plan.expected_ratings(framework)
    assert answers["actions"] == plan.expected_actions(framework)
    assert (
        json.loads((responses / "owner-only.pdf.json").read_text())["owner"]
        == plan.owner
    )

    comments = json.loads(
        (responses / "commented.pdf.json").read_text(encoding="utf-8")
    )["warnings"]
    texts = sorted(w["text"] for w in comments if w["kind"] == "comment")
    assert texts == ["I am level 2 really — Zoë", "Sticky note text"]

    old = json.loads((responses / "old version.pdf.json").read_text())
    assert old["framework"]["version"] == "0.9"
    assert old["ratings"]["C19"] == {"begin": 1, "end": None}
    assert old["ratings"]["C2"]["end"] == 3


def test_ratings_csv_has_one_row_per_booklet_and_the_union_of_columns(
    harvested, framework
):
    out, _, _ = harvested
    rows = _csv(out / "ratings.csv")
    header = list(rows[0].keys())
    assert header[:6] == [
        "file",
        "booklet_id",
        "participant_id",
        "owner",
        "framework_id",
        "framework_version",
    ]
    expected = [f"{i.id}_{m.id}" for i in framework.items() for m in framework.moments]
    levels = [c for c in header[6:] if c != "C19_begin" and c != "C19_end"]
    assert levels == expected
    assert header.index("C19_begin") == header.index("C5_end") + 1  # in framework order
    by_file = {r["file"]: r for r in rows}
    assert set(by_file) == {
        *GOOD,
        "cut short.pdf",
        "old version.pdf",
        "school one/copy of booklet.pdf",
        "blank.pdf",
        "named blank.pdf",
        "commented.pdf",
        "twin-a.pdf",
        "twin-b.pdf",
    }
    pdfium = by_file["school one/booklet.pdf"]
    assert pdfium["owner"] == FillPlan().owner
    assert (
        pdfium["C1_end"] == "4"
        and pdfium["C3_begin"] == ""
        and pdfium["C19_begin"] == ""
    )
    assert by_file["old version.pdf"]["C19_begin"] == "1"
    assert by_file["twin-a.pdf"]["booklet_id"] == "B-0042"
    assert by_file["twin-a.pdf"]["participant_id"] == "P-7"


def test_actions_csv_quotes_lines_and_defuses_formulas(harvested):
    out, _, _ = harvested
    rows = _csv(out / "actions.csv")
    assert list(rows[0].keys()) == [
        "file",
        "owner",
        "area",
        "row",
        "action",
        "by_whom",
        "by_when",
        "notes",
    ]
    risky = [r for r in rows if r["file"] == "risky.pdf"]
    assert risky == [
        {
            "file": "risky.pdf",
            "owner": "Risky Rita",
            "area": "A",
            "row": "1",
            "action": "'" + RISKY[("A", 1, "action")],
            "by_whom": "'" + RISKY[("A", 1, "by_whom")],
            "by_when": "'" + RISKY[("A", 1, "by_when")],
            "notes": "'" + RISKY[("A", 1, "notes")],
        }
    ]
    long_note = next(
        r for r in rows if r["file"] == "school one/booklet.pdf" and r["area"] == "G"
    )
    assert long_note["notes"] == FillPlan().cells[("G", 5, "notes")]


def test_xlsx_has_the_same_sheets_as_text(harvested):
    out, _, _ = harvested
    book = load_workbook(out / "harvest.xlsx")
    assert book.sheetnames == ["ratings", "actions", "problems"]
    for name in book.sheetnames:
        assert book[name].max_row == len(_csv(out / f"{name}.csv")) + 1
    cells = [c for row in book["actions"].iter_rows() for c in row]
    formula = next(c for c in cells if c.value == RISKY[("A", 1, "action")])
    assert formula.data_type == "s"
    lines = next(c for c in cells if c.value == RISKY[("A", 1, "notes")])
    assert lines.alignment.wrap_text


def test_inputs_are_not_touched(harvested, mixed_folder):
    _, _, before = harvested
    assert _checksums(mixed_folder) == before


def test_same_inputs_give_identical_outputs(harvested, mixed_folder, tmp_path):
    out, _, _ = harvested
    again = tmp_path / "again"
    run_sssp("harvest", mixed_folder, "--out", again, "--jobs", "1")
    assert _checksums(again) == _checksums(out)


def test_a_new_harvest_replaces_the_old_one_whole(tmp_path, filled):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    shutil.copyfile(filled["mupdf"], first / "one.pdf")
    shutil.copyfile(filled["pdfium"], second / "two.pdf")
    out = tmp_path / "out"
    assert run_sssp("harvest", first, "--out", out).returncode == 0
    assert run_sssp("harvest", second, "--out", out).returncode == 0
    assert sorted(p.name for p in (out / "responses").iterdir()) == ["two.pdf.json"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_refuses_a_folder_that_is_not_a_harvest(tmp_path, filled):
    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "thesis.docx").write_text("years of work")
    result = run_sssp("harvest", filled["mupdf"], "--out", precious)
    assert result.returncode == 2
    assert (
        b"not an earlier harvest" in result.stderr
        and b"holds thesis.docx" in result.stderr
    )
    assert [p.name for p in precious.iterdir()] == ["thesis.docx"]


def test_files_of_ones_own_in_an_old_harvest_are_never_deleted(tmp_path, filled):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copyfile(filled["mupdf"], folder / "one.pdf")
    out = tmp_path / "out"
    assert run_sssp("harvest", folder, "--out", out).returncode == 0
    (out / "my notes.txt").write_text("pivot table ideas")
    (out / "responses" / "extra.txt").write_text("keep me")
    for extra in (out / "my notes.txt", out / "responses" / "extra.txt"):
        result = run_sssp("harvest", folder, "--out", out)
        assert result.returncode == 2, result.stderr
        assert extra.name.encode() in result.stderr
        assert extra.exists()
        extra.unlink()


def test_a_folder_with_no_pdf_is_a_usage_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_sssp("harvest", empty, "--out", tmp_path / "out")
    assert result.returncode == 2 and b"found no *.pdf files" in result.stderr
    assert not (tmp_path / "out").exists()


def test_clashing_paths_stay_apart_and_a_file_is_read_once(tmp_path, filled):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shutil.copyfile(filled["mupdf"], a / "booklet.pdf")
    shutil.copyfile(filled["pdfium"], b / "booklet.pdf")
    out = tmp_path / "out"
    result = run_sssp("harvest", a, b, a / "booklet.pdf", "--out", out)
    assert result.returncode == 0, result.stderr
    names = sorted(
        p.relative_to(out / "responses").as_posix()
        for p in (out / "responses").rglob("*.json")
    )
    assert names == ["b/booklet.pdf.json", "booklet.pdf.json"]


@pytest.mark.skipif(
    sys.platform == "win32", reason="signals to a process group are a Unix feature"
)
def test_an_interrupted_run_stops_its_workers_and_keeps_the_old_harvest(
    tmp_path, filled
):
    import signal
    import subprocess
    import time

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copyfile(filled["mupdf"], folder / "0000.pdf")
    for n in range(1, 3000):  # far more than the run can read before the signal
        os.link(folder / "0000.pdf", folder / f"{n:04}.pdf")
    out = tmp_path / "out"
    assert run_sssp("harvest", folder / "0000.pdf", "--out", out).returncode == 0
    before = _checksums(out)

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sssp_print",
            "harvest",
            str(folder),
            "--out",
            str(out),
            "--jobs",
            "2",
        ],
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    time.sleep(2.0)
    process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - signalled < 30, "the run did not stop when told to"
    assert process.returncode == 130, stderr
    assert b"Traceback" not in stderr and b"interrupted" in stderr
    assert _checksums(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    time.sleep(3)  # workers notice their parent is gone within a second or two
    alive = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True)
    assert alive.stdout == b"", "worker processes outlived the run"


def test_usage_errors_exit_2(tmp_path):
    assert (
        run_sssp("harvest", tmp_path / "missing", "--out", tmp_path / "o").returncode
        == 2
    )
    assert run_sssp("harvest", tmp_path).returncode == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes exist only on Unix")
def test_a_file_that_hangs_is_stopped_and_the_batch_goes_on(tmp_path, filled):
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(
        folder / "a-stuck.pdf"
    )  # opening it blocks for ever, like a dead network share
    shutil.copyfile(filled["mupdf"], folder / "b-good.pdf")
    summary = harvest([folder], tmp_path / "out", jobs=1, timeout=2.0)
    assert (summary.read, summary.failed) == (1, 1)
    rows = _csv(tmp_path / "out" / "problems.csv")
    assert [(r["file"], r["kind"]) for r in rows] == [("a-stuck.pdf", "timeout")]


def test_names_print_safely_on_a_narrow_console(tmp_path, filled):
    folder = tmp_path / "Łódź 陳"
    folder.mkdir()
    shutil.copyfile(filled["mupdf"], folder / "Zoë 陳.pdf")
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    import subprocess

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sssp_print",
            "harvest",
            str(folder),
            "--out",
            str(tmp_path / "Łódź 陳 out"),
        ],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    assert b"1 read" in result.stderr


@pytest.mark.skipif(
    sys.platform == "win32", reason="pseudo-terminals are a Unix feature"
)
def test_progress_bar_on_a_terminal_only(tmp_path, filled):
    import pty
    import subprocess

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copyfile(filled["mupdf"], folder / "one.pdf")
    command = [sys.executable, "-m", "sssp_print", "harvest", str(folder), "--out"]

    piped = subprocess.run(
        [*command, str(tmp_path / "a")], capture_output=True, timeout=120
    )
    assert b"Reading" not in piped.stderr

    main, child = pty.openpty()
    process = subprocess.Popen(
        [*command, str(tmp_path / "b")], stdin=child, stdout=child, stderr=child
    )
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    process.wait(timeout=120)
    os.close(main)
    assert b"Reading" in seen


def test_many_copies_of_one_booklet_give_short_messages(tmp_path, filled):
    folder = tmp_path / "copies"
    folder.mkdir()
    for n in range(6):
        shutil.copyfile(filled["mupdf"], folder / f"copy {n}.pdf")
    out = tmp_path / "out"
    result = run_sssp("harvest", folder, "--out", out)
    assert result.returncode == 0, result.stderr
    rows = [r for r in _csv(out / "problems.csv") if r["kind"] == "duplicate"]
    assert len(rows) == 6
    for row in rows:
        assert row["message"].count("copy ") == 3 and "and 2 more" in row["message"]
        assert row["file"] not in row["message"]
