"""The bodies edge and hub exchange, as dataclasses that check what they read.

    POST /sync/v1/push    PushBatch  -> PushResult   (a store's events, a verdict for each)
    GET  /sync/v1/pull    ->           PullPage      (the hub's changes for this store)
    POST /sync/v1/enrol   Enrolment  -> Enrolled     (a device key bound to a store)

Every body carries `"schema": 1`; another number is refused (`schema_unsupported`) rather than
guessed at. `from_json` takes parsed JSON and raises BadEnvelope with a reason that names the
place (`events[3].seq`); it checks the shape of a record, not what an event may do: an event of
an unknown or local entity is still a well-formed event, which the hub rejects on its own while
it applies the rest of the batch (`sync.canonical.canonical_fields`). Unknown keys are refused
too: a field this version does not know is a field it would silently drop.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Self, TypeVar, cast

import orjson

from sync.errors import BadEnvelope, Reason
from sync.ids import is_uuid
from sync.signing import public_key_id

SCHEMA = 1
MAX_EVENTS = 500  # events in one push, changes in one pull page
MAX_BODY_BYTES = 16 * 1024 * 1024  # the most the hub reads of one sync request's body
# The largest whole number a seq, a revision or a cursor may be: what SQLite's INTEGER and
# PostgreSQL's bigint hold (a larger one, which JSON allows, would be the database's error)
MAX_WHOLE = 2**63 - 1
MAX_NODE = 64  # characters of a box's node name (edge.core.identity makes 12), shown to owners

Op = Literal["create", "update", "delete"]
Status = Literal["applied", "merged", "rejected"]
Source = Literal["hub", "edge"]

R = TypeVar("R")
_OPS = ("create", "update", "delete")
_HLC = re.compile(r"\d{13,}-[0-9a-f]{4,}-\S+")  # sync.clock.Timestamp's text
_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")  # sync.clock.iso's text
_KEY_ID = re.compile(r"[0-9a-f]{16}")


@functools.cache
def _key_set(keys: tuple[str, ...]) -> frozenset[str]:
    """A record's keys as a set, made once per kind of record."""
    return frozenset(keys)


class _Reader:
    """One JSON object's fields, each read as the type it must be; every complaint names the
    place in the body."""

    def __init__(self, data: Any, where: str, keys: tuple[str, ...]) -> None:
        if type(data) is not dict:
            raise BadEnvelope(f"{where or 'the body'} should be an object")
        if data.keys() != _key_set(keys):  # one comparison for the records that are right
            missing = [key for key in keys if key not in data]
            if missing:
                raise BadEnvelope(f"{self._at(where, missing[0])} is missing")
            unknown = sorted(set(data) - set(keys))
            raise BadEnvelope(f"{self._at(where, unknown[0])} is not a field of this record")
        self.data = data
        self.where = where

    @staticmethod
    def _at(where: str, key: str) -> str:
        return f"{where}.{key}" if where else key

    def wrong(self, key: str, what: str) -> BadEnvelope:
        return BadEnvelope(f"{self._at(self.where, key)} should be {what}")

    def any(self, key: str) -> Any:
        return self.data[key]

    def whole(self, key: str, minimum: int = 0) -> int:
        value = self.data[key]
        if type(value) is not int or not minimum <= value <= MAX_WHOLE:
            raise self.wrong(key, f"a whole number of at least {minimum} and at most 2**63 - 1")
        return value

    def whole_or_none(self, key: str) -> int | None:
        return None if self.data[key] is None else self.whole(key, 1)

    def flag(self, key: str) -> bool:
        value = self.data[key]
        if type(value) is not bool:
            raise self.wrong(key, "true or false")
        return value

    def text(self, key: str) -> str:
        value = self.data[key]
        if not _is_text(value):
            raise self.wrong(key, "text (without NUL characters, which no database keeps)")
        return value

    def text_or_none(self, key: str) -> str | None:
        return None if self.data[key] is None else self.text(key)

    def matching(self, key: str, pattern: re.Pattern[str], what: str) -> str:
        value = self.data[key]
        if type(value) is not str or not pattern.fullmatch(value):
            raise self.wrong(key, what)
        return value

    def at(self, key: str) -> str:
        value = self.matching(key, _AT, "a UTC time like 2026-01-02T03:04:05.678Z")
        if not _exists(value):
            raise self.wrong(key, "a time that exists")
        return value

    def uuid(self, key: str) -> str:
        value = self.data[key]
        if not is_uuid(value):
            raise self.wrong(key, "a UUID")
        return cast(str, value)

    def one_of(self, key: str, choices: tuple[str, ...]) -> Any:
        value = self.data[key]
        if value not in choices or type(value) is not str:
            raise self.wrong(key, f"one of {', '.join(choices)}")
        return value

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.data[key]
        if type(value) is not dict:
            raise self.wrong(key, "an object")
        return value

    def records(self, key: str, read: Callable[[Any, str], R], order: str) -> list[R]:
        """A list of at most MAX_EVENTS records, each read by `read(item, place)`, sorted by
        their `order` attribute with each value once."""
        value = self.data[key]
        if type(value) is not list:
            raise self.wrong(key, "a list")
        if len(value) > MAX_EVENTS:
            raise self.wrong(key, f"a list of at most {MAX_EVENTS}")
        place = self.place(key)  # each item's place made from it in one step: one per event
        records = [read(item, f"{place}[{index}]") for index, item in enumerate(value)]
        numbers = [getattr(record, order) for record in records]
        for before, after in zip(numbers, numbers[1:], strict=False):
            if after <= before:
                raise self.wrong(key, f"sorted by {order}, each once ({after} after {before})")
        return records

    def place(self, key: str, index: int | str | None = None) -> str:
        """Where an item of `key` is, for the record read from it."""
        place = self._at(self.where, key)
        if index is None:
            return place
        return f"{place}[{index}]" if isinstance(index, int) else f"{place}.{index}"


