"""A store's pushed batch, applied: each event once, in seq order, in one transaction.

A box numbers its events itself (`seq`, gapless), so each box is a stream of its own: the
store's and the node the box enrolled with (made at its first boot, with its database). A box
enrolled again with a new key keeps its node, and its stream; a box made anew for the store (a
dead card replaced), whose seqs start at 1 again, and a second box of the store each have their
own, and their events are taken as the first box's are.

Under the store's row lock (a retry racing its original waits, then finds its events done):
an event the stream holds already answers its stored verdict (a duplicate is an
acknowledgement); a batch that starts beyond the stream's push cursor is refused whole (a gap:
the box resends from the hub's cursor); so is a batch with another event under a seq the stream
holds (`restored`: the box runs on an older copy of its database, whose new events reuse the
seqs of those it lost; the hub takes none of them for the events it has, and the box keeps
them waiting and says so); every other event is checked against its entity's
declaration and applied. An order (edge-owned) applies as the store made it; a hub-owned row
merges field by field (`sync.merge`: the hub's value stands where someone else changed the field
since the store's base). An event that cannot apply is rejected with its reason and changes
nothing else. Each event gets its inbox row (the audit, with its verdict), each applied or
merged one a change in the store's feed, whose cursor becomes the row's revision.

Only the rows the events depend on are read (by their whole key, in one query per entity);
rows, changes and inbox rows are written at the end, each kind in one statement, all together
with the store's new cursor (one round trip on PostgreSQL): the batch's cost in round trips to
the database grows neither with its size nor with the store's data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hub.domain.devices import Device, check_store
from hub.storage.tx import ChangeRow, InboxEntry, Row, Tx
from service import config_fields
from service.errors import Conflict, GalleyError, Invalid
from sync.canonical import MAX_DEPTH, canonical_fields, nests_within
from sync.clock import HybridClock, Timestamp, now_iso, now_ms
from sync.entities import ENTITIES, Entity, split_parts
from sync.envelope import Kept, PushBatch, PushedEvent, PushResult, Status, Verdict
from sync.errors import BadEvent
from sync.ids import uuid7
from sync.merge import Merge, check_delete, merge, revise
from sync.signing import WINDOW_S

CLOCK = HybridClock("hub")
# How far ahead of the hub's wall clock a box's reading may take the hub's clock: as far as a
# signed request may be. The hub's clock stamps every tenant's changes, so a box whose clock is
# years ahead (set wrong, or lying) must not move it there: its own events keep their readings,
# and the hub's readings for them are as late as this allows.
AHEAD_MS = WINDOW_S * 1000
# A reading's counter counts events within one millisecond, written in four hex digits: a box's
# reading beyond them counts as the most they hold, so that a box cannot carry every tenant's
# readings past them either (a counter of 40 digits made each of theirs 40 digits long).
MOST_COUNTER = 0xFFFF
# How deep a refused event's fields may nest to be kept whole in the inbox (a value nested past
# MAX_DEPTH in an order's line is refused, and kept): far below the 254 levels orjson writes,
# with room for the inbox's answer around it. A batch with a refused event nested deeper is
# malformed.
KEPT_DEPTH = 2 * MAX_DEPTH


def push(tx: Tx, device: Device, batch: PushBatch) -> PushResult:
    check_store(device, batch.store_id)
    [store] = tx.lock_stores([batch.store_id])
    upto = tx.push_upto(store["id"], device.node)
    if batch.after > upto:
        raise Conflict(
            f"this batch starts after seq {batch.after}, but the hub holds this box's events"
            f" up to {upto}: send again from there",
            code="gap",
            push_upto=upto,
        )
    seen = tx.verdicts(store["id"], device.node, [event.seq for event in batch.events])
    _check_same(seen, batch.events, upto)
    fresh = [event for event in batch.events if event.seq not in seen]
    batch_run = _Batch(tx, store["id"], device.node, fresh)
    verdicts = []
    for event in batch.events:
        if event.seq in seen:
            verdicts.append(Verdict.from_json(seen[event.seq]))
        else:
            verdicts.append(batch_run.apply(event))
    with tx.together():
        batch_run.write()
        if batch.events and batch.events[-1].seq > upto:
            upto = batch.events[-1].seq
            tx.set_push_upto(store["id"], device.node, upto)
    return PushResult(upto=upto, verdicts=verdicts)


def _check_same(seen: dict[int, dict[str, Any]], events: list[PushedEvent], upto: int) -> None:
    """Refuse a batch with another event under a seq the box's stream holds: the box runs on an
    older copy of its database (restored from a backup, or a copy of its card), whose new events
    reuse the seqs of those it lost. None of them is the event the hub took under its seq, and
    none may be taken in its place: the box keeps them, and is told (409 `restored`)."""
    for event in events:
        stored = seen.get(event.seq)
        if stored is not None and stored["event_id"] != event.id:
            raise Conflict(
                f"the hub holds another event as this box's seq {event.seq} (and this box's"
                f" events up to {upto}): this box runs on an older copy of its database, whose"
                " new events reuse the seqs of those it lost. None is taken; they wait on the"
                " box (README, Replacing a box)",
                code="restored",
                seq=event.seq,
                push_upto=upto,
            )


def _bounded(readings: Iterable[str]) -> list[Timestamp]:
    """The box's clock readings, each at most AHEAD_MS ahead of the hub's wall clock and with a
    counter of at most MOST_COUNTER."""
    latest = now_ms() + AHEAD_MS
    stamps = [Timestamp.parse(reading) for reading in readings]
    return [
        s
        if s.ms <= latest and s.counter <= MOST_COUNTER
        else Timestamp(min(s.ms, latest), min(s.counter, MOST_COUNTER), s.node)
        for s in stamps
    ]


def _reads_row(event: PushedEvent) -> bool:
    """Whether applying `event` reads the hub's copy of its row: every event but the create of
    an edge-owned row, which is made as the store made it (as are the part rows an event
    carries: new rows, never read)."""
    entity = ENTITIES.get(event.entity)
    return entity is not None and not (entity.owner == "edge" and event.op == "create")


class _Batch:
    """The fresh events of one batch, applied to the store's rows in memory, then written."""

    def __init__(self, tx: Tx, store_id: str, node: str, events: list[PushedEvent]) -> None:
        self.tx = tx
        self.store_id = store_id
        self.node = node
        self.rows = tx.rows_by_id(
            store_id, ((e.entity, e.entity_id) for e in events if _reads_row(e))
        )
        self.touched: dict[tuple[str, str], Row] = {}
        self.cursors = iter(tx.next_cursors(len(events)))
        # the hub's clock readings of the changes, each after every event of the batch
        self.readings = iter(CLOCK.observe_all(_bounded(e.hlc for e in events)))
        self.changes: list[ChangeRow] = []
        self.inbox: list[InboxEntry] = []
        self.at = now_iso()

    def apply(self, event: PushedEvent) -> Verdict:
        try:
            fields = canonical_fields(event.entity, event.fields)
            entity = ENTITIES[event.entity]
            if entity.owner == "edge":
                verdict = self._take(entity, event, fields)
            else:
                verdict = self._merge(entity, event, fields)
        except BadEvent as error:
            if not nests_within(event.fields, KEPT_DEPTH):
                raise GalleyError(
                    f"event {event.seq}'s fields nest more than {KEPT_DEPTH} levels deep: the"
                    " hub cannot keep it",
                    code="bad_envelope",
                ) from None
            verdict = Verdict(event.seq, event.id, "rejected", None, reason=error.reason)
        self.inbox.append(
            InboxEntry(
                event.seq, event.id, verdict.status, event.to_json(), verdict.to_json(), self.at
            )
        )
        return verdict

    def write(self) -> None:
        self.tx.put_rows(self.store_id, self.touched.values())
        self.tx.add_changes(self.store_id, self.changes)
        self.tx.add_inbox(self.store_id, self.node, self.inbox)

    def _live(self, entity: Entity, event: PushedEvent) -> Row:
        row = self.rows.get((entity.name, event.entity_id))
        if row is None or row.deleted:
            raise BadEvent(f"the hub has no such {entity.noun}", code="unknown_row")
        return row

    def _put(self, row: Row) -> None:
        key = (row.entity, row.id)
        self.rows[key] = self.touched[key] = row

    def _take(self, entity: Entity, event: PushedEvent, fields: dict[str, Any]) -> Verdict:
        """An edge-owned row: the store's event applies as it is."""
        own, parts = split_parts(entity.name, fields)
        if event.op == "create":
            values = entity.complete(own)
        else:
            values = {**self._live(entity, event).fields, **own}
        # every part completed before anything is put: a part that cannot be made rejects the
        # whole event, which then changes nothing
        made = [Row(part, i, 0, ENTITIES[part].complete(given)) for part, i, given in parts]
        cursor = next(self.cursors)
        self._put(Row(entity.name, event.entity_id, cursor, values, deleted=event.op == "delete"))
        for row in made:
            row.rev = cursor
            self._put(row)
        self._change(event, cursor, fields, {})
        return Verdict(event.seq, event.id, "applied", cursor)

    def _merge(self, entity: Entity, event: PushedEvent, fields: dict[str, Any]) -> Verdict:
        """A hub-owned row: field by field, the hub's value standing where it changed since
        the store's base."""
        source = self.store_id
        found = self.rows.get((entity.name, event.entity_id))
        if event.op == "create" and (found is None or found.deleted):
            row = Row(entity.name, event.entity_id, 0, {})
            outcome = Merge(apply=entity.complete(fields))
        elif event.op == "create" and found is not None:
            row = found
            outcome = merge(row.fields, row.field_revs, fields, 0, source)
        else:
            row = self._live(entity, event)
            if event.op == "delete":
                check_delete(row.field_revs, event.base_rev, source)
                outcome = Merge()
            else:
                outcome = merge(row.fields, row.field_revs, fields, event.base_rev, source)
            outcome = _within_rules(entity.name, row.fields, outcome)
        cursor = next(self.cursors)
        values = {**row.fields, **outcome.apply}
        revs = revise(row.field_revs, outcome.apply, cursor, source)
        self._put(Row(entity.name, row.id, cursor, values, revs, deleted=event.op == "delete"))
        kept = self._kept(row, outcome)
        shown = {name: values.get(name) for name in (values if event.op == "create" else fields)}
        self._change(event, cursor, shown, kept)
        status: Status = "merged" if kept else "applied"
        return Verdict(event.seq, event.id, status, cursor, kept=kept)

    def _kept(self, row: Row, outcome: Merge) -> dict[str, Kept]:
        """Both values of each field where the hub's stood, and who set the hub's, when."""
        if not outcome.kept:
            return {}
        revs = {name: _blamed(row, name, self.store_id) for name in outcome.kept}
        authors = self.tx.change_authors(self.store_id, revs.values())
        kept = {}
        for name, (edge, hub) in outcome.kept.items():
            actor, at = authors.get(revs[name], (None, self.at))
            kept[name] = Kept(edge=edge, hub=hub, hub_actor=actor, hub_at=at)
        return kept

    def _change(
        self, event: PushedEvent, cursor: int, fields: dict[str, Any], kept: dict[str, Kept]
    ) -> None:
        self.changes.append(
            ChangeRow(  # by position: a named tuple made by keyword takes a slower path
                cursor,
                uuid7(),
                str(next(self.readings)),
                self.at,
                event.entity,
                event.entity_id,
                event.op,
                fields,
                cursor,
                event.actor,
                self.node,  # the box's: its own pull knows it as its own, the others' not
                event.seq,
                {name: value.to_json() for name, value in kept.items()} if kept else {},
            )
        )


