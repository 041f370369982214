"""A table's QR ordering session: guests scan the table's code, join with a nickname, call the
waiter or ask for the bill; staff see every table's state and close, restore or disable.

A guest's token is `<member id>.<signature>`: HMAC-SHA256 with the box's QR secret over the
member's id. It is stored nowhere, so nothing to leak or purge; it counts only while the
member's session is open and not idle past `IDLE_MINUTES`, and only on the guest endpoints (it
is no staff sign-in). The session, its members and drafts are `edge` entities on the `floor`
topic; a guest's feed carries only its own session's events (`session_of`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from edge.core.events import WriteConnection, commit
from edge.core.permissions import Actor, require
from edge.domain import store as store_settings
from edge.domain import tables
from edge.domain.rows import existing
from service import fields as f
from service.errors import Conflict, GalleyError, Gone, Invalid, Unauthorized
from service.shapes import FLAG, ID, INSTANT, shape, text
from sync.clock import iso, utcnow
from sync.ids import is_uuid, uuid7

IDLE_MINUTES = 90  # an open session nobody touched for this long is over
PAID_IDLE_MINUTES = 10  # ... or this long once its order is paid
PURGE_HOURS = 24  # guests' nicknames are forgotten this long after their session closed
# Phones a session takes, far more than any table seats: each scan without a held token is one
# more guest, a row and an event that syncs, and a photo of the code must not make them all night.
MEMBERS_MAX = 100

JOIN = f.Form({"nickname": f.Field("Your name", f.text(24))}, required=("nickname",))
SCAN = f.Form({"token": f.text(200), "guest_token": f.optional(f.text(200))}, required=("token",))
ENABLE = f.Form({"enabled": f.Field("Takes QR orders", f.boolean)}, required=("enabled",))
PASS = f.Form({"word": f.Field("Today's pass", f.text(40))}, required=("word",))
PASS_ROTATES_AT = 4  # o'clock in the store's time zone: a new daily pass
_WORDS = (
    "acorn",
    "anchor",
    "basil",
    "berry",
    "cedar",
    "cherry",
    "clove",
    "coral",
    "daisy",
    "ember",
    "fennel",
    "fig",
    "harbor",
    "hazel",
    "honey",
    "iris",
    "juniper",
    "kiwi",
    "lemon",
    "lime",
    "maple",
    "melon",
    "mint",
    "olive",
    "onyx",
    "orchid",
    "pearl",
    "pepper",
    "plum",
    "poppy",
    "quince",
    "river",
    "saffron",
    "sage",
    "thyme",
    "tulip",
    "walnut",
    "willow",
)


# Why a table takes no orders from phones now: the kill switch, the table taken off, closed.
NOT_ORDERING_REASONS = ("paused", "table_disabled", "closed")


class NotOrdering(GalleyError):
    """503: the table takes no QR orders now (closed, disabled, or the kill switch is on)."""

    status = 503
    code = "not_ordering"


@dataclass(frozen=True)
class Guest:
    """Who a guest token stands for: a member of an open table session."""

    member_id: str
    session_id: str
    table_id: str
    nickname: str

    @property
    def actor_id(self) -> str:
        """What the events a guest causes record as their actor."""
        return f"guest:{self.member_id}"


def guest_token(secret: bytes, member_id: str) -> str:
    return f"{member_id}.{_signature(secret, member_id)}"


def _signature(secret: bytes, member_id: str) -> str:
    digest = hmac.new(secret, f"guest:{member_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def _member_of(secret: bytes, token: Any) -> str | None:
    """The member id a well-signed token names, or None."""
    if not isinstance(token, str) or token.count(".") != 1:
        return None
    member_id, signature = token.split(".")
    # as bytes: compare_digest refuses a str with a letter beyond ASCII (a 500 to any phone)
    expected = _signature(secret, member_id).encode()
    if not is_uuid(member_id) or not hmac.compare_digest(expected, signature.encode()):
        return None
    return member_id


_GUEST = (
    "SELECT m.id, m.session_id, m.nickname, s.table_id, s.status, s.last_activity_at,"
    " s.purged_at FROM session_members m JOIN table_sessions s ON s.id = m.session_id"
    " WHERE m.id = ?"
)


def guest(conn: sqlite3.Connection, secret: bytes, token: Any, now: datetime) -> Guest:
    """The guest a token stands for: 401 when it is no guest token of this box, 410 when its
    session is closed or idle past its limit (the guest scans again for a fresh one)."""
    member_id = _member_of(secret, token)
    row = conn.execute(_GUEST, (member_id,)).fetchone() if member_id else None
    if row is None or row["purged_at"]:
        raise Unauthorized("scan the table's QR code first", code="guest_token_required")
    if row["status"] != "open" or _idle(row["last_activity_at"], now):
        raise Gone(
            "this table's session has ended; scan the QR code to start again",
            code="session_closed",
        )
    return Guest(row["id"], row["session_id"], row["table_id"], row["nickname"])


def _idle(last_activity_at: str, now: datetime) -> bool:
    return datetime.fromisoformat(last_activity_at) + timedelta(minutes=IDLE_MINUTES) <= now


def scan(
    conn: WriteConnection, secret: bytes, values: dict[str, Any], now: datetime | None = None
) -> tuple[bool, dict[str, Any]]:
    """A phone scanned a table's QR code: (created, {guest_token, session_id, member_id}).

    Creates the table's session (created=True) or joins its open one; a phone that sends the
    guest token it already holds for that session stays the same member. Refused: a code that is
    forged, truncated, of another store or rotated (403); outside opening hours, a disabled
    table, the kill switch on (503, with the reason); the token held for a session that ended
    (410: the phone scans again without it for a fresh start); a new phone at a table that has
    `MEMBERS_MAX` (409 `table_full`)."""
    values = SCAN.clean(values)
    now = now or utcnow()
    table = tables.check_qr_token(conn, secret, values["token"])
    ordering_allowed(conn, table, now)
    held = values.get("guest_token")
    if held:
        holder = guest(conn, secret, held, now)  # 410 when its session ended
        if holder.table_id == table["id"]:
            return False, _joined(secret, holder.member_id, holder.session_id)
    stamp = iso(now)
    session = conn.execute(
        "SELECT id, last_activity_at FROM table_sessions WHERE table_id = ? AND status = 'open'",
        (table["id"],),
    ).fetchone()
    created = session is None or _idle(session["last_activity_at"], now)
    if session is not None and created:
        _close(conn, "system", session["id"], "idle", stamp)
    if created:
        session_id = uuid7()
        row = {"table_id": table["id"], "status": "open", "opened_at": stamp}
        commit(
            conn,
            "guest",
            "table_sessions",
            session_id,
            "create",
            {**row, "last_activity_at": stamp},
        )
    else:
        session_id = session["id"]
        _room_for_one_more(conn, session_id)
    member_id = uuid7()
    member = {"session_id": session_id, "nickname": "", "is_host": False, "joined_at": stamp}
    commit(conn, f"guest:{member_id}", "session_members", member_id, "create", member)
    return created, _joined(secret, member_id, session_id)


def _room_for_one_more(conn: sqlite3.Connection, session_id: str) -> None:
    found = conn.execute(
        "SELECT COUNT(*) FROM session_members WHERE session_id = ?", (session_id,)
    ).fetchone()
    if found[0] >= MEMBERS_MAX:
        raise Conflict(
            f"this table already has {MEMBERS_MAX} phones on its order; please ask a member of"
            " staff",
            code="table_full",
        )


def _joined(secret: bytes, member_id: str, session_id: str) -> dict[str, Any]:
    return {
        "guest_token": guest_token(secret, member_id),
        "session_id": session_id,
        "member_id": member_id,
    }


def ordering_allowed(conn: sqlite3.Connection, table: Any, now: datetime) -> None:
    """Refuse (503, with the reason) when the table takes no QR orders now."""
    store = store_settings.current(conn)
    if store["qr_kill_switch"]:
        raise NotOrdering("QR ordering is paused; please ask a member of staff", reason="paused")
    if not table["enabled"]:
        raise NotOrdering(
            "this table is not taking QR orders; please ask a member of staff",
            reason="table_disabled",
        )
    if not store_settings.is_open(store, now):
        local = now.astimezone(ZoneInfo(store["timezone"])).date()
        hours = store_settings.hours_on(store, local)
        said = ", ".join(f"{start}-{end}" for start, end in hours) or "closed all day"
        raise NotOrdering(f"we are closed now; today's hours: {said}", reason="closed", hours=hours)


def join(conn: WriteConnection, who: Guest, values: dict[str, Any]) -> None:
    """The guest's nickname (asked at their first add); the first to join is the host."""
    nickname = JOIN.clean(values)["nickname"]
    host = conn.execute(
        "SELECT 1 FROM session_members WHERE session_id = ? AND is_host", (who.session_id,)
    ).fetchone()
    member = conn.execute("SELECT is_host FROM session_members WHERE id = ?", (who.member_id,))
    changes = {"nickname": nickname, "is_host": bool(member.fetchone()["is_host"]) or not host}
    commit(conn, who.actor_id, "session_members", who.member_id, "update", changes)
    touch(conn, who)


