"""Checks: what a table or a walk-in pays. A table's open orders roll into one check; a walk-in's
order has its own. A check holds order lines (`check_items`), so lines can move between checks
and a split can give each part a share of a line (an even split: 1/N of each).

The money is never stored until the check is paid: every read computes it from the lines, the
discounts and the service charge (`check_totals`), so reading a check changes nothing and a
line voided or added on the floor shows at once. A check picks up the lines ordered since it
was opened (`_roll_in`) whenever it is opened again or paid.

A split check keeps its lines and discounts; its parts (`parent_id`) each get a share of its
amounts, and are paid one by one. A check with a payment on it is neither split, merged nor
moved from: that would change what was paid for.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from edge.core.events import WriteConnection, commit
from edge.core.permissions import Actor, require
from edge.domain import check_totals as money
from edge.domain import orders, pos_config, pricing
from edge.domain import store as store_settings
from edge.domain.rows import existing
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
SPLITS = ("items", "even", "seat")
MAX_PARTS = 20

OPEN = f.Form(
    {"table_id": f.optional(f.identifier), "order_id": f.optional(f.identifier)},
)
SPLIT = f.Form(
    {
        "by": f.choice(*SPLITS),
        "ways": f.integer(2, MAX_PARTS),
        "parts": f.Field(
            "Parts",
            f.accepts(
                {
                    "type": "array",
                    "items": {"type": "array", "items": {"type": "string", "format": "uuid"}},
                    "minItems": 2,
                    "maxItems": MAX_PARTS,
                }
            )(lambda name, value: _parts(name, value)),
        ),
    },
    required=("by",),
)
MERGE = f.Form({"check_id": f.identifier}, required=("check_id",))
MOVE = f.Form(
    {"line_ids": f.distinct_ids, "to_check_id": f.identifier}, required=("line_ids", "to_check_id")
)
SERVICE = f.Form({"service_bp": f.optional(f.basis_points)})
DISCOUNT = f.Form(
    {
        "line_id": f.optional(f.identifier),
        "kind": f.choice("percent", "fixed"),
        "value": f.integer(0, 100_000_000),
        "reason": f.text(140, blank=True),
        "promo_code": f.text(30),
    },
)


def _parts(name: str, value: Any) -> list[list[str]]:
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_PARTS:
        raise Invalid(f"{name} must be a list of 2 to {MAX_PARTS} lists of line ids.", field=name)
    return [f.distinct_ids(name, part) for part in value]


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
        "shift_id": ID,
        "business_day": DAY,
        "method": enum(("cash", "card")),
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
PART_VIEW = shape(
    "CheckPart",
    {
        "id": ID,
        "label": text(),
        "status": enum(STATUSES),
        "total": MONEY,
        "paid": MONEY,
        "balance": MONEY,
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
        "total": {**MONEY, "description": "what is due"},
        "paid": MONEY,
        "tips": MONEY,
        "balance": {**MONEY, "description": "what is left to pay"},
        "payments": array(PAYMENT_VIEW),
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
            "created_at",
        )
    }
    | {"line_count": COUNT},
)


# ---- opening a check and what it holds ------------------------------------------------------


def open_check(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """The open check of a table (`table_id`) or of an order (`order_id`: a table order's is
    its table's), made when there is none, with every line ordered since."""
    require(actor, "check.edit")
    given = OPEN.clean(values)
    table_id, order_id = given.get("table_id"), given.get("order_id")
    if (table_id is None) == (order_id is None):
        raise Invalid("give a table_id or an order_id", code="missing_field", field="table_id")
    if order_id is not None:
        order = existing(conn, "orders", order_id, "order", "order_id")
        table_id = order["table_id"]
        if table_id is None:
            check = _check_of_order(conn, order_id)
            if check is None:
                if order["status"] != "open":
                    raise Conflict(
                        f"order #{order['number']} is {order['status']}", code="order_closed"
                    )
                check_id = _new_check(conn, actor, None, _live_lines(conn, order_id))
            else:
                check_id = check["id"]
                if check["status"] == "open":
                    _roll_in(conn, actor, check)
            return get(conn, check_id)
    assert table_id is not None
    table = existing(conn, "tables", table_id, "table", "table_id")
    check = conn.execute(
        "SELECT * FROM checks WHERE table_id = ? AND status = 'open' AND parent_id IS NULL",
        (table["id"],),
    ).fetchone()
    if check is None:
        check_id = _new_check(conn, actor, table["id"], [])
        check = existing(conn, "checks", check_id, "check")
    _roll_in(conn, actor, check)
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
        "opened_by": actor.id,
        "created_at": now_iso(),
        "paid_at": None,
        "paid_day": None,
        "receipt_token": None,
    }
    items = [_item(check_id, line_id) for line_id in line_ids]
    commit(conn, actor.id, "checks", check_id, "create", row, parts=items or None)
    return check_id


