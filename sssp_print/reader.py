"""A filled booklet PDF -> its answers as plain data (the JSON of ``sssp read``).

The booklet is read through the field map stored in it (see identity.py), so
the framework YAML is not needed and a booklet of an older content version is
read correctly. Viewers save forms in different ways; where a radio group's
value and its ticked button disagree, the ticked button wins (it is what the
person saw, and what prints), and a warning names the item.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import zlib
from pathlib import Path
from typing import Any, NamedTuple

import pikepdf

from . import fieldnames
from .errors import ReadError
from .identity import IDENTITY_FORMAT, IDENTITY_KEY

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
MAX_FIELD_DEPTH = 32
MAX_MAP_BYTES = 16 * 2**20  # a real map is well under 1 MB


def read_booklet(path: str | Path) -> dict[str, Any]:
    """Read every answer of a returned booklet.

    Raises:
        ReadError: the file is not a readable booklet; ``kind`` says why.
    """
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ReadError("empty", path, "the file is empty (0 bytes)")
    except OSError:
        pass  # open() below says what is wrong
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise ReadError("encrypted", path, "needs a password to open") from None
    except FileNotFoundError:
        raise ReadError("missing", path, "no such file") from None
    except IsADirectoryError:
        raise ReadError("missing", path, "is a folder, not a PDF file") from None
    except pikepdf.PdfError as exc:
        if _looks_unlike_pdf(path):
            raise ReadError("not-pdf", path, "not a PDF file") from None
        raise ReadError(
            "damaged",
            path,
            f"a damaged PDF that could not be repaired ({_first_line(exc, path)})",
        ) from None
    with pdf:
        repaired = bool(pdf.get_warnings())
        answers = _read_open(pdf, path)
    if repaired:
        answers["warnings"].insert(
            0,
            _warning(
                "repaired",
                None,
                None,
                "the file is damaged (cut short, or changed by a tool) and was repaired "
                "to be read; answers may be missing",
            ),
        )
    return answers


def _read_open(pdf: pikepdf.Pdf, path: Path) -> dict[str, Any]:
    acroform = pdf.Root.get("/AcroForm")
    top_fields = (
        acroform.get("/Fields") if isinstance(acroform, pikepdf.Dictionary) else None
    )
    if not isinstance(top_fields, pikepdf.Array) or len(top_fields) == 0:
        raise ReadError(
            "no-fields",
            path,
            "has no form fields (a printed-to-PDF or flattened copy?); "
            "ask for the saved booklet itself",
        )
    fields = _collect_fields(top_fields)
    warnings: list[dict[str, Any]] = []
    parsed = _identity(pdf, path)
    if parsed is None:
        parsed = _identity_from_fields(fields)
        if parsed is not None:
            warnings.append(
                _warning(
                    "no-field-map",
                    None,
                    None,
                    "the app that saved this file dropped the booklet's field map; the answers "
                    "were read by the fields' names, which is as good unless the app also renamed them",
                )
            )
    if parsed is None:
        raise ReadError(
            "not-booklet", path, "is a PDF form, but not a booklet made by sssp-print"
        )

    identity, meanings = parsed
    layout = identity.get("buttons", {})
    page_annots: dict[int, list] = {}
    scale = set(identity.get("scale", []))
    item_ids = [item["id"] for item in identity.get("items", [])]
    moments = list(identity.get("moments", []))
    tables = list(identity.get("tables", []))
    columns = list(identity.get("columns", []))

    owner = None
    ratings: dict[str, dict[str, int | None]] = {
        i: {m: None for m in moments} for i in item_ids
    }
    cells: dict[str, dict[int, dict[str, str | None]]] = {t: {} for t in tables}

    for name, meaning in meanings.items():
        field = fields.get(name)
        if field is None:
            if meaning.role != fieldnames.CLEAR:
                warnings.append(
                    _warning(
                        "missing-field",
                        meaning.item or meaning.table,
                        meaning.moment,
                        f"the field '{name}' is missing from the file",
                    )
                )
            continue
        if meaning.role == fieldnames.OWNER:
            owner = _text(field)
            owner = owner if owner.strip() else None
        elif meaning.role == fieldnames.LEVEL and meaning.item in ratings:
            widgets = _group_widgets(pdf, field, layout.get(name, []), page_annots)
            level = _radio_level(widgets, field.value, meaning, scale, warnings)
            ratings[meaning.item][meaning.moment] = level
        elif meaning.role == fieldnames.ACTION and meaning.table in cells:
            text = _text(field)
            if text.strip():  # a cell of spaces only is empty
                cells[meaning.table].setdefault(meaning.row, {})[meaning.column] = text

    actions: dict[str, list[dict[str, Any]]] = {}
    for table in tables:
        rows = []
        for row_number in sorted(cells[table]):
            row = cells[table][row_number]
            if not any(v.strip() for v in row.values()):
                continue
            rows.append({"row": row_number, **{c: row.get(c) for c in columns}})
        actions[table] = rows

    warnings.extend(_comments(pdf))
    framework = identity.get("framework", {})
    return {
        "schema_version": SCHEMA_VERSION,
        "framework": {
            "id": framework.get("id"),
            "version": framework.get("version"),
            "content_hash": framework.get("content_hash"),
        },
        "booklet_id": identity.get("booklet_id") or None,
        "participant_id": identity.get("participant_id") or None,
        "owner": owner,
        "ratings": ratings,
        "actions": actions,
        "warnings": warnings,
    }


# Annotations that are part of the booklet, or carry no words of their own.
_FORM_ANNOTATIONS = {"/Widget", "/Link", "/Popup"}


def _comments(pdf: pikepdf.Pdf) -> list[dict[str, Any]]:
    """Answers written outside the fields: a viewer's comments and text boxes.

    Their text is copied into the warning (the JSON is the data); messages
    and logs never quote it.
    """
    found = []
    for index, page in enumerate(pdf.pages, start=1):
        annots = page.obj.get("/Annots")
        if not isinstance(annots, pikepdf.Array):
            continue
        for annot in annots:
            if not isinstance(annot, pikepdf.Dictionary):
                continue
            subtype = annot.get("/Subtype")
            if subtype in _FORM_ANNOTATIONS:
                continue
            contents = annot.get("/Contents")
            text = (
                pdf_text(contents).replace("\r\n", "\n").replace("\r", "\n")
                if contents is not None
                else ""
            )
            kind = pdf_text(subtype)[1:] if subtype is not None else "annotation"
            warning = _warning(
                "comment",
                None,
                None,
                f"a {kind} annotation on page {index} is outside the form fields"
                + (
                    "; its text is copied into the JSON"
                    if text.strip()
                    else " (it holds no text: look at the page)"
                ),
            )
            warning["page"] = index
            warning["text"] = text
            found.append(warning)
    return found


def _identity(pdf: pikepdf.Pdf, path: Path) -> _Identity | None:
    stream = pdf.Root.get(IDENTITY_KEY)
    if not isinstance(stream, pikepdf.Stream):
        return None
    try:
        return _parse_identity(_bounded_bytes(stream, path))
    except (ValueError, TypeError, KeyError, pikepdf.PdfError):
        return None


MAX_LABEL_CHARS = 4096


def _identity_from_fields(fields: dict[str, _Field]) -> _Identity | None:
    """The identity rebuilt from the hidden booklet field and the field names,
    for a file whose catalog entry an app dropped."""
    label_field = fields.get(fieldnames.booklet_field())
    label = _text(label_field) if label_field is not None else ""
    if not label or len(label) > MAX_LABEL_CHARS:
        return None
    try:
        data = json.loads(label)
    except ValueError:
        return None
    if (
        not isinstance(data, dict)
        or data.get("format") != IDENTITY_FORMAT
        or not isinstance(data.get("framework"), dict)
    ):
        return None
    meanings = {
        name: m for name in fields if (m := fieldnames.meaning_of(name)) is not None
    }
    levels = [m for m in meanings.values() if m.role == fieldnames.LEVEL]
    if not levels:
        return None
    actions = [m for m in meanings.values() if m.role == fieldnames.ACTION]
    states = {
        level
        for name, m in meanings.items()
        if m.role == fieldnames.LEVEL
        for widget in fields[name].widgets
        for key in normal_states(widget)
        if (level := fieldnames.parse_level_state(key)) is not None
    }
    data = {
        **data,
        "scale": sorted(states),
        "moments": list(dict.fromkeys(m.moment for m in levels)),
        "items": [{"id": item} for item in dict.fromkeys(m.item for m in levels)],
        "tables": list(dict.fromkeys(m.table for m in actions)),
        "columns": list(dict.fromkeys(m.column for m in actions)),
        "buttons": {},
    }
    return _Identity(data, meanings)


def normal_states(widget: pikepdf.Dictionary) -> list[str]:
    """The state names of a button's normal appearances, such as "/2" and "/Off"."""
    appearance = widget.get("/AP")
    normal = (
        appearance.get("/N") if isinstance(appearance, pikepdf.Dictionary) else None
    )
    return (
        [str(key) for key in normal.keys()]
        if isinstance(normal, pikepdf.Dictionary)
        and not isinstance(normal, pikepdf.Stream)
        else []
    )


