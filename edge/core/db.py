"""Opening the edge database and bringing its schema up to date.

WAL so readers never wait for the writer; `synchronous=FULL` so that an acknowledged payment
survives a power cut (the writer's own connection flushes the WAL in a thread of its own
instead, see `edge.runtime.writer`); foreign keys on; numbered SQL migrations tracked in
`PRAGMA user_version`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import re
import sqlite3
import threading
from importlib import resources
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

# sqlite3.h: sqlite3_config() and sqlite3_status64() options.
_SQLITE_CONFIG_MEMSTATUS = 9
_SQLITE_STATUS_MEMORY_USED = 0
_tune_lock = threading.Lock()
_tuned = False


def tune_sqlite() -> bool:
    """Turn SQLite's memory statistics off for this process; call before any connection opens.

    Debian's SQLite counts every allocation under a process-wide mutex (the library default,
    SQLITE_DEFAULT_MEMSTATUS=1); SQLite's docs advise against it where speed matters, and
    nothing here reads the counts. Off, a five-line order costs the writer about 6 us less
    (measured, about 6 %). CPython offers no sqlite3_config(), hence ctypes, on the library the
    sqlite3 module loaded. The setting can only change with the library shut down, so this does
    nothing (and says so) if SQLite holds memory, that is if any connection is open. Returns
    whether the statistics are off."""
    global _tuned
    with _tune_lock:
        if _tuned:
            return True
        name = ctypes.util.find_library("sqlite3")
        if name is None:
            log.info("SQLite library not found by name; memory statistics stay on")
            return False
        lib = ctypes.CDLL(name)
        if lib.sqlite3_libversion_number() != _version_number(sqlite3.sqlite_version_info):
            log.info("the sqlite3 module does not use %s; memory statistics stay on", name)
            return False
        used, peak = ctypes.c_int64(), ctypes.c_int64()
        lib.sqlite3_status64(_SQLITE_STATUS_MEMORY_USED, ctypes.byref(used), ctypes.byref(peak), 0)
        if used.value:
            log.warning("SQLite is in use (%d bytes); memory statistics stay on", used.value)
            return False
        lib.sqlite3_shutdown()
        _tuned = lib.sqlite3_config(_SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0)) == 0
        if lib.sqlite3_initialize() != 0:
            raise RuntimeError("SQLite did not start again after changing its configuration")
        return _tuned


def _bind_plainly() -> None:
    """None and booleans bound as NULL and 0/1 straight from sqlite3's adapter registry.

    sqlite3 binds only exact int, float, str and bytes directly. Anything else, None included,
    goes through its adaptation protocol, which looks for `__adapt__` on a type that has none
    and so formats an AttributeError message and throws it away: 0.25 us per value (measured),
    and an order binds a dozen Nones. A registered adapter is found first. What is stored does
    not change (None is NULL, True is 1)."""
    sqlite3.register_adapter(type(None), lambda value: value)
    sqlite3.register_adapter(bool, int)


_bind_plainly()


def _version_number(info: tuple[int, int, int]) -> int:
    major, minor, patch = info
    return major * 1_000_000 + minor * 1_000 + patch


def connect(path: str | Path, *, readonly: bool = False, factory: type = sqlite3.Connection) -> Any:
    """A connection in autocommit mode: callers issue `BEGIN` themselves."""
    conn: Any
    if readonly:
        conn = sqlite3.connect(
            f"file:{path}?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=256,
            factory=factory,
        )
    else:
        conn = sqlite3.connect(
            path,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=256,
            factory=factory,
        )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        # Free pages go back to the file system in small steps (edge.core.retention.give_back).
        # Only a new database takes it, before WAL and its first table; an older one reuses
        # its free pages instead (a VACUUM with the box stopped switches it).
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        # Savepoint sub-journals (one per write in a group commit) in memory, not in a temp
        # file: on disk each write copied every page it touched there first.
        conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every migration shipped in `edge.migrations`, in order."""
    found = []
    for entry in resources.files("edge.migrations").iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort()
    for expected, (version, name, _) in enumerate(found, start=1):
        if version != expected:
            raise RuntimeError(f"migration {name} is out of sequence; expected {expected:04d}")
    return found


def migrate(conn: sqlite3.Connection, target: int | None = None) -> int:
    """Apply the migrations this database has not seen (up to `target`, all by default), each
    in its own transaction.

    Foreign keys are not enforced while a migration runs, so that it can rebuild a table that
    others refer to (SQLite's procedure for changes ALTER TABLE cannot make: new table, copy,
    drop, rename); each migration must leave none broken (`PRAGMA foreign_key_check`) or it is
    rolled back."""
    current = start = conn.execute("PRAGMA user_version").fetchone()[0]
    enforced = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction: set it first
    try:
        for version, name, sql in migrations():
            if version <= current or (target is not None and version > target):
                continue
            log.info("applying migration %s", name, extra={"migration": name})
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(sql):
                    conn.execute(statement)
                broken = conn.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise sqlite3.IntegrityError(
                        f"migration {name} leaves {len(broken)} broken references, first in"
                        f" {broken[0][0]} (rowid {broken[0][1]}) to {broken[0][2]}"
                    )
                conn.execute(f"PRAGMA user_version = {version}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            current = version
    finally:
        conn.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")
    if current != start:
        # A migration that rebuilds tables leaves a WAL as big as they are, and SQLite reuses a
        # WAL file without shrinking it: fold it into the database and truncate it, once.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return current


def _statements(sql: str) -> list[str]:
    """Split a migration script into statements (executescript would commit on its own)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise RuntimeError("migration ends in the middle of a statement")
    return [s for s in statements if s]
