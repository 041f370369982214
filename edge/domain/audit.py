"""The audit trail as a manager reads it: `events` rows, newest first, filtered, each with the
names it needs to be read by a person.

An event records what changed, often only ids and a state (`{"state": "printed"}` of a print
job, `{"state": "voided", ...}` of an order line). Each page of rows gets a `context`: the name
of what it is about (a printer, a table, a menu item, the order number and table of a line, the
kind of a print job) and the names of the ids in its fields. Names are read now, in a few
queries per page (one per kind of thing on it), never one per row; a thing deleted since has
none, and its delete event carries the whole row anyway. A print job's printer and last error
are those of the moment of the event (`_jobs_then`): jobs move to backup printers.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from edge.core import events
from service.shapes import COUNT, nullable, shape, text

# What each kind of row is about, by the id of the row: columns become its `context`.
_IDS = "(SELECT value FROM json_each(:ids))"
SUBJECTS = {
    "menu_items": f"SELECT id, name FROM menu_items WHERE id IN {_IDS}",
    "menu_categories": f"SELECT id, name FROM menu_categories WHERE id IN {_IDS}",
    "modifier_groups": f"SELECT id, name FROM modifier_groups WHERE id IN {_IDS}",
    "tax_rates": f"SELECT id, name FROM tax_rates WHERE id IN {_IDS}",
    "areas": f"SELECT id, name FROM areas WHERE id IN {_IDS}",
    "staff": f"SELECT id, name FROM staff WHERE id IN {_IDS}",
    "pin_failures": "SELECT f.id, s.name, d.name AS device FROM pin_failures f"
    " JOIN staff s ON s.id = f.staff_id JOIN devices d ON d.id = f.device_id"
    f" WHERE f.id IN {_IDS}",
    "pin_lockouts": f"SELECT id, name FROM staff WHERE id IN {_IDS}",
    "devices": f"SELECT id, name FROM devices WHERE id IN {_IDS}",
    "stations": f"SELECT id, name FROM stations WHERE id IN {_IDS}",
    "tickets": "SELECT id, number AS ticket_number, station, label, order_number FROM tickets"
    f" WHERE id IN {_IDS}",
    "ticket_items": "SELECT i.id, i.name, i.quantity, t.number AS ticket_number, i.station,"
    " t.label FROM ticket_items i JOIN tickets t ON t.id = i.ticket_id"
    f" WHERE i.id IN {_IDS}",
    "pairing_codes": "SELECT c.id, c.name, d.name AS device FROM pairing_codes c"
    f" LEFT JOIN devices d ON d.id = c.device_id WHERE c.id IN {_IDS}",
    "printers": f"SELECT id, name FROM printers WHERE id IN {_IDS}",
    "printer_status": f"SELECT id, name FROM printers WHERE id IN {_IDS}",  # a printer's id
    "modifiers": 'SELECT m.id, m.name, g.name AS "group" FROM modifiers m'
    f" JOIN modifier_groups g ON g.id = m.group_id WHERE m.id IN {_IDS}",
    "item_modifier_groups": 'SELECT l.id, i.name AS item, g.name AS "group"'
    " FROM item_modifier_groups l JOIN menu_items i ON i.id = l.item_id"
    f" JOIN modifier_groups g ON g.id = l.group_id WHERE l.id IN {_IDS}",
    "tables": "SELECT t.id, t.name, a.name AS area FROM tables t"
    f" JOIN areas a ON a.id = t.area_id WHERE t.id IN {_IDS}",
    "staff_sessions": "SELECT s.id, st.name FROM staff_sessions s"
    f" JOIN staff st ON st.id = s.staff_id WHERE s.id IN {_IDS}",
    "orders": 'SELECT o.id, o.number AS order_number, o.kind AS order_kind, t.name AS "table"'
    f" FROM orders o LEFT JOIN tables t ON t.id = o.table_id WHERE o.id IN {_IDS}",
    "order_lines": "SELECT l.id, l.name, l.quantity, o.number AS order_number,"
    ' t.name AS "table" FROM order_lines l JOIN orders o ON o.id = l.order_id'
    f" LEFT JOIN tables t ON t.id = o.table_id WHERE l.id IN {_IDS}",
    # A job's order: its own (a ticket, a bill) or its line's (a void chit).
    "print_jobs": "SELECT j.id, j.kind, p.name AS printer, o.number AS order_number,"
    ' t.name AS "table", l.name AS item,'
    # a kitchen ticket's or void chit's station, from the document it was printed from
    " CASE WHEN json_valid(j.document) THEN json_extract(j.document, '$.station') END AS station"
    " FROM print_jobs j"
    " JOIN printers p ON p.id = j.printer_id"
    " LEFT JOIN order_lines l ON j.source_entity = 'order_lines' AND l.id = j.source_id"
    " LEFT JOIN orders o ON o.id = CASE j.source_entity WHEN 'orders' THEN j.source_id"
    " WHEN 'order_lines' THEN l.order_id END"
    f" LEFT JOIN tables t ON t.id = o.table_id WHERE j.id IN {_IDS}",
}
# The entities of the `printers` topic, which `read` may hide.
PRINTING = frozenset(e.name for e in events.ENTITIES.values() if e.topic == "printers")
# A drawer opening: a print job `read` keeps when it hides printing (a cash event). Written as
# the partial index `events_drawer` is, so that the index serves it.
DRAWER = "entity = 'print_jobs' AND op = 'create' AND json_extract(fields, '$.kind') = 'drawer'"
# What `read` answers for each event: the row, who did and approved it, and its `context`.
AUDIT_VIEW = shape(
    "AuditEvent",
    {
        **events.EVENT_FIELDS,
        "noun": text("what it is about, in words: a menu item, an order line ..."),
        "actor_name": nullable(text()),
        "approver_name": nullable(text()),
        "context": {
            "type": "object",
            "description": "names to read it by: of what it is about, and in `names` of the"
            " ids in its fields",
            "properties": {"names": {"type": "object", "additionalProperties": {"type": "string"}}},
        },
    },
)
# How long the box keeps history (`edge.core.retention`), for a page to say where older is.
KEPT_DAYS = {
    **COUNT,
    "description": "days the box keeps the history of what syncs once the hub has it"
    " (GALLEY_KEEP_SYNCED_DAYS): the hub's audit has older",
}
KEPT_LOCAL_DAYS = {
    **COUNT,
    "description": "days the box keeps printing and sign-ins (GALLEY_KEEP_LOCAL_DAYS)",
}
# Fields that hold the id of a named thing, and the table that names it.
REFERENCES = {
    "printer_id": "printers",
    "rerouted_from": "printers",
    "backup_printer_id": "printers",
    "table_id": "tables",
    "area_id": "areas",
    "category_id": "menu_categories",
    "tax_rate_id": "tax_rates",
    "group_id": "modifier_groups",
    "item_id": "menu_items",
    "staff_id": "staff",
    "device_id": "devices",
}


def read(
    conn: sqlite3.Connection,
    *,
    entities: list[str] | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    start: str | None = None,
    end: str | None = None,
    hide_printing: bool = False,
    before: int = 2**62,
    after: int = 0,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Events with `after < seq < before`, newest first, with the names of who did and
    approved them and their `context`. `start` (inclusive) and `end` (exclusive) are
    storage-format UTC times; `entities` keeps only those tables. `hide_printing` leaves out the
    churn of the `printers` topic (printers, print jobs sent, printed, retried, status checks)
    but keeps the opening of the cash drawer, a print job of kind `drawer` that a manager
    audits as a cash event."""
    shown = entities
    drawers = False
    if hide_printing:
        shown = sorted(set(entities or events.ENTITIES) - PRINTING)
        drawers = entities is None or "print_jobs" in entities
    params = {
        "before": before,
        "after": after,
        "entity_id": entity_id,
        "actor": actor,
        "start": start,
        "end": end,
        "limit": limit,
    }
    seqs = _seqs(shown, drawers, entity_id=entity_id, actor=actor, start=start, end=end)
    return _read(conn, f" WHERE e.seq IN ({seqs}) ORDER BY e.seq DESC", params)


