"""The waiter's tables grid: every table with the state of its QR session (free, seated, an
order to check, with the kitchen, bill asked, paid), its timers and its guests' alerts, and
today's pass when the store asks guests for one. A table with no session but an open order
that staff took there (at the POS, say) is not free: it shows that order, seated or with the
kitchen, since it was taken. Reads only: the changes are in `table_sessions`."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any

from edge.domain import store as store_settings
from edge.domain import table_sessions, tickets
from service.shapes import FLAG, ID, INSTANT, array, enum, nullable, shape, text
from sync.clock import iso, utcnow

STATES = ("free", "seated", "ordered", "kitchen", "bill", "paid")
UNPAID_AMBER_MINUTES = 60  # an open table unpaid for longer is marked

TABLE_STATE = shape(
    "FloorTable",
    {
        "id": ID,
        "name": text(),
        "area": text(),
        "seats": {"type": "integer"},
        "enabled": FLAG,
        "state": enum(STATES),
        "session_id": nullable(ID),
        "seated_at": nullable(INSTANT),
        "last_order_at": nullable(INSTANT),
        "unpaid_too_long": {**FLAG, "description": f"open over {UNPAID_AMBER_MINUTES} minutes"},
        "waiter_called_at": nullable(INSTANT),
        "bill_asked_at": nullable(INSTANT),
        "guests": {"type": "integer", "minimum": 0},
        "order_id": nullable(ID),
        "order_number": nullable({"type": "integer"}),
        "drafts_waiting": {"type": "integer", "minimum": 0},
        "closed_session_id": nullable({**ID, "description": "the last closed, to restore"}),
    },
)
FLOOR_VIEW = shape(
    "Floor",
    {
        "tables": array(TABLE_STATE),
        "now": INSTANT,
        "daily_pass": nullable(text("today's pass, when the store asks guests for it")),
    },
)

_FLOOR = """
SELECT t.id, t.name, a.name AS area, t.seats, t.enabled,
       s.id AS session_id, s.opened_at AS seated_at, s.waiter_called_at, s.bill_asked_at,
       s.order_id, o.number AS order_number, o.status AS order_status,
       (SELECT COUNT(*) FROM session_members m WHERE m.session_id = s.id AND m.nickname != '')
           AS guests,
       (SELECT COUNT(*) FROM drafts d WHERE d.session_id = s.id
           AND d.status IN ('submitted', 'updated', 'in_review')) AS drafts_waiting,
       (SELECT MAX(l.created_at) FROM order_lines l WHERE l.order_id = s.order_id)
           AS last_order_at,
       (SELECT COUNT(*) FROM order_lines l WHERE l.order_id = s.order_id AND l.state = 'sent')
           AS sent_lines,
       (SELECT c.id FROM table_sessions c WHERE c.table_id = t.id AND c.status = 'closed'
           AND c.purged_at IS NULL ORDER BY c.closed_at DESC LIMIT 1) AS closed_session_id
FROM tables t JOIN areas a ON a.id = t.area_id
LEFT JOIN table_sessions s ON s.table_id = t.id AND s.status = 'open'
LEFT JOIN orders o ON o.id = s.order_id
ORDER BY a.position, t.position, t.name
"""


def tables_grid(conn: sqlite3.Connection, now: datetime | None = None) -> dict[str, Any]:
    """Every table with its state, timers and alerts, for the waiter's tables grid, and today's
    pass when the store asks guests for it."""
    now = now or utcnow()
    store = store_settings.current(conn)
    word = table_sessions.daily_pass(conn) if store["daily_pass"] else None
    amber = iso(now - timedelta(minutes=UNPAID_AMBER_MINUTES))
    staff_orders = _staff_orders(conn)
    out = []
    for row in conn.execute(_FLOOR):
        data = dict(row)
        sent, status = data.pop("sent_lines"), data.pop("order_status")
        if data["session_id"] is None and (order := staff_orders.get(data["id"])) is not None:
            data.update(
                order_id=order["id"],
                order_number=order["number"],
                seated_at=order["created_at"],
                last_order_at=order["last_order_at"],
            )
            sent, status = order["sent_lines"], "open"
        data["state"] = _state(conn, data, status, sent)
        data["enabled"] = bool(data["enabled"])
        taken = data["session_id"] is not None or data["order_id"] is not None
        open_unpaid = taken and status != "closed"
        data["unpaid_too_long"] = open_unpaid and data["seated_at"] < amber
        out.append(data)
    return {"tables": out, "now": iso(now), "daily_pass": word}


def _staff_orders(conn: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    """Each table's oldest open order (when it was taken, its last line's time, its lines
    sent), read from the open orders alone (a few, on their partial index)."""
    found: dict[str, sqlite3.Row] = {}
    for row in conn.execute(
        "SELECT o.table_id, o.id, o.number, o.created_at,"
        " (SELECT MAX(l.created_at) FROM order_lines l WHERE l.order_id = o.id)"
        " AS last_order_at,"
        " (SELECT COUNT(*) FROM order_lines l WHERE l.order_id = o.id AND l.state = 'sent')"
        " AS sent_lines"
        " FROM orders o WHERE o.status = 'open' AND o.table_id IS NOT NULL"
        " ORDER BY o.created_at"
    ):
        found.setdefault(row["table_id"], row)
    return found


def _state(conn: sqlite3.Connection, table: dict[str, Any], status: str | None, sent: int) -> str:
    if table["order_id"] is None and table["session_id"] is None:
        return "free"
    if status == "closed":
        return "paid"
    if table["bill_asked_at"]:
        return "bill"
    if table["drafts_waiting"]:
        return "ordered"
    if sent and tickets.readiness(conn, table["order_id"]) not in ("ready", "served"):
        return "kitchen"
    return "seated"
