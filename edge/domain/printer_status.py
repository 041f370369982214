"""A printer's live status, as its print worker last read it: online or not, paper low or out,
cover open, the last error talking to it, and when it was read.

It is kept apart from the printer's configuration (`store_printers`), in `printer_status`,
which never leaves the box: a printer's setup is the hub's and syncs; a paper-out is this
moment at this store, so it never syncs and never counts as an edit of the printer. Its events
are on the `printers` topic, as the printer's are, for the POS to raise the alert. A printer the
worker never read has no row: it reads as "not checked yet".
"""

from __future__ import annotations

import sqlite3
from typing import Any

from edge.core.events import WriteConnection, cached, commit
from printers.status import PrinterStatus
from service.shapes import FLAG, INSTANT, nullable, text
from sync.clock import iso, utcnow

# What a printer's answer holds of its status, beside its configuration.
FIELDS = {
    "online": nullable({**FLAG, "description": "null until first checked"}),
    "paper_near_end": FLAG,
    "paper_out": FLAG,
    "cover_open": FLAG,
    "error": text("the last error talking to it"),
    "checked_at": nullable(INSTANT),
}
# The status columns of a query of printers `p` (a printer never read: not checked yet).
COLUMNS = (
    "s.online, COALESCE(s.paper_near_end, 0) AS paper_near_end,"
    " COALESCE(s.paper_out, 0) AS paper_out, COALESCE(s.cover_open, 0) AS cover_open,"
    " COALESCE(s.error, '') AS error, s.checked_at"
)
JOIN = "LEFT JOIN printer_status s ON s.id = p.id"


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """`row`'s status columns (`COLUMNS`) as an answer says them: flags, not 0 and 1."""
    for key in ("paper_near_end", "paper_out", "cover_open"):
        row[key] = bool(row[key])
    if row["online"] is not None:
        row["online"] = bool(row["online"])
    return row


def record(
    conn: WriteConnection, printer_id: str, status: PrinterStatus | None, error: str
) -> None:
    """The printer's status as the worker last saw it (`None`: it did not answer), written
    only when it changed: a printer that keeps printing writes no event (a check a minute
    made 9 % of a busy store's events). `checked_at` is when it last changed."""
    # Kept on the writer until a printer or its status changes: every job printed asks.
    known: dict[str, sqlite3.Row | None] = cached(conn, "printer_status", dict)
    if printer_id not in known:
        known[printer_id] = conn.execute(
            "SELECT s.* FROM printers p LEFT JOIN printer_status s ON s.id = p.id WHERE p.id = ?",
            (printer_id,),
        ).fetchone()
    found = known[printer_id]
    if found is None:  # the printer is gone
        return
    row = None if found["id"] is None else found
    now = utcnow()
    fields: dict[str, Any] = {"error": error}
    if status is not None:
        fields |= {
            "online": status.online,
            "paper_near_end": status.paper_near_end,
            "paper_out": status.paper_out,
            "cover_open": status.cover_open,
        }
    elif error:
        fields["online"] = False
    fields["checked_at"] = iso(now)
    if row is None:
        commit(conn, None, "printer_status", printer_id, "create", fields)
        return
    changed = any(
        row[k] != (int(v) if isinstance(v, bool) else v)
        for k, v in fields.items()
        if k != "checked_at"
    )
    if changed:
        commit(conn, None, "printer_status", printer_id, "update", fields)
