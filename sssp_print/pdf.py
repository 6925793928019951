"""A laid-out ``Booklet`` -> PDF bytes: reportlab paints, pikepdf adds the form.

reportlab draws the pages (text with embedded TrueType subsets, rules,
outline, links). Its own form support is not used: it cuts text at 100
characters, makes radio groups that cannot be cleared and shares one text
appearance between fields. Instead the AcroForm is written here with pikepdf:
every widget gets its own appearance streams, and the booklet's identity and
field map are stored in the document catalog.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import logging
import os
import re
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String
from reportlab.pdfgen.canvas import Canvas

from . import __version__, fieldnames
from .fonts import BOLD, REGULAR, FontSet
from .identity import IDENTITY_KEY, booklet_identity, booklet_label
from .layout import (
    FILLABLE,
    Booklet,
    Circle,
    ClearButton,
    RadioGroup,
    Rect,
    Rule,
    Text,
    TextField,
)
from .sfnt import slim_name_table

log = logging.getLogger(__name__)

# Field flags (PDF 32000-1, 12.7.3.1 and 12.7.4)
FF_READ_ONLY = 1 << 0
FF_MULTILINE = 1 << 12
FF_RADIO = 1 << 15
FF_PUSHBUTTON = 1 << 16
ANNOT_HIDDEN = 1 << 1
ANNOT_PRINT = 1 << 2

TICK_PATH = b"q 0 g 1.5 w 1 J 1 j 2.2 5.6 m 4.5 2.6 l 9 8.7 l S Q\n"


def render_booklet(
    booklet: Booklet,
    fonts: FontSet | None = None,
    booklet_id: str = "",
    participant_id: str = "",
    date: datetime.datetime | None = None,
) -> bytes:
    """Paint the pages and add the form; returns the finished PDF."""
    fonts = fonts or FontSet()
    drawings = (
        _appearance_drawings(booklet, fonts) if booklet.edition == FILLABLE else {}
    )
    painted = _paint(booklet, fonts, list(drawings.values()))
    with pikepdf.open(io.BytesIO(painted)) as pdf:
        looks = _take_scratch_pages(pdf, len(booklet.pages), list(drawings))
        if booklet.edition == FILLABLE:
            _add_form(pdf, booklet, looks)
        identity = booklet_identity(booklet, booklet_id, participant_id)
        payload = json.dumps(
            identity, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        stream = pikepdf.Stream(pdf, zlib.compress(payload.encode("utf-8"), 9))
        stream.Filter = Name.FlateDecode
        pdf.Root[IDENTITY_KEY] = pdf.make_indirect(stream)
        if booklet.edition == FILLABLE:
            _add_booklet_label(pdf, booklet_label(identity))
        pdf.Root.Lang = String(booklet.framework.language)
        # Open on the first page, fitted to the window's width.
        pdf.Root.OpenAction = Array(
            [pdf.pages[0].obj, Name.FitH, booklet.pages[0].height]
        )
        pdf.Root.PageMode = Name.UseOutlines
        # Window title and screen readers announce the title, not the file name.
        pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        if not booklet.framework.author and "/Author" in pdf.docinfo:
            del pdf.docinfo["/Author"]  # reportlab's "anonymous"
        if date is None:
            # reportlab's fixed date in its reproducible mode means nothing.
            for key in ("/CreationDate", "/ModDate"):
                if key in pdf.docinfo:
                    del pdf.docinfo[key]
        else:
            stamp = String(date.strftime("D:%Y%m%d000000Z"))
            pdf.docinfo["/CreationDate"] = stamp
            pdf.docinfo["/ModDate"] = stamp
        tidy_font_subsets(pdf)
        _drop_needless_entries(pdf)
        pdf.remove_unreferenced_resources()
        return save_bytes(pdf)


def _drop_needless_entries(pdf: pikepdf.Pdf) -> None:
    """Entries reportlab writes that say nothing: procedure sets (obsolete
    since PDF 1.4), empty transitions, a zero rotation, empty link texts."""
    for page in pdf.pages:
        for key in ("/Trans", "/Rotate"):
            if key in page.obj and not page.obj[key]:
                del page.obj[key]
        resources = [page.obj.get("/Resources")]
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") == Name.Link and annot.get("/Contents") == "":
                del annot["/Contents"]
            appearance = annot.get("/AP", {}).get("/N")
            if isinstance(appearance, pikepdf.Stream):
                resources.append(appearance.get("/Resources"))
        for resource in resources:
            if isinstance(resource, Dictionary) and "/ProcSet" in resource:
                del resource["/ProcSet"]


# Streams shorter than this are stored as they are: the filter entry and
# zlib's header would make them longer, and forms hold hundreds of them.
COMPRESS_FROM = 64


def save_bytes(pdf: pikepdf.Pdf) -> bytes:
    """The PDF as this package writes every file: reproducibly, compressed,
    with a classic cross-reference table (PDFium's incremental saves of files
    with object streams have been seen to break qpdf)."""
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        filters = obj.get("/Filter")
        if filters is None or isinstance(filters, Name):
            filters = [filters] if filters is not None else []
        elif isinstance(filters, Array):
            filters = list(filters)
        else:
            continue
        if obj.get("/Filter") == Name.FlateDecode or not set(filters) <= {
            Name.FlateDecode,
            Name.ASCII85Decode,
        }:
            continue
        # reportlab wraps most of its streams in ASCII85, a quarter larger
        # than needed.
        try:
            data = obj.read_bytes()
        except pikepdf.PdfError:
            continue  # a damaged stream (in a returned file) is kept as it is
        if len(data) >= COMPRESS_FROM:
            obj.write(zlib.compress(data, 9), filter=Name.FlateDecode)
        elif filters:
            obj.write(data)
    out = io.BytesIO()
    pdf.save(
        out,
        compress_streams=False,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
        object_stream_mode=pikepdf.ObjectStreamMode.disable,
        deterministic_id=True,
    )
    return out.getvalue()


def tidy_font_subsets(pdf: pikepdf.Pdf) -> None:
    """Give every embedded font subset a tag of its own, and drop the
    licence texts its ``name`` table carries (see ``sfnt``).

    reportlab names the first subset of a font ``AAAAAA+Name`` in every
    document it writes, so the pages and each imported appearance would
    carry different subsets under one name; viewers that cache fonts by name
    then draw or extract the wrong characters. The new tag comes from the
    subset's own bytes, so builds stay reproducible.
    """
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font":
            continue
        name = str(obj.get("/BaseFont", ""))
        descriptor = obj.get("/FontDescriptor")
        if not re.match(r"^/[A-Z]{6}\+", name) or not isinstance(
            descriptor, Dictionary
        ):
            continue
        program = descriptor.get("/FontFile2")
        if not isinstance(program, pikepdf.Stream):
            continue
        try:
            slim = slim_name_table(program.read_bytes())
        except pikepdf.PdfError:
            continue  # a damaged font (in a returned file) is left alone
        if len(slim) != program.get("/Length1"):
            program.write(zlib.compress(slim, 9), filter=Name.FlateDecode)
            program.Length1 = len(slim)
        digest = hashlib.sha256(slim).digest()
        tag = "".join(chr(ord("A") + b % 26) for b in digest[:6])
        renamed = Name(f"/{tag}+{name[8:]}")
        obj.BaseFont = renamed
        descriptor.FontName = renamed
        to_unicode = obj.get("/ToUnicode")
        if isinstance(to_unicode, pikepdf.Stream):
            try:
                _fix_astral_to_unicode(to_unicode)
            except pikepdf.PdfError:
                pass


def _fix_astral_to_unicode(cmap: pikepdf.Stream) -> None:
    """Write characters beyond U+FFFF (emoji) as UTF-16 surrogate pairs.

    reportlab writes them as 5 hex digits, which text extraction and screen
    readers decode as a different character.
    """
    text = cmap.read_bytes().decode("latin-1")

    def utf16(match: re.Match) -> str:
        code = chr(int(match.group(2), 16))
        return f"<{match.group(1)}> <{code.encode('utf-16-be').hex().upper()}>"

    fixed = re.sub(r"<([0-9A-F]{2})> <([0-9A-F]{5,6})>", utf16, text)
    if fixed != text:
        cmap.write(fixed.encode("latin-1"))


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private; give it the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- painting ---------------------------------------------------------------


def _paint(booklet: Booklet, fonts: FontSet, scratch: list[Drawing]) -> bytes:
    """The booklet's pages, then one scratch page per appearance drawing.

    Appearances are drawn on the same canvas as the pages so that they use
    the same font subsets; a separate document would embed its own.
    """
    fw = booklet.framework
    buffer = io.BytesIO()
    first = booklet.pages[0]
    # The initial font is one of ours, so no page lists an unused Helvetica.
    initial = fonts.runs("A", REGULAR)[0][0]
    canvas = Canvas(
        buffer,
        pagesize=(first.width, first.height),
        invariant=1,
        pageCompression=1,
        initialFontName=initial,
        initialFontSize=9,
    )
    canvas.setTitle(fw.title)
    if fw.author:
        canvas.setAuthor(fw.author)
    canvas.setSubject(fw.subtitle or fw.title)
    canvas.setCreator(f"sssp-print {__version__}")
    canvas.setKeywords(f"{fw.id} {fw.version}")
    canvas.showOutline()

    for page in booklet.pages:
        canvas.setPageSize((page.width, page.height))
        for mark in page.bookmarks:
            canvas.bookmarkPage(mark.key, fit="XYZ", top=mark.y, left=0)
            canvas.addOutlineEntry(mark.title, mark.key, level=mark.level)
        _paint_page(canvas, page.ops, fonts)
        for link in page.links:
            r = link.rect
            canvas.linkRect(
                "", link.key, (r.x, r.y, r.x + r.w, r.y + r.h), relative=0, thickness=0
            )
        canvas.showPage()
    for drawing in scratch:
        canvas.setPageSize((drawing.width, drawing.height))
        drawing.draw(canvas)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _take_scratch_pages(pdf: pikepdf.Pdf, page_count: int, keys: list) -> dict:
    """Turn the scratch pages after the booklet's pages into form XObjects."""
    looks = {}
    for key, page in zip(keys, pdf.pages[page_count:]):
        looks[key] = page.as_form_xobject()
    del pdf.pages[page_count:]
    return looks