class _Identity(NamedTuple):
    data: dict[str, Any]
    meanings: dict[str, fieldnames.FieldMeaning]


# A harvest reads hundreds of booklets that share one map: parse it once.
# The parsed map is shared between files, so nothing may change it.
@functools.lru_cache(maxsize=8)
def _parse_identity(raw: bytes) -> _Identity | None:
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict) or data.get("format") != IDENTITY_FORMAT:
        return None
    meanings = {
        name: fieldnames.FieldMeaning.from_json(meaning)
        for name, meaning in data.get("fields", {}).items()
    }
    return _Identity(data, meanings)


def _bounded_bytes(stream: pikepdf.Stream, path: Path) -> bytes:
    """A stream's decoded bytes, refusing more than MAX_MAP_BYTES.

    A crafted file can hide gigabytes behind a few compressed kilobytes; a
    Flate stream is inflated step by step so that it never gets that far.
    """
    if stream.get("/Filter") != pikepdf.Name.FlateDecode or "/DecodeParms" in stream:
        data = stream.read_bytes()
    else:
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(stream.read_raw_bytes(), MAX_MAP_BYTES + 1)
        except zlib.error as exc:
            raise ValueError(str(exc)) from None
    if len(data) > MAX_MAP_BYTES:
        raise ReadError(
            "too-large",
            path,
            f"its field map unpacks to over {MAX_MAP_BYTES // 2**20} MB; a crafted file? not read",
        )
    return data


