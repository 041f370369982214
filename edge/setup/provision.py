"""Setting up a new box's store (the store row, a first tax rate and the owner who signs in), and
running setup writes outside a server: `galley edge init`, `galley edge pair` and the demo's
seeding."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from edge.core import db, identity
from edge.core.events import WriteConnection
from edge.core.identity import prepare
from edge.core.permissions import SYSTEM
from edge.domain import devices, menu, staff, store
from edge.runtime.writer import Writer

T = TypeVar("T")


def is_set_up(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM store").fetchone() is not None


def has_store(path: Path) -> bool:
    """Whether the database at `path` (made or brought up to date here) holds a store."""
    prepare(path)
    with contextlib.closing(db.connect(path, readonly=True)) as conn:
        return is_set_up(conn)


def enrolled(path: Path) -> bool:
    """Whether the box at `path` is enrolled with a hub (a replacement box is, with no store:
    it serves, closed, until the store's setup has come from the hub)."""
    with contextlib.closing(db.connect(path, readonly=True)) as conn:
        return identity.sync_state(conn).enrolled


def write_once(path: Path, fn: Callable[..., T], *args: Any) -> T:
    """Run one write on the box's writer, as the server would, without a server."""
    identity = prepare(path)
    writer = Writer(path, identity.node)
    try:
        return writer.run_sync(fn, *args)
    finally:
        writer.close()


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


def pairing_code(path: Path, *, name: str = "", hours: int = 1) -> dict[str, Any]:
    """A one-time pairing code made at the box's console, valid `hours`: whoever stands at the
    box is trusted, and the first device of a new store has nobody signed in to make one.
    Answers it as `devices.PAIRING_CODE` describes it."""
    values = {"name": name} if name else {}
    return write_once(path, devices.make_code, SYSTEM, devices.fresh_code(), values, hours * 60)
