"""The kitchen's configuration: its stations and its options (coursing, auto-fire, how old a
ticket may get before its tile turns amber and red). Both are the hub's, editable here.

A station is a code that menu items name (`menu_items.station`: BAR, KITCHEN, GRILL ...) with
the name its screens show. A menu item's station needs no row here (tickets are routed by the
code); a row gives the station its name and its place in the screens' station filter. Its
printer is the kitchen printer that lists its code (`store_printers.kitchen_printer`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from edge.core.events import WriteConnection, cached, commit
from edge.core.permissions import Actor, require
from edge.domain.duplicates import duplicate
from edge.domain.positions import next_position
from edge.domain.rows import existing
from service.config_fields import KITCHEN as SETTINGS
from service.config_fields import STATION
from service.shapes import ID, array, described, nullable, shape
from sync.ids import uuid7

DEFAULTS = {
    "hold_courses": True,
    "auto_fire": False,
    "auto_fire_delay": 0,
    "warn_minutes": 8,
    "late_minutes": 15,
}

STATION_VIEW = shape(
    "Station",
    {"id": nullable({**ID, "description": "null: a code items use, no row"}), **described(STATION)},
)
SETTINGS_VIEW = shape("KitchenSettings", described(SETTINGS))
KITCHEN_VIEW = shape(
    "Kitchen",
    {
        "stations": array(STATION_VIEW, "in the screens' order; and any code items use"),
        "settings": SETTINGS_VIEW,
    },
)


def create_station(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> str:
    require(actor, "kitchen.edit")
    row = STATION.clean(values)
    _check_free(conn, row["code"])
    row = {"position": next_position(conn, "stations"), "active": True, **row}
    station_id = uuid7()
    commit(conn, actor.id, "stations", station_id, "create", row)
    return station_id


def update_station(
    conn: WriteConnection, actor: Actor, station_id: str, values: dict[str, Any]
) -> None:
    require(actor, "kitchen.edit")
    row = existing(conn, "stations", station_id, "station")
    changes = STATION.clean(values, partial=True)
    if changes.get("code", row["code"]) != row["code"]:
        _check_free(conn, changes["code"])
    commit(conn, actor.id, "stations", station_id, "update", changes)


def _check_free(conn: sqlite3.Connection, code: str) -> None:
    taken = duplicate(conn, "stations", {"code": code})
    if taken:
        raise taken


def settings(conn: sqlite3.Connection) -> dict[str, Any]:
    """The kitchen's options: the stored row, or the defaults until a manager changes one."""
    row = conn.execute("SELECT * FROM kitchen_settings").fetchone()
    if row is None:
        return dict(DEFAULTS)
    return {key: type(DEFAULTS[key])(row[key]) for key in DEFAULTS}


def current_settings(conn: sqlite3.Connection) -> dict[str, Any]:
    """The options, kept on the writer's connection until a change on the kitchen topic."""
    return cached(conn, "kitchen", lambda: settings(conn))


def update_settings(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    require(actor, "kitchen.edit")
    now = settings(conn)
    changes = SETTINGS.clean(values, partial=True, current=now)
    row = conn.execute("SELECT id FROM kitchen_settings").fetchone()
    if row is None:
        commit(conn, actor.id, "kitchen_settings", uuid7(), "create", {**now, **changes})
    else:
        commit(conn, actor.id, "kitchen_settings", row["id"], "update", changes)
    return settings(conn)


def kitchen(conn: sqlite3.Connection) -> dict[str, Any]:
    """The stations (configured ones in their order, then codes menu items use that have no
    row, named by their code) and the options: what a kitchen screen needs to start."""
    stations = [
        {**dict(row), "active": bool(row["active"])}
        for row in conn.execute(
            "SELECT id, code, name, position, active FROM stations ORDER BY position, code"
        )
    ]
    known = {station["code"] for station in stations}
    for (code,) in conn.execute(
        "SELECT DISTINCT station FROM menu_items WHERE active ORDER BY station"
    ):
        if code not in known:
            stations.append(
                {"id": None, "code": code, "name": code.title(), "position": 0, "active": True}
            )
    return {"stations": stations, "settings": settings(conn)}
