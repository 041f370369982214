"""X and Z reports of a business day (the store's, in its time zone: a night after midnight
counts to the day before). An X report may be made at any time and changes nothing; the Z report
closes the day, once: a second is refused, and no shift opens nor payment is taken on a closed
day. Both are stored as they were made and printed on the report printer.

What a report counts: checks paid that day (a split check through its parts), their taxes by
rate, discounts and service charge as each check kept them when it was paid (`checks.amounts`:
a tax rate or a price changed since changes no report); tenders by method with their tips and
refunds; lines voided that day (whatever day their order was of); and each shift's float, the
cash it should hold and what was counted. A Z is final: whatever happens after it counts on the
day it happens (`shifts.open_day`), so an X of a closed day says what its Z said.
`takings` is what the day's tenders brought in (with cash rounding and tips) less refunds.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

from edge.core.events import WriteConnection, commit
from edge.core.permissions import Actor, require, visible
from edge.domain import checks, print_queue, printouts, shifts
from edge.domain import store as store_settings
from edge.domain.rows import existing
from printers import documents as doc
from printers.money import format_amount
from service import fields as f
from service.errors import Conflict, Invalid
from service.shapes import COUNT, DAY, HUB_REV, ID, INSTANT, MONEY, array, enum, nullable, shape
from sync.clock import now_iso
from sync.ids import uuid7

KINDS = ("x", "z")
METHODS = ("cash", "card", "online")


@f.accepts({"type": "string", "format": "date"})
def _day(name: str, value: Any) -> str:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise Invalid(f"{name} must be a day such as 2026-12-24.", field=name)


MAKE = f.Form({"kind": f.choice(*KINDS), "business_day": _day}, required=("kind",))

_SIGNED = {"type": "integer"}
TENDER_TOTALS = shape(
    "TenderTotals",
    {"count": COUNT, "amount": _SIGNED, "tips": MONEY, "refunds": MONEY},
    description="a method's tenders: what they paid (cash: with rounding), tips, refunds",
)
REPORT_DATA = shape(
    "ReportData",
    {
        "checks": COUNT,
        "sales": {**_SIGNED, "description": "what the paid checks came to, service included"},
        "net_sales": {**_SIGNED, "description": "net of tax and service"},
        "tax_total": _SIGNED,
        "taxes": array(
            {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "rate_bp": COUNT,
                    "base": _SIGNED,
                    "tax": _SIGNED,
                },
                "required": ["name", "rate_bp", "base", "tax"],
                "additionalProperties": False,
            }
        ),
        "discounts": MONEY,
        "service_charge": MONEY,
        "tenders": {
            "type": "object",
            "properties": {m: TENDER_TOTALS for m in METHODS},
            "required": list(METHODS),
            "additionalProperties": False,
        },
        "rounding": _SIGNED,
        "tips": MONEY,
        "refunds": MONEY,
        "takings": {**_SIGNED, "description": "tenders, rounding and tips, less refunds"},
        "voids": COUNT,
        "voided": {**MONEY, "description": "what the voided lines came to"},
        "floats": MONEY,
        "pay_ins": MONEY,
        "pay_outs": MONEY,
        "skims": MONEY,
        "expected_cash": _SIGNED,
        "declared_cash": _SIGNED,
        "over_short": {**_SIGNED, "description": "declared less expected, of closed shifts"},
        "open_shifts": COUNT,
        "currency": {
            **store_settings.STORE_VIEW.schema["properties"]["currency"],
            "description": "the money its amounts are in (a report made before this was kept"
            " has none: the store's)",
        },
    },
    optional=("currency",),
)
REPORT_VIEW = shape(
    "Report",
    {
        "id": ID,
        "kind": enum(KINDS),
        "business_day": DAY,
        "data": REPORT_DATA,
        "created_by": ID,
        "created_at": INSTANT,
        "hub_rev": HUB_REV,
        "print_job_id": nullable(ID),
    },
    optional=("print_job_id",),
)


def build(conn: sqlite3.Connection, day: str) -> dict[str, Any]:
    """The day's figures, as they stand."""
    paid = conn.execute(
        "SELECT * FROM checks c WHERE c.paid_day = ? AND c.status = 'paid'"
        " AND NOT EXISTS (SELECT 1 FROM checks p WHERE p.parent_id = c.id)",
        (day,),
    ).fetchall()
    taxes: dict[tuple[int, str], list[int]] = {}
    sales = net = tax_total = discounts = service = 0
    for check in paid:
        # a check paid before it kept its amounts (migration 0016) is computed as it stands
        kept = (
            json.loads(check["amounts"])
            if check["amounts"]
            else checks.amounts(checks.totals(conn, check))
        )
        sales += kept["total"]
        net += kept["subtotal"]
        tax_total += kept["tax_total"]
        discounts += kept["discount_total"]
        service += kept["service_charge"]
        for tax in kept["taxes"]:
            bucket = taxes.setdefault((tax["rate_bp"], tax["name"]), [0, 0])
            bucket[0] += tax["base"]
            bucket[1] += tax["tax"]
    tenders = {m: {"count": 0, "amount": 0, "tips": 0, "refunds": 0} for m in METHODS}
    rounding = 0
    for row in conn.execute(
        "SELECT method, COUNT(*) AS n, SUM(amount) AS amount, SUM(rounding) AS rounding,"
        " SUM(tip) AS tips FROM payments WHERE business_day = ? GROUP BY method",
        (day,),
    ):
        tenders[row["method"]].update(
            count=row["n"], amount=row["amount"] + row["rounding"], tips=row["tips"]
        )
        rounding += row["rounding"]
    for row in conn.execute(
        "SELECT method, SUM(amount) AS amount FROM refunds WHERE business_day = ? GROUP BY method",
        (day,),
    ):
        tenders[row["method"]]["refunds"] = row["amount"]
    voids = conn.execute(  # on the day each was made: a later one changes no closed day
        "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM order_lines WHERE void_day = ?", (day,)
    ).fetchone()
    drawer = {"floats": 0, "pay_ins": 0, "pay_outs": 0, "skims": 0}
    expected = declared = over_short = open_shifts = 0
    moves = {"pay_in": "pay_ins", "pay_out": "pay_outs", "skim": "skims"}
    for shift in conn.execute("SELECT * FROM shifts WHERE business_day = ?", (day,)).fetchall():
        drawer["floats"] += shift["float"]
        for move in conn.execute(
            "SELECT kind, amount FROM drawer_moves WHERE shift_id = ?", (shift["id"],)
        ):
            if move["kind"] in moves:
                drawer[moves[move["kind"]]] += move["amount"]
        expected += shifts.expected_cash(conn, shift["id"])
        if shift["status"] == "closed":
            declared += shift["declared"]
            over_short += shift["variance"]
        else:
            open_shifts += 1
    tips = sum(t["tips"] for t in tenders.values())
    refunds = sum(t["refunds"] for t in tenders.values())
    return {
        "currency": store_settings.current(conn)["currency"],
        "checks": len(paid),
        "sales": sales,
        "net_sales": net,
        "tax_total": tax_total,
        "taxes": [
            {"name": name, "rate_bp": rate, "base": base, "tax": tax}
            for (rate, name), (base, tax) in sorted(taxes.items())
        ],
        "discounts": discounts,
        "service_charge": service,
        "tenders": tenders,
        "rounding": rounding,
        "tips": tips,
        "refunds": refunds,
        "takings": sum(t["amount"] for t in tenders.values()) + tips - refunds,
        "voids": voids[0],
        "voided": voids[1],
        **drawer,
        "expected_cash": expected,
        "declared_cash": declared,
        "over_short": over_short,
        "open_shifts": open_shifts,
    }


