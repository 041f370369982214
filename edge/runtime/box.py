"""The running store box: database, writer, readers, realtime bus, sign-ins, print workers,
the kitchen's auto-fire timer and the sync with the hub.

One `Box` per process. HTTP handlers reach it with `box_of(request)` and do their work through
`write` (the writer thread) and `read` (a pool of read-only connections off the loop). It keeps
the public menu's JSON until a commit on a topic it is made of (`MENU_TOPICS`), and prunes its
history at night (`housekeeping`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
import httpx
from starlette.requests import HTTPConnection

from edge.core import db, events, identity
from edge.core.config import EdgeSettings
from edge.core.events import Event, to_json, topic_of
from edge.core.idempotency import Seen
from edge.core.retention import Keep
from edge.domain import box_time, menu, prep_times
from edge.runtime import box_clock
from edge.runtime.auth import SignIns
from edge.runtime.auto_fire import AutoFire
from edge.runtime.guests import Guests
from edge.runtime.housekeeping import Housekeeping
from edge.runtime.pacing import Pacing
from edge.runtime.print_service import PrintService
from edge.runtime.realtime import Bus
from edge.runtime.sync_service import SyncService
from edge.runtime.writer import Writer
from sync.clock import shift, shifted_ms

log = logging.getLogger(__name__)
T = TypeVar("T")


def box_of(conn: HTTPConnection) -> Box:
    """The box a request reaches (one per process)."""
    return conn.app.state.box


# What the public menu's JSON is made of: a commit on these topics makes it stale.
MENU_TOPICS = frozenset({"menu", "store"})


class Box:
    def __init__(
        self,
        settings: EdgeSettings,
        loop: asyncio.AbstractEventLoop,
        *,
        after_sync: Callable[[], None] | None = None,
        hub_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.path = settings.database
        self.identity = identity.prepare(self.path)
        self._local = threading.local()
        with contextlib.closing(db.connect(self.path, readonly=True)) as conn:
            last = events.last_seq(conn)
            self.keys = Seen.load(conn)  # the Idempotency-Keys stored (`edge.api.idempotency`)
            given = box_time.offset_ms(conn)  # the time a manager gave it, until NTP sets it
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
        self.prep_days = prep_times.Days()  # the prep-time report's past days, read once
        # One refund at a time from its plan to its record, and no shift closed meanwhile: a
        # provider's refund is money gone, which the box must then record (`edge.api.pos`).
        self.refunds = asyncio.Lock()
        self.bus.listen(self._on_events)
        self.sign_ins = SignIns(self.read, self.write, self.bus, settings.session_hours)
        self.guests = Guests(self.read_now, self.identity.qr_secret, self.bus)
        self.printing = PrintService(
            self.read_now, self.writer.submit, self.bus.listen_later, threads=settings.print_workers
        )
        self.printing.start()
        self.auto_fire = AutoFire(self.read_now, self.write, loop)
        self.sync = SyncService(
            settings,
            self.read,
            self.write,
            lambda: self.bus.last_seq,
            Pacing(lambda: self.writer.stats.writes, self.writer.backlog),
            transport=hub_transport,
        )
        self.sync.awaiting_setup = self.read_now(identity.awaiting_setup)
        if not self.sync.awaiting_setup:
            self.sync.set_up.set()
        self.housekeeping = Housekeeping(
            self.write,
            Keep(settings.keep_local_days, settings.keep_synced_days),
            self.read_now(_timezone),
        )
        self.housekeeping.start()
        self._given = 0  # the offset a manager gave the box's clock (`edge.domain.box_time`)
        if given and settings.clock_sync_file.exists():
            self.writer.run_sync(box_time.dropped)  # NTP set the clock while the box was off
        elif given:
            self.run_on(given)

    async def clock(self) -> dict[str, Any]:
        """Whether the box may trust its clock (`edge.runtime.box_clock`). Once NTP has set the
        system clock (its flag file, or the clock stepped: `sync.clock`), the time a manager
        gave the box is dropped for good: it is on its own clock again."""
        if self._given and (self.settings.clock_sync_file.exists() or not shifted_ms()):
            self.run_on(0)
            await self.write(box_time.dropped)
        recorded = self.writer.clock.latest_ms
        return box_clock.reading(
            self.settings.clock_sync_file, recorded, self.sync.hub_offset_s, bool(self._given)
        )

    def clock_set_by_ntp(self) -> bool:
        """Whether NTP has set the system clock (timesyncd's flag file): then no one sets it."""
        return self.settings.clock_sync_file.exists()

    def run_on(self, offset_ms: int) -> None:
        """Every reading of the process's clock `offset_ms` from the system clock (as a manager
        gave it, `edge.domain.box_time`, or 0 once NTP set the clock); the hub's
        clock, as it told it, is that much less ahead of the box's, and the night (the nightly
        work) comes at another system time."""
        self.sync.clock_moved(offset_ms - shifted_ms())
        shift(offset_ms)
        self._given = offset_ms
        self.housekeeping.clock_moved()

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
        return fn(conn, *args)

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
            if topic_of(event) in MENU_TOPICS:
                self.menu_seq = event.seq
            self.prep_days.changed(event.entity, event.entity_id)

    def close(self) -> None:
        shift(0)  # the process's clock is the box's: the next box reads its own offset
        self.auto_fire.stop()
        self.housekeeping.stop()
        self.printing.stop()
        self.writer.close()
        # Only this thread's connection is closed here. A worker thread's may still be in use by
        # a read its cancelled caller left running, and closing it under that read crashes the
        # process: it closes when its thread lets go of it (the thread ends, or the box goes).
        mine = getattr(self._local, "conn", None)
        if mine is not None:
            mine.close()


def _timezone(conn: sqlite3.Connection) -> str:
    """The store's time zone, which sets when the nightly work runs (UTC before provisioning)."""
    row = conn.execute("SELECT timezone FROM store").fetchone()
    return row[0] if row else "UTC"