def touch(conn: WriteConnection, who: Guest, **alerts: str) -> None:
    """The session was used now (its idle clock starts again), maybe raising an alert."""
    fields = {"last_activity_at": iso(utcnow()), **alerts}
    commit(conn, who.actor_id, "table_sessions", who.session_id, "update", fields)


def pass_day(store: dict[str, Any], now: datetime) -> str:
    """The day a pass is for: the store's date, turning at `PASS_ROTATES_AT` its local time."""
    local = now.astimezone(ZoneInfo(store["timezone"])) - timedelta(hours=PASS_ROTATES_AT)
    return local.date().isoformat()


def rotate_pass(conn: WriteConnection, now: datetime | None = None) -> bool:
    """Make today's pass ("olive-42", a random word and number) unless the stored one is
    today's: the scheduler calls it at 04:00 and at start-up (a box off at 04:00 catches up),
    and twice is harmless. True when it made a new one."""
    now = now or utcnow()
    day = pass_day(store_settings.current(conn), now)
    row = conn.execute("SELECT id, business_day FROM daily_passes").fetchone()
    if row is not None and row["business_day"] == day:
        return False
    word = f"{secrets.choice(_WORDS)}-{secrets.randbelow(90) + 10}"
    fields = {"business_day": day, "word": word, "made_at": iso(now)}
    if row is None:
        commit(conn, "system", "daily_passes", uuid7(), "create", fields)
    else:
        commit(conn, "system", "daily_passes", row["id"], "update", fields)
    return True


