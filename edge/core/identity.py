"""Who this box is, and where it stands with the hub: one small module reads and writes both.

Made at first boot and kept in the `box` table: the node name, which sets the box's events apart
in the hybrid logical clock, and the QR secret, which signs table QR codes (HMAC) and so never
leaves the box, not even in an export.

Kept in `sync_state` (one row): once enrolled, the hub's tenant and store ids, the id of the
box's device key (the key itself is a file, `sync.signing`) and the hub's address; and the two
cursors, the last seq the hub acknowledged (`push_cursor`: the outbox starts after it) and the
last hub change applied here (`pull_cursor`: the next pull asks after it). None of it is
synced, broadcast or exported, and none of it is an event: the sync service moves a cursor in
the writer, in the same transaction as the work it stands for (`pushed`, `pulled`).
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from edge.core import db
from sync.clock import now_iso
from sync.ids import uuid7


@dataclass(frozen=True)
class Identity:
    node: str
    qr_secret: bytes


def prepare(path: Path) -> Identity:
    """Create or upgrade the database and make the box's identity if it has none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = db.connect(path)
    try:
        db.migrate(conn)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT OR IGNORE INTO box VALUES ('node', ?)", (uuid7()[-12:],))
        conn.execute("INSERT OR IGNORE INTO box VALUES ('qr_secret', ?)", (secrets.token_hex(32),))
        conn.execute("COMMIT")
        values = dict(conn.execute("SELECT name, value FROM box").fetchall())
    finally:
        conn.close()
    return Identity(node=values["node"], qr_secret=bytes.fromhex(values["qr_secret"]))


@dataclass(frozen=True)
class SyncState:
    tenant_id: str | None  # the hub's ids, None until enrolled
    store_id: str | None
    key_id: str | None  # the device key's (sync.signing.DeviceKey.key_id)
    hub_url: str | None
    enrolled_at: str | None
    push_cursor: int  # the last seq the hub acknowledged
    pull_cursor: int  # the last hub change applied here

    @property
    def enrolled(self) -> bool:
        return self.store_id is not None


def sync_state(conn: sqlite3.Connection) -> SyncState:
    row = conn.execute(
        "SELECT tenant_id, store_id, key_id, hub_url, enrolled_at, push_cursor, pull_cursor"
        " FROM sync_state"
    ).fetchone()
    return SyncState(*row)


def enrol(
    conn: sqlite3.Connection, *, tenant_id: str, store_id: str, key_id: str, hub_url: str
) -> None:
    """The box is now the hub's `store_id` of `tenant_id`, signing with `key_id`. Enrolled again
    for the same store (a new key after a revoked one), it keeps its cursors; for another store,
    both start again: that store's pushes and changes are others."""
    conn.execute(
        "UPDATE sync_state SET push_cursor = 0, pull_cursor = 0 WHERE store_id IS NOT ?",
        (store_id,),
    )
    conn.execute(
        "UPDATE sync_state SET tenant_id = ?, store_id = ?, key_id = ?, hub_url = ?,"
        " enrolled_at = ?",
        (tenant_id, store_id, key_id, hub_url, now_iso()),
    )


def pushed(conn: sqlite3.Connection, seq: int) -> None:
    """The hub has every pushed event up to `seq` (its acknowledgement, or its `push_upto` when
    it answers a gap: the outbox starts after it again)."""
    conn.execute("UPDATE sync_state SET push_cursor = ?", (seq,))


def pulled(conn: sqlite3.Connection, cursor: int) -> None:
    """The hub's change at `cursor` is applied: call it in the write that applied it."""
    conn.execute("UPDATE sync_state SET pull_cursor = ?", (cursor,))


# A box enrolled while it held no store (a replacement) takes the store's setup from the hub: it
# waits, closed to trade, until its first whole pull brought the store row. The mark is kept in
# `box` so that a box restarted half-way through that pull still waits for the rest.
_AWAITING_SETUP = "awaiting_setup"


def awaiting_setup(conn: sqlite3.Connection) -> bool:
    """Whether the box waits for its store's setup from the hub (it holds no store yet, or its
    first pull has yet to finish)."""
    if conn.execute("SELECT 1 FROM store").fetchone() is None:
        return True
    marked = conn.execute("SELECT 1 FROM box WHERE name = ?", (_AWAITING_SETUP,))
    return marked.fetchone() is not None


def await_setup(conn: sqlite3.Connection) -> None:
    """The box, enrolled without a store of its own, takes the store's from the hub."""
    conn.execute("INSERT OR IGNORE INTO box VALUES (?, ?)", (_AWAITING_SETUP, now_iso()))


def setup_arrived(conn: sqlite3.Connection) -> bool:
    """Call once a pull has brought everything the hub had: the wait ends if the store came."""
    if conn.execute("SELECT 1 FROM store").fetchone() is None:
        return False
    conn.execute("DELETE FROM box WHERE name = ?", (_AWAITING_SETUP,))
    return True
