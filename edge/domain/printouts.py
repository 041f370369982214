"""What the store prints, made from its tables: kitchen tickets (from `edge.domain.tickets`),
void chits, bills, test pages, drawer pulses. Each is a neutral `printers.documents` document,
rendered to the bytes of the printer it is routed to and queued (`print_queue.enqueue`, bytes
and document) in the caller's write, so the fire and its printed ticket are one atomic step: a
fired ticket always has its print job queued. The document stays with the job so a reroute
can render it for another printer.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from edge.core.events import WriteConnection, cached
from edge.core.permissions import Actor, require, visible
from edge.domain import checks, print_queue, qrsheet, receipts
from edge.domain import store as store_settings
from edge.domain import store_printers as config
from edge.domain.menu import COURSES
from edge.domain.rows import existing
from printers import documents as doc
from printers.errors import PrinterUnsupported
from printers.profiles import PrinterProfile, get_profile
from printers.render import drawer_pulse, render
from service import fields as f
from service.errors import Conflict, NotFound
from sync.clock import parse_iso, utcnow


@functools.lru_cache(maxsize=16)
def profile(name: str) -> PrinterProfile:
    return get_profile(name)


def local_now(conn: sqlite3.Connection, at: str | None = None) -> datetime:
    """Now (or the instant `at`, ISO-8601) in the store's time zone, as paper prints it."""
    store = store_settings.current(conn)
    moment = parse_iso(at) if at else utcnow()
    return moment.astimezone(ZoneInfo(store["timezone"])).replace(tzinfo=None)


def order_label(conn: sqlite3.Connection, order: Any) -> str:
    """Where the order goes, as paper says it: "Table 3", "Terrace 2", "Counter #12"."""
    if order["table_id"] is None:
        return f"Counter #{order['number']}"
    row = conn.execute("SELECT name FROM tables WHERE id = ?", (order["table_id"],)).fetchone()
    return doc.table_label(row["name"]) if row else "Table"


def _modifiers(line: Any) -> tuple[str, ...]:
    modifiers = line["modifiers"]
    if isinstance(modifiers, str):
        modifiers = json.loads(modifiers)
    return tuple(m["name"] for m in modifiers)


def _kitchen_line(line: Any, mark: doc.Mark | None = None) -> doc.KitchenLine:
    return doc.KitchenLine(
        qty=line["quantity"],
        name=line["name"],
        modifiers=_modifiers(line),
        note=line["note"] or "",
        seat=str(line["seat"]) if line["seat"] is not None else "",
        mark=mark,
        course=line["course"],
    )


def course_order(line: Any) -> tuple[int, str]:
    """Sort key putting lines in the order a kitchen sends them out: the menu's courses
    (drinks, starters, mains, desserts), then any other course by name, so every ticket of the
    day lists them alike. Sorting is stable: lines of one course keep the order they came in."""
    course = line["course"]
    return (COURSES.index(course), "") if course in COURSES else (len(COURSES), course)


def _queue(
    conn: WriteConnection,
    actor: Actor,
    printer: sqlite3.Row,
    kind: str,
    document: doc.Document,
    source: tuple[str, str],
    reprint: bool = False,
) -> str | None:
    payload = render(document, profile(printer["profile"]))
    return print_queue.enqueue(
        conn,
        actor.id,
        printer["id"],
        kind,
        payload,
        document=document,
        source=source,
        reprint=reprint,
    )


def kitchen_printers(conn: sqlite3.Connection) -> dict[str, sqlite3.Row | None]:
    """Station -> kitchen printer, cached on the writer until printers change."""

    def build() -> dict[str, sqlite3.Row | None]:
        stations: set[str] = set()
        for row in conn.execute("SELECT stations FROM printers WHERE role = 'kitchen'"):
            stations.update(json.loads(row["stations"]))
        return {station: config.kitchen_printer(conn, station) for station in stations}

    return cached(conn, "printers", build)


def receipt_printer(conn: sqlite3.Connection, device: str) -> sqlite3.Row | None:
    """The device's receipt printer (`store_printers.receipt_printer`), cached on the writer
    until printers change: a cash payment asks twice (the drawer, the receipt)."""
    known: dict[str, sqlite3.Row | None] = cached(conn, "receipt_printers", dict)
    if device not in known:
        known[device] = config.receipt_printer(conn, device)
    return known[device]