def daily_pass(conn: sqlite3.Connection) -> str | None:
    """The stored pass (None before the first rotation). Between 04:00 and the job's run a
    moment later, yesterday's still counts."""
    return _one(conn, "SELECT word FROM daily_passes LIMIT ?", 1)


def give_pass(conn: WriteConnection, who: Guest, values: dict[str, Any]) -> None:
    """A guest gives the pass staff read out (once per session, before the first Send)."""
    given = PASS.clean(values)["word"]
    expected = daily_pass(conn)
    if expected is None or _plain(given) != _plain(expected):
        raise Invalid(
            "That is not today's pass: ask a member of staff.", code="wrong_pass", field="word"
        )
    touch(conn, who, pass_ok_at=iso(utcnow()))


def _plain(word: str) -> str:
    return "".join(ch for ch in word.lower() if ch.isalnum())


def pass_needed(conn: sqlite3.Connection, session_id: str) -> bool:
    """Whether the table must give the daily pass before it sends (the store asks for one)."""
    if not store_settings.current(conn)["daily_pass"]:
        return False
    row = conn.execute("SELECT pass_ok_at FROM table_sessions WHERE id = ?", (session_id,))
    return row.fetchone()["pass_ok_at"] is None


def call_waiter(conn: WriteConnection, who: Guest) -> None:
    touch(conn, who, waiter_called_at=iso(utcnow()))


