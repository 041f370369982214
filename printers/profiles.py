"""What one printer model can do, as far as the renderer cares.

The edge stores a profile name per printer (plus optional overrides); the
renderer needs the line width, the code pages the firmware really has, whether
QR codes can be drawn by the printer itself (``GS ( k``), whether there is a
cutter and which drawer pins are wired. The ``ESC t`` numbers of each code page
and the cutter commands come from python-escpos's printer database through
``escpos_profile``; the rest is explicit because the database is optimistic
(it lists code pages many clones do not have).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from escpos.capabilities import get_profile as get_escpos_profile

from printers.codepages import python_codec

DOTS_PER_COLUMN = 12  # a column of font A is 12 dots of the printer's raster


@dataclass(frozen=True)
class PrinterProfile:
    """Capabilities of one printer model.

    ``codepages`` is in order of preference: the first is selected at the start
    of every job; the others are switched to only for characters the first
    cannot print.
    """

    name: str
    escpos_profile: str
    columns: int
    codepages: tuple[str, ...] = ("CP858",)
    native_qr: bool = True
    qr_size: int = 6
    cut: bool = True
    partial_cut: bool = True
    drawer_pins: tuple[int, ...] = (2, 5)
    feed_lines: int = 4

    def __post_init__(self) -> None:
        if not self.codepages:
            raise ValueError("a profile needs at least one code page")
        slots = get_escpos_profile(self.escpos_profile).get_code_pages()
        for codepage in self.codepages:
            if codepage not in slots:
                raise ValueError(f"{self.escpos_profile} has no code page {codepage}")
            python_codec(codepage)
        if self.columns < 16:
            raise ValueError("columns must be at least 16")

    @cached_property
    def dots(self) -> int:
        """Dots across the printable width (what an image or a QR code may take): python-escpos's
        media width for the model, else `DOTS_PER_COLUMN` a column of font A."""
        media = get_escpos_profile(self.escpos_profile).profile_data.get("media", {})
        pixels = media.get("width", {}).get("pixels")
        return pixels if isinstance(pixels, int) else DOTS_PER_COLUMN * self.columns

    @cached_property
    def text_dots(self) -> int:
        """Dots the text's columns take: a drawn line's width, so that an amount drawn ends
        where the text rows' amounts end (504 of a TM-T88V's 512)."""
        return min(self.dots, DOTS_PER_COLUMN * self.columns)

    @cached_property
    def codepage_slots(self) -> dict[str, int]:
        """``ESC t n`` number of every code page this profile uses."""
        slots = get_escpos_profile(self.escpos_profile).get_code_pages()
        return {cp: int(slots[cp]) for cp in self.codepages}


TM_T20II = PrinterProfile(
    name="TM-T20II",
    escpos_profile="TM-T20II",
    columns=48,
    codepages=("CP858", "CP852", "CP866", "ISO_8859-7"),
)

TM_T88V = PrinterProfile(
    name="TM-T88V",
    escpos_profile="TM-T88V",
    columns=42,
    codepages=("CP858", "CP852", "CP866", "ISO_8859-7"),
)

# A typical no-name 58 mm printer: no cutter, no drawer port, no native QR.
GENERIC_58MM = PrinterProfile(
    name="generic-58mm",
    escpos_profile="POS-5890",
    columns=32,
    codepages=("CP437", "CP858"),
    native_qr=False,
    qr_size=5,
    cut=False,
    partial_cut=False,
    drawer_pins=(),
)

PROFILES: dict[str, PrinterProfile] = {p.name: p for p in (TM_T20II, TM_T88V, GENERIC_58MM)}


def get_profile(name: str, **overrides: Any) -> PrinterProfile:
    """A named profile, optionally with fields overridden from printer settings.

    >>> get_profile("TM-T20II", columns=42).columns
    42
    """
    try:
        profile = PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown printer profile {name!r}; known: {sorted(PROFILES)}") from None
    if "codepages" in overrides:
        overrides["codepages"] = tuple(overrides["codepages"])
    if "drawer_pins" in overrides:
        overrides["drawer_pins"] = tuple(overrides["drawer_pins"])
    return replace(profile, **overrides) if overrides else profile