def _paint_page(canvas: Canvas, ops: list, fonts: FontSet) -> None:
    """Rules and boxes first, then all text in one text object.

    Nothing in the layout draws over text, so the order is free; one text
    object, and colours and widths set only when they change, keep the page
    streams small.
    """
    state: dict[str, float] = {}

    def set_once(key: str, value: float, setter) -> None:
        if state.get(key) != value:
            setter(value)
            state[key] = value

    for op in ops:
        if isinstance(op, Rule):
            set_once("stroke", op.gray, canvas.setStrokeGray)
            set_once("width", op.width, canvas.setLineWidth)
            if op.dots:
                canvas.saveState()
                canvas.setLineCap(1)  # round caps on zero-length dashes draw dots
                canvas.setDash([0, op.dots])
                canvas.line(op.x1, op.y1, op.x2, op.y2)
                canvas.restoreState()
            else:
                canvas.line(op.x1, op.y1, op.x2, op.y2)
        elif isinstance(op, Rect):
            if op.fill_gray is not None:
                set_once("fill", op.fill_gray, canvas.setFillGray)
            set_once("stroke", 0.0, canvas.setStrokeGray)
            set_once("width", op.stroke_width, canvas.setLineWidth)
            canvas.rect(
                op.x,
                op.y,
                op.w,
                op.h,
                stroke=int(op.stroke),
                fill=int(op.fill_gray is not None),
            )

        elif isinstance(op, Circle):
            set_once("stroke", 0.0, canvas.setStrokeGray)
            set_once("width", op.stroke_width, canvas.setLineWidth)
            canvas.circle(op.x, op.y, op.r, stroke=1, fill=0)

    texts = [op for op in ops if isinstance(op, Text)]
    if not texts:
        return
    canvas.setLineWidth(0.3)  # the outline of faux bold text, below
    text = canvas.beginText()
    font, fill, outline = None, None, False
    for op in texts:
        x = op.x
        if op.align != "left":
            width = fonts.width(op.text, op.style, op.size)
            x -= width if op.align == "right" else width / 2
        if op.gray != fill:
            text.setFillGray(op.gray)
            text.setStrokeGray(op.gray)
            fill = op.gray
        text.setTextOrigin(x, op.y)
        for font_name, part in fonts.runs(op.text, op.style):
            if (font_name, op.size) != font:
                text.setFont(font_name, op.size)
                font = (font_name, op.size)
            bold = op.style == BOLD and fonts.needs_faux_bold(font_name)
            if bold != outline:
                text.setTextRenderMode(2 if bold else 0)  # 2: fill, then stroke
                outline = bold
            text.textOut(part)
    canvas.drawText(text)


