"""Setting up a new box's store: the store row, a first tax rate and the owner who signs in."""

from __future__ import annotations

import sqlite3
from typing import Any

from edge.domain import menu, staff, store
from edge.events import WriteConnection
from edge.permissions import SYSTEM


def is_set_up(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM store").fetchone() is not None


def set_up(
    conn: WriteConnection,
    store_name: str,
    owner_name: str,
    owner_pin_hash: str,
    settings: dict[str, Any] | None = None,
) -> str:
    """One transaction: the store, a 0 % tax rate to start from, and its owner."""
    store.create(conn, SYSTEM, store_name, **(settings or {}))
    menu.create_tax_rate(conn, SYSTEM, {"name": "No tax", "rate_bp": 0})
    return staff.create(conn, SYSTEM, owner_name, "owner", owner_pin_hash)