def _is_text(value: Any) -> bool:
    return type(value) is str and value != "" and "\x00" not in value


def _exists(at: str) -> bool:
    """Whether a time of `_AT`'s form is one the calendar has (no 31 April)."""
    try:
        datetime.fromisoformat(at[:-1])
    except ValueError:
        return False
    return True


def _body(data: Any, keys: tuple[str, ...]) -> _Reader:
    """A top-level body: its schema first, as a body of another schema may differ in any field."""
    if type(data) is dict and "schema" in data and data["schema"] != SCHEMA:
        schema = data["schema"]
        if type(schema) is int:
            raise BadEnvelope(
                f"schema {schema} is not supported; this side speaks schema {SCHEMA}",
                code="schema_unsupported",
            )
    reader = _Reader(data, "", ("schema", *keys))
    if reader.any("schema") != SCHEMA or type(reader.any("schema")) is not int:
        raise reader.wrong("schema", f"the number {SCHEMA}")
    return reader


class _Body:
    """A top-level body: also read from and written as bytes."""

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_json(cls, data: Any) -> Self:
        raise NotImplementedError

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.to_json())

    @classmethod
    def from_bytes(cls, body: bytes) -> Self:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise BadEnvelope(f"the body is not JSON: {error}") from None
        return cls.from_json(data)


# ---- push ----------------------------------------------------------------------------------

# _PER_EVENT: the records a batch holds one of per event (PushedEvent, Kept, Verdict, Change)
# are plain dataclasses, treated as values all the same (nothing changes one once made): a
# frozen dataclass sets each field through object.__setattr__, which made building one three
# to four times as slow (an event's 11 fields: 8.8 against 2.4 us, measured at load 8), and
# both sides build thousands a push.