# A shift open since the day or before, from the open shifts (`shifts_open` holds them): on
# `shifts_day` (`business_day <= ?`) it walked every shift of every day before, a year of them.
_SHIFT_OPEN_UPTO = "SELECT 1 FROM shifts WHERE status = 'open' AND +business_day <= ?"


# An open check whose QR bill waits, read from the open checks (an index holds them), not from
# every pay link the box ever made; and which still has something on it: one whose lines were
# all voided (the guest walked out; the manager voided or cancelled what they had) keeps no one
# from closing the day, else it could not close until the next began.
_PAYING_AT_TABLE = (
    "SELECT 1 FROM checks c WHERE c.status = 'open' AND EXISTS"
    " (SELECT 1 FROM pay_links l WHERE l.check_id = c.id AND l.status = 'pending') AND EXISTS"
    " (SELECT 1 FROM check_items i JOIN order_lines o ON o.id = i.line_id"
    " WHERE i.check_id = c.id AND o.state != 'voided')"
)


def make(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """An X report (any time), or the Z report that closes the business day (once, with every
    shift of the day closed and, for today, no QR bill waiting on an open check); stored, and
    printed when a printer is set up."""
    require(actor, "reports.run")
    given = MAKE.clean(values)
    day = given.get("business_day") or shifts.today(conn)
    kind = given["kind"]
    if kind == "z":
        if day > shifts.today(conn):  # it would close a day before it starts: no shift, no sale
            raise Invalid(
                "Business day is still to come: a Z report closes today or a day before.",
                code="future_day",
                field="business_day",
            )
        if shifts.day_closed(conn, day):
            raise Conflict(f"the business day {day} is closed already", code="day_closed")
        # a shift left open since a day before takes this day's payments into its drawer too
        if conn.execute(_SHIFT_OPEN_UPTO, (day,)).fetchone():
            raise Conflict("close every shift of the day first", code="shifts_open")
        # a guest paying a QR bill after the Z dates the payment to the day it closed, which no
        # Z then counts: the day closes once no open check waits on one
        if day == shifts.today(conn) and conn.execute(_PAYING_AT_TABLE).fetchone():
            raise Conflict(
                "a guest may be paying a check at the table (its QR bill waits): take a tender"
                " for it, or void its lines if the guest left, first",
                code="pay_link_pending",
            )
    report_id = uuid7()
    row = {
        "kind": kind,
        "business_day": day,
        "data": build(conn, day),
        "created_by": actor.id,
        "created_at": now_iso(),
    }
    commit(conn, actor.id, "reports", report_id, "create", row)
    try:
        job = printouts.print_report(conn, actor, document(conn, row), ("reports", report_id))
    except Conflict:
        job = None
    return {"id": report_id, **row, "hub_rev": 0, "print_job_id": job}


def document(conn: sqlite3.Connection, report: dict[str, Any]) -> doc.Report:
    """The report as paper shows it."""
    store = store_settings.current(conn)
    data = report["data"]
    currency = data.get("currency", store["currency"])  # as it was made, whatever the store's now

    def money(minor: int) -> str:
        return format_amount(minor, currency)

    def rows(*pairs: tuple[str, str]) -> tuple[doc.ReportRow, ...]:
        return tuple(doc.ReportRow(label, value) for label, value in pairs)

    sections = [
        doc.ReportSection(
            "Sales",
            rows(
                ("Checks paid", str(data["checks"])),
                ("Sales", money(data["sales"])),
                ("Net sales", money(data["net_sales"])),
                ("Discounts", money(-data["discounts"])),
                ("Service charge", money(data["service_charge"])),
            ),
        ),
        doc.ReportSection(
            "Tax",
            rows(
                *((f"{t['name']} on {money(t['base'])}", money(t["tax"])) for t in data["taxes"]),
                ("Tax total", money(data["tax_total"])),
            ),
        ),
        doc.ReportSection(
            "Tenders",
            rows(
                *(
                    (f"{m.capitalize()} ({t['count']})", money(t["amount"]))
                    for m, t in data["tenders"].items()
                ),
                # in the cash tenders' amount already: marked so, lest a reader add it again
                ("incl. cash rounding", money(data["rounding"])),
                ("Tips", money(data["tips"])),
                ("Refunds", money(-data["refunds"])),
                ("Takings", money(data["takings"])),
            ),
        ),
        doc.ReportSection(
            "Voids",
            rows(("Lines voided", str(data["voids"])), ("Voided", money(data["voided"]))),
        ),
        doc.ReportSection(
            "Cash",
            rows(
                ("Opening float", money(data["floats"])),
                ("Pay-ins", money(data["pay_ins"])),
                ("Pay-outs", money(-data["pay_outs"])),
                ("Skims", money(-data["skims"])),
                ("Expected cash", money(data["expected_cash"])),
                ("Declared cash", money(data["declared_cash"])),
                ("Over/short", money(data["over_short"])),
            ),
        ),
    ]
    kind = doc.ZReport if report["kind"] == "z" else doc.XReport
    return kind(
        header=(store["name"], f"Business day {report['business_day']}"),
        sections=tuple(sections),
        at=printouts.local_now(conn, report["created_at"]),  # printed again: when it was made
        footer=("Day closed",) if report["kind"] == "z" else ("Nothing reset",),
    )


def reprint_report(conn: WriteConnection, actor: Actor, report_id: str) -> dict[str, Any]:
    """A report printed again, as it was made (its figures, the time it was made), under a
    REPRINT banner: from the report, which the box keeps, not from its print job, which goes
    with the rest of printing after `GALLEY_KEEP_LOCAL_DAYS` (a month-old Z for the
    accountant)."""
    require(actor, "reports.run")
    row = existing(conn, "reports", report_id, "report")
    report = {**dict(row), "data": json.loads(row["data"])}
    job_id = printouts.print_report(
        conn, actor, document(conn, report), ("reports", report_id), reprint=True
    )
    return visible(actor, "print_jobs", print_queue.get(conn, job_id))


def list_reports(conn: sqlite3.Connection, day: str | None = None) -> list[dict[str, Any]]:
    if day is None:
        rows = conn.execute("SELECT * FROM reports ORDER BY id DESC LIMIT 50")
    else:
        rows = conn.execute("SELECT * FROM reports WHERE business_day = ? ORDER BY id", (day,))
    return [{**dict(row), "data": json.loads(row["data"])} for row in rows]
