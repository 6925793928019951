"""A ``Framework`` -> pages of positioned text, rules, boxes and field rectangles.

Nothing here draws: the result is plain data that ``pdf.py`` paints. All
coordinates are PDF points from the bottom-left corner of the page. Text is
measured with the same fonts the PDF embeds, so lines never overflow a cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache

import pyphen

from . import fieldnames
from .content import Area, Framework, Item, Statement
from .errors import BookletError
from .fonts import BOLD, REGULAR, FontSet

PAPER_SIZES = {
    "a4": (595.28, 841.89),
    "letter": (612.0, 792.0),
    "a5": (419.53, 595.28),
    "half-letter": (396.0, 612.0),
}
FILLABLE = "fillable"
PRINT = "print"

# (inner, outer, top, bottom): the inner margin leaves room for binding or
# a hole punch. Half-size pages, folded into a booklet, get smaller ones.
MARGINS = {"full": (58.0, 42.0, 60.0, 54.0), "half": (40.0, 26.0, 46.0, 40.0)}


def margins_for(paper: str) -> tuple[float, float, float, float]:
    return MARGINS["half" if PAPER_SIZES[paper][0] < 500 else "full"]


BODY_SIZE = 9.0
BODY_LEADING = 11.0
HEADER_SIZE = 9.0
CELL_PAD = 4.0
BULLET_INDENT = 8.0
STATEMENT_GAP = 3.0
TICK_BOX = 11.0
CAPTION_HEIGHT = 14.0
TICK_ROW_HEIGHT = 22.0
HEADER_FILL = 0.88
CAPTION_FILL = 0.94
WRITING_LINE = 18.0  # between ruled lines for handwriting (6.35 mm, narrow ruled)


# -- what a page holds -------------------------------------------------------


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    style: str = REGULAR
    size: float = BODY_SIZE
    gray: float = 0.0
    align: str = "left"  # or "center", "right": x is then the centre or right edge


@dataclass(frozen=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.5
    gray: float = 0.0
    dots: float = (
        0.0  # when set, a row of round dots this far apart, the first at (x1, y1)
    )


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    stroke_width: float = 0.5
    fill_gray: float | None = None
    stroke: bool = True


@dataclass(frozen=True)
class Circle:
    x: float  # centre
    y: float
    r: float
    stroke_width: float = 0.8


@dataclass(frozen=True)
class TextField:
    name: str
    rect: Rect
    tooltip: str
    multiline: bool = False
    font_size: float = 0.0  # 0: the viewer fits the text to the box
    value: str = ""


@dataclass(frozen=True)
class RadioButton:
    state: str
    rect: Rect
    tooltip: str


@dataclass(frozen=True)
class RadioGroup:
    name: str
    tooltip: str
    buttons: tuple[RadioButton, ...]


@dataclass(frozen=True)
class ClearButton:
    name: str
    rect: Rect
    target: str
    tooltip: str
    caption: str


@dataclass(frozen=True)
class Bookmark:
    title: str
    level: int
    y: float
    key: str


@dataclass(frozen=True)
class Link:
    rect: Rect
    key: str  # the bookmark key it jumps to


@dataclass
class Page:
    width: float
    height: float
    header: str = ""
    ops: list = field(default_factory=list)
    fields: list = field(default_factory=list)
    bookmarks: list[Bookmark] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


@dataclass
class Booklet:
    """The laid-out booklet: pages plus where each area landed."""

    framework: Framework
    paper: str
    edition: str
    pages: list[Page]
    meanings: dict[str, fieldnames.FieldMeaning]
    area_pages: dict[str, tuple[int, int]]
    section_pages: dict[str, tuple[int, int]]


# -- text wrapping -----------------------------------------------------------

# Scripts written without spaces may break between any two characters.
_CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
# A line may also break after a slash or a hyphen ("adjustments/accommodations").
_TOKENS = re.compile(
    rf"\s+|[{_CJK}][\u3001\u3002\uff0c\uff1a\uff1b\uff01\uff1f]?|[^\s{_CJK}/-]+[/-]?|[/-]"
)


_NO_BREAK_AFTER = set("([{（「『【〈《〔“‘")
_NO_BREAK_BEFORE = set(")]}）」』】〉》〕”’、。，：；！？．・…")


def _tokens(text: str) -> list[str]:
    """Pieces between which a line may break; brackets and punctuation stay
    with their neighbours, as in Chinese and Japanese typesetting."""
    return _glued(_TOKENS.findall(text))


def _glued(pieces: list[str]) -> list[str]:
    """The pieces, with closing brackets and stops joined to what comes
    before them and opening brackets to what follows."""
    glued: list[str] = []
    for piece in pieces:
        if (
            glued
            and not piece.isspace()
            and (piece[0] in _NO_BREAK_BEFORE or glued[-1][-1] in _NO_BREAK_AFTER)
        ):
            glued[-1] += piece
        else:
            glued.append(piece)
    return glued


def wrap(
    fonts: FontSet,
    text: str,
    style: str,
    size: float,
    width: float,
    *,
    language: str = "",
    balanced: bool = False,
) -> list[str]:
    """Break text into lines no wider than ``width``; '\\n' forces a break.

    A word wider than the line is hyphenated by the dictionary of
    ``language`` where it has one. ``balanced`` evens out the lines of a
    heading, so that no word is left alone on its last line.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        found = _wrap_paragraph(fonts, paragraph, style, size, width, language)
        if balanced and len(found) > 1:
            found = _balance(fonts, paragraph, style, size, width, language, len(found))
        lines.extend(found)
    return lines


