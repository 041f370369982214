"""Staff, their PINs, and their sign-ins on paired devices.

PINs are kept as scrypt hashes (`sync.hashing`: the hub may set one). Checking a PIN costs tens
of milliseconds on purpose, so it runs off the event loop and outside the writer
(`edge.runtime.auth`); the functions here only record the outcome, and `edge.domain.lockouts`
the wrong ones. A sign-in (session) is stored under its token's hash (`service.tokens`) with
the device it was made on; it ends at sign-out, when the staff member is deactivated or their
role or PIN changes, or when the device is revoked, and keeps the reason, which every later
call with its token is told (and its open sockets, at once).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from edge.core.events import WriteConnection, commit
from edge.core.permissions import Actor, require
from edge.domain import lockouts
from edge.domain.duplicates import unique
from service import fields as f
from service.config_fields import MEMBER, ROLES
from service.errors import Conflict, Invalid, NotFound, Unauthorized
from service.shapes import COUNT, ID, INSTANT, described, nullable, shape
from sync import hashing
from sync.clock import iso, now_iso, parse_iso, utcnow
from sync.ids import uuid7

# ASCII digits, the keypad's: `\d` also took "١٢٣٤", and `$` a newline after the digits, a PIN
# no keypad types (its owner locked out of it until a manager reset it)
_PIN = re.compile(r"[0-9]{4,8}")


def hash_pin(pin: str) -> str:
    """What is kept of a PIN (after checking it is one); slow by design (run it in a thread)."""
    return hashing.hash_secret(pin_format("pin", pin))


@f.accepts({"type": "string", "pattern": f"^{_PIN.pattern}$"})
def pin_format(name: str, pin: Any) -> str:
    if not isinstance(pin, str) or not _PIN.fullmatch(pin):
        raise Invalid(f"{name} must be 4 to 8 digits.", field=name)
    return pin


PIN = f.Field("PIN", pin_format)
# What a manager sends; the API turns `pin` into `pin_hash` (slow, off the loop) for the domain.
NEW_MEMBER = f.Form(
    {"name": MEMBER.fields["name"], "role": MEMBER.fields["role"], "pin": PIN},
    required=("name", "role", "pin"),
)
MEMBER_CHANGE = f.Form({**MEMBER.fields, "pin": PIN})

_LOCKOUT = {
    "failures": {**COUNT, "description": "wrong PINs in a row, on all devices together"},
    "locked_devices": {**COUNT, "description": "devices they may not try a PIN on now"},
    "locked_until": nullable({**INSTANT, "description": "when the last lockout ends"}),
    "account_lock": nullable(
        shape(
            "AccountLock",
            {
                "failures": {**COUNT, "description": "the wrong PINs that locked it"},
                "devices": {**COUNT, "description": "on how many devices"},
                "locked_until": INSTANT,
            },
            description="locked on every device after wrong PINs on several (managers alerted)",
        )
    ),
}
# What `list_staff` answers for each member.
MEMBER_VIEW = shape(
    "StaffMember", {"id": ID, **described(MEMBER_CHANGE, "name", "role", "active"), **_LOCKOUT}
)
# What `unlock` answers.
LOCKOUT_VIEW = shape("Lockout", {"id": ID, **_LOCKOUT})
# What `sign_in` answers: who, on which device, until when.
SESSION_VIEW = shape(
    "Session",
    {
        "id": ID,
        **described(NEW_MEMBER, "name", "role"),
        "staff_id": ID,
        "device": {"type": "string", "description": "the name of the device signed in on"},
        "device_id": ID,
        "created_at": INSTANT,
        "expires_at": INSTANT,
    },
)


def list_staff(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, name, role, active FROM staff ORDER BY active DESC, name"
    ).fetchall()
    locks = lockouts.of_staff(conn)
    return [
        {**dict(row), "active": bool(row["active"]), **locks.get(row["id"], lockouts.NONE)}
        for row in rows
    ]


def active_member(conn: sqlite3.Connection, staff_id: str) -> dict[str, Any] | None:
    """Who signs in with `staff_id`, and their PIN's hash: an active member, or None."""
    row = conn.execute(
        "SELECT id, name, role, pin_hash FROM staff WHERE id = ? AND active = 1", (staff_id,)
    ).fetchone()
    return dict(row) if row else None


