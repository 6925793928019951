"""Font files in ``fonts/`` -> registered reportlab fonts, text widths, glyph runs.

Each style (regular, bold, italic) is a chain of TrueType files: the first
font that has a glyph for a character draws it. Layout measures text through
this module so that what it measures is what the PDF draws.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from .errors import BookletError

log = logging.getLogger(__name__)

REGULAR = "regular"
BOLD = "bold"
ITALIC = "italic"

# style -> font files, first choice first.
DEFAULT_CHAINS: dict[str, tuple[str, ...]] = {
    REGULAR: ("DejaVuSansCondensed.ttf",),
    BOLD: ("DejaVuSansCondensed-Bold.ttf",),
    ITALIC: ("DejaVuSansCondensed-Oblique.ttf",),
}


def fonts_dir() -> Path:
    return Path(str(resources.files("sssp_print.shipped_fonts")))


@dataclass(frozen=True)
class _Face:
    name: str
    font: TTFont

    def has_glyph(self, char: str) -> bool:
        return ord(char) in self.font.face.charToGlyph


@lru_cache(maxsize=None)
def _face(path: str) -> _Face:
    name = "sssp-" + Path(path).stem
    try:
        font = TTFont(name, path)
    except Exception as exc:  # reportlab raises bare Exception/TTFError types
        raise BookletError(f"{path}: cannot use this font ({exc})") from None
    pdfmetrics.registerFont(font)
    return _Face(name, font)


class FontSet:
    """The chains of faces for each style, loaded on first use."""

    def __init__(self, chains: dict[str, tuple[str, ...]] | None = None) -> None:
        self.chains = chains or DEFAULT_CHAINS

    def _faces(self, style: str) -> list[_Face]:
        faces = []
        for file_name in self.chains[style]:
            path = Path(file_name)
            if not path.is_absolute():
                path = fonts_dir() / path
            if not path.exists():
                raise BookletError(f"{path}: font file not found")
            faces.append(_face(str(path)))
        return faces

    def runs(self, text: str, style: str) -> list[tuple[str, str]]:
        """Split text into (reportlab font name, substring) runs by coverage.

        A character no font of the chain covers stays with the first font,
        which draws its "missing glyph" box; ``missing_characters`` reports it.
        """
        faces = self._faces(style)
        runs: list[tuple[str, str]] = []
        for char in text:
            face = next((f for f in faces if f.has_glyph(char)), faces[0])
            if runs and runs[-1][0] == face.name:
                runs[-1] = (face.name, runs[-1][1] + char)
            else:
                runs.append((face.name, char))
        return runs

    def width(self, text: str, style: str, size: float) -> float:
        return sum(
            pdfmetrics.stringWidth(part, name, size) for name, part in self.runs(text, style)
        )

    def missing_characters(self, text: str, style: str) -> set[str]:
        faces = self._faces(style)
        return {
            c for c in text
            if not c.isspace() and not any(f.has_glyph(c) for f in faces)
        }