def _balance(
    fonts: FontSet,
    text: str,
    style: str,
    size: float,
    width: float,
    language: str,
    count: int,
) -> list[str]:
    """The narrowest wrapping into ``count`` lines that cuts no word.

    In text without spaces, a heading breaks only after punctuation (such as
    the slash in "主任／學校") when its phrases allow, never inside a word.
    """
    tokens = _tokens(text)
    if _HAS_CJK.search(text):
        phrases = _phrases(text)
        if (
            max(fonts.width(t, style, size) for t in phrases if not t.isspace())
            <= width
        ):
            tokens = phrases
            count = len(
                _wrap_paragraph(fonts, text, style, size, width, language, tokens)
            )
    narrowest = max(fonts.width(t, style, size) for t in tokens if not t.isspace())
    low, high = narrowest, width
    if low >= high:
        return _wrap_paragraph(fonts, text, style, size, width, language, tokens)
    while high - low > 0.5:
        middle = (low + high) / 2
        if (
            len(_wrap_paragraph(fonts, text, style, size, middle, language, tokens))
            <= count
        ):
            high = middle
        else:
            low = middle
    return _wrap_paragraph(fonts, text, style, size, high, language, tokens)


_HAS_CJK = re.compile(f"[{_CJK}]")
_PHRASE_END = set("／/、，。：；！？,;:")


def _phrases(text: str) -> list[str]:
    """Coarser pieces than ``_tokens``: a line may break only at a space or
    after a punctuation mark."""
    pieces: list[str] = []
    current = ""
    for char in text:
        if char.isspace() != current[-1:].isspace() and current:
            pieces.append(current)
            current = ""
        current += char
        if char in _PHRASE_END:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return _glued(pieces)


@cache
def _hyphenator(language: str) -> pyphen.Pyphen | None:
    found = pyphen.language_fallback(language.replace("-", "_")) if language else None
    # At least two letters before a break and three after it.
    return pyphen.Pyphen(lang=found, left=2, right=3) if found else None


def _cut_word(
    fonts: FontSet, word: str, style: str, size: float, width: float, language: str = ""
) -> tuple[str, str]:
    """Split a word wider than the line: (what fits, the rest).

    The cut falls where the language's hyphenation dictionary allows
    ("relation-ships"). Failing that, it goes between letters and leaves at
    least three on each side where it can, so "communication" becomes
    "communica-" and "tion" rather than "communicatio" and "n".
    """

    def fits(cut: int) -> bool:
        hyphen = "-" if word[cut - 1].isalpha() and word[cut].isalpha() else ""
        return fonts.width(word[:cut] + hyphen, style, size) <= width

    dictionary = _hyphenator(language)
    if dictionary is not None:
        core = re.search(r"[^\W\d_]+(?:['’][^\W\d_]+)*", word)
        if core is not None:
            cuts = [core.start() + at for at in dictionary.positions(core.group())]
            fitting = [cut for cut in cuts if fits(cut)]
            if fitting:
                cut = max(fitting)
                return word[:cut] + "-", word[cut:]

    cut = len(word) - 1
    while cut > 1 and not fits(cut):
        cut -= 1
    tail = len(word.rstrip(".,;:!?)”’"))  # punctuation goes with the last letters
    if cut > tail - 3 and tail - 3 >= 3:
        cut = tail - 3
    hyphen = "-" if word[cut - 1].isalpha() and word[cut].isalpha() else ""
    return word[:cut] + hyphen, word[cut:]


def _wrap_paragraph(
    fonts: FontSet,
    text: str,
    style: str,
    size: float,
    width: float,
    language: str = "",
    tokens: list[str] | None = None,
) -> list[str]:
    lines: list[str] = []
    # Spaces that indent a paragraph are kept on its first line.
    current = text[: len(text) - len(text.lstrip(" "))]
    for token in tokens if tokens is not None else _tokens(text):
        if token.isspace():
            if current:
                current += " "
            continue
        candidate = current + token
        if fonts.width(candidate.rstrip(), style, size) <= width:
            current = candidate
            continue
        if current.strip():
            lines.append(current.rstrip())
        current = ""
        while fonts.width(token, style, size) > width and len(token) > 1:
            head, token = _cut_word(fonts, token, style, size, width, language)
            lines.append(head)
        current = token
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


# -- the rubric's cell contents ---------------------------------------------


@dataclass(frozen=True)
class _CellLine:
    dx: float
    text: str
    bullet: str | None
    height: float
    style: str = REGULAR