def ask_for_bill(conn: WriteConnection, who: Guest) -> None:
    touch(conn, who, bill_asked_at=iso(utcnow()))


# ---- staff ---------------------------------------------------------------------------------


def close(conn: WriteConnection, actor: Actor, session_id: str) -> None:
    """A waiter ends a table's session: every phone at the table is told, tokens stop working."""
    require(actor, "floor.serve")
    session = existing(conn, "table_sessions", session_id, "table session")
    if session["status"] != "open":
        raise Conflict("the session is already closed", code="session_closed")
    _close(conn, actor.id, session_id, "staff", iso(utcnow()))


def restore(conn: WriteConnection, actor: Actor, session_id: str) -> None:
    """Open again a session closed by mistake, if its table has no other open one."""
    require(actor, "floor.serve")
    session = existing(conn, "table_sessions", session_id, "table session")
    if session["status"] == "open":
        raise Conflict("the session is open", code="session_open")
    if session["purged_at"]:
        raise Conflict("the session's guests were forgotten; it cannot reopen", code="purged")
    if conn.execute(
        "SELECT 1 FROM table_sessions WHERE table_id = ? AND status = 'open'",
        (session["table_id"],),
    ).fetchone():
        raise Conflict("the table has another session open", code="table_busy")
    fields = {"status": "open", "closed_at": None, "close_reason": None}
    commit(
        conn,
        actor.id,
        "table_sessions",
        session_id,
        "update",
        {**fields, "last_activity_at": iso(utcnow())},
    )


def acknowledge(conn: WriteConnection, actor: Actor, session_id: str) -> None:
    """A waiter has seen the table's call and bill alerts: they leave the screens."""
    require(actor, "floor.serve")
    existing(conn, "table_sessions", session_id, "table session")
    fields = {"waiter_called_at": None, "bill_asked_at": None}
    commit(conn, actor.id, "table_sessions", session_id, "update", fields)


def enable_table(conn: WriteConnection, actor: Actor, table_id: str, values: dict[str, Any]):
    """Take a table off QR ordering (a broken chair, a private party), or back on."""
    require(actor, "floor.serve")
    existing(conn, "tables", table_id, "table")
    enabled = ENABLE.clean(values)["enabled"]
    commit(conn, actor.id, "tables", table_id, "update", {"enabled": enabled})


def _close(conn: WriteConnection, actor_id: str, session_id: str, reason: str, stamp: str):
    fields = {"status": "closed", "closed_at": stamp, "close_reason": reason}
    commit(
        conn,
        actor_id,
        "table_sessions",
        session_id,
        "update",
        {**fields, "waiter_called_at": None, "bill_asked_at": None},
    )


# ---- automations (the scheduler calls these; tests call them at moved times) ----------------


def close_idle(conn: WriteConnection, now: datetime | None = None) -> int:
    """Close sessions idle past `IDLE_MINUTES`, or paid and idle past `PAID_IDLE_MINUTES`;
    every phone at the table is told by the event. Answers how many.

    A paid table's idle time starts at the later of its guests' last move and the payment: a
    table that sat quietly for half an hour and then paid keeps its session ten minutes more,
    for the guests still at it."""
    now = now or utcnow()
    stamp = iso(now)
    rows = conn.execute(
        "SELECT s.id, s.last_activity_at, s.order_id, o.status AS order_status"
        " FROM table_sessions s LEFT JOIN orders o ON o.id = s.order_id WHERE s.status = 'open'"
    ).fetchall()
    closed = 0
    for row in rows:
        paid = row["order_status"] == "closed"
        since = row["last_activity_at"]
        if paid:
            since = max(since, _paid_at(conn, row["order_id"]) or since)
        idle = now - datetime.fromisoformat(since)
        if idle >= timedelta(minutes=IDLE_MINUTES) or (
            paid and idle >= timedelta(minutes=PAID_IDLE_MINUTES)
        ):
            _close(conn, "system", row["id"], "paid" if paid else "idle", stamp)
            closed += 1
    return closed


