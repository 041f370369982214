"""What sync could not simply apply, for a manager: the conflict inbox and the rejected events.

Server wins, field by field: when the hub kept its value of a field the store also changed while
apart, the push's verdict says so (`merged`, with both values) and the box keeps a conflict per
field, with who changed each side and when. A manager sees them on the admin page and either
applies the store's value again, as a new edit through the entity's own domain function (the
same checks as any edit; the hub takes it, as the store's edit now comes after the hub's), or
dismisses it. An event the hub refused (`rejected`, with its reason) is kept whole, as is a hub
change this box could not apply: nothing is discarded.

The recording functions run in the sync service's writes, in the same transaction as the cursor
they move (`edge.core.identity.pushed`), so a verdict is recorded exactly once.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from edge.core import events, identity
from edge.core.events import WriteConnection, commit, to_json
from edge.core.permissions import Actor, require
from edge.domain import menu, staff, store, store_printers, tables
from service.errors import Conflict, NotFound
from service.shapes import COUNT, ID, INSTANT, array, enum, nullable, shape, text
from sync.canonical import IMPLICIT
from sync.clock import now_iso
from sync.entities import ENTITIES
from sync.envelope import PushedEvent, PushResult
from sync.ids import uuid7

# "Apply mine again": the domain function that edits one row of each hub-owned entity.
Edit = Callable[[WriteConnection, Actor, str, dict[str, Any]], Any]
EDITS: dict[str, Edit] = {
    "store": lambda conn, actor, _id, values: store.update(conn, actor, values),
    "tax_rates": menu.update_tax_rate,
    "menu_categories": menu.update_category,
    "menu_items": menu.update_item,
    "modifier_groups": menu.update_group,
    "modifiers": menu.update_modifier,
    "areas": tables.update_area,
    "tables": tables.update_table,
    "staff": staff.update,
    "printers": store_printers.update,
}

CONFLICT_VIEW = shape(
    "SyncConflict",
    {
        "id": ID,
        "entity": text("what was edited: menu_items, staff, ..."),
        "noun": text("what the row is, in words"),
        "entity_id": text("the row's id"),
        "subject": nullable(text("the row's name, if it has one")),
        "field": text(),
        "mine": {"description": 'the store\'s value ("***" for a secret)'},
        "hub": {"description": 'the hub\'s value, which stands ("***" for a secret)'},
        "mine_by": nullable(text("who changed it at the store (a name)")),
        "mine_at": INSTANT,
        "hub_by": nullable(text("who changed it on the hub (an owner's email)")),
        "hub_at": INSTANT,
        "state": enum(("open", "reapplied", "dismissed")),
        "resolved_by": nullable(text("who reapplied or dismissed it (a name)")),
        "resolved_at": nullable(INSTANT),
        "can_reapply": {"type": "boolean"},
    },
)
REJECTION_VIEW = shape(
    "SyncRejection",
    {
        "id": ID,
        "source": enum(("push", "pull")),
        "seq": nullable(COUNT),
        "entity": text(),
        "noun": text(),
        "entity_id": text(),
        "op": enum(("create", "update", "delete")),
        "fields": {"type": "object", "description": "what the event changed, secrets masked"},
        "by": nullable(text("who made the change (a name)")),
        "code": text("why: the hub's reason code"),
        "message": text(),
        "at": INSTANT,
    },
)
CONFLICTS = shape("SyncConflicts", {"conflicts": array(CONFLICT_VIEW)})
REJECTIONS = shape("SyncRejections", {"rejections": array(REJECTION_VIEW)})


# ---- recorded by the sync service ------------------------------------------------------------


def record_push(
    conn: WriteConnection, pushed: Iterable[PushedEvent], result: PushResult, upto: int
) -> None:
    """The hub's verdicts on a batch: a conflict per field it kept, a rejection per event it
    refused; the push cursor moves to `upto` in the same transaction."""
    by_seq = {event.seq: event for event in pushed}
    for verdict in result.verdicts:
        event = by_seq.get(verdict.seq)
        if event is None or verdict.status == "applied":
            continue  # acknowledged (a resend of what an earlier answer already told)
        if _recorded(conn, verdict.seq):
            continue
        if verdict.status == "merged":
            for name, kept in verdict.kept.items():
                values = {
                    "seq": event.seq,
                    "entity": event.entity,
                    "entity_id": event.entity_id,
                    "field": name,
                    "edge_value": to_json(kept.edge),
                    "hub_value": to_json(kept.hub),
                    "edge_actor": event.actor,
                    "edge_at": event.at,
                    "hub_actor": kept.hub_actor,
                    "hub_at": kept.hub_at,
                }
                commit(conn, None, "sync_conflicts", uuid7(), "create", values)
        else:
            reason = verdict.reason
            record_rejection(
                conn,
                "push",
                event.seq,
                event.id,
                event.entity,
                event.entity_id,
                event.op,
                event.fields,
                event.actor,
                reason.code if reason else "rejected",
                reason.message if reason else "the hub refused it",
            )
            if event.op == "delete" and reason is not None and reason.code == "changed_on_hub":
                _restore(conn, event)
    identity.pushed(conn, upto)


def _restore(conn: WriteConnection, event: PushedEvent) -> None:
    """The hub refused the store's delete of a row someone changed on the hub since the store
    saw it (server wins: the delete would throw their change away unseen). The row comes back
    here as the delete found it, at the revision the store had seen, as a change from the hub
    (it is the hub's refusal; never pushed back), and the pull that follows brings the hub's
    change on top of it: without it the box lacked for good a row the hub keeps. A row that
    cannot come back (a link made again since, under its own id) stays refused, listed."""
    row = {name: value for name, value in event.fields.items() if name not in IMPLICIT}
    with contextlib.suppress(sqlite3.IntegrityError), events.step(conn):
        commit(conn, None, event.entity, event.entity_id, "create", row, origin="hub",
               hub_event=(uuid7(), event.hlc), hub_rev=event.base_rev)  # fmt: skip


TOO_LARGE = "too_large"


def record_too_large(conn: WriteConnection, event: PushedEvent, body_limit: int) -> None:
    """An event no push could carry (the hub reads at most `body_limit` bytes of a request):
    kept as a rejection for a manager, and left out of every push from now on."""
    record_rejection(
        conn,
        "push",
        event.seq,
        event.id,
        event.entity,
        event.entity_id,
        event.op,
        event.fields,
        event.actor,
        TOO_LARGE,
        f"this event is larger than the hub takes in one request ({body_limit // 2**20} MB):"
        " it stays on this box only",
    )


def too_large_seqs(conn: sqlite3.Connection, after: int) -> set[int]:
    """The seqs after `after` of the events kept as too large to push."""
    found = conn.execute(
        "SELECT seq FROM sync_rejections WHERE source = 'push' AND code = ? AND seq > ?",
        (TOO_LARGE, after),
    )
    return {row[0] for row in found}


def _recorded(conn: sqlite3.Connection, seq: int) -> bool:
    """Whether a verdict on the store's event `seq` is kept already (an answer read twice)."""
    return bool(
        conn.execute("SELECT 1 FROM sync_conflicts WHERE seq = ? LIMIT 1", (seq,)).fetchone()
        or conn.execute("SELECT 1 FROM sync_rejections WHERE seq = ? LIMIT 1", (seq,)).fetchone()
    )


def record_rejection(
    conn: WriteConnection,
    source: str,
    seq: int | None,
    event_id: str,
    entity: str,
    entity_id: str,
    op: str,
    fields: dict[str, Any],
    actor: str | None,
    code: str,
    message: str,
) -> None:
    values = {
        "source": source,
        "seq": seq,
        "event_id": event_id,
        "entity": entity,
        "entity_id": entity_id,
        "op": op,
        "fields": to_json(fields),
        "actor": actor,
        "code": code,
        "message": message,
        "created_at": now_iso(),
    }
    commit(conn, None, "sync_rejections", uuid7(), "create", values)


# ---- read and resolved by managers -----------------------------------------------------------


# The most conflicts or rejections a list answers, newest first.
LISTED = 500


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """The open conflicts (on `sync_conflicts_state`: what is in hand), and the rejections as
    many as their list shows (`LISTED` at most): they are kept for good, and the badge of every
    staff page reads this, so it never counts a list that only grows."""
    conflicts = conn.execute("SELECT COUNT(*) FROM sync_conflicts WHERE state = 'open'")
    rejected = conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM sync_rejections LIMIT ?)", (LISTED,)
    )
    return {"open_conflicts": conflicts.fetchone()[0], "rejected": rejected.fetchone()[0]}


