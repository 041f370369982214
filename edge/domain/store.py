"""Store settings: name, timezone, money and tax rules, opening hours, QR ordering switches.

The business day and opening hours are decided in the store's timezone; storage stays UTC.
The settings' rules (`service.config_fields.STORE`) are the hub's too: it refuses an owner's
edit that breaks them, and the box refuses such a change pulled from it.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from edge.core.events import WriteConnection, cached, commit
from edge.core.permissions import Actor, require
from printers.money import CURRENCIES, currency_decimals
from service import shapes
from service.config_fields import STORE, WEEKDAYS
from service.errors import Invalid
from service.shapes import CURRENCY, HUB_REV, ID, array, described, nullable, shape
from sync.ids import uuid7

_JSON_FIELDS = ("opening_hours", "holidays")
_BOOL_FIELDS = ("prices_include_tax", "qr_kill_switch", "daily_pass")


def get(conn: sqlite3.Connection) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM store").fetchone()
    if row is None:
        raise LookupError("the store has not been set up")
    store = dict(row)
    for name in _JSON_FIELDS:
        store[name] = json.loads(store[name])
    for name in _BOOL_FIELDS:
        store[name] = bool(store[name])
    return store


def current(conn: sqlite3.Connection) -> dict[str, Any]:
    """The settings, kept on the writer's connection until a change to the store."""
    return cached(conn, "store", lambda: get(conn))


def create(conn: WriteConnection, actor: Actor, name: str, **settings: Any) -> str:
    """The store row, made once when the box is set up."""
    require(actor, "settings.edit")
    if conn.execute("SELECT 1 FROM store").fetchone():
        raise Invalid("the store is already set up", code="already_set_up")
    fields = STORE.clean({"name": name, **settings})
    store_id = uuid7()
    commit(conn, actor.id, "store", store_id, "create", fields)
    return store_id


def update(conn: WriteConnection, actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
    """The settings after the change, and `seq`: the feed's number of the event it wrote (None
    when nothing changed), by which the device that saved knows that event for its own."""
    require(actor, "settings.edit")
    store = get(conn)
    event = commit(
        conn, actor.id, "store", store["id"], "update", STORE.clean(changes, partial=True)
    )
    return {**shown(conn), "seq": event.seq if event else None}


def shown(conn: sqlite3.Connection) -> dict[str, Any]:
    """The settings as pages read them: with the digits the store's amounts are kept in, which
    a browser's own idea of the currency gets wrong (IDR: 2 in ISO 4217, 0 here)."""
    store = get(conn)
    return {**store, "currency_digits": currency_decimals(store["currency"])}


def choices() -> dict[str, Any]:
    """What the settings form offers to pick from: the box's time zones and the currencies."""
    return {
        "timezones": _zones(),
        "currencies": [
            {"code": code, "digits": currency.digits} for code, currency in CURRENCIES.items()
        ],
    }


# Where IANA places the zones people live in; the rest of the database is old aliases
# ("US/Eastern", "GB") and fixed offsets with inverted signs ("Etc/GMT+1").
_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


@functools.cache
def _zones() -> list[str]:
    zones = available_timezones()
    return sorted(zone for zone in zones if zone.split("/", 1)[0] in _REGIONS) + ["UTC"]


# The last answer of `business_day`: (timezone, day start, UTC minute, day).
_last_day: tuple[str, str, int, str] = ("", "", -1, "")


def business_day(store: dict[str, Any], moment: datetime) -> str:
    """The trading day of `moment`: a night shift after midnight counts to the day before.

    Every order asks, so the last answer is kept for its UTC minute: the day starts at a whole
    local minute (HH:MM) and today's UTC offsets are whole minutes, so no minute holds two days.
    """
    global _last_day
    timezone, starts = store["timezone"], store["business_day_starts"]
    minute = int(moment.timestamp()) // 60
    last = _last_day
    if last[2] == minute and last[0] == timezone and last[1] == starts:
        return last[3]
    day = _business_day(timezone, starts, moment)
    _last_day = (timezone, starts, minute, day)
    return day


def _business_day(timezone: str, starts: str, moment: datetime) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    day = local.date()
    if local.time() < time.fromisoformat(starts):
        day -= timedelta(days=1)
    return day.isoformat()


def hours_on(store: dict[str, Any], day: date) -> list[list[str]]:
    """Opening periods on a calendar day: a holiday exception wins over the weekday's hours."""
    for holiday in store["holidays"]:
        if holiday["date"] == day.isoformat():
            return holiday["hours"]
    return store["opening_hours"].get(WEEKDAYS[day.weekday()], [])


def is_open(store: dict[str, Any], moment: datetime) -> bool:
    """Open at `moment`? A period may run past midnight ("18:00"-"02:00")."""
    local = moment.astimezone(ZoneInfo(store["timezone"]))
    now = local.time().strftime("%H:%M")
    for start, end in hours_on(store, local.date()):
        if (start <= now < end) if start < end else (now >= start):
            return True
    for start, end in hours_on(store, local.date() - timedelta(days=1)):
        if end <= start and now < end:
            return True
    return False


# What `shown` answers: every setting, the digits amounts are kept in, and the epoch that voids
# all printed QR codes when bumped.
STORE_VIEW = shape(
    "Store",
    {
        "id": ID,
        **described(STORE),
        "qr_epoch": {"type": "integer", "minimum": 1},
        "hub_rev": HUB_REV,
        "currency_digits": {"type": "integer", "minimum": 0, "maximum": 3},
    },
)
# What `update` answers: the settings and the seq of the event the change wrote.
STORE_CHANGED = shape(
    "StoreChanged",
    {
        **STORE_VIEW.schema["properties"],
        "seq": nullable({"type": "integer", "minimum": 1, "description": "null: nothing changed"}),
    },
)
CHOICES = shape(
    "StoreChoices",
    {
        "timezones": array(shapes.text("an IANA time zone")),
        "currencies": array(
            shape("CurrencyChoice", {"code": CURRENCY, "digits": {"type": "integer", "minimum": 0}})
        ),
    },
)
