"""The running store box: database, writer, readers, realtime bus, sign-in cache, open sockets,
identity.

One `Box` per process. HTTP handlers reach it as `request.app.state.box` and do their work
through `write` (the writer thread) and `read` (a pool of read-only connections off the loop).
It listens to every committed transaction: a sign-in that ends leaves the cache and closes its
websockets in the same turn of the event loop that publishes the event, so not one more event
reaches them.
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
from edge.domain import devices, menu
from edge.domain import staff as staff_domain
from edge.errors import TooMany, Unauthorized
from edge.events import Event, to_json
from edge.permissions import Actor
from edge.print_worker import PrintService
from edge.realtime import Bus, Subscription, topic_of
from edge.writer import Writer
from sync.attempts import Attempts
from sync.clock import utcnow
from sync.ids import uuid7

log = logging.getLogger(__name__)
T = TypeVar("T")
# Pairing tries one client address may make (a code has 38 bits: never found this way).
PAIRING_TRIES, PAIRING_WINDOW_S = 10, 600


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
        self._sessions_changed = 0  # counts what empties `_sessions`: a read may be stale
        self._sockets: dict[str, set[Subscription]] = {}  # by the hash of the sign-in's token
        self._pairing = Attempts(PAIRING_TRIES, PAIRING_WINDOW_S)
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
        """The staff member a bearer token belongs to; cached until it expires or changes. A
        token whose sign-in ended is told why (`staff.ended`)."""
        if not token:
            raise Unauthorized("sign in first", code="sign_in_required")
        key = staff_domain.token_id(token)
        cached = self._sessions.get(key)
        if cached is None:
            changed = self._sessions_changed
            cached = await self.read(staff_domain.session_actor, key)
            if changed == self._sessions_changed:  # not ended while it was being read
                self._sessions[key] = cached
        actor, expires_at = cached
        if expires_at <= utcnow():
            self._sessions.pop(key, None)
            raise staff_domain.ended("expired")
        return actor

    async def device(self, credential: str | None) -> dict[str, str]:
        """The paired device ({id, name}) whose credential a request sent, or a 401."""
        return await self.read(devices.by_credential, credential)

    def count_pairing(self, address: str) -> None:
        """One pairing try from `address`, or a 429 once it made too many."""
        wait = self._pairing.wait(address)
        if wait:
            raise TooMany(
                f"too many pairing tries from this address; try again in {wait} s",
                retry_after=wait,
            )

    def follow(self, token: str, topics: frozenset[str]) -> Subscription:
        """Subscribe a websocket of the sign-in `token` to `topics`: when the sign-in ends, the
        subscription ends with the reason (see `_on_events`)."""
        subscription = self.bus.subscribe(topics)
        self._sockets.setdefault(staff_domain.token_id(token), set()).add(subscription)
        return subscription

    def unfollow(self, token: str, subscription: Subscription) -> None:
        self.bus.unsubscribe(subscription)
        key = staff_domain.token_id(token)
        open_sockets = self._sockets.get(key, set())
        open_sockets.discard(subscription)
        if not open_sockets:
            self._sockets.pop(key, None)

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
                self._sessions_changed += 1
                reason = event.fields.get("end_reason")
                for subscription in self._sockets.pop(event.entity_id, ()):
                    self.bus.end(subscription, staff_domain.ended(reason or "signed_out"))
            elif event.entity == "staff":  # a new name, role or PIN
                self._forget("id", event.entity_id)
            elif event.entity == "devices":  # a device renamed or revoked
                self._forget("device_id", event.entity_id)

    def _forget(self, key: str, value: str) -> None:
        """Drop the cached sign-ins whose actor's `key` is `value` (a staff member's, or those
        on a device): they are read again when next used."""
        self._sessions = {k: v for k, v in self._sessions.items() if getattr(v[0], key) != value}
        self._sessions_changed += 1

    def close(self) -> None:
        self.printing.stop()
        self.writer.close()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()


def fresh_token() -> str:
    return secrets.token_urlsafe(32)
