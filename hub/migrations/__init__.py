"""The hub's numbered migrations, for SQLite and PostgreSQL.

`NNNN_name.sql` holds SQL both backends speak; `NNNN_name.sqlite.sql` and
`NNNN_name.postgresql.sql` hold what only one of them does (an autoincrement cursor, roles,
row-level security). A version is the shared file followed by the backend's own, applied in one
transaction and recorded in `hub_schema`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.(sqlite|postgresql))?\.sql$")

# The table that records which versions a database has, made before the first migration.
SCHEMA_TABLE = """CREATE TABLE IF NOT EXISTS hub_schema (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str  # the whole script: the shared part, then the dialect's


def migrations(dialect: Dialect) -> list[Migration]:
    """Every migration for `dialect`, in order; a missing number is a packaging bug."""
    parts: dict[int, dict[str | None, str]] = {}
    names: dict[int, str] = {}
    for entry in resources.files(__name__).iterdir():
        match = _FILE.match(entry.name)
        if match is None:
            continue
        version, name, only = int(match.group(1)), match.group(2), match.group(3)
        if names.setdefault(version, name) != name:
            raise RuntimeError(f"migration {version:04d} has two names: {names[version]}, {name}")
        parts.setdefault(version, {})[only] = entry.read_text("utf-8")
    found = []
    for expected, version in enumerate(sorted(parts), start=1):
        if version != expected:
            raise RuntimeError(
                f"migration {version:04d} is out of sequence; expected {expected:04d}"
            )
        texts = parts[version]
        sql = "\n".join(text for text in (texts.get(None), texts.get(dialect)) if text)
        found.append(Migration(version, names[version], sql))
    return found


def latest() -> int:
    """The version a database must be at for this hub to serve it."""
    return len(migrations("sqlite"))
