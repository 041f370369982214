"""The store's POS rules and its promo codes: configuration the hub holds the truth for, which a
manager may still change on the box while it is offline.

The rules are one row, made by the first change (until then every rule has its default): the
service charge (a percent, for parties of at least some size), the largest discount a cashier
gives without a manager, and the smallest coin cash is rounded to.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from edge.core.events import WriteConnection, cached, commit
from edge.core.permissions import Actor, require
from edge.domain.rows import existing
from service import fields as f
from service.errors import Conflict, Invalid
from service.shapes import FLAG, HUB_REV, ID, described, shape
from sync.clock import iso, parse_iso
from sync.entities import ENTITIES
from sync.ids import uuid7

SETTINGS = f.Form(
    {
        "service_bp": f.Field("Service charge", f.basis_points),
        "service_min_covers": f.Field("Service charge from party size", f.integer(0, 500)),
        "discount_limit_bp": f.Field("Largest discount without a manager", f.basis_points),
        "cash_rounding": f.Field("Round cash to", f.integer(1, 100_000)),
    }
)
SETTINGS_VIEW = shape("PosSettings", described(SETTINGS))
_DEFAULTS = {name: kind.default for name, kind in ENTITIES["pos_settings"].fields.items()}


def current(conn: sqlite3.Connection) -> dict[str, Any]:
    """The rules (kept on the writer's connection until a change on the `pos` topic)."""

    def build() -> dict[str, Any]:
        row = conn.execute("SELECT * FROM pos_settings LIMIT 1").fetchone()
        return {key: row[key] for key in _DEFAULTS} if row else dict(_DEFAULTS)

    return cached(conn, "pos", build)


def update(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    require(actor, "settings.edit")
    changes = SETTINGS.clean(values, partial=True)
    row = conn.execute("SELECT id FROM pos_settings LIMIT 1").fetchone()
    if row is None:
        commit(conn, actor.id, "pos_settings", uuid7(), "create", {**_DEFAULTS, **changes})
    else:
        commit(conn, actor.id, "pos_settings", row["id"], "update", changes)
    return current(conn)


@f.accepts({"type": "string", "format": "date-time"})
def _instant(name: str, value: Any) -> str:
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
def _code(name: str, value: Any) -> str:
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
        "code": f.Field("Code", _code),
        "kind": f.Field("Kind", f.choice("percent", "fixed")),
        "value": f.Field("Value", f.integer(0, 100_000_000)),
        "valid_from": f.Field("Valid from", f.optional(_instant)),
        "valid_until": f.Field("Valid until", f.optional(_instant)),
        "min_spend": f.Field("Minimum spend", f.amount(100_000_000)),
        "max_discount": f.Field("Maximum discount", f.optional(f.amount(100_000_000))),
        "usage_limit": f.Field("Usage limit", f.optional(f.integer(1, 1_000_000))),
        "stackable": f.Field("Stacks with other discounts", f.boolean),
        "active": f.Field("Active", f.boolean),
    },
    required=("code", "kind", "value"),
    checks=(_promo_rules,),
)
PROMO_VIEW = shape(
    "PromoCode",
    {
        "id": ID,
        **described(PROMO),
        "stackable": FLAG,
        "active": FLAG,
        "uses": {"type": "integer", "minimum": 0, "description": "checks it is on"},
        "hub_rev": HUB_REV,
    },
)


def create_promo(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> str:
    require(actor, "settings.edit")
    row = PROMO.clean(values)
    _unique_code(conn, row["code"])
    promo_id = uuid7()
    defaults = {k: v for k, v in ENTITIES["promo_codes"].fields.items()}
    full = {k: row.get(k, kind.default) for k, kind in defaults.items()}
    commit(conn, actor.id, "promo_codes", promo_id, "create", full)
    return promo_id


def update_promo(
    conn: WriteConnection, actor: Actor, promo_id: str, values: dict[str, Any]
) -> None:
    require(actor, "settings.edit")
    found = existing(conn, "promo_codes", promo_id, "promo code")
    changes = PROMO.clean(values, partial=True, current=dict(found))
    if "code" in changes and changes["code"] != found["code"]:
        _unique_code(conn, changes["code"])
    commit(conn, actor.id, "promo_codes", promo_id, "update", changes)


def _unique_code(conn: sqlite3.Connection, code: str) -> None:
    if conn.execute("SELECT 1 FROM promo_codes WHERE code = ?", (code,)).fetchone():
        raise Conflict(f"there is already a promo code {code}", code="duplicate_code")


_PROMOS = (
    "SELECT p.*, (SELECT COUNT(*) FROM check_discounts d WHERE d.promo_code_id = p.id) AS uses"
    " FROM promo_codes p"
)


def _promo_view(row: sqlite3.Row) -> dict[str, Any]:
    promo = dict(row)
    promo["stackable"], promo["active"] = bool(promo["stackable"]), bool(promo["active"])
    return promo


def list_promos(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [_promo_view(row) for row in conn.execute(f"{_PROMOS} ORDER BY p.code")]


def find_promo(conn: sqlite3.Connection, code: str) -> dict[str, Any]:
    row = conn.execute(f"{_PROMOS} WHERE p.code = ?", (_code("promo_code", code),)).fetchone()
    if row is None:
        raise Invalid("no such promo code", code="unknown_promo_code", field="promo_code")
    return _promo_view(row)
