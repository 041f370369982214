"""A table's shared cart and its way to the kitchen: a state machine.

    open --send--> submitted --guest edits--> updated
    submitted | updated --a waiter takes the lock--> in_review (the lock expires: updated)
    in_review --the waiter confirms--> confirmed (an order, sent to the kitchen)
    in_review --the waiter rejects, with a reason--> rejected

In direct mode (`store.qr_mode`) a Send confirms at once. Every phone of the table adds to the
one open draft; prices are computed here from the menu, never taken from a guest. Confirming
goes through the orders' own create/add and send (the one send path, where the kitchen's
tickets are made). A move the state does not allow is a 409 that names the current state; a
guest cannot change a draft a waiter holds, and two waiters cannot both confirm one (the writer
runs one write at a time: the second finds it confirmed).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import Any

from edge.core.events import WriteConnection, commit
from edge.core.permissions import Actor, require
from edge.domain import orders, table_sessions
from edge.domain import store as store_settings
from edge.domain.rows import existing
from edge.domain.table_sessions import Guest
from service import fields as f
from service.errors import Conflict, Forbidden
from service.shapes import (
    ID,
    INSTANT,
    MONEY,
    array,
    enum,
    nullable,
    shape,
    text,
)
from sync.clock import iso, utcnow
from sync.ids import uuid7

STATES = ("open", "submitted", "updated", "in_review", "confirmed", "rejected")
WAITING = ("submitted", "updated", "in_review")
LOCK_SECONDS = 120  # a waiter who walks away lets go of a draft after this
MAX_LINES = 100  # lines in one draft: a table's round, with room to spare
# The ordering waiter of direct mode: who the events of a guest's direct order record.
QR = Actor(id="qr", name="QR ordering", role="waiter", device="guest")
# Keys a guest might send that look like prices: ignored, as prices are the menu's.
PRICE_LIKE = ("price", "unit_price", "amount", "total", "price_delta")

LINE = f.Form(
    {key: orders.LINE.rules[key] for key in ("item_id", "quantity", "modifier_ids", "note")},
    required=("item_id",),
)
LINE_CHANGE = f.Form({key: orders.LINE.rules[key] for key in ("quantity", "modifier_ids", "note")})
REJECT = f.Form({"reason": f.Field("Reason", f.REASON)}, required=("reason",))

LINE_VIEW = shape(
    "DraftLine",
    {
        "id": ID,
        "draft_id": ID,
        "member_id": nullable(ID),
        "item_id": ID,
        "name": text(),
        "unit_price": MONEY,
        "quantity": {"type": "integer", "minimum": 1},
        "modifiers": array(orders.CHOSEN_MODIFIER),
        "note": text(),
        "amount": MONEY,
        "created_at": INSTANT,
        "added_by": text("the guest's nickname, or '' for staff"),
    },
)
DRAFT_VIEW = shape(
    "Draft",
    {
        "id": ID,
        "session_id": ID,
        "table_id": ID,
        "table_name": text(),
        "status": enum(STATES),
        "created_at": INSTANT,
        "updated_at": INSTANT,
        "submitted_at": nullable(INSTANT),
        "locked_by": nullable(text("the staff id holding it")),
        "locked_by_name": nullable(text()),
        "lock_expires_at": nullable(INSTANT),
        "decided_at": nullable(INSTANT),
        "reject_reason": nullable(text()),
        "order_id": nullable(ID),
        "order_number": nullable({"type": "integer"}),
        "total": {**MONEY, "description": "the lines' amounts; the order computes tax"},
        "currency": text(),
        "lines": array(LINE_VIEW),
    },
)


def _state_error(draft: sqlite3.Row | dict[str, Any], doing: str) -> Conflict:
    status = draft["status"]
    return Conflict(
        f"cannot {doing}: the order is {status.replace('_', ' ')}", code="draft_state", state=status
    )


def _effective(draft: sqlite3.Row, now: datetime) -> str:
    """The draft's state now: a lock that expired leaves it `updated`."""
    if draft["status"] == "in_review" and draft["lock_expires_at"] <= iso(now):
        return "updated"
    return draft["status"]


def _current(conn: sqlite3.Connection, session_id: str) -> sqlite3.Row | None:
    """The session's draft still being built or reviewed (at most one)."""
    return conn.execute(
        "SELECT * FROM drafts WHERE session_id = ? AND status NOT IN ('confirmed', 'rejected')",
        (session_id,),
    ).fetchone()


def _priced(conn: sqlite3.Connection, values: dict[str, Any], stamp: str) -> dict[str, Any]:
    clean = LINE.clean({k: v for k, v in values.items() if k not in PRICE_LIKE})
    line = orders.price_lines(conn, [clean], stamp)[0]
    keep = ("item_id", "name", "unit_price", "quantity", "modifiers", "note", "amount")
    return {key: line[key] for key in keep}


