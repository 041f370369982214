"""What a guest's phone shows of its table: the session, who is at the table, the shared cart
and what was sent, and how far the order is (sent, confirmed with its number, rejected with the
waiter's reason; cooking, ready and served as the kitchen's tickets say, `tickets.readiness`),
and why the table takes no orders from phones now, if it does not."""

from __future__ import annotations

import sqlite3
from typing import Any

from edge.domain import drafts, table_sessions, tickets
from edge.domain import store as store_settings
from edge.domain.table_sessions import Guest, NotOrdering
from printers.money import currency_decimals
from service.config_fields import QR_MODES
from service.shapes import FLAG, ID, array, enum, nullable, shape, text
from sync.clock import utcnow

ORDER_VIEW = shape(
    "GuestOrder",
    {
        "id": ID,
        "number": {"type": "integer"},
        "status": text("open, closed (paid) or cancelled"),
        "total": {"type": "integer"},
        "progress": nullable(enum(("cooking", "ready", "served"))),
    },
)
NOT_ORDERING = shape(
    "GuestNotOrdering",
    {
        "reason": enum(table_sessions.NOT_ORDERING_REASONS),
        "hours": array(array(text("HH:MM"), "[open, close]"), "today's, when closed"),
    },
)
VIEW = shape(
    "GuestTable",
    {
        "session_id": ID,
        "member_id": ID,
        "nickname": text("'' until this phone joins"),
        "table_name": text(),
        "store_name": text(),
        "currency": text(),
        "currency_digits": {
            "type": "integer",
            "minimum": 0,
            "maximum": 3,
            "description": "the digits amounts are kept in (a browser's idea may differ)",
        },
        "qr_mode": enum(QR_MODES),
        "waiter_called": FLAG,
        "bill_asked": FLAG,
        "pass_needed": {**FLAG, "description": "give today's pass before sending"},
        "members": array(table_sessions.MEMBER_VIEW),
        "drafts": array(drafts.DRAFT_VIEW, "oldest first; the last may be the open cart"),
        "order": nullable(ORDER_VIEW),
        "not_ordering": {
            **nullable(NOT_ORDERING),
            "description": "why Send is refused now (the page says so from the start); null"
            " when the table takes orders from phones",
        },
    },
)


def view(conn: sqlite3.Connection, who: Guest) -> dict[str, Any]:
    session = conn.execute(
        "SELECT s.*, t.name AS table_name FROM table_sessions s JOIN tables t"
        " ON t.id = s.table_id WHERE s.id = ?",
        (who.session_id,),
    ).fetchone()
    me = conn.execute("SELECT nickname FROM session_members WHERE id = ?", (who.member_id,))
    store = store_settings.current(conn)
    order = None
    if session["order_id"]:
        row = conn.execute(
            "SELECT id, number, status, total FROM orders WHERE id = ?", (session["order_id"],)
        ).fetchone()
        progress = tickets.readiness(conn, row["id"])
        order = {**dict(row), "progress": progress}
    return {
        "session_id": who.session_id,
        "member_id": who.member_id,
        "nickname": me.fetchone()["nickname"],
        "table_name": session["table_name"],
        "store_name": store["name"],
        "currency": store["currency"],
        "currency_digits": currency_decimals(store["currency"]),
        "qr_mode": store["qr_mode"],
        "waiter_called": session["waiter_called_at"] is not None,
        "bill_asked": session["bill_asked_at"] is not None,
        "pass_needed": table_sessions.pass_needed(conn, who.session_id),
        "members": table_sessions.members(conn, who.session_id),
        "drafts": drafts.of_session(conn, who.session_id),
        "order": order,
        "not_ordering": _not_ordering(conn, session["table_id"]),
    }


def _not_ordering(conn: sqlite3.Connection, table_id: str) -> dict[str, Any] | None:
    table = conn.execute("SELECT * FROM tables WHERE id = ?", (table_id,)).fetchone()
    try:
        table_sessions.ordering_allowed(conn, table, utcnow())
    except NotOrdering as refused:
        return {"reason": refused.details["reason"], "hours": refused.details.get("hours", [])}
    return None