# -- the form -----------------------------------------------------------------


def _rect_array(r: Rect) -> Array:
    return Array(
        [round(r.x, 1), round(r.y, 1), round(r.x + r.w, 1), round(r.y + r.h, 1)]
    )


def _appearance(pdf: pikepdf.Pdf, r: Rect, content: bytes) -> pikepdf.Stream:
    # /Type and an empty /Resources are optional; there are hundreds of these.
    stream = pikepdf.Stream(pdf, content)
    stream.Subtype = Name.Form
    stream.BBox = Array([0, 0, round(r.w, 1), round(r.h, 1)])
    return pdf.make_indirect(stream)


def _add_form(pdf: pikepdf.Pdf, booklet: Booklet, looks: dict) -> None:
    helv = pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type1,
            BaseFont=Name.Helvetica,
            Encoding=Name.WinAnsiEncoding,
        )
    )
    zadb = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.ZapfDingbats)
    )
    box = Rect(0, 0, 11, 11)
    shared_on = _appearance(pdf, box, TICK_PATH)
    # Not empty: pdf.js warns about every empty compressed stream it meets.
    shared_off = _appearance(pdf, box, b"q Q\n")

    fields = Array()
    by_name: dict[str, pikepdf.Object] = {}
    clear_buttons: list[tuple[ClearButton, pikepdf.Object]] = []
    for page_index, page in enumerate(booklet.pages):
        page_obj = pdf.pages[page_index].obj
        annots = page_obj.get("/Annots", Array())
        for spec in page.fields:
            if isinstance(spec, TextField):
                widget = _text_field(pdf, spec, looks.get(_value_key(spec)))
                by_name[spec.name] = widget
                fields.append(widget)
                annots.append(widget)
            elif isinstance(spec, RadioGroup):
                group = _radio_group(pdf, spec, shared_on, shared_off)
                by_name[spec.name] = group
                fields.append(group)
                annots.extend(group.Kids)
            elif isinstance(spec, ClearButton):
                button = _clear_button(pdf, spec, looks[_caption_key(spec)])
                clear_buttons.append((spec, button))
                fields.append(button)
                annots.append(button)
        if len(annots):
            page_obj.Annots = annots
    # The target is named twice, by its name and by reference: PDFium (Chrome,
    # Edge) resets only fields named by text, other readers take either.
    for spec, button in clear_buttons:
        targets = Array([String(spec.target), by_name[spec.target]])
        button.A = Dictionary(S=Name.ResetForm, Fields=targets)  # Flags 0: reset these

    pdf.Root.AcroForm = pdf.make_indirect(
        Dictionary(
            Fields=fields,
            DR=Dictionary(Font=Dictionary(Helv=helv, ZaDb=zadb)),
            DA=String("/Helv 0 Tf 0 g"),
        )
    )


