"""The fields of the configuration the hub holds the truth for (`sync.entities`, owner "hub":
store settings, the menu, the floor, staff, printers, the kitchen's and the POS's settings) and
the rules that check them: one copy, read by both apps. The box checks a manager's edit with
them and a change it pulls from the hub (a value it would refuse here is kept as a rejection,
never applied: a time zone that does not exist would stop every order); the hub refuses an
owner's edit with them before it reaches any box.

Each entity's form holds its columns only, each with the label the admin page shows beside it
(`service.fields.Form`); what a request alone sends (a menu item's modifier groups, a new
staff member's PIN) and what reads the box's own devices (a printer's device path) stay with
the box's domain modules. A name or code no two rows of a store share (`UNIQUE`) is declared
here too: each app reads the store's other rows (the box its own, the hub its copy of them)
and asks the declaration whether a value is taken. A reference to another row (a category's
id) is checked where the row is written (the box's foreign keys).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from printers.money import CURRENCIES
from printers.profiles import PROFILES, get_profile
from printers.transports import transport_from_config
from service import fields as f
from service.errors import Invalid
from sync.clock import iso, parse_iso

ROLES = ("owner", "manager", "cashier", "waiter", "kitchen")  # of staff
ROUNDINGS = ("half_up", "half_even", "down")  # of tax: edge.domain.pricing
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
QR_MODES = ("draft_first", "direct")
# A row's place among its siblings (a category's items, an area's tables): a list far shorter than
# this. Any integer was taken, and the next row's (the last one's + 1, in SQL) past the largest
# one SQLite holds became a float.
LAST_POSITION = 100_000
POSITION = f.integer(0, LAST_POSITION)
# ASCII digits, whole (`fullmatch`): "05:00\n" and "0٥:00" passed `^...\d$`, and a day that
# starts at a time `time.fromisoformat` refuses made every order a 500
_HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


# The store row (edge.domain.store).
@f.accepts({"type": "string", "description": "an IANA timezone such as Europe/Lisbon"})
def _timezone(name: str, value: Any) -> str:
    try:
        ZoneInfo(value)
    # OSError: a key that names a folder of zones (Europe), or longer than a file name may be
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as exc:
        raise Invalid(
            f"{name}: there is no zone {value!r}; pick one such as Europe/Lisbon.", field=name
        ) from exc
    return value


@f.accepts({"type": "string", "enum": list(CURRENCIES)})
def _currency(name: str, value: Any) -> str:
    """One of the currencies paper and pages know the digits of."""
    if not isinstance(value, str) or value not in CURRENCIES:  # a dict or a list: no key
        raise Invalid(f"{name} must be an ISO 4217 code such as EUR.", field=name)
    return value


_HHMM_SCHEMA = {"type": "string", "pattern": f"^{_HHMM.pattern}$"}


@f.accepts(_HHMM_SCHEMA)
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


@f.accepts(
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


@f.accepts(
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


@f.accepts({"type": "string", "description": "http(s)://address[:port] guests' phones reach"})
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
    if host.rstrip(".").endswith(".local"):  # "box.local." is the same name, fully qualified
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
STORE = f.Form(
    {
        "name": f.Field("Store name", f.text(80)),
        "timezone": f.Field("Time zone", _timezone),
        "currency": f.Field("Currency", _currency),
        "business_day_starts": f.Field("Business day starts at", _day_starts),
        "prices_include_tax": f.Field("Prices include tax", f.boolean),
        "tax_rounding": f.Field("Tax rounding", f.choice(*ROUNDINGS)),
        "opening_hours": f.Field("Opening hours", _opening_hours),
        "holidays": f.Field("Holidays and exceptions", _holidays),
        "qr_mode": f.Field("When a guest orders", f.choice(*QR_MODES)),
        "guest_base_url": f.Field("Guest base URL", _guest_base_url),
        "qr_kill_switch": f.Field("Stop all QR ordering now", f.boolean),
        "daily_pass": f.Field("Guests give the daily pass before ordering", f.boolean),
    },
    required=("name",),
)


# The menu (edge.domain.menu).
TAX_RATE = f.Form(
    {
        "name": f.Field("Name", f.text(40)),
        "rate_bp": f.Field("Rate", f.basis_points),
        "position": POSITION,
    },
    required=("name", "rate_bp"),
)
CATEGORY = f.Form(
    {"name": f.Field("Name", f.text(60)), "position": POSITION, "active": f.boolean},
    required=("name",),
)
ITEM = f.Form(
    {
        "name": f.Field("Name", f.text(80)),
        "description": f.Field("Description", f.text(300, blank=True)),
        "price": f.Field("Price", f.amount(100_000_000)),
        "tax_rate_id": f.Field("Tax rate", f.identifier),
        "station": f.Field("Station", f.code),
        "course": f.Field("Course", f.code),
        "category_id": f.Field("Category", f.identifier),
        "active": f.Field("On the menu", f.boolean),
        "position": POSITION,
        "available": f.boolean,
        "plu": f.Field("PLU", f.text(20, blank=True)),  # the till's short code
        "barcode": f.Field("Barcode", f.text(32, blank=True)),
    },
    required=("category_id", "name", "price", "tax_rate_id"),
)
MODIFIER = f.Form(
    {
        "name": f.Field("Name", f.text(60)),
        "price_delta": f.Field("Price change", f.amount(100_000_000, signed=True)),
        "position": POSITION,
        "available": f.boolean,
    },
    required=("name",),
)
GROUP = f.Form(
    {
        "name": f.Field("Name", f.text(60)),
        "min_choices": f.Field("At least", f.integer(0, 50)),
        "max_choices": f.Field("At most", f.integer(1, 50)),
        "position": POSITION,
    },
    required=("name",),
    checks=(f.ordered("min_choices", "max_choices"),),
)


# The floor (edge.domain.tables).
AREA = f.Form({"name": f.Field("Name", f.text(40)), "position": POSITION}, required=("name",))
TABLE = f.Form(
    {
        "name": f.Field("Name", f.text(20)),
        "seats": f.Field("Seats", f.integer(1, 100)),  # a table nobody can sit at is a typo
        "area_id": f.Field("Area", f.identifier),
        "enabled": f.Field("In use", f.boolean),
        "position": POSITION,
    },
    required=("area_id", "name"),
)


# A staff member as stored (edge.domain.staff; the PIN is a request's, its hash set there).
MEMBER = f.Form(
    {
        "name": f.Field("Name", f.text(60)),
        "role": f.Field("Role", f.choice(*ROLES)),
        "active": f.Field("Active", f.boolean),
    }
)


# A printer's configuration (edge.domain.store_printers).
PRINTER_ROLES = ("receipt", "kitchen", "report")


@f.accepts({"type": "array", "items": f.code.schema, "maxItems": 20})
def _stations(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > 20:
        raise Invalid(f"{key} must be a list of station codes", field=key)
    return sorted({f.code(key, station) for station in value})


@f.accepts(
    {
        "type": "object",
        "properties": {"kind": {"type": "string", "enum": ["network", "usb", "serial", "file"]}},
        "required": ["kind"],
        "description": "network {host, port?}, usb {vendor_id, product_id}, serial {url,"
        " baudrate?} or file {path}; each may add timeout options (seconds, at most 300). A path"
        " (file, or a serial url that is one) must be a printer's device, such as /dev/usb/lp0 or"
        " /dev/ttyUSB0",
    }
)
def transport(key: str, value: Any) -> dict[str, Any]:
    """Settings the print worker can use (without I/O: the kind and its options). Whether a
    path is a printer's device only the box can tell (`edge.domain.store_printers`)."""
    if not isinstance(value, dict):
        raise Invalid(f"{key} must be an object such as {{kind, host, port}}", field=key)
    try:
        transport_from_config(value)
    except (ValueError, KeyError, TypeError) as exc:  # TypeError: a kind that is no string
        raise Invalid(f"{key}: {exc}", code="bad_transport", field=key) from exc
    return value


