"""One way to write a value, so that the edge and the hub hash, sign and compare the same bytes.

`canonical_json` is JSON in UTF-8 with sorted keys and no spaces, and only whole numbers: money
and counts are integers everywhere in Galley, so a float is a bug and raises rather than being
written in one of its many spellings. `canonical_fields` brings fields to the protocol's form
(SQLite's 0/1 become false/true, JSON text becomes the value it holds) and checks them against
their entity's declaration: the hub uses it to validate a pushed event, the edge to write one.
`store_digest` hashes a store's synced rows: the edge from its tables, the hub from its copy
(which it keeps as canonical JSON: `stored_digest`); equal digests mean the two have converged.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson

from sync.entities import ENTITIES, Entity, Kind, synced
from sync.errors import BadEvent

IMPLICIT = frozenset({"id", "hub_rev"})  # every entity has them; neither is a canonical field
_SYNCED = frozenset(entity.name for entity in synced())


_SORTED = orjson.OPT_SORT_KEYS
# Levels of lists and objects one field's JSON value may nest (a line's modifiers nest 2, a
# store's opening hours 3). orjson reads 1024 levels but writes 254, and the hub writes a value
# inside an event, a page of changes, an inbox entry: one nested deeper than this could be read
# and then never be written or sent (a 500 on every push or pull that carried it).
MAX_DEPTH = 32
_WRITTEN = 254  # the most levels orjson writes


def canonical_json(value: Any) -> bytes:
    """`value` as canonical JSON (UTF-8 bytes). Raises TypeError for a float (NaN included), a
    key that is not a string, or anything that is not JSON."""
    _check_plain(value, _WRITTEN)
    return orjson.dumps(value, option=_SORTED)


def _check_plain(value: Any, room: int) -> None:
    """Raises TypeError for what canonical JSON does not hold, or lists and objects nested
    deeper than `room` levels."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return
    if (kind is list or kind is tuple or kind is dict) and room == 0:
        raise TypeError(f"lists and objects nest too deep (at most {MAX_DEPTH} levels in a field)")
    if kind is list or kind is tuple:
        for item in value:
            _check_plain(item, room - 1)
    elif kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"a JSON key must be a string, not {key!r}")
            _check_plain(item, room - 1)
    elif kind is float:
        raise TypeError(f"{value!r} is a float: the protocol holds whole numbers only")
    else:
        raise TypeError(f"{kind.__name__} is not JSON")


def nests_within(value: Any, levels: int) -> bool:
    """Whether `value`'s lists and objects nest at most `levels` deep, whatever else it holds
    (a refused event's fields, kept whole)."""
    kind = type(value)
    if kind is not list and kind is not dict:
        return True
    items = value.values() if kind is dict else value
    return levels > 0 and all(nests_within(item, levels - 1) for item in items)


def same(a: Any, b: Any) -> bool:
    """Whether two canonical values are the same value: `1 == True` in Python, not in JSON."""
    if type(a) is not type(b):
        return False
    if type(a) is list or type(a) is dict:
        return canonical_json(a) == canonical_json(b)
    return bool(a == b)