# ---- guests --------------------------------------------------------------------------------


def add_line(conn: WriteConnection, who: Guest, values: dict[str, Any]) -> None:
    """A guest adds a line to the table's cart (a new open draft when none is)."""
    now = utcnow()
    stamp = iso(now)
    line = {
        "id": uuid7(),
        "draft_id": "",
        "member_id": who.member_id,
        **_priced(conn, values, stamp),
    }
    draft = _current(conn, who.session_id)
    if draft is None:
        draft_id = uuid7()
        line["draft_id"] = draft_id
        row = {"session_id": who.session_id, "status": "open", "created_at": stamp}
        commit(
            conn,
            who.actor_id,
            "drafts",
            draft_id,
            "create",
            {**row, "updated_at": stamp},
            parts=[{**line, "created_at": stamp}],
        )
    else:
        status = _guest_edit(draft, now)
        if len(_lines(conn, draft["id"])) >= MAX_LINES:
            raise Conflict(f"the cart holds {MAX_LINES} lines at most", code="cart_full")
        line["draft_id"] = draft["id"]
        commit(
            conn,
            who.actor_id,
            "drafts",
            draft["id"],
            "update",
            {"status": status, "updated_at": stamp},
            parts=[{**line, "created_at": stamp}],
        )
    table_sessions.touch(conn, who)


def _guest_edit(draft: sqlite3.Row, now: datetime) -> str:
    """The state a guest's change leaves the draft in, or a 409 while a waiter holds it."""
    status = _effective(draft, now)
    if status == "in_review":
        raise _state_error(draft, "change it while a waiter is checking it")
    return "open" if status == "open" else "updated"


def change_line(
    conn: WriteConnection, who: Guest | Actor, line_id: str, values: dict[str, Any]
) -> str:
    """Change a line's quantity, choices (priced again from the menu) or note: a guest of the
    table while the draft is theirs to change, a waiter while holding its lock."""
    changes = LINE_CHANGE.clean({k: v for k, v in values.items() if k not in PRICE_LIKE})
    line, draft = _line(conn, line_id)
    status = _may_edit(conn, who, draft)
    if "modifier_ids" in changes:
        again = {
            "item_id": line["item_id"],
            "quantity": changes.get("quantity", line["quantity"]),
            "modifier_ids": changes.pop("modifier_ids"),
        }
        priced = orders.price_lines(conn, [again], line["created_at"])[0]
        changes |= {key: priced[key] for key in ("name", "unit_price", "modifiers")}
    unit_price = changes.get("unit_price", line["unit_price"])
    changes["amount"] = unit_price * changes.get("quantity", line["quantity"])
    commit(conn, _actor_id(who), "draft_lines", line_id, "update", changes)
    _edited(conn, who, draft, status)
    return draft["id"]


def remove_line(conn: WriteConnection, who: Guest | Actor, line_id: str) -> str:
    """Take a line out: a guest of the table while the draft is theirs, a waiter holding it."""
    _, draft = _line(conn, line_id)
    status = _may_edit(conn, who, draft)
    commit(conn, _actor_id(who), "draft_lines", line_id, "delete")
    _edited(conn, who, draft, status)
    return draft["id"]


def send(conn: WriteConnection, who: Guest) -> dict[str, Any]:
    """The guest sends the table's cart: to the waiters' inbox, or (direct mode) straight to
    the kitchen. Table closed, disabled or the kill switch on: 503."""
    now = utcnow()
    table = existing(conn, "tables", who.table_id, "table")
    table_sessions.ordering_allowed(conn, table, now)
    draft = _current(conn, who.session_id)
    if draft is None or not _lines(conn, draft["id"]):
        raise Conflict("the cart is empty", code="nothing_to_send")
    if table_sessions.pass_needed(conn, who.session_id):
        raise Forbidden("give today's pass first: ask a member of staff", code="pass_required")
    if _effective(draft, now) != "open":
        raise _state_error(draft, "send it again")
    stamp = iso(now)
    # A dish sold out since it went in the cart is refused now, to the guests who can take it
    # out, not later to the waiter confirming it (or the kitchen's order, in direct mode).
    orders.price_lines(conn, _requested(conn, draft["id"]), stamp)
    fields = {"status": "submitted", "submitted_at": stamp, "submitted_by": who.member_id}
    commit(conn, who.actor_id, "drafts", draft["id"], "update", {**fields, "updated_at": stamp})
    table_sessions.touch(conn, who)
    if store_settings.current(conn)["qr_mode"] == "direct":
        _fire(conn, QR, draft["id"], now)
    return get(conn, draft["id"])


