"""The running store box: database, writer, readers, realtime bus, sign-in cache, identity.

One `Box` per process. HTTP handlers reach it as `request.app.state.box` and do their work
through `write` (the writer thread) and `read` (a pool of read-only connections off the loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

from edge import db, events
from edge.config import EdgeSettings
from edge.domain import menu
from edge.domain import staff as staff_domain
from edge.errors import Unauthorized
from edge.events import Event, to_json
from edge.permissions import Actor
from edge.print_worker import PrintService
from edge.realtime import Bus, topic_of
from edge.writer import Writer
from sync.clock import utcnow
from sync.ids import uuid7

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Identity:
    """Made at first boot and never synced: the HLC node name and the QR signing secret."""

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


class Box:
    def __init__(
        self,
        settings: EdgeSettings,
        loop: asyncio.AbstractEventLoop,
        *,
        after_sync: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.path = settings.database
        self.identity = prepare(self.path)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        with contextlib.closing(db.connect(self.path, readonly=True)) as conn:
            last = events.last_seq(conn)
        self.bus = Bus(loop, last)
        self.writer = Writer(
            self.path,
            self.identity.node,
            publish=self.bus.from_writer,
            max_batch=settings.writer_max_batch,
            after_sync=after_sync,
        )
        self.menu_seq = last
        self._menu_cache: tuple[int, bytes] | None = None
        self._sessions: dict[str, tuple[Actor, datetime]] = {}
        self.bus.listen(self._on_events)
        self.printing = PrintService(self, threads=settings.print_workers)
        self.printing.start()

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.writer.run_on(self.bus.loop, fn, *args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(conn, *args)` on a read-only connection in a worker thread."""
        return await anyio.to_thread.run_sync(self._read, fn, args)

    def read_now(self, fn: Callable[..., T], *args: Any) -> T:
        """The same, on the caller's thread: for reads of a few microseconds."""
        return self._read(fn, args)

    def _read(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = db.connect(self.path, readonly=True)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return fn(conn, *args)

    async def actor(self, token: str | None) -> Actor:
        """The staff member a bearer token belongs to; cached until it expires or changes."""
        if not token:
            raise Unauthorized("sign in first", code="sign_in_required")
        key = staff_domain.token_id(token)
        cached = self._sessions.get(key)
        if cached is None:
            found = await self.read(staff_domain.session_actor, key)
            if found is None:
                raise Unauthorized("your sign-in has ended; sign in again", code="session_ended")
            self._sessions[key] = cached = found
        actor, expires_at = cached
        if expires_at <= utcnow():
            self._sessions.pop(key, None)
            raise Unauthorized("your sign-in has ended; sign in again", code="session_ended")
        return actor

    async def menu_json(self) -> tuple[int, bytes]:
        """The public menu as JSON bytes and the event seq it is current to (its ETag)."""
        version = self.menu_seq
        cache = self._menu_cache
        if cache is None or cache[0] != version:
            snapshot = await self.read(menu.snapshot)
            body = to_json(snapshot).encode()
            cache = self._menu_cache = (version, body)
        return cache

    def _on_events(self, batch: list[Event]) -> None:
        for event in batch:
            family = topic_of(event)
            if family == "menu" or event.entity == "store":
                self.menu_seq = event.seq
            elif event.entity == "staff_sessions" and event.op == "update":
                self._sessions.pop(event.entity_id, None)
            elif event.entity == "staff":
                self._sessions = {
                    k: v for k, v in self._sessions.items() if v[0].id != event.entity_id
                }

    def close(self) -> None:
        self.printing.stop()
        self.writer.close()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()


def fresh_token() -> str:
    return secrets.token_urlsafe(32)
