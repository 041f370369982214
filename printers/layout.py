"""Fixed-width text layout for receipt columns (pure string functions).

Thermal printers have no layout engine: a "two column" receipt is a left text
padded with spaces until the amount ends at the last column. These helpers take
text that ``codepages.printable`` already reduced to one column per character.
"""

from __future__ import annotations

import textwrap


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Wrap ``text`` to ``width``; continuation lines get ``indent``; never drops text."""
    if not text.strip():
        return [""]
    if len(text) <= width and text[-1] != " " and text.isprintable():
        return [text]  # what textwrap answers for a line that fits, without its work
    return textwrap.wrap(
        text,
        width=width,
        subsequent_indent=indent,
        break_long_words=True,
        break_on_hyphens=False,
    ) or [""]


def side_by_side(parts: list[str], width: int, gap: str = "  ") -> list[str]:
    """``parts`` on as few lines as fit, ``gap`` between them, each part kept whole where it
    fits on a line ("2 guests" never ends a line with "2" and starts the next with "guests")."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + len(gap) + len(part) <= width:
            lines[-1] += gap + part
        else:
            lines.extend(wrap(part, width))
    return lines


def two_columns(left: str, right: str, width: int, indent: str = "  ") -> list[str]:
    """``left`` then ``right`` flush with the last column, wrapping ``left`` if long.

    The amount always shares a line with the end of the label when it fits, so
    a reader's eye runs straight down the amounts.
    """
    if not right:
        return wrap(left, width, indent)
    room = width - len(right) - 1
    if room < width // 2 or (
        len(left) > room and max(map(len, left.split()), default=0) > room - len(indent)
    ):
        # A right side that takes most of the line (a staff name, a terminal's reference), or a
        # word longer than the room it leaves: the label across the paper, not wrapped into
        # the sliver left of it ("Refunded" / "by", "Käsespätzlepfanneng" / "ericht"), and the
        # right side beside its end if it fits there, else under it.
        lines = wrap(left, width, indent) if left.strip() else []
        if lines and len(lines[-1]) + 1 + len(right) <= width:
            lines[-1] = lines[-1].ljust(room) + " " + right
            return lines
        return [*lines, *(part.rjust(width) for part in wrap(right, width))]
    lines = wrap(left, room, indent)
    lines[-1] = lines[-1].ljust(room) + " " + right
    return [line.rstrip() if i < len(lines) - 1 else line for i, line in enumerate(lines)]


def rule(width: int, char: str = "-", title: str = "") -> str:
    """A horizontal line across the paper, with ``title`` in its middle if given."""
    return f" {title} ".center(width, char) if title else char * width