def _add_booklet_label(pdf: pikepdf.Pdf, label: dict) -> None:
    """A hidden, read-only field holding ``label`` as JSON (see identity.py).

    Its default value is the same, so a reader's "clear form" keeps it.
    """
    text = String(
        json.dumps(label, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    )
    field = pdf.make_indirect(
        Dictionary(
            Subtype=Name.Widget,
            FT=Name.Tx,
            T=String(fieldnames.booklet_field()),
            Ff=FF_READ_ONLY,
            F=ANNOT_HIDDEN,
            Rect=Array([0, 0, 0, 0]),
            V=text,
            DV=text,
            AP=Dictionary(N=_appearance(pdf, Rect(0, 0, 0, 0), b"/Tx BMC\nEMC\n")),
        )
    )
    first = pdf.pages[0].obj
    first.Annots = Array([*first.get("/Annots", Array()), field])
    pdf.Root.AcroForm.Fields.append(field)


def _text_field(pdf: pikepdf.Pdf, spec: TextField, value_look) -> pikepdf.Object:
    flags = 0
    if spec.multiline:
        flags |= FF_MULTILINE
    # Each text field gets an appearance of its own: fillers that rewrite an
    # appearance in place would otherwise show one answer in every field.
    look = (
        value_look
        if value_look is not None
        else _appearance(pdf, spec.rect, b"/Tx BMC\nEMC\n")
    )
    widget = Dictionary(
        Subtype=Name.Widget,
        FT=Name.Tx,
        T=String(spec.name),
        TU=String(spec.tooltip),
        F=ANNOT_PRINT,
        Rect=_rect_array(spec.rect),
        AP=Dictionary(N=look),
    )
    if spec.font_size:  # auto size comes from the form's default /DA
        widget.DA = String(f"/Helv {spec.font_size:g} Tf 0 g")
    if flags:
        widget.Ff = flags
    if spec.value:
        widget.V = String(spec.value)
    return pdf.make_indirect(widget)


def _radio_group(pdf: pikepdf.Pdf, spec: RadioGroup, on, off) -> pikepdf.Object:
    group = pdf.make_indirect(
        Dictionary(
            FT=Name.Btn,
            Ff=FF_RADIO,
            T=String(spec.name),
            TU=String(spec.tooltip),
            DA=String("/ZaDb 0 Tf 0 g"),  # inherited by the buttons
            # An explicit "nothing chosen": some viewers mishandle a missing /V.
            V=Name.Off,
            Kids=Array(),
        )
    )
    for button in spec.buttons:
        kid = pdf.make_indirect(
            Dictionary(
                Subtype=Name.Widget,
                Parent=group,
                TU=String(button.tooltip),
                F=ANNOT_PRINT,
                Rect=_rect_array(button.rect),
                AS=Name.Off,
                AP=Dictionary(N=Dictionary({"/" + button.state: on, "/Off": off})),
            )
        )
        group.Kids.append(kid)
    return group


def _clear_button(pdf: pikepdf.Pdf, spec: ClearButton, look) -> pikepdf.Object:
    return pdf.make_indirect(
        Dictionary(
            Subtype=Name.Widget,
            FT=Name.Btn,
            Ff=FF_PUSHBUTTON,
            T=String(spec.name),
            TU=String(spec.tooltip),
            # A screen control: shown but not printed.
            F=0,
            Rect=_rect_array(spec.rect),
            DA=String("/Helv 7 Tf 0 g"),
            MK=Dictionary(CA=String(spec.caption), BG=Array([0.95]), BC=Array([0.55])),
            AP=Dictionary(N=look),
        )
    )


@dataclass(frozen=True)
class Drawing:
    """An appearance drawn by reportlab on a scratch page of its own size."""

    width: float
    height: float
    draw: Callable[[Canvas], None]


def _caption_key(spec: ClearButton) -> tuple:
    return ("caption", round(spec.rect.w, 2), round(spec.rect.h, 2), spec.caption)


def _value_key(spec: TextField) -> tuple:
    return ("value", spec.name)


def _appearance_drawings(booklet: Booklet, fonts: FontSet) -> dict[tuple, Drawing]:
    """What the form needs drawn with the booklet's fonts: the Clear
    captions (one per size and caption) and any pre-filled values."""
    drawings: dict[tuple, Drawing] = {}
    for page in booklet.pages:
        for spec in page.fields:
            if isinstance(spec, ClearButton) and _caption_key(spec) not in drawings:
                drawings[_caption_key(spec)] = _caption_drawing(
                    spec.rect, spec.caption, fonts
                )
            elif isinstance(spec, TextField) and spec.value:
                drawings[_value_key(spec)] = _value_drawing(spec, fonts)
    return drawings


def _caption_drawing(r: Rect, caption: str, fonts: FontSet) -> Drawing:
    def draw(canvas: Canvas) -> None:
        canvas.setFillGray(0.95)
        canvas.setStrokeGray(0.55)
        canvas.setLineWidth(0.6)
        canvas.rect(0.3, 0.3, r.w - 0.6, r.h - 0.6, stroke=1, fill=1)
        width = fonts.width(caption, REGULAR, 7)
        x = (r.w - width) / 2
        canvas.setFillGray(0)
        for name, part in fonts.runs(caption, REGULAR):
            canvas.setFont(name, 7)
            canvas.drawString(x, (r.h - 5) / 2, part)
            x += canvas.stringWidth(part, name, 7)

    return Drawing(r.w, r.h, draw)


def _value_drawing(spec: TextField, fonts: FontSet) -> Drawing:
    """A pre-filled value drawn with the booklet's own Unicode fonts."""
    r = spec.rect
    size = spec.font_size or 11
    while fonts.width(spec.value, REGULAR, size) > r.w - 4 and size > 5:
        size -= 0.5

    def draw(canvas: Canvas) -> None:
        x = 2.0
        canvas.setFillGray(0)
        for name, part in fonts.runs(spec.value, REGULAR):
            canvas.setFont(name, size)
            canvas.drawString(x, (r.h - size) / 2 + 2, part)
            x += canvas.stringWidth(part, name, size)

    return Drawing(r.w, r.h, draw)
