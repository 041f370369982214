"""Tenders and refunds. A check takes as many tenders as it needs and is paid when they cover
it (`checks.settle`): its receipt prints and its orders close.

- Cash: what the guest hands over (`given`), maybe only part of the balance (`amount`); the
  change is worked out here. Paying the rest in cash rounds it to the store's smallest coin
  (`rounding`, kept apart from what the check counts as paid). A tip may be left from the cash.
  The drawer opens once per tender (`printouts.open_drawer_for_tender`).
- Card: on an external terminal; the box records the amount, any tip and the terminal's
  reference, and never card data: a reference that looks like a card number is refused.
- More than the balance is taken only as change or a tip.
- A check with nothing to pay (comped, free items, a part of a one-cent split) takes a tender of
  nothing, which settles it (any tip apart).

A refund goes back to the tender it refunds, up to what that tender took, with a reason and a
manager (or a manager's PIN), on a till with an open shift; in cash, up to what the drawer holds.
Its slip prints at once on the till's receipt printer, as a paid check's receipt does.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from edge.core.events import WriteConnection, commit
from edge.core.permissions import Actor, require
from edge.domain import checks, pos_config, pricing, printouts, receipts, shifts
from edge.domain import store as store_settings
from edge.domain.rows import existing
from printers.money import format_amount
from service import fields as f
from service.errors import Conflict, Invalid
from service.shapes import ID, MONEY, nullable, shape
from sync.clock import now_iso
from sync.ids import uuid7

LIMIT = 100_000_000
TENDER = f.Form(
    {
        "method": f.Field("Method", f.choice("cash", "card")),
        "amount": f.Field("Amount", f.amount(LIMIT)),
        "given": f.Field("Cash given", f.amount(LIMIT)),
        "tip": f.Field("Tip", f.amount(LIMIT)),
        "reference": f.Field("Terminal reference", f.text(60)),
    },
    required=("method",),
)
REFUND = f.Form(
    {"amount": f.Field("Amount", f.amount(LIMIT)), "reason": f.REASON}, required=("reason",)
)
TAKEN = shape(
    "PaymentTaken",
    {
        "payment": checks.PAYMENT_VIEW,
        "change": {**MONEY, "description": "cash to hand back"},
        "check": checks.CHECK_VIEW,
        "receipt_job_id": nullable({**ID, "description": "the receipt, once the check is paid"}),
    },
)
REFUNDED = shape(
    "PaymentRefunded",
    {
        **checks.PAYMENT_VIEW.schema["properties"],
        "refund": checks.REFUND_VIEW,
        "slip_job_id": nullable({**ID, "description": "its slip (null: no receipt printer)"}),
    },
    description="the tender refunded, the refund and its slip",
)

_DIGITS = re.compile(r"\d(?:[ -]?\d){12,18}")


def looks_like_card(text: str) -> bool:
    """Whether `text` holds a run of 13 to 19 digits (spaces or dashes between) that passes the
    Luhn check: a card number, which the box must never store."""
    for match in _DIGITS.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        for length in range(len(digits), 12, -1):
            for start in range(len(digits) - length + 1):
                if _luhn(digits[start : start + length]):
                    return True
    return False


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def take(
    conn: WriteConnection, actor: Actor, check_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    require(actor, "payment.take")
    given = TENDER.clean(values)
    shift = shifts.require_open(conn, actor)
    check = existing(conn, "checks", check_id, "check")
    if check["status"] == "split":
        raise Conflict("the check is split: pay its parts", code="check_is_split")
    if check["status"] != "open":
        raise Conflict(f"the check is {check['status']}", code="check_not_open")
    due, read = checks.refreshed_totals(conn, actor, check)
    paid_before = checks.counted(checks.payments_of(conn, [check_id]))
    # An open check with nothing left to pay (comped, free items, a part of a cent's split)
    # takes a tender of nothing, which settles it: it could never be paid otherwise.
    balance = max(0, due.total - paid_before)
    tip = given.get("tip", 0)
    amount = given.get("amount", balance)
    if amount > balance:
        raise Invalid(
            "Amount is more than is left to pay: take the rest as change or a tip.",
            code="overpaid",
            field="amount",
        )
    if amount <= 0 and balance:
        raise Invalid("Amount must be more than nothing.", field="amount")
    rounding = cash_given = change = 0
    reference = ""
    if given["method"] == "cash":
        if "reference" in given:
            raise Invalid("cash has no terminal reference", field="reference")
        step = pos_config.current(conn)["cash_rounding"]
        if amount == balance:
            rounding = pricing.cash_due(amount, step) - amount
        owed = amount + rounding + tip
        cash_given = given.get("given", owed)
        if cash_given < owed:
            raise Invalid("Cash given is less than is owed.", code="not_enough_cash", field="given")
        change = cash_given - owed
    else:
        if "given" in given:
            raise Invalid("a card pays no cash", field="given")
        reference = given.get("reference", "")
        if not reference:
            raise Invalid("Terminal reference is missing.", code="missing_field", field="reference")
        if looks_like_card(reference):
            raise Invalid(
                "Terminal reference looks like a card number: never type card numbers in.",
                code="card_number",
                field="reference",
            )
    payment_id = uuid7()
    row = {
        "check_id": check_id,
        "shift_id": shift["id"],
        "business_day": shifts.today(conn),
        "method": given["method"],
        "amount": amount,
        "rounding": rounding,
        "tip": tip,
        "given": cash_given,
        "change": change,
        "reference": reference,
        "refunded": 0,
        "taken_by": actor.id,
        "created_at": now_iso(),
    }
    commit(conn, actor.id, "payments", payment_id, "create", row)
    if given["method"] == "cash":
        shifts.open_drawer(conn, actor, payment_id)
    # Neither the tender nor the drawer changes what the check comes to, nor its lines,
    # discounts and covers: `due` and `read` stand.
    settled = checks.settle(conn, actor, check_id, due, paid_before + amount)
    view = checks.get(conn, check_id, due, read)  # printing the receipt changes nothing it shows
    return {
        "payment": {"id": payment_id, **row, "hub_rev": 0},
        "change": change,
        "check": view,
        "receipt_job_id": print_receipt(conn, actor, check_id, view) if settled else None,
    }


def print_receipt(
    conn: WriteConnection, actor: Actor, check_id: str, view: dict[str, Any] | None = None
) -> str | None:
    """The paid check's receipt, with its tenders and change, on the till's receipt printer (a
    till with none set up: None, the payment stands). `view`: the check as `checks.get` reads
    it now, when the caller has it (reading it again is a third of a payment's CPU)."""
    try:
        view = checks.get(conn, check_id) if view is None else view
        return printouts.check_receipt(conn, actor, view, receipts.link(conn, check_id))
    except Conflict:
        return None


def void_line(
    conn: WriteConnection, actor: Actor, line_id: str, reason: Any, approver: Actor | None = None
) -> dict[str, Any]:
    """Void a line (`checks.void_line`); a check the void leaves paid (its tenders now cover
    it) prints its receipt on the till's receipt printer, as the tender that settles a check
    does: the guest paid, and gets the proof of it, with what is owed back. A part of a split
    check that took no tender (nothing was paid on it) prints none. Answers the order."""
    order, settled = checks.void_line(conn, actor, line_id, reason, approver)
    for check_id in settled:
        if checks.payments_of(conn, [check_id]):
            print_receipt(conn, actor, check_id)
    return order


def planned(
    conn: sqlite3.Connection,
    actor: Actor,
    payment_id: str,
    values: dict[str, Any],
    approver: Actor | None = None,
) -> dict[str, Any]:
    """What `refund` would give back, and to which tender, refused as it would refuse: read
    before an online tender's provider is asked to refund it, so that it is asked only for a
    refund the box will record."""
    require(actor, "payment.refund", approver)
    _, payment, amount = _refundable(conn, actor, payment_id, REFUND.clean(values))
    return {"method": payment["method"], "reference": payment["reference"], "amount": amount}


def _refundable(
    conn: sqlite3.Connection, actor: Actor, payment_id: str, given: dict[str, Any]
) -> tuple[sqlite3.Row, sqlite3.Row, int]:
    shift = shifts.require_open(conn, actor)
    payment = existing(conn, "payments", payment_id, "payment")
    refundable = payment["amount"] + payment["rounding"] + payment["tip"] - payment["refunded"]
    amount = given.get("amount", refundable)
    if refundable <= 0:
        raise Conflict("the payment is refunded in full already", code="refunded")
    if not 0 < amount <= refundable:
        currency = store_settings.current(conn)["currency"]
        least, most = format_amount(1, currency), format_amount(refundable, currency)
        raise Invalid(
            f"Amount must be from {least} to {most}, what is left of the tender.",
            code="too_much",
            field="amount",
        )
    if payment["method"] == "cash" and amount > shifts.expected_cash(conn, shift["id"]):
        raise Conflict(  # as a pay-out is: the drawer cannot give what it does not hold
            "the drawer does not hold that much: pay in first, or refund from another till",
            code="not_enough_cash",
        )
    return shift, payment, amount


def refund(
    conn: WriteConnection,
    actor: Actor,
    payment_id: str,
    values: dict[str, Any],
    approver: Actor | None = None,
) -> dict[str, Any]:
    """Give back all or part of a tender, to that tender: a manager's, or with a manager's PIN.
    An online one is refunded by its provider first (`planned` says how much)."""
    approved_by = require(actor, "payment.refund", approver)
    given = REFUND.clean(values)
    shift, payment, amount = _refundable(conn, actor, payment_id, given)
    refund_id = uuid7()
    row = {
        "payment_id": payment_id,
        "shift_id": shift["id"],
        "business_day": shifts.today(conn),
        "method": payment["method"],
        "amount": amount,
        "reason": given["reason"],
        "created_by": actor.id,
        "created_at": now_iso(),
        "approved_by": approved_by or actor.id,  # a manager's own refund is theirs to approve
    }
    commit(conn, actor.id, "refunds", refund_id, "create", row, approver=approved_by)
    commit(
        conn,
        actor.id,
        "payments",
        payment_id,
        "update",
        {"refunded": payment["refunded"] + amount},
        approver=approved_by,
    )
    if payment["method"] == "cash":
        shifts.open_drawer(conn, actor, refund_id)
    elif payment["refunded"] + amount >= payment["amount"]:
        # a QR bill paid after its check was settled, given back: no longer owed (the POS
        # lists the late ones, `checks.list_open`)
        for link in conn.execute(
            "SELECT id FROM pay_links WHERE status = 'late' AND payment_id = ?", (payment_id,)
        ).fetchall():
            commit(conn, actor.id, "pay_links", link["id"], "update", {"status": "returned"})
    return {
        **dict(existing(conn, "payments", payment_id, "payment")),
        "refund": {"id": refund_id, **row, "hub_rev": 0},
        "slip_job_id": print_slip(conn, actor, refund_id),
    }


def print_slip(conn: WriteConnection, actor: Actor, refund_id: str) -> str | None:
    """The refund's slip, at once, as a paid check's receipt prints (`print_receipt`), on the
    till's receipt printer (a till with none: None, the refund stands)."""
    try:
        return printouts.refund_slip(conn, actor, refund_id)
    except Conflict:
        return None