def _seqs(
    entities: list[str] | None,
    drawers: bool,
    *,
    entity_id: str | None,
    actor: str | None,
    start: str | None,
    end: str | None,
) -> str:
    """The SELECT of the seqs `read` shows, built from the filters given (a filter written
    `(:x IS NULL OR col = :x)` would defeat every index). It walks one index, that of the first
    filter given of: an entity id (`events_entity`: a few rows, sorted), a time (`events_at`,
    newest first), an actor (`events_actor`), entities (one branch per entity on
    `events_entity_seq`, and the drawer openings on `events_drawer`, `limit` each), else the
    seqs themselves. Each walk stops after `limit` rows that pass the other filters; `+` keeps
    SQLite off the indexes of those. A time filter reads the events in time order, which is seq
    order unless the box's clock was set back meanwhile."""
    seqs = ["seq < :before", "seq > :after"]
    times = [*(["at >= :start"] if start else []), *(["at < :end"] if end else [])]
    order = "seq DESC"
    if entity_id is not None:  # `events_entity` is (entity, entity_id): name them all
        lead = [f"entity IN ({_names(events.ENTITIES)})", "entity_id = :entity_id"]
    elif times:
        lead, order, times = times, "at DESC, seq DESC", []
        seqs = [f"+{term}" for term in seqs]  # else SQLite walks the seqs, reading each time
    elif actor is not None:
        lead, actor = ["actor = :actor"], None
    elif entities is not None:
        branches = [
            f"SELECT seq FROM events WHERE entity = '{name}' AND {' AND '.join(seqs)}"
            " ORDER BY seq DESC LIMIT :limit"
            for name in entities
        ]
        if drawers:
            branches.append(
                f"SELECT seq FROM events INDEXED BY events_drawer WHERE {DRAWER}"
                f" AND {' AND '.join(seqs)} ORDER BY seq DESC LIMIT :limit"
            )
        union = " UNION ALL ".join(f"SELECT seq FROM ({branch})" for branch in branches)
        return f"{union} ORDER BY seq DESC LIMIT :limit" if branches else "SELECT NULL WHERE 0"
    else:
        lead = []
    rest = [f"+{term}" for term in times]
    if actor is not None:
        rest.append("+actor = :actor")
    if entities is not None:
        kept = f"+entity IN ({_names(entities)})"
        rest.append(f"({kept} OR +{DRAWER})" if drawers else kept)
    where = " AND ".join([*lead, *rest, *seqs])
    return f"SELECT seq FROM events WHERE {where} ORDER BY {order} LIMIT :limit"