def _actor_id(who: Guest | Actor) -> str:
    return who.actor_id if isinstance(who, Guest) else who.id


def _line(conn: sqlite3.Connection, line_id: str) -> tuple[sqlite3.Row, sqlite3.Row]:
    line = existing(conn, "draft_lines", line_id, "cart line")
    return line, existing(conn, "drafts", line["draft_id"], "draft")


def _may_edit(conn: WriteConnection, who: Guest | Actor, draft: sqlite3.Row) -> str:
    """The state the draft is left in by `who`'s change, or a refusal."""
    now = utcnow()
    if isinstance(who, Guest):
        if draft["session_id"] != who.session_id:
            raise Forbidden("that line is another table's", code="not_your_table")
        if draft["status"] in ("confirmed", "rejected"):
            raise _state_error(draft, "change it")
        return _guest_edit(draft, now)
    _hold(conn, who, draft, now, "change it")
    return "in_review"


def _edited(conn: WriteConnection, who: Guest | Actor, draft: sqlite3.Row, status: str) -> None:
    stamp = utcnow()
    fields: dict[str, Any] = {"status": status, "updated_at": iso(stamp)}
    if not isinstance(who, Guest):  # a waiter's edit keeps the lock alive
        fields["lock_expires_at"] = iso(stamp + timedelta(seconds=LOCK_SECONDS))
    commit(conn, _actor_id(who), "drafts", draft["id"], "update", fields)
    if isinstance(who, Guest):
        table_sessions.touch(conn, who)


# ---- waiters -------------------------------------------------------------------------------


def lock(conn: WriteConnection, actor: Actor, draft_id: str) -> dict[str, Any]:
    """A waiter takes the draft to check it: guests cannot change it meanwhile; the lock lapses
    after `LOCK_SECONDS` without a waiter's edit."""
    require(actor, "floor.serve")
    draft = existing(conn, "drafts", draft_id, "draft")
    _hold(conn, actor, draft, utcnow(), "check it")
    return get(conn, draft_id)


def _hold(
    conn: WriteConnection, actor: Actor, draft: sqlite3.Row, now: datetime, doing: str
) -> None:
    """Give `actor` the draft's lock (taking it when waiting or lapsed), or refuse: the draft
    is held by another waiter, not sent yet, or decided."""
    require(actor, "floor.serve")
    status = _effective(draft, now)
    if status == "in_review" and draft["locked_by"] != actor.id:
        holder = conn.execute("SELECT name FROM staff WHERE id = ?", (draft["locked_by"],))
        row = holder.fetchone()
        raise Conflict(
            f"cannot {doing}: {row['name'] if row else 'another waiter'} is checking it",
            code="draft_state",
            state="in_review",
        )
    if status not in WAITING:
        raise _state_error(draft, doing)
    fields = {
        "status": "in_review",
        "locked_by": actor.id,
        "lock_expires_at": iso(now + timedelta(seconds=LOCK_SECONDS)),
    }
    commit(conn, actor.id, "drafts", draft["id"], "update", fields)