@dataclass(slots=True)  # not frozen: one per event (_PER_EVENT)
class PushedEvent:
    """One of the store's own events (`origin = 'local'`) of a synced entity, as recorded.
    An order's create or update carries the lines it made in `fields["order_lines"]`."""

    seq: int
    id: str
    hlc: str
    at: str
    entity: str
    entity_id: str
    op: Op
    fields: dict[str, Any]
    base_rev: int
    actor: str | None
    approver: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "id": self.id,
            "hlc": self.hlc,
            "at": self.at,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "op": self.op,
            "fields": self.fields,
            "base_rev": self.base_rev,
            "actor": self.actor,
            "approver": self.approver,
        }

    @classmethod
    def from_json(cls, data: Any, where: str = "event") -> Self:
        """An event that is right, as nearly all are, is read in one pass of plain checks; any
        other is read again field by field, for the error that names what is wrong (the reader's
        method per field made reading an event cost 45.9K instructions against 32.6K: callgrind,
        the sync_reconcile benchmark's pushed events)."""
        if type(data) is dict and data.keys() == _PUSHED_EVENT_KEY_SET:
            values = _pushed_event_values(data)
            seq, id, hlc, at, entity, entity_id, op, fields, base_rev, actor, approver = values
            if (
                type(seq) is int
                and 1 <= seq <= MAX_WHOLE
                and is_uuid(id)
                and type(hlc) is str
                and _HLC.fullmatch(hlc)
                and type(at) is str
                and _AT.fullmatch(at)
                and _exists(at)
                and _is_text(entity)
                and _is_text(entity_id)
                and type(op) is str
                and op in _OPS
                and type(fields) is dict
                and type(base_rev) is int
                and 0 <= base_rev <= MAX_WHOLE
                and (actor is None or _is_text(actor))
                and (approver is None or _is_text(approver))
            ):
                return cls(*values)
        read = _Reader(data, where, _PUSHED_EVENT_KEYS)
        return cls(
            seq=read.whole("seq", 1),
            id=read.uuid("id"),
            hlc=read.matching("hlc", _HLC, "a hybrid clock reading"),
            at=read.at("at"),
            entity=read.text("entity"),
            entity_id=read.text("entity_id"),
            op=read.one_of("op", _OPS),
            fields=read.mapping("fields"),
            base_rev=read.whole("base_rev"),
            actor=read.text_or_none("actor"),
            approver=read.text_or_none("approver"),
        )


_PUSHED_EVENT_KEYS = tuple(PushedEvent.__dataclass_fields__)
_PUSHED_EVENT_KEY_SET = _key_set(_PUSHED_EVENT_KEYS)
_pushed_event_values = operator.itemgetter(*_PUSHED_EVENT_KEYS)


@dataclass(frozen=True)
class PushBatch(_Body):
    """Events `after` the push cursor (the last seq the edge believes the hub has), in seq
    order, at most MAX_EVENTS."""

    store_id: str
    after: int
    events: list[PushedEvent]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "store_id": self.store_id,
            "after": self.after,
            "events": [event.to_json() for event in self.events],
        }

    @classmethod
    def fitted(
        cls, store_id: str, after: int, events: list[PushedEvent], max_bytes: int
    ) -> tuple[Self, bytes]:
        """The batch of the longest run of `events` from the first whose body stays within
        `max_bytes` (the first event goes whatever its size), and that body (`to_bytes`'s)."""
        head = orjson.dumps({"schema": SCHEMA, "store_id": store_id, "after": after, "events": []})
        parts: list[bytes] = []
        size = len(head)
        for event in events:
            part = orjson.dumps(event.to_json())
            if parts and size + len(part) + 1 > max_bytes:
                break
            parts.append(part)
            size += len(part) + 1
        body = head[: -len(b"]}")] + b",".join(parts) + b"]}"
        return cls(store_id, after, events[: len(parts)]), body

    @classmethod
    def from_json(cls, data: Any) -> Self:
        read = _body(data, ("store_id", "after", "events"))
        after = read.whole("after")
        events = read.records("events", PushedEvent.from_json, "seq")
        if events and events[0].seq <= after:
            raise BadEnvelope(f"events[0].seq should be after {after}, the batch's `after`")
        return cls(store_id=read.uuid("store_id"), after=after, events=events)