def _cell_lines(
    fonts: FontSet, statements: tuple[Statement, ...], width: float, language: str
) -> list[_CellLine]:
    lines: list[_CellLine] = []
    text_width = width - BULLET_INDENT
    for statement in statements:
        for i, line in enumerate(
            wrap(
                fonts, statement.text, REGULAR, BODY_SIZE, text_width, language=language
            )
        ):
            lines.append(
                _CellLine(BULLET_INDENT, line, "•" if i == 0 else None, BODY_LEADING)
            )
        for sub in statement.items:
            sub_width = text_width - BULLET_INDENT
            for i, line in enumerate(
                wrap(fonts, sub, REGULAR, BODY_SIZE, sub_width, language=language)
            ):
                lines.append(
                    _CellLine(
                        2 * BULLET_INDENT, line, "–" if i == 0 else None, BODY_LEADING
                    )
                )
        if statement.closing:
            for line in wrap(
                fonts,
                statement.closing,
                REGULAR,
                BODY_SIZE,
                text_width,
                language=language,
            ):
                lines.append(_CellLine(BULLET_INDENT, line, None, BODY_LEADING))
        lines.append(_CellLine(0, "", None, STATEMENT_GAP))
    if lines:
        lines.pop()  # no gap after the last statement
    return lines


def _take(
    lines: list[_CellLine], height: float
) -> tuple[list[_CellLine], list[_CellLine]]:
    """Split a column's lines into what fits in ``height`` and the rest.

    A statement never leaves its first line alone at the foot of a page, nor
    its last line alone at the top of the next.
    """
    used, cut = 0.0, len(lines)
    for i, line in enumerate(lines):
        if used + line.height > height + 0.01:
            cut = i
            break
        used += line.height
    if cut == len(lines):
        return lines, []

    def text(k: int) -> bool:
        return 0 <= k < len(lines) and bool(lines[k].text)

    def last_of_statement(k: int) -> bool:
        return not text(k + 1) or lines[k + 1].bullet is not None

    if (
        cut > 1
        and text(cut)
        and lines[cut].bullet is None
        and last_of_statement(cut)
        and text(cut - 1)
    ):
        cut -= 1  # no last line alone on the next page
    if (
        cut > 1
        and lines[cut - 1].bullet is not None
        and text(cut)
        and lines[cut].bullet is None
    ):
        cut -= 1  # no first line alone on this page
    rest = lines[cut:]
    while rest and not rest[0].text:
        rest = rest[1:]
    return lines[:cut], rest


def _height(lines: list[_CellLine]) -> float:
    return sum(line.height for line in lines)


# -- the page flow -----------------------------------------------------------


class _Flow:
    """Places blocks down the pages, opening a new page when one is full."""

    def __init__(
        self, framework: Framework, fonts: FontSet, paper: str, edition: str
    ) -> None:
        self.fw = framework
        self.fonts = fonts
        self.labels = framework.labels
        self.fillable = edition == FILLABLE
        self.page_w, self.page_h = PAPER_SIZES[paper]
        inner, outer, top, bottom = margins_for(paper)
        self.left = inner
        self.right = self.page_w - outer
        self.width = self.right - self.left
        self.top = self.page_h - top
        self.bottom = bottom
        self.pages: list[Page] = []
        self.y = self.top
        self.header = ""
        self.page_has_content = False
        self.meanings: dict[str, fieldnames.FieldMeaning] = {}

    # pages

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append(Page(self.page_w, self.page_h, header=self.header))
        self.y = self.top
        self.page_has_content = False

    def space_left(self) -> float:
        return self.y - self.bottom

    def fresh_page_space(self) -> float:
        return self.top - self.bottom

    def ensure(self, height: float) -> None:
        if self.space_left() < height and self.y < self.top:
            self.new_page()

    # drawing helpers

    def add(self, op) -> None:
        self.page.ops.append(op)

    def add_field(self, spec, meaning: fieldnames.FieldMeaning) -> None:
        self.page.fields.append(spec)
        self.meanings[spec.name] = meaning

    def paragraph(
        self,
        text: str,
        style: str,
        size: float,
        leading: float,
        indent: float = 0.0,
        gray: float = 0.0,
        balanced: bool = False,
    ) -> None:
        lines = wrap(
            self.fonts,
            text,
            style,
            size,
            self.width - indent,
            language=self.fw.language,
            balanced=balanced,
        )
        for line in lines:
            self.ensure(leading)
            self.y -= leading
            self.add(
                Text(
                    self.left + indent,
                    self.y + (leading - size) * 0.5,
                    line,
                    style,
                    size,
                    gray,
                )
            )

    def bookmark(self, title: str, level: int, key: str) -> None:
        self.page.bookmarks.append(
            Bookmark(title, level, min(self.y + 12, self.page_h), key)
        )


