"""Printers the store has: what each is for, how to reach it, and which one prints what.

A printer row names a role (`receipt`, `kitchen`, `report`), the stations a kitchen printer
serves, the POS device a receipt printer serves (empty: any), the transport settings that
`printers.transports.transport_from_config` takes, a profile from `printers.profiles` and an
optional backup printer: configuration, which the hub holds the truth for. A printer is
answered with the status its print worker last read (`printer_status`, kept apart: it never
syncs). Changing the profile renders the printer's waiting jobs again for it
(`print_queue.render_again`).

Routing: a receipt goes to the receipt printer of the device (else any receipt printer), a
kitchen ticket to the kitchen printer of its station (none: the lines are not printed), a
report to the report printer (else a receipt printer). A disabled printer is skipped in
favour of an enabled backup; without one its jobs wait for it to be enabled again.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from edge.core.events import GUARDED_FIELDS, WriteConnection, commit
from edge.core.permissions import Actor, require
from edge.domain import print_queue, printer_status
from edge.domain.rows import existing
from printers.devices import DeviceRefused
from printers.profiles import get_profile
from printers.transports import transport_from_config
from service import config_fields
from service import fields as f
from service.errors import Invalid
from service.shapes import COUNT, HUB_REV, ID, INSTANT, described, shape
from sync.clock import now_iso
from sync.ids import uuid7


@f.accepts(config_fields.transport.schema)
def _transport(key: str, value: Any) -> dict[str, Any]:
    """Settings the print worker can use (`service.config_fields.transport`), and a path that
    is a printer's device now, so a manager cannot make a printer of `edge.db`
    (`printers.devices`; the worker checks again, as a printer the hub sets up meets only the
    first)."""
    config_fields.transport(key, value)
    try:
        transport_from_config(value).check()
    except DeviceRefused as exc:
        setting = "path" if value["kind"] == "file" else "url"
        raise Invalid(str(exc), code="not_a_printer_device", field=f"{key}.{setting}") from exc
    return value


PRINTER = f.Form(
    {**config_fields.PRINTER.fields, "transport": _transport},
    required=config_fields.PRINTER.required,
)

# What `get` answers: the settings and the status the print worker last read.
_PRINTER_FIELDS = {
    "id": ID,
    **described(PRINTER),
    **printer_status.FIELDS,
    "created_at": INSTANT,
    "hub_rev": HUB_REV,
}
PRINTER_VIEW = shape("Printer", _PRINTER_FIELDS)
# What `list_printers` answers for each: the same, and how many jobs wait or failed; where the
# printer is (its transport, an error naming it) only to those who may edit printers.
PRINTER_LISTED = shape(
    "PrinterInList",
    {**_PRINTER_FIELDS, "waiting": COUNT, "failed": COUNT},
    optional=GUARDED_FIELDS["printers"],
)


def create(conn: WriteConnection, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    require(actor, "printers.edit")
    row = PRINTER.clean(values)
    printer_id = uuid7()
    _check_backup(conn, printer_id, row.get("backup_printer_id"))
    row = {
        "stations": [],
        "device": "",
        "profile": "TM-T20II",
        "backup_printer_id": None,
        "enabled": True,
        **row,
        "created_at": now_iso(),
    }
    commit(conn, actor.id, "printers", printer_id, "create", row)
    return get(conn, printer_id)


def update(
    conn: WriteConnection, actor: Actor, printer_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Change a printer's settings. A new profile renders its waiting jobs again in the same
    write (`print_queue.render_again`): they were made for the old paper width."""
    require(actor, "printers.edit")
    row = existing(conn, "printers", printer_id, "printer")
    changes = PRINTER.clean(values, partial=True)
    if "backup_printer_id" in changes:
        _check_backup(conn, printer_id, changes["backup_printer_id"])
    commit(conn, actor.id, "printers", printer_id, "update", changes)
    if changes.get("profile", row["profile"]) != row["profile"]:
        print_queue.render_again(conn, actor.id, printer_id, get_profile(changes["profile"]))
    return get(conn, printer_id)


def _check_backup(conn: sqlite3.Connection, printer_id: str, backup_id: str | None) -> None:
    """A backup is another existing printer, and backups never chain back to this one."""
    seen = {printer_id}
    while backup_id is not None:
        if backup_id in seen:
            raise Invalid("a printer cannot back itself up", field="backup_printer_id")
        seen.add(backup_id)
        row = existing(conn, "printers", backup_id, "backup printer", "backup_printer_id")
        backup_id = row["backup_printer_id"]


def _view(row: sqlite3.Row) -> dict[str, Any]:
    printer = printer_status.shown(dict(row))
    printer["stations"] = json.loads(printer["stations"])
    printer["transport"] = json.loads(printer["transport"])
    printer["enabled"] = bool(printer["enabled"])
    return printer


def get(conn: sqlite3.Connection, printer_id: str) -> dict[str, Any]:
    query = (
        f"SELECT p.*, {printer_status.COLUMNS} FROM printers p {printer_status.JOIN} WHERE p.id = ?"
    )
    return _view(existing(conn, "printers", printer_id, "printer", query=query))


def list_printers(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every printer with its last status and how many jobs wait for it, and failed: each
    counted on the index of those jobs alone (SQLite would pick `print_jobs_printer`, every job
    the printer kept)."""
    rows = conn.execute(
        f"SELECT p.*, {printer_status.COLUMNS},"
        f" (SELECT COUNT(*) FROM print_jobs j {print_queue.WAITING} WHERE j.printer_id = p.id"
        " AND j.state IN ('queued', 'sending')) AS waiting,"
        " (SELECT COUNT(*) FROM print_jobs j INDEXED BY print_jobs_state"
        " WHERE j.printer_id = p.id AND j.state = 'failed') AS failed"
        f" FROM printers p {printer_status.JOIN} ORDER BY p.role, p.name"
    )
    return [_view(row) for row in rows]


# --- routing -------------------------------------------------------------------------------


def _usable(conn: sqlite3.Connection, row: sqlite3.Row | None) -> sqlite3.Row | None:
    """`row` if enabled, else its first enabled backup, else `row` itself: the job waits in a
    disabled printer's queue until it is enabled again rather than being lost."""
    first, seen = row, set()
    while row is not None and not row["enabled"] and row["id"] not in seen:
        seen.add(row["id"])
        backup = row["backup_printer_id"]
        row = (
            conn.execute("SELECT * FROM printers WHERE id = ?", (backup,)).fetchone()
            if backup
            else None
        )
    return row if row is not None and row["enabled"] else first


def receipt_printer(conn: sqlite3.Connection, device: str) -> sqlite3.Row | None:
    rows = conn.execute(
        "SELECT * FROM printers WHERE role = 'receipt' ORDER BY device = ? DESC, device = '' DESC,"
        " enabled DESC, id",
        (device,),
    ).fetchall()
    for row in rows:
        if row["device"] in (device, ""):
            return _usable(conn, row)
    return _usable(conn, rows[0]) if rows else None


def kitchen_printer(conn: sqlite3.Connection, station: str) -> sqlite3.Row | None:
    for row in conn.execute(
        "SELECT * FROM printers WHERE role = 'kitchen' ORDER BY enabled DESC, id"
    ):
        if station in json.loads(row["stations"]):
            return _usable(conn, row)
    return None


def report_printer(conn: sqlite3.Connection, device: str = "") -> sqlite3.Row | None:
    row = conn.execute(
        "SELECT * FROM printers WHERE role = 'report' ORDER BY enabled DESC, id LIMIT 1"
    ).fetchone()
    found = _usable(conn, row)
    return found if found is not None else receipt_printer(conn, device)
