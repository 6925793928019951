"""Line breaking as a reader sees it: words cut where a dictionary allows,
headings without a word alone on their last line, brackets kept whole."""

from __future__ import annotations

import re

import pyphen
import pytest

from sssp_print.content import load_framework
from sssp_print.fonts import BOLD, REGULAR, FontSet
from sssp_print.layout import PRINT, Text, layout_booklet, wrap

from .conftest import ROOT

ZH = ROOT / "content" / "examples" / "sssp-zh-hant-sample.yaml"


def _texts(booklet) -> list[list[Text]]:
    return [[op for op in page.ops if isinstance(op, Text)] for page in booklet.pages]


def test_long_words_are_cut_at_dictionary_positions():
    fonts = FontSet()
    width = fonts.width("relationsh-", REGULAR, 9)
    assert wrap(fonts, "relationships", REGULAR, 9, width, language="en-GB") == [
        "relation-",
        "ships",
    ]
    # A language with no dictionary falls back to cutting between letters.
    assert wrap(fonts, "relationships", REGULAR, 9, width, language="") == [
        "relationsh-",
        "ips",
    ]


@pytest.mark.parametrize("paper", ["a5", "half-letter"])
def test_every_cut_in_the_narrow_editions_is_a_dictionary_cut(framework, paper):
    booklet = layout_booklet(framework, paper=paper, edition=PRINT)
    dictionary = pyphen.Pyphen(lang="en_GB")
    words = {
        w.lower()
        for item in framework.items()
        for s in (x for v in item.levels.values() for x in v)
        for text in (s.text, *s.items, s.closing or "")
        for w in re.findall(r"[A-Za-z]+", text)
    }
    cuts = 0
    for texts in _texts(booklet):
        for this, following in zip(texts, texts[1:]):
            head = re.search(r"([A-Za-z]+)-$", this.text)
            tail = re.match(r"([a-z]+)", following.text)
            if not head or not tail:
                continue
            word = head.group(1) + tail.group(1)
            if word.lower() not in words:
                continue  # a compound such as "evidence-based", broken at its own hyphen
            cuts += 1
            assert len(head.group(1)) in dictionary.positions(word), (
                f"{head.group(1)}-{tail.group(1)}"
            )
    assert cuts > 0, "the narrow editions do need some cuts"


def test_headings_and_headers_leave_no_word_alone():
    fonts = FontSet()
    header = "Emerging Confidence (1)"
    width = fonts.width("Emerging Confidence", BOLD, 8) + 1
    assert wrap(fonts, header, BOLD, 8, width) == ["Emerging Confidence", "(1)"]
    assert wrap(fonts, header, BOLD, 8, width, balanced=True) == [
        "Emerging",
        "Confidence (1)",
    ]


def test_level_headers_keep_their_number_with_the_label(framework):
    booklet = layout_booklet(framework)
    lone = [
        t.text
        for texts in _texts(booklet)
        for t in texts
        if re.fullmatch(r"\(\d\)", t.text)
    ]
    assert not lone


def test_chinese_headers_never_start_a_line_with_a_closing_bracket():
    booklet = layout_booklet(load_framework(ZH), paper="a5", edition=PRINT)
    lines = [t.text for texts in _texts(booklet) for t in texts]
    assert "（0）" in "".join(lines)
    assert not [line for line in lines if line[:1] in "）)、。，"]


def test_running_header_is_shortened_at_a_word(framework):
    booklet = layout_booklet(framework, paper="a5", edition=PRINT)
    headers = {page.header for page in booklet.pages if page.header}
    shortened = [
        t.text
        for texts in _texts(booklet)
        for t in texts
        if t.text.endswith("…") and t.size == 7.5
    ]
    assert shortened, "some A5 headers are too long for the line"
    for text in shortened:
        stem = text[:-1]
        full = next(h for h in headers if h.startswith(stem))
        assert full[len(stem)] == " " or full[len(stem) - 1] in ",;:", text


def _statement(bullet: str, count: int) -> list:
    from sssp_print.layout import _CellLine

    return [
        _CellLine(7.0, f"{bullet} line {n}", bullet if n == 0 else None, 10.0)
        for n in range(count)
    ]


def test_a_break_leaves_no_statement_line_alone():
    from sssp_print.layout import _CellLine, _take

    gap = [_CellLine(0, "", None, 4.0)]
    lines = _statement("a", 4) + gap + _statement("b", 4) + gap + _statement("c", 2)

    def texts(part):
        return [line.text for line in part if line.text]

    # Room for "a", the gap and b's first line: that line moves on with the rest of b.
    taken, rest = _take(lines, 55.0)
    assert (
        texts(taken) == [f"a line {n}" for n in range(4)]
        and texts(rest)[0] == "b line 0"
    )
    # Room for all of b but its last line: its last two lines move on together.
    taken, rest = _take(lines, 74.0)
    assert texts(taken)[-1] == "b line 1" and texts(rest)[:2] == [
        "b line 2",
        "b line 3",
    ]
    # A plain break inside a statement is left alone.
    taken, rest = _take(lines, 64.0)
    assert texts(taken)[-1] == "b line 1" and texts(rest)[0] == "b line 2"
    # Everything that fits, fits.
    assert _take(lines, 200.0) == (lines, [])


def test_contents_entries_have_dot_leaders_that_line_up(framework, booklet_layout):
    from sssp_print.layout import Rule

    contents = booklet_layout.pages[1]
    leaders = [op for op in contents.ops if isinstance(op, Rule) and op.dots]
    entries = 2 + sum(len(section.areas) for section in framework.sections)
    assert len(leaders) == entries
    assert len({round(op.x1, 2) for op in leaders}) == 1, (
        "every row of dots ends at one place"
    )
    numbers = [
        op for op in contents.ops if isinstance(op, Text) and op.align == "right"
    ]
    assert all(op.x1 < number.x - 20 for op, number in zip(leaders, numbers))


def test_chinese_headings_break_after_punctuation_not_inside_a_word():
    booklet = layout_booklet(load_framework(ZH))
    cover = [t.text for t in _texts(booklet)[0] if t.size == 26]
    assert cover == ["特殊教育統籌主任／", "學校成功規劃冊（SSSP）"]


@pytest.mark.parametrize("paper", ["a5", "half-letter"])
def test_every_contents_entry_keeps_some_dots_on_narrow_pages(framework, paper):
    from sssp_print.layout import Rule

    booklet = layout_booklet(framework, paper=paper, edition=PRINT)
    contents = booklet.pages[1]
    leaders = [op for op in contents.ops if isinstance(op, Rule) and op.dots]
    assert len(leaders) == 2 + sum(len(section.areas) for section in framework.sections)
    assert all(op.x1 - op.x2 >= 3 * op.dots for op in leaders)