def kitchen_ticket(
    conn: WriteConnection, actor: Actor, order: Any, ticket: dict[str, Any], items: Sequence[Any]
) -> str | None:
    """Print a kitchen ticket (`edge.domain.tickets`) on its station's kitchen printer, if the
    station has one (its screens show it either way); an ADD ticket says so."""
    printer = kitchen_printers(conn).get(ticket["station"])
    if printer is None:
        return None
    document = doc.KitchenTicket(
        station=ticket["station"],
        table=ticket["label"],
        ticket_no=str(ticket["number"]),
        lines=tuple(
            doc.KitchenLine(
                qty=item["quantity"],
                name=item["name"],
                modifiers=tuple(item["modifiers"]),
                note=item["note"],
                seat=str(item["seat"]) if item["seat"] is not None else "",
                course=item["course"],
            )
            for item in sorted(items, key=course_order)
        ),
        at=local_now(conn),
        order_no=str(order["number"]),
        staff=actor.name,
        guests=order["covers"] or None,
        mark=doc.Mark.ADD if ticket["kind"] == "ADD" else None,
        note=ticket["note"],
    )
    return _queue(conn, actor, printer, "kitchen_ticket", document, ("orders", order["id"]))


def void_chit(
    conn: WriteConnection, actor: Actor, order: Any, line: Any, reason: str, ticket: Any
) -> str | None:
    """Tell the station cooking `line` (on `ticket`, fired already) to stop."""
    printer = kitchen_printers(conn).get(ticket["station"])
    if printer is None:
        return None
    chit = doc.VoidChit(
        station=ticket["station"],
        table=ticket["label"],
        ticket_no=str(ticket["number"]),
        lines=(_kitchen_line(line, doc.Mark.VOID),),
        reason=reason,
        staff=actor.name,
        at=local_now(conn),
    )
    return _queue(conn, actor, printer, "void_chit", chit, ("order_lines", line["id"]))


# A tender as paper names it.
TENDERS = {"cash": "Cash", "card": "Card", "online": "Paid online"}


def _check_label(check: dict[str, Any]) -> str:
    """Whose check, as paper says it: its table as a ticket names it ("Table 3", not "3"), a
    part of it after it ("Table 3, Seat 1"); a walk-in's as the POS does ("Counter #12")."""
    table = check["table_name"]
    if table is None:
        return check["label"]
    label = doc.table_label(table)
    return label if check["label"] in (table, label) else f"{label}, {check['label']}"


def check_receipt(
    conn: WriteConnection,
    actor: Actor,
    check: dict[str, Any],
    qr: str | None = None,
    bill: bool = False,
    copy: bool = False,
) -> str:
    """The receipt of a check (`edge.domain.checks.get`): its lines (a share of a line when
    split), discounts and service charge, taxes, tenders, tips and change; `qr`: the link to
    its digital copy; a `bill` (not paid yet): `qr` is its pay link; a `copy`: a paid check's
    receipt printed again, marked so (one sale, one original: a copy is no second proof of
    purchase). A receipt names who took the check's last tender; a bill, who printed it."""
    printer = receipt_printer(conn, actor.device)
    if printer is None:
        raise Conflict("no receipt printer is set up", code="no_printer")
    store = store_settings.current(conn)
    included = check["prices_include_tax"]  # a split check's: the rule it was split under
    lines = []
    for line in check["lines"]:
        if line["voided"]:
            continue
        name = line["name"] if line["share"] == "1" else f"{line['name']} ({line['share']})"
        lines.append(
            doc.ReceiptLine(line["quantity"], name, line["charged"], tuple(line["modifiers"]))
        )
    adjustments = [
        doc.Adjustment(d["reason"] or "Discount", -d["amount"])
        for d in check["discounts"]
        if d["amount"]
    ]
    if check["service_charge"]:
        adjustments.append(
            doc.Adjustment(f"Service {check['service_bp'] / 100:g}%", check["service_charge"])
        )
    payments = check["payments"]
    tenders = [doc.Tender(TENDERS[p["method"]], receipts.tendered(p)) for p in payments]
    goods = check["total"] - check["service_charge"]
    receipt = doc.Receipt(
        currency=store["currency"],
        header=(store["name"],),
        lines=tuple(lines),
        subtotal=goods + check["discount_total"] - (0 if included else check["tax_total"]),
        total=check["total"],
        taxes=tuple(
            doc.TaxLine(t["name"], t["rate_bp"], t["tax"], included) for t in check["taxes"]
        ),
        adjustments=tuple(adjustments),
        tenders=tuple(tenders),
        change=sum(p["change"] for p in payments),
        rounding=sum(p["rounding"] for p in payments),
        tip=sum(p["tip"] for p in payments),
        balance=check["balance"] if bill and payments else 0,
        refunds=tuple(
            doc.Tender(f"Refund, {TENDERS[r['method']]}", r["amount"]) for r in check["refunds"]
        ),
        net_paid=receipts.net_paid(check),
        due_back=check["due_back"],
        order_no=_order_numbers(conn, check),
        table=_check_label(check),
        staff=actor.name if bill else _taken_by(conn, payments) or actor.name,
        at=local_now(conn, check["paid_at"]),  # a paid check's receipt printed again: its sale
        qr_payload=qr,
        qr_caption="Scan to pay at the table" if bill else "Your digital receipt",
        copy_label="BILL" if bill else "COPY" if copy else "",
    )
    job = _queue(conn, actor, printer, "receipt", receipt, ("checks", check["id"]))
    assert job is not None
    return job


