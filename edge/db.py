"""Opening the edge database and bringing its schema up to date.

WAL so readers never wait for the writer; `synchronous=FULL` so that an acknowledged payment
survives a power cut; foreign keys on; numbered SQL migrations tracked in `PRAGMA user_version`.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


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


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations this database has not seen, each in its own transaction."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    for version, name, sql in migrations():
        if version <= current:
            continue
        log.info("applying migration %s", name, extra={"migration": name})
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        current = version
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