def _within_rules(entity: str, current: dict[str, Any], outcome: Merge) -> Merge:
    """Server wins across fields too. A store's edit and an owner's of two fields of one rule
    (the store raised a modifier group's "at least" to 3, the owner lowered its "at most" to
    1) each keep the rule and break it together. The hub's row keeps it (its own edits are
    checked against it), so the store's field that breaks it keeps the hub's value, kept as a
    field both changed would be, and the rest of the edit applies; if no one field does, the
    hub's value stands for all of them. Before, the hub took the row that breaks the rule, the
    box refused the owner's change, and the two stayed apart for good."""
    if _keeps_rules(entity, outcome.apply, current):
        return outcome
    for name, value in outcome.apply.items():
        rest = {other: v for other, v in outcome.apply.items() if other != name}
        if _keeps_rules(entity, rest, current):
            return Merge(rest, {**outcome.kept, name: (value, current.get(name))})
    given = {name: (value, current.get(name)) for name, value in outcome.apply.items()}
    return Merge({}, {**outcome.kept, **given})


def _keeps_rules(entity: str, fields: dict[str, Any], current: dict[str, Any]) -> bool:
    try:
        config_fields.check(entity, fields, current)
    except Invalid:
        return False
    return True


def _blamed(row: Row, name: str, source: str) -> int:
    """The revision of the hub's change that `name` kept its value against: that field's, or,
    for a field kept by a rule across fields (`_within_rules`), the newest change of the row
    someone other than the store made."""
    rev = row.field_revs.get(name)
    if rev is not None and rev.source != source:
        return rev.rev
    return max((r.rev for r in row.field_revs.values() if r.source != source), default=row.rev)
