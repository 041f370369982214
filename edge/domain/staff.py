"""Staff, their PINs, sign-in per device, and lockout after repeated wrong PINs.

PINs are kept as scrypt hashes. Checking a PIN costs tens of milliseconds on purpose, so it runs
off the event loop and outside the writer (`edge.auth`); the functions here only record the
outcome. Lockout state lives in `pin_failures`, so a restart does not reset it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import sqlite3
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from edge.domain import fields as f
from edge.domain.shapes import COUNT, ID, INSTANT, described, nullable, shape
from edge.errors import Conflict, Invalid, Locked, NotFound
from edge.events import WriteConnection, commit
from edge.permissions import ROLES, Actor, require
from sync.clock import iso, now_iso, parse_iso, utcnow
from sync.ids import uuid7

LOCKOUT_AFTER = 5  # wrong PINs in a row before the first lockout
LOCKOUT_FIRST_SECONDS = 30
LOCKOUT_MAX_SECONDS = 15 * 60
_PIN = re.compile(r"^\d{4,8}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_pin(pin: str) -> str:
    pin_format("pin", pin)
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **_SCRYPT)
    n, r, p = _SCRYPT["n"], _SCRYPT["r"], _SCRYPT["p"]
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_pin(pin: str, stored: str) -> bool:
    """Constant-time check of `pin` against a stored hash; slow by design (run it in a thread)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt" or not isinstance(pin, str):
        return False
    candidate = hashlib.scrypt(
        pin.encode(), salt=_unb64(salt), dklen=32, n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate, _unb64(digest))


@f.accepts({"type": "string", "pattern": _PIN.pattern})
def pin_format(name: str, pin: Any) -> str:
    if not isinstance(pin, str) or not _PIN.match(pin):
        raise Invalid(f"{name} must be 4 to 8 digits.", field=name)
    return pin


# What is stored of a member, each field with the label the admin page's form shows beside it.
MEMBER = f.Form(
    {
        "name": f.Field("Name", f.text(60)),
        "role": f.Field("Role", f.choice(*ROLES)),
        "active": f.Field("Active", f.boolean),
    }
)
PIN = f.Field("PIN", pin_format)
# What a manager sends; the API turns `pin` into `pin_hash` (slow, off the loop) for the domain.
NEW_MEMBER = f.Form(
    {"name": MEMBER.fields["name"], "role": MEMBER.fields["role"], "pin": PIN},
    required=("name", "role", "pin"),
)
MEMBER_CHANGE = f.Form({**MEMBER.fields, "pin": PIN})

_LOCKOUT = {
    "failures": {**COUNT, "description": "wrong PINs in a row"},
    "locked_until": nullable({**INSTANT, "description": "when a lockout ends"}),
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
        "device": {"type": "string", "description": "the device signed in on"},
        "created_at": INSTANT,
        "expires_at": INSTANT,
    },
)


def token_id(token: str) -> str:
    """Sessions are stored under the token's hash: a copy of the database signs nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()


def list_staff(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT s.id, s.name, s.role, s.active, f.failures, f.locked_until FROM staff s"
        " LEFT JOIN pin_failures f ON f.id = s.id ORDER BY s.active DESC, s.name"
    ).fetchall()
    return [
        {**dict(row), "active": bool(row["active"]), "failures": row["failures"] or 0}
        for row in rows
    ]


def get(conn: sqlite3.Connection, staff_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM staff WHERE id = ?", (staff_id,)).fetchone()
    if row is None:
        raise NotFound("no such staff member", code="unknown_staff")
    return dict(row)


def check_new(conn: sqlite3.Connection, values: dict[str, Any]) -> dict[str, Any]:
    """A new member as a manager sends it, checked whole before the (slow) PIN is hashed, so a
    name already taken and a bad PIN are said together; `create` checks the name again."""
    return NEW_MEMBER.clean(values, checks=(_one_active_name(conn),))


def check_change(conn: sqlite3.Connection, staff_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """A change as a manager sends it, checked whole before a new PIN is hashed."""
    current = get(conn, staff_id)
    return MEMBER_CHANGE.clean(
        values, partial=True, current=current, checks=_name_checks(conn, staff_id, values)
    )


def create(conn: WriteConnection, actor: Actor, name: str, role: str, pin_hash: str) -> str:
    _check_role_change(actor, role)
    row = MEMBER.clean({"name": name, "role": role}, checks=(_one_active_name(conn),))
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
    commit(conn, actor.id, "staff", staff_id, "update", fields)
    if fields.get("active") is False or "role" in fields or "pin_hash" in fields:
        end_sessions(conn, actor, staff_id)
    if "pin_hash" in fields:
        _clear_failures(conn, actor.id, staff_id)


def unlock(conn: WriteConnection, actor: Actor, staff_id: str) -> dict[str, Any]:
    """A manager who sees the person in front of them lets them try their PIN again now: the
    lockout ends and the wrong-PIN count starts again."""
    current = get(conn, staff_id)
    _check_role_change(actor, current["role"])
    _clear_failures(conn, actor.id, staff_id)
    return {"id": staff_id, "failures": 0, "locked_until": None}


def locked_until(conn: sqlite3.Connection, staff_id: str) -> str | None:
    """When the lockout of `staff_id` ends, if it is locked out now."""
    row = conn.execute("SELECT locked_until FROM pin_failures WHERE id = ?", (staff_id,)).fetchone()
    if row and row["locked_until"] and parse_iso(row["locked_until"]) > utcnow():
        return row["locked_until"]
    return None


def raise_if_locked(conn: sqlite3.Connection, staff_id: str) -> None:
    until = locked_until(conn, staff_id)
    if until:
        wait = max(1, int((parse_iso(until) - utcnow()).total_seconds() + 0.999))
        raise Locked(
            f"too many wrong PINs; try again in {wait} s", retry_after=wait, locked_until=until
        )


def record_wrong_pin(conn: WriteConnection, staff_id: str, device: str) -> str | None:
    """Count a wrong PIN; from the fifth in a row, lock out for 30 s, doubling up to 15 min."""
    row = conn.execute("SELECT failures FROM pin_failures WHERE id = ?", (staff_id,)).fetchone()
    failures = (row["failures"] if row else 0) + 1
    until = None
    if failures >= LOCKOUT_AFTER:
        seconds = min(LOCKOUT_FIRST_SECONDS * 2 ** (failures - LOCKOUT_AFTER), LOCKOUT_MAX_SECONDS)
        until = iso(utcnow() + timedelta(seconds=seconds))
    fields = {"failures": failures, "locked_until": until}
    commit(
        conn, f"device:{device}", "pin_failures", staff_id, "update" if row else "create", fields
    )
    return until


def sign_in(
    conn: WriteConnection, staff_id: str, device: str, token_hash: str, hours: int
) -> dict[str, Any]:
    """Open a session for a staff member whose PIN was just checked."""
    staff = get(conn, staff_id)
    if not staff["active"]:
        raise NotFound("no such staff member", code="unknown_staff")
    raise_if_locked(conn, staff_id)
    _clear_failures(conn, staff_id, staff_id)
    now = utcnow()
    session = {
        "staff_id": staff_id,
        "device": device,
        "created_at": iso(now),
        "expires_at": iso(now + timedelta(hours=hours)),
    }
    commit(conn, staff_id, "staff_sessions", token_hash, "create", session)
    return {"id": staff_id, "name": staff["name"], "role": staff["role"], **session}


def approve(conn: WriteConnection, staff_id: str) -> None:
    """A manager's PIN was right: their wrong-PIN count starts again."""
    raise_if_locked(conn, staff_id)
    _clear_failures(conn, staff_id, staff_id)


