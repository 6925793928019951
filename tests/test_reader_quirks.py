"""The reader copes with how viewers really save: one small crafted file each."""

from __future__ import annotations

import json
import shutil

import pikepdf
import pymupdf
import pytest

from .conftest import run_sssp


def _read(path) -> dict:
    result = run_sssp("read", path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _group(pdf: pikepdf.Pdf, name: str) -> pikepdf.Dictionary:
    return next(f for f in pdf.Root.AcroForm.Fields if str(f.T) == name)


def _kid(group: pikepdf.Dictionary, state: str) -> pikepdf.Dictionary:
    return next(k for k in group.Kids if f"/{state}" in k.AP.N)


def _craft(booklet_pdf, tmp_path, edit) -> object:
    """A copy of the blank booklet changed by ``edit(pdf)``."""
    out = tmp_path / "crafted.pdf"
    with pikepdf.open(booklet_pdf) as pdf:
        edit(pdf)
        pdf.save(out)
    return out


def _tick(group: pikepdf.Dictionary, state: str, value=None) -> None:
    for kid in group.Kids:
        kid.AS = (
            pikepdf.Name(f"/{state}") if f"/{state}" in kid.AP.N else pikepdf.Name.Off
        )
    if value is None:
        del group["/V"]
    else:
        group.V = value


def test_newest_incremental_update_wins(tmp_path, booklet_pdf):
    path = tmp_path / "twice.pdf"
    shutil.copyfile(booklet_pdf, path)
    for level, text in ((1, "first answer"), (3, "second answer")):
        doc = pymupdf.open(path)
        pages = [doc[i] for i in range(len(doc))]
        for page in pages:
            for widget in page.widgets():
                if widget.field_name == "level:C4:end" and widget.on_state() == str(
                    level
                ):
                    widget.field_value = True
                    widget.update()
                if widget.field_name == "action:B:2:notes":
                    widget.field_value = text
                    widget.update()
        doc.saveIncr()
        doc.close()
    data = path.read_bytes()
    assert data.startswith(booklet_pdf.read_bytes()) and data.count(b"%%EOF") >= 3

    answers = _read(path)
    assert answers["ratings"]["C4"]["end"] == 3
    assert answers["actions"]["B"][0]["notes"] == "second answer"
    assert answers["warnings"] == []


def test_level_recorded_only_on_the_buttons(tmp_path, booklet_pdf):
    path = _craft(
        booklet_pdf, tmp_path, lambda pdf: _tick(_group(pdf, "level:C5:begin"), "2")
    )
    answers = _read(path)
    assert answers["ratings"]["C5"]["begin"] == 2
    assert answers["warnings"] == []


def test_level_recorded_only_on_the_group(tmp_path, booklet_pdf):
    def edit(pdf):
        _group(pdf, "level:C5:begin").V = pikepdf.Name("/4")

    answers = _read(_craft(booklet_pdf, tmp_path, edit))
    assert answers["ratings"]["C5"]["begin"] == 4
    (warning,) = answers["warnings"]
    assert warning["kind"] == "value-without-tick"
    assert warning["item"] == "C5" and warning["moment"] == "begin"


@pytest.mark.filterwarnings("ignore::pikepdf.exceptions.PageCopyWarning")
@pytest.mark.parametrize("keep_value", [True, False], ids=["value-kept", "value-lost"])
def test_chosen_button_detached_from_its_group(tmp_path, booklet_pdf, keep_value):
    """As macOS Preview is reported to save: the chosen button leaves the group."""

    def edit(pdf):
        group = _group(pdf, "level:I2:end")
        _tick(group, "3", pikepdf.Name("/3") if keep_value else None)
        chosen = _kid(group, "3")
        group.Kids = pikepdf.Array([k for k in group.Kids if k.objgen != chosen.objgen])
        del chosen["/Parent"]
        chosen.T = pikepdf.String("level:I2:end")
        chosen.FT = pikepdf.Name.Btn

    answers = _read(_craft(booklet_pdf, tmp_path, edit))
    assert answers["ratings"]["I2"]["end"] == 3
    assert answers["warnings"] == []


@pytest.mark.parametrize(
    "value",
    [pikepdf.String("3"), pikepdf.String("/3"), pikepdf.Name("/3")],
    ids=["text", "text-with-slash", "name"],
)
def test_group_value_as_name_or_text(tmp_path, booklet_pdf, value):
    path = _craft(
        booklet_pdf,
        tmp_path,
        lambda pdf: _tick(_group(pdf, "level:C6:end"), "3", value),
    )
    answers = _read(path)
    assert answers["ratings"]["C6"]["end"] == 3
    assert answers["warnings"] == []


def test_text_in_utf16_and_pdfdocencoding(tmp_path, booklet_pdf):
    def edit(pdf):
        fields = {str(f.T): f for f in pdf.Root.AcroForm.Fields}
        fields["owner"].V = pikepdf.String(
            b"\xfe\xff" + "Zoë 陳大文 🙂".encode("utf-16-be")
        )
        # PDFDocEncoding: 0xEB is ë, 0x84 is an em dash, 0x0D a line break.
        fields["action:E:1:action"].V = pikepdf.String(b"Zo\xeb \x84 Ch\xe2teau\rnext")

    answers = _read(_craft(booklet_pdf, tmp_path, edit))
    assert answers["owner"] == "Zoë 陳大文 🙂"
    assert answers["actions"]["E"][0]["action"] == "Zoë — Château\nnext"


def test_cells_of_spaces_only_are_empty(tmp_path, booklet_pdf):
    def edit(pdf):
        fields = {str(f.T): f for f in pdf.Root.AcroForm.Fields}
        fields["owner"].V = pikepdf.String("   ")
        fields["action:B:1:action"].V = pikepdf.String("Meet the head")
        fields["action:B:1:by_whom"].V = pikepdf.String("  \n ")
        fields["action:B:2:notes"].V = pikepdf.String("\t ")

    answers = _read(_craft(booklet_pdf, tmp_path, edit))
    assert answers["owner"] is None
    assert answers["actions"]["B"] == [
        {
            "row": 1,
            "action": "Meet the head",
            "by_whom": None,
            "by_when": None,
            "notes": None,
        }
    ]


def test_renamed_on_state_is_known_by_its_place(tmp_path, booklet_pdf):
    """Some tools rename a button's on-state (to /Yes, /Choice3, ...)."""

    def edit(pdf):
        group = _group(pdf, "level:C10:begin")
        kid = _kid(group, "1")
        normal = kid.AP.N
        normal["/Choice1"] = normal["/1"]
        del normal["/1"]
        for other in group.Kids:
            other.AS = pikepdf.Name.Off
        kid.AS = pikepdf.Name("/Choice1")
        group.V = pikepdf.Name("/Choice1")

    answers = _read(_craft(booklet_pdf, tmp_path, edit))
    assert answers["ratings"]["C10"]["begin"] == 1
    assert answers["warnings"] == []


def test_disagreement_follows_the_ticked_box_and_warns(tmp_path, booklet_pdf):
    path = _craft(
        booklet_pdf,
        tmp_path,
        lambda pdf: _tick(_group(pdf, "level:C11:end"), "1", pikepdf.Name("/4")),
    )
    answers = _read(path)
    assert answers["ratings"]["C11"]["end"] == 1
    (warning,) = answers["warnings"]
    assert warning["kind"] == "value-conflict" and warning["item"] == "C11"
    assert "C11" in warning["message"]


def test_several_ticked_boxes_warn(tmp_path, booklet_pdf):
    def edit(pdf):
        group = _group(pdf, "level:C12:begin")
        for kid in group.Kids:
            state = next(k for k in kid.AP.N.keys() if k != "/Off")
            kid.AS = pikepdf.Name(state) if state in ("/0", "/2") else pikepdf.Name.Off
        group.V = pikepdf.Name("/2")

    answers = _read(_craft(booklet_pdf, tmp_path, edit))
    assert answers["ratings"]["C12"]["begin"] == 2
    assert [w["kind"] for w in answers["warnings"]] == ["several-ticked"]


def test_field_tree_loop_ends(tmp_path, booklet_pdf):
    def edit(pdf):
        group = _group(pdf, "level:C13:end")
        first = group.Kids[0]
        first.Kids = pikepdf.Array([group])  # a loop back to the parent
        first.T = pikepdf.String("loop")

    result = run_sssp("read", _craft(booklet_pdf, tmp_path, edit))
    assert result.returncode == 0, result.stderr


def test_strings_and_names_that_do_not_decode_are_read_as_far_as_they_go(
    tmp_path, booklet_pdf
):
    def edit(pdf):
        note = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name("/StampXYZ"),
            Rect=[100, 100, 200, 150],
            Contents=pikepdf.String(b"\xef\xbb\xbfok \x9d"),
        )
        pdf.pages[3].obj.Annots.append(pdf.make_indirect(note))
        fields = {str(f.T): f for f in pdf.Root.AcroForm.Fields}
        fields["action:A:1:notes"].V = pikepdf.String(
            b"\xfe\xff\x00A\xd8"
        )  # a UTF-16 string cut short

    crafted = _craft(booklet_pdf, tmp_path, edit)
    raw = crafted.read_bytes()
    assert raw.count(b"/StampXYZ") == 1
    crafted.write_bytes(
        raw.replace(b"/StampXYZ", b"/Stamp\x9d\xfe\xff")
    )  # a name that is not UTF-8
    answers = _read(crafted)
    comments = [w for w in answers["warnings"] if w["kind"] == "comment"]
    assert [c["text"] for c in comments] == ["ok \ufffd"]
    assert answers["actions"]["A"][0]["notes"].startswith("A")
