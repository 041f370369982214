"""A PNG picture of a decoded job, roughly as the paper would look.

For the demo and for eyeballing layout changes without a printer. Needs
Pillow (already a dependency of python-escpos) and draws QR codes with segno.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from printers.decoder import Job, PrintedLine

if TYPE_CHECKING:
    from PIL.Image import Image

CHAR_WIDTH = 7
LINE_HEIGHT = 16
MARGIN = 12
MARKERS = {"cut": "- - - - - cut - - - - -", "drawer": "[cash drawer]", "image": "[image]"}


def _qr_image(payload: str) -> Image:
    import segno
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=3, border=2)
    buffer.seek(0)
    return PILImage.open(buffer).convert("L")


def _height(job: Job, qr: dict[int, Image]) -> int:
    height = 2 * MARGIN
    for index, (kind, value) in enumerate(job.events):
        if kind == "line":
            height += LINE_HEIGHT * value.height
        elif kind == "qr":
            height += qr[index].height + 4
        elif kind in MARKERS:
            height += LINE_HEIGHT
    return height


def preview_png(job: Job, columns: int = 48) -> bytes:
    """Render ``job`` as a PNG receipt ``columns`` characters wide."""
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

    font = ImageFont.load_default()
    qr = {i: _qr_image(value) for i, (kind, value) in enumerate(job.events) if kind == "qr"}
    width = columns * CHAR_WIDTH + 2 * MARGIN
    canvas = PILImage.new("L", (width, _height(job, qr)), 255)
    draw = ImageDraw.Draw(canvas)
    y = MARGIN
    for index, (kind, value) in enumerate(job.events):
        if kind == "line":
            line: PrintedLine = value
            scale = max(line.width, line.height)
            text_font = ImageFont.load_default(size=11 * scale) if scale > 1 else font
            text_width = draw.textlength(line.text, font=text_font)
            x = {
                "center": int((width - text_width) / 2),
                "right": int(width - MARGIN - text_width),
            }.get(line.align, MARGIN)
            for dx in (0, 1) if line.bold else (0,):
                draw.text((x + dx, y), line.text, fill=0, font=text_font)
            y += LINE_HEIGHT * line.height
        elif kind == "qr":
            canvas.paste(qr[index], ((width - qr[index].width) // 2, y))
            y += qr[index].height + 4
        elif kind in MARKERS:
            draw.text((MARGIN, y), MARKERS[kind], fill=128, font=font)
            y += LINE_HEIGHT
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()
