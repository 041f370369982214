"""Documents -> ESC/POS bytes for one printer profile.

Rendering is pure: the same document and profile always give the same bytes,
which the print queue stores in the job and a transport delivers later (a
reprint sends the stored bytes again). python-escpos's ``Dummy`` printer
produces the commands; we only decide the layout and drive its code page
handling explicitly (see ``printers.codepages``).

Every job starts with ``ESC @`` (forget the previous job's modes) and
``ESC t n`` (the profile's first code page), and ends with a cut, or a feed to
the tear bar on printers without a cutter.

A line, or a row of two columns, with what no code page holds (Hebrew, Arabic,
Chinese, Japanese, Korean, emoji) is drawn, not printed: it goes out as raster
images (see ``printers.drawing``), an amount beside it still in the amounts'
column. Every other line stays text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache, singledispatch
from typing import Any, Literal

from escpos.capabilities import get_profile as get_escpos_profile
from escpos.constants import QR_ECLEVEL_M
from escpos.magicencode import Encoder
from escpos.printer import Dummy

from printers import codepages, drawing, layout
from printers.documents import (
    Document,
    KitchenLine,
    KitchenTicket,
    Receipt,
    RefundSlip,
    Report,
    TableQrTent,
    TaxLine,
    TestPage,
    VoidChit,
)
from printers.errors import PrinterUnsupported
from printers.money import format_money
from printers.profiles import PrinterProfile

Align = Literal["left", "center", "right"]
Size = Literal["normal", "tall", "big"]

TIME_FORMAT = "%Y-%m-%d %H:%M"

SAMPLE_TEXT = (
    "Café crème €5",
    "Señor Ñandú",
    "Müller",
    "Français ç",
    "Nasi goreng spesial, ayam bakar",
)


class Page:
    """A print job being written: text with styles, QR codes, cut.

    Keeps the current alignment, emphasis and size so a style command is sent
    only when it changes, which keeps golden files readable.
    """

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self.printer = _printer(profile)
        self._align: Align = "left"
        self._bold = False
        self._size: Size = "normal"
        self.printer.hw("INIT")
        self._codepage = profile.codepages[0]
        self.printer.magic.write_with_encoding(self._codepage, None)

    @property
    def width(self) -> int:
        """Columns available at the current text size."""
        return self.profile.columns // 2 if self._size == "big" else self.profile.columns

    def style(self, *, align: Align = "left", bold: bool = False, size: Size = "normal") -> None:
        """Switch to this style (only the changed parts are sent)."""
        if size != self._size:
            self.printer.set(
                normal_textsize=size == "normal",
                double_height=size in ("tall", "big"),
                double_width=size == "big",
            )
            self._size = size
            self._bold = False  # ESC ! also clears emphasis
        if bold != self._bold:
            self.printer.set(bold=bold)
            self._bold = bold
        if align != self._align:
            self.printer.set(align=align)
            self._align = align

    def line(self, text: str = "", indent: str = "", **style) -> None:
        """Print one line, wrapped to the width of its style; its next lines start with
        ``indent`` (a note's under its "!", not at the edge where an item's line starts)."""
        self.style(**style)
        if self._drawn(text) and self._draw(
            drawing.line(text, align=self._align, indent=indent, **self._drawing)
        ):
            return
        text = self.text(text)
        for part in layout.wrap(text, self.width, indent) if len(text) > self.width else [text]:
            self._write_line(part)

    def _drawn(self, *texts: str) -> bool:
        """True if one of ``texts`` is to be drawn (an ASCII one never is: most are)."""
        return any(
            not text.isascii() and drawing.wanted(text, self.profile.codepages) for text in texts
        )

    @property
    def _drawing(self) -> dict:
        """How ``drawing`` draws in the current style: the text's width in dots (an amount
        drawn ends where the text rows' amounts end), its weight and size."""
        return {"width": self.profile.text_dots, "bold": self._bold, "size": self._size}

    def _draw(self, pictures: Sequence[Any] | None) -> bool:
        """``pictures`` printed one under the other as raster images (``GS v 0``, their bytes
        as they are: python-escpos's ``image`` converted each again, a millisecond a line);
        False, with nothing sent, for None (no fonts to draw with)."""
        if pictures is None:
            return False
        for picture in pictures:
            size = ((picture.width + 7) // 8).to_bytes(2, "little") + picture.height.to_bytes(
                2, "little"
            )
            self.printer._raw(b"\x1dv0\x00" + size + picture.tobytes())
        return True

    def detail(self, mark: str, text: str, **style) -> None:
        """A line under an item ("   + oat milk", "   ! no nuts"), wrapped under its text."""
        self.line(f"   {mark} {text}", indent=" " * (len(mark) + 4), **style)

    def columns(self, left: str, right: str, **style) -> None:
        """Print ``left`` and ``right`` on one row, ``right`` flush with the edge."""
        self.style(**style)
        if self._drawn(left, right) and self._draw(drawing.columns(left, right, **self._drawing)):
            return
        for part in layout.two_columns(self.text(left), self.text(right), self.width):
            self._write_line(part)

    def rule(self, char: str = "-", title: str = "") -> None:
        """A horizontal line in normal size; one with a ``title`` is bold and tall."""
        line = layout.rule(self.profile.columns, char, title)
        self.line(line, bold=bool(title), size="tall" if title else "normal")

    def money(self, minor: int, currency: str) -> str:
        """``minor`` with its currency's symbol if this printer can print it, else its code."""
        return format_money(minor, currency, self.profile.codepages)

    def text(self, value: str) -> str:
        """``value`` reduced to what this printer can print."""
        return codepages.printable(value, self.profile.codepages)

    def _write_line(self, text: str) -> None:
        """``text`` and a line feed. An ASCII line is the same bytes in every code page, so it
        goes out as it is, in one piece (most lines are: a sample receipt renders 8 % faster
        this way, a kitchen ticket 20 %)."""
        if text.isascii():
            self.printer._raw(text.encode("ascii") + b"\n")
        else:
            self._write_encoded(text)
            self._put(self._codepage, "\n")

    def _write_encoded(self, text: str) -> None:
        for codepage, piece in codepages.runs(text, self.profile.codepages, self._codepage):
            self._put(codepage, piece)
            self._codepage = codepage

    def _put(self, codepage: str, text: str) -> None:
        """``text`` in ``codepage``, after an ``ESC t`` switch if the printer is on another.

        The bytes escpos would make, without its character-by-character work: only the switch
        goes through escpos. ASCII is ASCII in every code page; other characters go through
        escpos's own map of the code page, built once per process (escpos builds it again for
        every printer object, so for every job: a third of a receipt's rendering)."""
        self.printer.magic.write_with_encoding(codepage, None)
        if text.isascii():
            self.printer._raw(text.encode("ascii"))
        else:
            self.printer._raw(text.translate(_byte_map(codepage)).encode("latin-1"))

    def qr(self, payload: str) -> None:
        """A centred QR code: the printer draws it if it can, else a raster image. A printer
        drawing the code adds no quiet zone (the line before came within a module of its top):
        a blank line above and below it (1/6 inch, 4 modules and more) is that zone; the
        raster image's lines come with blank paper of their own."""
        self.style(align="center")
        size = _qr_module_dots(payload, self.profile)
        if self.profile.native_qr:
            self._put(self._codepage, "\n")
            self.printer.qr(payload, ec=QR_ECLEVEL_M, size=size, native=True)
            self._put(self._codepage, "\n")
        else:
            self.printer.qr(
                payload,
                ec=QR_ECLEVEL_M,
                size=size,
                native=False,
                image_arguments={"center": True, "impl": "bitImageRaster"},
            )

    def finish(self) -> bytes:
        """Cut (or feed to the tear bar) and return the job's bytes."""
        self.style()
        if self.profile.cut:
            self.printer.cut(mode="PART" if self.profile.partial_cut else "FULL")
        else:
            self.printer.print_and_feed(self.profile.feed_lines)
        return _taken(self.printer)


