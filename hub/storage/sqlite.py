"""The SQLite backend: one file, one connection, one thread that runs every transaction.

For the demo and a single owner. A transaction is `BEGIN IMMEDIATE` ... `COMMIT` on the
backend's own thread, so transactions of one process never interleave and a second process
on the same file waits for the write lock (busy timeout) instead of failing.

Checkpoints (the WAL's pages copied into the database file, then an fsync of it) run beside
the transactions, in a checkpointer thread on a connection of its own (`service.checkpoints`),
once the transactions
since the last one changed CHECKPOINT_ROWS rows (a push of 500 events changes about 4,000): no
transaction waits for them. SQLite's own ran in the COMMIT of the push that filled the WAL,
so the box heard back, and sent its next batch, only once the copy was done too. A passive
checkpoint copies what was committed when it began; the WAL starts again from its beginning
once all of it is copied, which a commit landing meanwhile puts off to a later checkpoint.
Should commits keep landing during the copies (pushes with no pause between them), SQLite's
own, at BACKSTOP_PAGES, copies what is left in a COMMIT as it did before, rather than let the
WAL grow (at 10,000 pages, one such COMMIT took 85 ms).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from hub.migrations import SCHEMA_TABLE, latest, migrations
from hub.storage.tx import Tx
from service import checkpoints
from service.errors import StorageError
from sync.clock import now_iso

log = logging.getLogger(__name__)
T = TypeVar("T")

CHECKPOINT_ROWS = 1_000  # rows changed since the checkpointer was last asked that call for one
BACKSTOP_PAGES = 2_000  # the WAL's length at which SQLite copies it itself, in a COMMIT


def _as_dict(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> dict[str, Any]:
    return {column[0]: value for column, value in zip(cursor.description, values, strict=True)}


class SqliteTx(Tx):
    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__()
        self.conn = conn

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self.conn.execute(sql, params).fetchall()

    def _tuples(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.conn.cursor()
        cursor.row_factory = None
        return cursor.execute(sql, params).fetchall()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(sql, params).rowcount

    def _many(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        self.conn.executemany(sql, params)

    def next_cursors(self, count: int) -> list[int]:
        # AUTOINCREMENT keeps the highest cursor ever used here; the transaction holds the
        # database's write lock, so nobody else takes these meanwhile.
        found = self._one("SELECT seq FROM sqlite_sequence WHERE name = 'changes'")
        last = found["seq"] if found else 0
        return list(range(last + 1, last + 1 + count))


class SqliteStorage:
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hub-sqlite")
        self._conn = self._thread.submit(self._connect).result()
        self.checkpointer = checkpoints.Checkpointer(self._connect, "hub-checkpointer")
        self._asked_at = 0  # the connection's total_changes when the checkpointer was asked

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = _as_dict
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 5000")
        # A push of 500 events dirties a few MB of pages: within SQLite's default cache (2 MB)
        # they spilled to the WAL mid-transaction, each spill a wait. 64 MB holds a push whole
        # (measured in sync_reconcile's hub, per push: 87 -> 73 ms in the transaction, its CPU
        # unchanged at about 70 ms).
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")
        return conn

    def migrate(self) -> int:
        """Bring the file's schema up to date; the version it is at."""
        return self._thread.submit(self._migrate).result()

    def _migrate(self) -> int:
        conn = self._conn
        conn.execute(SCHEMA_TABLE)
        have = {row["version"] for row in conn.execute("SELECT version FROM hub_schema")}
        for migration in migrations("sqlite"):
            if migration.version in have:
                continue
            log.info("applying hub migration %04d_%s", migration.version, migration.name)
            record = (
                "INSERT INTO hub_schema (version, name, applied_at) VALUES"
                f" ({migration.version}, '{migration.name}', '{now_iso()}');"
            )
            try:  # one script, so the migration and its record commit together or not at all
                conn.executescript(f"BEGIN IMMEDIATE;\n{migration.sql}\n{record}\nCOMMIT;")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return latest()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(tx, *args)` in one transaction, on the backend's thread."""
        return await asyncio.wrap_future(self._thread.submit(self._transact, fn, args))

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        return self._thread.submit(self._transact, fn, args).result()

    def _transact(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            log.error("the hub database did not start a transaction: %s", error)
            raise StorageError("the hub's database is busy; try again") from None
        try:
            result = fn(SqliteTx(conn), *args)
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            conn.execute("ROLLBACK")
            log.exception("the hub database refused a transaction")
            raise StorageError(
                "the hub's database refused the change; nothing was written"
            ) from error
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._ask_checkpoint()
        return result

    def _ask_checkpoint(self) -> None:
        """Ask the checkpointer for a checkpoint once CHECKPOINT_ROWS rows changed since it was
        last asked, unless one is under way (the next commit asks again)."""
        changed = self._conn.total_changes
        if changed - self._asked_at < CHECKPOINT_ROWS:
            return
        if self.checkpointer.ask():
            self._asked_at = changed

    def close(self) -> None:
        self._thread.submit(self._conn.close).result()
        self._thread.shutdown()
        self.checkpointer.close()
