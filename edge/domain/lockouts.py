"""Limits on guessing PINs: per staff member and device, and across devices.

A PIN has 4 to 8 digits, so trying them must not pay. Wrong PINs count per (staff member,
device): after 5 in a row that pair is locked for 30 s, doubling up to 15 min. Any attempt
during a lockout counts too and is refused before the PIN is checked, so hammering only makes
the lockout longer; a right PIN after it clears the pair's count. Counting per device means
that nobody can lock a colleague out of every device from one, and a guest can lock nobody out
at all: only a paired device reaches the PIN check (`edge.domain.devices`).

Above that, the account-wide lock catches a guesser with several devices: 20 wrong PINs checked
within an hour on at least 2 devices lock the staff member out everywhere for an hour, or until
a manager unlocks them. The lock is an event on the staff topic, which the managers' pages show
as an alert. Each pair counts the wrong PINs it checked in an hour of its own (an attempt
refused during a lockout is not checked, so it does not count there), and a right PIN on one
device clears that device's count only.

Everything lives in tables written through `commit`, so a restart forgets nothing. The PIN check
itself (scrypt, slow on purpose) runs in `edge.runtime.auth`; these functions record its outcome.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

from edge.core.events import WriteConnection, commit
from service.errors import Locked
from sync.clock import iso, parse_iso, utcnow
from sync.ids import uuid7

LOCKOUT_AFTER = 5  # attempts in a row before the first lockout of a (staff, device) pair
LOCKOUT_FIRST_SECONDS = 30
LOCKOUT_MAX_SECONDS = 15 * 60
ACCOUNT_AFTER = 20  # wrong PINs within ACCOUNT_HOUR ...
ACCOUNT_DEVICES = 2  # ... on at least this many devices lock the account
ACCOUNT_HOUR = timedelta(hours=1)  # the window they are counted in, and how long the lock lasts
# What `of_staff` says of a staff member with no wrong PINs.
NONE: dict[str, Any] = {
    "failures": 0,
    "locked_devices": 0,
    "locked_until": None,
    "account_lock": None,
}


def backoff(failures: int) -> int:
    """Seconds a pair stays locked after its `failures`-th attempt in a row (0: not locked)."""
    if failures < LOCKOUT_AFTER:
        return 0
    return min(LOCKOUT_FIRST_SECONDS * 2 ** (failures - LOCKOUT_AFTER), LOCKOUT_MAX_SECONDS)


def locked_until(conn: sqlite3.Connection, staff_id: str, device_id: str) -> str | None:
    """When the lockout that keeps `staff_id` from trying a PIN on `device_id` ends, if one
    does now: the pair's own, or the account-wide lock."""
    now = iso(utcnow())
    row = conn.execute(
        "SELECT MAX(until) FROM (SELECT locked_until AS until FROM pin_failures"
        " WHERE staff_id = ? AND device_id = ? UNION ALL"
        " SELECT locked_until FROM pin_lockouts WHERE id = ?) WHERE until > ?",
        (staff_id, device_id, staff_id, now),
    ).fetchone()
    return row[0]


def refusal(conn: sqlite3.Connection, staff_id: str, until: str) -> Locked:
    """The 423 for a lockout that ends at `until`: it says whether the whole account is locked."""
    wait = max(1, int((parse_iso(until) - utcnow()).total_seconds() + 0.999))
    account = conn.execute(
        "SELECT failures, devices FROM pin_lockouts WHERE id = ? AND locked_until >= ?",
        (staff_id, until),
    ).fetchone()
    if account:
        return Locked(
            f"this PIN is locked on every device after {account['failures']} wrong tries on"
            f" {account['devices']} devices; a manager can unlock it, or try again in {wait} s",
            retry_after=wait,
            locked_until=until,
            scope="account",
        )
    return Locked(
        f"too many wrong PINs on this device; try again in {wait} s",
        retry_after=wait,
        locked_until=until,
        scope="device",
    )


def raise_if_locked(conn: sqlite3.Connection, staff_id: str, device_id: str) -> None:
    until = locked_until(conn, staff_id, device_id)
    if until:
        raise refusal(conn, staff_id, until)


def record_wrong_pin(conn: WriteConnection, staff_id: str, device_id: str) -> str | None:
    """Count a wrong PIN checked on `device_id`; lock the pair, and the account when the
    guessing spans devices. Returns when the lockout that now applies ends, if one does."""
    now = utcnow()
    row = _pair(conn, staff_id, device_id)
    hour_started = row["hour_started_at"] if row else None
    if hour_started is None or parse_iso(hour_started) <= now - ACCOUNT_HOUR:
        hour_started, hour_failures = iso(now), 1
    else:
        hour_failures = row["hour_failures"] + 1 if row else 1
    _count(
        conn,
        staff_id,
        device_id,
        row,
        {"hour_started_at": hour_started, "hour_failures": hour_failures},
    )
    _lock_account_if_guessed(conn, staff_id)
    return locked_until(conn, staff_id, device_id)