# Conflicts with the names of who made the store's edit and who resolved it.
_CONFLICTS = (
    "SELECT c.*, mine.name AS mine_name, resolver.name AS resolver_name"
    " FROM sync_conflicts c LEFT JOIN staff mine ON mine.id = c.edge_actor"
    " LEFT JOIN staff resolver ON resolver.id = c.resolved_by"
)


def conflicts(conn: sqlite3.Connection, actor: Actor, state: str | None) -> dict[str, Any]:
    """The conflicts, newest first: open ones only unless `state` says otherwise ("all")."""
    require(actor, "sync.manage")
    where, args = ("", ()) if state == "all" else ("WHERE c.state = ?", (state or "open",))
    rows = conn.execute(
        f"{_CONFLICTS} {where} ORDER BY c.seq DESC, c.field LIMIT ?", (*args, LISTED)
    ).fetchall()
    return {"conflicts": [_conflict_view(conn, row) for row in rows]}


def _conflict_view(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    entity = ENTITIES.get(row["entity"])
    secret = entity is not None and row["field"] in entity.secret
    return {
        "id": row["id"],
        "entity": row["entity"],
        "noun": _noun(row["entity"]),
        "entity_id": row["entity_id"],
        "subject": _subject(conn, row["entity"], row["entity_id"]),
        "field": row["field"],
        "mine": "***" if secret else _value(row["edge_value"]),
        "hub": "***" if secret else _value(row["hub_value"]),
        "mine_by": row["mine_name"] or row["edge_actor"],
        "mine_at": row["edge_at"],
        "hub_by": row["hub_actor"],
        "hub_at": row["hub_at"],
        "state": row["state"],
        "resolved_by": row["resolver_name"] or row["resolved_by"],
        "resolved_at": row["resolved_at"],
        "can_reapply": row["state"] == "open" and row["entity"] in EDITS,
    }


def _noun(entity: str) -> str:
    declared = ENTITIES.get(entity)
    return declared.noun if declared else entity


def _value(text: str) -> Any:
    return orjson.loads(text)


def _subject(conn: sqlite3.Connection, entity: str, entity_id: str) -> str | None:
    declared = ENTITIES.get(entity)
    if declared is None or "name" not in declared.fields:
        return None
    found = conn.execute(f"SELECT name FROM {entity} WHERE id = ?", (entity_id,)).fetchone()
    return found[0] if found else None


def rejections(conn: sqlite3.Connection, actor: Actor) -> dict[str, Any]:
    require(actor, "sync.manage")
    rows = conn.execute(
        "SELECT r.*, s.name AS by_name FROM sync_rejections r"
        " LEFT JOIN staff s ON s.id = r.actor ORDER BY r.created_at DESC, r.id DESC LIMIT ?",
        (LISTED,),
    ).fetchall()
    return {
        "rejections": [
            {
                "id": row["id"],
                "source": row["source"],
                "seq": row["seq"],
                "entity": row["entity"],
                "noun": ENTITIES[row["entity"]].noun
                if row["entity"] in ENTITIES
                else row["entity"],
                "entity_id": row["entity_id"],
                "op": row["op"],
                "fields": events.shown(row["entity"], _value(row["fields"])),
                "by": row["by_name"] or row["actor"],
                "code": row["code"],
                "message": row["message"],
                "at": row["created_at"],
            }
            for row in rows
        ]
    }


def _open(conn: sqlite3.Connection, conflict_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM sync_conflicts WHERE id = ?", (conflict_id,)).fetchone()
    if row is None:
        raise NotFound("no such conflict", code="unknown_conflict")
    if row["state"] != "open":
        raise Conflict(f"this conflict was {row['state']} already", code="conflict_closed")
    return row


def reapply(conn: WriteConnection, actor: Actor, conflict_id: str) -> dict[str, Any]:
    """Apply the store's value again, as a new edit by `actor` through the entity's domain
    function (its checks and permissions apply); the conflict is then `reapplied`."""
    require(actor, "sync.manage")
    row = _open(conn, conflict_id)
    edit = EDITS.get(row["entity"])
    if edit is None:
        raise Conflict(f"a {row['entity']} cannot be edited here", code="not_reapplicable")
    edit(conn, actor, row["entity_id"], {row["field"]: _value(row["edge_value"])})
    return _close(conn, actor, row, "reapplied")


def dismiss(conn: WriteConnection, actor: Actor, conflict_id: str) -> dict[str, Any]:
    """The hub's value stands and the manager has seen it."""
    require(actor, "sync.manage")
    return _close(conn, actor, _open(conn, conflict_id), "dismissed")


def _close(conn: WriteConnection, actor: Actor, row: sqlite3.Row, state: str) -> dict[str, Any]:
    values = {"state": state, "resolved_by": actor.id, "resolved_at": now_iso()}
    commit(conn, actor.id, "sync_conflicts", row["id"], "update", values)
    found = conn.execute(f"{_CONFLICTS} WHERE c.id = ?", (row["id"],)).fetchone()
    return _conflict_view(conn, found)
