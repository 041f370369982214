"""The digital copy of a paid check's receipt, for the guest to keep or share: the printed
receipt carries a QR code of its link, a page of the box (`ui/receipt`) that reads the receipt
with `GET /api/receipts/{token}`. The token (32 random bytes, made when the check is paid) is
the right to read it: no sign-in, nothing else of the store. It sits in the link's fragment, so
it is never sent in a request line nor kept in an access log; the page sends it in the path of
its one call.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from edge.domain import checks, pricing
from edge.domain import store as store_settings
from printers.money import currency_decimals
from service.errors import NotFound
from service.shapes import CURRENCY, INSTANT, MONEY, array, nullable, shape, text

PAGE = "/ui/receipt/index.html"

RECEIPT_VIEW = shape(
    "DigitalReceipt",
    {
        "store": text(),
        "label": text("Table 3, Counter #12, 1 of 2 ..."),
        "paid_at": nullable(INSTANT),
        "timezone": text("the store's, for the time"),
        "currency": CURRENCY,
        "currency_digits": {
            "type": "integer",
            "minimum": 0,
            "maximum": 3,
            "description": "the digits the amounts are kept in (a browser's own idea of the"
            " currency may differ: HUF 0, 2 here)",
        },
        "prices_include_tax": {"type": "boolean"},
        "lines": array(
            {
                "type": "object",
                "properties": {
                    "quantity": {"type": "integer"},
                    "name": text(),
                    "modifiers": array(text()),
                    "share": text(),
                    "amount": MONEY,
                },
                "required": ["quantity", "name", "modifiers", "share", "amount"],
                "additionalProperties": False,
            }
        ),
        "discounts": array(
            {
                "type": "object",
                "properties": {"label": text(), "amount": MONEY},
                "required": ["label", "amount"],
                "additionalProperties": False,
            }
        ),
        "taxes": array(pricing.TAX_VIEW),
        "service_charge": MONEY,
        "total": MONEY,
        "tenders": array(
            {
                "type": "object",
                "properties": {
                    "method": text(),
                    "amount": {
                        **MONEY,
                        "description": "as it took the money: cash as handed over, a card as"
                        " charged (its tip in it)",
                    },
                },
                "required": ["method", "amount"],
                "additionalProperties": False,
            },
            "below the total, rounding and tip, as the paper prints them",
        ),
        "tip": {**MONEY, "description": "the tenders' tips"},
        "change": MONEY,
        "rounding": {"type": "integer", "description": "cash rounded to the smallest coin"},
        "refunds": array(
            {
                "type": "object",
                "properties": {"method": text(), "amount": MONEY},
                "required": ["method", "amount"],
                "additionalProperties": False,
            },
            "given back of the tenders, oldest first",
        ),
        "net_paid": {
            **MONEY,
            "description": "what the guest paid in the end: the tenders less change and refunds",
        },
        "due_back": {
            **MONEY,
            "description": "paid beyond the total (a line voided after a payment) and not yet"
            " refunded: owed to the guest",
        },
    },
)


def link(conn: sqlite3.Connection, check_id: str) -> str | None:
    """What the printed receipt's QR code opens: the store's guest address (the one its table
    codes use, reachable from a phone on its Wi-Fi); None when the store has none."""
    base = store_settings.current(conn)["guest_base_url"]
    row = conn.execute("SELECT receipt_token FROM checks WHERE id = ?", (check_id,)).fetchone()
    if not base or row is None or not row["receipt_token"]:
        return None
    return f"{base.rstrip('/')}{PAGE}#{row['receipt_token']}"


def tendered(payment: dict[str, Any]) -> int:
    """What a tender took, as the receipt (paper and digital) lists it below the total, rounding
    and tip: cash as handed over (its change under it), a card as charged, its tip in it."""
    return payment["given"] if payment["method"] == "cash" else payment["amount"] + payment["tip"]


def net_paid(check: dict[str, Any]) -> int:
    """What the guest paid in the end for a check (`checks.get`): its tenders, with their cash
    rounding and tips, less what was given back of them. The receipt prints it below the
    refunds, and the digital receipt shows it, so that both add up after a refund."""
    taken = sum(p["amount"] + p["rounding"] + p["tip"] for p in check["payments"])
    return taken - sum(r["amount"] for r in check["refunds"])


def digital(conn: sqlite3.Connection, token: str) -> dict[str, Any]:
    row = conn.execute(
        "SELECT id FROM checks WHERE receipt_token = ? AND status = 'paid'", (token,)
    ).fetchone()
    if row is None:
        raise NotFound("no such receipt")
    view = checks.get(conn, row["id"])
    store = store_settings.current(conn)
    return {
        "store": store["name"],
        "label": view["label"],
        "paid_at": view["paid_at"],
        "timezone": store["timezone"],
        "currency": store["currency"],
        "currency_digits": currency_decimals(store["currency"]),
        "prices_include_tax": view["prices_include_tax"],
        "lines": [
            {
                **{key: line[key] for key in ("quantity", "name", "modifiers", "share")},
                "amount": line["charged"],  # a part's share, as the paper prints it
            }
            for line in view["lines"]
            if not line["voided"]
        ],
        "discounts": [
            {"label": d["reason"] or "Discount", "amount": d["amount"]}
            for d in view["discounts"]
            if d["amount"]
        ],
        "taxes": view["taxes"],
        "service_charge": view["service_charge"],
        "total": view["total"],
        "tenders": [{"method": p["method"], "amount": tendered(p)} for p in view["payments"]],
        "tip": view["tips"],
        "change": sum(p["change"] for p in view["payments"]),
        "rounding": sum(p["rounding"] for p in view["payments"]),
        "refunds": [{"method": r["method"], "amount": r["amount"]} for r in view["refunds"]],
        "net_paid": net_paid(view),
        "due_back": view["due_back"],
    }
