"""ESC/POS bytes -> what a printer would have printed (for the emulator and tests).

It reads the stream the way an Epson-compatible printer does: text in the code
page selected with ``ESC t``, lines ended by LF, cuts, QR codes stored and
printed with ``GS ( k``, drawer pulses, raster images skipped by their length,
and real-time ``DLE EOT`` queries answered at once. Data may arrive in any
chunking; an incomplete command waits for the next ``feed``.

Unknown commands are recorded, not fatal: a decoder that gives up on the first
odd byte is useless for checking a real app's output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from escpos.capabilities import get_profile as get_escpos_profile

from printers import codepages
from printers import status as status_codes
from printers.status import PrinterStatus

LF, CR, HT, FF, DLE, ESC, FS, GS = 0x0A, 0x0D, 0x09, 0x0C, 0x10, 0x1B, 0x1C, 0x1D

_FULL_CUTS = {0, 48, 65, 97, 103}
_PART_CUTS = {1, 49, 66, 98, 104}
# ESC commands with a fixed number of parameter bytes.
_ESC_ARGS = {
    "%": 1, "-": 1, "2": 0, "3": 1, "=": 1, "?": 1, "G": 1, "J": 1, "K": 1, "L": 0,
    "M": 1, "R": 1, "S": 0, "T": 1, "U": 1, "V": 1, "W": 8, "$": 2, "\\": 2, " ": 1,
    "e": 1, "r": 1, "u": 1, "v": 0, "{": 1, "<": 0, "i": 0, "m": 0,
}  # fmt: skip
_GS_ARGS = {
    "B": 1, "b": 1, "H": 1, "h": 1, "w": 1, "f": 1, "a": 1, "r": 1, "I": 1, "E": 1,
    "L": 2, "W": 2, "P": 2, "$": 2, "\\": 2, "T": 1, "/": 1, "^": 3, ":": 0,
}  # fmt: skip
_FS_ARGS = {"&": 0, ".": 0, "!": 1, "-": 1, "C": 1, "W": 1, "S": 2, "p": 2}


class _Incomplete(Exception):
    """The buffer ends in the middle of a command."""


@dataclass(frozen=True)
class PrintedLine:
    """One printed line and the style it started with."""

    text: str
    bold: bool = False
    width: int = 1
    height: int = 1
    align: str = "left"


@dataclass(frozen=True)
class Raster:
    """A raster image as it is printed (``GS v 0``): ``width`` x ``height`` dots in rows of
    ``width // 8`` bytes, a set bit a black dot. Kept, not only measured, so that a preview
    shows a QR code a printer without native QR prints as an image, for a reader to scan.
    ``align``: the justification (``ESC a``) it was sent under, which places an image narrower
    than the paper."""

    width: int
    height: int
    bits: bytes
    align: str = "left"


@dataclass
class Job:
    """Everything one connection sent, decoded."""

    peer: str = ""
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    raw: bytearray = field(default_factory=bytearray)
    printed_lines: list[PrintedLine] = field(default_factory=list)
    cuts: list[str] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    drawer_pulses: list[int] = field(default_factory=list)
    images: list[tuple[int, int]] = field(default_factory=list)
    status_queries: list[int] = field(default_factory=list)
    unknown: list[bytes] = field(default_factory=list)
    events: list[tuple[str, Any]] = field(default_factory=list)
    printed: bool = True

    @property
    def lines(self) -> list[str]:
        """The printed text, one string per line (trailing spaces removed)."""
        return [line.text for line in self.printed_lines]

    @property
    def has_output(self) -> bool:
        """False for a connection that only asked for status."""
        return bool(self.printed_lines or self.cuts or self.qr or self.drawer_pulses or self.images)

    def text(self) -> str:
        """The job as a plain-text preview, with ``[cut]``-style markers."""
        out = []
        for kind, value in self.events:
            if kind == "line":
                out.append(value.text)
            elif kind == "cut":
                out.append(f"[{value} cut]")
            elif kind == "qr":
                out.append(f"[QR {value}]")
            elif kind == "drawer":
                out.append(f"[drawer pulse pin {value}]")
            elif kind == "image":
                out.append(f"[image {value.width}x{value.height}]")
        return "\n".join(out)


def codepage_table(escpos_profile: str) -> dict[int, str]:
    """``ESC t`` number -> code page name, for code pages with a Python codec."""
    table = {}
    for name, slot in get_escpos_profile(escpos_profile).get_code_pages().items():
        try:
            codepages.python_codec(name)
        except (ValueError, LookupError):
            continue
        if int(slot) not in table:
            table[int(slot)] = name
    return table


class Decoder:
    """Incremental ESC/POS decoder for one connection."""

    def __init__(
        self,
        job: Job,
        *,
        status: Callable[[], PrinterStatus] = PrinterStatus,
        escpos_profile: str = "TM-T20II",
    ) -> None:
        self.job = job
        self._status = status
        self._codepages = codepage_table(escpos_profile)
        self._pending = b""
        self._replies = bytearray()
        self._reset()

    def _reset(self) -> None:
        self.codepage = self._codepages.get(0, "CP437")
        self.bold = False
        self.width = 1
        self.height = 1
        self.align = "left"
        self._chars: list[str] = []
        self._line_style: tuple[bool, int, int, str] | None = None
        self._qr_data = b""

    def feed(self, data: bytes) -> bytes:
        """Decode ``data``; return the bytes the printer answers (status replies)."""
        self.job.raw += data
        buf = self._pending + data
        i = 0
        while i < len(buf):
            try:
                i = self._step(buf, i)
            except _Incomplete:
                break
        self._pending = buf[i:]
        replies, self._replies = bytes(self._replies), bytearray()
        return replies

    def finish(self) -> Job:
        """End of the connection: print what is left in the line buffer."""
        if self._chars:
            self._flush()
        if self._pending:
            self.job.unknown.append(self._pending)
            self._pending = b""
        return self.job

    # -- output --------------------------------------------------------------

    def _char(self, char: str) -> None:
        if self._line_style is None:
            self._line_style = (self.bold, self.width, self.height, self.align)
        self._chars.append(char)

    def _flush(self) -> None:
        bold, width, height, align = self._line_style or (
            self.bold,
            self.width,
            self.height,
            self.align,
        )
        line = PrintedLine("".join(self._chars).rstrip(), bold, width, height, align)
        self.job.printed_lines.append(line)
        self.job.events.append(("line", line))
        self._chars = []
        self._line_style = None

    def _flush_if_pending(self) -> None:
        if self._chars:
            self._flush()

    def _event(self, kind: str, value: Any) -> None:
        self._flush_if_pending()
        self.job.events.append((kind, value))

    # -- parsing -------------------------------------------------------------

    @staticmethod
    def _need(buf: bytes, end: int) -> None:
        if end > len(buf):
            raise _Incomplete

    def _step(self, buf: bytes, i: int) -> int:
        byte = buf[i]
        if byte >= 0x20 and byte != 0x7F:
            self._char(codepages.decode_byte(self.codepage, byte))
            return i + 1
        if byte == LF:
            self._flush()
            return i + 1
        if byte == HT:
            self._char(" " * (8 - len("".join(self._chars)) % 8))
            return i + 1
        if byte == FF:
            self._flush_if_pending()
            return i + 1
        if byte == DLE:
            return self._dle(buf, i)
        if byte == ESC:
            return self._esc(buf, i)
        if byte == GS:
            return self._gs(buf, i)
        if byte == FS:
            return self._fs(buf, i)
        return i + 1  # CR, CAN, BEL and other controls: nothing visible

    def _dle(self, buf: bytes, i: int) -> int:
        self._need(buf, i + 2)
        cmd = buf[i + 1]
        if cmd == 0x04:  # EOT n: real-time status
            self._need(buf, i + 3)
            n = buf[i + 2]
            if n in (7, 8):
                self._need(buf, i + 4)
                self._replies.append(status_codes.FIXED_ONES)
                return i + 4
            self.job.status_queries.append(n)
            if n in (1, 2, 3, 4):
                self._replies.append(status_codes.answer(n, self._status()))
            return i + 3
        if cmd == 0x05:  # ENQ n
            self._need(buf, i + 3)
            return i + 3
        if cmd == 0x14:  # DC4 fn ...: fn 1 = drawer pulse m t
            self._need(buf, i + 3)
            fn = buf[i + 2]
            size = {1: 2, 2: 2, 7: 1, 8: 7}.get(fn, 0)
            self._need(buf, i + 3 + size)
            if fn == 1:
                pin = 5 if buf[i + 3] & 1 else 2
                self.job.drawer_pulses.append(pin)
                self._event("drawer", pin)
            return i + 3 + size
        return i + 1

    def _esc(self, buf: bytes, i: int) -> int:
        self._need(buf, i + 2)
        cmd = chr(buf[i + 1])
        if cmd == "@":
            self._chars = []
            self._line_style = None
            self._reset()
            return i + 2
        if cmd in "t!Eadp*c(JDB":
            return self._esc_with_meaning(buf, i, cmd)
        if cmd in _ESC_ARGS:
            end = i + 2 + _ESC_ARGS[cmd]
            self._need(buf, end)
            if cmd in "im":
                self.job.cuts.append("partial" if cmd == "m" else "full")
                self._event("cut", self.job.cuts[-1])
            return end
        self.job.unknown.append(bytes(buf[i : i + 2]))
        return i + 2

    def _esc_with_meaning(self, buf: bytes, i: int, cmd: str) -> int:
        if cmd == "t":
            self._need(buf, i + 3)
            self.codepage = self._codepages.get(buf[i + 2], self.codepage)
            return i + 3
        if cmd == "!":
            self._need(buf, i + 3)
            n = buf[i + 2]
            self.bold = bool(n & 0x08)
            self.height = 2 if n & 0x10 else 1
            self.width = 2 if n & 0x20 else 1
            return i + 3
        if cmd == "E":
            self._need(buf, i + 3)
            self.bold = bool(buf[i + 2] & 1)
            return i + 3
        if cmd == "a":
            self._need(buf, i + 3)
            self.align = {0: "left", 1: "center", 2: "right"}.get(buf[i + 2] % 48, "left")
            return i + 3
        if cmd == "d":  # print and feed n lines
            self._need(buf, i + 3)
            lines = buf[i + 2]
            if self._chars:
                self._flush()
                lines -= 1
            for _ in range(max(lines, 0)):
                self._flush()
            return i + 3
        if cmd == "J":
            self._need(buf, i + 3)
            self._flush_if_pending()
            return i + 3
        if cmd == "p":  # ESC p m t1 t2: drawer kick
            self._need(buf, i + 5)
            pin = 5 if buf[i + 2] & 1 else 2
            self.job.drawer_pulses.append(pin)
            self._event("drawer", pin)
            return i + 5
        if cmd == "*":  # ESC * m nL nH d1..dk: bit image
            self._need(buf, i + 5)
            m, count = buf[i + 2], buf[i + 3] + 256 * buf[i + 4]
            end = i + 5 + count * (1 if m in (0, 1) else 3)
            self._need(buf, end)
            return end
        if cmd == "c":  # ESC c 3/4/5 n
            self._need(buf, i + 4)
            return i + 4
        if cmd == "(":  # ESC ( fn pL pH ...
            self._need(buf, i + 5)
            end = i + 5 + buf[i + 3] + 256 * buf[i + 4]
            self._need(buf, end)
            return end
        if cmd == "D":  # tab positions, NUL terminated
            end = buf.find(b"\x00", i + 2)
            if end < 0:
                raise _Incomplete
            return end + 1
        # "B": beeper on some models, ESC B n t
        self._need(buf, i + 4)
        return i + 4

    def _gs(self, buf: bytes, i: int) -> int:
        self._need(buf, i + 2)
        cmd = chr(buf[i + 1])
        if cmd == "V":
            self._need(buf, i + 3)
            m = buf[i + 2]
            end = i + 3 if m in (0, 1, 48, 49) else i + 4
            self._need(buf, end)
            self.job.cuts.append("partial" if m in _PART_CUTS else "full")
            self._event("cut", self.job.cuts[-1])
            return end
        if cmd == "!":
            self._need(buf, i + 3)
            n = buf[i + 2]
            self.width, self.height = (n >> 4 & 7) + 1, (n & 7) + 1
            return i + 3
        if cmd == "(":
            self._need(buf, i + 5)
            size = buf[i + 3] + 256 * buf[i + 4]
            end = i + 5 + size
            self._need(buf, end)
            if buf[i + 2] == ord("k"):
                self._two_d_code(bytes(buf[i + 5 : end]))
            return end
        if cmd == "v":  # GS v 0 m xL xH yL yH data: raster image
            self._need(buf, i + 8)
            width_bytes = buf[i + 4] + 256 * buf[i + 5]
            height = buf[i + 6] + 256 * buf[i + 7]
            end = i + 8 + width_bytes * height
            self._need(buf, end)
            self.job.images.append((width_bytes * 8, height))
            bits = bytes(buf[i + 8 : end])
            self._event("image", Raster(width_bytes * 8, height, bits, self.align))
            return end
        if cmd == "8":  # GS 8 L p1 p2 p3 p4 ...: large graphics
            self._need(buf, i + 7)
            end = i + 7 + int.from_bytes(buf[i + 3 : i + 7], "little")
            self._need(buf, end)
            return end
        if cmd == "k":
            return self._barcode(buf, i)
        if cmd == "*":  # GS * x y d1..d(x*y*8): define downloaded image
            self._need(buf, i + 4)
            end = i + 4 + buf[i + 2] * buf[i + 3] * 8
            self._need(buf, end)
            return end
        if cmd in _GS_ARGS:
            end = i + 2 + _GS_ARGS[cmd]
            self._need(buf, end)
            return end
        self.job.unknown.append(bytes(buf[i : i + 2]))
        return i + 2

    def _two_d_code(self, body: bytes) -> None:
        """``GS ( k``: cn fn [m] data; QR is cn = 49; fn 80 stores, fn 81 prints."""
        if len(body) < 2 or body[0] != 49:
            return
        fn = body[1]
        if fn == 80:
            self._qr_data = body[3:]
        elif fn == 81:
            payload = self._qr_data.decode("utf-8", errors="replace")
            self.job.qr.append(payload)
            self._event("qr", payload)

    def _barcode(self, buf: bytes, i: int) -> int:
        self._need(buf, i + 3)
        m = buf[i + 2]
        if m <= 6:
            end = buf.find(b"\x00", i + 3)
            if end < 0:
                raise _Incomplete
            data, end = bytes(buf[i + 3 : end]), end + 1
        else:
            self._need(buf, i + 4)
            end = i + 4 + buf[i + 3]
            self._need(buf, end)
            data = bytes(buf[i + 4 : end])
        self._event("barcode", data.decode("ascii", errors="replace"))
        return end

    def _fs(self, buf: bytes, i: int) -> int:
        self._need(buf, i + 2)
        cmd = chr(buf[i + 1])
        if cmd == "(":
            self._need(buf, i + 5)
            end = i + 5 + buf[i + 3] + 256 * buf[i + 4]
            self._need(buf, end)
            return end
        if cmd in _FS_ARGS:
            end = i + 2 + _FS_ARGS[cmd]
            self._need(buf, end)
            return end
        self.job.unknown.append(bytes(buf[i : i + 2]))
        return i + 2


def decode(data: bytes, *, escpos_profile: str = "TM-T20II") -> Job:
    """Decode a whole byte string at once (handy in tests and for stored jobs)."""
    decoder = Decoder(Job(), escpos_profile=escpos_profile)
    decoder.feed(data)
    return decoder.finish()