def add_staff_line(
    conn: WriteConnection, actor: Actor, draft_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """A waiter adds a line to a draft they hold."""
    draft = existing(conn, "drafts", draft_id, "draft")
    now = utcnow()
    _hold(conn, actor, draft, now, "change it")
    stamp = iso(now)
    line = {"id": uuid7(), "draft_id": draft_id, "member_id": None, **_priced(conn, values, stamp)}
    commit(
        conn,
        actor.id,
        "drafts",
        draft_id,
        "update",
        {"updated_at": stamp},
        parts=[{**line, "created_at": stamp}],
    )
    return get(conn, draft_id)


def confirm(conn: WriteConnection, actor: Actor, draft_id: str) -> dict[str, Any]:
    """The waiter confirms: the lines go on the table's order (made at the first confirm) and
    to the kitchen through the orders' own send."""
    draft = existing(conn, "drafts", draft_id, "draft")
    now = utcnow()
    _hold(conn, actor, draft, now, "confirm it")
    _fire(conn, actor, draft_id, now)
    return get(conn, draft_id)


def reject(
    conn: WriteConnection, actor: Actor, draft_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """The waiter turns the draft down, saying why; the guests see the reason."""
    reason = REJECT.clean(values)["reason"]
    draft = existing(conn, "drafts", draft_id, "draft")
    now = utcnow()
    _hold(conn, actor, draft, now, "reject it")
    fields = {"status": "rejected", "reject_reason": reason, "decided_by": actor.id}
    commit(
        conn,
        actor.id,
        "drafts",
        draft_id,
        "update",
        {**fields, "decided_at": iso(now), "lock_expires_at": None},
    )
    return get(conn, draft_id)


def _fire(conn: WriteConnection, actor: Actor, draft_id: str, now: datetime) -> None:
    """Put the draft's lines on the table's order and send them to the kitchen."""
    draft = existing(conn, "drafts", draft_id, "draft")
    session = existing(conn, "table_sessions", draft["session_id"], "table session")
    lines = _requested(conn, draft_id)
    if not lines:
        raise Conflict("the order has no lines", code="nothing_to_send")
    order = conn.execute(
        "SELECT id, status FROM orders WHERE id = ?", (session["order_id"],)
    ).fetchone()
    if order is not None and order["status"] == "open":
        order_id = order["id"]
        orders.add_lines(conn, actor, order_id, {"lines": lines})
        orders.send(conn, actor, order_id)
    else:
        body = {"kind": "table", "table_id": session["table_id"], "lines": lines, "send": True}
        order_id = orders.create(conn, actor, body)["id"]
        commit(conn, actor.id, "table_sessions", session["id"], "update", {"order_id": order_id})
    fields = {"status": "confirmed", "decided_by": actor.id, "decided_at": iso(now)}
    commit(
        conn,
        actor.id,
        "drafts",
        draft_id,
        "update",
        {**fields, "order_id": order_id, "lock_expires_at": None},
    )


def _requested(conn: sqlite3.Connection, draft_id: str) -> list[dict[str, Any]]:
    """The draft's lines as an order takes them."""
    return [
        {
            "item_id": line["item_id"],
            "quantity": line["quantity"],
            "modifier_ids": [m["id"] for m in json.loads(line["modifiers"])],
            "note": line["note"],
        }
        for line in _lines(conn, draft_id)
    ]


# ---- reads ---------------------------------------------------------------------------------

_DRAFT = (
    "SELECT d.*, s.table_id, t.name AS table_name, o.number AS order_number,"
    " w.name AS locked_by_name FROM drafts d JOIN table_sessions s ON s.id = d.session_id"
    " JOIN tables t ON t.id = s.table_id LEFT JOIN orders o ON o.id = d.order_id"
    " LEFT JOIN staff w ON w.id = d.locked_by"
)
_KEEP = (
    "id",
    "session_id",
    "table_id",
    "table_name",
    "status",
    "created_at",
    "updated_at",
    "submitted_at",
    "locked_by",
    "locked_by_name",
    "lock_expires_at",
    "decided_at",
    "reject_reason",
    "order_id",
    "order_number",
)


_LINES = (
    "SELECT l.*, COALESCE(m.nickname, '') AS added_by FROM draft_lines l"
    " LEFT JOIN session_members m ON m.id = l.member_id"
)


def _lines(conn: sqlite3.Connection, draft_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        f"{_LINES} WHERE l.draft_id = ? ORDER BY l.created_at, l.id", (draft_id,)
    ).fetchall()


def _views(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    """Drafts as pages show them, with their lines: one read of the lines for them all (the
    inbox may hold a draft for every table)."""
    now = utcnow()
    currency = store_settings.get(conn)["currency"]
    lines: dict[str, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    if rows:
        marks = ", ".join("?" * len(rows))
        for line in conn.execute(
            f"{_LINES} WHERE l.draft_id IN ({marks}) ORDER BY l.created_at, l.id", list(lines)
        ):
            lines[line["draft_id"]].append(
                {
                    **{key: line[key] for key in LINE_VIEW.schema["properties"]},
                    "modifiers": json.loads(line["modifiers"]),
                }
            )
    out = []
    for row in rows:
        draft = {key: row[key] for key in _KEEP}
        draft["status"] = _effective(row, now)
        if draft["status"] != "in_review":
            draft["locked_by"] = draft["locked_by_name"] = draft["lock_expires_at"] = None
        draft["lines"] = lines[row["id"]]
        draft["total"] = sum(line["amount"] for line in draft["lines"])
        draft["currency"] = currency
        out.append(draft)
    return out


def get(conn: sqlite3.Connection, draft_id: str) -> dict[str, Any]:
    row = existing(conn, "drafts", draft_id, "draft", query=f"{_DRAFT} WHERE d.id = ?")
    return _views(conn, [row])[0]


def inbox(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Drafts waiting for a waiter, newest first (`drafts_waiting`)."""
    rows = conn.execute(
        f"{_DRAFT} WHERE d.status IN ('submitted', 'updated', 'in_review')"
        " ORDER BY d.submitted_at DESC, d.id DESC"
    ).fetchall()
    return _views(conn, rows)


def of_session(conn: sqlite3.Connection, session_id: str) -> list[dict[str, Any]]:
    """The session's drafts, oldest first: what the guests' phones show."""
    rows = conn.execute(
        f"{_DRAFT} WHERE d.session_id = ? ORDER BY d.created_at, d.id", (session_id,)
    ).fetchall()
    return _views(conn, rows)
