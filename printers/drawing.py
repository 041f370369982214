"""Lines a receipt printer cannot print as text, drawn as raster images.

No code page of these printers holds Hebrew, Arabic, Chinese, Japanese, Korean or emoji: each
would print as ``?``. Those that hold some Hebrew or Arabic print it in the order it is sent,
unjoined, and the Kanji modes of some models differ from model to model and hold no Korean nor
emoji. A raster image (``GS v 0``) prints the same on every ESC/POS printer, so a line with
such characters is drawn: Pillow lays it out (with libraqm where letters join or read right
to left: shaped, in reading order) and the page sends it as an image. An image costs bytes (a
drawn row of an 80 mm receipt is 1.9 KB, its text 49 bytes), so what the code pages hold
stays text.

Each letter or digit is drawn in the first of ``FONTS`` that has it; a space, a mark or
punctuation stays with the run it is in. A character none has is left out, never drawn as an
empty box:

- DejaVu Sans: Latin, Greek, Cyrillic, Arabic, Hebrew and some symbols (☕);
- WenQuanYi Micro Hei: Chinese, Japanese and Korean in one file of 5 MB (Noto Sans CJK takes
  91 MB; Droid Sans Fallback, which it is made from, needs a second file for Korean);
- Symbola: emoji in black and white, 3 MB (a colour emoji font would print as blots).

Without libraqm or DejaVu Sans nothing is drawn (an unshaped Arabic line reads backwards, worse
than question marks) and the page prints text as before.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from printers import codepages

if TYPE_CHECKING:
    from PIL.Image import Image

Align = Literal["left", "center", "right"]

# (regular, bold, shaped) of each font, in the order they are tried for a character. Only the
# first is laid out by libraqm: the others hold no letters that join or read right to left, and
# libraqm takes ten times as long in WenQuanYi (0.5 ms a run) as Pillow's own layout.
FONTS = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        True,
    ),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",) * 2 + (False,),
    ("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",) * 2 + (False,),
)
# Sizes in dots: a character of the printer's font A is 24 dots high, twice that in "tall" and
# "big".
SIZE = {"normal": 22, "tall": 40, "big": 40}


@dataclass(frozen=True, eq=False)
class Font:
    """A font at one size and the characters it has glyphs for; ``direction``: "ltr" for one
    libraqm lays out (left to right, what reads right to left in it too), None for Pillow's
    own layout; ``stroke``: dots of outline that make it bold where it has no bold face."""

    face: Any
    chars: Collection[int]
    direction: str | None
    stroke: int = 0

    def length(self, text: str) -> float:
        return _length_in(self, text)


@lru_cache(maxsize=4096)
def _length_in(font: Font, text: str) -> float:
    """Dots ``text`` takes in ``font``, laid out anew for each measure: a row measures its
    words several times, and a menu's names come again on every receipt."""
    return float(font.face.getlength(text, direction=font.direction))


def wanted(text: str, codepages_held: Sequence[str]) -> bool:
    """True if ``text`` is better drawn than printed: it has right-to-left letters, or
    characters the printer's code pages lack that a font has."""
    right_to_left = any(map(_right_to_left, text))
    lost = codepages.lost(text, codepages_held)
    if not (right_to_left or lost):
        return False  # the common case ("Café crème"): the fonts are not even loaded
    fonts = _fonts(False, SIZE["normal"])
    return bool(fonts) and (
        right_to_left or any(ord(char) in font.chars for char in lost for font in fonts)
    )