def _content_texts(fw: Framework) -> Iterator[tuple[str, str, str]]:
    """(YAML path, style, text) of every string the booklet prints."""
    yield "title", BOLD, fw.title
    yield "subtitle", REGULAR, fw.subtitle
    yield "owner_label", REGULAR, fw.owner_label
    for key, text in fw.labels.items():
        yield (
            f"labels.{key}",
            BOLD if key in ("contents", "how_to_title") else REGULAR,
            text,
        )
    for i, level in enumerate(fw.scale):
        yield f"scale[{i}].label", BOLD, level.label
    for i, moment in enumerate(fw.moments):
        yield f"moments[{i}].label", BOLD, moment.label
    for i, column in enumerate(fw.action_table.columns):
        yield f"action_table.columns[{i}].label", BOLD, column.label
    for s_index, section in enumerate(fw.sections):
        where = f"sections[{s_index}]"
        yield f"{where}.title", BOLD, section.title
        yield f"{where}.item_label", BOLD, section.item_label
        for a_index, area in enumerate(section.areas):
            area_path = f"{where}.areas[{a_index}]"
            yield f"{area_path}.title", BOLD, area.title
            for i_index, item in enumerate(area.items):
                item_path = (
                    area_path if item.id == area.id else f"{area_path}.items[{i_index}]"
                )
                yield f"{item_path}.title", BOLD, item.title
                for level, statements in item.levels.items():
                    for n, statement in enumerate(statements):
                        path = f"{item_path}.levels[{level}][{n}]"
                        for text in (
                            statement.text,
                            *statement.items,
                            statement.closing or "",
                        ):
                            yield path, REGULAR, text


def check_glyphs(framework: Framework, fonts: FontSet) -> None:
    """Stop the build when the fonts cannot draw a character of the content.

    Raises:
        BookletError: names the file, the first place and every code point.
    """
    missing: dict[str, str] = {}
    for path, style, text in _content_texts(framework):
        for char in text:
            if char not in missing and fonts.lacks(char, style):
                missing[char] = path
    if missing:
        first_path = next(iter(missing.values()))
        codes = ", ".join(f"U+{ord(c):04X}" for c in list(missing)[:8])
        if len(missing) > 8:
            codes += f" and {len(missing) - 8} more"
        raise BookletError(
            f"{framework.source}: the font ({fonts.describe()}) has no glyph for {codes} "
            f"(first used in {first_path}); name a font that has them under 'font:' "
            "in the framework or with --font"
        )


def layout_booklet(
    framework: Framework,
    paper: str = "a4",
    fonts: FontSet | None = None,
    owner: str = "",
    edition: str = FILLABLE,
) -> Booklet:
    """Lay out the whole booklet: cover, contents, areas, action tables.

    The fillable edition carries form fields; the print edition has circles
    to tick and ruled lines to write on instead, and mirrored margins, since
    it is printed on both sides.
    """
    fonts = fonts or FontSet()
    check_glyphs(framework, fonts)

    # Contents entries do not change their line count with the page numbers
    # (room for the numbers is kept), so a first pass with placeholder
    # numbers tells how many pages the contents take.
    placeholder = {a.id: (0, 0) for a in framework.areas()}
    placeholder.update({s.id: (0, 0) for s in framework.sections})
    contents_pages = len(
        _contents_pages(framework, fonts, paper, edition, placeholder, placeholder)
    )

    body = _Flow(framework, fonts, paper, edition)
    body.pages = [Page(body.page_w, body.page_h)] * (1 + contents_pages)
    area_pages, section_pages = _lay_out_body(body)

    cover = _cover_page(framework, fonts, paper, edition, owner)
    contents = _contents_pages(
        framework, fonts, paper, edition, area_pages, section_pages
    )
    assert len(contents) == contents_pages
    pages = [cover.pages[0], *contents, *body.pages[1 + contents_pages :]]

    meanings = {**cover.meanings, **body.meanings}
    total = len(pages)
    inner, outer, _, _ = margins_for(paper)
    for number, page in enumerate(pages, start=1):
        _add_furniture(page, number, total, framework, fonts, inner, outer)
        if edition == PRINT and number % 2 == 0:
            _mirror(page, outer - inner)
    return Booklet(
        framework, paper, edition, pages, meanings, area_pages, section_pages
    )


def _mirror(page: Page, dx: float) -> None:
    """Move everything on a left-hand page across, so its wide margin is inside."""

    def moved(op):
        if isinstance(op, Rule):
            return replace(op, x1=op.x1 + dx, x2=op.x2 + dx)
        if isinstance(op, (Text, Rect, Circle)):
            return replace(op, x=op.x + dx)
        return op

    page.ops = [moved(op) for op in page.ops]
    page.links = [replace(link, rect=moved(link.rect)) for link in page.links]