def _paid_at(conn: sqlite3.Connection, order_id: str) -> str | None:
    """When the last check holding a line of the order was paid."""
    return _one(
        conn,
        "SELECT MAX(c.paid_at) FROM order_lines l JOIN check_items i ON i.line_id = l.id"
        " JOIN checks c ON c.id = i.check_id WHERE l.order_id = ?",
        order_id,
    )


def purge_guests(conn: WriteConnection, now: datetime | None = None) -> int:
    """Forget guests' nicknames of sessions closed over `PURGE_HOURS` ago (their tokens stop
    working with it); orders and drafts stay. Answers how many sessions."""
    now = now or utcnow()
    before = iso(now - timedelta(hours=PURGE_HOURS))
    rows = conn.execute(
        "SELECT id FROM table_sessions WHERE status = 'closed' AND closed_at < ?"
        " AND purged_at IS NULL",
        (before,),
    ).fetchall()
    for row in rows:
        for member in conn.execute(
            "SELECT id FROM session_members WHERE session_id = ? AND nickname != ''", (row["id"],)
        ).fetchall():
            commit(conn, "system", "session_members", member["id"], "update", {"nickname": ""})
        commit(conn, "system", "table_sessions", row["id"], "update", {"purged_at": iso(now)})
    return len(rows)


# ---- reads ---------------------------------------------------------------------------------


def session_of(conn: sqlite3.Connection, entity: str, entity_id: str, fields: dict[str, Any]):
    """The table session an event belongs to: of a floor entity, or of a session's order, its
    lines and its kitchen tickets (None: no session's). The guest feed asks once per row
    (`runtime.guests`), so creates answer from their own fields."""
    if entity == "table_sessions":
        return entity_id
    if entity in ("session_members", "drafts"):
        return fields.get("session_id") or _one(
            conn, f"SELECT session_id FROM {entity} WHERE id = ?", entity_id
        )
    if entity == "draft_lines":
        draft_id = fields.get("draft_id") or _one(
            conn, "SELECT draft_id FROM draft_lines WHERE id = ?", entity_id
        )
        return _one(conn, "SELECT session_id FROM drafts WHERE id = ?", draft_id)
    if entity in ("orders", "order_lines", "tickets"):
        order_id = entity_id if entity == "orders" else fields.get("order_id")
        order_id = order_id or _one(conn, f"SELECT order_id FROM {entity} WHERE id = ?", entity_id)
        return _one(conn, "SELECT id FROM table_sessions WHERE order_id = ?", order_id)
    return None


def _one(conn: sqlite3.Connection, sql: str, value: Any) -> Any:
    row = conn.execute(sql, (value,)).fetchone() if value is not None else None
    return row[0] if row else None


MEMBER_VIEW = shape(
    "Guest",
    {"id": ID, "nickname": text("'' until they join"), "is_host": FLAG, "joined_at": INSTANT},
)


def members(conn: sqlite3.Connection, session_id: str) -> list[dict[str, Any]]:
    return [
        {**dict(row), "is_host": bool(row["is_host"])}
        for row in conn.execute(
            "SELECT id, nickname, is_host, joined_at FROM session_members"
            " WHERE session_id = ? AND nickname != '' ORDER BY joined_at, id",
            (session_id,),
        )
    ]