def _item(check_id: str, line_id: str, share: Fraction = Fraction(1)) -> dict[str, Any]:
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


def _roll_in(conn: WriteConnection, actor: Actor, check: sqlite3.Row) -> None:
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
        items = [_item(check["id"], row["id"]) for row in rows]
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


def _lines(conn: sqlite3.Connection, check_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT i.share_num, i.share_den, l.* FROM check_items i"
        " JOIN order_lines l ON l.id = i.line_id WHERE i.check_id = ?"
        " ORDER BY l.created_at, l.id",
        (check_id,),
    ).fetchall()


def _discounts(conn: sqlite3.Connection, check_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT d.*, p.code AS promo_code, p.max_discount FROM check_discounts d"
        " LEFT JOIN promo_codes p ON p.id = d.promo_code_id WHERE d.check_id = ?"
        " ORDER BY d.created_at, d.id",
        (check_id,),
    ).fetchall()


def _covers(conn: sqlite3.Connection, lines: Sequence[sqlite3.Row]) -> int:
    ids = sorted({line["order_id"] for line in lines})
    if not ids:
        return 0
    marks = ", ".join("?" * len(ids))
    return conn.execute(
        f"SELECT COALESCE(SUM(covers), 0) FROM orders WHERE id IN ({marks})", ids
    ).fetchone()[0]


def _service_bp(check: sqlite3.Row, covers: int, rules: dict[str, Any]) -> int:
    if check["service_bp"] is not None:
        return check["service_bp"]
    return rules["service_bp"] if covers >= rules["service_min_covers"] else 0


def totals(conn: sqlite3.Connection, check: sqlite3.Row) -> money.Totals:
    """What the check comes to now (a part: its share of its split check's)."""
    if check["parent_id"] is not None:
        parent = existing(conn, "checks", check["parent_id"], "check")
        parts = conn.execute(
            "SELECT id FROM checks WHERE parent_id = ? ORDER BY position", (parent["id"],)
        ).fetchall()
        index = [row["id"] for row in parts].index(check["id"])
        return _split_totals(conn, parent, [row["id"] for row in parts])[index]
    whole, _ = _whole(conn, check)
    return whole


