"""Store settings: name, timezone, money and tax rules, opening hours, QR ordering switches.

The business day and opening hours are decided in the store's timezone; storage stays UTC.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from edge.core.events import WriteConnection, cached, commit
from edge.core.permissions import Actor, require
from edge.domain.pricing import ROUNDINGS
from printers.money import CURRENCIES, currency_decimals
from service import shapes
from service.errors import Invalid
from service.fields import Field, Form, accepts, boolean, choice, text
from service.shapes import CURRENCY, HUB_REV, ID, array, described, nullable, shape
from sync.ids import uuid7

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
QR_MODES = ("draft_first", "direct")
# ASCII digits, whole (`fullmatch`): "05:00\n" and "0٥:00" passed `^...\d$`, and a day that
# starts at a time `time.fromisoformat` refuses made every order a 500
_HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
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
    fields = SETTINGS.clean({"name": name, **settings})
    store_id = uuid7()
    commit(conn, actor.id, "store", store_id, "create", fields)
    return store_id


def update(conn: WriteConnection, actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
    """The settings after the change, and `seq`: the feed's number of the event it wrote (None
    when nothing changed), by which the device that saved knows that event for its own."""
    require(actor, "settings.edit")
    store = get(conn)
    event = commit(
        conn, actor.id, "store", store["id"], "update", SETTINGS.clean(changes, partial=True)
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


@accepts({"type": "string", "description": "an IANA timezone such as Europe/Lisbon"})
def _timezone(name: str, value: Any) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise Invalid(
            f"{name}: there is no zone {value!r}; pick one such as Europe/Lisbon.", field=name
        ) from exc
    return value


@accepts({"type": "string", "enum": list(CURRENCIES)})
def _currency(name: str, value: Any) -> str:
    """One of the currencies paper and pages know the digits of."""
    if value not in CURRENCIES:
        raise Invalid(f"{name} must be an ISO 4217 code such as EUR.", field=name)
    return value


_HHMM_SCHEMA = {"type": "string", "pattern": f"^{_HHMM.pattern}$"}


@accepts(_HHMM_SCHEMA)
def _day_starts(name: str, value: Any) -> str:
    if not (isinstance(value, str) and _HHMM.fullmatch(value)):
        raise Invalid(f"{name} must be a time such as 05:00.", field=name)
    return value


_PERIODS_SCHEMA = {
    "type": "array",
    "items": {"type": "array", "items": _HHMM_SCHEMA, "minItems": 2, "maxItems": 2},
    "description": "[open, close] pairs; a period may run past midnight",
}


def _periods(name: str, value: Any) -> list[list[str]]:
    if not isinstance(value, list):
        raise Invalid(f"{name} must be a list of [opens, closes] pairs.", field=name)
    periods = []
    for period in value:
        if (
            not isinstance(period, list | tuple)
            or len(period) != 2
            or not all(isinstance(p, str) and _HHMM.fullmatch(p) for p in period)
        ):
            raise Invalid(f"{name}: each period needs an opening and a closing time.", field=name)
        if period[0] == period[1]:
            raise Invalid(f"{name}: a period can't open and close at {period[0]}.", field=name)
        periods.append([period[0], period[1]])
    return periods


@accepts(
    {
        "type": "object",
        "properties": {day: _PERIODS_SCHEMA for day in WEEKDAYS},
        "additionalProperties": False,
    }
)
def _opening_hours(name: str, value: Any) -> dict[str, list[list[str]]]:
    if not isinstance(value, dict) or set(value) - set(WEEKDAYS):
        raise Invalid(f"{name} maps mon..sun to periods.", field=name)
    return {
        day: _periods(f"{name} on {_DAY_NAMES[day]}", value[day])
        for day in WEEKDAYS
        if day in value
    }


_DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


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
def _holidays(name: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise Invalid(f"{name} must be a list.", field=name)
    out = []
    for holiday in value:
        if not isinstance(holiday, dict):
            raise Invalid(f"{name}: each one is {{date, hours, note}}.", field=name)
        try:
            day = date.fromisoformat(str(holiday.get("date")))
        except ValueError as exc:
            raise Invalid(f"{name}: each one needs a date.", field=name) from exc
        note = holiday.get("note", "")
        if not isinstance(note, str):
            raise Invalid(f"{name}: a note is text.", field=name)
        out.append(
            {
                "date": day.isoformat(),
                "hours": _periods(f"{name} on {day.isoformat()}", holiday.get("hours", [])),
                "note": note[:80],
            }
        )
    return sorted(out, key=lambda h: h["date"])


@accepts({"type": "string", "description": "http(s)://address[:port] guests' phones reach"})
def _guest_base_url(name: str, value: Any) -> str:
    """Where guests' phones reach this box. Never a `.local` name: many Androids cannot resolve
    mDNS, so a QR pointing there would not open."""
    if value == "":
        return ""
    example = "such as http://192.168.1.20:8000"
    if not isinstance(value, str):
        raise Invalid(f"{name} must be an address {example}.", field=name)
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # "http://[" and other broken addresses
        host = None
    if host is None or parts.scheme not in ("http", "https"):
        raise Invalid(f"{name} must be an http:// or https:// address {example}.", field=name)
    if host.endswith(".local"):
        raise Invalid(
            f"{name} can't be a .local name: many phones cannot open those. Use the box's LAN"
            f" address ({example.removeprefix('such as ')}) or a name the store owns.",
            code="mdns_name",
            field=name,
        )
    if parts.query or parts.fragment:
        raise Invalid(f"{name} can't have a ? or # part.", field=name)
    return value.rstrip("/")


# Each field with the label the admin page's Settings form shows beside it, in its order.
SETTINGS = Form(
    {
        "name": Field("Store name", text(80)),
        "timezone": Field("Time zone", _timezone),
        "currency": Field("Currency", _currency),
        "business_day_starts": Field("Business day starts at", _day_starts),
        "prices_include_tax": Field("Prices include tax", boolean),
        "tax_rounding": Field("Tax rounding", choice(*ROUNDINGS)),
        "opening_hours": Field("Opening hours", _opening_hours),
        "holidays": Field("Holidays and exceptions", _holidays),
        "qr_mode": Field("When a guest orders", choice(*QR_MODES)),
        "guest_base_url": Field("Guest base URL", _guest_base_url),
        "qr_kill_switch": Field("Stop all QR ordering now", boolean),
        "daily_pass": Field("Guests give the daily pass before ordering", boolean),
    },
    required=("name",),
)

# What `shown` answers: every setting, the digits amounts are kept in, and the epoch that voids
# all printed QR codes when bumped.
STORE_VIEW = shape(
    "Store",
    {
        "id": ID,
        **described(SETTINGS),
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
