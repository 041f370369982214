"""What the hub tells about a store: its change feed (the pull), its rows, its inbox (the audit
of every pushed event with its verdict) and its digest.

The pull gives a box everything, secrets included (a PIN changed on another box must reach it);
everything an owner reads has its secret fields masked (`Entity.masked`).
"""

from __future__ import annotations

from typing import Any

from hub.domain.devices import Device
from hub.domain.stores import found
from hub.storage.tx import Row, Tx
from service.errors import NotFound
from sync.canonical import kept_rows, stored_digest
from sync.entities import ENTITIES, Entity, synced
from sync.envelope import Change, Kept, PullPage

# The store's own rows (orders, tickets: owner `edge`) as the hub took them, unchanged, are not
# sent back: the box holds them already and no merge ever bases on their revision, so fetching
# them (most of a backlog's changes) would cost both sides for nothing. What the box needs of
# its pushes still comes down: the values a merge kept, and hub-owned rows' new revisions.
# Another box's of the store (a box replaced, or two at once) are not sent either: each box
# keeps the orders it took; what another box changed of the store's configuration (its menu,
# staff, tables ...) comes down as an owner's edit does, so a box made anew gets the store's
# setup on its first pull.
UNMERGED_EDGE = tuple(entity.name for entity in synced() if entity.owner == "edge")


def pull(tx: Tx, device: Device, cursor: int, limit: int) -> PullPage:
    """The store's changes after `cursor`, oldest first, at most `limit`; the cursor to ask
    from next passes the changes left out (UNMERGED_EDGE), so a box never reads them."""
    upto = tx.last_cursor(device.store_id)  # first: every change up to it is committed
    rows = tx.changes(
        device.store_id, after=cursor, upto=upto, limit=limit + 1, unmerged_edge=UNMERGED_EDGE
    )
    page = rows[:limit]
    more = len(rows) > limit
    changes = [
        Change(
            cursor=row.cursor,
            id=row.id,
            hlc=row.hlc,
            at=row.at,
            entity=row.entity,
            entity_id=row.entity_id,
            op=row.op,  # type: ignore[arg-type]
            fields=row.fields,
            rev=row.rev,
            actor=row.actor,
            source="edge" if row.source == device.node else "hub",  # this box's, or not
            seq=row.seq if row.source == device.node else None,
            kept={name: Kept(**kept) for name, kept in row.kept.items()},
        )
        for row in page
    ]
    return PullPage(
        cursor=page[-1].cursor if more else max(cursor, upto), has_more=more, changes=changes
    )


def synced_entity(name: str) -> Entity:
    """A synced entity named in a path; a local one or none is no entity the hub holds."""
    entity = ENTITIES.get(name)
    if entity is None or entity.owner == "local":
        raise NotFound(f"the hub holds no {name!r}", code="unknown_entity")
    return entity


def shown(row: Row) -> dict[str, Any]:
    """A row as an owner sees it: secrets masked."""
    return {
        "entity": row.entity,
        "id": row.id,
        "rev": row.rev,
        "fields": ENTITIES[row.entity].masked(row.fields),
    }


def rows(tx: Tx, store_id: str, entity: str, after: str, limit: int) -> dict[str, Any]:
    """A page of the store's rows of `entity`, by id; `next` is the `after` of the next page."""
    declared = synced_entity(entity)
    page = tx.entity_rows(found(tx, store_id)["id"], declared.name, after=after, limit=limit + 1)
    more = len(page) > limit
    page = page[:limit]
    return {"rows": [shown(row) for row in page], "next": page[-1].id if more else None}


def row(tx: Tx, store_id: str, entity: str, row_id: str) -> dict[str, Any]:
    declared = synced_entity(entity)
    key = (declared.name, row_id)
    found_row = tx.rows_by_id(found(tx, store_id)["id"], [key]).get(key)
    if found_row is None or found_row.deleted:
        raise NotFound(f"no such {declared.noun} in this store", code="unknown_row")
    return shown(found_row)


def inbox(
    tx: Tx, store_id: str, after: int, limit: int, status: str | None, node: str | None = None
) -> list[dict[str, Any]]:
    """The store's pushed events from `after` on, each with the hub's verdict and the node of
    the box that pushed it (each box numbers its own: `node` pages through one box's); secrets
    masked (in the event and in the values a merge kept)."""
    entries = tx.inbox(
        found(tx, store_id)["id"], after=after, limit=limit, status=status, node=node
    )
    out = []
    for node_, entry in entries:
        entity = ENTITIES.get(entry.event["entity"])
        event, verdict = dict(entry.event), dict(entry.verdict)
        if entity is not None and entity.secret:
            event["fields"] = entity.masked(event["fields"])
            verdict["kept"] = {
                name: {**kept, "edge": "***", "hub": "***"} if name in entity.secret else kept
                for name, kept in verdict["kept"].items()
            }
        out.append(
            {"node": node_, "seq": entry.seq, "at": entry.at, "event": event, "verdict": verdict}
        )
    return out


def digest(tx: Tx, store_id: str, tickets_before: str | None = None) -> dict[str, Any]:
    """The store's digest as the hub holds it (`sync.canonical.stored_digest`): equal to the
    box's, the two hold the same store. `tickets_before` is the box's (it may have pruned the
    kitchen tickets fired before it; the hub keeps them): those are left out, as the box leaves
    them out of its own (`sync.canonical.kept_rows`)."""
    store = found(tx, store_id)
    live = list(kept_rows(tx.live_rows(store["id"]), tickets_before))
    return {
        "store_id": store["id"],
        "digest": stored_digest(live),
        "rows": len(live),
        "tickets_before": tickets_before,
    }
