"""Printable table QR codes (SVG, drawn with segno): one per table, or an A4 sheet of them; and
a bare code for a screen (a pay-at-table link the POS shows the guest).

The code holds `<guest base URL>/t/<signed token>`. The guest base URL is a store setting (the
box's LAN address or a name the store owns), never a `.local` name.
"""

from __future__ import annotations

import io
import sqlite3
from html import escape
from typing import Any
from unicodedata import east_asian_width

import segno

from edge.domain import store, tables
from printers.documents import table_label
from service.errors import Conflict

A4 = (794, 1123)  # CSS pixels at 96 dpi
COLUMNS, ROWS = 3, 4
FONT = 'font-family="Helvetica, Arial, sans-serif" text-anchor="middle"'
BOLD = 'font-weight="700" fill="#111"'
TEXT_MARGIN = 12  # pixels kept clear of the card's cut line on each side
AVERAGE_EM = 0.6  # a letter's average width in Helvetica, as a share of the font's size (a
# wide character, CJK or emoji, takes a whole em)
MIN_FONT = 10


def guest_url(base_url: str, token: str) -> str:
    return f"{base_url}/t/{token}"


def codes(
    conn: sqlite3.Connection, secret: bytes
) -> tuple[dict[str, Any], list[tuple[str, str, str, bool]]]:
    """The store's settings, and each table's (id, name, guest URL, in use) in floor order:
    what every printed code holds (the QR sheet, a table's card, a card on a printer). A 409
    until the guest base URL is set: a code must point at this box."""
    settings = store.get(conn)
    if not settings["guest_base_url"]:
        raise Conflict(
            "set the guest base URL (Settings) first: the codes must point at this box",
            code="guest_base_url_missing",
        )
    found = []
    for area in tables.floor(conn):
        for table in area["tables"]:
            token = tables.qr_token(secret, table["id"], table["qr_version"], settings["qr_epoch"])
            url = guest_url(settings["guest_base_url"], token)
            found.append((table["id"], table["name"], url, table["enabled"]))
    return settings, found


def code_svg(url: str) -> str:
    """`url` as a QR code alone, with its quiet zone, white behind it so that a dark screen
    does not hide the margin a reader needs."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, light="#fff", xmldecl=False)
    return out.getvalue().decode()


def table_svg(store_name: str, table_name: str, url: str) -> str:
    """One table's card, sized for a table tent."""
    width, height = 300, 380
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}">'
        f'<rect width="{width}" height="{height}" fill="#fff"/>'
        + _card(store_name, table_name, url, 0, 0, width, height)
        + "</svg>"
    )


def sheet_svg(store_name: str, tables: list[tuple[str, str]]) -> str:
    """A4 pages stacked vertically, 12 cards per page, with cut lines; (table name, url) pairs.

    Each page is an `<svg class="page">` of its own inside the file, so that the admin page
    prints one per sheet of paper (a tall picture printed as one would cut a row of cards in
    two at the paper's edge)."""
    width, height = A4
    per_page = COLUMNS * ROWS
    pages = [tables[start : start + per_page] for start in range(0, len(tables), per_page)] or [[]]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height * len(pages)}"'
        f' viewBox="0 0 {width} {height * len(pages)}">'
    ]
    parts += [_page(store_name, cards, number * height) for number, cards in enumerate(pages)]
    parts.append("</svg>")
    return "".join(parts)


def _page(store_name: str, cards: list[tuple[str, str]], top: int) -> str:
    """One A4 page of cards, placed `top` pixels down the sheet."""
    width, height = A4
    cell_w, cell_h = width // COLUMNS, height // ROWS
    parts = [
        f'<svg class="page" y="{top}" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
    ]
    for slot, (name, url) in enumerate(cards):
        row, column = divmod(slot, COLUMNS)
        x, y = column * cell_w, row * cell_h
        parts.append(
            f'<rect x="{x + 4}" y="{y + 4}" width="{cell_w - 8}" height="{cell_h - 8}"'
            ' fill="none" stroke="#bbb" stroke-dasharray="6 4"/>'
        )
        parts.append(_card(store_name, name, url, x, y, cell_w, cell_h))
    parts.append("</svg>")
    return "".join(parts)


def _card(store_name: str, table_name: str, url: str, x: int, y: int, w: int, h: int) -> str:
    # segno draws the code at `size` pixels, its 4-module quiet zone included (phones need
    # it to find the code); the group puts it in place, so segno's <svg> stays as segno wrote it.
    code = segno.make(url, error="m")
    size = min(w - 40, h - 110)
    scale = size / code.symbol_size(scale=1)[0]
    inner = (
        f'<g transform="translate({x + (w - size) / 2:.1f} {y + 48})">'
        + code.svg_inline(scale=scale)
        + "</g>"
    )
    cx, room = x + w / 2, w - 2 * TEXT_MARGIN
    return (
        _line(store_name, cx, y + 32, room, 13, 'fill="#555"')
        + inner
        + _line(table_label(table_name), cx, y + 48 + size + 30, room, 24, BOLD)
        + f'<text x="{cx:.1f}" y="{y + 48 + size + 50:.1f}" {FONT} font-size="12" fill="#555">'
        "Scan to see the menu and order</text>"
    )


def _line(text: str, cx: float, y: float, room: float, size: int, paint: str) -> str:
    """`text` centred on `cx`, kept within `room` pixels: a long name (a store's takes 80
    characters, a table's 20) ran past its card, over the next card's and off the paper. One
    that may not fit is set smaller, down to `MIN_FONT`, and then made exactly `room` wide
    (`textLength`: the browser fits it, whatever the font's letters measure)."""
    # Control characters are no XML (one made the whole sheet a file no browser opens): the
    # hub takes any text for a name, and the box shows what it sends.
    text = " ".join("".join(char if char.isprintable() else " " for char in text).split())
    ems = sum(1.0 if east_asian_width(char) in "WF" else AVERAGE_EM for char in text)
    attrs = ""
    if ems * size > room * 0.9:  # the estimate's margin: some letters are wider than most
        size = max(MIN_FONT, min(size, int(room / ems)))
        attrs = f' textLength="{room:.0f}" lengthAdjust="spacingAndGlyphs"'
    return (
        f'<text x="{cx:.1f}" y="{y:.1f}" {FONT} font-size="{size}" {paint}{attrs}>'
        f"{escape(text)}</text>"
    )
