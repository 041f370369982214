"""One thread owns the write connection; the event loop hands it work and awaits the result.

Whatever is queued when the thread comes round is committed together (group commit): one
`BEGIN IMMEDIATE ... COMMIT` and so one fsync for many writes. One failing write must not sink
the others. Most refusals come before a write changes anything, so the writes first run without
savepoints (each costs about 8 us of page copying per order, measured); only when a write fails
after changing rows is the transaction rolled back and the batch run again, each write in its
own savepoint. So a write function may run twice: it must read and change only the database
(never the world outside) and leave its arguments as it found them.

A caller hears back only once its transaction is on disk, but the writer does not wait for the
disk: it commits without a sync (`synchronous=NORMAL`) and goes on with the next batch while
syncer threads flush the WAL (`fdatasync`) for every batch committed meanwhile, then publish
their events and answer their callers, in commit order. Waiting in COMMIT for the fsync left
the box's core idle 13-15 % of the time under 20 clients (measured); this way the next batch's
work fills that time. There are two syncers, so a commit that lands while one fdatasync is
running starts its own at once instead of waiting for that one and then its own (a third of
the checkout benchmark's commits did: commit to disk p50 10 vs 4.5 ms, p99 81 vs 23). An
fdatasync makes durable everything written to the file before it began, so whichever
finishes answers every batch committed before it started (the kernel waits for pages already
being written by the other). SQLite's WAL is a log: after a power cut it keeps a prefix of
the committed transactions, so a batch never survives without the ones before it. A commit is
visible to reads a moment before it is on disk: the feed serves only published events
(`Bus.last_seq`), and whatever acts on a read through the writer (a print worker claiming a
job) hears back only once a later commit, and so this one, is on disk.

Checkpoints (copying the WAL's pages into the database file, then an fsync of it) run beside
the writer, in a checkpointer thread on a connection of its own (`service.checkpoints`), once
the WAL holds 1,000 pages: no write waits for them. SQLite's own ran in the COMMIT of the batch
that filled the WAL (its callers heard back only once the copy was done), and the writer's own,
after that batch, held the next one: on a year-old store the copy touches more pages all over a
big file (pointer-map pages) and it took about three times as long (the database file's fsync,
mostly), long enough to hold up that next order (history benchmark: 22 to 26 orders in 1,000
waited for one). A passive checkpoint copies what was committed when it began, and the WAL
starts again from its beginning only once all of it is copied: commits landing meanwhile leave
some, so the writer asks again once the WAL has grown by 250 pages (a small copy; asking after
every commit, under writes that never pause, ran six checkpoints a round, each with two
fsyncs). Should the WAL reach 2,000 pages all the same (writes that never let the checkpointer
finish), the writer copies what is left itself, nothing being committed meanwhile, so that the
WAL starts again. A checkpointer was tried twice before: once a second (reverted: the orders
benchmark's p99 rose), and started by the writer at 1,000 pages, as now (the WAL's flushes
waited longer beside its fsyncs: 786 against 643 ms in 500 orders, one run at load 7). Measured
again here, in three A/B pairs of 3,000 orders a store, the WAL's fdatasync was no slower
beside it (its p99 on either store 8.1 to 13.5 ms with the writer's own checkpoint, 5.5 to 11.9
with the checkpointer). SQLite's own stays on, at 10,000 pages, should both fail.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from edge.core import db
from edge.core.events import Event, WriteConnection
from service import checkpoints
from service.errors import GalleyError, NotFound, StorageError
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
    syncs: int = 0  # fdatasync calls of the WAL, each for one or more commits
    writes: int = 0
    failed_writes: int = 0
    reruns: int = 0  # batches run again, each write in a savepoint, after a half-done write
    waited_checkpoints: int = 0  # by the writer itself, once it holds WAIT_PAGES


_STOP = object()
SYNCERS = 2  # fdatasyncs in flight at most
CHECKPOINT_PAGES = 1_000  # the WAL's length that calls for a checkpoint (SQLite's default)
WAIT_PAGES = 2_000  # ... that the writer checkpoints itself, the checkpointer's never complete
ASK_STEP = 250  # the WAL's growth between two asks, while it has not started again
BACKSTOP_PAGES = 10_000  # SQLite's own checkpoint, in a COMMIT, should ours fail


class Writer:
    def __init__(
        self,
        path: str | Path,
        node: str,
        *,
        publish: Publish | None = None,
        max_batch: int = 256,
        after_sync: Callable[[], None] | None = None,
    ) -> None:
        """`after_sync` runs in the syncer thread after each fsync (tests use it to play a slow
        SD card); `publish` receives each transaction's events, in commit order, in the syncer
        thread, once they are on disk."""
        self.path = str(path)
        self.max_batch = max_batch
        self.publish = publish
        self.after_sync = after_sync
        self.stats = WriterStats()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # Batches committed and not yet answered, in commit order, each with its number; a
        # syncer flushes for all batches up to `_committed_n`, which `_flushing_n` says are
        # being flushed already, `_synced_n` that they are on disk.
        self._unanswered: collections.deque[tuple[int, list[_Job]]] = collections.deque()
        self._committed_n = self._flushing_n = self._synced_n = 0
        self._sync_state = threading.Condition(threading.Lock())
        self._answering = threading.Lock()  # one syncer at a time publishes and answers
        self._stopping = False
        self._closed = False
        self._conn = db.connect(self.path, factory=WriteConnection)
        self._conn.execute("PRAGMA synchronous = NORMAL")  # the syncer makes commits durable
        self._conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")
        last = self._conn.execute("SELECT hlc FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        self._wal = _Wal(self.path + "-wal")
        self._wal.sync()  # what an earlier run left in the OS's cache is on disk from now on
        self._conn.clock = HybridClock(node, Timestamp.parse(last[0]) if last else None)
        self._conn.pending = []
        self._conn.cache = {}
        self._syncers = [
            threading.Thread(target=self._sync_run, name=f"galley-syncer-{n}", daemon=True)
            for n in range(SYNCERS)
        ]
        for syncer in self._syncers:
            syncer.start()
        self._ask_at = CHECKPOINT_PAGES  # the WAL's length at which to ask next
        self.checkpointer = checkpoints.Checkpointer(
            lambda: db.connect(self.path), "galley-checkpointer"
        )
        self._thread = threading.Thread(target=self._run, name="galley-writer", daemon=True)
        self._thread.start()

    def backlog(self) -> int:
        """Writes waiting for the writer thread right now (roughly: for pacing, not counting)."""
        return self._queue.qsize()

    @property
    def clock(self) -> HybridClock:
        """The hybrid clock that stamps every event."""
        return self._conn.clock

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and all(syncer.is_alive() for syncer in self._syncers)

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
        with self._sync_state:
            self._stopping = True  # the syncers flush what is committed, then stop
            self._sync_state.notify_all()
        for syncer in self._syncers:
            syncer.join()
        self.checkpointer.close()
        self._conn.close()
        self._wal.close()

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
            self._maybe_checkpoint()
            if stop:
                return

    def _maybe_checkpoint(self) -> None:
        """Ask the checkpointer once the WAL holds CHECKPOINT_PAGES, and again every ASK_STEP
        pages while it has not started again from its beginning (commits landed during the
        copy); copy it here once it holds WAIT_PAGES."""
        reached = self._wal.reaches((CHECKPOINT_PAGES, self._ask_at, WAIT_PAGES))
        if reached == 0:
            self._ask_at = CHECKPOINT_PAGES
        elif reached == 3:
            if checkpoints.checkpoint(self._conn):
                self.stats.waited_checkpoints += 1
        elif reached == 2 and self.checkpointer.ask():
            self._ask_at += ASK_STEP

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
                job.error, job.events = _not_saved(exc), []
            self.stats.failed_writes += len(batch)
        else:
            self.stats.commits += 1
            self.stats.writes += len(batch)
        with self._sync_state:
            self._committed_n += 1
            self._unanswered.append((self._committed_n, batch))
            self._sync_state.notify()

    def _sync_run(self) -> None:
        """A syncer: one fsync for whatever was committed and is not being flushed yet, then the
        answers of every batch on disk by then."""
        while True:
            with self._sync_state:
                while self._flushing_n == self._committed_n and not self._stopping:
                    self._sync_state.wait()
                if self._flushing_n == self._committed_n:
                    return  # stopping, and every commit is flushed or being flushed
                upto = self._flushing_n = self._committed_n
            error = self._sync()
            with self._answering:
                with self._sync_state:
                    if error is None:
                        self._synced_n = max(self._synced_n, upto)
                        last = self._synced_n
                    else:
                        last = upto  # these, unless a later flush covered them already
                    done: list[_Job] = []
                    while self._unanswered and self._unanswered[0][0] <= last:
                        done += self._unanswered.popleft()[1]
                if error is not None:
                    # The transactions are committed but perhaps not on disk: nobody is told.
                    refused = [job for job in done if job.error is None]  # the rest failed before
                    log.error(
                        "the WAL could not be flushed to disk; %d writes refused",
                        len(refused),
                        exc_info=error,
                    )
                    for job in refused:
                        job.error = StorageError(f"the write may not be on disk: {error}")
                        job.events = []
                    self.stats.failed_writes += len(refused)
                if done:
                    # Publish before answering: a caller that hears back finds caches current.
                    events = [event for job in done for event in job.events]
                    if events and self.publish:
                        self.publish(events)
                    _answer(done)

    def _sync(self) -> OSError | None:
        try:
            self._wal.sync()
        except OSError as exc:
            return exc
        with self._sync_state:
            self.stats.syncs += 1
        if self.after_sync:
            self.after_sync()
        return None

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
        if exc is not None and not conn.in_transaction:
            raise exc  # SQLite rolled the whole transaction back (a full disk): the batch fails
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
        return _not_saved(exc)
    return exc


def _not_saved(exc: sqlite3.Error) -> StorageError:
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return StorageError(
            "The box's storage is full: this was not saved. Try again once a technician has"
            " made room on the box (df -h /data).",
            code="disk_full",
        )
    return StorageError(f"the write was not saved: {exc}")


class _Wal:
    """The WAL file, opened by us to flush it: fsync works on any descriptor of a file. SQLite
    keeps the file while a connection is open, but reopen it if another one took its place.
    Closing our descriptor releases none of SQLite's POSIX locks: it locks the database and the
    -shm file, never the WAL. Two syncers use it at once: each flushes through a copy of the
    descriptor, so that a reopen never closes one the other is flushing through."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = -1
        self._inode = -1
        self._lock = threading.Lock()

    def sync(self) -> None:
        with self._lock:
            if not self._open():
                return  # no WAL yet, so nothing in it to flush
            fd = os.dup(self._fd)
        try:
            os.fdatasync(fd)
        finally:
            os.close(fd)

    def reaches(self, lengths: tuple[int, ...]) -> int:
        """How many of `lengths` (ascending, in pages) the WAL holds since it last started again
        from its beginning: what SQLite's own checkpoint looks at (its wal-index's mxFrame,
        which CPython's sqlite3 does not tell; a descriptor of ours on the -shm file would drop
        SQLite's locks there when closed). It holds a length if the frame at that position
        carries the salts of the WAL's header: a frame left from an earlier round carries older
        ones (https://www.sqlite.org/fileformat2.html#walformat). One header read for all."""
        with self._lock:
            if not self._open():
                return 0
            header = os.pread(self._fd, 32, 0)
            if len(header) < 32:
                return 0
            frame_size = 24 + int.from_bytes(header[8:12], "big")
            for held, pages in enumerate(lengths):
                frame = os.pread(self._fd, 24, 32 + (pages - 1) * frame_size)
                if frame[8:16] != header[16:24]:
                    return held
        return len(lengths)

    def _open(self) -> bool:
        """Open the WAL, again if another file took its place; False if there is none."""
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            return False
        if inode != self._inode:
            self._close()
            self._fd = os.open(self.path, os.O_RDONLY)
            self._inode = os.fstat(self._fd).st_ino
        return True

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._fd, self._inode = -1, -1


def _answer(jobs: list[_Job]) -> None:
    """One wake-up per event loop, not one per write; plain threads' futures settle here."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
    for job in jobs:
        if job.loop is None:
            _settle([job])
        else:
            by_loop.setdefault(job.loop, []).append(job)
    for loop, waiting in by_loop.items():
        loop.call_soon_threadsafe(_settle, waiting)


def _settle(jobs: list[_Job]) -> None:
    for job in jobs:
        if job.future.done():  # the caller went away (client disconnected); the write stands
            continue
        if job.error is not None:
            job.future.set_exception(job.error)
        else:
            job.future.set_result(job.result)