class _Field:
    """A terminal field: its inherited value and its widgets."""

    __slots__ = ("value", "widgets")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.widgets: list[pikepdf.Dictionary] = []


def _collect_fields(top_fields: pikepdf.Array) -> dict[str, _Field]:
    """Walk the field tree into fully qualified name -> field.

    A kid with a /T is a field of its own; a kid without one is a widget of
    its parent. Loops in a crafted file are cut by remembering visited objects.
    """
    fields: dict[str, _Field] = {}
    seen: set[tuple[int, int]] = set()

    def walk(
        node: pikepdf.Object, prefix: str, inherited_value: Any, depth: int
    ) -> None:
        if not isinstance(node, pikepdf.Dictionary) or depth > MAX_FIELD_DEPTH:
            return
        if node.is_indirect:
            if node.objgen in seen:
                return
            seen.add(node.objgen)
        partial = node.get("/T")
        name = prefix
        if partial is not None:
            name = f"{prefix}.{pdf_text(partial)}" if prefix else pdf_text(partial)
        value = node.get("/V", inherited_value)
        kids = node.get("/Kids")
        field_kids = []
        widget_kids = []
        if isinstance(kids, pikepdf.Array):
            for kid in kids:
                if isinstance(kid, pikepdf.Dictionary) and "/T" in kid:
                    field_kids.append(kid)
                else:
                    widget_kids.append(kid)
        for kid in field_kids:
            walk(kid, name, value, depth + 1)
        if field_kids and not widget_kids:
            return
        field = fields.get(name)
        if field is None:
            field = fields[name] = _Field(value)
        if widget_kids:
            field.widgets.extend(
                k for k in widget_kids if isinstance(k, pikepdf.Dictionary)
            )
        else:
            field.widgets.append(node)

    for top in top_fields:
        walk(top, "", None, 0)
    return fields