@lru_cache(maxsize=256)
def line(
    text: str, *, width: int, align: Align, bold: bool, size: str, indent: str = ""
) -> tuple[Image, ...] | None:
    """``text`` as images of one line each, no wider than ``width`` dots (wrapped at spaces,
    or between characters in a word wider than that), placed as ``align`` says; None without
    the fonts. A line to the left is only as wide as its words: fewer bytes.

    Kept for the next time (as ``columns``): a store's name, a tender's, a modifier come again
    on every receipt, and drawing one takes a millisecond or so."""
    fonts = _fonts(bold, SIZE[size])
    if not fonts:
        return None
    pictures = []
    for part in _wrap(codepages.plain(text), fonts, width, indent):
        length = _length(part, fonts)
        room = int(width - length)
        x = {"left": 0, "center": room // 2, "right": room}[align]
        wide = width if align != "left" else min(width, -(-int(length + 1) // 8) * 8)
        pictures.append(_picture([(max(x, 0), part)], fonts, wide))
    return tuple(pictures)


@lru_cache(maxsize=256)
def columns(
    left: str, right: str, *, width: int, bold: bool, size: str, indent: str = "  "
) -> tuple[Image, ...] | None:
    """``left`` and ``right`` on rows of ``width`` dots, ``right`` ending at the last dot
    beside the end of ``left`` (wrapped, its next lines after ``indent``), or under it when it
    does not fit there; None without the fonts. The rule of ``layout.two_columns``, in dots."""
    fonts = _fonts(bold, SIZE[size])
    if not fonts:
        return None
    left, right = codepages.plain(left), codepages.plain(right)
    room = width - _length(f" {right}", fonts) if right else width
    # a right side that takes most of the row (a name): the left across the paper
    lines = _wrap(left, fonts, room if room >= width // 2 else width, indent) if left else []
    if not right:
        rows = [(part, "") for part in lines]
    elif lines and _length(lines[-1], fonts) <= room:
        rows = [*((part, "") for part in lines[:-1]), (lines[-1], right)]
    else:
        rows = [
            *((part, "") for part in lines),
            *(("", part) for part in _wrap(right, fonts, width)),
        ]
    return tuple(
        _picture([(0, text), (width - _length(beside, fonts), beside)], fonts, width)
        for text, beside in rows
    )


@lru_cache(maxsize=8)
def _fonts(bold: bool, size: int) -> tuple[Font, ...]:
    """The fonts of ``FONTS`` this machine has, at ``size``; none without libraqm or the first."""
    from PIL import ImageFont, features

    if not features.check("raqm"):
        return ()
    fonts: list[Font] = []
    for *paths, shaped in FONTS:
        engine = ImageFont.Layout.RAQM if shaped else ImageFont.Layout.BASIC
        try:
            face = ImageFont.truetype(paths[bold], size, layout_engine=engine)
        except OSError:
            if not fonts:
                return ()
            continue
        # an outline of a dot fills in a small character's strokes: tall and big ones only
        stroke = size // 30 if bold and paths[0] == paths[1] else 0
        fonts.append(Font(face, _chars(paths[bold]), "ltr" if shaped else None, stroke))
    return tuple(fonts)


@lru_cache(maxsize=8)
def _chars(path: str) -> frozenset[int]:
    """The code points the font at ``path`` (the first of a collection) has glyphs for."""
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=0, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _runs(text: str, fonts: Sequence[Font]) -> list[tuple[str, Font]]:
    """``text`` in runs of one font each, in the order they stand from the left. A letter or
    digit goes to the first font that has it (Latin and digits in DejaVu Sans, beside Chinese
    or an emoji too), a space, a mark or punctuation stays in the run it is in where it can;
    a right-to-left letter goes to a font libraqm lays out; a character no font takes is left
    out."""
    runs: list[tuple[str, Font]] = []
    for char in text:
        font = next((font for font in fonts if _takes(font, char)), None)
        if runs and (font is runs[-1][1] or (not char.isalnum() and _takes(runs[-1][1], char))):
            runs[-1] = (runs[-1][0] + char, runs[-1][1])
        elif font is not None:
            runs.append((char, font))
    if len(runs) > 1 and any(map(_right_to_left, text)):
        return _in_line_order(runs)
    return runs


def _takes(font: Font, char: str) -> bool:
    return ord(char) in font.chars and bool(font.direction or not _right_to_left(char))


def _right_to_left(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


def _in_line_order(runs: list[tuple[str, Font]]) -> list[tuple[str, Font]]:
    """Runs of several fonts with right-to-left words among them, word by word in the order
    they stand from the left: a stretch from a right-to-left word to the last such word or
    number before a left-to-right word is turned around, as the Unicode bidirectional algorithm
    places it in a left-to-right line ("2x שניצל 🐔 עוף" stands "2x עוף 🐔 שניצל"). libraqm
    does that within one font; across fonts it is done here, word by word."""
    words = [(word, font) for text, font in runs for word in re.split(r"(\s+)", text) if word]
    sides = [_side(word) for word, _ in words]
    placed: list[tuple[str, Font]] = []
    i = 0
    while i < len(words):
        end = i
        if sides[i] == "R":
            for k in range(i + 1, len(words)):
                if sides[k] == "L":
                    break
                if sides[k] in ("R", "digits"):
                    end = k
        placed.extend(reversed(words[i : end + 1]))
        i = end + 1
    return placed


def _side(word: str) -> str:
    """Which way ``word`` reads: its first letter's ("R" or "L"), or "digits" or "none"."""
    for char in word:
        side = unicodedata.bidirectional(char)
        if side in ("R", "AL"):
            return "R"
        if side == "L":
            return "L"
    return "digits" if any(char.isdigit() for char in word) else "none"


def _length(text: str, fonts: Sequence[Font]) -> float:
    return sum(font.length(run) for run, font in _runs(text, fonts))


def _wrap(text: str, fonts: Sequence[Font], width: float, indent: str = "") -> list[str]:
    """``text`` in lines no wider than ``width`` dots, broken at spaces, and between the
    characters of a word wider than that (Chinese and Japanese put no spaces between words)."""
    if _length(text, fonts) <= width:
        return [text]  # most do, measured once
    lines: list[str] = []
    for word in text.split(" "):
        if lines and _length(f"{lines[-1]} {word}", fonts) <= width:
            lines[-1] += f" {word}"
            continue
        start = indent if lines else ""
        if _length(start + word, fonts) <= width:
            lines.append(start + word)
            continue
        piece = start
        for char in word:
            if piece.strip() and _length(piece + char, fonts) > width:
                lines.append(piece)
                piece = indent
            piece += char
        lines.append(piece)
    return lines


def _picture(pieces: Sequence[tuple[float, str]], fonts: Sequence[Font], width: int) -> Image:
    """One line of ``pieces``, each text drawn from its dot across, on its fonts' common
    baseline, a set bit a black dot (as a raster image's bytes are). Left to right as the
    paper's other lines ("2x" and a note's "!" before a Hebrew name), the name in it right to
    left."""
    from PIL import Image, ImageDraw

    ascent, descent = fonts[0].face.getmetrics()
    picture = Image.new("1", (width, ascent + descent), 0)
    pen = ImageDraw.Draw(picture)
    for x, text in pieces:
        for run, font in _runs(text, fonts):
            pen.text(
                (x, ascent),
                run,
                font=font.face,
                fill=1,
                anchor="ls",
                stroke_width=font.stroke,
                stroke_fill=1,
                direction=font.direction,
            )
            x += font.length(run)
    return picture
