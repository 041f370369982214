"""A name or code another row of the store holds already (`service.config_fields.UNIQUE`: a
table's name, a station's code ...): the one rule a manager's edit here (the domain modules'
forms) and an owner's change pulled from the hub (`edge.domain.hub_changes`) are refused by."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from service import fields as f
from service.config_fields import UNIQUE
from service.errors import Invalid


def duplicate(
    conn: sqlite3.Connection, entity: str, row: Mapping[str, Any], row_id: str | None = None
) -> Invalid | None:
    """The refusal when `row` (as it would be stored; `row_id` its id, None for a new one)
    holds a value another row of `entity` holds, else None."""
    rule = UNIQUE[entity]
    if not rule.holds(row):
        return None
    columns = ", ".join(sorted(rule.reads))
    others = conn.execute(f"SELECT {columns} FROM {entity} WHERE id IS NOT ?", (row_id,))
    return rule.refusal(row) if rule.taken(row, map(dict, others)) else None


def unique(
    conn: sqlite3.Connection, entity: str, row_id: str | None = None, **scope: Any
) -> f.Check:
    """A form's check (`service.fields.Form.clean`) refusing a duplicate under the field;
    `scope`: what the row holds that the form does not (a modifier's group)."""

    def check(values: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Invalid]:
        found = duplicate(conn, entity, {**values, **scope}, row_id)
        return {UNIQUE[entity].field: found} if found else {}

    return check
