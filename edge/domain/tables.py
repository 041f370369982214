"""Areas, tables, and the signed token in each table's QR code.

A token is `<table id>.<qr version>.<signature>`: HMAC-SHA256 with the store's QR secret over the
table id, the table's `qr_version` and the store's `qr_epoch`. Bumping the table's version voids
its printed codes; bumping the epoch voids every code in the store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import sqlite3
from typing import Any

from edge.core.events import WriteConnection, commit
from edge.core.permissions import Actor, require
from edge.domain.duplicates import unique
from edge.domain.positions import arrange, next_position
from edge.domain.rows import existing
from service.config_fields import AREA, TABLE
from service.errors import Forbidden
from service.shapes import ID, array, described, shape
from sync.ids import is_uuid, uuid7

QR_VERSION = {"type": "integer", "minimum": 1, "description": "bumped to void printed QR codes"}

# What `floor` answers: areas with their tables, in order.
TABLE_VIEW = shape("Table", {"id": ID, **described(TABLE), "qr_version": QR_VERSION})
AREA_VIEW = shape("Area", {"id": ID, **described(AREA), "tables": array(TABLE_VIEW)})


def create_area(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> str:
    require(actor, "tables.edit")
    row = AREA.clean(values)
    row.setdefault("position", next_position(conn, "areas"))
    area_id = uuid7()
    commit(conn, actor.id, "areas", area_id, "create", row)
    return area_id


def update_area(conn: WriteConnection, actor: Actor, area_id: str, values: dict[str, Any]) -> None:
    require(actor, "tables.edit")
    _get(conn, "areas", area_id)
    commit(conn, actor.id, "areas", area_id, "update", AREA.clean(values, partial=True))


def create_table(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> str:
    require(actor, "tables.edit")
    row = TABLE.clean(values, checks=(unique(conn, "tables"),))
    _get(conn, "areas", row["area_id"], field="area_id")
    row.setdefault("position", next_position(conn, "tables", "area_id = ?", (row["area_id"],)))
    table_id = uuid7()
    commit(conn, actor.id, "tables", table_id, "create", row)
    return table_id


def update_table(conn: WriteConnection, actor: Actor, table_id: str, values: dict[str, Any]):
    """Rename, move, resize, enable or disable a table (a disabled table takes no QR orders)."""
    require(actor, "tables.edit")
    current = _get(conn, "tables", table_id)
    row = TABLE.clean(values, partial=True, checks=(unique(conn, "tables", table_id),))
    if row.get("area_id", current["area_id"]) != current["area_id"]:
        _get(conn, "areas", row["area_id"], field="area_id")
        if "position" not in row:  # it goes to the end of its new area
            row["position"] = next_position(conn, "tables", "area_id = ?", (row["area_id"],))
    commit(conn, actor.id, "tables", table_id, "update", row)


def arrange_areas(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> None:
    """The areas in the order the floor shows them: `{"ids": [every area id]}`."""
    require(actor, "tables.edit")
    arrange(conn, actor.id, "areas", values, "areas")


def arrange_tables(conn: WriteConnection, actor: Actor, area_id: str, values: dict[str, Any]):
    """An area's tables in the order the floor and the QR sheet show them."""
    require(actor, "tables.edit")
    _get(conn, "areas", area_id)
    arrange(conn, actor.id, "tables", values, "tables", "area_id = ?", (area_id,))


def rotate_qr(conn: WriteConnection, actor: Actor, table_id: str) -> int:
    """Void the table's printed QR codes; the next sheet carries a new token."""
    require(actor, "tables.edit")
    table = _get(conn, "tables", table_id)
    version = table["qr_version"] + 1
    commit(conn, actor.id, "tables", table_id, "update", {"qr_version": version})
    return version


def rotate_all_qr(conn: WriteConnection, actor: Actor) -> int:
    """Void every printed QR code of the store at once."""
    require(actor, "tables.edit")
    store = conn.execute("SELECT id, qr_epoch FROM store").fetchone()
    commit(conn, actor.id, "store", store["id"], "update", {"qr_epoch": store["qr_epoch"] + 1})
    return store["qr_epoch"] + 1


def floor(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Areas with their tables, in order, for the pages."""
    areas = [
        {**dict(row), "tables": []}
        for row in conn.execute("SELECT id, name, position FROM areas ORDER BY position")
    ]
    by_id = {a["id"]: a for a in areas}
    for row in conn.execute(
        "SELECT id, area_id, name, seats, enabled, qr_version, position FROM tables"
        " ORDER BY position, name"
    ):
        by_id[row["area_id"]]["tables"].append({**dict(row), "enabled": bool(row["enabled"])})
    return areas


def qr_token(secret: bytes, table_id: str, qr_version: int, qr_epoch: int) -> str:
    return f"{table_id}.{qr_version}.{_signature(secret, table_id, qr_version, qr_epoch)}"


_VERSION = re.compile(r"[0-9]{1,18}")


def check_qr_token(conn: sqlite3.Connection, secret: bytes, token: str) -> dict[str, Any]:
    """The table a guest's token names, if the signature and the versions are current."""
    parts = token.split(".") if isinstance(token, str) else []
    # ASCII digits only: str.isdigit() also takes "²" and "١", which int() then refused (a 500
    # to anyone on the Wi-Fi)
    if len(parts) != 3 or not is_uuid(parts[0]) or not _VERSION.fullmatch(parts[1]):
        raise Forbidden("this QR code is not valid", code="bad_qr_token")
    table_id, version = parts[0], int(parts[1])
    epoch = conn.execute("SELECT qr_epoch FROM store").fetchone()["qr_epoch"]
    # as bytes: compare_digest refuses a str with a letter beyond ASCII (a 500 to any phone)
    expected = _signature(secret, table_id, version, epoch).encode()
    table = conn.execute("SELECT * FROM tables WHERE id = ?", (table_id,)).fetchone()
    if (
        not hmac.compare_digest(expected, parts[2].encode())
        or table is None
        or table["qr_version"] != version
    ):
        raise Forbidden("this QR code is not valid any more", code="bad_qr_token")
    return dict(table)


def _signature(secret: bytes, table_id: str, version: int, epoch: int) -> str:
    message = f"table:{table_id}:{version}:{epoch}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def _get(
    conn: sqlite3.Connection, table: str, row_id: str, *, field: str | None = None
) -> sqlite3.Row:
    return existing(conn, table, row_id, "area" if table == "areas" else "table", field)