def _text(field: _Field) -> str:
    value = field.value
    if isinstance(value, pikepdf.Stream):  # rich text values are rare
        try:
            value = value.read_bytes().decode("utf-8", "replace")
        except pikepdf.PdfError:
            return ""
    if value is None or isinstance(value, pikepdf.Name):
        return ""
    return pdf_text(value).replace("\r\n", "\n").replace("\r", "\n")


def pdf_text(value: Any) -> str:
    """A PDF string as text. A string whose bytes do not decode (a damaged
    file) keeps what can be read, with U+FFFD for the rest."""
    try:
        return str(value)
    except UnicodeDecodeError:
        if isinstance(value, pikepdf.Name):
            return value.unparse().decode("latin-1")
        raw = bytes(value)
        if raw.startswith((b"\xfe\xff", b"\xff\xfe")):
            return raw.decode("utf-16", "replace")
        if raw.startswith(b"\xef\xbb\xbf"):
            return raw[3:].decode("utf-8", "replace")
        return raw.decode("latin-1")


def pdf_rect(value: Any) -> list[float] | None:
    """A rectangle as [x0, y0, x1, y1] with x0 <= x1 and y0 <= y1, or None
    when the value is not four finite numbers (as in a damaged file)."""
    try:
        numbers = [float(v) for v in value]
    except (TypeError, ValueError):
        return None
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        return None
    x0, y0, x1, y1 = numbers
    return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]


