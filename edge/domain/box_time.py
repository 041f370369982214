"""The time a manager gives a box whose clock is wrong and that NTP has not set.

A Raspberry Pi has no clock battery: switched off at night, it boots at the time it last saved,
and with the store's internet down NTP never sets it (`edge.runtime.box_clock` says so). Its
orders and money would be dated to yesterday's business day, and refused once yesterday's Z is
done. A manager compares the box's time with their tablet's and confirms the tablet's: the box
then runs that far from its system clock (`sync.clock.shift`), every part of it at once.

The offset is one row written through `commit` (so the audit says who moved the clock, from
what to what, and a restart keeps it), local to the box. It is refused if it would take the
box's time behind what it recorded (its hybrid clock never goes back) or more than a year from
its system clock, and when NTP has set the clock: then the box drops it by itself (`dropped`).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from edge.core.events import WriteConnection, commit
from edge.core.permissions import Actor, require
from service import fields as f
from service.config_fields import instant
from service.errors import Conflict, Invalid
from service.shapes import INSTANT, shape
from sync.clock import iso, now_ms, parse_iso, shifted_ms

FORM = f.Form({"time": f.Field("This device's time", instant)}, required=("time",))
GIVEN = shape(
    "BoxTimeGiven",
    {
        "offset_ms": {"type": "integer", "description": "the box's time minus its system clock's"},
        "read_at": {**INSTANT, "description": "the box's time before"},
        "set_to": {**INSTANT, "description": "the box's time after"},
    },
)
FARTHEST_MS = 366 * 24 * 3600 * 1000  # from the system clock: a year, and a leap day
_ROW = "box"


def offset_ms(conn: sqlite3.Connection) -> int:
    """How far the box runs from its system clock, as last recorded (0: on it)."""
    row = conn.execute("SELECT offset_ms FROM box_time WHERE id = ?", (_ROW,)).fetchone()
    return row[0] if row else 0


def set_time(
    conn: WriteConnection, actor: Actor, data: dict[str, object], ntp_set: bool
) -> dict[str, object]:
    """Run the box on the time a manager's device reads (`data["time"]`): the new offset, and
    the box's time before and after it (GIVEN). `ntp_set`: NTP has set the system clock, which
    then needs no hand."""
    require(actor, "sync.manage")
    wanted = _ms(parse_iso(FORM.clean(data)["time"]))
    if ntp_set:
        raise Conflict(
            "NTP has set the box's clock from the internet: it is right, and no one sets it by"
            " hand.",
            code="clock_set_by_ntp",
        )
    system = now_ms() - shifted_ms()
    if abs(wanted - system) > FARTHEST_MS:
        raise Invalid(
            "This device's time is more than a year from the box's clock: check its date.",
            code="absurd_time",
            field="time",
        )
    recorded = conn.clock.latest_ms
    if wanted < recorded:
        raise Conflict(
            f"The box has recorded times up to {_shown(recorded)}, later than this device's"
            f" time ({_shown(wanted)}): its clock cannot go back. Check this device's clock.",
            code="time_behind_recorded",
            recorded=iso(_at(recorded)),
        )
    return _record(conn, actor.id, wanted - system)


def dropped(conn: WriteConnection) -> None:
    """The box back on its system clock, which NTP has set."""
    _record(conn, "system", 0)


def _record(conn: WriteConnection, actor_id: str, offset: int) -> dict[str, object]:
    """The offset, and the box's time before and after it."""
    now = now_ms()
    fields = {
        "offset_ms": offset,
        "read_at": iso(_at(now)),
        "set_to": iso(_at(now - shifted_ms() + offset)),
    }
    exists = conn.execute("SELECT 1 FROM box_time WHERE id = ?", (_ROW,)).fetchone()
    commit(conn, actor_id, "box_time", _ROW, "update" if exists else "create", fields)
    return fields


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _shown(ms: int) -> str:
    return _at(ms).strftime("%Y-%m-%d %H:%M UTC")
