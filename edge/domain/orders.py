"""Orders: counter (walk-in) and table orders taken by staff, their lines and server-side totals.

A line copies what it needs from the menu (name, price with modifiers, tax rate, station,
course) so the bill and the kitchen see what was ordered even if the menu changes later.
A line is `pending` until it is sent to the kitchen (tickets set `sent`); a pending line can be
changed or removed by the floor, a line that is not pending only voided, by a manager, with a
reason. An order stays `open` until its check is paid (`edge.domain.checks` calls `close`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from edge.core import events
from edge.core.events import WriteConnection, cached, commit
from edge.core.permissions import Actor, require
from edge.domain import audit, pricing, shifts, tickets
from edge.domain import store as store_settings
from edge.domain.rows import existing
from service import fields as f
from service.errors import Conflict, Invalid
from service.shapes import (
    COUNT,
    CURRENCY,
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
from sync.clock import iso, now_iso, utcnow
from sync.ids import uuid7

KINDS = ("counter", "table")
STATUSES = ("open", "closed", "cancelled")
LINE_STATES = ("pending", "sent", "voided")
MAX_LINES = 200


@f.accepts({"type": "array", "items": {"type": "string"}, "uniqueItems": True})
def _modifier_ids(key: str, ids: Any) -> list[str]:
    """Checked against the item's modifier groups when the line is priced."""
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise Invalid(f"{key} must be a list of ids", field=key)
    if len(set(ids)) != len(ids):
        raise Invalid("a modifier is chosen twice", field=key)
    return ids


LINE = f.Form(
    {
        "item_id": f.identifier,
        "quantity": f.integer(1, 999),
        "modifier_ids": _modifier_ids,
        "seat": f.optional(f.integer(1, 99)),
        "note": f.text(140, blank=True),
    },
    required=("item_id",),
)
LINES = f.listing(LINE, MAX_LINES)
LINE_CHANGE = f.Form({key: LINE.rules[key] for key in ("quantity", "seat", "note")})
ORDER = f.Form(
    {
        "kind": f.choice(*KINDS),
        "table_id": f.optional(f.identifier),
        "covers": f.integer(0, 500),
        "note": f.text(200, blank=True),
        "lines": LINES,
        "send": f.boolean,
    },
    required=("kind",),
)
ADD_LINES = f.Form({"lines": LINES}, required=("lines",))

# What `get` (and `create`, without reading back) answers: the order with its lines.
CHOSEN_MODIFIER = shape("ChosenModifier", {"id": ID, "name": text(), "price_delta": MONEY})
LINE_VIEW = shape(
    "OrderLine",
    {
        "id": ID,
        "order_id": ID,
        "item_id": ID,
        "name": text("as on the menu when ordered"),
        "unit_price": {**MONEY, "description": "item price + modifier deltas, as ordered"},
        "quantity": LINE.rules["quantity"].schema,
        "modifiers": array(CHOSEN_MODIFIER),
        "seat": LINE.rules["seat"].schema,
        "note": LINE.rules["note"].schema,
        "station": f.code.schema,
        "course": f.code.schema,
        "tax_rate_bp": COUNT,
        "tax_name": text(),
        "amount": {**MONEY, "description": "unit_price x quantity"},
        "created_at": INSTANT,
        "state": enum(LINE_STATES),
        "void_reason": nullable(f.REASON.schema),
        "void_day": nullable({**DAY, "description": "the business day it was voided on"}),
        "hub_rev": HUB_REV,
    },
)
_ORDER_FIELDS = {
    "id": ID,
    "number": {"type": "integer", "minimum": 1, "description": "per business day"},
    "business_day": DAY,
    "kind": enum(KINDS),
    "table_id": nullable(ID),
    "status": enum(STATUSES),
    "covers": ORDER.rules["covers"].schema,
    "note": ORDER.rules["note"].schema,
    "currency": CURRENCY,
    "subtotal": {**MONEY, "description": "net of tax"},
    "tax_total": MONEY,
    "total": {**MONEY, "description": "what the guest pays"},
    "taxes": array(pricing.TAX_VIEW),
    "opened_by": text("who opened it: a staff member's id"),
    "created_at": INSTANT,
    "hub_rev": HUB_REV,
}
# Every read of an order also names its table and who opened it, and counts its live lines.
_ORDER_FIELDS |= {
    "table_name": nullable(text()),
    "opened_by_name": nullable(text("null: no longer on the staff")),
    "line_count": {**COUNT, "description": "lines not voided"},
}
ORDER_VIEW = shape("Order", {**_ORDER_FIELDS, "lines": array(LINE_VIEW)})
# What `list_orders` answers: no lines.
ORDER_LISTED = shape("OrderInList", _ORDER_FIELDS)


