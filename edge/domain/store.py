"""Store settings: name, timezone, money and tax rules, opening hours, QR ordering switches.

The business day and opening hours are decided in the store's timezone; storage stays UTC.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from edge.domain.fields import Form, accepts, boolean, choice, text
from edge.domain.pricing import ROUNDINGS
from edge.domain.shapes import HUB_REV, ID, described, shape
from edge.errors import Invalid
from edge.events import WriteConnection, cached, commit
from edge.permissions import Actor, require
from sync.ids import uuid7

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
QR_MODES = ("draft_first", "direct")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_JSON_FIELDS = ("opening_hours", "holidays")
_BOOL_FIELDS = ("prices_include_tax", "qr_kill_switch")


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
    fields = SETTINGS.clean({"name": name, **settings})
    store_id = uuid7()
    commit(conn, actor.id, "store", store_id, "create", fields)
    return store_id


def update(conn: WriteConnection, actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
    require(actor, "settings.edit")
    store = get(conn)
    commit(conn, actor.id, "store", store["id"], "update", SETTINGS.clean(changes, partial=True))
    return get(conn)


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


@accepts({"type": "string", "description": "an IANA timezone such as Europe/Lisbon"})
def _timezone(key: str, value: Any) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise Invalid(f"unknown timezone {value!r}", field=key) from exc
    return value


@accepts({"type": "string", "pattern": "^[A-Z]{3}$"})
def _currency(key: str, value: Any) -> str:
    if not (isinstance(value, str) and re.fullmatch(r"[A-Z]{3}", value)):
        raise Invalid(f"{key} must be an ISO 4217 code such as EUR", field=key)
    return value


_HHMM_SCHEMA = {"type": "string", "pattern": _HHMM.pattern}


@accepts(_HHMM_SCHEMA)
def _day_starts(key: str, value: Any) -> str:
    if not (isinstance(value, str) and _HHMM.match(value)):
        raise Invalid(f"{key} must be HH:MM", field=key)
    return value


_PERIODS_SCHEMA = {
    "type": "array",
    "items": {"type": "array", "items": _HHMM_SCHEMA, "minItems": 2, "maxItems": 2},
    "description": "[open, close] pairs; a period may run past midnight",
}


def _periods(key: str, value: Any) -> list[list[str]]:
    if not isinstance(value, list):
        raise Invalid(f"{key} must be a list of [open, close] pairs", field=key)
    periods = []
    for period in value:
        if (
            not isinstance(period, list | tuple)
            or len(period) != 2
            or not all(isinstance(p, str) and _HHMM.match(p) for p in period)
            or period[0] == period[1]
        ):
            raise Invalid(f'{key}: each period is ["HH:MM", "HH:MM"]', field=key)
        periods.append([period[0], period[1]])
    return periods


@accepts(
    {
        "type": "object",
        "properties": {day: _PERIODS_SCHEMA for day in WEEKDAYS},
        "additionalProperties": False,
    }
)
def _opening_hours(key: str, value: Any) -> dict[str, list[list[str]]]:
    if not isinstance(value, dict) or set(value) - set(WEEKDAYS):
        raise Invalid(f"{key} maps mon..sun to periods", field=key)
    return {day: _periods(f"{key}.{day}", value[day]) for day in WEEKDAYS if day in value}


@accepts(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "date": {"type": "string", "format": "date"},
                "hours": _PERIODS_SCHEMA,
                "note": {"type": "string"},
            },
            "required": ["date"],
        },
    }
)
def _holidays(key: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise Invalid(f"{key} must be a list", field=key)
    out = []
    for holiday in value:
        if not isinstance(holiday, dict):
            raise Invalid("each holiday is {date, hours, note}", field="holidays")
        try:
            day = date.fromisoformat(str(holiday.get("date")))
        except ValueError as exc:
            raise Invalid("each holiday needs a date YYYY-MM-DD", field="holidays") from exc
        note = holiday.get("note", "")
        if not isinstance(note, str):
            raise Invalid("a holiday note is text", field="holidays")
        out.append(
            {
                "date": day.isoformat(),
                "hours": _periods("holidays.hours", holiday.get("hours", [])),
                "note": note[:80],
            }
        )
    return sorted(out, key=lambda h: h["date"])


@accepts({"type": "string", "description": "http(s)://address[:port] guests' phones reach"})
def _guest_base_url(key: str, value: Any) -> str:
    """Where guests' phones reach this box. Never a `.local` name: many Androids cannot resolve
    mDNS, so a QR pointing there would not open."""
    if value == "":
        return ""
    if not isinstance(value, str):
        raise Invalid("guest_base_url must be a URL", field="guest_base_url")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # "http://[" and other broken addresses
        host = None
    if host is None or parts.scheme not in ("http", "https"):
        raise Invalid("guest_base_url must be an http(s) URL", field="guest_base_url")
    if host.endswith(".local"):
        raise Invalid(
            "guest_base_url may not be a .local name: many phones cannot resolve it; "
            "use the box's LAN address or a name the store owns",
            code="mdns_name",
            field="guest_base_url",
        )
    if parts.query or parts.fragment:
        raise Invalid("guest_base_url has no query or fragment", field="guest_base_url")
    return value.rstrip("/")


SETTINGS = Form(
    {
        "name": text(80),
        "timezone": _timezone,
        "currency": _currency,
        "prices_include_tax": boolean,
        "tax_rounding": choice(*ROUNDINGS),
        "business_day_starts": _day_starts,
        "opening_hours": _opening_hours,
        "holidays": _holidays,
        "qr_mode": choice(*QR_MODES),
        "qr_kill_switch": boolean,
        "guest_base_url": _guest_base_url,
    },
    required=("name",),
)

# What `get` answers: every setting, and the epoch that voids all printed QR codes when bumped.
STORE_VIEW = shape(
    "Store",
    {
        "id": ID,
        **described(SETTINGS),
        "qr_epoch": {"type": "integer", "minimum": 1},
        "hub_rev": HUB_REV,
    },
)