def _cover_page(
    framework: Framework, fonts: FontSet, paper: str, edition: str, owner: str
) -> _Flow:
    flow = _Flow(framework, fonts, paper, edition)
    flow.new_page()
    flow.y = flow.page_h * 0.78
    for line in wrap(fonts, framework.title, BOLD, 26, flow.width, balanced=True):
        flow.y -= 32
        flow.add(Text(flow.left, flow.y, line, BOLD, 26))
    if framework.subtitle:
        flow.y -= 12
        flow.paragraph(framework.subtitle, REGULAR, 15, 20, balanced=True)
    flow.bookmark(framework.title, 0, "cover")

    flow.y -= 48
    flow.paragraph(framework.owner_label, REGULAR, 11, 15)
    flow.y -= 30
    rect = Rect(flow.left, flow.y, min(340.0, flow.width), 26)
    flow.add(Rule(rect.x, rect.y, rect.x + rect.w, rect.y, 0.6))
    if flow.fillable:
        flow.add_field(
            TextField(
                fieldnames.owner_field(),
                rect,
                framework.labels["owner_tooltip"],
                font_size=12,
                value=owner,
            ),
            fieldnames.FieldMeaning(fieldnames.OWNER),
        )
    elif owner:
        flow.add(Text(rect.x + 2, rect.y + 7, owner, REGULAR, 12))

    # The how-to note sits at the foot of the cover.
    paragraphs = framework.labels["how_to" if flow.fillable else "how_to_print"].split(
        "\n"
    )
    note_lines = sum(
        len(
            wrap(
                fonts,
                p,
                REGULAR,
                BODY_SIZE,
                flow.width - 2 * CELL_PAD,
                language=framework.language,
            )
        )
        for p in paragraphs
    )
    note_height = 18 + note_lines * BODY_LEADING + 4 * len(paragraphs) + 2 * CELL_PAD
    flow.y = flow.bottom + note_height
    top = flow.y
    flow.y -= CELL_PAD
    flow.paragraph(framework.labels["how_to_title"], BOLD, 10, 16, indent=CELL_PAD)
    for text in paragraphs:
        for line in wrap(
            fonts,
            text,
            REGULAR,
            BODY_SIZE,
            flow.width - 2 * CELL_PAD,
            language=framework.language,
        ):
            flow.y -= BODY_LEADING
            flow.add(Text(flow.left + CELL_PAD, flow.y + 2, line, REGULAR, BODY_SIZE))
        flow.y -= 4
    flow.add(Rect(flow.left, flow.bottom, flow.width, top - flow.bottom, 0.5))
    return flow


def _contents_pages(
    framework: Framework,
    fonts: FontSet,
    paper: str,
    edition: str,
    area_pages: dict[str, tuple[int, int]],
    section_pages: dict[str, tuple[int, int]],
) -> list[Page]:
    flow = _Flow(framework, fonts, paper, edition)
    labels = framework.labels
    flow.new_page()
    flow.y -= 8
    flow.paragraph(labels["contents"], BOLD, 18, 24)
    flow.bookmark(labels["contents"], 0, "contents")
    flow.y -= 10

    number_room = (
        fonts.width(labels["pages"].format(first=888, last=888), REGULAR, 10) + 12
    )

    def entry(
        text: str, style: str, indent: float, pages: tuple[int, int], key: str
    ) -> None:
        first, last = pages
        where = (
            labels["page"].format(first=first)
            if first == last
            else labels["pages"].format(first=first, last=last)
        )
        # Lines end short of the page numbers by a few dots' room at least.
        lines = wrap(
            fonts,
            text,
            style,
            10,
            flow.width - indent - number_room - 3 * LEADER_PITCH,
            balanced=True,
        )
        flow.ensure(len(lines) * 14 + 4)
        top = flow.y
        for line in lines:
            flow.y -= 14
            flow.add(Text(flow.left + indent, flow.y + 3, line, style, 10))
        flow.add(Text(flow.right, flow.y + 3, where, REGULAR, 10, align="right"))
        # Dot leaders, ending at one place on every line so that they line up.
        leaders_end = flow.right - number_room + 6
        leaders_start = flow.left + indent + fonts.width(lines[-1], style, 10) + 6
        if leaders_end - leaders_start > 2 * LEADER_PITCH:
            flow.add(
                Rule(
                    leaders_end,
                    flow.y + 3.5,
                    leaders_start,
                    flow.y + 3.5,
                    1.0,
                    0.3,
                    dots=LEADER_PITCH,
                )
            )
        flow.page.links.append(
            Link(
                Rect(
                    flow.left + indent,
                    flow.y,
                    flow.width - indent,
                    top - flow.y,
                    stroke=False,
                ),
                key,
            )
        )
        flow.y -= 4

    for index, section in enumerate(framework.sections, start=1):
        flow.y -= 6
        title = labels["section_title"].format(
            section=labels["section"].format(number=index), title=section.title
        )
        entry(title, BOLD, 0, section_pages[section.id], f"section:{section.id}")
        for area in section.areas:
            entry(
                _area_heading(area, labels),
                REGULAR,
                14,
                area_pages[area.id],
                f"area:{area.id}",
            )
    return flow.pages


LEADER_PITCH = 4.0


def _area_heading(area: Area, labels: dict[str, str]) -> str:
    if not area.number:
        return area.title
    return labels["numbered"].format(number=area.number, title=area.title)


def _lay_out_body(
    flow: _Flow,
) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    fw = flow.fw
    area_pages: dict[str, tuple[int, int]] = {}
    section_pages: dict[str, tuple[int, int]] = {}
    for index, section in enumerate(fw.sections, start=1):
        section_title = fw.labels["section_title"].format(
            section=fw.labels["section"].format(number=index), title=section.title
        )
        section_first = None
        for area_index, area in enumerate(section.areas):
            flow.header = f"{section_title}  ·  {_area_heading(area, fw.labels)}"
            flow.new_page()
            first = len(flow.pages)
            if area_index == 0:
                section_first = first
                flow.paragraph(
                    fw.labels["section"].format(number=index), BOLD, 11, 15, gray=0.35
                )
                flow.bookmark(section_title, 0, f"section:{section.id}")
                flow.paragraph(section.title, BOLD, 20, 26, balanced=True)
                flow.y -= 10
            flow.bookmark(_area_heading(area, fw.labels), 1, f"area:{area.id}")
            flow.paragraph(_area_heading(area, fw.labels), BOLD, 15, 20, balanced=True)
            flow.y -= 4
            rates_itself = len(area.items) == 1 and area.items[0].id == area.id
            for item in area.items:
                _lay_out_item(flow, item, show_heading=not rates_itself)
            _lay_out_action_table(flow, area)
            area_pages[area.id] = (first, len(flow.pages))
        section_pages[section.id] = (section_first or 0, len(flow.pages))
    return area_pages, section_pages


