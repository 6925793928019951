"""Font files in ``fonts/`` -> registered reportlab fonts, text widths, glyph runs.

Each style (regular, bold, italic) is a chain of TrueType files: the first
font that has a glyph for a character draws it. Layout measures text through
this module so that what it measures is what the PDF draws.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from .errors import BookletError

log = logging.getLogger(__name__)

REGULAR = "regular"
BOLD = "bold"
ITALIC = "italic"

# style -> font files, first choice first. DejaVu covers Latin, Greek and
# Cyrillic; Droid Sans Fallback (TrueType outlines, unlike Noto CJK, which
# reportlab cannot embed) covers Chinese, Japanese and Korean; Symbola draws
# emoji in black and white. A fallback file is opened only when a text needs it.
FALLBACKS = ("DroidSansFallbackFull.ttf", "Symbola.ttf")
DEFAULT_CHAINS: dict[str, tuple[str, ...]] = {
    REGULAR: ("DejaVuSansCondensed.ttf", *FALLBACKS),
    BOLD: ("DejaVuSansCondensed-Bold.ttf", *FALLBACKS),
    ITALIC: ("DejaVuSansCondensed-Oblique.ttf", *FALLBACKS),
}


def fonts_dir() -> Path:
    return Path(str(resources.files("sssp_print.shipped_fonts")))


@dataclass(frozen=True)
class _Face:
    name: str
    font: TTFont

    def has_glyph(self, char: str) -> bool:
        return ord(char) in self.font.face.charToGlyph


@cache
def _face(path: str) -> _Face:
    # reportlab keeps one registry for the process: two files of the same
    # name in different folders must not take each other's place.
    name = f"sssp-{Path(path).stem}-{hashlib.sha1(path.encode()).hexdigest()[:8]}"
    log.debug("loading font %s", Path(path).name)
    try:
        font = TTFont(name, path)
    except Exception as exc:  # reportlab raises bare Exception/TTFError types
        raise BookletError(f"{path}: cannot use this font ({exc})") from None
    pdfmetrics.registerFont(font)
    return _Face(name, font)


def chains_for(
    chosen: dict[str, tuple[str, ...]], base: Path | None
) -> dict[str, tuple[str, ...]]:
    """Font chains for files a framework or the command line names.

    Chosen fonts stand alone, with no fallback of ours, so that the build can
    say when they lack a character. A relative name is looked for beside the
    framework file, then among the shipped fonts.
    """
    chains = {}
    for style, names in chosen.items():
        found = []
        for name in names:
            path = Path(name)
            if not path.is_absolute() and base is not None and (base / path).exists():
                path = base / path
            elif not path.is_absolute() and (fonts_dir() / path).exists():
                path = fonts_dir() / path
            if not path.exists():
                raise BookletError(
                    f"{name}: font file not found (looked beside the framework and in fonts/)"
                )
            found.append(str(path.resolve()))
        chains[style] = tuple(found)
    return chains


class FontSet:
    """The chains of faces for each style, each face loaded on first need.

    ``missing`` collects characters that no font of a chain can draw, so the
    build can warn about them (by code point: they may be part of a name).
    """

    def __init__(self, chains: dict[str, tuple[str, ...]] | None = None) -> None:
        self.chains = chains or DEFAULT_CHAINS
        self.missing: set[str] = set()
        self._choice: dict[tuple[str, str], _Face | None] = {}
        self._faces: dict[tuple[str, int], _Face] = {}

    def _face_at(self, style: str, index: int) -> _Face:
        key = (style, index)
        if key not in self._faces:
            path = Path(self.chains[style][index])
            if not path.is_absolute():
                path = fonts_dir() / path
            if not path.exists():
                raise BookletError(f"{path}: font file not found")
            self._faces[key] = _face(str(path))
        return self._faces[key]

    def _face_for(self, char: str, style: str) -> _Face | None:
        key = (style, char)
        if key not in self._choice:
            found = None
            for index in range(len(self.chains[style])):
                face = self._face_at(style, index)
                if face.has_glyph(char):
                    found = face
                    break
            self._choice[key] = found
        return self._choice[key]

    def runs(self, text: str, style: str) -> list[tuple[str, str]]:
        """Split text into (reportlab font name, substring) runs by coverage.

        A character that no font of the chain covers stays with the first
        font (which draws its "missing glyph" box) and is noted in ``missing``.
        """
        primary = self._face_at(style, 0)
        runs: list[tuple[str, str]] = []
        for char in text:
            face = primary if primary.has_glyph(char) else self._face_for(char, style)
            if face is None:
                if not char.isspace() and char.isprintable():
                    self.missing.add(char)
                face = primary
            if runs and runs[-1][0] == face.name:
                runs[-1] = (face.name, runs[-1][1] + char)
            else:
                runs.append((face.name, char))
        return runs

    def needs_faux_bold(self, font_name: str) -> bool:
        """True when a bold run falls to a face that is not bold at all.

        Fonts such as Droid Sans Fallback come in one weight; their bold
        text is drawn with a thin outline around the glyphs instead.
        """
        regular = {
            self._face_at(REGULAR, i).name for i in range(len(self.chains[REGULAR]))
        }
        return font_name in regular

    def lacks(self, char: str, style: str) -> bool:
        """True when no font of the style's chain has the character."""
        return not char.isspace() and self._face_for(char, style) is None

    def describe(self, style: str = REGULAR) -> str:
        return ", ".join(Path(name).name for name in self.chains[style])

    def width(self, text: str, style: str, size: float) -> float:
        return sum(
            pdfmetrics.stringWidth(part, name, size)
            for name, part in self.runs(text, style)
        )


def describe_missing(chars: set[str]) -> str:
    """Code points only, e.g. ``U+1F9E0, U+E000``: never the text itself."""
    return ", ".join(f"U+{ord(c):04X}" for c in sorted(chars))