# Bytes a QR code of each version (1 to 40) holds at error correction level M (ISO/IEC 18004,
# byte mode): a payload's version, and so its width, without making the code (segno takes 5 ms).
QR_BYTES_M = (
    14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666,
    711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911,
    1989, 2099, 2213, 2331,
)  # fmt: skip


def _qr_module_dots(payload: str, profile: PrinterProfile) -> int:
    """Dots a side of each module of ``payload``'s QR code: the profile's size, or less for a
    code that would not fit across the paper at it (a payment provider's link of 400
    characters on a 58 mm printer: python-escpos refused the image, and a printer drawing the
    code itself prints nothing of a code wider than its paper). Measured with a module of quiet
    zone each side, as python-escpos draws its image; the paper's margins add to it."""
    size = len(payload.encode("utf-8"))
    version = next((v for v, held in enumerate(QR_BYTES_M, start=1) if size <= held), 40)
    width = 17 + 4 * version + 2
    return max(1, min(profile.qr_size, profile.dots // width))


@lru_cache(maxsize=64)
def _byte_map(codepage: str) -> dict[int, int]:
    """``str.translate`` table of ``codepage``'s upper half: character -> its byte, as escpos's
    ``Encoder.encode`` maps them (a character the code page lacks becomes ``?``, as there)."""
    chars = Encoder._get_codepage_char_list(codepage)
    table = _Unknown((code, code) for code in range(128))
    table.update(
        (ord(char), 128 + i) for i, char in enumerate(chars) if len(char) == 1 and ord(char) > 127
    )
    return table


class _Unknown(dict[int, int]):
    """A translate table that turns any character it does not hold into ``?``."""

    def __missing__(self, key: int) -> int:
        return ord("?")


def render(document: Document, profile: PrinterProfile) -> bytes:
    """ESC/POS bytes that print ``document`` on a printer of ``profile``."""
    page = Page(profile)
    _draw(document, page)
    return page.finish()


def reprint_banner(profile: PrinterProfile) -> bytes:
    """Bytes to send before a job's stored bytes when it goes out again (a reprint, or a job
    resumed after a crash mid-send), so the kitchen can tell it from a new order.

    The stored job starts with ``ESC @``, which clears the banner's styles.
    """
    page = Page(profile)
    page.line("*** REPRINT ***", align="center", bold=True, size="big")
    page.style()
    return _taken(page.printer)


def drawer_pulse(profile: PrinterProfile, pin: int = 2) -> bytes:
    """Bytes that open the cash drawer on ``pin`` (2 or 5): ``ESC p m t1 t2``.

    A separate job, not part of the receipt: the drawer opens when the sale is
    paid, even if the receipt cannot print.
    """
    if pin not in profile.drawer_pins:
        raise PrinterUnsupported(f"{profile.name} has no cash drawer on pin {pin}")
    printer = _printer(profile)
    printer.cashdraw(pin)
    return _taken(printer)


def _printer(profile: PrinterProfile) -> Dummy:
    """A printer object to write one job to, sharing its model's code page map (`_encoder`)."""
    return Dummy(
        profile=profile.escpos_profile,
        magic_encode_args={"encoder": _encoder(profile.escpos_profile)},
    )


@lru_cache(maxsize=16)
def _encoder(escpos_profile: str) -> Encoder:
    """escpos's map of a printer model's code pages to their `ESC t` numbers, made once per
    process: escpos made it again for every printer object, so for every job (8 us of a
    page's 14, three jobs a checkout). Shared safely: a page only asks it a code page's number
    (`write_with_encoding` with no text), never to choose one, which is what it keeps state
    for."""
    return Encoder(get_escpos_profile(escpos_profile).get_code_pages())


def _taken(printer: Dummy) -> bytes:
    """The bytes written to `printer`, which is done with: its encoder lets go of it, so that
    both are freed at once instead of by the cyclic garbage collector (the two point at each
    other). Left to it, the 20-odd objects of each job added up to a collection of 5 ms with
    the interpreter's lock held every 250 checkouts or so (checkout benchmark, gc.callbacks)."""
    output = printer.output
    printer.magic.driver = None
    return output


# --- one drawing function per document ---------------------------------------


@singledispatch
def _draw(document: object, page: Page) -> None:
    raise TypeError(f"cannot render {type(document).__name__}")


def _when(at: datetime | None) -> str:
    return at.strftime(TIME_FORMAT) if at else ""


def _rate(rate_bp: int) -> str:
    whole, frac = divmod(rate_bp, 100)
    return f"{whole}%" if not frac else f"{whole}.{frac:02d}".rstrip("0") + "%"


def _shows_rate(name: str, rate_bp: int) -> bool:
    """True if ``name`` already says the rate: "IVA 13%", "VAT 13 %", "TVA 5,5%", "GST 9.0%"."""
    whole, frac = divmod(rate_bp, 100)
    digits = f"[.,]{frac:02d}".rstrip("0") + "0*" if frac else "(?:[.,]0+)?"
    return re.search(rf"(?<![\d.,]){whole}{digits}\s*%", name) is not None


def _tax_label(tax: TaxLine) -> str:
    label = tax.name if _shows_rate(tax.name, tax.rate_bp) else f"{tax.name} {_rate(tax.rate_bp)}"
    return f"incl. {label}" if tax.included else label


def _head(
    page: Page,
    doc: Receipt | RefundSlip,
    banner: str = "",
    staff: str = "",
) -> None:
    """The top of a receipt or a refund slip: the store (its name large), what the paper is
    (``banner``: REFUND), COPY when printed again, then the order and when, the table and who
    took it, between rules."""
    if doc.header:
        page.line(doc.header[0], align="center", bold=True, size="big")
        for text in doc.header[1:]:
            page.line(text, align="center")
    if banner:
        page.line(banner, align="center", bold=True, size="big")
    if doc.copy_label:
        page.line(doc.copy_label, align="center", bold=True, size="tall")
    page.rule()
    if doc.order_no or doc.at:
        page.columns(f"Order {doc.order_no}" if doc.order_no else "", _when(doc.at))
    if doc.table or staff:
        page.columns(doc.table, staff)
    page.rule()


@_draw.register
def _receipt(doc: Receipt, page: Page) -> None:
    def money(minor: int) -> str:
        return page.money(minor, doc.currency)

    _head(page, doc, staff=doc.staff)
    for item in doc.lines:
        page.columns(f"{item.qty}x {item.name}", money(item.amount))
        for modifier in item.modifiers:
            page.detail("+", modifier)
    page.rule()
    page.columns("Subtotal", money(doc.subtotal))
    for adjustment in doc.adjustments:
        page.columns(adjustment.label, money(adjustment.amount))
    for tax in doc.taxes:
        page.columns(_tax_label(tax), money(tax.amount))
    page.columns("TOTAL", money(doc.total), bold=True, size="tall")
    if doc.rounding:
        page.columns("Cash rounding", money(doc.rounding))
    if doc.tip:
        page.columns("Tip", money(doc.tip))
    for tender in doc.tenders:
        page.columns(tender.method, money(tender.amount))
    if doc.change:
        page.columns("Change", money(doc.change))
    for refund in doc.refunds:
        page.columns(refund.method, money(-refund.amount))
    if doc.refunds:
        page.columns("Net paid", money(doc.net_paid), bold=True)
    if doc.due_back:
        page.columns("Owed back", money(doc.due_back), bold=True)
    if doc.balance:
        page.columns("Balance due", money(doc.balance), bold=True, size="tall")
    if doc.qr_payload:
        page.rule()
        page.line(doc.qr_caption, align="center")
        page.qr(doc.qr_payload)
    if doc.footer:
        page.rule()
        for text in doc.footer:
            page.line(text, align="center")


@_draw.register
def _refund_slip(doc: RefundSlip, page: Page) -> None:
    _head(page, doc, banner="REFUND")
    page.columns("Refund to", doc.tender)
    if doc.reference:
        page.columns("Terminal ref", doc.reference)
    page.columns("Amount refunded", page.money(doc.amount, doc.currency), bold=True, size="tall")
    page.line(f"Reason: {doc.reason}", indent="  ")
    page.columns("Refunded by", doc.refunded_by)
    if doc.approved_by:
        page.columns("Approved by", doc.approved_by)
    if doc.signature:
        page.rule()
        page.line("Guest's signature")
        page.line()
        page.line()
        page.rule("_")


def _by_course(
    page: Page, lines: Sequence[KitchenLine], draw: Callable[[Page, KitchenLine], None]
) -> None:
    """The lines, each run of one course under a rule that names it ("----- MAINS -----"):
    a cook sees at a glance what goes out first. Lines without a course get a plain rule."""
    course = None
    for item in lines:
        if item.course != course:
            page.rule(title=item.course)
            course = item.course
        draw(page, item)
    if course is None:
        page.rule()


def _kitchen_line(page: Page, item: KitchenLine) -> None:
    mark = f"{item.mark} " if item.mark else ""
    page.line(f"{mark}{item.qty}x {item.name}", bold=True, size="tall")
    if item.seat:
        page.detail("seat", item.seat)
    for modifier in item.modifiers:
        page.detail("+", modifier, bold=True)
    if item.note:
        page.detail("!", item.note, bold=True)


@_draw.register
def _kitchen_ticket(doc: KitchenTicket, page: Page) -> None:
    page.line(doc.station.upper(), align="center", bold=True)
    if doc.mark:
        page.line(f"*** {doc.mark} ***", align="center", bold=True, size="big")
    page.line(doc.table, align="center", bold=True, size="big")
    page.columns(f"#{doc.ticket_no}", _when(doc.at), bold=True)
    details = [
        f"Order {doc.order_no}" if doc.order_no else "",
        doc.staff,
        f"{doc.guests} guests" if doc.guests else "",
    ]
    for text in layout.side_by_side([d for d in details if d], page.profile.columns):
        page.line(text)
    if doc.seat:
        page.line(f"-- seat {doc.seat} --", align="center", bold=True, size="tall")
    _by_course(page, doc.lines, _kitchen_line)
    if doc.note:
        page.rule()
        page.line(f"! {doc.note}", indent="  ", bold=True)
    page.rule()


def _void_line(page: Page, item: KitchenLine) -> None:
    page.line(f"VOID {item.qty}x {item.name}", bold=True, size="tall")
    for modifier in item.modifiers:
        page.detail("+", modifier)


@_draw.register
def _void_chit(doc: VoidChit, page: Page) -> None:
    page.line(doc.station.upper(), align="center", bold=True)
    page.line("*** VOID ***", align="center", bold=True, size="big")
    page.line(doc.table, align="center", bold=True, size="big")
    page.columns(f"#{doc.ticket_no}", _when(doc.at), bold=True)
    _by_course(page, doc.lines, _void_line)
    page.rule()
    if doc.reason:
        page.line(f"Reason: {doc.reason}")
    if doc.staff:
        page.line(f"By: {doc.staff}")


@_draw.register
def _report(doc: Report, page: Page) -> None:
    for text in doc.header:
        page.line(text, align="center")
    page.line(doc.title, align="center", bold=True, size="big")
    if doc.at:
        page.line(_when(doc.at), align="center")
    page.rule()
    for row in doc.rows:
        page.columns(row.label, row.value)
    for section in doc.sections:
        page.rule()
        page.line(section.title, bold=True)
        for row in section.rows:
            page.columns(row.label, row.value)
    page.rule()
    for text in doc.footer:
        page.line(text, align="center")


@_draw.register
def _table_qr_tent(doc: TableQrTent, page: Page) -> None:
    if doc.store:
        page.line(doc.store, align="center")
    page.line(doc.table, align="center", bold=True, size="big")
    page.line(doc.caption, align="center")
    page.qr(doc.url)


@_draw.register
def _test_page(doc: TestPage, page: Page) -> None:
    profile = page.profile
    page.line("TEST PAGE", align="center", bold=True, size="big")
    if doc.printer_name:
        page.line(doc.printer_name, align="center")
    if doc.at:
        page.line(_when(doc.at), align="center")
    page.rule()
    page.columns("Profile", profile.name)
    page.columns("Columns", str(profile.columns))
    page.columns("Code pages", " ".join(profile.codepages))
    page.line("".join(str(i % 10) for i in range(1, profile.columns + 1)))
    for text in (*SAMPLE_TEXT, *doc.lines):
        page.line(text)
    page.line("Bold", bold=True)
    page.line("Tall", size="tall")
    page.line("Big", size="big")
    page.qr("GALLEY TEST PAGE")