def _column_geometry(flow: _Flow) -> list[tuple[float, float]]:
    """(x, width) of each level column; an empty level-0 column is narrow,
    but never narrower than the longest word of its header."""
    fw = flow.fw
    level_zero_used = any(0 in item.levels for item in fw.items())
    # An empty level-0 column needs room only for its header and tick box.
    empty_share = 0.5 if flow.width > 400 else 0.36
    shares = [
        1.0 if (s.level > 0 or level_zero_used) else empty_share for s in fw.scale
    ]
    needed = [
        max(
            (
                flow.fonts.width(t, BOLD, HEADER_SIZE)
                for t in _tokens(_header_label(fw, s))
                if not t.isspace()
            ),
            default=0.0,
        )
        + 2 * CELL_PAD
        for s in fw.scale
    ]
    unit = flow.width / sum(shares)
    fixed = {i: needed[i] for i, share in enumerate(shares) if share * unit < needed[i]}
    if fixed and len(fixed) < len(shares):
        unit = (flow.width - sum(fixed.values())) / sum(
            share for i, share in enumerate(shares) if i not in fixed
        )
    columns, x = [], flow.left
    for i, share in enumerate(shares):
        w = fixed.get(i, share * unit)
        columns.append((x, w))
        x += w
    return columns


def _header_label(fw: Framework, level) -> str:
    return fw.labels["level_header"].format(label=level.label, level=level.level)


def _header_cells(flow: _Flow, columns: list[tuple[float, float]]) -> list[list[str]]:
    """The level header labels, wrapped to their columns."""
    return [
        wrap(
            flow.fonts,
            _header_label(flow.fw, s),
            BOLD,
            HEADER_SIZE,
            w - 2 * CELL_PAD,
            balanced=True,
        )
        for s, (x, w) in zip(flow.fw.scale, columns)
    ]


def _header_height(flow: _Flow, columns: list[tuple[float, float]]) -> float:
    return (
        max(len(c) for c in _header_cells(flow, columns)) * BODY_LEADING + 2 * CELL_PAD
    )


def _header_row(flow: _Flow, columns: list[tuple[float, float]]) -> None:
    """Draw the level header row at the cursor."""
    cells = _header_cells(flow, columns)
    height = max(len(c) for c in cells) * BODY_LEADING + 2 * CELL_PAD
    top = flow.y
    for lines, (x, w) in zip(cells, columns):
        flow.add(Rect(x, top - height, w, height, 0.5, HEADER_FILL))
        for i, line in enumerate(lines):
            flow.add(
                Text(
                    x + w / 2,
                    top - CELL_PAD - (i + 1) * BODY_LEADING + 2.5,
                    line,
                    BOLD,
                    HEADER_SIZE,
                    align="center",
                )
            )
    flow.y -= height