def pdf_int(value: Any, default: int = 0) -> int:
    """An integer entry such as /Ff, or ``default`` when it is not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _rect_key(rect: Any) -> tuple[float, ...] | None:
    found = pdf_rect(rect)
    return tuple(round(v) for v in found) if found is not None else None


def _group_widgets(
    pdf: pikepdf.Pdf,
    field: _Field,
    layout: list[dict[str, Any]],
    page_annots: dict[int, list],
) -> list[tuple[int | None, pikepdf.Dictionary]]:
    """The group's buttons as (level from the booklet's map, widget).

    The map records where each button was built, so a button is known by its
    place even when a viewer renamed its on-state, or (as macOS Preview is
    reported to do) detached the chosen button from its group on saving.
    """
    # The usual case, every button in its group with a level for on-state,
    # needs no look at the places.
    if len(field.widgets) >= len(layout):
        states = [str(w.get("/AS", "/Off")) for w in field.widgets]
        if all(s == "/Off" or s[1:].isdigit() for s in states):
            return [(None, w) for w in field.widgets]

    by_place = {}
    for button in layout:
        key = _rect_key(button.get("rect"))
        if key is not None:
            by_place[key] = (
                fieldnames.parse_level_state(str(button.get("state", ""))),
                button,
            )
    found = []
    placed = set()
    for widget in field.widgets:
        key = _rect_key(widget.get("/Rect"))
        level = by_place[key][0] if key in by_place else None
        placed.add(key)
        found.append((level, widget))

    for key, (level, button) in by_place.items():
        if key in placed:
            continue
        index = button.get("page")
        if not isinstance(index, int) or not 0 <= index < len(pdf.pages):
            continue
        if index not in page_annots:
            annots = pdf.pages[index].obj.get("/Annots")
            page_annots[index] = [
                (_rect_key(a.get("/Rect")), a)
                for a in (annots if isinstance(annots, pikepdf.Array) else [])
                if isinstance(a, pikepdf.Dictionary) and a.get("/Subtype") == "/Widget"
            ]
        for annot_key, annot in page_annots[index]:
            if annot_key == key:
                found.append((level, annot))
                break
    return found


def _level_of_state(
    widgets: list[tuple[int | None, pikepdf.Dictionary]], state: str
) -> int | None:
    """The mapped level of the button whose on-state is ``state``, if any."""
    for mapped_level, widget in widgets:
        try:
            normal = widget.AP.N
        except (AttributeError, KeyError):
            continue
        if isinstance(normal, pikepdf.Dictionary) and f"/{state}" in normal:
            return mapped_level
    return None


def _radio_level(
    widgets: list[tuple[int | None, pikepdf.Dictionary]],
    value: Any,
    meaning: fieldnames.FieldMeaning,
    scale: set[int],
    warnings: list[dict[str, Any]],
) -> int | None:
    """Decide a group's level from its value and its buttons' states.

    The rule: the ticked box wins, since it is what the person saw and what
    prints. The group's value decides only when no box, or more than one,
    shows a tick. Any disagreement is reported as a warning on the item.
    """
    item, moment = meaning.item, meaning.moment
    group_level = None
    if isinstance(value, (pikepdf.Name, pikepdf.String)):
        state = str(value).lstrip("/")
        group_level = fieldnames.parse_level_state(state)
        if group_level not in scale and state not in ("Off", ""):
            group_level = _level_of_state(widgets, state)
        if group_level not in scale:
            group_level = None
            if str(value).lstrip("/") not in ("Off", ""):
                warnings.append(
                    _warning(
                        "unknown-value",
                        item,
                        moment,
                        "the level field holds a value that is not on the scale; ignored",
                    )
                )

    ticked = []
    for mapped_level, widget in widgets:
        state = widget.get("/AS")
        if not isinstance(state, pikepdf.Name) or str(state) == "/Off":
            continue
        level = fieldnames.parse_level_state(str(state))
        if level not in scale:
            level = mapped_level  # an on-state renamed by some tool
        if level in scale and level not in ticked:
            ticked.append(level)

    if len(ticked) == 1:
        if group_level is not None and group_level != ticked[0]:
            warnings.append(
                _warning(
                    "value-conflict",
                    item,
                    moment,
                    f"the ticked box says level {ticked[0]} but the field value says "
                    f"{group_level}; took the ticked box ({ticked[0]})",
                )
            )
        return ticked[0]
    if len(ticked) > 1:
        chosen = group_level if group_level in ticked else None
        warnings.append(
            _warning(
                "several-ticked",
                item,
                moment,
                f"several boxes are ticked ({', '.join(map(str, sorted(ticked)))}); "
                + (
                    f"took the field value ({chosen})"
                    if chosen is not None
                    else "left it empty"
                ),
            )
        )
        return chosen
    if group_level is not None:
        warnings.append(
            _warning(
                "value-without-tick",
                item,
                moment,
                f"no box shows a tick but the field value says level {group_level}; took the value",
            )
        )
    return group_level


def _warning(
    kind: str, item: str | None, moment: str | None, message: str
) -> dict[str, Any]:
    where = f"{item}, {moment}: " if item and moment else (f"{item}: " if item else "")
    return {"kind": kind, "item": item, "moment": moment, "message": where + message}


def _looks_unlike_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(1024)
    except OSError:
        return True
    return b"%PDF-" not in head


def _first_line(exc: Exception, path: Path) -> str:
    """qpdf's own first line, without the file name it starts with."""
    lines = str(exc).strip().splitlines()
    line = lines[0] if lines else type(exc).__name__
    prefix = f"{path}: "
    return line[len(prefix) :] if line.startswith(prefix) else line