def _order_numbers(conn: sqlite3.Connection, check: dict[str, Any]) -> str:
    """The check's orders as the POS names them ("#12, #14"), for a receipt and its refunds'
    slips to say alike."""
    numbers = conn.execute(
        "SELECT number FROM orders WHERE id IN (SELECT value FROM json_each(?)) ORDER BY number",
        (json.dumps(check["order_ids"]),),
    )
    return ", ".join(f"#{row['number']}" for row in numbers)


def _taken_by(conn: sqlite3.Connection, payments: list[dict[str, Any]]) -> str | None:
    """The name of who took the last of `payments` (None: none was taken)."""
    return _name(conn, payments[-1]["taken_by"]) if payments else None


def _name(conn: sqlite3.Connection, staff_id: str | None) -> str | None:
    found = conn.execute("SELECT name FROM staff WHERE id = ?", (staff_id,)).fetchone()
    return found["name"] if found else None


def refund_slip(conn: WriteConnection, actor: Actor, refund_id: str, copy: bool = False) -> str:
    """The slip of a refund (`payments.refund`), on the till's receipt printer: headed as the
    check's receipt is, the tender it went back to (a card's terminal reference, which the
    terminal's own refund is matched by; the box keeps no card digits), the amount, the reason,
    who refunded and who approved, when; a cash one with a line for the guest to sign. A
    `copy` says so, as a receipt printed again does."""
    printer = receipt_printer(conn, actor.device)
    if printer is None:
        raise Conflict("no receipt printer is set up", code="no_printer")
    refund = existing(conn, "refunds", refund_id, "refund")
    payment = existing(conn, "payments", refund["payment_id"], "payment")
    check = checks.get(conn, payment["check_id"])
    store = store_settings.current(conn)
    slip = doc.RefundSlip(
        currency=store["currency"],
        header=(store["name"],),
        tender=TENDERS[payment["method"]],
        amount=refund["amount"],
        reason=refund["reason"],
        refunded_by=_name(conn, refund["created_by"]) or "",
        approved_by=_name(conn, refund["approved_by"]) or "",
        reference=payment["reference"] if payment["method"] == "card" else "",
        signature=payment["method"] == "cash",
        order_no=_order_numbers(conn, check),
        table=_check_label(check),
        at=local_now(conn, refund["created_at"]),
        copy_label="COPY" if copy else "",
    )
    job = _queue(conn, actor, printer, "refund_slip", slip, ("refunds", refund_id))
    assert job is not None
    return job


def print_refund_slip(conn: WriteConnection, actor: Actor, refund_id: str) -> dict[str, Any]:
    """A refund's slip again (the POS's Print slip): a COPY, for whoever presents bills."""
    require(actor, "order.bill")
    job_id = refund_slip(conn, actor, refund_id, copy=True)
    return visible(actor, "print_jobs", print_queue.get(conn, job_id))


def print_report(
    conn: WriteConnection,
    actor: Actor,
    report: doc.Report,
    source: tuple[str, str],
    reprint: bool = False,
) -> str:
    """An X, Z or shift report on the report printer (else the till's receipt printer); a
    `reprint` (a report printed again) under a REPRINT banner."""
    printer = config.report_printer(conn, actor.device)
    if printer is None:
        raise Conflict("no report or receipt printer is set up", code="no_printer")
    job = _queue(conn, actor, printer, "report", report, source, reprint)
    assert job is not None
    return job