def _lay_out_item(flow: _Flow, item: Item, show_heading: bool) -> None:
    fw = flow.fw
    columns = _column_geometry(flow)
    cells = [
        _cell_lines(
            flow.fonts, item.levels.get(s.level, ()), w - 2 * CELL_PAD, fw.language
        )
        for s, (x, w) in zip(fw.scale, columns)
    ]
    header_h = _header_height(flow, columns)
    body_h = max(_height(c) for c in cells) + 2 * CELL_PAD
    ticks_h = len(fw.moments) * (CAPTION_HEIGHT + TICK_ROW_HEIGHT)
    heading_lines = (
        wrap(flow.fonts, item.title, BOLD, 11.5, flow.width, balanced=True)
        if show_heading
        else []
    )
    heading_h = (14 + len(heading_lines) * 15 + 4) if show_heading else 0

    # Start on a new page when the block would fit on one but not here; a
    # page holding only headings keeps the block, which then breaks if long.
    whole = heading_h + header_h + body_h + ticks_h + 12
    if (
        flow.page_has_content
        and whole > flow.space_left()
        and (
            whole <= flow.fresh_page_space()
            or flow.space_left() < heading_h + header_h + 8 * BODY_LEADING
        )
    ):
        flow.new_page()
    flow.page_has_content = True

    flow.y -= 6
    if show_heading:
        flow.bookmark(f"{item.number}. {item.title}", 2, f"item:{item.id}")
        flow.y -= 12
        flow.add(Text(flow.left, flow.y, item.display_name, BOLD, 9, gray=0.35))
        for line in heading_lines:
            flow.y -= 15
            flow.add(Text(flow.left, flow.y + 2, line, BOLD, 11.5))
        flow.y -= 4

    # The rubric, continued on as many pages as it needs, header repeated.
    # A break never leaves fewer than MIN_CARRY lines for the next page, so
    # the tick rows there always follow some of their rubric.
    remaining = cells
    segment = 0
    while True:
        if segment:
            flow.new_page()
            flow.y -= 2
            flow.add(
                Text(
                    flow.left,
                    flow.y - 9,
                    fw.labels["continued"].format(item=item.display_name),
                    BOLD,
                    9,
                    gray=0.35,
                )
            )
            flow.y -= 14
        room = _rubric_room(
            remaining, flow.space_left() - header_h - 2 * CELL_PAD, ticks_h
        )
        segment += 1
        if room is None:
            continue
        _header_row(flow, columns)
        taken, rest = zip(*(_take(c, room) for c in remaining))
        finished = not any(rest)
        height = (max(_height(t) for t in taken) if finished else room) + 2 * CELL_PAD
        top = flow.y
        for lines, (x, w) in zip(taken, columns):
            flow.add(Rect(x, top - height, w, height, 0.5))
            y = top - CELL_PAD
            for line in lines:
                y -= line.height
                if line.text:
                    baseline = y + (line.height - BODY_SIZE) * 0.5 + 1
                    if line.bullet:
                        flow.add(
                            Text(
                                x + CELL_PAD + line.dx - BULLET_INDENT + 1,
                                baseline,
                                line.bullet,
                                line.style,
                                BODY_SIZE,
                            )
                        )
                    flow.add(
                        Text(
                            x + CELL_PAD + line.dx,
                            baseline,
                            line.text,
                            line.style,
                            BODY_SIZE,
                        )
                    )
        flow.y -= height
        remaining = list(rest)
        if finished:
            break

    for moment in fw.moments:
        _lay_out_tick_row(flow, item, moment, columns)
    flow.y -= 10


MIN_CARRY = 3 * BODY_LEADING  # the least rubric text carried to a new page
MIN_KEEP = 3 * BODY_LEADING  # the least rubric text worth leaving on a page


def _rubric_room(
    remaining: list[list[_CellLine]], room: float, after: float
) -> float | None:
    """How much rubric text to place here; None to place none and turn over.

    Everything goes here if it fits with the tick rows (``after``) below it.
    Otherwise the break leaves at least MIN_CARRY for the next page, so the
    tick rows never stand alone there.
    """
    full = max(_height(c) for c in remaining)
    if full + 2 * CELL_PAD + after <= room + 2 * CELL_PAD:
        return room
    if full <= room:  # the text fits, but the tick rows would not
        room = full - min(full, MIN_CARRY)
    else:
        room = min(room, full - MIN_CARRY)
    return room if room >= MIN_KEEP else None


def _lay_out_tick_row(flow: _Flow, item: Item, moment, columns) -> None:
    fw, labels = flow.fw, flow.fw.labels
    top = flow.y
    flow.add(
        Rect(
            flow.left,
            top - CAPTION_HEIGHT,
            flow.width,
            CAPTION_HEIGHT,
            0.5,
            CAPTION_FILL,
        )
    )
    flow.add(
        Text(flow.left + CELL_PAD, top - CAPTION_HEIGHT + 4, moment.label, BOLD, 8.5)
    )

    group = fieldnames.level_field(item.id, moment.id)
    where = labels["group_tooltip"].format(item=item.display_name, moment=moment.label)
    if flow.fillable:
        clear_w = max(34.0, flow.fonts.width(labels["clear"], REGULAR, 7) + 10)
        clear_rect = Rect(
            flow.right - clear_w - 3,
            top - CAPTION_HEIGHT + 2,
            clear_w,
            CAPTION_HEIGHT - 4,
        )
        flow.add_field(
            ClearButton(
                fieldnames.clear_field(item.id, moment.id),
                clear_rect,
                group,
                labels["clear_tooltip"].format(
                    item=item.display_name, moment=moment.label
                ),
                labels["clear"],
            ),
            fieldnames.FieldMeaning(fieldnames.CLEAR, item=item.id, moment=moment.id),
        )

    row_top = top - CAPTION_HEIGHT
    buttons = []
    for scale_level, (x, w) in zip(fw.scale, columns):
        flow.add(Rect(x, row_top - TICK_ROW_HEIGHT, w, TICK_ROW_HEIGHT, 0.5))
        centre_y = row_top - TICK_ROW_HEIGHT / 2
        if not flow.fillable:  # an empty circle to tick by hand
            flow.add(Circle(x + w / 2, centre_y, TICK_BOX / 2 + 1))
            continue
        box = Rect(
            x + (w - TICK_BOX) / 2, centre_y - TICK_BOX / 2, TICK_BOX, TICK_BOX, 0.8
        )
        flow.add(box)
        buttons.append(
            RadioButton(
                fieldnames.level_state(scale_level.level),
                box,
                labels["level_tooltip"].format(
                    item=item.display_name,
                    moment=moment.label,
                    level=scale_level.level,
                    label=scale_level.label,
                ),
            )
        )
    if flow.fillable:
        flow.add_field(
            RadioGroup(group, where, tuple(buttons)),
            fieldnames.FieldMeaning(fieldnames.LEVEL, item=item.id, moment=moment.id),
        )
    flow.y = row_top - TICK_ROW_HEIGHT