def canonical_fields(entity: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """`fields` of a synced `entity` in the protocol's form, checked against its declaration;
    `id` and `hub_rev` dropped, part rows (an order's lines) brought to form one by one.

    Raises BadEvent: `unknown_entity`, `local_entity`, `unknown_field`, `bad_value`."""
    return _in_form(_synced_entity(entity), fields, {})


def _in_form(declared: Entity, fields: Mapping[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    """`canonical_fields` of `fields`, added to `out` (a part row's starts with its id, which
    stays first: the row is made once, not copied to add it).

    The fields are copied at once, then the few not in form as they are brought to it in their
    place, or taken out (the copy is made in one go, where adding them one by one grew the dict
    step by step), and each name's types are found by subscript (no method call per field):
    81.9K -> 74.7K instructions to check one of the sync_reconcile benchmark's pushed events
    (callgrind)."""
    given_id = "id" in out
    out.update(fields)
    in_form = _IN_FORM[declared.name]
    for name, value in fields.items():
        try:
            types = in_form[name]
        except KeyError:
            raise BadEvent(
                f"{_a(declared.noun)} has no field {name!r}", code="unknown_field", field=name
            ) from None
        if type(value) in types:
            continue
        if name in IMPLICIT:
            if name != "id" or not given_id:
                del out[name]
        elif value == [] and name in _EMPTY_LIST[declared.name]:  # a line's modifiers, mostly
            continue
        elif name == declared.parts:
            out[name] = _part_rows(declared, value)
        else:
            out[name] = _normal(declared, name, declared.fields[name], value)
    return out


# Per entity, the Python types a value of each field is in form as it is: the exact type of a
# text, int or bool field, and None's where the field may be null. One check passes nearly every
# value, which is most of the hub's work in checking an order and its lines (measured: 19 us ->
# 16 us for an order with five lines; passing the nulls of tickets too: 3 % off a batch's check).
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {"text": (str,), "int": (int,), "bool": (bool,)}
_NOTHING: frozenset[type] = frozenset()
_IN_FORM = {
    entity.name: {
        **{
            name: frozenset(
                _PYTHON_TYPES.get(kind.name, ()) + ((type(None),) if kind.nullable else ())
            )
            for name, kind in entity.fields.items()
        },
        # the other names an event's fields may hold (no entity declares a field so), in form
        # as no type: `_in_form` looks at each
        **{name: _NOTHING for name in IMPLICIT},
        **({entity.parts: _NOTHING} if entity.parts else {}),
    }
    for entity in synced()
}


# Per entity, its JSON fields: an empty list is in form as it is for each of them (most lines
# have no modifiers), without a check of what it holds.
_EMPTY_LIST = {
    entity.name: frozenset(name for name, kind in entity.fields.items() if kind.name == "json")
    for entity in synced()
}


def _synced_entity(name: str) -> Entity:
    entity = ENTITIES.get(name)
    if entity is None:
        raise BadEvent(f"{name!r} is no entity Galley knows", code="unknown_entity")
    if entity.owner == "local":
        raise BadEvent(
            f"{_a(entity.noun)} stays on the box: it is never synced", code="local_entity"
        )
    return entity


def _normal(entity: Entity, name: str, kind: Kind, value: Any) -> Any:
    """One field's value in protocol form, or the BadEvent that says why it has none."""
    kind_name, value_type = kind.name, type(value)
    if value is None:
        if kind.nullable:
            return None
    elif kind_name == "text":
        if value_type is str:
            return value
    elif kind_name == "int":
        if value_type is int:
            return value
    elif kind_name == "bool":
        if value_type is bool:
            return value
        if value_type is int and (value == 0 or value == 1):
            return value == 1
    elif kind_name == "json":
        parsed = value
        if value_type is str:
            try:
                parsed = orjson.loads(value)
            except orjson.JSONDecodeError:
                parsed = None
        if type(parsed) is list or type(parsed) is dict:
            try:
                _check_plain(parsed, MAX_DEPTH)
            except TypeError as error:
                raise BadEvent(
                    f"{entity.noun} {name}: {error}", code="bad_value", field=name
                ) from None
            return parsed
    shown = "" if name in entity.secret else f", not {_shown(value)}"  # a reason is shown
    raise BadEvent(
        f"{entity.noun} {name} should be {_WORDS[kind_name]}{shown}", code="bad_value", field=name
    )


_WORDS = {
    "text": "text",
    "int": "a whole number",
    "bool": "true or false",
    "json": "a list or an object",
}


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _shown(value: Any) -> str:
    """A refused value in a few words: a list or an object by its kind (its repr, nested as deep
    as JSON allows, would go past Python's recursion limit)."""
    if type(value) is list or type(value) is dict:
        return "a list" if type(value) is list else "an object"
    text = "null" if value is None else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _part_rows(entity: Entity, rows: Any) -> list[dict[str, Any]]:
    part = ENTITIES[entity.parts or ""]
    if type(rows) is not list or not _ONLY_DICTS.issuperset(map(type, rows)):
        raise BadEvent(
            f"{_a(entity.noun)}'s new {part.noun}s should be a list of rows", code="bad_value"
        )
    out = []
    for row in rows:
        row_id = row.get("id")
        if type(row_id) is not str:
            raise BadEvent(f"each new {part.noun} needs its id", code="missing_field")
        if not row_id or "\x00" in row_id:  # PostgreSQL's text holds no NUL: its id column
            raise BadEvent(f"{_a(part.noun)}'s id should be text, without NUL", code="bad_value")
        out.append(_in_form(part, row, {"id": row_id}))
    return out


def store_digest(rows: Iterable[tuple[str, str, Mapping[str, Any]]]) -> str:
    """sha256 (hex) of a store's synced rows, each `(entity, id, fields)`, in any order.

    Each row is written as `canonical_json([entity, id, canonical fields])`, one per line,
    sorted by (entity, id). Secret fields count: they sync. The fields come as the edge's
    tables or the protocol hold them (`_row_line`). Raises ValueError for a row of a local
    entity or the same row twice (either is a bug in the caller's query)."""
    return ordered_digest(sorted(rows, key=_by_key))


def ordered_digest(rows: Iterable[tuple[str, str, Mapping[str, Any]]]) -> str:
    """`store_digest` of rows that come in (entity, id) order, each hashed as it comes: a
    store's hundred thousand rows are never held at once. Raises ValueError for a row out of
    that order too."""
    return _digest(rows, _row_line)


def columns_digest(
    tables: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
) -> tuple[str, int]:
    """`ordered_digest` of rows read as a table's columns, and how many rows it covers. Each
    table comes as `(entity, names, rows)`, entities in name order: `names` are canonical
    field names (neither `id` nor `hub_rev`), each row holds their values then the row's id,
    rows in id order. Each row's dict is made once, in digest form, where `ordered_digest`
    copies the caller's (measured on a box of 20,000 orders, 152,712 rows: 2.35 -> 1.9 s CPU
    at load 7)."""
    count = 0

    def lines() -> Iterator[tuple[str, str, bytes]]:
        nonlocal count
        for entity, names, rows in tables:
            for row in rows:
                count += 1
                row_id = row[-1]
                values = dict(zip(names, row, strict=False))  # the id, last, left out
                yield entity, row_id, _digest_line(entity, row_id, values)

    return _digest(lines(), _line_as_is), count


def stored_digest(rows: Iterable[tuple[str, str, str]]) -> str:
    """`store_digest` of rows whose fields are kept as canonical JSON already (the hub's copy):
    each `(entity, id, canonical_json(fields))`, read as it is."""
    return _digest(sorted(rows, key=_by_key), _stored_line)


def kept_rows(
    rows: Iterable[tuple[str, str, str]], tickets_before: str | None
) -> Iterator[tuple[str, str, str]]:
    """The hub's rows of a store (fields as canonical JSON) without the kitchen tickets fired
    before `tickets_before` and their items: what a box that pruned its old tickets leaves out
    of its digest (`edge.domain.hub_changes.digest`), so that the two digests compare what
    both hold. All of them when `tickets_before` is None."""
    if tickets_before is None:
        yield from rows
        return
    held = list(rows)
    gone = {
        row_id
        for entity, row_id, fields in held
        if entity == "tickets" and orjson.loads(fields)["fired_at"] < tickets_before
    }
    for row in held:
        entity, row_id, fields = row
        if entity == "tickets" and row_id in gone:
            continue
        if entity == "ticket_items" and gone and orjson.loads(fields)["ticket_id"] in gone:
            continue
        yield row


def _row_line(entity: str, row_id: str, fields: Mapping[str, Any]) -> bytes:
    """A row's line of the digest: `canonical_json([entity, id, fields])`, its fields brought to
    the protocol's form (a bool's 0/1 as false/true, JSON text as the value it holds; `id` and
    `hub_rev` left out). The rows are the store's, checked when they were written: only their
    form is brought in line here (checking each row again tripled the digest's cost)."""
    values = dict(fields)  # copied whole, then the implicit ones taken out: faster than picking
    for name in IMPLICIT:
        values.pop(name, None)
    return _digest_line(entity, row_id, values)


def _digest_line(entity: str, row_id: str, values: dict[str, Any]) -> bytes:
    """`_row_line` of a row's canonical fields in a dict of its own, brought to form in place."""
    bools, jsons = _DIGEST_FORM.get(entity, _NO_FORM)  # an entity not synced: `_digest` says so
    for name in bools:
        value = values.get(name)
        if type(value) is int:
            values[name] = value == 1
    for name in jsons:
        value = values.get(name)
        if type(value) is str:
            values[name] = orjson.loads(value)
    return orjson.dumps([entity, row_id, values], option=_SORTED)


def _line_as_is(_entity: str, _row_id: str, line: bytes) -> bytes:
    return line


def _stored_line(entity: str, row_id: str, fields_json: str) -> bytes:
    """A row's line of the digest from its fields kept as canonical JSON: what `_row_line`
    gives for them, without parsing them again."""
    return b"[%b,%b,%b]" % (_ENTITY_JSON[entity], orjson.dumps(row_id), fields_json.encode())


def _digest(rows: Iterable[tuple[str, str, Any]], line: Callable[[str, str, Any], bytes]) -> str:
    """Rows in (entity, id) order, each line hashed as soon as it is made: lines held all at
    once cost the allocator more than making them (measured: 6 us a line held, 0.4 us a line
    let go)."""
    digest = hashlib.sha256()
    previous = ("", "")
    for entity, row_id, fields in rows:
        if entity not in _SYNCED:
            raise ValueError(f"{entity!r} rows are not synced: they have no place in the digest")
        key = (entity, row_id)
        if key <= previous:
            if key == previous:
                raise ValueError(f"{entity} {row_id} is listed twice")
            raise ValueError(f"{entity} {row_id} comes after {previous[0]} {previous[1]}")
        previous = key
        digest.update(line(entity, row_id, fields) + b"\n")
    return digest.hexdigest()


_by_key = operator.itemgetter(0, 1)
_ONLY_DICTS = frozenset({dict})  # a part row's type: checked for all at once, no generator
_NO_FORM: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
_ENTITY_JSON = {name: orjson.dumps(name) for name in _SYNCED}
# Per synced entity, its bool fields and its JSON fields: those whose form a table may hold
# otherwise (0/1, JSON text).
_DIGEST_FORM = {
    entity.name: (
        tuple(name for name, kind in entity.fields.items() if kind.name == "bool"),
        tuple(name for name, kind in entity.fields.items() if kind.name == "json"),
    )
    for entity in synced()
}
