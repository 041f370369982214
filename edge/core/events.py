"""The one write path: every state change is one `commit(...)` in the writer's transaction.

`commit` applies the change to its domain table and appends one row to `events`. That row is
at once the audit trail, the sync outbox (`origin = 'local'`, pushed by `seq`) and the realtime
feed (sent to websockets after the transaction is on disk).

The event keeps what changed as it is, secrets included (a staff member's `pin_hash`): a PIN
changed at the store while offline must reach the hub. Secrets are masked where an event is
shown (`Event.to_json`: the feed, polling, the audit, an order's history; and the export), never
where it is stored.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any, Literal, NamedTuple, TypeVar

import orjson

from service.shapes import COUNT, HUB_REV, ID, INSTANT, enum, nullable, shape, text
from sync.clock import HybridClock, Timestamp, now_iso
from sync.entities import ENTITIES, REQUIRED, synced
from sync.ids import uuid7

T = TypeVar("T")


def to_json(value: Any) -> str:
    """Compact JSON text. orjson, not json: every event and every response is encoded, and
    orjson does it about 10x faster (measured: 8 us -> 0.5 us for an order with five lines)."""
    return orjson.dumps(value).decode()


Op = Literal["create", "update", "delete"]
Origin = Literal["local", "hub"]


def topic_of(event: Event) -> str:
    """The realtime topic of an event. Every table
    `commit` writes is an entity declared once in `sync.entities` (its name is the table's),
    with its topic, the rows its events carry (`parts`), its secret fields and its noun."""
    return ENTITIES[event.entity].topic


# Fields of an entity that only some may see, and the permission each needs: where a printer is
# (its transport, and the errors that name its address or device) is for those who may edit
# printers. Kept in the row and the event (the hub syncs printers' configuration), left out
# where they are shown to others (`edge.core.permissions.visible`): answers, the feed, the audit.
GUARDED_FIELDS: dict[str, dict[str, str]] = {
    # a printer as shown carries its status too (`edge.domain.store_printers.PRINTER_VIEW`)
    "printers": {"transport": "printers.edit", "error": "printers.edit"},
    "printer_status": {"error": "printers.edit"},
    "print_jobs": {"last_error": "printers.edit"},
}


class WriteConnection(sqlite3.Connection):
    """The writer's connection: carries the clock, the events of the running transaction, and
    a cache of what the writer reads on every order (store settings, menu), by family."""

    clock: HybridClock
    pending: list[Event]
    cache: dict[str, Any]


# What the writer keeps (`cached`), by family, and the tables each is built from: a commit to
# one of them drops it. The work done under the same topics (print jobs, printer status,
# tickets, checks and payments) drops nothing: it changes no rule. (By topic, every checkout
# read the POS settings three times and the printers four times more: 132 statements of the
# writer a checkout, 124 now.)
FAMILIES: dict[str, tuple[str, ...]] = {
    "store": ("store",),
    "menu": tuple(entity.name for entity in ENTITIES.values() if entity.topic == "menu"),
    "printers": ("printers",),
    "receipt_printers": ("printers",),
    "printer_rows": ("printers",),
    "printer_status": ("printers", "printer_status"),
    "kitchen": ("kitchen_settings",),
    "pos": ("pos_settings",),
    "z_reports": ("reports",),
    "shifts": ("shifts",),
}
_DROPS = {
    entity: tuple(family for family, tables in FAMILIES.items() if entity in tables)
    for entity in ENTITIES
}


def cached(conn: sqlite3.Connection, family: str, build: Callable[[], T]) -> T:
    """`build()`, kept on the writer's connection until a commit touches a table of `family`
    (`FAMILIES`), or any write fails (a key that is no family, such as "order_numbers", is kept
    until then). Other connections just build."""
    cache = getattr(conn, "cache", None)
    if cache is None:
        return build()
    if family not in cache:
        cache[family] = build()
    return cache[family]


class Event(NamedTuple):
    """One `events` row. A named tuple, immutable as it is shared by every listener, and made
    for every write: a frozen dataclass took 1 us to build, this 0.2 us (measured)."""

    seq: int
    id: str
    hlc: str
    at: str
    entity: str
    entity_id: str
    op: str
    fields: dict[str, Any]
    base_rev: int
    actor: str | None
    approver: str | None
    origin: str

    @classmethod
    def from_row(cls, row: sqlite3.Row | dict[str, Any]) -> Event:
        data = dict(row)
        data["fields"] = stored_fields(
            data["entity"], data["entity_id"], data["op"], data["fields"]
        )
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        """The event as it may be shown: its entity's secrets masked (`Entity.masked`)."""
        data = self._asdict()
        data["fields"] = shown(self.entity, self.fields)
        return data


def shown(entity: str, fields: dict[str, Any]) -> dict[str, Any]:
    """An event's `fields` as they may be shown; `fields` itself when it holds no secret (the
    usual case: no copy is made)."""
    declared = ENTITIES.get(entity)
    if declared is None or declared.secret.isdisjoint(fields):
        return fields
    return declared.masked(fields)


# What `Event.to_json` answers: one row of the feed and the audit trail, secrets masked.
EVENT_FIELDS = {
    "seq": {**COUNT, "description": "local, gapless: resume the feed after it"},
    "id": ID,
    "hlc": text("hybrid logical clock, sortable"),
    "at": INSTANT,
    "entity": enum(ENTITIES),
    "entity_id": text("the id of the row it changed"),
    "op": enum(("create", "update", "delete")),
    "fields": {"type": "object", "description": "what changed (a delete: the whole row)"},
    "base_rev": HUB_REV,
    "actor": nullable(text("who did it: a staff id, the system or a device")),
    "approver": nullable(text("the manager who approved it")),
    "origin": enum(("local", "hub")),
}
EVENT_VIEW = shape("Event", EVENT_FIELDS)


@contextlib.contextmanager
def step(conn: WriteConnection) -> Iterator[None]:
    """The block's writes as one step of the caller's transaction: an exception undoes them and
    their events (`conn.pending`), and goes on to the caller, whose other writes stand (one
    hub change refused among those applied, a row that cannot come back)."""
    conn.execute("SAVEPOINT step")
    mark = len(conn.pending)
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK TO step")
        del conn.pending[mark:]
        raise
    finally:
        conn.execute("RELEASE step")


def commit(
    conn: WriteConnection,
    actor: str | None,
    entity: str,
    entity_id: str,
    op: Op,
    fields: dict[str, Any] | None = None,
    *,
    approver: str | None = None,
    parts: list[dict[str, Any]] | None = None,
    origin: Origin = "local",
    hub_event: tuple[str, str] | None = None,
    hub_rev: int | None = None,
) -> Event | None:
    """Apply one change to `entity` and record it; returns the event, or None for a no-op update.

    `fields` is the new state of the columns that change (all columns on create). An update that
    changes nothing writes nothing. `parts` are new rows of the entity's part table (an order's
    lines, each with its `id`), created in the same change and listed in the same event. The
    caller's transaction (the writer's savepoint) makes the domain write and the event row one
    atomic step. The event's `base_rev` is the hub revision the row was at before.

    A change pulled from the hub (`origin="hub"`) comes with the hub's event, `hub_event = (id,
    hlc)`, and the revision the row is at on the hub after it, `hub_rev`: the event keeps the
    hub's id and clock reading, the writer's clock observes it (so that the box's next events
    sort after it, whatever its own clock says), and the row takes `hub_rev` (its parts keep
    theirs). Such events are never pushed back (`outbox`). A hub change that changes no field
    only moves the row to `hub_rev`, and writes no event.
    """
    given = (hub_event is not None, hub_rev is not None)
    if given != ((True, True) if origin == "hub" else (False, False)):
        raise ValueError("a change from the hub, and only one, has the hub's event and revision")
    declared = ENTITIES.get(entity)
    if declared is None:
        raise ValueError(f"{entity!r} is not a domain table")
    for family in _DROPS[entity]:
        conn.cache.pop(family, None)
    fields = dict(fields or {})
    if op == "create":
        row = fields if hub_rev is None else {**fields, "hub_rev": hub_rev}
        conn.execute(_insert_sql(entity, ("id", *row)), [entity_id, *_stored_all(row)])
        rev = 0
    else:
        compared = None if op == "delete" else tuple(fields)
        found = conn.execute(_select_sql(entity, compared), (entity_id,)).fetchone()
        if found is None:
            raise LookupError(f"{entity} {entity_id} does not exist")
        rev = found["hub_rev"]
        if op == "update":
            fields = {k: v for k, v in fields.items() if found[k] != _stored(v)}
            columns = (
                fields if hub_rev is None or hub_rev == rev else {**fields, "hub_rev": hub_rev}
            )
            if columns:
                assignments = ", ".join(f"{column} = ?" for column in columns)
                conn.execute(
                    f"UPDATE {entity} SET {assignments} WHERE id = ?",
                    [*_stored_all(columns), entity_id],
                )
            if not fields and not parts:
                return None
        elif op == "delete":
            fields = dict(found)
            conn.execute(f"DELETE FROM {entity} WHERE id = ?", (entity_id,))
        else:
            raise ValueError(f"unknown op {op!r}")
    if parts:
        table = declared.parts
        assert table is not None, f"{entity} has no parts"
        # every part has the same keys, in the same order
        conn.execute(
            _insert_sql(table, tuple(parts[0]), len(parts)),
            _stored_all(*parts),
        )
        fields[table] = parts
    packing = _PACKED.get(entity) if op == "create" else None
    payload = (
        _event_json(fields)
        if packing is None
        else orjson.dumps(_packed(packing, entity_id, fields))
    )
    if hub_event is None:
        event_id, hlc = uuid7(), str(conn.clock.tick())
    else:
        event_id, hlc = hub_event
        conn.clock.observe(Timestamp.parse(hlc))
    at = now_iso()
    head, tail = (event_id, hlc, at, entity, entity_id, op), (rev, actor, approver, origin)
    # The JSON goes in as the UTF-8 bytes orjson made, cast to TEXT by SQLite: as a str, with
    # any non-ASCII character in it (a dish called "Padrón peppers"), sqlite3 encodes it to
    # UTF-8 all over again, character by character (about 3 % of an order, measured).
    cursor = conn.execute(
        "INSERT INTO events (id, hlc, at, entity, entity_id, op, fields, base_rev, actor,"
        " approver, origin) VALUES (?, ?, ?, ?, ?, ?, CAST(? AS TEXT), ?, ?, ?, ?)",
        (*head, payload, *tail),
    )
    event = Event(cursor.lastrowid or 0, *head, fields, *tail)
    conn.pending.append(event)
    return event


def _event_json(fields: dict[str, Any]) -> bytes:
    """The event's JSON (UTF-8), after replacing BLOBs by their digest in `fields` itself (the
    feed broadcasts it). Few entities have one, so orjson finds BLOBs by refusing them, instead
    of a check of every value of every write."""
    try:
        return orjson.dumps(fields)
    except TypeError:
        for key, value in fields.items():
            if isinstance(value, bytes):
                fields[key] = digest(value)
        return orjson.dumps(fields)


# --- the stored shape of a create with parts ----------------------------------------------
#
# An order's create carries its lines, a kitchen ticket's its items: the two biggest events a
# store writes, one of each per order (2.4 KB and 2.2 KB as the feed shows them, each alone in
# a 4 KB page). Stored, they leave out what `stored_fields` puts back exactly: a field at its
# declared default (`sync.entities`: a null, an empty note or list, `rush: false`, state NEW
# ...), and in each part its parent's id and the fields it shares with its parent (a line's
# `created_at`, an item's `station` and `fired_at`) when equal. Every other reader sees the
# event whole: the feed, the audit, the outbox (the hub gets what it always got), the export.
# SQL that reads the stored JSON still finds each part's `id` and `name`.


_AS_JSON = frozenset({dict, list})


class _Packing(NamedTuple):
    defaults: dict[str, Any]  # the entity's fields with a default, and it
    new_each: tuple[tuple[str, type], ...]  # those whose default is an empty list or object
    parts: str  # the key of its parts in the event
    parent: str  # a part's field holding the parent's id
    shared: tuple[str, ...]  # a part's fields equal to its parent's at create
    part_defaults: dict[str, Any]
    part_new_each: tuple[tuple[str, type], ...]


def _packing(entity: str, parent: str, shared: tuple[str, ...]) -> _Packing:
    parts = ENTITIES[entity].parts or ""
    defaults, part_defaults = _defaults(entity), _defaults(parts)
    return _Packing(defaults, _new_each(defaults), parts, parent, shared, part_defaults,
                    _new_each(part_defaults))  # fmt: skip


def _defaults(entity: str) -> dict[str, Any]:
    return {
        name: kind.default
        for name, kind in ENTITIES[entity].fields.items()
        if kind.default is not REQUIRED
    }


def _new_each(defaults: dict[str, Any]) -> tuple[tuple[str, type], ...]:
    """The fields whose default is a list or an object: `_whole` gives each event its own."""
    found = tuple(
        (name, type(value)) for name, value in defaults.items() if type(value) in _AS_JSON
    )
    assert not any(defaults[name] for name, _ in found), "a default list or object is empty"
    return found


# The defaults of these entities and of their parts are part of the stored format of their
# creates: tests/edge/test_orders.py pins them (a change needs the stored events rewritten).
_PACKED = {
    "orders": _packing("orders", "order_id", ("created_at",)),
    "tickets": _packing("tickets", "ticket_id", ("station", "fired_at")),
}


def _lean(values: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """A copy of `values` without those at their default (same type: `false` is no `0`).
    Copied whole, then the few defaults looked up: 3x faster than picking field by field."""
    lean = dict(values)
    for name, default in defaults.items():
        value = lean.get(name, lean)
        if value == default and type(value) is type(default):
            del lean[name]
    return lean


def _packed(packing: _Packing, entity_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a create with parts (`fields` is left as it is: the feed sends it)."""
    stored = _lean(fields, packing.defaults)
    parts = fields.get(packing.parts)
    if parts:
        shared = [(name, fields.get(name, fields)) for name in packing.shared]
        shared.append((packing.parent, entity_id))
        stored[packing.parts] = leans = []
        for part in parts:
            lean = _lean(part, packing.part_defaults)
            for name, value in shared:
                if lean.get(name, lean) == value:
                    del lean[name]
            leans.append(lean)
    return stored


def stored_fields(entity: str, entity_id: str, op: str, raw: str | bytes) -> dict[str, Any]:
    """An event's fields from its stored JSON, whole again (see `_packed`). Each part is made
    in one merge of its defaults, what it shares with its parent and what it stored (the feed's
    catch-up reads each event once per socket). Measured (CPU, under load): an order's create
    with 5 lines 24 us, its ticket's 18 us, against 15 and 14 us to parse them stored whole and
    45 and 47 us filling field by field."""
    fields: dict[str, Any] = orjson.loads(raw)
    packing = _PACKED.get(entity) if op == "create" else None
    if packing is None:
        return fields
    whole = _whole(packing.defaults, fields, packing.new_each)
    parts = fields.get(packing.parts)
    if parts:
        given = {name: fields[name] for name in packing.shared if name in fields}
        base = {**packing.part_defaults, **given, packing.parent: entity_id}
        new_each = packing.part_new_each
        whole[packing.parts] = [_whole(base, part, new_each) for part in parts]
    return whole


def _whole(
    base: dict[str, Any], stored: dict[str, Any], new_each: tuple[tuple[str, type], ...]
) -> dict[str, Any]:
    """`stored` over `base`, with a new empty list or object for each of `new_each` it lacks
    (no two events share one)."""
    whole = {**base, **stored}
    for name, kind in new_each:
        if name not in stored:
            whole[name] = kind()
    return whole


def digest(value: bytes) -> dict[str, Any]:
    """What an event records of a BLOB (a print job's bytes): not JSON, and too big to broadcast
    and sync, so its length and sha256 stand in for it."""
    return {"bytes": len(value), "sha256": hashlib.sha256(value).hexdigest()}


def _stored(value: Any) -> Any:
    """Column value for a field: lists and dicts are kept as JSON text (sqlite3 itself stores
    booleans as 0 and 1). Tests exact types: fields are built from JSON and SQLite rows, which
    hold no subclasses of dict or list."""
    return to_json(value) if type(value) in _AS_JSON else value


def _stored_all(*rows: dict[str, Any]) -> list[Any]:
    """`_stored` of every value of the rows, in order, inline: it runs for every column of every
    row written."""
    return [to_json(v) if type(v) in _AS_JSON else v for row in rows for v in row.values()]


@functools.lru_cache(maxsize=512)
def _select_sql(table: str, columns: tuple[str, ...] | None) -> str:
    """The row an update compares with: its revision and the columns it may change, not the
    whole row (a print job's is its bytes and its document, read for nothing by every job
    printed); a delete records the whole row (`columns` None)."""
    read = "*" if columns is None else ", ".join(("hub_rev", *columns))
    return f"SELECT {read} FROM {table} WHERE id = ?"


@functools.lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...], rows: int = 1) -> str:
    values = f"({', '.join('?' * len(columns))})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([values] * rows)}"


def since(conn: sqlite3.Connection, seq: int, upto: int, limit: int = 500) -> list[Event]:
    """Events after `seq` up to `upto`: the feed's readers pass the last published seq, as a
    committed event is visible here a moment before it is on disk and published."""
    rows = conn.execute(
        "SELECT * FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?", (seq, upto, limit)
    ).fetchall()
    return [Event.from_row(row) for row in rows]


# The events the hub gets: the box's own changes of what syncs (see `outbox`). The `+` keeps
# SQLite off the `events_entity` index, which it would otherwise pick: every event of every
# synced entity ever, sorted, to find the few after `after`.
_PUSHED = (
    "FROM events WHERE seq > ? AND seq <= ? AND origin = 'local'"
    f" AND +entity IN ({', '.join(repr(entity.name) for entity in synced())})"
)
_OUTBOX = f"SELECT * {_PUSHED} ORDER BY seq LIMIT ?"


def outbox(conn: sqlite3.Connection, after: int, upto: int, limit: int) -> list[Event]:
    """The events to push after seq `after` (the last the hub acknowledged) up to `upto` (the
    last on disk, `Bus.last_seq`), oldest first, at most `limit` (a batch holds
    `sync.envelope.MAX_EVENTS`): the box's own (`origin = 'local'`) changes of synced
    entities, as they were stored, secrets included (a PIN changed here must reach the hub).
    Not changes pulled from the hub, nor anything local (sign-ins, print jobs ...).

    No index of its own: every index costs every write, and this walks the primary key from
    `after`, skipping the local events in between (a few per order: its print jobs), a few
    thousand rows at most for a batch of 500."""
    rows = conn.execute(_OUTBOX, (after, upto, limit)).fetchall()
    return [Event.from_row(row) for row in rows]


def waiting(conn: sqlite3.Connection, after: int, upto: int) -> int:
    """How many events the outbox holds after `after` up to `upto`: what the hub has yet to
    acknowledge."""
    return conn.execute(f"SELECT COUNT(*) {_PUSHED}", (after, upto)).fetchone()[0]


def forgotten_upto(conn: sqlite3.Connection) -> int:
    """The newest event retention has deleted (`edge.core.retention`; 0: none): the feed cannot
    replay from before it."""
    row = conn.execute("SELECT value FROM box WHERE name = 'forgotten_upto'").fetchone()
    return int(row[0]) if row else 0


def last_seq(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