def _lay_out_action_table(flow: _Flow, area: Area) -> None:
    fw, labels = flow.fw, flow.fw.labels
    table = fw.action_table
    total = sum(c.width for c in table.columns)
    columns, x = [], flow.left
    for column in table.columns:
        w = flow.width * column.width / total
        columns.append((column, x, w))
        x += w
    row_h = (
        (54.0 if flow.fillable else 58.0)
        if any(c.multiline for c in table.columns)
        else 22.0
    )
    header_lines = [
        wrap(flow.fonts, c.label, BOLD, HEADER_SIZE, w - 2 * CELL_PAD, balanced=True)
        for c, x, w in columns
    ]
    header_h = max(len(h) for h in header_lines) * BODY_LEADING + 2 * CELL_PAD
    title = labels["action_plan_title"].format(
        plan=labels["action_plan"], area=_area_heading(area, fw.labels)
    )
    title_lines = wrap(flow.fonts, title, BOLD, 11.5, flow.width, balanced=True)
    title_h = len(title_lines) * 15 + 8

    # The table stays whole when it fits on a page; else it starts with room
    # for three rows and goes on with its header repeated.
    whole = title_h + header_h + table.rows * row_h + 8
    if whole <= flow.fresh_page_space():
        flow.ensure(whole)
    else:
        flow.ensure(title_h + header_h + min(table.rows, 3) * row_h + 8)
    flow.page_has_content = True
    flow.y -= 8
    flow.bookmark(title, 2, f"actions:{area.id}")
    for line in title_lines:
        flow.y -= 15
        flow.add(Text(flow.left, flow.y + 2, line, BOLD, 11.5))
    flow.y -= 6

    def header() -> None:
        top = flow.y
        for lines, (c, x, w) in zip(header_lines, columns):
            flow.add(Rect(x, top - header_h, w, header_h, 0.5, HEADER_FILL))
            for i, line in enumerate(lines):
                flow.add(
                    Text(
                        x + CELL_PAD,
                        top - CELL_PAD - (i + 1) * BODY_LEADING + 2.5,
                        line,
                        BOLD,
                        HEADER_SIZE,
                    )
                )
        flow.y -= header_h

    header()
    for row in range(1, table.rows + 1):
        if flow.space_left() < row_h:
            flow.new_page()
            header()
        top = flow.y
        for column, x, w in columns:
            cell = Rect(x, top - row_h, w, row_h, 0.5)
            flow.add(cell)
            if not flow.fillable:  # ruled lines to write on
                line_y = top - row_h + WRITING_LINE / 2 + 2
                while line_y < top - 8:
                    flow.add(
                        Rule(x + CELL_PAD, line_y, x + w - CELL_PAD, line_y, 0.3, 0.6)
                    )
                    line_y += WRITING_LINE
                continue
            name = fieldnames.action_field(area.id, row, column.id)
            field_h = row_h - 3 if column.multiline else min(row_h - 3, 18.0)
            field_y = top - row_h + (row_h - field_h) / 2
            flow.add_field(
                TextField(
                    name,
                    Rect(x + 1.5, field_y, w - 3, field_h, stroke=False),
                    labels["action_tooltip"].format(
                        plan=labels["action_plan"],
                        area=area.number or area.title,
                        row=row,
                        column=column.label,
                    ),
                    multiline=column.multiline,
                    # Auto size: readers shrink long text to fit the box. A
                    # one-line field is one line high, so none draws it huge.
                ),
                fieldnames.FieldMeaning(
                    fieldnames.ACTION, table=area.id, row=row, column=column.id
                ),
            )
        flow.y -= row_h


def _add_furniture(
    page: Page,
    number: int,
    total: int,
    fw: Framework,
    fonts: FontSet,
    inner: float,
    outer: float,
) -> None:
    """Running header and the page X of Y footer."""
    left, right = inner, page.width - outer
    if page.header:
        size = 7.5
        text = page.header
        if fonts.width(text, REGULAR, size) > right - left:
            # Shorten by whole words; by characters only when one word is too long.
            while (
                fonts.width(text + "…", REGULAR, size) > right - left and len(text) > 1
            ):
                shorter = text.rstrip().rsplit(" ", 1)[0]
                text = shorter if shorter != text.rstrip() else text[:-1]
            text = text.rstrip(" ,;:·") + "…"
        top = page.height - min(36.0, page.height * 0.045)
        page.ops.append(Text(left, top, text, REGULAR, size, gray=0.35))
        page.ops.append(Rule(left, top - 4, right, top - 4, 0.4, 0.5))
    if number > 1:
        page.ops.append(
            Text(
                (left + right) / 2,
                min(30.0, page.height * 0.035),
                fw.labels["page_footer"].format(page=number, pages=total),
                REGULAR,
                8,
                gray=0.3,
                align="center",
            )
        )


def iter_fields(booklet: Booklet) -> Iterator[tuple[int, object]]:
    """Every field spec with its 0-based page index, in reading order."""
    for index, page in enumerate(booklet.pages):
        for spec in page.fields:
            yield index, spec