def get(conn: sqlite3.Connection, staff_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM staff WHERE id = ?", (staff_id,)).fetchone()
    if row is None:
        raise NotFound("no such staff member", code="unknown_staff")
    return dict(row)


def check_new(conn: sqlite3.Connection, values: dict[str, Any]) -> dict[str, Any]:
    """A new member as a manager sends it, checked whole before the (slow) PIN is hashed, so a
    name already taken and a bad PIN are said together; `create` checks the name again."""
    return NEW_MEMBER.clean(values, checks=(unique(conn, "staff"),))


def check_change(conn: sqlite3.Connection, staff_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """A change as a manager sends it, checked whole before a new PIN is hashed."""
    current = get(conn, staff_id)
    return MEMBER_CHANGE.clean(
        values, partial=True, current=current, checks=_name_checks(conn, staff_id, values)
    )


def create(conn: WriteConnection, actor: Actor, name: str, role: str, pin_hash: str) -> str:
    _check_role_change(actor, role)
    row = MEMBER.clean({"name": name, "role": role}, checks=(unique(conn, "staff"),))
    staff_id = uuid7()
    commit(
        conn, actor.id, "staff", staff_id, "create", {**row, "pin_hash": pin_hash, "active": True}
    )
    return staff_id


def update(conn: WriteConnection, actor: Actor, staff_id: str, changes: dict[str, Any]) -> None:
    """Rename, change the role, (de)activate, or store a new PIN's hash (`pin_hash`)."""
    current = get(conn, staff_id)
    _check_role_change(actor, current["role"])
    stored = {key: value for key, value in changes.items() if key != "pin_hash"}
    checks = _name_checks(conn, staff_id, stored)
    fields = MEMBER.clean(stored, partial=True, current=current, checks=checks)
    if "role" in fields:
        _check_role_change(actor, fields["role"])
    if fields.get("active") is False and staff_id == actor.id:
        raise Conflict("you cannot deactivate yourself", code="self_deactivate")
    if "pin_hash" in changes:
        fields["pin_hash"] = changes["pin_hash"]
    event = commit(conn, actor.id, "staff", staff_id, "update", fields)
    if event is not None:
        changed(conn, actor.id, staff_id, event.fields)


def changed(
    conn: WriteConnection, actor_id: str | None, staff_id: str, fields: Mapping[str, Any]
) -> None:
    """`fields` of `staff_id` changed, here or by an owner on the hub (pulled): deactivating
    them, a new PIN or a new role ends their sign-ins, their open sockets closed with why, and
    a new PIN ends their lockouts."""
    if "active" in fields and not fields["active"]:
        end_sessions(conn, actor_id, "deactivated", staff_id=staff_id)
    elif "pin_hash" in fields:
        end_sessions(conn, actor_id, "pin_changed", staff_id=staff_id)
    elif "role" in fields:
        end_sessions(conn, actor_id, "role_changed", staff_id=staff_id)
    if "pin_hash" in fields:
        lockouts.clear(conn, actor_id, staff_id)


def unlock(conn: WriteConnection, actor: Actor, staff_id: str) -> dict[str, Any]:
    """A manager who sees the person in front of them lets them try their PIN again now, on
    every device: each lockout ends and the wrong-PIN counts start again."""
    current = get(conn, staff_id)
    _check_role_change(actor, current["role"])
    lockouts.clear(conn, actor.id, staff_id)
    return {"id": staff_id, **lockouts.NONE}


def sign_in(
    conn: WriteConnection, staff_id: str, device: dict[str, str], token_hash: str, hours: int
) -> dict[str, Any]:
    """Open a session on a paired `device` ({id, name}) for a staff member whose PIN was just
    checked there; the device's last sign-in is now."""
    staff = get(conn, staff_id)
    if not staff["active"]:
        raise NotFound("no such staff member", code="unknown_staff")
    revoked = conn.execute("SELECT revoked_at FROM devices WHERE id = ?", (device["id"],))
    if revoked.fetchone()["revoked_at"]:  # while the PIN was being checked
        raise ended("device_revoked")
    lockouts.raise_if_locked(conn, staff_id, device["id"])
    lockouts.clear_pair(conn, staff_id, device["id"])
    now = utcnow()
    session = {
        "staff_id": staff_id,
        "device": device["name"],
        "device_id": device["id"],
        "created_at": iso(now),
        "expires_at": iso(now + timedelta(hours=hours)),
    }
    commit(conn, staff_id, "staff_sessions", token_hash, "create", session)
    commit(conn, staff_id, "devices", device["id"], "update", {"last_sign_in_at": iso(now)})
    return {"id": staff_id, "name": staff["name"], "role": staff["role"], **session}


def approve(conn: WriteConnection, staff_id: str, device_id: str) -> None:
    """A manager's PIN was right on `device_id`: their wrong-PIN count there starts again."""
    lockouts.raise_if_locked(conn, staff_id, device_id)
    lockouts.clear_pair(conn, staff_id, device_id)


def sign_out(conn: WriteConnection, actor: Actor, token_hash: str) -> None:
    ended = {"ended_at": now_iso(), "end_reason": "signed_out"}
    commit(conn, actor.id, "staff_sessions", token_hash, "update", ended)


# Why a sign-in ended, as the pages say it after "Your sign-in was ended: ".
ENDED = {
    "signed_out": "you signed out",
    "deactivated": "your account was deactivated",
    "role_changed": "your role was changed",
    "pin_changed": "your PIN was changed",
    "device_revoked": "this device was unpaired from the box",
    "expired": "it expired",
}


def end_sessions(
    conn: WriteConnection,
    actor_id: str | None,
    reason: str,
    *,
    staff_id: str | None = None,
    device_id: str | None = None,
) -> None:
    """End every open sign-in of `staff_id`, or made on `device_id`, for `reason` (of ENDED)."""
    column, value = ("staff_id", staff_id) if staff_id else ("device_id", device_id)
    rows = conn.execute(
        f"SELECT id FROM staff_sessions WHERE {column} = ? AND ended_at IS NULL", (value,)
    ).fetchall()
    ended = {"ended_at": now_iso(), "end_reason": reason}
    for row in rows:
        commit(conn, actor_id, "staff_sessions", row["id"], "update", ended)


def ended(reason: str) -> Unauthorized:
    """The 401 a token of a sign-in that ended for `reason` gets, on every call."""
    code = "device_revoked" if reason == "device_revoked" else "session_ended"
    why = ENDED.get(reason, ENDED["signed_out"])
    return Unauthorized(f"Your sign-in was ended: {why}.", code=code, reason=reason)


def session_actor(conn: sqlite3.Connection, token_hash: str) -> tuple[Actor, datetime]:
    """The staff member behind a live session, and when the session expires; a 401 that says
    why for any other token."""
    row = conn.execute(
        "SELECT s.staff_id, s.device_id, s.expires_at, s.ended_at, s.end_reason, st.name,"
        " st.role, st.active, d.name AS device, d.revoked_at FROM staff_sessions s"
        " JOIN staff st ON st.id = s.staff_id LEFT JOIN devices d ON d.id = s.device_id"
        " WHERE s.id = ?",
        (token_hash,),
    ).fetchone()
    if row is None:
        raise Unauthorized("your sign-in has ended; sign in again", code="session_ended")
    if row["ended_at"]:
        raise ended(row["end_reason"] or "signed_out")
    if row["device_id"] is None:  # made before devices were paired
        raise Unauthorized(
            "sign in again on a paired device", code="session_ended", reason="device_not_paired"
        )
    if row["revoked_at"]:
        raise ended("device_revoked")
    if not row["active"]:
        raise ended("deactivated")
    expires_at = parse_iso(row["expires_at"])
    if expires_at <= utcnow():
        raise ended("expired")
    actor = Actor(row["staff_id"], row["name"], row["role"], row["device"], row["device_id"])
    return actor, expires_at


def _name_checks(
    conn: sqlite3.Connection, staff_id: str, changes: Mapping[str, Any]
) -> tuple[f.Check, ...]:
    """A change that renames or reactivates someone is checked against the active names; any
    other change is not (it leaves the names as they are)."""
    if "name" in changes or changes.get("active") is True:
        return (unique(conn, "staff", staff_id),)
    return ()


def _check_role_change(actor: Actor, role: str) -> None:
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", field="role")
    require(actor, "staff.edit_owner" if role == "owner" else "staff.edit")
