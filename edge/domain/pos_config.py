"""The store's POS rules and its promo codes: configuration the hub holds the truth for, which a
manager may still change on the box while it is offline.

The rules are one row, made by the first change (until then every rule has its default): the
service charge (a percent, for parties of at least some size), the largest discount a cashier
gives without a manager, and the smallest coin cash is rounded to.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from edge.core.events import WriteConnection, cached, commit
from edge.core.permissions import Actor, require
from edge.domain.duplicates import duplicate
from edge.domain.rows import existing
from service.config_fields import POS as SETTINGS
from service.config_fields import PROMO, promo_code
from service.errors import Invalid
from service.shapes import FLAG, HUB_REV, ID, described, shape
from sync.entities import ENTITIES
from sync.ids import uuid7

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
    taken = duplicate(conn, "promo_codes", {"code": code})
    if taken:
        raise taken


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
    row = conn.execute(f"{_PROMOS} WHERE p.code = ?", (promo_code("promo_code", code),)).fetchone()
    if row is None:
        raise Invalid("no such promo code", code="unknown_promo_code", field="promo_code")
    return _promo_view(row)