def create(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """A new open order, numbered per business day, with its first lines (maybe none).

    With `send: true` the lines go to the kitchen at once (fired in the same write)."""
    require(actor, "order.create")
    order = ORDER.clean(values)
    lines = order.pop("lines", [])
    send_now = order.pop("send", False)
    table_id = order.get("table_id")
    table: sqlite3.Row | None = None
    if order["kind"] == "table":
        if table_id is None:
            raise Invalid("a table order needs table_id", code="missing_field", field="table_id")
        table = existing(conn, "tables", table_id, "table", "table_id")
        if not table["enabled"]:
            raise Conflict(f"table {table['name']} is disabled", code="table_disabled")
    elif table_id is not None:
        raise Invalid("a counter order has no table", field="table_id")
    store = store_settings.current(conn)
    now = utcnow()
    stamp = iso(now)
    day = store_settings.business_day(store, now)
    last_numbers = cached(conn, "order_numbers", dict)  # business day -> last number given
    if day not in last_numbers:
        last_numbers[day] = conn.execute(
            "SELECT COALESCE(MAX(number), 0) FROM orders WHERE business_day = ?", (day,)
        ).fetchone()[0]
    number = last_numbers[day] + 1
    order_id = uuid7()
    lines_rows = _new_lines(conn, order_id, lines, stamp, "sent" if send_now else "pending")
    row = {
        "number": number,
        "business_day": day,
        "kind": order["kind"],
        "table_id": table_id,
        "status": "open",
        "covers": order.get("covers", 0),
        "note": order.get("note", ""),
        "currency": store["currency"],
        "opened_by": actor.id,
        "created_at": stamp,
        **_totals(store, lines_rows),
        "hub_rev": 0,
    }
    # One change, one event: the order with its first lines.
    commit(conn, actor.id, "orders", order_id, "create", row, parts=lines_rows or None)
    last_numbers[day] = number
    if send_now and lines_rows:
        tickets.fire_sent(conn, actor, {"id": order_id, **row}, lines_rows, new=True)
    # The new order as `get` would read it, without reading it back.
    names = {
        "table_name": table["name"] if table is not None else None,
        "opened_by_name": actor.name,
        "line_count": len(lines_rows),
    }
    return {"id": order_id, **row, **names, "lines": lines_rows}


def add_lines(
    conn: WriteConnection, actor: Actor, order_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """More lines on an open order ({"lines": [...]}): one change (new lines, new totals)."""
    require(actor, "order.edit")
    _open_order(conn, order_id)
    lines = ADD_LINES.clean(values)["lines"]
    if not lines:
        raise Invalid("lines must not be empty", field="lines")
    new = _new_lines(conn, order_id, lines, now_iso())
    return _retotal(conn, actor, order_id, new=new)


def send(conn: WriteConnection, actor: Actor, order_id: str) -> dict[str, Any]:
    """Send the order's pending lines to the kitchen: they become `sent` and the kitchen fires
    them (`tickets.fire_sent`: a ticket per station, printed and on its screens; later courses
    held), in this write."""
    require(actor, "order.edit")
    order = _open_order(conn, order_id)
    lines = conn.execute(
        "SELECT * FROM order_lines WHERE order_id = ? ORDER BY created_at, id", (order_id,)
    ).fetchall()
    pending = [line for line in lines if line["state"] == "pending"]
    if not pending:
        raise Conflict("nothing new to send", code="nothing_to_send")
    for line in pending:
        commit(conn, actor.id, "order_lines", line["id"], "update", {"state": "sent"})
    tickets.fire_sent(conn, actor, order, pending)
    return get(conn, order_id)


def update_line(
    conn: WriteConnection, actor: Actor, line_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Change quantity, seat or note of a line that has not gone to the kitchen yet."""
    require(actor, "order.edit")
    line = _pending_line(conn, line_id)
    changes = LINE_CHANGE.clean(values)
    if "quantity" in changes:
        changes["amount"] = line["unit_price"] * changes["quantity"]
    commit(conn, actor.id, "order_lines", line_id, "update", changes)
    return _retotal(conn, actor, line["order_id"])


def remove_line(conn: WriteConnection, actor: Actor, line_id: str) -> dict[str, Any]:
    """Take back a line that has not gone to the kitchen; once sent, it can only be voided."""
    require(actor, "order.edit")
    line = _pending_line(conn, line_id)
    commit(conn, actor.id, "order_lines", line_id, "delete")
    return _retotal(conn, actor, line["order_id"])


def void_line(
    conn: WriteConnection, actor: Actor, line_id: str, reason: Any, approver: Actor | None = None
) -> dict[str, Any]:
    """Void a line, with a reason; needs a manager, or a manager's approval on the spot."""
    approved_by = require(actor, "order.void_line", approver)
    reason = f.REASON("reason", reason)
    line = existing(conn, "order_lines", line_id, "order line")
    order = _open_order(conn, line["order_id"])
    if line["state"] == "voided":
        raise Conflict("the line is already voided", code="already_voided")
    if line["state"] == "sent":
        tickets.line_voided(conn, actor, order, line, reason)
    commit(
        conn,
        actor.id,
        "order_lines",
        line_id,
        "update",
        _voided(conn, reason),
        approver=approved_by,
    )
    return _retotal(conn, actor, line["order_id"], approver=approved_by)


def cancel(
    conn: WriteConnection, actor: Actor, order_id: str, reason: Any, approver: Actor | None = None
) -> dict[str, Any]:
    """Cancel an order nobody has paid for, with a reason: its lines are voided (a sent one's
    kitchen ticket strikes it through and prints a VOID chit) and the order is `cancelled`.
    Once a line has gone to the kitchen it is a manager's to do, or with a manager's PIN; an
    order with a payment on its check is refunded instead."""
    reason = f.REASON("reason", reason)
    order = _open_order(conn, order_id)
    lines = conn.execute(
        "SELECT * FROM order_lines WHERE order_id = ? AND state != 'voided'"
        " ORDER BY created_at, id",
        (order_id,),
    ).fetchall()
    sent = any(line["state"] == "sent" for line in lines)
    approved_by = require(actor, "order.void_line" if sent else "order.edit", approver)
    if conn.execute(
        "SELECT 1 FROM payments p JOIN check_items i ON i.check_id = p.check_id"
        " JOIN order_lines l ON l.id = i.line_id WHERE l.order_id = ? LIMIT 1",
        (order_id,),
    ).fetchone():
        raise Conflict(
            f"order #{order['number']} has a payment on its check: refund it instead",
            code="order_paid",
        )
    for line in lines:
        if line["state"] == "sent":
            tickets.line_voided(conn, actor, order, line, reason)
        changes = _voided(conn, reason)
        commit(conn, actor.id, "order_lines", line["id"], "update", changes, approver=approved_by)
    totals = _totals(store_settings.current(conn), [])
    changes = {**totals, "status": "cancelled"}
    commit(conn, actor.id, "orders", order_id, "update", changes, approver=approved_by)
    return get(conn, order_id)


def _voided(conn: sqlite3.Connection, reason: str) -> dict[str, Any]:
    """A line's void, dated to the business day it is made on (the day's reports count it):
    after today's Z, the next day's, as money that cannot be refused is (`shifts.open_day`)."""
    return {"state": "voided", "void_reason": reason, "void_day": shifts.open_day(conn)}


def close(conn: WriteConnection, actor: Actor, order_id: str) -> None:
    """The order is paid for: its check (every check holding a line of it) is paid."""
    commit(conn, actor.id, "orders", order_id, "update", {"status": "closed"})


# An order as pages read it: with the names of its table and of who opened it, and how many
# of its lines count (voided ones do not). Counting uses `order_lines_order`.
_ORDER = (
    "SELECT o.*, t.name AS table_name, s.name AS opened_by_name,"
    " (SELECT COUNT(*) FROM order_lines l WHERE l.order_id = o.id AND l.state != 'voided')"
    " AS line_count FROM orders o LEFT JOIN tables t ON t.id = o.table_id"
    " LEFT JOIN staff s ON s.id = o.opened_by"
)


def _view(row: sqlite3.Row) -> dict[str, Any]:
    return {**dict(row), "taxes": json.loads(row["taxes"])}


def get(conn: sqlite3.Connection, order_id: str) -> dict[str, Any]:
    row = conn.execute(f"{_ORDER} WHERE o.id = ?", (order_id,)).fetchone()
    if row is None:
        existing(conn, "orders", order_id, "order")  # raises NotFound
    order = _view(row)
    order["lines"] = [
        {**dict(line), "modifiers": json.loads(line["modifiers"])}
        for line in conn.execute(
            "SELECT * FROM order_lines WHERE order_id = ? ORDER BY created_at, id", (order_id,)
        )
    ]
    return order


def history(conn: sqlite3.Connection, order_id: str, upto: int) -> dict[str, Any]:
    """What happened to the order and its lines, oldest first, up to event `upto`, and whether
    the box has forgotten the start of it (`forgotten`): retention deleted its create
    (`edge.core.retention`), which every order has."""
    existing(conn, "orders", order_id, "order")
    found = audit.of_order(conn, order_id, upto)
    created = any(e["entity"] == "orders" and e["op"] == "create" for e in found)
    return {"events": found, "forgotten": not created and events.forgotten_upto(conn) > 0}


def list_orders(
    conn: sqlite3.Connection,
    *,
    status: str | None = None,
    business_day: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Newest first. The WHERE holds only the filters given, so SQLite can use an index: a
    day's orders come from the `(business_day, number)` key in number order (the order they
    were opened in), by status from `orders_status`."""
    where: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    if business_day is not None:
        where.append("o.business_day = :day")
        params["day"] = business_day
    if status is not None:
        where.append("o.status = :status")
        params["status"] = status
    newest = "o.number DESC" if business_day is not None else "o.id DESC"
    filters = f" WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(f"{_ORDER}{filters} ORDER BY {newest} LIMIT :limit", params)
    return [_view(row) for row in rows]


def _new_lines(
    conn: sqlite3.Connection,
    order_id: str,
    lines: Sequence[dict[str, Any]],
    now: str,
    state: str = "pending",
) -> list[dict[str, Any]]:
    """Line rows for requested lines, priced from the menu, checking items, 86s and modifiers."""
    menu = cached(conn, "menu", lambda: _menu_for_pricing(conn))
    items, groups_of, modifiers = menu["items"], menu["groups"], menu["modifiers"]
    rows = []
    for line in lines:
        item = items.get(line["item_id"])
        if item is None or not item["active"]:
            raise Invalid("no such menu item", code="unknown_item", item_id=line["item_id"])
        if not item["available"]:
            raise Conflict(
                f"{item['name']} is sold out", code="item_unavailable", item_id=item["id"]
            )
        groups = groups_of.get(item["id"], ())
        chosen = []
        if groups or "modifier_ids" in line:
            chosen = _choose(item, groups, line.get("modifier_ids", []), modifiers)
        unit_price = item["price"]
        for modifier in chosen:
            unit_price += modifier["price_delta"]
        if unit_price < 0:
            raise Invalid(f"{item['name']} would cost less than nothing", code="negative_price")
        quantity = line.get("quantity", 1)
        rows.append(
            {
                "id": uuid7(),
                "order_id": order_id,
                "item_id": item["id"],
                "name": item["name"],
                "unit_price": unit_price,
                "quantity": quantity,
                "modifiers": chosen,
                "seat": line.get("seat"),
                "note": line.get("note", ""),
                "station": item["station"],
                "course": item["course"],
                "tax_rate_bp": item["rate_bp"],
                "tax_name": item["tax_name"],
                "amount": unit_price * quantity,
                "created_at": now,
                "state": state,
                "void_reason": None,
                "void_day": None,
                "hub_rev": 0,
            }
        )
    return rows


def price_lines(
    conn: sqlite3.Connection, lines: Sequence[dict[str, Any]], now: str
) -> list[dict[str, Any]]:
    """Requested lines priced from the menu as an order takes them (items, 86s, modifiers and
    their min/max checked), for a cart that is not an order yet: a guest's draft."""
    return _new_lines(conn, "", lines, now)


def _menu_for_pricing(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Items with their tax rate, each item's modifier groups, and modifiers, by id."""
    items = {
        row["id"]: dict(row)
        for row in conn.execute(
            "SELECT i.id, i.name, i.price, i.station, i.course, i.available, i.active,"
            " t.rate_bp, t.name AS tax_name FROM menu_items i"
            " JOIN tax_rates t ON t.id = i.tax_rate_id"
        )
    }
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(
        "SELECT l.item_id, g.id, g.name, g.min_choices, g.max_choices"
        " FROM item_modifier_groups l JOIN modifier_groups g ON g.id = l.group_id"
        " ORDER BY l.position"
    ):
        groups.setdefault(row["item_id"], []).append(dict(row))
    modifiers = {
        row["id"]: dict(row)
        for row in conn.execute("SELECT id, group_id, name, price_delta, available FROM modifiers")
    }
    return {"items": items, "groups": groups, "modifiers": modifiers}


def _choose(
    item: dict[str, Any],
    groups: Sequence[dict[str, Any]],
    chosen_ids: list[str],
    modifiers: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """The chosen modifiers, checked against the item's groups and their min/max choices."""
    by_group: dict[str, list[dict[str, Any]]] = {g["id"]: [] for g in groups}
    for modifier_id in chosen_ids:
        modifier = modifiers.get(modifier_id)
        if modifier is None or modifier["group_id"] not in by_group:
            raise Invalid(
                f"that modifier is not offered with {item['name']}",
                code="unknown_modifier",
                modifier_id=modifier_id,
            )
        if not modifier["available"]:
            raise Conflict(
                f"{modifier['name']} is sold out",
                code="modifier_unavailable",
                modifier_id=modifier_id,
            )
        by_group[modifier["group_id"]].append(modifier)
    for group in groups:
        count = len(by_group[group["id"]])
        if not group["min_choices"] <= count <= group["max_choices"]:
            raise Invalid(
                f"{item['name']}: choose {group['min_choices']} to {group['max_choices']}"
                f" from {group['name']}",
                code="modifier_choices",
                group_id=group["id"],
            )
    return [
        {"id": m["id"], "name": m["name"], "price_delta": m["price_delta"]}
        for g in groups
        for m in by_group[g["id"]]
    ]


def _totals(store: dict[str, Any], lines: Sequence[Any]) -> dict[str, Any]:
    result = pricing.totals(
        [
            pricing.PricedLine(line["amount"], line["tax_rate_bp"], line["tax_name"])
            for line in lines
        ],
        prices_include_tax=store["prices_include_tax"],
        rounding=store["tax_rounding"],
    )
    return {
        "subtotal": result.subtotal,
        "tax_total": result.tax_total,
        "total": result.total,
        "taxes": [t.to_json() for t in result.taxes],
    }


def _retotal(
    conn: WriteConnection,
    actor: Actor,
    order_id: str,
    approver: str | None = None,
    new: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Recompute the order's totals from its live lines (and `new` ones, created with it)."""
    lines = conn.execute(
        "SELECT amount, tax_rate_bp, tax_name FROM order_lines"
        " WHERE order_id = ? AND state != 'voided'",
        (order_id,),
    ).fetchall()
    totals = _totals(store_settings.current(conn), [*lines, *(new or [])])
    commit(conn, actor.id, "orders", order_id, "update", totals, approver=approver, parts=new)
    return get(conn, order_id)


def _open_order(conn: sqlite3.Connection, order_id: str) -> sqlite3.Row:
    order = existing(conn, "orders", order_id, "order")
    if order["status"] != "open":
        raise Conflict(f"order #{order['number']} is {order['status']}", code="order_closed")
    return order


def _pending_line(conn: sqlite3.Connection, line_id: str) -> sqlite3.Row:
    line = existing(conn, "order_lines", line_id, "order line")
    _open_order(conn, line["order_id"])
    if line["state"] != "pending":
        raise Conflict("the line has gone to the kitchen; void it instead", code="line_sent")
    if conn.execute(_PAID_FOR, (line_id,)).fetchone():
        # a payment was taken for what the line came to: changed under it, a paid part of a
        # split check kept its old share and the other parts paid the new one, so the check
        # closed paid in full with the difference never paid. A void settles the check again.
        raise Conflict(
            "the line's check has a payment on it: void the line instead",
            code="check_has_payments",
        )
    return line


# A line on a check that is paid or has a payment on it (a part of a split check included).
_PAID_FOR = (
    "SELECT 1 FROM check_items i JOIN checks c ON c.id = i.check_id WHERE i.line_id = ?"
    " AND (c.status = 'paid' OR EXISTS (SELECT 1 FROM payments p WHERE p.check_id = c.id))"
)