@f.accepts({"type": "string", "enum": list(PROFILES), "description": "the paper and features"})
def _profile(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{key} must be a profile name", field=key)
    try:
        get_profile(value)
    except ValueError as exc:
        raise Invalid(str(exc), code="unknown_profile", field=key) from exc
    return value


PRINTER = f.Form(
    {
        "name": f.text(60),
        "role": f.choice(*PRINTER_ROLES),
        "stations": _stations,
        "device": f.text(60, blank=True),
        "transport": transport,
        "profile": _profile,
        "backup_printer_id": f.optional(f.identifier),
        "enabled": f.boolean,
    },
    required=("name", "role", "transport"),
)


# The kitchen (edge.domain.stations).
STATION = f.Form(
    {
        "code": f.Field("Code", f.code),
        "name": f.Field("Name", f.text(40)),
        "position": POSITION,
        "active": f.Field("In use", f.boolean),
    },
    required=("code", "name"),
)
AUTO_FIRE_MOST_S = 3600  # the longest auto-fire delay
KITCHEN = f.Form(
    {
        "hold_courses": f.Field("Hold later courses", f.boolean),
        "auto_fire": f.Field("Fire the next course when one is bumped", f.boolean),
        "auto_fire_delay": f.Field(
            "Delay before it fires (seconds)", f.integer(0, AUTO_FIRE_MOST_S)
        ),
        "warn_minutes": f.Field("Tile turns amber after (minutes)", f.integer(1, 240)),
        "late_minutes": f.Field("Tile turns red after (minutes)", f.integer(1, 240)),
    },
    checks=(f.ordered("warn_minutes", "late_minutes"),),
)


# The POS's rules and promo codes (edge.domain.pos_config).
POS = f.Form(
    {
        "service_bp": f.Field("Service charge", f.basis_points),
        "service_min_covers": f.Field("Service charge from party size", f.integer(0, 500)),
        "discount_limit_bp": f.Field("Largest discount without a manager", f.basis_points),
        "cash_rounding": f.Field("Round cash to", f.integer(1, 100_000)),
    }
)


@f.accepts({"type": "string", "format": "date-time"})
def instant(name: str, value: Any) -> str:
    """A moment with its offset (2026-12-24T18:00:00+01:00), kept in UTC."""
    try:
        moment = parse_iso(value) if isinstance(value, str) else None
    except (ValueError, OverflowError):  # OverflowError: in UTC before year 1 or after 9999
        moment = None
    if moment is None or not isinstance(value, str) or "T" not in value:
        raise Invalid(f"{name} must be a date and time such as 2026-12-24T18:00:00Z.", field=name)
    if datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is None:
        raise Invalid(f"{name} needs its time zone, such as Z or +01:00.", field=name)
    return iso(moment)


@f.accepts({"type": "string", "pattern": r"^\s*[A-Za-z0-9][A-Za-z0-9_-]{0,29}\s*$"})
def promo_code(name: str, value: Any) -> str:
    """What a guest types or the cashier scans: letters, digits, - and _, in capitals."""
    if isinstance(value, str):
        value = value.strip().upper()
    if not isinstance(value, str) or not value or len(value) > 30:
        raise Invalid(f"{name} must be a code such as SUMMER10.", field=name)
    if not all(c.isascii() and (c.isalnum() or c in "-_") for c in value):
        raise Invalid(f"{name} may hold letters, digits, - and _ only.", field=name)
    return value


def _promo_rules(values: Any, labels: Any) -> dict[str, str]:
    problems = {}
    if values.get("kind") == "percent" and values.get("value", 0) > 10_000:
        problems["value"] = "A percent discount takes at most 100% (10000)."
    starts, ends = values.get("valid_from"), values.get("valid_until")
    if starts and ends and ends <= starts:
        problems["valid_until"] = "Valid until must come after Valid from."
    return problems


PROMO = f.Form(
    {
        "code": f.Field("Code", promo_code),
        "kind": f.Field("Kind", f.choice("percent", "fixed")),
        "value": f.Field("Value", f.integer(0, 100_000_000)),
        "valid_from": f.Field("Valid from", f.optional(instant)),
        "valid_until": f.Field("Valid until", f.optional(instant)),
        "min_spend": f.Field("Minimum spend", f.amount(100_000_000)),
        "max_discount": f.Field("Maximum discount", f.optional(f.amount(100_000_000))),
        "usage_limit": f.Field("Usage limit", f.optional(f.integer(1, 1_000_000))),
        "stackable": f.Field("Stacks with other discounts", f.boolean),
        "active": f.Field("Active", f.boolean),
    },
    required=("code", "kind", "value"),
    checks=(_promo_rules,),
)


# Each hub-owned entity's form, by entity. item_modifier_groups has none: its rows (an item's
# link to a group) are made from a menu item's modifier groups, and their ids are checked where
# the row is written.
FORMS: dict[str, f.Form] = {
    "store": STORE,
    "tax_rates": TAX_RATE,
    "menu_categories": CATEGORY,
    "menu_items": ITEM,
    "modifier_groups": GROUP,
    "modifiers": MODIFIER,
    "areas": AREA,
    "tables": TABLE,
    "staff": MEMBER,
    "printers": PRINTER,
    "stations": STATION,
    "kitchen_settings": KITCHEN,
    "pos_settings": POS,
    "promo_codes": PROMO,
}


# Values no two rows of one store share (`UNIQUE`): staff and guests tell tables, stations and
# promo codes apart by them, and a box holding two "BAR" stations or two "SUMMER" codes reads
# either one. The box checks a manager's edit and a pulled change against its own rows
# (`edge.domain.duplicates`), the hub an owner's edit against the store's rows it holds.
def _exact(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Unique:
    """`field` holds a value no other row of the entity in the store holds (no other row of
    the same `within`, when given: a modifier's group), values compared as `compare` keeps
    them (exact, or as a person tells names apart: `service.fields.same`). `active`: a flag
    only rows that have it set hold their value by (a staff member who left frees their name).
    `message` (its `{value}`) and `code` are the refusal's, as the box's pages show it."""

    field: str
    code: str
    message: str
    within: str | None = None
    compare: Callable[[Any], Any] = _exact
    active: str | None = None

    @property
    def reads(self) -> frozenset[str]:
        """The fields a change of which may make a duplicate: another change makes none."""
        return frozenset(name for name in (self.field, self.within, self.active) if name)

    def holds(self, row: Mapping[str, Any]) -> bool:
        """Whether `row` holds a value of `field` no other row may hold."""
        return row.get(self.field) is not None and (
            self.active is None or bool(row.get(self.active, True))
        )

    def taken(self, row: Mapping[str, Any], others: Iterable[Mapping[str, Any]]) -> bool:
        """Whether `row`, as it would be stored, holds the value one of `others` (the entity's
        other rows in the store) holds."""
        if not self.holds(row):
            return False
        value = self.compare(row[self.field])
        return any(
            self.holds(other)
            and (self.within is None or other.get(self.within) == row.get(self.within))
            and self.compare(other[self.field]) == value
            for other in others
        )

    def refusal(self, row: Mapping[str, Any]) -> Invalid:
        """The refusal of `row`, whose value is taken."""
        message = self.message.format(value=row[self.field])
        return Invalid(message, code=self.code, field=self.field)


UNIQUE: dict[str, Unique] = {
    # staff and guests name a table by it
    "tables": Unique("name", "duplicate_name", "There is already a table {value}."),
    # the sign-in screen shows names only
    "staff": Unique(
        "name",
        "duplicate_name",
        "Another active staff member is called {value}: add a surname or an initial, as the"
        " sign-in screen shows names only.",
        compare=f.same,
        active="active",
    ),
    # a waiter could not tell which one a guest meant, nor the kitchen which one was rung up
    "modifiers": Unique(
        "name",
        "duplicate_name",
        "This group already has a choice called {value}.",
        within="group_id",
        compare=f.same,
    ),
    # menu items and printers name a station by its code
    "stations": Unique("code", "station_exists", "there is a station {value} already"),
    # what a guest types or the cashier scans
    "promo_codes": Unique("code", "duplicate_code", "there is already a promo code {value}"),
}


def check(
    entity: str, values: Mapping[str, Any], current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """`values` (fields of a row of `entity`, of the protocol's kinds) with each that a rule
    holds cleaned as the box stores it, or `Invalid` naming what the rules refuse; the rules
    across fields read the rest from `current`, the row as it is. Fields no rule holds (a
    reference, a QR code's version) are left as they are."""
    form = FORMS.get(entity)
    held = {name: value for name, value in values.items() if form and name in form.rules}
    if form is None or not held:
        return dict(values)
    return {**values, **form.clean(held, partial=True, current=current)}