def _whole(conn: sqlite3.Connection, check: sqlite3.Row) -> tuple[money.Totals, list[money.Line]]:
    store = store_settings.current(conn)
    rows = _lines(conn, check["id"])
    lines = [
        money.Line(row["id"], row["amount"], row["tax_rate_bp"], row["tax_name"])
        for row in rows
        if row["state"] != "voided"
    ]
    discounts = [
        money.Discount(d["id"], d["kind"], d["value"], d["line_id"], d["max_discount"])
        for d in _discounts(conn, check["id"])
    ]
    service = _service_bp(check, _covers(conn, rows), pos_config.current(conn))
    whole = money.compute(
        lines,
        discounts,
        prices_include_tax=store["prices_include_tax"],
        rounding=store["tax_rounding"],
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
    store = store_settings.current(conn)
    return money.split(whole, lines, shares, prices_include_tax=store["prices_include_tax"])


def payments_of(conn: sqlite3.Connection, check_ids: Sequence[str]) -> list[dict[str, Any]]:
    marks = ", ".join("?" * len(check_ids))
    return [
        dict(row)
        for row in conn.execute(
            f"SELECT * FROM payments WHERE check_id IN ({marks}) ORDER BY created_at, id",
            list(check_ids),
        )
    ]


def paid(payments: Sequence[dict[str, Any]]) -> int:
    """What payments count towards a check: their amounts (cash rounding and tips apart)."""
    return sum(p["amount"] for p in payments)


def refreshed_total(conn: WriteConnection, actor: Actor, check: sqlite3.Row) -> int:
    """What is due on a check about to be paid, once the lines ordered since have joined it."""
    if check["parent_id"] is None and check["status"] == "open":
        _roll_in(conn, actor, check)
    return totals(conn, check).total


def get(conn: sqlite3.Connection, check_id: str) -> dict[str, Any]:
    check = existing(conn, "checks", check_id, "check")
    now = totals(conn, check)
    parts = conn.execute(
        "SELECT * FROM checks WHERE parent_id = ? ORDER BY position", (check_id,)
    ).fetchall()
    part_views = []
    if parts:
        for part, part_totals in zip(
            parts, _split_totals(conn, check, [p["id"] for p in parts]), strict=True
        ):
            part_paid = paid(payments_of(conn, [part["id"]]))
            part_views.append(
                {
                    "id": part["id"],
                    "label": part["label"],
                    "status": part["status"],
                    "total": part_totals.total,
                    "paid": part_paid,
                    "balance": max(0, part_totals.total - part_paid),
                }
            )
    payments = payments_of(conn, [check_id, *(p["id"] for p in parts)])
    lines = _lines(conn, check_id)
    discounts = _discounts(conn, check_id)
    table_name = None
    if check["table_id"] is not None:
        row = conn.execute("SELECT name FROM tables WHERE id = ?", (check["table_id"],)).fetchone()
        table_name = row["name"] if row else None
    order_ids = sorted({line["order_id"] for line in lines})
    paid_now = paid(payments)
    return {
        "id": check["id"],
        "business_day": check["business_day"],
        "table_id": check["table_id"],
        "table_name": table_name,
        "parent_id": check["parent_id"],
        "label": check["label"] or _label(conn, check, table_name, order_ids),
        "status": check["status"],
        "covers": _covers(conn, lines),
        "order_ids": order_ids,
        "lines": [_line_view(line) for line in lines],
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
            _covers(conn, lines),
            pos_config.current(conn),
        ),
        "service_charge": now.service_charge,
        "total": now.total,
        "paid": paid_now,
        "tips": sum(p["tip"] for p in payments),
        "balance": max(0, now.total - paid_now),
        "payments": payments,
        "parts": part_views,
        "opened_by": check["opened_by"],
        "created_at": check["created_at"],
        "paid_at": check["paid_at"],
    }


def _line_view(line: sqlite3.Row) -> dict[str, Any]:
    share = Fraction(line["share_num"], line["share_den"])
    return {
        "line_id": line["id"],
        "order_id": line["order_id"],
        "name": line["name"],
        "quantity": line["quantity"],
        "modifiers": [m["name"] for m in json.loads(line["modifiers"])],
        "seat": line["seat"],
        "amount": line["amount"],
        "share": str(share),
        "voided": line["state"] == "voided",
    }


def _label(
    conn: sqlite3.Connection, check: sqlite3.Row, table_name: str | None, order_ids: list[str]
) -> str:
    if table_name is not None:
        return table_name
    if order_ids:
        row = conn.execute("SELECT number FROM orders WHERE id = ?", (order_ids[0],)).fetchone()
        return f"Counter #{row['number']}"
    return "Counter"


