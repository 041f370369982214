"""Reading the one row a request names, or refusing it in the words of the request."""

from __future__ import annotations

import sqlite3

from service.errors import Invalid, NotFound


def existing(
    conn: sqlite3.Connection,
    table: str,
    row_id: str,
    what: str,
    field: str | None = None,
    *,
    query: str | None = None,
) -> sqlite3.Row:
    """The row, or a refusal: 404 for the thing in the path, 422 for a reference in the body
    (`field` names it). `query` reads it when it is more than its own row (its one `?`: the
    id)."""
    row = conn.execute(query or f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
    if row is None:
        if field:
            raise Invalid(f"no such {what}", code="unknown_reference", field=field)
        raise NotFound(f"no such {what}", id=row_id)
    return row
