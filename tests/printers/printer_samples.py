"""Sample documents shared by the printer tests (one of each kind)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from printers.documents import (
    Adjustment,
    KitchenLine,
    KitchenTicket,
    Mark,
    Receipt,
    ReceiptLine,
    RefundSlip,
    ReportRow,
    ReportSection,
    ShiftReport,
    TableQrTent,
    TaxLine,
    Tender,
    TestPage,
    VoidChit,
    XReport,
    ZReport,
)

AT = datetime(2024, 5, 17, 19, 42)

ACCENTED = (
    "Café crème €5",
    "Señor Ñandú",
    "Müller",
    "Français ç",
    "Nasi goreng spesial, ayam bakar",
)


def sample_receipt() -> Receipt:
    return Receipt(
        currency="EUR",
        header=("Café Müller", "Calle Señor Ñandú 7", "Tel. 030 1234"),
        lines=(
            ReceiptLine(2, "Café crème €5", 1000, ("oat milk",)),
            ReceiptLine(1, "Nasi goreng spesial, ayam bakar", 1450, ("extra egg", "pedas")),
            ReceiptLine(1, "Français ç tarte", 650),
        ),
        subtotal=3100,
        adjustments=(Adjustment("Discount 10%", -310),),
        # One name without its rate, one with it: each prints the rate once.
        taxes=(TaxLine("VAT", 1900, 445, included=True), TaxLine("VAT 7%", 700, 0, included=True)),
        total=2790,
        tenders=(Tender("Cash", 3000),),
        change=210,
        order_no="42",
        table="Table T5",
        staff="Müller",
        at=AT,
        qr_payload="https://store.example/r/0190f3a2-7c1e-7b3d-9d2a-5f6e7a8b9c0d",
        footer=("Danke! Gracias! Terima kasih!",),
    )


def sample_receipt_idr() -> Receipt:
    return Receipt(
        currency="IDR",
        header=("Warung Bu Sri", "Jl. Kemang Raya 10, Jakarta"),
        lines=(
            ReceiptLine(2, "Nasi goreng spesial", 70000),
            ReceiptLine(1, "Ayam bakar", 45000, ("sambal matah",)),
            ReceiptLine(3, "Es teh manis", 24000),
        ),
        subtotal=139000,
        adjustments=(Adjustment("Service 5%", 6950),),
        taxes=(TaxLine("PB1", 1000, 14595),),
        total=160545,
        tenders=(Tender("QRIS", 160545),),
        order_no="7",
        table="Meja 3",
        at=AT,
        footer=("Terima kasih!",),
    )


def sample_ticket() -> KitchenTicket:
    return KitchenTicket(
        station="Grill",
        table="Terrace 12",
        ticket_no="A-17",
        order_no="42",
        staff="Ana",
        guests=4,
        at=AT,
        lines=(  # in course order, as the edge sorts them
            KitchenLine(1, "Ayam bakar", note="allergy: peanuts", course="STARTERS"),
            KitchenLine(2, "Burger", ("no onion", "medium rare"), seat="1", course="MAINS"),
            KitchenLine(1, "Steak frites", course="MAINS"),
            KitchenLine(1, "Crème brûlée", mark=Mark.ADD, course="DESSERTS"),
        ),
    )


def sample_documents() -> dict[str, object]:
    """Every document kind once; keys are golden file names."""
    return {
        "receipt": sample_receipt(),
        "receipt_idr": sample_receipt_idr(),
        # Paid in cash, part of it given back: the refund under the tenders, then the net.
        "receipt_refunded": replace(
            sample_receipt(),
            refunds=(Tender("Refund, Cash", 650),),
            net_paid=2790 - 650,
            copy_label="COPY",
        ),
        "refund_slip": RefundSlip(
            currency="EUR",
            header=("Café Müller",),
            tender="Cash",
            amount=650,
            reason="Français ç tarte never came: the guest waited forty minutes and left",
            refunded_by="Señor Ñandú",
            approved_by="Müller",
            signature=True,
            order_no="#42",
            table="Table T5",
            at=AT,
        ),
        "kitchen_ticket": sample_ticket(),
        "kitchen_ticket_reprint": KitchenTicket(
            station="Bar",
            table="Table T5",
            ticket_no="B-3",
            mark=Mark.REPRINT,
            at=AT,
            lines=(KitchenLine(2, "Es teh manis"),),
        ),
        "void_chit": VoidChit(
            station="Grill",
            table="Terrace 12",
            ticket_no="A-17",
            lines=(KitchenLine(1, "Burger", ("no onion",), course="MAINS"),),
            reason="guest changed mind",
            staff="Manager Ñandú",
            at=AT,
        ),
        "x_report": XReport(
            header=("Café Müller",),
            at=AT,
            rows=(ReportRow("Orders", "37"), ReportRow("Gross sales", "1,234.50")),
            sections=(
                ReportSection(
                    "Payments", (ReportRow("Cash", "400.00"), ReportRow("Card", "834.50"))
                ),
            ),
        ),
        "z_report": ZReport(
            header=("Café Müller",),
            at=AT,
            rows=(ReportRow("Business day", "2024-05-17"), ReportRow("Net sales", "1,037.39")),
            sections=(ReportSection("Tax", (ReportRow("VAT 19%", "197.11"),)),),
            footer=("Day closed",),
        ),
        "shift_report": ShiftReport(
            at=AT,
            rows=(
                ReportRow("Cashier", "Señor Ñandú"),
                ReportRow("Float", "100.00"),
                ReportRow("Counted", "498.00"),
                ReportRow("Difference", "-2.00"),
            ),
        ),
        "table_qr_tent": TableQrTent(
            table="Terrace 12",
            url="http://192.168.1.10:8000/g/t/12?sig=4f9c2b",
            store="Café Müller",
        ),
        "test_page": TestPage(printer_name="Kitchen grill", at=AT),
    }
