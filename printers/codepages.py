"""Unicode text -> single-byte code page runs a receipt printer can print.

Why not python-escpos's automatic ``MagicEncode.write``: it sends any text
containing a CJK ideograph as raw GB18030 bytes without selecting a code page
(garbage on a Latin printer), and from an unknown state it picks the code page
with the lowest ESC t number, so a job can switch tables mid-line for no
reason. We drive it explicitly instead: ``printable`` first reduces the text to
characters the profile's code pages can hold (folding accents or using ``?``,
never raising), then ``runs`` splits it into ``(code page, text)`` pieces that
``MagicEncode.write_with_encoding`` emits with the right ``ESC t n``.

The byte tables come from python-escpos's printer database, so the renderer and
the emulator agree with the codec a real printer uses.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache

from escpos.capabilities import CAPABILITIES

REPLACEMENT = "?"


@lru_cache(maxsize=64)
def python_codec(codepage: str) -> str:
    """The Python codec name for an escpos code page, e.g. ``CP858 -> cp858``."""
    entry = CAPABILITIES["encodings"].get(codepage, {})
    name = entry.get("python_encode")
    if not name:
        raise ValueError(f"code page {codepage!r} has no Python codec")
    codecs.lookup(name)
    return name


@lru_cache(maxsize=64)
def upper_half(codepage: str) -> tuple[str, ...]:
    """Characters at bytes 0x80-0xFF ('' where the code page has none)."""
    codec = python_codec(codepage)
    chars = []
    for byte in range(0x80, 0x100):
        try:
            chars.append(bytes([byte]).decode(codec))
        except UnicodeDecodeError:
            chars.append("")
    return tuple(chars)


@lru_cache(maxsize=64)
def _charset(codepage: str) -> frozenset[str]:
    return frozenset(c for c in upper_half(codepage) if len(c) == 1)


_ASCII = frozenset(chr(code) for code in range(0x20, 0x7F))


@lru_cache(maxsize=64)
def _encodable(codepage: str) -> frozenset[str]:
    """Every character ``codepage`` holds: printable ASCII and its upper half."""
    return _ASCII | _charset(codepage)


@lru_cache(maxsize=64)
def _printable_set(codepages: tuple[str, ...]) -> frozenset[str]:
    """Every character a printer with ``codepages`` prints as it is."""
    return frozenset().union(*(_encodable(cp) for cp in codepages))


def can_encode(codepage: str, char: str) -> bool:
    """True if ``char`` is printable ASCII or sits in the code page's upper half."""
    return char in _encodable(codepage)


def can_print(text: str, codepages: Sequence[str]) -> bool:
    """True if a printer with ``codepages`` prints every character of ``text`` as it is."""
    return _printable_set(tuple(codepages)).issuperset(text)


def decode_byte(codepage: str, byte: int) -> str:
    """The character a printer shows for ``byte`` in ``codepage`` (for the emulator)."""
    if byte < 0x80:
        return chr(byte)
    return upper_half(codepage)[byte - 0x80] or REPLACEMENT


# Typographic punctuation (what a phone's keyboard types for ' " -) that no code page of a
# receipt printer holds and that has no decomposition: its plain ASCII form.
PUNCTUATION = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f", '"'),
    }
    | dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-")
)


# Characters with no stand-in that are left out rather than printed as ``?``: an emoji or
# another symbol (a "?" says nothing more of it), a mark of one (an emoji's variation selector,
# a skin tone), a lone accent, or one newer than Python's Unicode tables (most are emoji).
LEFT_OUT = frozenset(("So", "Sk", "Mn", "Me", "Cn"))


def _fold(char: str, codepages: Sequence[str]) -> str:
    """Best printable stand-in: the character without accents, plain punctuation for curly
    quotes and dashes, nothing for a symbol, else ``?``."""
    char = char.translate(PUNCTUATION)
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and can_print(base, codepages):
        return base
    return "" if unicodedata.category(char) in LEFT_OUT else REPLACEMENT


def printable(text: str, codepages: Sequence[str]) -> str:
    """Reduce ``text`` to one line the printer can print; never raises.

    Control characters (including ESC, which could otherwise smuggle commands in
    from a menu item name) become spaces; characters no code page holds are
    folded (``ồ -> o``), left out (an emoji) or replaced with ``?``. The result has
    one column per character, so layout can measure it with ``len``.
    """
    if text.isprintable() and (
        text.isascii() or (unicodedata.is_normalized("NFC", text) and can_print(text, codepages))
    ):
        return text  # the common case, the printer prints it as it is: skip the scan
    return "".join(
        char if can_print(char, codepages) else _fold(char, codepages) for char in plain(text)
    )


def plain(text: str) -> str:
    """``text`` composed (NFC), on one line: control characters (ESC among them, which could
    smuggle commands in from a menu item's name) as spaces or left out."""
    return "".join(
        " "
        if char in "\t\n\r"
        else ""
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")
        else char
        for char in unicodedata.normalize("NFC", text)
    )


def lost(text: str, codepages: Sequence[str]) -> set[str]:
    """The characters of ``text`` a printer with ``codepages`` prints as ``?`` or leaves out:
    no code page holds them, nor a plain stand-in."""
    if can_print(text, codepages):
        return set()
    return {
        char
        for char in set(plain(text))
        if not can_print(char, codepages) and _fold(char, codepages) in (REPLACEMENT, "")
    }


def runs(text: str, codepages: Sequence[str], current: str) -> Iterator[tuple[str, str]]:
    """Split printable ``text`` into ``(code page, piece)`` runs.

    Stays on ``current`` as long as it can (fewest ``ESC t`` switches), and
    otherwise takes the first of ``codepages`` that holds the character.
    """
    if _encodable(current).issuperset(text):
        if text:  # ``current`` holds it all (printable ASCII always): one run on it
            yield current, text
        return
    piece: list[str] = []
    for char in text:
        if not can_encode(current, char):
            target = next((cp for cp in codepages if can_encode(cp, char)), None)
            if target is None:
                char = REPLACEMENT
            else:
                if piece:
                    yield current, "".join(piece)
                    piece = []
                current = target
        piece.append(char)
    if piece:
        yield current, "".join(piece)