def list_open(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Open and split checks (not their parts), oldest first."""
    rows = conn.execute(
        "SELECT id FROM checks WHERE status IN ('open', 'split') AND parent_id IS NULL"
        " ORDER BY created_at, id"
    ).fetchall()
    listed = []
    for row in rows:
        view = get(conn, row["id"])
        listed.append(
            {key: view[key] for key in CHECK_LISTED.schema["properties"] if key in view}
            | {"line_count": sum(1 for line in view["lines"] if not line["voided"])}
        )
    return listed


# ---- changing a check -----------------------------------------------------------------------


def _open(conn: sqlite3.Connection, check_id: str, *, unpaid: bool = True) -> sqlite3.Row:
    """An open check that is not a part, and (`unpaid`) has no payment yet."""
    check = existing(conn, "checks", check_id, "check")
    if check["status"] != "open":
        raise Conflict(f"the check is {check['status']}", code="check_not_open")
    if check["parent_id"] is not None:
        raise Conflict("a part of a split check is only paid", code="check_is_part")
    if unpaid and conn.execute("SELECT 1 FROM payments WHERE check_id = ?", (check_id,)).fetchone():
        raise Conflict("the check has a payment on it", code="check_has_payments")
    return check


def split(
    conn: WriteConnection, actor: Actor, check_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Split an open check: by items (`parts`: every line in one part), evenly (`ways`), or by
    seat (a part per seat; lines with no seat shared evenly between them)."""
    require(actor, "check.edit")
    given = SPLIT.clean(values)
    check = _open(conn, check_id)
    _roll_in(conn, actor, check)
    live = [line for line in _lines(conn, check_id) if line["state"] != "voided"]
    if not live:
        raise Conflict("the check has nothing on it to split", code="nothing_to_split")
    ids = [line["id"] for line in live]
    by = given["by"]
    if by == "even":
        if "ways" not in given:
            raise Invalid("an even split needs ways", code="missing_field", field="ways")
        shares = money.even(ids, given["ways"])
        labels = [f"{n} of {given['ways']}" for n in range(1, given["ways"] + 1)]
    elif by == "items":
        parts = given.get("parts")
        if parts is None:
            raise Invalid("a split by items needs parts", code="missing_field", field="parts")
        listed = [i for part in parts for i in part]
        if sorted(listed) != sorted(ids) or any(not part for part in parts):
            raise Invalid(
                "each line of the check goes in exactly one part, and no part is empty",
                code="bad_parts",
                field="parts",
            )
        shares = [{i: Fraction(1) for i in part} for part in parts]
        labels = [f"Part {n}" for n in range(1, len(parts) + 1)]
    else:
        seats = sorted({line["seat"] for line in live if line["seat"] is not None})
        if len(seats) < 2:
            raise Conflict("the lines are not on two seats or more", code="not_enough_seats")
        shared = [line["id"] for line in live if line["seat"] is None]
        shares = [
            {line["id"]: Fraction(1) for line in live if line["seat"] == seat}
            | {i: Fraction(1, len(seats)) for i in shared}
            for seat in seats
        ]
        labels = [f"Seat {seat}" for seat in seats]
    stamp = now_iso()
    for position, (label, part) in enumerate(zip(labels, shares, strict=True)):
        part_id = uuid7()
        row = {
            "business_day": check["business_day"],
            "table_id": check["table_id"],
            "parent_id": check_id,
            "label": label,
            "position": position,
            "status": "open",
            "service_bp": None,
            "total": 0,
            "opened_by": actor.id,
            "created_at": stamp,
            "paid_at": None,
            "paid_day": None,
            "receipt_token": None,
        }
        items = [_item(part_id, line_id, share) for line_id, share in part.items()]
        commit(conn, actor.id, "checks", part_id, "create", row, parts=items)
    commit(conn, actor.id, "checks", check_id, "update", {"status": "split"})
    return get(conn, check_id)


def merge(
    conn: WriteConnection, actor: Actor, check_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Bring another open check's lines and discounts into this one (two tables pay as one)."""
    require(actor, "check.edit")
    other_id = MERGE.clean(values)["check_id"]
    if other_id == check_id:
        raise Invalid("a check cannot be merged with itself", field="check_id")
    check = _open(conn, check_id, unpaid=False)
    other = _open(conn, other_id)
    _roll_in(conn, actor, other)
    for row in conn.execute(
        "SELECT id FROM check_items WHERE check_id = ?", (other_id,)
    ).fetchall():
        commit(conn, actor.id, "check_items", row["id"], "update", {"check_id": check_id})
    for row in conn.execute(
        "SELECT id FROM check_discounts WHERE check_id = ?", (other_id,)
    ).fetchall():
        commit(conn, actor.id, "check_discounts", row["id"], "update", {"check_id": check_id})
    commit(conn, actor.id, "checks", other_id, "update", {"status": "merged"})
    _roll_in(conn, actor, check)
    return get(conn, check_id)


def move(
    conn: WriteConnection, actor: Actor, check_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Move lines (and their own discounts) to another open check; answers this check."""
    require(actor, "check.edit")
    given = MOVE.clean(values)
    target_id = given["to_check_id"]
    if target_id == check_id:
        raise Invalid("the lines are on that check already", field="to_check_id")
    _open(conn, check_id)
    _open(conn, target_id, unpaid=False)
    if not given["line_ids"]:
        raise Invalid("line_ids must not be empty", field="line_ids")
    for line_id in given["line_ids"]:
        item = conn.execute(
            "SELECT id FROM check_items WHERE check_id = ? AND line_id = ?", (check_id, line_id)
        ).fetchone()
        if item is None:
            raise Invalid("a line is not on this check", code="unknown_line", field="line_ids")
        commit(conn, actor.id, "check_items", item["id"], "update", {"check_id": target_id})
        for row in conn.execute(
            "SELECT id FROM check_discounts WHERE check_id = ? AND line_id = ?", (check_id, line_id)
        ).fetchall():
            commit(conn, actor.id, "check_discounts", row["id"], "update", {"check_id": target_id})
    return get(conn, check_id)


def set_service(
    conn: WriteConnection, actor: Actor, check_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """The check's own service charge (null: the store's rule)."""
    require(actor, "check.edit")
    given = SERVICE.clean(values, partial=True)
    _open(conn, check_id)
    commit(conn, actor.id, "checks", check_id, "update", given)
    return get(conn, check_id)


def add_discount(
    conn: WriteConnection,
    actor: Actor,
    check_id: str,
    values: dict[str, Any],
    approver: Actor | None = None,
) -> dict[str, Any]:
    """A discount on the check or one of its lines: a percent or an amount with a reason, or a
    promo code. Above the store's limit it needs a manager (or a manager's PIN)."""
    require(actor, "check.edit")
    given = DISCOUNT.clean(values)
    check = _open(conn, check_id)
    _roll_in(conn, actor, check)
    existing_discounts = _discounts(conn, check_id)
    line_id = given.get("line_id")
    live = {line["id"]: line for line in _lines(conn, check_id) if line["state"] != "voided"}
    if line_id is not None and line_id not in live:
        raise Invalid("that line is not on this check", code="unknown_line", field="line_id")
    now = totals(conn, check)
    approved_by = None
    if "promo_code" in given:
        if {"kind", "value"} & given.keys():
            raise Invalid("a promo code sets its own discount", field="promo_code")
        promo = pos_config.find_promo(conn, given["promo_code"])
        _promo_applies(promo, now, existing_discounts, _promo_rows(conn, check_id))
        row = {"kind": promo["kind"], "value": promo["value"], "promo_code_id": promo["id"]}
        reason = given.get("reason") or f"promo {promo['code']}"
        line_id = None
    else:
        if not {"kind", "value"} <= given.keys():
            raise Invalid("a discount needs kind and value", code="missing_field", field="kind")
        if any(d["promo_code_id"] and not d["stackable_ok"] for d in _promo_rows(conn, check_id)):
            raise Conflict("the check's promo code does not stack", code="promo_not_stackable")
        target = live[line_id]["amount"] if line_id else now.goods + now.discount_total
        limit = pos_config.current(conn)["discount_limit_bp"]
        if given["kind"] == "percent":
            if given["value"] > 10_000:
                raise Invalid("a percent discount takes at most 100% (10000)", field="value")
            large = given["value"] > limit
        else:
            large = given["value"] * 10_000 > limit * target
        reason = given.get("reason", "")
        if large:
            approved_by = require(actor, "discount.large", approver)
            if not reason:
                raise Invalid("a discount above the limit needs a reason", field="reason")
        row = {"kind": given["kind"], "value": given["value"], "promo_code_id": None}
    commit(
        conn,
        actor.id,
        "check_discounts",
        uuid7(),
        "create",
        {
            "check_id": check_id,
            "line_id": line_id,
            **row,
            "reason": reason,
            "created_by": actor.id,
            "created_at": now_iso(),
        },
        approver=approved_by,
    )
    return get(conn, check_id)


def _promo_rows(conn: sqlite3.Connection, check_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT d.promo_code_id, p.stackable AS stackable_ok FROM check_discounts d"
        " JOIN promo_codes p ON p.id = d.promo_code_id WHERE d.check_id = ?",
        (check_id,),
    ).fetchall()


def _promo_applies(
    promo: dict[str, Any],
    now: money.Totals,
    on_check: Sequence[sqlite3.Row],
    promos_on: Sequence[sqlite3.Row],
) -> None:
    """A promo code is refused when inactive, out of its dates, used up, short of its minimum
    spend, or beside another discount unless both stack."""
    stamp = now_iso()
    if not promo["active"]:
        raise Conflict(f"{promo['code']} is not active", code="promo_inactive")
    if promo["valid_from"] and stamp < promo["valid_from"]:
        raise Conflict(f"{promo['code']} is not valid yet", code="promo_not_yet")
    if promo["valid_until"] and stamp >= promo["valid_until"]:
        raise Conflict(f"{promo['code']} has expired", code="promo_expired")
    if promo["usage_limit"] is not None and promo["uses"] >= promo["usage_limit"]:
        raise Conflict(f"{promo['code']} has been used up", code="promo_used_up")
    if now.goods + now.discount_total < promo["min_spend"]:
        raise Conflict(f"{promo['code']} needs a larger check", code="promo_min_spend")
    if any(d["promo_code_id"] == promo["id"] for d in on_check):
        raise Conflict(f"{promo['code']} is on the check already", code="promo_twice")
    if on_check and not (promo["stackable"] and all(d["stackable_ok"] for d in promos_on)):
        raise Conflict(
            f"{promo['code']} does not stack with other discounts", code="promo_not_stackable"
        )


def remove_discount(conn: WriteConnection, actor: Actor, discount_id: str) -> dict[str, Any]:
    require(actor, "check.edit")
    discount = existing(conn, "check_discounts", discount_id, "discount")
    _open(conn, discount["check_id"])
    commit(conn, actor.id, "check_discounts", discount_id, "delete")
    return get(conn, discount["check_id"])


# ---- paid -----------------------------------------------------------------------------------


def settle(conn: WriteConnection, actor: Actor, check_id: str) -> bool:
    """After a payment: the check is paid when its payments cover it; a split check when all
    its parts are; then every order whose lines are all on paid checks closes. True if paid."""
    check = existing(conn, "checks", check_id, "check")
    due = totals(conn, check).total
    if paid(payments_of(conn, [check_id])) < due:
        return False
    _mark_paid(conn, actor, check_id, due)
    if check["parent_id"] is not None:
        open_parts = conn.execute(
            "SELECT 1 FROM checks WHERE parent_id = ? AND status != 'paid'", (check["parent_id"],)
        ).fetchone()
        if open_parts is None:
            parent = existing(conn, "checks", check["parent_id"], "check")
            _mark_paid(conn, actor, parent["id"], totals(conn, parent).total)
    order_ids = [
        row["order_id"]
        for row in conn.execute(
            "SELECT DISTINCT l.order_id FROM check_items i JOIN order_lines l ON l.id = i.line_id"
            " WHERE i.check_id = ?",
            (check_id,),
        )
    ]
    for order_id in order_ids:
        unpaid = conn.execute(
            "SELECT 1 FROM order_lines l JOIN check_items i ON i.line_id = l.id"
            " JOIN checks c ON c.id = i.check_id WHERE l.order_id = ? AND l.state != 'voided'"
            " AND c.status IN ('open') LIMIT 1",
            (order_id,),
        ).fetchone()
        unchecked = conn.execute(
            f"SELECT 1 FROM order_lines l WHERE l.order_id = ?{_UNCHECKED} LIMIT 1", (order_id,)
        ).fetchone()
        order = existing(conn, "orders", order_id, "order")
        if unpaid is None and unchecked is None and order["status"] == "open":
            orders.close(conn, actor, order_id)
    return True


def _mark_paid(conn: WriteConnection, actor: Actor, check_id: str, total: int) -> None:
    """Paid, with the key of its digital receipt (32 random bytes: the link is the right to
    read it, so it cannot be guessed)."""
    stamp = now_iso()
    changes = {"status": "paid", "total": total, "paid_at": stamp, "paid_day": _today(conn)}
    commit(
        conn,
        actor.id,
        "checks",
        check_id,
        "update",
        {**changes, "receipt_token": secrets.token_urlsafe(32)},
    )
