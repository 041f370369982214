"""`galley edge export TABLE`: one table of the box's database as CSV or JSON, for a technician
(a spreadsheet of today's orders, the events around a problem) without an SQLite shell.

It reads through a read-only connection, so it is safe beside a running edge (WAL: readers never
wait for the writer) and never changes the database, not even its schema. What may leave the
box is decided here: the domain tables and the event log only; never the `box` table (the key
that signs table QR codes), never a secret column (PIN hashes), and the event log with the
secrets in its rows masked, as the feed shows them. sqlite-utils reads the schema (which tables
exist, their columns in order) and the rows, which is what it is for; formatting stays here
because its writers live in its command line, not in its library.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from sqlite_utils import Database

from edge.core import db
from edge.core.events import ENTITIES, shown, stored_fields, to_json

EXPORTABLE = frozenset(ENTITIES) | {"events"}


class Refused(Exception):
    """The export cannot be made (no database, a table that may not or does not exist)."""


@contextlib.contextmanager
def reading(path: Path, table: str) -> Iterator[tuple[list[str], Iterator[dict[str, Any]]]]:
    """(columns, rows) of `table` without its secret columns, oldest row first; refuses before
    anything is read, so a refused export writes nothing anywhere."""
    if table == "box":
        raise Refused("the box table holds this box's secrets and is never exported")
    if table not in EXPORTABLE:
        raise Refused(
            f"no table {table!r} to export; choose one of {', '.join(sorted(EXPORTABLE))}"
        )
    if not path.is_file():
        raise Refused(f"no database at {path} (set --data-dir or GALLEY_DATA_DIR)")
    with contextlib.closing(db.connect(path, readonly=True)) as conn:
        database = Database(conn, recursive_triggers=False, execute_plugins=False)
        try:
            known = database.table_names()
        except sqlite3.DatabaseError as exc:
            raise Refused(f"{path} is not a Galley database: {exc}") from None
        if table not in known:
            raise Refused(f"{path} has no table {table!r} (a database of an older version?)")
        secret = ENTITIES[table].secret if table in ENTITIES else frozenset()
        columns = [c.name for c in database[table].columns if c.name not in secret]
        select = ", ".join(f'"{name}"' for name in columns)
        rows = database[table].rows_where(select=select, order_by="rowid")
        yield columns, (map(_masked_event, rows) if table == "events" else rows)


def _masked_event(row: dict[str, Any]) -> dict[str, Any]:
    """An event row as it may leave the box: the secrets in its fields masked."""
    fields = stored_fields(row["entity"], row["entity_id"], row["op"], row["fields"])
    masked = shown(row["entity"], fields)
    # whole (an order's create is stored without its defaults: `events.stored_fields`)
    return {**row, "fields": to_json(fields) if masked is fields else json.dumps(masked)}


def write(columns: list[str], rows: Iterator[dict[str, Any]], fmt: str, out: TextIO) -> int:
    """Write the rows as CSV (a header line) or as a JSON array of objects; returns how many.
    BLOBs (a print job's ESC/POS bytes) are base64 text: `{"$base64": true, "encoded": ...}` in
    JSON, as sqlite-utils reads it back."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _text(v) for k, v in row.items()})
            count += 1
        return count
    out.write("[")
    for count, row in enumerate(rows, 1):
        out.write(("," if count > 1 else "") + "\n" + json.dumps(row, default=_blob))
    out.write("\n]\n" if count else "]\n")
    return count


def _text(value: Any) -> Any:
    return base64.b64encode(value).decode() if isinstance(value, bytes) else value


def _blob(value: Any) -> dict[str, Any]:
    if isinstance(value, bytes):
        return {"$base64": True, "encoded": base64.b64encode(value).decode()}
    raise TypeError(f"cannot export {type(value).__name__}")
