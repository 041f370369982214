"""Field rules shared by the domain modules: each turns a JSON value into a stored value or
raises `Invalid` naming the field, so a bad request is refused before anything is written.

Each rule carries the JSON Schema of what it accepts, and a `Form` (the fields one kind of
request may send) builds its schema from its rules: /openapi.json describes request bodies with
the very rules that check them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from edge.errors import Invalid, NotFound
from sync.ids import is_uuid


class Rule(Protocol):
    schema: dict[str, Any]

    def __call__(self, key: str, value: Any, /) -> Any: ...


def accepts(schema: dict[str, Any]) -> Callable[[Callable[[str, Any], Any]], Rule]:
    """Decorator: `schema` (JSON Schema) describes what the decorated rule accepts."""

    def describe(check: Callable[[str, Any], Any]) -> Rule:
        check.schema = schema  # type: ignore[attr-defined]
        return cast(Rule, check)

    return describe


def text(limit: int, *, blank: bool = False) -> Rule:
    schema: dict[str, Any] = {"type": "string", "maxLength": limit}
    if not blank:
        schema["pattern"] = r"\S"

    @accepts(schema)
    def rule(key: str, value: Any) -> str:
        if not isinstance(value, str) or (not blank and not value.strip()):
            raise Invalid(f"{key} must be {'a' if blank else 'a non-empty'} text", field=key)
        if len(value) > limit:
            raise Invalid(f"{key} is longer than {limit} characters", field=key)
        return value.strip()

    return rule


# SQLite keeps an integer in 64 bits: a larger one cannot be stored, so no rule lets it in.
INT64 = (-(2**63), 2**63 - 1)


def integer(low: int = INT64[0], high: int = INT64[1]) -> Rule:
    @accepts({"type": "integer", "minimum": low, "maximum": high})
    def rule(key: str, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise Invalid(f"{key} must be a whole number", field=key)
        if not low <= value <= high:
            raise Invalid(f"{key} must be in {low}..{high}", field=key)
        return value

    return rule


@accepts({"type": "boolean"})
def boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{key} must be true or false", field=key)
    return value


def choice(*choices: str) -> Rule:
    @accepts({"type": "string", "enum": list(choices)})
    def rule(key: str, value: Any) -> str:
        if value not in choices:
            raise Invalid(f"{key} must be one of {', '.join(choices)}", field=key)
        return value

    return rule


def optional(inner: Rule) -> Rule:
    """`inner`, or null."""

    @accepts({"anyOf": [inner.schema, {"type": "null"}]})
    def rule(key: str, value: Any) -> Any:
        return None if value is None else inner(key, value)

    return rule


_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,19}$")


@accepts({"type": "string", "pattern": r"^\s*[A-Za-z][A-Za-z0-9_]{0,19}\s*$"})
def code(key: str, value: Any) -> str:
    """Station and course names: BAR, KITCHEN, DRINKS, MAINS ... (upper case, no spaces)."""
    if isinstance(value, str):
        value = value.strip().upper()
    if not isinstance(value, str) or not _CODE.match(value):
        raise Invalid(f"{key} must be a short upper-case code such as KITCHEN", field=key)
    return value


@accepts({"type": "string", "format": "uuid"})
def identifier(key: str, value: Any) -> str:
    if not is_uuid(value):
        raise Invalid(f"{key} must be an id", field=key)
    return value


@accepts({"type": "array", "items": {"type": "string", "format": "uuid"}, "uniqueItems": True})
def distinct_ids(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or len(set(map(str, value))) != len(value):
        raise Invalid(f"{key} must be a list of distinct ids", field=key)
    return [identifier(key, item) for item in value]


REASON = text(140)  # why a line is voided or the drawer opened


@dataclass(frozen=True)
class Form:
    """The fields one kind of request may send, and those it must (unless `partial`: a change
    sends only what changes)."""

    rules: Mapping[str, Rule]
    required: tuple[str, ...] = ()

    def clean(self, values: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
        """Check `values`; refuse unknown fields and missing required ones."""
        rules = self.rules
        if not values.keys() <= rules.keys():  # checked first without building sets: every
            unknown = set(values) - set(rules)  # line of every order comes through here
            raise Invalid(f"unknown field: {', '.join(sorted(unknown))}", code="unknown_field")
        if not partial:
            for key in self.required:
                if key not in values:
                    missing = [key for key in self.required if key not in values]
                    raise Invalid(
                        f"missing field: {', '.join(missing)}",
                        code="missing_field",
                        field=missing[0],
                    )
        return {key: rules[key](key, value) for key, value in values.items()}

    def schema(self, *, partial: bool = False) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {key: rule.schema for key, rule in self.rules.items()},
            "additionalProperties": False,
        }
        if self.required and not partial:
            schema["required"] = list(self.required)
        return schema


def nested(form: Form) -> Rule:
    """A field holding one object of `form`."""

    @accepts(form.schema())
    def rule(key: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid(f"{key} must be an object", field=key)
        return form.clean(value)

    return rule


def listing(form: Form, limit: int) -> Rule:
    """A field holding a list of at most `limit` objects of `form`."""

    @accepts({"type": "array", "items": form.schema(), "maxItems": limit})
    def rule(key: str, value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise Invalid(f"{key} must be a list of objects", field=key)
        if len(value) > limit:
            raise Invalid(f"at most {limit} {key} at once", field=key)
        return [form.clean(item) for item in value]

    return rule


def existing(conn: Any, table: str, row_id: str, what: str, field: str | None = None) -> Any:
    """The row, or a refusal: 404 for the thing in the path, 422 for a reference in the body."""
    row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
    if row is None:
        if field:
            raise Invalid(f"no such {what}", code="unknown_reference", field=field)
        raise NotFound(f"no such {what}", id=row_id)
    return row
