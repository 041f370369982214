"""A PNG picture of a decoded job, roughly as the paper would look.

For the admin page's job preview, the emulator's ``--png-dir`` and for eyeballing layout
changes without a printer. Needs Pillow (already a dependency of python-escpos) and draws QR
codes with segno.

A receipt printer is fixed-pitch: every character takes one cell of the paper's ``columns``,
and double width / double height stretch the cell. The picture keeps that grid (each character
is placed in its own cell), so amounts line up as they do on paper whatever font is found; a
monospace font (DejaVu Sans Mono, on every Debian with fontconfig, or Liberation Mono) makes it
look right too. A line longer than the paper wraps at the edge, as a printer wraps it: a job
rendered for 48 columns shows what it would look like on a 32-column printer.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from printers.decoder import Job, PrintedLine, Raster
from printers.profiles import DOTS_PER_COLUMN

if TYPE_CHECKING:
    from PIL.Image import Image

CHAR_WIDTH = 7  # pixels per column at scale 1 (a printer's 12-dot font A, roughly halved)
LINE_HEIGHT = 16
MARGIN = 12
FONT_SIZE = 12  # a monospace font 12 px high advances about 7 px: one cell
INK, FAINT, PAPER = 0, 150, 255
MARKERS = {"cut": "- - - - - cut - - - - -", "drawer": "[cash drawer]"}
MONO_FONTS = {
    False: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    ),
    True: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf",
    ),
}


@lru_cache(maxsize=16)
def _font(size: int, bold: bool) -> tuple[Any, bool]:
    """A monospace font of ``size`` pixels and whether it is bold itself (else: draw twice)."""
    from PIL import ImageFont

    for path in MONO_FONTS[bold]:
        try:
            return ImageFont.truetype(path, size), bold
        except OSError:
            continue
    if bold:
        regular, _ = _font(size, False)
        return regular, False
    return ImageFont.load_default(size), False  # Pillow's own; the cells keep the columns


def _qr_image(payload: str, scale: int) -> Image:
    import segno
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    # no margin of its own: a printer drawing the code adds none (the blank lines around it are
    # the job's)
    segno.make(payload, error="m").save(buffer, kind="png", scale=3 * scale, border=0)
    buffer.seek(0)
    return PILImage.open(buffer).convert("L")


def _raster_image(raster: Raster, scale: int) -> Image:
    """The image as the printer prints it, as wide on the picture's paper as on the printer's
    (a QR code a 58 mm printer prints as an image scans from the picture as from the paper)."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    dots = PILImage.frombytes("1", (raster.width, raster.height), raster.bits)
    ink = ImageOps.invert(dots.convert("L"))  # a set bit is black on paper, white in mode "1"
    pixels = CHAR_WIDTH * scale / DOTS_PER_COLUMN
    size = (round(raster.width * pixels), round(raster.height * pixels))
    return ink.resize(size, PILImage.Resampling.NEAREST)


def _rows(line: PrintedLine, columns: int) -> list[str]:
    """The line as the printer lays it out: wrapped at the paper's edge."""
    per_row = max(1, columns // line.width)
    text = line.text
    return [text[i : i + per_row] for i in range(0, len(text), per_row)] or [""]


def _strip(text: str, line: PrintedLine, scale: int) -> Image:
    """One printed row: characters in normal-size cells, then stretched as the printer does
    for double width and height."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    cell, height = CHAR_WIDTH * scale, LINE_HEIGHT * scale
    strip = PILImage.new("L", (max(1, len(text)) * cell, height), PAPER)
    draw = ImageDraw.Draw(strip)
    font, real_bold = _font(FONT_SIZE * scale, line.bold)
    fake_bold = line.bold and not real_bold
    for index, char in enumerate(text):
        if char == " ":
            continue
        x = index * cell + cell / 2
        for dx in (0, max(1, scale // 2)) if fake_bold else (0,):
            draw.text((x + dx, height / 2), char, fill=INK, font=font, anchor="mm")
    if line.width == 1 and line.height == 1:
        return strip
    size = (strip.width * line.width, height * line.height)
    return strip.resize(size, PILImage.Resampling.LANCZOS)


def preview_png(job: Job, columns: int, *, scale: int = 1) -> bytes:
    """Render ``job`` as a PNG receipt ``columns`` characters wide; ``scale`` 2 or 3 for screens
    with more pixels per point (the picture is then that many times larger)."""
    from PIL import Image as PILImage

    margin, paper = MARGIN * scale, columns * CHAR_WIDTH * scale
    width = paper + 2 * margin
    pieces: list[tuple[Image, str]] = []  # what goes down the paper, with its alignment
    for kind, value in job.events:
        if kind == "line":
            for row in _rows(value, columns):
                pieces.append((_strip(row, value, scale), value.align))
        elif kind == "qr":
            pieces.append((_qr_image(value, scale), "center"))
        elif kind == "image":
            pieces.append((_raster_image(value, scale), value.align))
        elif kind in MARKERS:
            marker = PrintedLine(MARKERS[kind])
            pieces.append((_strip(marker.text, marker, scale).point(_faint), "center"))
    height = 2 * margin + sum(image.height for image, _ in pieces)
    canvas = PILImage.new("L", (width, height), PAPER)
    y = margin
    for image, align in pieces:
        x = {
            "center": margin + (paper - image.width) // 2,
            "right": margin + paper - image.width,
        }.get(align, margin)
        canvas.paste(image, (max(margin, x), y))
        y += image.height
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()


def _faint(value: int) -> int:
    """Markers (cut, drawer) are not ink on paper: grey them."""
    return max(value, FAINT)