def record_locked_attempt(conn: WriteConnection, staff_id: str, device_id: str) -> str | None:
    """Count an attempt made during a lockout (its PIN is not checked): the pair's backoff
    grows. Returns when the lockout ends now."""
    _count(conn, staff_id, device_id, _pair(conn, staff_id, device_id), {})
    return locked_until(conn, staff_id, device_id)


def clear_pair(conn: WriteConnection, staff_id: str, device_id: str) -> None:
    """A right PIN on `device_id`: that pair's count starts again (other devices' stay)."""
    row = _pair(conn, staff_id, device_id)
    if row and (row["failures"] or row["hour_failures"]):
        fields = {"failures": 0, "locked_until": None, "hour_started_at": None, "hour_failures": 0}
        commit(conn, staff_id, "pin_failures", row["id"], "update", fields)


def clear(conn: WriteConnection, actor_id: str | None, staff_id: str) -> None:
    """A manager unlocked `staff_id`, or their PIN changed: every count and lock of theirs ends."""
    rows = conn.execute(
        "SELECT id FROM pin_failures WHERE staff_id = ? AND (failures > 0 OR hour_failures > 0)",
        (staff_id,),
    ).fetchall()
    fields = {"failures": 0, "locked_until": None, "hour_started_at": None, "hour_failures": 0}
    for row in rows:
        commit(conn, actor_id, "pin_failures", row["id"], "update", fields)
    account = conn.execute(
        "SELECT locked_until FROM pin_lockouts WHERE id = ?", (staff_id,)
    ).fetchone()
    if account and account["locked_until"]:
        lifted = {"failures": 0, "devices": 0, "locked_until": None}
        commit(conn, actor_id, "pin_lockouts", staff_id, "update", lifted)


def of_staff(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Each staff member's counts and locks as they stand now, by staff id, for the staff list:
    wrong PINs in a row summed over devices, how many devices are locked and until when (the
    latest), and the account-wide lock if there is one now."""
    now = iso(utcnow())
    pairs = conn.execute(
        "SELECT staff_id, SUM(failures) AS failures,"
        " COUNT(CASE WHEN locked_until > :now THEN 1 END) AS locked_devices,"
        " MAX(CASE WHEN locked_until > :now THEN locked_until END) AS locked_until"
        " FROM pin_failures GROUP BY staff_id",
        {"now": now},
    ).fetchall()
    out = {
        row["staff_id"]: {
            "failures": row["failures"],
            "locked_devices": row["locked_devices"],
            "locked_until": row["locked_until"],
            "account_lock": None,
        }
        for row in pairs
    }
    for row in conn.execute(
        "SELECT id, failures, devices, locked_until FROM pin_lockouts WHERE locked_until > ?",
        (now,),
    ):
        state = out.setdefault(row["id"], dict(NONE))
        lock = {key: row[key] for key in ("failures", "devices", "locked_until")}
        state["account_lock"] = lock
        state["locked_until"] = max(state["locked_until"] or "", row["locked_until"])
    return out


def _pair(conn: sqlite3.Connection, staff_id: str, device_id: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM pin_failures WHERE staff_id = ? AND device_id = ?", (staff_id, device_id)
    ).fetchone()


def _count(
    conn: WriteConnection,
    staff_id: str,
    device_id: str,
    row: sqlite3.Row | None,
    more: dict[str, Any],
) -> None:
    """One more attempt in a row for the pair, locking it from the fifth on."""
    failures = (row["failures"] if row else 0) + 1
    seconds = backoff(failures)
    until = iso(utcnow() + timedelta(seconds=seconds)) if seconds else None
    fields = {"failures": failures, "locked_until": until, **more}
    actor = f"device:{device_id}"
    if row is None:
        new = {"staff_id": staff_id, "device_id": device_id, **fields}
        commit(conn, actor, "pin_failures", uuid7(), "create", new)
    else:
        commit(conn, actor, "pin_failures", row["id"], "update", fields)


def _lock_account_if_guessed(conn: WriteConnection, staff_id: str) -> None:
    since = iso(utcnow() - ACCOUNT_HOUR)
    row = conn.execute(
        "SELECT COALESCE(SUM(hour_failures), 0) AS failures, COUNT(*) AS devices"
        " FROM pin_failures WHERE staff_id = ? AND hour_failures > 0 AND hour_started_at > ?",
        (staff_id, since),
    ).fetchone()
    if row["failures"] < ACCOUNT_AFTER or row["devices"] < ACCOUNT_DEVICES:
        return
    fields = {
        "failures": row["failures"],
        "devices": row["devices"],
        "locked_until": iso(utcnow() + ACCOUNT_HOUR),
    }
    exists = conn.execute("SELECT 1 FROM pin_lockouts WHERE id = ?", (staff_id,)).fetchone()
    commit(conn, "system", "pin_lockouts", staff_id, "update" if exists else "create", fields)