def print_bill(conn: WriteConnection, actor: Actor, order_id: str) -> dict[str, Any]:
    """The bill for the guest, on the receipt printer of the caller's device: floor staff and
    managers, who present bills (not the kitchen, which may see orders).

    It is the bill of the check the order is paid on (`checks.bill_of`, opened as the POS
    would): the table's other orders, discounts and service charge with it, so that the paper
    asks for what the POS will take; a paid one's receipt, with its tenders, once it is paid."""
    require(actor, "order.bill")
    check = checks.bill_of(conn, actor, order_id)
    paid = check["status"] == "paid"
    link = receipts.link(conn, check["id"]) if paid else None
    job_id = check_receipt(conn, actor, check, link, bill=not paid, copy=paid)
    return visible(actor, "print_jobs", print_queue.get(conn, job_id))


def test_page(conn: WriteConnection, actor: Actor, printer_id: str) -> dict[str, Any]:
    require(actor, "printers.edit")
    printer = existing(conn, "printers", printer_id, "printer")
    page = doc.TestPage(printer_name=printer["name"], at=local_now(conn))
    job_id = _queue(conn, actor, printer, "test_page", page, ("printers", printer_id))
    assert job_id is not None
    return print_queue.get(conn, job_id)


TABLE_CARDS = f.Form({"table_ids": f.distinct_ids})


def table_cards(
    conn: WriteConnection, actor: Actor, secret: bytes, printer_id: str, data: dict[str, Any]
) -> list[dict[str, Any]]:
    """Tables' QR cards on a printer (the Tables page's Print on a printer), one job each: the
    tables `table_ids` names (a card printed again after its code was replaced), else every
    table in use. Each card holds the table's guest link, as the QR sheet does (`qrsheet`)."""
    require(actor, "tables.edit")
    wanted = TABLE_CARDS.clean(data).get("table_ids")
    printer = existing(conn, "printers", printer_id, "printer")
    settings, codes = qrsheet.codes(conn, secret)
    if wanted is None:
        chosen = [code for code in codes if code[3]]
    else:
        by_id = {code[0]: code for code in codes}
        unknown = [table_id for table_id in wanted if table_id not in by_id]
        if unknown:
            raise NotFound("no such table", id=unknown[0])
        chosen = [by_id[table_id] for table_id in wanted]
    if not chosen:
        raise Conflict("no table is in use: there is no card to print", code="no_tables")
    jobs = []
    for table_id, name, url, _ in chosen:
        card = doc.TableQrTent(table=doc.table_label(name), url=url, store=settings["name"])
        job_id = _queue(conn, actor, printer, "table_card", card, ("tables", table_id))
        assert job_id is not None
        jobs.append(print_queue.get(conn, job_id))
    return jobs


def _drawer_job(
    conn: WriteConnection,
    actor: Actor,
    device: str,
    source: tuple[str, str] | None,
    key: str | None,
    note: str = "",
    approver: str | None = None,
) -> str | None:
    printer = receipt_printer(conn, device)
    if printer is None:
        raise Conflict("no receipt printer with a cash drawer is set up", code="no_printer")
    try:
        payload = drawer_pulse(profile(printer["profile"]))
    except PrinterUnsupported as exc:
        raise Conflict(str(exc), code="no_drawer") from exc
    return print_queue.enqueue(
        conn,
        actor.id,
        printer["id"],
        "drawer",
        payload,
        source=source,
        dedupe_key=key,
        note=note,
        approver=approver,
    )


def open_drawer(
    conn: WriteConnection, actor: Actor, reason: str, approver: Actor | None = None
) -> dict[str, Any]:
    """A manager (or someone a manager approved on the spot) opens the drawer: no sale."""
    approved_by = require(actor, "drawer.open", approver)
    reason = f.REASON("reason", reason)
    job_id = _drawer_job(conn, actor, actor.device, None, None, reason, approved_by)
    assert job_id is not None
    return visible(actor, "print_jobs", print_queue.get(conn, job_id))


def open_drawer_for_tender(
    conn: WriteConnection, actor: Actor, tender_id: str, device: str
) -> str | None:
    """Payments call this after a committed cash tender: one pulse per tender, however often
    it is called (dedupe key `drawer:<tender_id>`); returns the job id the first time."""
    return _drawer_job(conn, actor, device, ("tenders", tender_id), f"drawer:{tender_id}")