def _names(entities: Iterable[str]) -> str:
    """Entity names as SQL literals: declared names, never input."""
    return ", ".join(f"'{name}'" for name in entities)


def of_order(conn: sqlite3.Connection, order_id: str, upto: int) -> list[dict[str, Any]]:
    """The story of one order, oldest first, each event with its names and `context` as `read`
    gives them: the order's own events and those of its lines, up to `upto` (the last seq on
    disk). A line is born in an event of its order (`fields.order_lines`) and may be deleted
    since, so its id is read from there. Lookups by (entity, entity_id) on `events_entity`:
    no walk through the events of other orders."""
    return _read(
        conn,
        " WHERE e.seq <= :upto AND e.seq IN ("
        "SELECT seq FROM events WHERE entity = 'orders' AND entity_id = :order"
        " UNION ALL SELECT seq FROM events WHERE entity = 'order_lines' AND entity_id IN ("
        "SELECT json_extract(part.value, '$.id') FROM events o,"
        " json_each(o.fields, '$.order_lines') AS part"
        " WHERE o.entity = 'orders' AND o.entity_id = :order))"
        " ORDER BY e.seq",
        {"order": order_id, "upto": upto},
    )


def _read(conn: sqlite3.Connection, where: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Events chosen by `where` (and its ORDER BY), each with the names of who did and approved
    it and its `context`."""
    rows = conn.execute(
        "SELECT e.*, a.name AS actor_name, p.name AS approver_name FROM events e"
        " LEFT JOIN staff a ON a.id = e.actor LEFT JOIN staff p ON p.id = e.approver" + where,
        params,
    ).fetchall()
    out = []
    for row in rows:
        data = dict(row)
        names = {"actor_name": data.pop("actor_name"), "approver_name": data.pop("approver_name")}
        noun = events.ENTITIES[data["entity"]].noun
        out.append({**events.Event.from_row(data).to_json(), "noun": noun, **names})
    add_context(conn, out)
    return out


def add_context(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
    """Give each event row its `context`: what it is about, and `names` of the ids in its
    fields. One query per kind of thing on the page."""
    subjects: dict[str, set[str]] = defaultdict(set)
    referenced: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row["entity"] in SUBJECTS:
            subjects[row["entity"]].add(row["entity_id"])
        for key, table in REFERENCES.items():
            value = row["fields"].get(key)
            if isinstance(value, str):
                referenced[table].add(value)
    about = {
        entity: _by_id(conn, SUBJECTS[entity], ids) for entity, ids in sorted(subjects.items())
    }
    jobs = _jobs_then(conn, [row["seq"] for row in rows if row["entity"] == "print_jobs"])
    referenced["printers"].update(job["printer_id"] for job in jobs.values() if job["printer_id"])
    names: dict[str, str] = {}
    for table, ids in sorted(referenced.items()):
        sql = f"SELECT id, name FROM {table} WHERE id IN {_IDS}"
        names.update((key, found["name"]) for key, found in _by_id(conn, sql, ids).items())
    for row in rows:
        context = dict(about.get(row["entity"], {}).get(row["entity_id"], {}))
        then = jobs.get(row["seq"])
        if then is not None:
            context["printer"] = names.get(then["printer_id"], context.get("printer"))
            if then["last_error"] and _failed_attempt(row["fields"]):
                context["last_error"] = then["last_error"]
        named = {
            key: names[value]
            for key, value in row["fields"].items()
            if key in REFERENCES and isinstance(value, str) and value in names
        }
        if named:
            context["names"] = named
        row["context"] = {key: value for key, value in context.items() if value is not None}


def _jobs_then(conn: sqlite3.Connection, seqs: list[int]) -> dict[int, dict[str, Any]]:
    """For print job events, by seq: the printer the job was on and its last error at that
    moment, from the job's own earlier events. A job moves to a backup printer, and a failed
    attempt records its error only when it differs from the last one, so the job row as it is
    now would name the wrong printer or no reason at all."""
    if not seqs:
        return {}
    earlier = (
        "SELECT json_extract(p.fields, '$.{key}') FROM events p"
        " WHERE p.entity = 'print_jobs' AND p.entity_id = e.entity_id AND p.seq <= e.seq"
        " AND json_extract(p.fields, '$.{key}') IS NOT NULL ORDER BY p.seq DESC LIMIT 1"
    )
    found = conn.execute(
        f"SELECT e.seq, ({earlier.format(key='printer_id')}) AS printer_id,"
        f" ({earlier.format(key='last_error')}) AS last_error FROM events e"
        f" WHERE e.seq IN (SELECT value FROM json_each(:seqs))",
        {"seqs": json.dumps(seqs)},
    ).fetchall()
    return {row["seq"]: dict(row) for row in found}


def _failed_attempt(fields: dict[str, Any]) -> bool:
    return bool(fields.get("attempts")) or fields.get("state") == "failed"


def _by_id(conn: sqlite3.Connection, sql: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    found = conn.execute(sql, {"ids": json.dumps(sorted(ids))}).fetchall()
    out = {}
    for row in found:
        data = dict(row)
        key = data.pop("id")
        out[key] = {name: value for name, value in data.items() if value is not None}
    return out
