"""Field rules shared by the domain modules: each turns a JSON value into a stored value or
raises `Invalid` naming the field, so a bad request is refused before anything is written."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from edge.errors import Invalid, NotFound
from sync.ids import is_uuid

Rule = Callable[[str, Any], Any]


def text(limit: int, *, blank: bool = False) -> Rule:
    def rule(key: str, value: Any) -> str:
        if not isinstance(value, str) or (not blank and not value.strip()):
            raise Invalid(f"{key} must be {'a' if blank else 'a non-empty'} text", field=key)
        if len(value) > limit:
            raise Invalid(f"{key} is longer than {limit} characters", field=key)
        return value.strip()

    return rule


def integer(low: int | None = None, high: int | None = None) -> Rule:
    def rule(key: str, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise Invalid(f"{key} must be a whole number", field=key)
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"{low if low is not None else '-inf'}..{high if high is not None else 'inf'}"
            raise Invalid(f"{key} must be in {bounds}", field=key)
        return value

    return rule


def boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{key} must be true or false", field=key)
    return value


def choice(*choices: str) -> Rule:
    def rule(key: str, value: Any) -> str:
        if value not in choices:
            raise Invalid(f"{key} must be one of {', '.join(choices)}", field=key)
        return value

    return rule


def optional(inner: Rule) -> Rule:
    """`inner`, or null."""

    def rule(key: str, value: Any) -> Any:
        return None if value is None else inner(key, value)

    return rule


_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,19}$")


def code(key: str, value: Any) -> str:
    """Station and course names: BAR, KITCHEN, DRINKS, MAINS ... (upper case, no spaces)."""
    if isinstance(value, str):
        value = value.strip().upper()
    if not isinstance(value, str) or not _CODE.match(value):
        raise Invalid(f"{key} must be a short upper-case code such as KITCHEN", field=key)
    return value


def identifier(key: str, value: Any) -> str:
    if not is_uuid(value):
        raise Invalid(f"{key} must be an id", field=key)
    return value


def clean(
    rules: Mapping[str, Rule], values: Mapping[str, Any], *, required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Check `values` against `rules`; refuse unknown fields and missing required ones."""
    if not values.keys() <= rules.keys():  # checked first without building sets: every line
        unknown = set(values) - set(rules)  # of every order comes through here
        raise Invalid(f"unknown field: {', '.join(sorted(unknown))}", code="unknown_field")
    for key in required:
        if key not in values:
            missing = [key for key in required if key not in values]
            raise Invalid(
                f"missing field: {', '.join(missing)}", code="missing_field", field=missing[0]
            )
    return {key: rules[key](key, value) for key, value in values.items()}


def next_position(conn: Any, table: str, where: str = "1", args: tuple[Any, ...] = ()) -> int:
    row = conn.execute(f"SELECT COALESCE(MAX(position), -1) + 1 FROM {table} WHERE {where}", args)
    return row.fetchone()[0]


def existing(conn: Any, table: str, row_id: str, what: str, field: str | None = None) -> Any:
    """The row, or a refusal: 404 for the thing in the path, 422 for a reference in the body."""
    row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
    if row is None:
        if field:
            raise Invalid(f"no such {what}", code="unknown_reference", field=field)
        raise NotFound(f"no such {what}", id=row_id)
    return row
