"""Checks: what a table or a walk-in pays. A table's open orders roll into one check; a walk-in's
order has its own. A check holds order lines (`check_items`), so lines can move between checks
and a split can give each part a share of a line (an even split: 1/N of each).

The money is never stored until the check is paid: every read computes it from the lines, the
discounts and the service charge (`check_totals`), so reading a check changes nothing and a
line voided or added on the floor shows at once. A check picks up the lines ordered since it
was opened (`_roll_in`) whenever it is opened again or paid.

A split check keeps its lines and discounts; its parts (`parent_id`) each get a share of its
amounts, and are paid one by one. A check with a payment on it is neither split, merged nor
moved from: that would change what was paid for; nor is one a pay link waits on (the guest
may be paying it at the table) split, merged away or emptied by a move (`no_pay_link`).

A split check keeps the rules it was split under (its service charge in `service_bp`, the tax
rules in `rules`), so that its parts, paid one by one while a manager may change the store's,
stay shares of the same whole, and what one was paid never changes (`kept_rules`); a check
paid whole keeps those it was paid under, so that read again (its receipt printed again, its
digital copy) it comes to what it was paid.

A check keeps what it came to when it was paid (`amounts`: net, tax by rate, discounts, service),
so the day's reports stay as they were however the tax rates, prices or rules change later. A
line voided after a payment settles the check again (`void_line`): what is left to pay shrinks,
and what was paid beyond the new total is owed back (`due_back`) until a manager refunds it.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import orjson

from edge.core.events import WriteConnection, commit
from edge.core.permissions import Actor, require
from edge.domain import check_totals as money
from edge.domain import orders, pos_config, pricing, shifts
from edge.domain import store as store_settings
from edge.domain.rows import existing
from printers.documents import table_label
from service import fields as f
from service.errors import Conflict, Invalid
from service.shapes import (
    COUNT,
    DAY,
    HUB_REV,
    ID,
    INSTANT,
    MONEY,
    array,
    enum,
    nullable,
    shape,
    text,
)
from sync.clock import now_iso, utcnow
from sync.ids import uuid7

STATUSES = ("open", "split", "paid", "merged")

OPEN = f.Form(
    {"table_id": f.optional(f.identifier), "order_id": f.optional(f.identifier)},
)
SERVICE = f.Form({"service_bp": f.optional(f.basis_points)})


# ---- what a check answers ------------------------------------------------------------------

CHECK_LINE = shape(
    "CheckLine",
    {
        "line_id": ID,
        "order_id": ID,
        "name": text(),
        "quantity": COUNT,
        "modifiers": array(text()),
        "seat": nullable(COUNT),
        "amount": {**MONEY, "description": "the whole line, as ordered"},
        "share": text("the part of the line this check pays: 1, or 1/2 ..."),
        "charged": {
            **MONEY,
            "description": "what this check charges for the line before discounts, as its"
            " receipt prints it: the whole line, or a split part's share to the cent (a part's"
            " lines add up to its subtotal); nothing once voided",
        },
        "voided": {"type": "boolean"},
    },
)
CHECK_DISCOUNT = shape(
    "CheckDiscount",
    {
        "id": ID,
        "line_id": nullable(ID),
        "kind": enum(("percent", "fixed")),
        "value": COUNT,
        "reason": text(),
        "promo_code": nullable(text()),
        "amount": {**MONEY, "description": "what it takes off"},
    },
)
PAYMENT_VIEW = shape(
    "Payment",
    {
        "id": ID,
        "check_id": ID,
        "shift_id": nullable({**ID, "description": "null: paid at the table"}),
        "business_day": DAY,
        "method": enum(("cash", "card", "online")),
        "amount": {**MONEY, "description": "what it pays of the check"},
        "rounding": {"type": "integer", "description": "cash rounded to the smallest coin"},
        "tip": MONEY,
        "given": {**MONEY, "description": "cash handed over"},
        "change": MONEY,
        "reference": text("the card terminal's reference"),
        "refunded": MONEY,
        "taken_by": ID,
        "created_at": INSTANT,
        "hub_rev": HUB_REV,
    },
)
REFUND_VIEW = shape(
    "Refund",
    {
        "id": ID,
        "payment_id": ID,
        "shift_id": ID,
        "business_day": DAY,
        "method": enum(("cash", "card", "online")),
        "amount": {**MONEY, "description": "given back of the tender"},
        "reason": text(),
        "created_by": ID,
        "created_at": INSTANT,
        "approved_by": nullable(
            {**ID, "description": "the manager who approved it (null: an older refund)"}
        ),
        "hub_rev": HUB_REV,
    },
)
CASH_BALANCE = {
    **MONEY,
    "description": "the balance as cash pays it: rounded to the store's smallest coin",
}
PART_VIEW = shape(
    "CheckPart",
    {
        "id": ID,
        "label": text(),
        "status": enum(STATUSES),
        "total": MONEY,
        "paid": MONEY,
        "balance": MONEY,
        "cash_balance": CASH_BALANCE,
    },
)
CHECK_VIEW = shape(
    "Check",
    {
        "id": ID,
        "business_day": DAY,
        "table_id": nullable(ID),
        "table_name": nullable(text()),
        "parent_id": nullable(ID),
        "label": text("Table 3, Counter #12, Seat 2, 1 of 3 ..."),
        "status": enum(STATUSES),
        "covers": COUNT,
        "order_ids": array(ID),
        "lines": array(CHECK_LINE),
        "discounts": array(CHECK_DISCOUNT),
        "subtotal": {**MONEY, "description": "net of tax, after discounts"},
        "tax_total": MONEY,
        "taxes": array(pricing.TAX_VIEW),
        "discount_total": MONEY,
        "service_bp": COUNT,
        "service_charge": MONEY,
        "prices_include_tax": {
            "type": "boolean",
            "description": "the tax rule its amounts follow: the store's, or the one a split"
            " check was split under",
        },
        "total": {**MONEY, "description": "what is due"},
        "paid": {
            **MONEY,
            "description": "what its tenders paid of it (cash rounding and tips apart), refunds"
            " not taken off: `refunds` lists them",
        },
        "tips": MONEY,
        "balance": {**MONEY, "description": "what is left to pay"},
        "cash_balance": CASH_BALANCE,
        "due_back": {
            **MONEY,
            "description": "paid beyond the total (a line voided after a payment), less what"
            " was refunded: change owed, a refund for a manager to give",
        },
        "payments": array(PAYMENT_VIEW),
        "refunds": array(REFUND_VIEW, "given back of its tenders, oldest first"),
        "parts": array(PART_VIEW),
        "opened_by": ID,
        "created_at": INSTANT,
        "paid_at": nullable(INSTANT),
    },
)
CHECK_LISTED = shape(
    "CheckInList",
    {
        key: CHECK_VIEW.schema["properties"][key]
        for key in (
            "id",
            "table_id",
            "table_name",
            "label",
            "status",
            "covers",
            "total",
            "paid",
            "balance",
            "due_back",
            "created_at",
        )
    }
    | {"line_count": COUNT},
)


# ---- opening a check and what it holds ------------------------------------------------------


def open_check(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """The open check of a table (`table_id`) or of an order (`order_id`: an open table order's
    is its table's), made when there is none, with every line ordered since; a paid order's
    check as it was paid (to refund it)."""
    require(actor, "check.edit")
    given = OPEN.clean(values)
    table_id, order_id = given.get("table_id"), given.get("order_id")
    if (table_id is None) == (order_id is None):
        raise Invalid("give a table_id or an order_id", code="missing_field", field="table_id")
    if table_id is not None:
        return _of_table(conn, actor, table_id)
    assert order_id is not None  # one of the two, as checked above
    return of_order(conn, actor, order_id)


def of_order(conn: WriteConnection, actor: Actor, order_id: str) -> dict[str, Any]:
    """The check an order is paid on (`open_check`), for whoever may ask for its bill."""
    order = existing(conn, "orders", order_id, "order", "order_id")
    if order["table_id"] is None or order["status"] != "open":
        check = _check_of_order(conn, order_id)
        # a walk-in's lines ordered after its check was split or paid are on no check:
        # they get one of their own, else nothing could ever pay for them
        later = (
            _live_lines(conn, order_id)
            if check is not None and check["status"] != "open" and order["status"] == "open"
            else []
        )
        if check is None or later:
            if order["status"] != "open":
                raise Conflict(
                    f"order #{order['number']} is {order['status']}", code="order_closed"
                )
            check_id = _new_check(conn, actor, None, later or _live_lines(conn, order_id))
            lines = lines_of(conn, check_id)
            return get(conn, check_id, read=(lines, [], _covers(lines)))  # no discount yet
        if check["status"] == "open":
            roll_in(conn, actor, check)
        return get(conn, check["id"])
    return _of_table(conn, actor, order["table_id"])


def bill_of(conn: WriteConnection, actor: Actor, order_id: str) -> dict[str, Any]:
    """The check an order's bill shows: the split check its lines are on (its parts are paid,
    the whole is what it comes to), else the check it is paid on (`of_order`, which for a table
    would open a new, empty one beside a split check)."""
    held = _check_of_order(conn, order_id)
    if held is not None and held["status"] == "split":
        return get(conn, held["id"])
    return of_order(conn, actor, order_id)


def _of_table(conn: WriteConnection, actor: Actor, table_id: str) -> dict[str, Any]:
    table = existing(conn, "tables", table_id, "table", "table_id")
    check = conn.execute(
        "SELECT * FROM checks WHERE table_id = ? AND status = 'open' AND parent_id IS NULL",
        (table["id"],),
    ).fetchone()
    if check is None:
        check_id = _new_check(conn, actor, table["id"], [])
        check = existing(conn, "checks", check_id, "check")
    roll_in(conn, actor, check)
    return get(conn, check["id"])


def _new_check(
    conn: WriteConnection, actor: Actor, table_id: str | None, line_ids: Sequence[str]
) -> str:
    check_id = uuid7()
    row = {
        "business_day": _today(conn),
        "table_id": table_id,
        "parent_id": None,
        "label": "",
        "position": 0,
        "status": "open",
        "service_bp": None,
        "total": 0,
        "amounts": None,
        "rules": None,
        "opened_by": actor.id,
        "created_at": now_iso(),
        "paid_at": None,
        "paid_day": None,
        "receipt_token": None,
    }
    items = [item_row(check_id, line_id) for line_id in line_ids]
    commit(conn, actor.id, "checks", check_id, "create", row, parts=items or None)
    return check_id


def item_row(check_id: str, line_id: str, share: Fraction = Fraction(1)) -> dict[str, Any]:
    return {
        "id": uuid7(),
        "check_id": check_id,
        "line_id": line_id,
        "share_num": share.numerator,
        "share_den": share.denominator,
        "hub_rev": 0,
    }


def _today(conn: sqlite3.Connection) -> str:
    return store_settings.business_day(store_settings.current(conn), utcnow())


_UNCHECKED = (
    " AND l.state != 'voided' AND NOT EXISTS (SELECT 1 FROM check_items c WHERE c.line_id = l.id)"
)


def _live_lines(conn: sqlite3.Connection, order_id: str) -> list[str]:
    rows = conn.execute(
        f"SELECT l.id FROM order_lines l WHERE l.order_id = ?{_UNCHECKED}"
        " ORDER BY l.created_at, l.id",
        (order_id,),
    )
    return [row["id"] for row in rows]


def roll_in(conn: WriteConnection, actor: Actor, check: sqlite3.Row) -> None:
    """Lines ordered since the check was opened join it: of the table's open orders, and of
    the orders it already holds lines of (a walk-in's)."""
    rows = conn.execute(
        "SELECT l.id FROM order_lines l JOIN orders o ON o.id = l.order_id"
        " WHERE o.status = 'open' AND (o.table_id = :table OR o.id IN (SELECT x.order_id FROM"
        " check_items i JOIN order_lines x ON x.id = i.line_id WHERE i.check_id = :check))"
        f"{_UNCHECKED} ORDER BY l.created_at, l.id",
        {"table": check["table_id"], "check": check["id"]},
    ).fetchall()
    if rows:
        items = [item_row(check["id"], row["id"]) for row in rows]
        commit(conn, actor.id, "checks", check["id"], "update", {}, parts=items)


def _check_of_order(conn: sqlite3.Connection, order_id: str) -> sqlite3.Row | None:
    """The check (not a part) that holds lines of a walk-in's order, open ones first."""
    return conn.execute(
        "SELECT c.* FROM checks c WHERE c.parent_id IS NULL AND c.status != 'merged'"
        " AND c.id IN (SELECT i.check_id FROM check_items i JOIN order_lines l"
        " ON l.id = i.line_id WHERE l.order_id = ?) ORDER BY c.status != 'open', c.id DESC",
        (order_id,),
    ).fetchone()


# ---- what a check comes to ------------------------------------------------------------------


def lines_of(conn: sqlite3.Connection, check_id: str) -> list[sqlite3.Row]:
    """The check's lines, each with its share and its order's number and covers (what the
    check's label and service charge need: read with the lines, not in statements of their
    own)."""
    return conn.execute(
        "SELECT i.share_num, i.share_den, l.*, o.number AS order_number,"
        " o.covers AS order_covers FROM check_items i"
        " JOIN order_lines l ON l.id = i.line_id JOIN orders o ON o.id = l.order_id"
        " WHERE i.check_id = ? ORDER BY l.created_at, l.id",
        (check_id,),
    ).fetchall()


def discounts_of(conn: sqlite3.Connection, check_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT d.*, p.code AS promo_code, COALESCE(d.cap, p.max_discount) AS max_discount,"
        " p.stackable AS stackable_ok"
        " FROM check_discounts d"
        " LEFT JOIN promo_codes p ON p.id = d.promo_code_id WHERE d.check_id = ?"
        " ORDER BY d.created_at, d.id",
        (check_id,),
    ).fetchall()


# A whole check's lines (`lines_of`), discounts (`discounts_of`) and covers: what its totals and
# `get` read of it, read once by a write that needs them twice.
Contents = tuple[Sequence[sqlite3.Row], Sequence[sqlite3.Row], int]


def contents(conn: sqlite3.Connection, check_id: str) -> Contents:
    lines = lines_of(conn, check_id)
    return lines, discounts_of(conn, check_id), _covers(lines)


def _covers(lines: Sequence[sqlite3.Row]) -> int:
    """The party: the covers of every order the check holds a line of (`lines_of`)."""
    return sum({line["order_id"]: line["order_covers"] for line in lines}.values())


def _service_bp(check: sqlite3.Row, covers: int, rules: dict[str, Any]) -> int:
    if check["service_bp"] is not None:
        return check["service_bp"]
    return rules["service_bp"] if covers >= rules["service_min_covers"] else 0


def tax_rules(conn: sqlite3.Connection, check: sqlite3.Row) -> dict[str, Any]:
    """Whether prices include tax, and the tax rounding, that a check (a part: its split
    check) is computed under: the ones it was split under, else the store's."""
    parent = check["parent_id"]
    whole = check if parent is None else existing(conn, "checks", parent, "check")
    if whole["rules"]:
        return orjson.loads(whole["rules"])
    store = store_settings.current(conn)
    return {key: store[key] for key in ("prices_include_tax", "tax_rounding")}


def kept_rules(
    conn: sqlite3.Connection, check: sqlite3.Row, lines: Sequence[sqlite3.Row]
) -> dict[str, Any]:
    """What a check being split or paid (its `lines_of`) keeps of the rules (`tax_rules`, and
    its service charge as its own): a manager who changes the store's while its parts are
    paid, or once it is paid, changes none of them."""
    service = _service_bp(check, _covers(lines), pos_config.current(conn))
    return {"service_bp": service, "rules": tax_rules(conn, check)}


def totals(
    conn: sqlite3.Connection, check: sqlite3.Row, read: Contents | None = None
) -> money.Totals:
    """What the check comes to now (a part: its share of its split check's); `read`: a whole
    check's `contents`, when the caller has them already."""
    if check["parent_id"] is not None:
        parent = existing(conn, "checks", check["parent_id"], "check")
        parts = conn.execute(
            "SELECT id FROM checks WHERE parent_id = ? ORDER BY position", (parent["id"],)
        ).fetchall()
        index = [row["id"] for row in parts].index(check["id"])
        return _split_totals(conn, parent, [row["id"] for row in parts])[index]
    whole, _ = _whole(conn, check, read)
    return whole


def _whole(
    conn: sqlite3.Connection, check: sqlite3.Row, read: Contents | None = None
) -> tuple[money.Totals, list[money.Line]]:
    """The check's totals and live lines; `read`: its `contents` when the caller has them
    already (`get` shows them too: read once, not twice)."""
    rules = tax_rules(conn, check)
    rows, discount_rows, covers = contents(conn, check["id"]) if read is None else read
    lines = [
        money.Line(row["id"], row["amount"], row["tax_rate_bp"], row["tax_name"])
        for row in rows
        if row["state"] != "voided"
    ]
    discounts = [
        money.Discount(d["id"], d["kind"], d["value"], d["line_id"], d["max_discount"])
        for d in discount_rows
    ]
    service = _service_bp(check, covers, pos_config.current(conn))
    whole = money.compute(
        lines,
        discounts,
        prices_include_tax=rules["prices_include_tax"],
        rounding=rules["tax_rounding"],
        service_bp=service,
    )
    return whole, lines


def _split_totals(
    conn: sqlite3.Connection, parent: sqlite3.Row, part_ids: Sequence[str]
) -> list[money.Totals]:
    whole, lines = _whole(conn, parent)
    shares = []
    for part_id in part_ids:
        shares.append(
            {
                row["line_id"]: Fraction(row["share_num"], row["share_den"])
                for row in conn.execute(
                    "SELECT line_id, share_num, share_den FROM check_items WHERE check_id = ?",
                    (part_id,),
                )
            }
        )
    included = tax_rules(conn, parent)["prices_include_tax"]
    return money.split(whole, lines, shares, prices_include_tax=included)


def payments_of(conn: sqlite3.Connection, check_ids: Sequence[str]) -> list[dict[str, Any]]:
    marks = ", ".join("?" * len(check_ids))
    return [
        dict(row)
        for row in conn.execute(
            f"SELECT * FROM payments WHERE check_id IN ({marks}) ORDER BY created_at, id",
            list(check_ids),
        )
    ]


def refunds_of(
    conn: sqlite3.Connection, payments: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """What was given back of `payments` (`payments_of`), oldest first."""
    refunded = [p["id"] for p in payments if p["refunded"]]
    if not refunded:  # nearly every check: no statement
        return []
    marks = ", ".join("?" * len(refunded))
    return [
        dict(row)
        for row in conn.execute(
            f"SELECT * FROM refunds WHERE payment_id IN ({marks}) ORDER BY created_at, id",
            refunded,
        )
    ]


def paid(payments: Sequence[dict[str, Any]]) -> int:
    """What payments paid of a check: their amounts (cash rounding and tips apart)."""
    return sum(p["amount"] for p in payments)


def counted(payments: Sequence[dict[str, Any]]) -> int:
    """What payments count towards a check still to be paid: their amounts less what was given
    back of them. A tender refunded on an open check (the wrong card, the guest pays cash
    instead) pays nothing of it any more: counted as paid, the check closed with that money
    back in the guest's hand. (An open check's tenders have no cash rounding: only the one
    that pays the rest rounds, and it closes the check.)"""
    return sum(max(0, p["amount"] - p["refunded"]) for p in payments)


def refreshed_totals(
    conn: WriteConnection, actor: Actor, check: sqlite3.Row
) -> tuple[money.Totals, Contents | None]:
    """What a check about to be paid comes to, once the lines ordered since have joined it, and
    what was read of it to know (a whole check's `contents`, for its `get`; a part: None)."""
    if check["parent_id"] is not None:
        return totals(conn, check), None
    if check["status"] == "open":
        roll_in(conn, actor, check)
    read = contents(conn, check["id"])
    return totals(conn, check, read), read


def get(
    conn: sqlite3.Connection,
    check_id: str,
    now: money.Totals | None = None,
    read: Contents | None = None,
) -> dict[str, Any]:
    """The check as it is; `now`: its totals, and `read`: its `contents`, when the caller has
    them from this transaction and they still stand (a payment: computing them again is a
    tenth of it)."""
    check = existing(conn, "checks", check_id, "check")
    lines, discounts, covers = contents(conn, check_id) if read is None else read
    if now is None and check["parent_id"] is None:
        now, _ = _whole(conn, check, (lines, discounts, covers))
    elif now is None:
        now = totals(conn, check)
    included = bool(tax_rules(conn, check)["prices_include_tax"])
    charged = {line["id"]: line["amount"] for line in lines if line["state"] != "voided"}
    if check["parent_id"] is not None:
        # a part's discounts are its split check's, each its share of them (`now.discounts`)
        discounts = discounts_of(conn, check["parent_id"])
        held = [
            (line["id"], line["amount"], Fraction(line["share_num"], line["share_den"]))
            for line in lines
            if line["state"] != "voided"
        ]
        charged = money.charged(now, held, prices_include_tax=included)
    # Only `check_splits.split` makes parts, and marks their check split in the same write;
    # a split check never opens again: an open one has none (as the checkout's two have not).
    parts = (
        []
        if check["status"] == "open"
        else conn.execute(
            "SELECT * FROM checks WHERE parent_id = ? ORDER BY position", (check_id,)
        ).fetchall()
    )
    rules = pos_config.current(conn)
    part_views = []
    if parts:
        for part, part_totals in zip(
            parts, _split_totals(conn, check, [p["id"] for p in parts]), strict=True
        ):
            part_payments = payments_of(conn, [part["id"]])
            left = _balance(part, part_totals.total, part_payments)
            part_views.append(
                {
                    "id": part["id"],
                    "label": part["label"],
                    "status": part["status"],
                    "total": part_totals.total,
                    "paid": paid(part_payments),
                    "balance": left,
                    "cash_balance": pricing.cash_due(left, rules["cash_rounding"]),
                }
            )
    payments = payments_of(conn, [check_id, *(p["id"] for p in parts)])
    table_name = None
    if check["table_id"] is not None:
        row = conn.execute("SELECT name FROM tables WHERE id = ?", (check["table_id"],)).fetchone()
        table_name = row["name"] if row else None
    order_ids = sorted({line["order_id"] for line in lines})
    paid_now = paid(payments)
    balance = (
        sum(part["balance"] for part in part_views)
        if check["status"] == "split"
        else _balance(check, now.total, payments)
    )
    return {
        "id": check["id"],
        "business_day": check["business_day"],
        "table_id": check["table_id"],
        "table_name": table_name,
        "parent_id": check["parent_id"],
        "label": check["label"] or _label(table_name, lines),
        "status": check["status"],
        "covers": covers,
        "order_ids": order_ids,
        "lines": [_line_view(line, charged.get(line["id"], 0)) for line in lines],
        "discounts": [
            {
                "id": d["id"],
                "line_id": d["line_id"],
                "kind": d["kind"],
                "value": d["value"],
                "reason": d["reason"],
                "promo_code": d["promo_code"],
                "amount": now.discounts.get(d["id"], 0),
            }
            for d in discounts
        ],
        "subtotal": now.subtotal,
        "tax_total": now.tax_total,
        "taxes": [t.to_json() for t in now.taxes],
        "discount_total": now.discount_total,
        "service_bp": _service_bp(
            check
            if check["parent_id"] is None
            else existing(conn, "checks", check["parent_id"], "check"),
            covers,
            rules,
        ),
        "service_charge": now.service_charge,
        "prices_include_tax": included,
        "total": now.total,
        "paid": paid_now,
        "tips": sum(p["tip"] for p in payments),
        "balance": balance,
        "cash_balance": pricing.cash_due(balance, rules["cash_rounding"]),
        "due_back": max(0, paid_now - sum(p["refunded"] for p in payments) - now.total),
        "payments": payments,
        "refunds": refunds_of(conn, payments),
        "parts": part_views,
        "opened_by": check["opened_by"],
        "created_at": check["created_at"],
        "paid_at": check["paid_at"],
    }


def _balance(check: sqlite3.Row, total: int, payments: Sequence[dict[str, Any]]) -> int:
    """What is left to pay of a check (or a part): nothing once it is paid (a refund then gives
    money back, it asks for none), else its total less what its tenders count (`counted`)."""
    return 0 if check["status"] == "paid" else max(0, total - counted(payments))


def _line_view(line: sqlite3.Row, charged: int) -> dict[str, Any]:
    num, den = line["share_num"], line["share_den"]
    # A whole line, as nearly all are, without a Fraction (3 us each, a check shows every line)
    share = str(num) if den == 1 else str(Fraction(num, den))
    return {
        "line_id": line["id"],
        "order_id": line["order_id"],
        "name": line["name"],
        "quantity": line["quantity"],
        "modifiers": [m["name"] for m in orjson.loads(line["modifiers"])],
        "seat": line["seat"],
        "amount": line["amount"],
        "share": share,
        "charged": charged,
        "voided": line["state"] == "voided",
    }


def _label(table_name: str | None, lines: Sequence[sqlite3.Row]) -> str:
    """A table's as tickets and paper name it ("Table 3", "Terrace 2"), else a walk-in's first
    order's number (`lines_of`)."""
    if table_name is not None:
        return table_label(table_name)
    if lines:
        first = min(lines, key=lambda line: line["order_id"])
        return f"Counter #{first['order_number']}"
    return "Counter"


# Checks (a part: its split check) a QR bill was paid on late, that payment not refunded in
# full (`returned` then): owed back, so listed with the open ones until a manager refunds it (a
# few a year, read from the late links' own index).
_OWED_LATE = (
    "SELECT DISTINCT w.id, w.created_at FROM pay_links l"
    " JOIN payments p ON p.id = l.payment_id JOIN checks c ON c.id = l.check_id"
    " JOIN checks w ON w.id = COALESCE(c.parent_id, c.id)"
    " WHERE l.status = 'late' AND p.refunded < p.amount"
)


def list_open(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Open and split checks (not their parts), and paid ones a QR bill was paid on late with
    that money still owed back (`edge.domain.pay_at_table`), oldest first."""
    rows = conn.execute(
        "SELECT id, created_at FROM checks WHERE status IN ('open', 'split') AND parent_id IS NULL"
    ).fetchall()
    found = {row["id"]: row["created_at"] for row in rows}
    for row in conn.execute(_OWED_LATE):
        found.setdefault(row["id"], row["created_at"])
    listed = []
    for check_id in sorted(found, key=lambda i: (found[i], i)):
        view = get(conn, check_id)
        live = sum(1 for line in view["lines"] if not line["voided"])
        if not live and not view["payments"]:
            continue  # its orders were cancelled, or its lines moved away: nothing to pay
        listed.append(
            {key: view[key] for key in CHECK_LISTED.schema["properties"] if key in view}
            | {"line_count": live}
        )
    return listed


# ---- changing a check -----------------------------------------------------------------------


def changeable(conn: sqlite3.Connection, check_id: str, *, unpaid: bool = True) -> sqlite3.Row:
    """An open check that is not a part, and (`unpaid`) has no payment yet: one whose lines and
    discounts may change."""
    check = existing(conn, "checks", check_id, "check")
    if check["status"] != "open":
        raise Conflict(f"the check is {check['status']}", code="check_not_open")
    if check["parent_id"] is not None:
        raise Conflict("a part of a split check is only paid", code="check_is_part")
    if unpaid and conn.execute("SELECT 1 FROM payments WHERE check_id = ?", (check_id,)).fetchone():
        raise Conflict("the check has a payment on it", code="check_has_payments")
    return check


def waiting_link(conn: sqlite3.Connection, check_id: str) -> sqlite3.Row | None:
    """The check's pay link waiting for the guest (its id and amount), if one does: a check has
    one at a time (`edge.domain.pay_at_table`)."""
    return conn.execute(
        "SELECT id, amount FROM pay_links WHERE check_id = ? AND status = 'pending'", (check_id,)
    ).fetchone()


def no_pay_link(conn: sqlite3.Connection, check_id: str) -> None:
    """Refuse to change what a pay link waiting for the guest pays for into something else (a
    split check, one merged away, lines moved off it): the payment would land on a check no one
    pays any more, or one with less on it than the guest pays."""
    if waiting_link(conn, check_id) is not None:
        raise Conflict(
            "the guest may be paying this check at the table (its QR bill waits): take a tender"
            " for it, or wait",
            code="pay_link_pending",
        )


def set_service(
    conn: WriteConnection,
    actor: Actor,
    check_id: str,
    values: dict[str, Any],
    approver: Actor | None = None,
) -> dict[str, Any]:
    """The check's own service charge (null: the store's rule). A manager's, or approved with a
    manager's PIN: taking it off is a discount, putting more on charges the guest more."""
    require(actor, "check.edit")
    given = SERVICE.clean(values, partial=True)
    approved_by = require(actor, "discount.large", approver)
    changeable(conn, check_id)
    commit(conn, actor.id, "checks", check_id, "update", given, approver=approved_by)
    return get(conn, check_id)


# ---- paid -----------------------------------------------------------------------------------


def settle(
    conn: WriteConnection,
    actor: Actor,
    check_id: str,
    due: money.Totals | None = None,
    paid_now: int | None = None,
) -> bool:
    """After a payment: the check is paid when its payments cover it; a split check when all
    its parts are; then every order whose lines are all on paid checks closes. True if paid.
    `due`: what the check comes to, and `paid_now` what its payments count (`counted`), when the
    caller has them from this transaction."""
    check = existing(conn, "checks", check_id, "check")
    if check["status"] != "open":  # paid already (a guest paid at the table after a tender):
        return False  # what it was paid with and its receipt's link stand, the rest is due back
    due = totals(conn, check) if due is None else due
    if paid_now is None:
        paid_now = counted(payments_of(conn, [check_id]))
    if paid_now < due.total:
        return False
    _mark_paid(conn, actor, check_id, due)
    if (link := waiting_link(conn, check_id)) is not None:
        # settled at the till while the guest's QR bill waited: the bill is withdrawn (the
        # provider is told next, `edge.api.pay_at_table.withdraw`), a capture after it is late
        commit(conn, actor.id, "pay_links", link["id"], "update", {"status": "cancelling"})
    if check["parent_id"] is not None:
        open_parts = conn.execute(
            "SELECT 1 FROM checks WHERE parent_id = ? AND status != 'paid'", (check["parent_id"],)
        ).fetchone()
        if open_parts is None:
            parent = existing(conn, "checks", check["parent_id"], "check")
            _mark_paid(conn, actor, parent["id"], totals(conn, parent))
    order_ids = [
        row["order_id"]
        for row in conn.execute(
            "SELECT DISTINCT l.order_id FROM check_items i JOIN order_lines l ON l.id = i.line_id"
            " WHERE i.check_id = ?",
            (check_id,),
        )
    ]
    for order_id in order_ids:
        if conn.execute(_CLOSABLE, (order_id,)).fetchone() is not None:
            orders.close(conn, actor, order_id)
    return True


# An open order none of whose live lines is on an open check or on no check at all: paid for,
# so it closes. One statement, not three (the two checks and the order's status).
_CLOSABLE = (
    "SELECT 1 FROM orders o WHERE o.id = ?1 AND o.status = 'open'"
    " AND NOT EXISTS (SELECT 1 FROM order_lines l JOIN check_items i ON i.line_id = l.id"
    " JOIN checks c ON c.id = i.check_id WHERE l.order_id = ?1 AND l.state != 'voided'"
    " AND c.status = 'open')"
    f" AND NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = ?1{_UNCHECKED})"
)


def amounts(due: money.Totals) -> dict[str, Any]:
    """What a paid check keeps of its totals: what the reports count."""
    return {
        "subtotal": due.subtotal,
        "tax_total": due.tax_total,
        "taxes": [t.to_json() for t in due.taxes],
        "discount_total": due.discount_total,
        "service_charge": due.service_charge,
        "total": due.total,
    }


def void_line(
    conn: WriteConnection, actor: Actor, line_id: str, reason: Any, approver: Actor | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Void a line (`orders.void_line`) and settle again each open check holding it that has a
    payment on it (or is a part of a split one): what is left to pay is recomputed, and a check
    its payments now cover is paid, what they paid beyond it owed back (`due_back`). Answers
    the order and the checks the void paid (`payments.void_line` prints their receipts). A
    paid check holding it (a paid part of a split check, or a check the order's other lines
    were moved from), and each paid part of a split check holding it (an amount off shares out
    anew over the parts), keeps what it comes to now, as one paid after the void would: the
    reports count the line no more, and what it paid beyond that is owed back; unless it was
    paid on a day whose Z is done, which would rewrite that day's figures: refused
    (`day_closed`), the money is refunded instead, today."""
    held_paid = conn.execute(
        "SELECT c.* FROM checks c WHERE c.status = 'paid' AND (c.id IN (SELECT check_id"
        " FROM check_items WHERE line_id = ?1) OR c.parent_id IN (SELECT check_id"
        " FROM check_items WHERE line_id = ?1))",
        (line_id,),
    ).fetchall()
    if any(shifts.day_closed(conn, check["paid_day"]) for check in held_paid):
        raise Conflict(
            "the line is on a check paid on a day whose Z report is done: refund it instead",
            code="day_closed",
        )
    order = orders.void_line(conn, actor, line_id, reason, approver)
    for check in held_paid:
        due = totals(conn, check)
        commit(conn, actor.id, "checks", check["id"], "update", _kept(due))
    held = conn.execute(
        "SELECT DISTINCT c.id FROM check_items i JOIN checks c ON c.id = i.check_id"
        " WHERE i.line_id = ? AND c.status = 'open' AND (c.parent_id IS NOT NULL"
        " OR EXISTS (SELECT 1 FROM payments p WHERE p.check_id = c.id)) ORDER BY c.position",
        (line_id,),
    ).fetchall()
    settled = [row["id"] for row in held if settle(conn, actor, row["id"])]
    return orders.get(conn, order["id"]), settled


def _kept(due: money.Totals) -> dict[str, Any]:
    """What a paid check keeps of what it comes to: its total, and the `amounts` reports add."""
    return {"total": due.total, "amounts": amounts(due)}


def _mark_paid(conn: WriteConnection, actor: Actor, check_id: str, due: money.Totals) -> None:
    """Paid, with what it came to then (`amounts`, which the reports add up) on the day whose
    report counts it (`shifts.open_day`: a void that settles it after today's Z, the next day's)
    and the key of its digital receipt (32 random bytes: the link is the right to read it, so
    it cannot be guessed)."""
    changes = {
        "status": "paid",
        **_kept(due),
        "paid_at": now_iso(),
        "paid_day": shifts.open_day(conn),
    }
    check = existing(conn, "checks", check_id, "check")
    if check["parent_id"] is None and check["rules"] is None:  # a split one kept them already
        changes |= kept_rules(conn, check, lines_of(conn, check_id))
    commit(
        conn,
        actor.id,
        "checks",
        check_id,
        "update",
        {**changes, "receipt_token": secrets.token_urlsafe(32)},
    )