@dataclass(slots=True)  # not frozen: one per event (_PER_EVENT)
class Kept:
    """A field where the hub's value stood against the store's: both values, and who changed
    the hub's and when."""

    edge: Any
    hub: Any
    hub_actor: str | None
    hub_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "edge": self.edge,
            "hub": self.hub,
            "hub_actor": self.hub_actor,
            "hub_at": self.hub_at,
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> Self:
        read = _Reader(data, where, ("edge", "hub", "hub_actor", "hub_at"))
        return cls(
            edge=read.any("edge"),
            hub=read.any("hub"),
            hub_actor=read.text_or_none("hub_actor"),
            hub_at=read.at("hub_at"),
        )


def _kept_from_json(read: _Reader) -> dict[str, Kept]:
    return {
        name: Kept.from_json(item, read.place("kept", name))
        for name, item in read.mapping("kept").items()
    }


@dataclass(slots=True)  # not frozen: one per event (_PER_EVENT)
class Verdict:
    """What the hub did with one pushed event: `applied`; `merged`, some fields kept at the
    hub's value (`kept`); or `rejected`, nothing changed (`reason`). `rev` is the hub revision
    of the row after it (None when nothing was written)."""

    seq: int
    event_id: str
    status: Status
    rev: int | None
    kept: dict[str, Kept] = field(default_factory=dict)
    reason: Reason | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "event_id": self.event_id,
            "status": self.status,
            "rev": self.rev,
            "kept": {name: kept.to_json() for name, kept in self.kept.items()},
            "reason": self.reason.to_json() if self.reason else None,
        }

    @classmethod
    def from_json(cls, data: Any, where: str = "verdict") -> Self:
        """An applied verdict that is right, as nearly all are, is read in one pass of plain
        checks (the box reads a push's 500 while the hub waits for its next batch); any other
        is read field by field, for the error that names what is wrong."""
        if type(data) is dict and data.keys() == _VERDICT_KEY_SET:
            seq, event_id, status, rev, kept, reason = _verdict_values(data)
            if (
                status == "applied"
                and type(seq) is int
                and 1 <= seq <= MAX_WHOLE
                and is_uuid(event_id)
                and (rev is None or (type(rev) is int and 1 <= rev <= MAX_WHOLE))
                and type(kept) is dict
                and not kept
                and reason is None
            ):
                return cls(seq, event_id, "applied", rev)
        read = _Reader(data, where, _VERDICT_KEYS)
        status = read.one_of("status", ("applied", "merged", "rejected"))
        kept = _kept_from_json(read)
        if bool(kept) != (status == "merged"):
            raise read.wrong("kept", "fields for a merged event, and only for one")
        reason = None
        if read.any("reason") is not None:
            reasoned = _Reader(read.any("reason"), read.place("reason"), ("code", "message"))
            reason = Reason(reasoned.text("code"), reasoned.text("message"))
        if (reason is not None) != (status == "rejected"):
            raise read.wrong("reason", "given for a rejected event, and only for one")
        return cls(
            seq=read.whole("seq", 1),
            event_id=read.uuid("event_id"),
            status=status,
            rev=read.whole_or_none("rev"),
            kept=kept,
            reason=reason,
        )


_VERDICT_KEYS = ("seq", "event_id", "status", "rev", "kept", "reason")
_VERDICT_KEY_SET = _key_set(_VERDICT_KEYS)
_verdict_values = operator.itemgetter(*_VERDICT_KEYS)


@dataclass(frozen=True)
class PushResult(_Body):
    """A verdict for each event of the batch, in seq order; `upto` is the hub's push cursor for
    the store after the batch (the last seq it holds)."""

    upto: int
    verdicts: list[Verdict]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "upto": self.upto,
            "verdicts": [verdict.to_json() for verdict in self.verdicts],
        }

    @classmethod
    def from_json(cls, data: Any) -> Self:
        read = _body(data, ("upto", "verdicts"))
        verdicts = read.records("verdicts", Verdict.from_json, "seq")
        return cls(upto=read.whole("upto"), verdicts=verdicts)


# ---- pull ----------------------------------------------------------------------------------