def sign_out(conn: WriteConnection, actor: Actor, token_hash: str) -> None:
    commit(conn, actor.id, "staff_sessions", token_hash, "update", {"ended_at": now_iso()})


def end_sessions(conn: WriteConnection, actor: Actor, staff_id: str) -> None:
    rows = conn.execute(
        "SELECT id FROM staff_sessions WHERE staff_id = ? AND ended_at IS NULL", (staff_id,)
    ).fetchall()
    for row in rows:
        commit(conn, actor.id, "staff_sessions", row["id"], "update", {"ended_at": now_iso()})


def session_actor(conn: sqlite3.Connection, token_hash: str) -> tuple[Actor, datetime] | None:
    """The staff member behind a live session, and when the session expires."""
    row = conn.execute(
        "SELECT s.staff_id, s.device, s.expires_at, st.name, st.role FROM staff_sessions s"
        " JOIN staff st ON st.id = s.staff_id"
        " WHERE s.id = ? AND s.ended_at IS NULL AND st.active = 1",
        (token_hash,),
    ).fetchone()
    if row is None:
        return None
    expires_at = parse_iso(row["expires_at"])
    if expires_at <= utcnow():
        return None
    return Actor(row["staff_id"], row["name"], row["role"], row["device"]), expires_at


def _clear_failures(conn: WriteConnection, actor_id: str, staff_id: str) -> None:
    row = conn.execute("SELECT failures FROM pin_failures WHERE id = ?", (staff_id,)).fetchone()
    if row and row["failures"]:
        commit(
            conn,
            actor_id,
            "pin_failures",
            staff_id,
            "update",
            {"failures": 0, "locked_until": None},
        )


def _one_active_name(conn: sqlite3.Connection, staff_id: str | None = None) -> f.Check:
    """Two active members never share a name: the sign-in screen shows names only."""

    def check(values: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Invalid]:
        if "name" not in values or not values.get("active", True):
            return {}
        rows = conn.execute("SELECT name FROM staff WHERE active = 1 AND id IS NOT ?", (staff_id,))
        if not any(f.same(row["name"]) == f.same(values["name"]) for row in rows):
            return {}
        message = (
            f"Another active staff member is called {values['name']}: add a surname or an"
            " initial, as the sign-in screen shows names only."
        )
        return {"name": Invalid(message, code="duplicate_name")}

    return check


def _name_checks(
    conn: sqlite3.Connection, staff_id: str, changes: Mapping[str, Any]
) -> tuple[f.Check, ...]:
    """A change that renames or reactivates someone is checked against the active names; any
    other change is not (it leaves the names as they are)."""
    if "name" in changes or changes.get("active") is True:
        return (_one_active_name(conn, staff_id),)
    return ()


def _check_role_change(actor: Actor, role: str) -> None:
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", field="role")
    require(actor, "staff.edit_owner" if role == "owner" else "staff.edit")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
