"""The neutral documents the store prints, before any printer is chosen.

The edge builds these from its tables; ``printers.render`` turns them into the
bytes of one particular printer. Keeping them free of ESC/POS means the same
kitchen ticket can go to a 58 mm backup printer or a kitchen screen, and a job
can be rendered again for another printer when it is rerouted.

Money fields are integer minor units in the document's ``currency``; datetimes
are already in the store's local time (the edge decides the timezone). Text fields
hold the words as they are printed: ``table`` is "Table 3" (see ``table_label``),
not the bare "3".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from printers.money import format_amount

__all__ = [
    "Document",
    "KitchenLine",
    "KitchenTicket",
    "Mark",
    "Receipt",
    "ReceiptLine",
    "RefundSlip",
    "Report",
    "ReportRow",
    "ReportSection",
    "ShiftReport",
    "TableQrTent",
    "TaxLine",
    "Tender",
    "Adjustment",
    "TestPage",
    "VoidChit",
    "XReport",
    "ZReport",
    "format_amount",
    "table_label",
]


def table_label(name: str) -> str:
    """How paper names a table: "Table 3" and "Table T1", but "Terrace 2" as it is.

    A name with a word in it (two letters or more: "Terrace 2", "Bar", "Table 3", "Meja 4")
    already says what it is; a number or a short code ("3", "T1", "12A") reads as a table only
    with the word before it.
    """
    name = name.strip()
    return name if re.search(r"[^\W\d_]{2}", name) else f"Table {name}"


class Mark(StrEnum):
    """Why a kitchen ticket is printed again or differs from the first one."""

    ADD = "ADD"
    VOID = "VOID"
    REPRINT = "REPRINT"


# --- receipt ---------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptLine:
    """One sold item: ``amount`` is the line total (qty x price, after modifiers)."""

    qty: int
    name: str
    amount: int
    modifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaxLine:
    """Tax at one rate; ``rate_bp`` in basis points (1000 = 10 %). ``name`` is the store's name
    for the rate, which may show the rate already ("IVA 13%"): then it is printed once."""

    name: str
    rate_bp: int
    amount: int
    included: bool = False


@dataclass(frozen=True)
class Adjustment:
    """A discount (negative) or charge (service, delivery) between subtotal and total."""

    label: str
    amount: int


@dataclass(frozen=True)
class Tender:
    """How part of the total was paid (cash, card, QRIS...)."""

    method: str
    amount: int


@dataclass(frozen=True)
class Receipt:
    """A customer receipt: the first ``header`` line is the store name, printed large.

    ``rounding``: what paying in cash rounded the total by (to the smallest coin), and ``tip``
    what the guest tipped, printed below it and above the tenders, each tender as it took the
    money (a card as charged, its tip in it; cash as handed over), so that what was due and
    tipped above adds up to what was handed over below: ``total + rounding + tip = tenders -
    change``. The digital receipt says it the same way, row for row. ``due_back``: what was paid
    beyond the total (a line voided after a payment) and not yet refunded, printed below the
    tenders, so that they still add up: ``total + rounding + tip + due_back = tenders - change``
    (less the refunds). ``balance``: what
    is left to pay, on the bill of a check paid in part (what its pay link's code asks for).
    ``refunds``: what was given back of the tenders (each a ``Tender`` named "Refund, Card",
    its amount as given back), and ``net_paid`` what the guest paid in the end: the tenders
    less the change and the refunds, printed below them when there are refunds.

    ``lines`` stay in the order they were ordered, not grouped by course as in the kitchen:
    the guest checks the bill against what they asked for, round by round, and headings would
    only make the paper longer.
    """

    currency: str
    header: tuple[str, ...]
    lines: tuple[ReceiptLine, ...]
    subtotal: int
    total: int
    taxes: tuple[TaxLine, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    tenders: tuple[Tender, ...] = ()
    change: int = 0
    rounding: int = 0
    tip: int = 0
    balance: int = 0
    refunds: tuple[Tender, ...] = ()
    net_paid: int = 0
    due_back: int = 0
    order_no: str = ""
    table: str = ""
    staff: str = ""
    at: datetime | None = None
    qr_payload: str | None = None
    qr_caption: str = "Your digital receipt"
    footer: tuple[str, ...] = ()
    copy_label: str = ""


@dataclass(frozen=True)
class RefundSlip:
    """Money given back of one tender: the guest's proof of it, and the drawer's. Headed as a
    receipt is (``header``, ``copy_label``, ``order_no``, ``at``, ``table``); ``tender`` is how
    it was paid ("Card"), ``reference`` the card terminal's, ``amount`` what was given back.
    ``signature``: a line for the guest to sign that they had the cash."""

    currency: str
    header: tuple[str, ...]
    tender: str
    amount: int
    reason: str
    refunded_by: str
    approved_by: str = ""
    reference: str = ""
    signature: bool = False
    order_no: str = ""
    table: str = ""
    at: datetime | None = None
    copy_label: str = ""


# --- kitchen ---------------------------------------------------------------


@dataclass(frozen=True)
class KitchenLine:
    """One item for the cook; ``mark`` flags a single added or voided line; ``course`` (DRINKS,
    STARTERS...) heads the group of lines it is printed in."""

    qty: int
    name: str
    modifiers: tuple[str, ...] = ()
    note: str = ""
    seat: str = ""
    mark: Mark | None = None
    course: str = ""


@dataclass(frozen=True)
class KitchenTicket:
    """What one station must cook for one table, read from across the kitchen.

    ``lines`` come in the order they are cooked, grouped by course (the edge knows the store's
    courses and sorts them): each run of one course is printed under a heading that names it.
    """

    station: str
    table: str
    ticket_no: str
    lines: tuple[KitchenLine, ...]
    at: datetime | None = None
    seat: str = ""
    order_no: str = ""
    staff: str = ""
    guests: int | None = None
    mark: Mark | None = None
    note: str = ""


@dataclass(frozen=True)
class VoidChit:
    """Tells a station to stop cooking items already sent (under course headings, as sent)."""

    station: str
    table: str
    ticket_no: str
    lines: tuple[KitchenLine, ...]
    reason: str = ""
    staff: str = ""
    at: datetime | None = None


# --- reports ---------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    """A label and an already formatted value (money via ``format_amount``)."""

    label: str
    value: str


@dataclass(frozen=True)
class ReportSection:
    """A titled block of rows, e.g. "Payments" or "Tax"."""

    title: str
    rows: tuple[ReportRow, ...]


@dataclass(frozen=True)
class Report:
    """A generic report; X, Z and shift reports only differ in title and content."""

    title: str
    rows: tuple[ReportRow, ...] = ()
    sections: tuple[ReportSection, ...] = ()
    header: tuple[str, ...] = ()
    at: datetime | None = None
    footer: tuple[str, ...] = ()


@dataclass(frozen=True)
class XReport(Report):
    """Mid-day totals; reading it changes nothing."""

    title: str = "X REPORT"


@dataclass(frozen=True)
class ZReport(Report):
    """End-of-day totals; printed when the business day is closed."""

    title: str = "Z REPORT"


@dataclass(frozen=True)
class ShiftReport(Report):
    """One cashier's shift: float, takings, counted cash, difference."""

    title: str = "SHIFT REPORT"


# --- other -----------------------------------------------------------------


@dataclass(frozen=True)
class TableQrTent:
    """A card for a table: guests scan ``url`` to order from their phone."""

    table: str
    url: str
    store: str = ""
    caption: str = "Scan to order"


@dataclass(frozen=True)
class TestPage:
    """Proves a printer works: columns, code pages, QR, cut."""

    __test__ = False  # not a pytest test class, despite the name

    printer_name: str = ""
    at: datetime | None = None
    lines: tuple[str, ...] = field(default=())


Document = Receipt | RefundSlip | KitchenTicket | VoidChit | Report | TableQrTent | TestPage
