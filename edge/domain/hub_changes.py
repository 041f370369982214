"""Applying what the box pulled from the hub, change by change, through `commit(origin="hub")`.

Two kinds of change come down (`sync.envelope.Change`):

- An owner's edit on the hub (`source` hub): created, changed or deleted here as on the hub,
  the event keeping the hub's id and clock, the row taking the hub's revision.
- One of this box's own pushed events as the hub applied it (`source` edge): the row takes the
  hub's revision (which the box's next edit of it is based on) and, where the hub kept its own
  value against the store's (server wins), that value. The rest is what the box already holds;
  writing it again would undo a newer edit made here since the push. The store's own rows
  (orders: owner `edge`) never merge, so their revision is never a base: nothing is written
  for them, which keeps a backlog's pull from costing the tills a write per order.

A change that cannot be applied here (a row deleted at the store meanwhile, a delete that other
rows still point at, a value the box's own rules for that field refuse: a time zone that does
not exist would stop every order) is kept as a rejection (`sync_inbox`), never dropped, the box
keeps its value, and the next change goes on: one bad change must not stall the pull. A name
or code another row here holds is no such value: the store's row moves aside (`_move_aside`).
Each change runs in a savepoint of its own. The pull cursor moves in the same transaction
(`identity.pulled`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from edge.core import identity, retention
from edge.core.events import Op, WriteConnection, commit, step
from edge.domain import staff
from edge.domain.duplicates import aside, holders
from edge.domain.sync_inbox import record_rejection
from service import config_fields
from service.errors import Invalid
from sync.canonical import columns_digest
from sync.entities import ENTITIES, split_parts, synced
from sync.envelope import Change
from sync.errors import BadEvent
from sync.ids import uuid7


def apply(conn: WriteConnection, changes: Iterable[Change], cursor: int) -> int:
    """Apply `changes` in order and move the pull cursor to `cursor`; returns how many were
    kept as rejections. Changes at or before the cursor already are applied already (a page
    read twice): skipped, so each is applied once."""
    refused = 0
    applied_upto = identity.sync_state(conn).pull_cursor
    for change in changes:
        if change.cursor <= applied_upto:
            continue
        try:
            with step(conn):
                _apply(conn, change)
        except (
            sqlite3.IntegrityError,
            BadEvent,
            Invalid,
            LookupError,
            ValueError,
            OverflowError,  # a number past SQLite's 64 bits
        ) as error:
            code = getattr(error, "code", None) or type(error).__name__
            record_rejection(
                conn,
                "pull",
                change.seq,
                change.id,
                change.entity,
                change.entity_id,
                change.op,
                change.fields,
                change.actor,
                str(code),
                f"this box could not apply the hub's change: {error}",
            )
            refused += 1
    identity.pulled(conn, max(cursor, applied_upto))
    return refused


def _apply(conn: WriteConnection, change: Change) -> None:
    entity = ENTITIES.get(change.entity)
    if entity is None or entity.owner == "local":
        raise BadEvent(f"{change.entity!r} is no entity this box syncs", code="unknown_entity")
    own, _parts = split_parts(change.entity, change.fields)
    found = conn.execute(f"SELECT 1 FROM {entity.name} WHERE id = ?", (change.entity_id,))
    exists = found.fetchone() is not None

    def write(op: Op, fields: dict[str, Any] | None = None) -> None:
        if fields:
            _check(conn, change, entity.name, fields)
        hub_event = (change.id, change.hlc)
        event = commit(conn, change.actor, entity.name, change.entity_id, op, fields,
                       origin="hub", hub_event=hub_event, hub_rev=change.rev)  # fmt: skip
        if event is not None and entity.name == "staff" and op == "update":
            staff.changed(conn, change.actor, change.entity_id, event.fields)

    if change.source == "edge":
        if echo(change):
            return
        if exists and change.op != "delete":  # else deleted here, or by this very event
            write("update", {name: value.hub for name, value in change.kept.items()})
    elif change.op == "delete":
        if exists:
            write("delete")
    elif exists:
        write("update", own)
    elif change.op == "create":
        write("create", entity.complete(own))
    else:
        raise LookupError(f"no such {entity.noun} here: deleted at the store meanwhile?")


def _check(conn: WriteConnection, change: Change, entity: str, fields: dict[str, Any]) -> None:
    """Refuse (`Invalid`) a value the box's own rules for that field refuse
    (`service.config_fields`, as a manager's edit here meets them); the rules across fields
    (at least, at most) read the rest of the row as it is here. A name or code another row
    here holds (`UNIQUE`) stands all the same: that row moves aside (`_move_aside`); a row
    another row here is already (`SAME_ROW`: a dish's modifier group) stands too: that row
    gives way (`_give_way`). A change that breaks a rule across fields only with the store's
    unanswered edit of the row takes that field back as the hub keeps it (`_giving_way`)."""
    entity_id = change.entity_id
    found = conn.execute(f"SELECT * FROM {entity} WHERE id = ?", (entity_id,)).fetchone()
    row = dict(found) if found else None
    if entity in SAME_ROW:
        _give_way(conn, entity, {**(row or {}), **fields}, entity_id)
    if entity not in config_fields.FORMS:
        return
    try:
        cleaned = config_fields.check(entity, fields, row)
    except Invalid:
        if row is None:
            raise
        fields.update(_giving_way(conn, entity, fields, row))
        cleaned = config_fields.check(entity, fields, row)
    rule = config_fields.UNIQUE.get(entity)
    if rule and not rule.reads.isdisjoint(cleaned):
        for holder in holders(conn, entity, {**(row or {}), **cleaned}, entity_id):
            _move_aside(conn, change, entity, holder)


def _giving_way(
    conn: WriteConnection, entity: str, fields: dict[str, Any], row: dict[str, Any]
) -> dict[str, Any]:
    """The hub's change keeps the rules alone and breaks one across fields (at least / at most)
    only with an edit of the store's that the hub has yet to answer: the hub keeps its own row
    to the rule (`hub.domain.push._within_rules`), the store's field keeping the value it had
    before that edit. The box does the same now, with the hub's change, rather than refuse it
    (which kept the owner's change from the box for good): the store's edited field that
    breaks the rule, as it was before the store's edits the hub has yet to answer. None
    found: {} (the change is refused, as before)."""
    before: dict[str, Any] = {}
    mine: dict[str, Any] = {}
    found = conn.execute(
        "SELECT fields, origin, base_rev FROM events WHERE entity = ? AND entity_id = ?"
        " ORDER BY seq",
        (entity, row["id"]),
    )
    for event in found:
        pending = event["origin"] == "local" and event["base_rev"] >= row["hub_rev"]
        (mine if pending else before).update(orjson.loads(event["fields"]))
    for name in mine:
        if name in before and name not in fields:
            undone = {name: before[name]}
            try:
                config_fields.check(entity, {**fields, **undone}, row)
            except Invalid:
                continue
            return undone
    return {}


def _move_aside(conn: WriteConnection, change: Change, entity: str, holder_id: str) -> None:
    """The hub's change gives a row a name or code this store's row `holder_id` holds: the hub
    refuses an owner such an edit, so the store made its row while apart from the hub (a table
    "12" on each side). The hub's value stands, as any does: the store's row takes another
    (`duplicates.aside`: "12 (2)") as an edit of the store's own, which syncs, so the hub ends
    with what the box holds; the manager finds it in the conflict inbox (the store's value and
    what it is now, the hub's change's author and time). Refusing the hub's change instead
    left the two sides apart for good: the box never made the hub's row."""
    field = config_fields.UNIQUE[entity].field
    holder = dict(conn.execute(f"SELECT * FROM {entity} WHERE id = ?", (holder_id,)).fetchone())
    value = aside(conn, entity, holder)
    event = commit(conn, None, entity, holder_id, "update", {field: value})
    assert event is not None  # the value changed
    conflict = {
        "seq": event.seq,
        "entity": entity,
        "entity_id": holder_id,
        "field": field,
        "edge_value": orjson.dumps(holder[field]).decode(),
        "hub_value": orjson.dumps(value).decode(),
        "edge_actor": None,
        "edge_at": event.at,
        "hub_actor": change.actor,
        "hub_at": change.at,
    }
    commit(conn, None, "sync_conflicts", uuid7(), "create", conflict)


# What makes two rows one and the same (the box's UNIQUE of several columns): a dish holds a
# modifier group once.
SAME_ROW = {"item_modifier_groups": ("item_id", "group_id")}


def _give_way(conn: WriteConnection, entity: str, row: dict[str, Any], row_id: str) -> None:
    """The hub's change makes a row that this store's other row is already (a modifier group
    put on a dish on both sides while apart): two ids for one thing, which no name can tell
    apart as `_move_aside` does. The hub's stands, as any value of the hub's does, and the
    store's is deleted as an edit of the store's own, which syncs, so the hub drops its copy
    too. Nothing of the manager's is lost: the dish has the group either way (at the owner's
    position). Refusing the hub's row instead left the hub with both for good."""
    same = SAME_ROW[entity]
    if any(row.get(column) is None for column in same):
        return
    where = " AND ".join(f"{column} = ?" for column in same)
    found = conn.execute(
        f"SELECT id FROM {entity} WHERE {where} AND id != ?",
        (*(row[column] for column in same), row_id),
    )
    for (holder_id,) in found.fetchall():
        commit(conn, None, entity, holder_id, "delete")


def echo(change: Change) -> bool:
    """One of the store's own rows (an order) as the hub took it unchanged: nothing to write,
    as no merge ever bases on its revision. The hub's pull leaves these out
    (`hub.domain.feed.UNMERGED_EDGE`); one that comes all the same changes nothing."""
    entity = ENTITIES.get(change.entity)
    return (
        change.source == "edge"
        and entity is not None
        and entity.owner == "edge"
        and not change.kept
    )


def digest(conn: sqlite3.Connection) -> dict[str, Any]:
    """The box's digest of its synced rows (`sync.canonical.store_digest`): equal to the hub's
    for the store when the two hold the same store, the hub asked with the same
    `tickets_before` (the kitchen tickets fired before it are left out on both sides: the box
    may have pruned them, `edge.core.retention.prune_tickets`). The rows are read in the
    digest's order (entity, then id: SQLite orders text as Python does) and hashed one at a
    time."""
    before = retention.tickets_forgotten_before(conn)
    kept = {  # what the box may have pruned, as `sync.canonical.kept_rows` leaves it out
        "tickets": " WHERE fired_at >= :before",
        "ticket_items": " WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = ticket_id"
        " AND t.fired_at < :before)",
    }

    def tables() -> Iterator[tuple[str, tuple[str, ...], sqlite3.Cursor]]:
        for entity in sorted(synced(), key=lambda entity: entity.name):
            names = tuple(entity.fields)
            cursor = conn.cursor()
            cursor.row_factory = None  # plain tuples: the rows are many
            where = kept.get(entity.name, "") if before else ""
            sql = f"SELECT {', '.join(names)}, id FROM {entity.name}{where} ORDER BY id"
            yield entity.name, names, cursor.execute(sql, {"before": before})

    found, count = columns_digest(tables())
    return {"digest": found, "rows": count, "tickets_before": before}