@dataclass(slots=True)  # not frozen: one per event (_PER_EVENT)
class Change:
    """One change of the hub's copy of the store: an owner's edit (`source` hub), or the effect
    of one of the store's own pushed events (`source` edge, with its `seq`, and `kept` when
    the hub's values stood against some of its fields). `rev` is the row's revision after it."""

    cursor: int
    id: str
    hlc: str
    at: str
    entity: str
    entity_id: str
    op: Op
    fields: dict[str, Any]
    rev: int
    actor: str | None
    source: Source
    seq: int | None
    kept: dict[str, Kept] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "cursor": self.cursor,
            "id": self.id,
            "hlc": self.hlc,
            "at": self.at,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "op": self.op,
            "fields": self.fields,
            "rev": self.rev,
            "actor": self.actor,
            "source": self.source,
            "seq": self.seq,
            "kept": {name: kept.to_json() for name, kept in self.kept.items()},
        }

    @classmethod
    def from_json(cls, data: Any, where: str = "change") -> Self:
        read = _Reader(data, where, _CHANGE_KEYS)
        source = read.one_of("source", ("hub", "edge"))
        seq = read.whole_or_none("seq")
        if (seq is not None) != (source == "edge"):
            raise read.wrong("seq", "the pushed seq of a change from the edge, null otherwise")
        return cls(
            cursor=read.whole("cursor", 1),
            id=read.uuid("id"),
            hlc=read.matching("hlc", _HLC, "a hybrid clock reading"),
            at=read.at("at"),
            entity=read.text("entity"),
            entity_id=read.text("entity_id"),
            op=read.one_of("op", _OPS),
            fields=read.mapping("fields"),
            rev=read.whole("rev", 1),
            actor=read.text_or_none("actor"),
            source=source,
            seq=seq,
            kept=_kept_from_json(read),
        )


_CHANGE_KEYS = tuple(Change.__dataclass_fields__)


@dataclass(frozen=True)
class PullPage(_Body):
    """The store's changes after the cursor it asked from, oldest first; `cursor` is the one to
    ask from next, `has_more` whether more are waiting already."""

    cursor: int
    has_more: bool
    changes: list[Change]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "cursor": self.cursor,
            "has_more": self.has_more,
            "changes": [change.to_json() for change in self.changes],
        }

    @classmethod
    def from_json(cls, data: Any) -> Self:
        read = _body(data, ("cursor", "has_more", "changes"))
        cursor = read.whole("cursor")
        changes = read.records("changes", Change.from_json, "cursor")
        if changes and changes[-1].cursor > cursor:
            last = changes[-1].cursor
            raise read.wrong("cursor", f"at least the last change's cursor ({last})")
        return cls(cursor=cursor, has_more=read.flag("has_more"), changes=changes)


# ---- enrolment -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment(_Body):
    """A box asks to be bound to the store a one-time code was made for."""

    code: str
    public_key_pem: str
    node: str

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "code": self.code,
            "public_key_pem": self.public_key_pem,
            "node": self.node,
        }

    @classmethod
    def from_json(cls, data: Any) -> Self:
        read = _body(data, ("code", "public_key_pem", "node"))
        pem = read.text("public_key_pem")
        try:
            public_key_id(pem)
        except ValueError:
            raise read.wrong("public_key_pem", "an Ed25519 public key in PEM form") from None
        node = read.text("node")
        if len(node) > MAX_NODE:
            raise read.wrong("node", f"text of at most {MAX_NODE} characters")
        return cls(code=read.text("code"), public_key_pem=pem, node=node)


@dataclass(frozen=True)
class Enrolled(_Body):
    """The hub's answer: whose box this is now, and the id of its key."""

    tenant_id: str
    store_id: str
    store_name: str
    key_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "tenant_id": self.tenant_id,
            "store_id": self.store_id,
            "store_name": self.store_name,
            "key_id": self.key_id,
        }

    @classmethod
    def from_json(cls, data: Any) -> Self:
        read = _body(data, ("tenant_id", "store_id", "store_name", "key_id"))
        return cls(
            tenant_id=read.uuid("tenant_id"),
            store_id=read.uuid("store_id"),
            store_name=read.text("store_name"),
            key_id=read.matching("key_id", _KEY_ID, "16 hex digits"),
        )
