"""Every entity the edge stores, declared once: the contract the edge and the hub both read.

An entity is a table of the edge (its name is the table's name) with its fields and their
kinds, who owns it, which of its fields are secret, which rows travel inside its events (an
order's lines), the realtime topic it is broadcast on and the noun the audit calls it. The edge
derives its registries from this (the tables `commit` writes, parts, secrets, topics, audit
wording); the hub derives what a store may push and how a row is stored.

Owners:

- `hub`: configuration the hub holds the truth for (store settings, tax rates, menu, areas,
  tables, staff, printer configuration, kitchen stations and options). A store edits it
  while offline; the hub merges those edits field by field (`sync.merge`).
- `edge`: born at the store and append-mostly (orders and their lines, kitchen tickets). The
  store's event applies as it is; nothing else edits it.
- `local`: never leaves the box (sign-ins, paired devices and their pairing codes, wrong PINs,
  print jobs, a printer's live status, the time a manager gave the box). Pushing one is
  refused.

Every entity has two implicit fields, `id` (a UUIDv7 made where the row is made) and `hub_rev`
(the hub revision the row was last based on), declared nowhere and never canonical.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Literal

from sync.errors import BadEvent

Owner = Literal["hub", "edge", "local"]
Row = tuple[str, str, dict[str, Any]]  # (entity, id, fields)


class _Default(Enum):
    REQUIRED = "required"


REQUIRED = _Default.REQUIRED  # a field a new row must be given: the column has no DEFAULT


@dataclass(frozen=True)
class Kind:
    """What a field holds, as the protocol writes it, and what a new row gets without it.

    `text` is a string, `int` a whole number, `bool` true or false (0 or 1 in SQLite), `json` a
    list or an object (JSON text in SQLite), `blob` bytes (local entities only: never synced).
    `default` is the column's SQL DEFAULT as a protocol value, so that the hub completes a
    created row exactly as the edge's INSERT did.
    """

    name: Literal["text", "int", "bool", "json", "blob"]
    nullable: bool = False
    default: Any = REQUIRED

    @property
    def or_null(self) -> Kind:
        """This kind, NULL allowed; like a nullable SQL column, it defaults to NULL."""
        return replace(
            self, nullable=True, default=None if self.default is REQUIRED else self.default
        )

    def with_default(self, value: Any) -> Kind:
        return replace(self, default=value)


TEXT = Kind("text")
INT = Kind("int")
BOOL = Kind("bool")
JSON = Kind("json")
BLOB = Kind("blob")


@dataclass(frozen=True)
class Entity:
    name: str
    owner: Owner
    fields: Mapping[str, Kind]
    topic: str
    noun: str
    secret: frozenset[str] = frozenset()  # stored and synced; masked wherever it is shown
    parts: str | None = None  # the entity whose new rows this one's events carry

    def complete(self, fields: dict[str, Any]) -> dict[str, Any]:
        """A new row from the canonical fields of its create (without its parts): each field
        not given gets its default, as the edge's INSERT gave it. A required one missing is a
        BadEvent (`missing_field`). `fields` itself when it gives them all, as the edge sends
        its new rows (every caller passes a dict of its own, so no copy: a push makes one per
        row, three or four per order)."""
        if fields.keys() == self.fields.keys():
            return fields
        row = {}
        for name, kind in self.fields.items():
            if name in fields:
                row[name] = fields[name]
            elif kind.default is REQUIRED:
                raise BadEvent(f"a new {self.noun} needs {name}", code="missing_field", field=name)
            else:
                row[name] = copy.deepcopy(kind.default) if kind.name == "json" else kind.default
        return row

    def masked(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """`fields` as they may be shown (a feed, an audit, a response): secrets hidden."""
        if self.secret.isdisjoint(fields):
            return dict(fields)
        return {name: "***" if name in self.secret else value for name, value in fields.items()}


_POSITION = INT.with_default(0)
_ON = BOOL.with_default(True)
_OFF = BOOL.with_default(False)
_BLANK = TEXT.with_default("")

_DECLARED = (
    Entity(
        name="store",
        owner="hub",
        fields={
            "name": TEXT,
            "timezone": TEXT.with_default("UTC"),
            "currency": TEXT.with_default("USD"),
            "prices_include_tax": _OFF,
            "tax_rounding": TEXT.with_default("half_up"),
            "business_day_starts": TEXT.with_default("04:00"),
            "opening_hours": JSON.with_default({}),
            "holidays": JSON.with_default([]),
            "qr_mode": TEXT.with_default("draft_first"),
            "qr_kill_switch": _OFF,
            "qr_epoch": INT.with_default(1),
            "guest_base_url": _BLANK,
            "daily_pass": _OFF,  # guests give the day's pass before their first Send
        },
        topic="store",
        noun="store",
    ),
    Entity(
        name="tax_rates",
        owner="hub",
        fields={"name": TEXT, "rate_bp": INT, "position": _POSITION},
        topic="menu",
        noun="tax rate",
    ),
    Entity(
        name="menu_categories",
        owner="hub",
        fields={"name": TEXT, "position": _POSITION, "active": _ON},
        topic="menu",
        noun="menu category",
    ),
    Entity(
        name="menu_items",
        owner="hub",
        fields={
            "category_id": TEXT,
            "name": TEXT,
            "description": _BLANK,
            "price": INT,
            "tax_rate_id": TEXT,
            "station": TEXT.with_default("KITCHEN"),
            "course": TEXT.with_default("MAINS"),
            "position": _POSITION,
            "available": _ON,  # off: 86'd
            "active": _ON,  # off: removed from the menu
            "plu": _BLANK,  # the till's short code
            "barcode": _BLANK,
        },
        topic="menu",
        noun="menu item",
    ),
    Entity(
        name="modifier_groups",
        owner="hub",
        fields={
            "name": TEXT,
            "min_choices": INT.with_default(0),
            "max_choices": INT.with_default(1),
            "position": _POSITION,
        },
        topic="menu",
        noun="modifier group",
    ),
    Entity(
        name="modifiers",
        owner="hub",
        fields={
            "group_id": TEXT,
            "name": TEXT,
            "price_delta": INT.with_default(0),
            "position": _POSITION,
            "available": _ON,
        },
        topic="menu",
        noun="modifier",
    ),
    Entity(
        name="item_modifier_groups",
        owner="hub",
        fields={"item_id": TEXT, "group_id": TEXT, "position": _POSITION},
        topic="menu",
        noun="item's modifier group",
    ),
    Entity(
        name="areas",
        owner="hub",
        fields={"name": TEXT, "position": _POSITION},
        topic="tables",
        noun="area",
    ),
    Entity(
        name="tables",
        owner="hub",
        fields={
            "area_id": TEXT,
            "name": TEXT,
            "seats": INT.with_default(4),
            "enabled": _ON,
            "qr_version": INT.with_default(1),
            "position": _POSITION,
        },
        topic="tables",
        noun="table",
    ),
    Entity(
        name="staff",
        owner="hub",
        fields={"name": TEXT, "role": TEXT, "pin_hash": TEXT, "active": _ON},
        secret=frozenset({"pin_hash"}),
        topic="staff",
        noun="staff member",
    ),
    Entity(
        name="printers",
        owner="hub",
        fields={
            "name": TEXT,
            "role": TEXT,
            "stations": JSON.with_default([]),
            "device": _BLANK,
            "transport": JSON,
            "profile": TEXT.with_default("TM-T20II"),
            "backup_printer_id": TEXT.or_null,
            "enabled": _ON,
            "created_at": TEXT,
        },
        topic="printers",
        noun="printer",
    ),
    Entity(
        name="printer_status",  # a printer's, by its id: not configuration, never synced
        owner="local",
        fields={
            "online": BOOL.or_null,  # null until first checked
            "paper_near_end": _OFF,
            "paper_out": _OFF,
            "cover_open": _OFF,
            "error": _BLANK,
            "checked_at": TEXT.or_null,
        },
        topic="printers",
        noun="printer's status",
    ),
    Entity(
        name="orders",
        owner="edge",
        fields={
            "number": INT,
            "business_day": TEXT,
            "kind": TEXT,
            "table_id": TEXT.or_null,
            "status": TEXT.with_default("open"),
            "covers": INT.with_default(0),
            "note": _BLANK,
            "currency": TEXT,
            "subtotal": INT.with_default(0),
            "tax_total": INT.with_default(0),
            "total": INT.with_default(0),
            "taxes": JSON.with_default([]),
            "opened_by": TEXT,
            "created_at": TEXT,
        },
        parts="order_lines",
        topic="orders",
        noun="order",
    ),
    Entity(
        name="order_lines",
        owner="edge",
        fields={
            "order_id": TEXT,
            "item_id": TEXT,
            "name": TEXT,
            "unit_price": INT,
            "quantity": INT,
            "modifiers": JSON.with_default([]),
            "seat": INT.or_null,
            "note": _BLANK,
            "station": TEXT,
            "course": TEXT,
            "tax_rate_bp": INT,
            "tax_name": TEXT,
            "amount": INT,
            "state": TEXT.with_default("pending"),
            "void_reason": TEXT.or_null,
            "created_at": TEXT,
            "void_day": TEXT.or_null,  # the business day it was voided on (reports count it)
        },
        topic="orders",
        noun="order line",
    ),
    Entity(
        name="stations",
        owner="hub",
        fields={"code": TEXT, "name": TEXT, "position": _POSITION, "active": _ON},
        topic="kitchen",
        noun="station",
    ),
    Entity(
        name="kitchen_settings",
        owner="hub",
        fields={
            "hold_courses": _ON,
            "auto_fire": _OFF,
            "auto_fire_delay": INT.with_default(0),
            "warn_minutes": INT.with_default(8),
            "late_minutes": INT.with_default(15),
        },
        topic="kitchen",
        noun="kitchen settings",
    ),
    Entity(
        name="tickets",
        owner="edge",
        fields={
            "order_id": TEXT,
            "station": TEXT,
            "number": INT,
            "business_day": TEXT,
            "kind": TEXT,
            "label": TEXT,
            "order_number": INT,
            "note": _BLANK,
            "state": TEXT.with_default("NEW"),
            "rush": _OFF,
            "fired_by": TEXT,
            "fired_at": TEXT,
            "started_at": TEXT.or_null,
            "ready_at": TEXT.or_null,
            "bumped_at": TEXT.or_null,
            "served_at": TEXT.or_null,
            "auto_fire_at": TEXT.or_null,
        },
        parts="ticket_items",
        topic="kitchen",
        noun="ticket",
    ),
    Entity(
        name="ticket_items",
        owner="edge",
        fields={
            "ticket_id": TEXT,
            "line_id": TEXT,
            "station": TEXT,
            "name": TEXT,
            "quantity": INT,
            "modifiers": JSON.with_default([]),
            "note": _BLANK,
            "seat": INT.or_null,
            "course": TEXT,
            "state": TEXT.with_default("NEW"),
            "voided": _OFF,
            "fired_at": TEXT,
            "ready_at": TEXT.or_null,
            "bumped_at": TEXT.or_null,
        },
        topic="kitchen",
        noun="ticket item",
    ),
    Entity(
        name="daily_passes",  # today's pass for guests: read out in the room, never synced
        owner="local",
        fields={"business_day": TEXT, "word": TEXT, "made_at": TEXT},
        secret=frozenset({"word"}),
        topic="floor",
        noun="daily pass",
    ),
    Entity(
        name="table_sessions",  # a table's QR ordering session, from the first scan to closing
        owner="edge",
        fields={
            "table_id": TEXT,
            "status": TEXT.with_default("open"),
            "opened_at": TEXT,
            "last_activity_at": TEXT,
            "closed_at": TEXT.or_null,
            "close_reason": TEXT.or_null,
            "order_id": TEXT.or_null,
            "waiter_called_at": TEXT.or_null,
            "bill_asked_at": TEXT.or_null,
            "purged_at": TEXT.or_null,
            "pass_ok_at": TEXT.or_null,
        },
        topic="floor",
        noun="table session",
    ),
    Entity(
        name="session_members",  # a guest's phone in a table session
        owner="edge",
        fields={
            "session_id": TEXT,
            "nickname": _BLANK,
            "is_host": _OFF,
            "joined_at": TEXT,
        },
        topic="floor",
        noun="guest",
    ),
    Entity(
        name="drafts",  # a table's shared cart, until a waiter confirms it (or direct mode)
        owner="edge",
        fields={
            "session_id": TEXT,
            "status": TEXT.with_default("open"),
            "created_at": TEXT,
            "updated_at": TEXT,
            "submitted_at": TEXT.or_null,
            "submitted_by": TEXT.or_null,
            "locked_by": TEXT.or_null,
            "lock_expires_at": TEXT.or_null,
            "decided_by": TEXT.or_null,
            "decided_at": TEXT.or_null,
            "reject_reason": TEXT.or_null,
            "order_id": TEXT.or_null,
        },
        parts="draft_lines",
        topic="floor",
        noun="draft order",
    ),
    Entity(
        name="draft_lines",
        owner="edge",
        fields={
            "draft_id": TEXT,
            "member_id": TEXT.or_null,
            "item_id": TEXT,
            "name": TEXT,
            "unit_price": INT,
            "quantity": INT,
            "modifiers": JSON.with_default([]),
            "note": _BLANK,
            "amount": INT,
            "created_at": TEXT,
        },
        topic="floor",
        noun="draft line",
    ),
    Entity(
        name="staff_sessions",
        owner="local",
        fields={
            "staff_id": TEXT,
            "device": TEXT,  # the device's name when signed in
            "created_at": TEXT,
            "expires_at": TEXT,
            "ended_at": TEXT.or_null,
            "device_id": TEXT.or_null,
            "end_reason": TEXT.or_null,
        },
        topic="staff",
        noun="sign-in",
    ),
    Entity(
        name="devices",
        owner="local",
        fields={
            "name": TEXT,
            "secret_hash": TEXT,
            "paired_by": TEXT,
            "paired_at": TEXT,
            "revoked_at": TEXT.or_null,
            "revoked_by": TEXT.or_null,
            "last_sign_in_at": TEXT.or_null,
        },
        secret=frozenset({"secret_hash"}),
        topic="staff",
        noun="device",
    ),
    Entity(
        name="pairing_codes",
        owner="local",
        fields={
            "name": _BLANK,
            "created_by": TEXT,
            "created_at": TEXT,
            "expires_at": TEXT,
            "used_at": TEXT.or_null,
            "device_id": TEXT.or_null,
        },
        topic="staff",
        noun="pairing code",
    ),
    Entity(
        name="pin_failures",
        owner="local",
        fields={
            "staff_id": TEXT,
            "device_id": TEXT,
            "failures": INT,
            "locked_until": TEXT.or_null,
            "hour_started_at": TEXT.or_null,
            "hour_failures": INT.with_default(0),
        },
        topic="staff",
        noun="wrong PIN count",
    ),
    Entity(
        name="pin_lockouts",
        owner="local",
        fields={"failures": INT, "devices": INT, "locked_until": TEXT.or_null},
        topic="staff",
        noun="PIN lock",
    ),
    Entity(
        name="print_jobs",
        owner="local",
        fields={
            "seq": INT,
            "printer_id": TEXT,
            "kind": TEXT,
            "payload": BLOB,
            "state": TEXT.with_default("queued"),
            "attempts": INT.with_default(0),
            "next_attempt_at": TEXT,
            "last_error": _BLANK,
            "reprint": _OFF,
            "source_entity": TEXT.or_null,
            "source_id": TEXT.or_null,
            "dedupe_key": TEXT.or_null,
            "rerouted_from": TEXT.or_null,
            "note": _BLANK,
            "created_at": TEXT,
            "printed_at": TEXT.or_null,
            "document": JSON.or_null,
        },
        topic="printers",
        noun="print job",
    ),
    Entity(
        name="sync_conflicts",
        owner="local",
        fields={
            "seq": INT,
            "entity": TEXT,
            "entity_id": TEXT,
            "field": TEXT,
            "edge_value": TEXT,  # JSON text of the value, as the event held it
            "hub_value": TEXT,
            "edge_actor": TEXT.or_null,
            "edge_at": TEXT,
            "hub_actor": TEXT.or_null,
            "hub_at": TEXT,
            "state": TEXT.with_default("open"),
            "resolved_by": TEXT.or_null,
            "resolved_at": TEXT.or_null,
        },
        # a conflict on a secret field (a PIN) holds its hashes: shown as "***" everywhere
        secret=frozenset({"edge_value", "hub_value"}),
        topic="sync",
        noun="sync conflict",
    ),
    Entity(
        name="box_time",  # the time a manager gave a box whose clock NTP has not set
        owner="local",
        fields={"offset_ms": INT, "read_at": TEXT, "set_to": TEXT},
        topic="sync",
        noun="box time",
    ),
    Entity(
        name="sync_rejections",
        owner="local",
        fields={
            "source": TEXT,
            "seq": INT.or_null,
            "event_id": TEXT,
            "entity": TEXT,
            "entity_id": TEXT,
            "op": TEXT,
            "fields": TEXT,  # JSON text of what the event changed
            "actor": TEXT.or_null,
            "code": TEXT,
            "message": TEXT,
            "created_at": TEXT,
        },
        secret=frozenset({"fields"}),  # an event's fields may hold a PIN's hash
        topic="sync",
        noun="rejected sync event",
    ),
    # The POS (edge/domain/checks.py, payments.py, shifts.py, reports.py): the store's rules
    # and promo codes are the hub's; checks, payments, shifts and reports are born at the store.
    Entity(
        name="pos_settings",
        owner="hub",
        fields={
            "service_bp": INT.with_default(0),
            "service_min_covers": INT.with_default(0),
            "discount_limit_bp": INT.with_default(1000),
            "cash_rounding": INT.with_default(1),
        },
        topic="pos",
        noun="POS settings",
    ),
    Entity(
        name="promo_codes",
        owner="hub",
        fields={
            "code": TEXT,
            "kind": TEXT,
            "value": INT,
            "valid_from": TEXT.or_null,
            "valid_until": TEXT.or_null,
            "min_spend": INT.with_default(0),
            "max_discount": INT.or_null,
            "usage_limit": INT.or_null,
            "stackable": _OFF,
            "active": _ON,
        },
        topic="store",
        noun="promo code",
    ),
    Entity(
        name="checks",
        owner="edge",
        fields={
            "business_day": TEXT,
            "table_id": TEXT.or_null,
            "parent_id": TEXT.or_null,
            "label": _BLANK,
            "position": _POSITION,
            "status": TEXT.with_default("open"),
            "service_bp": INT.or_null,
            "total": INT.with_default(0),
            "opened_by": TEXT,
            "created_at": TEXT,
            "paid_at": TEXT.or_null,
            "paid_day": TEXT.or_null,
            "receipt_token": TEXT.or_null,  # the digital receipt's key: whoever has it reads it
            "amounts": JSON.or_null,  # what it came to when paid: the reports' figures
            "rules": JSON.or_null,  # the tax rules a check was split (or paid whole) under
        },
        secret=frozenset({"receipt_token"}),
        parts="check_items",
        topic="pos",
        noun="check",
    ),
    Entity(
        name="check_items",
        owner="edge",
        fields={
            "check_id": TEXT,
            "line_id": TEXT,
            "share_num": INT.with_default(1),
            "share_den": INT.with_default(1),
        },
        topic="pos",
        noun="check item",
    ),
    Entity(
        name="check_discounts",
        owner="edge",
        fields={
            "check_id": TEXT,
            "line_id": TEXT.or_null,
            "kind": TEXT,
            "value": INT,
            "reason": _BLANK,
            "promo_code_id": TEXT.or_null,
            "created_by": TEXT,
            "created_at": TEXT,
            "cap": INT.or_null,  # a manager's percent: at most what it came to when approved
        },
        topic="pos",
        noun="discount",
    ),
    Entity(
        name="shifts",
        owner="edge",
        fields={
            "device": TEXT,
            "business_day": TEXT,
            "status": TEXT.with_default("open"),
            "float": INT,
            "opened_by": TEXT,
            "opened_at": TEXT,
            "closed_by": TEXT.or_null,
            "closed_at": TEXT.or_null,
            "counted": JSON.or_null,
            "declared": INT.or_null,
            "expected": INT.or_null,
            "variance": INT.or_null,
        },
        topic="pos",
        noun="shift",
    ),
    Entity(
        name="drawer_moves",
        owner="edge",
        fields={
            "shift_id": TEXT,
            "kind": TEXT,
            "amount": INT.with_default(0),
            "reason": TEXT,
            "created_by": TEXT,
            "created_at": TEXT,
        },
        topic="pos",
        noun="drawer move",
    ),
    Entity(
        name="payments",
        owner="edge",
        fields={
            "check_id": TEXT,
            "shift_id": TEXT.or_null,  # none: paid at the table
            "business_day": TEXT,
            "method": TEXT,
            "amount": INT,
            "rounding": INT.with_default(0),
            "tip": INT.with_default(0),
            "given": INT.with_default(0),
            "change": INT.with_default(0),
            "reference": _BLANK,
            "refunded": INT.with_default(0),
            "taken_by": TEXT,
            "created_at": TEXT,
        },
        topic="pos",
        noun="payment",
    ),
    Entity(
        name="refunds",
        owner="edge",
        fields={
            "payment_id": TEXT,
            "shift_id": TEXT,
            "business_day": TEXT,
            "method": TEXT,
            "amount": INT,
            "reason": TEXT,
            "created_by": TEXT,
            "created_at": TEXT,
            "approved_by": TEXT.or_null,
        },
        topic="pos",
        noun="refund",
    ),
    Entity(
        name="reports",
        owner="edge",
        fields={
            "kind": TEXT,
            "business_day": TEXT,
            "data": JSON,
            "created_by": TEXT,
            "created_at": TEXT,
        },
        topic="reports",
        noun="report",
    ),
    Entity(
        name="pay_links",
        owner="edge",
        fields={
            "check_id": TEXT,
            "provider_ref": TEXT,
            "amount": INT,
            "url": TEXT,
            "status": TEXT.with_default("pending"),
            "payment_id": TEXT.or_null,
            "created_by": TEXT,
            "created_at": TEXT,
        },
        topic="pos",
        noun="pay link",
    ),
    Entity(
        name="provider_events",  # the payment provider's webhook deliveries, each once
        owner="local",
        fields={"provider_ref": TEXT, "kind": TEXT, "received_at": TEXT},
        topic="pos",
        noun="payment provider's event",
    ),
)

ENTITIES: dict[str, Entity] = {entity.name: entity for entity in _DECLARED}


def synced() -> tuple[Entity, ...]:
    """The entities that travel between edge and hub (owner `hub` or `edge`)."""
    return tuple(entity for entity in _DECLARED if entity.owner != "local")


def split_parts(entity: str, fields: Mapping[str, Any]) -> tuple[dict[str, Any], list[Row]]:
    """An event's canonical fields apart from the part rows it created with them (an order's
    new lines, listed under `fields["order_lines"]`, each with its `id`), those as rows."""
    own = dict(fields)
    part = ENTITIES[entity].parts
    if part is None or part not in own:
        return own, []
    return own, [(part, row["id"], _without_id(row)) for row in own.pop(part)]


def _without_id(row: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(row)  # copied whole, then the id taken out: twice as fast as picking the rest
    del values["id"]
    return values
