"""A name or code another row of the store holds already (`service.config_fields.UNIQUE`: a
table's name, a station's code ...): a manager's edit here (the domain modules' forms) is
refused for it; an owner's change pulled from the hub (`edge.domain.hub_changes`) stands, and
the store's row that holds it takes another (`aside`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from service import fields as f
from service.config_fields import UNIQUE, check
from service.errors import Invalid


def duplicate(
    conn: sqlite3.Connection, entity: str, row: Mapping[str, Any], row_id: str | None = None
) -> Invalid | None:
    """The refusal when `row` (as it would be stored; `row_id` its id, None for a new one)
    holds a value another row of `entity` holds, else None."""
    return UNIQUE[entity].refusal(row) if holders(conn, entity, row, row_id) else None


def holders(
    conn: sqlite3.Connection, entity: str, row: Mapping[str, Any], row_id: str | None = None
) -> list[str]:
    """The ids of the other rows of `entity` that hold the value `row` holds (as `duplicate`
    reads them)."""
    rule = UNIQUE[entity]
    if not rule.holds(row):
        return []
    columns = ", ".join(sorted(rule.reads | {"id"}))
    others = conn.execute(f"SELECT {columns} FROM {entity} WHERE id IS NOT ?", (row_id,))
    return [other["id"] for other in map(dict, others) if rule.taken(row, [other])]


def aside(conn: sqlite3.Connection, entity: str, row: Mapping[str, Any]) -> Any:
    """A value of the unique field for `row` (a row of `entity` as stored, with its id) that no
    other row holds and the field's rules take: its own with 2, 3 ... after it ("12 (2)",
    "BAR2"), shortened where the field is too short for that. Invalid when none is found."""
    rule = UNIQUE[entity]
    value = str(row[rule.field])
    for n in range(2, _ASIDE_MOST):
        suffix = str(n) if rule.field == "code" else f" ({n})"
        try:
            cleaned = check(entity, {rule.field: value + suffix}, row)[rule.field]
        except Invalid:  # too long: as much of it as leaves room
            shorter = value[: max(1, len(value) - len(suffix))] + suffix
            cleaned = check(entity, {rule.field: shorter}, row)[rule.field]
        if not holders(conn, entity, {**row, rule.field: cleaned}, row["id"]):
            return cleaned
    raise Invalid(f"no free {rule.field} is left for {value}", code=rule.code, field=rule.field)


_ASIDE_MOST = 1000  # suffixes tried: past a thousand "12 (n)", something else is wrong


def unique(
    conn: sqlite3.Connection, entity: str, row_id: str | None = None, **scope: Any
) -> f.Check:
    """A form's check (`service.fields.Form.clean`) refusing a duplicate under the field;
    `scope`: what the row holds that the form does not (a modifier's group)."""

    def check(values: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Invalid]:
        found = duplicate(conn, entity, {**values, **scope}, row_id)
        return {UNIQUE[entity].field: found} if found else {}

    return check
