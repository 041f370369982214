"""One thread owns the write connection; the event loop hands it work and awaits the result.

Whatever is queued when the thread comes round is committed together (group commit): one
`BEGIN IMMEDIATE ... COMMIT` and so one fsync for many writes. One failing write must not sink
the others. Most refusals come before a write changes anything, so the writes first run without
savepoints (each costs about 8 us of page copying per order, measured); only when a write fails
after changing rows is the transaction rolled back and the batch run again, each write in its
own savepoint. So a write function may run twice: it must read and change only the database
(never the world outside) and leave its arguments as it found them. A caller hears back only
after COMMIT returned, that is after the transaction is on disk (`synchronous=FULL`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from edge import db
from edge.errors import GalleyError, NotFound, StorageError
from edge.events import Event, WriteConnection
from sync.clock import HybridClock, Timestamp

log = logging.getLogger(__name__)

T = TypeVar("T")
Publish = Callable[[list[Event]], None]


@dataclass
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    loop: asyncio.AbstractEventLoop | None  # None: a plain thread's `submit`
    future: asyncio.Future[Any] | concurrent.futures.Future[Any]
    result: Any = None
    error: BaseException | None = None
    events: list[Event] = field(default_factory=list)


@dataclass
class WriterStats:
    commits: int = 0
    writes: int = 0
    failed_writes: int = 0
    reruns: int = 0  # batches run again, each write in a savepoint, after a half-done write


_STOP = object()


class Writer:
    def __init__(
        self,
        path: str | Path,
        node: str,
        *,
        publish: Publish | None = None,
        max_batch: int = 256,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        """`after_commit` runs in the writer thread after each COMMIT (tests use it to play a
        slow SD card); `publish` receives each transaction's events, in order, in the writer
        thread, after the commit and in commit order."""
        self.path = str(path)
        self.max_batch = max_batch
        self.publish = publish
        self.after_commit = after_commit
        self.stats = WriterStats()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._conn = db.connect(self.path, factory=WriteConnection)
        last = self._conn.execute("SELECT hlc FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        self._conn.clock = HybridClock(node, Timestamp.parse(last[0]) if last else None)
        self._conn.pending = []
        self._conn.cache = {}
        self._thread = threading.Thread(target=self._run, name="galley-writer", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(conn, *args)` in a write transaction; return once it is durable."""
        return await self.run_on(asyncio.get_running_loop(), fn, *args)

    async def run_on(self, loop: asyncio.AbstractEventLoop, fn: Callable[..., T], *args: Any) -> T:
        """`run` for a caller that knows its loop: asyncio.get_running_loop() makes a getpid()
        system call each time (strace: one per order)."""
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(fn, args, loop, future))
        return await future

    def submit(self, fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        """The same from any thread without an event loop (print workers): the future settles
        in the writer thread once the write is durable. Refused after `close`."""
        if self._closed:
            raise StorageError("the writer is closed")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put(_Job(fn, args, None, future))
        return future

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """The same from plain threads (CLI seeding, tests): blocks until durable."""
        return self.submit(fn, *args).result()

    def close(self) -> None:
        self._closed = True
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()
        self._conn.close()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is _STOP:
                    stop = True
                    break
                batch.append(job)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Job]) -> None:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            if not all(self._apply(conn, job) for job in batch):
                # A write failed half-way: undo everything, then each write in a savepoint.
                log.warning(
                    "a write failed after changing rows; its batch of %d runs again", len(batch)
                )
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                conn.cache.clear()
                self.stats.reruns += 1
                conn.execute("BEGIN IMMEDIATE")
                for job in batch:
                    self._apply_in_savepoint(conn, job)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.exception("write transaction failed; %d writes refused", len(batch))
            conn.cache.clear()
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for job in batch:
                job.error, job.events = StorageError(f"the write was not saved: {exc}"), []
            self.stats.failed_writes += len(batch)
        else:
            self.stats.commits += 1
            self.stats.writes += len(batch)
            if self.after_commit:
                self.after_commit()
        # Publish before answering: a caller that hears back then finds caches already current.
        events = [event for job in batch for event in job.events]
        if events and self.publish:
            self.publish(events)
        # One wake-up per event loop, not one per write; plain threads' futures settle here.
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in batch:
            if job.loop is None:
                _settle([job])
            else:
                by_loop.setdefault(job.loop, []).append(job)
        for loop, jobs in by_loop.items():
            loop.call_soon_threadsafe(_settle, jobs)

    @staticmethod
    def _apply(conn: WriteConnection, job: _Job) -> bool:
        """Run the write; False if it failed after changing rows (the batch must run again)."""
        changes = conn.total_changes
        exc = _run(conn, job)
        if exc is not None:
            if conn.total_changes != changes or not conn.in_transaction:
                return False
            _refuse(conn, job, exc)
        return True

    @staticmethod
    def _apply_in_savepoint(conn: WriteConnection, job: _Job) -> None:
        conn.execute("SAVEPOINT job")
        exc = _run(conn, job)
        if exc is not None:
            conn.execute("ROLLBACK TO job")
        conn.execute("RELEASE job")
        if exc is not None:
            _refuse(conn, job, exc)


def _run(conn: WriteConnection, job: _Job) -> BaseException | None:
    """`job.fn(conn, *args)`: its result and events on the job, or the exception it raised."""
    conn.pending = []
    try:
        job.result, job.error = job.fn(conn, *job.args), None
        job.events = conn.pending
        return None
    except BaseException as exc:
        return exc
    finally:
        conn.pending = []


def _refuse(conn: WriteConnection, job: _Job, exc: BaseException) -> None:
    """The write is refused and changed nothing (or was rolled back)."""
    conn.cache.clear()  # it may hold what the failed write read
    job.result, job.error, job.events = None, _translate(exc), []


def _translate(exc: BaseException) -> BaseException:
    if isinstance(exc, GalleyError):
        return exc
    if isinstance(exc, LookupError):
        return NotFound(str(exc))
    if isinstance(exc, sqlite3.IntegrityError):
        log.warning("write refused by a constraint: %s", exc)
        return StorageError(f"the write breaks a database rule: {exc}", code="constraint")
    if isinstance(exc, sqlite3.Error):
        log.exception("write failed", exc_info=exc)
        return StorageError(f"the write was not saved: {exc}")
    return exc


def _settle(jobs: list[_Job]) -> None:
    for job in jobs:
        if job.future.done():  # the caller went away (client disconnected); the write stands
            continue
        if job.error is not None:
            job.future.set_exception(job.error)
        else:
            job.future.set_result(job.result)
