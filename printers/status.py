"""Real-time status: ``DLE EOT n`` queries and what the answer bytes mean.

The print worker asks after each job, so a receipt "sent" to a printer that is
out of paper is not marked printed. Each answer is one byte; bits 1 and 4 are
always 1 and bits 0 and 7 always 0, which is how a stray byte is told apart
from a status answer (``is_status_byte``).

=====  ==================  =============================================
n      asks for            bits we use
=====  ==================  =============================================
1      printer status      3: offline; 2: drawer pin 3 high
2      offline cause       2: cover open; 3: paper fed by button;
                           5: stopped by paper end; 6: error occurred
3      error cause         3: autocutter error; 5: unrecoverable error;
                           6: auto-recoverable error
4      roll paper sensor   2+3: paper near end; 5+6: paper end
=====  ==================  =============================================
"""

from __future__ import annotations

from dataclasses import dataclass

from printers.errors import CoverOpen, PaperOut, PrinterNotReady

DLE = b"\x10"
EOT = b"\x04"

PRINTER = 1
OFFLINE_CAUSE = 2
ERROR_CAUSE = 3
PAPER_SENSOR = 4


def query(n: int) -> bytes:
    """The ``DLE EOT n`` bytes that ask for status ``n`` (1-4)."""
    if n not in (PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER_SENSOR):
        raise ValueError(f"DLE EOT n: n must be 1-4, got {n}")
    return DLE + EOT + bytes([n])


ALL_QUERIES: bytes = b"".join(query(n) for n in (1, 2, 3, 4))

FIXED_ONES = 0b0001_0010
FIXED_MASK = 0b1001_0011

# DLE EOT 1
BIT_DRAWER_PIN3 = 0b0000_0100
BIT_OFFLINE = 0b0000_1000
# DLE EOT 2
BIT_COVER_OPEN = 0b0000_0100
BIT_FEED_BUTTON = 0b0000_1000
BIT_PAPER_END_STOP = 0b0010_0000
BIT_ERROR = 0b0100_0000
# DLE EOT 3
BIT_AUTOCUTTER_ERROR = 0b0000_1000
BIT_UNRECOVERABLE = 0b0010_0000
BIT_AUTO_RECOVERABLE = 0b0100_0000
# DLE EOT 4
BITS_NEAR_END = 0b0000_1100
BITS_PAPER_END = 0b0110_0000


def is_status_byte(value: int) -> bool:
    """True if ``value`` has the fixed bits every DLE EOT answer has."""
    return value & FIXED_MASK == FIXED_ONES


@dataclass(frozen=True)
class PrinterStatus:
    """The printer's state in the terms the print queue acts on."""

    online: bool = True
    paper_near_end: bool = False
    paper_out: bool = False
    cover_open: bool = False
    error: bool = False

    @property
    def can_print(self) -> bool:
        """Whether a job sent now should come out of the printer."""
        return self.online and not (self.paper_out or self.cover_open or self.error)

    def raise_for_status(self) -> None:
        """Raise ``PaperOut``, ``CoverOpen`` or ``PrinterNotReady`` if it cannot print."""
        if self.paper_out:
            raise PaperOut("printer is out of paper")
        if self.cover_open:
            raise CoverOpen("printer cover is open")
        if self.error:
            raise PrinterNotReady("printer reports an error")
        if not self.online:
            raise PrinterNotReady("printer is offline")


def _check(value: int | None) -> int:
    if value is None:
        return FIXED_ONES
    if not is_status_byte(value):
        raise ValueError(f"not a DLE EOT answer: 0x{value:02x}")
    return value


def parse(
    printer: int,
    offline_cause: int | None = None,
    error_cause: int | None = None,
    paper: int | None = None,
) -> PrinterStatus:
    """Combine the answers to DLE EOT 1, 2, 3 and 4 (``None`` = not asked or no answer).

    Raises ``ValueError`` for a byte that is not a status answer.
    """
    printer, offline_cause = _check(printer), _check(offline_cause)
    error_cause, paper = _check(error_cause), _check(paper)
    return PrinterStatus(
        online=not printer & BIT_OFFLINE,
        paper_near_end=bool(paper & BITS_NEAR_END),
        paper_out=bool(paper & BITS_PAPER_END) or bool(offline_cause & BIT_PAPER_END_STOP),
        cover_open=bool(offline_cause & BIT_COVER_OPEN),
        error=bool(offline_cause & BIT_ERROR)
        or bool(error_cause & (BIT_AUTOCUTTER_ERROR | BIT_UNRECOVERABLE | BIT_AUTO_RECOVERABLE)),
    )


def answer(n: int, status: PrinterStatus) -> int:
    """The byte a printer in ``status`` sends for ``DLE EOT n`` (used by the emulator)."""
    value = FIXED_ONES
    if n == PRINTER:
        if not status.can_print:
            value |= BIT_OFFLINE
    elif n == OFFLINE_CAUSE:
        if status.cover_open:
            value |= BIT_COVER_OPEN
        if status.paper_out:
            value |= BIT_PAPER_END_STOP
        if status.error:
            value |= BIT_ERROR
    elif n == ERROR_CAUSE:
        if status.error:
            value |= BIT_UNRECOVERABLE
    elif n == PAPER_SENSOR:
        if status.paper_near_end or status.paper_out:
            value |= BITS_NEAR_END
        if status.paper_out:
            value |= BITS_PAPER_END
    else:
        raise ValueError(f"DLE EOT n: n must be 1-4, got {n}")
    return value
