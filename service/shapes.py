"""What an app answers: the JSON Schema of each response body, declared beside the code that
builds it, as `fields.Form` declares a request beside the rules that check it.

A `Shape` is a named object (an order, a print job, an event): /openapi.json lists it once under
`components/schemas` and points at it with `$ref` wherever it is answered or nested. Shapes are
closed (every key required unless `optional`, no others allowed), so an answer that gains or
loses a key no longer matches its description, and `tests/edge/test_contract.py`, which checks a
real answer of every route against its description, fails until the two agree again. Where a
stored value was checked by a request rule, the answer reuses that rule's schema (`described`):
what was let in is what comes out.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from service.fields import Form


@dataclass(frozen=True, eq=False)
class Shape:
    """A named JSON object; `schema` may hold other shapes, which become `$ref`s."""

    name: str
    schema: dict[str, Any]


def shape(
    name: str,
    properties: Mapping[str, Any],
    *,
    optional: Collection[str] = (),
    description: str = "",
) -> Shape:
    return Shape(name, closed(properties, optional=optional, description=description))


def closed(
    properties: Mapping[str, Any], *, optional: Collection[str] = (), description: str = ""
) -> dict[str, Any]:
    """An object with exactly these keys, each present unless `optional`."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": dict(properties),
        "required": [key for key in properties if key not in optional],
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def described(form: Form, *keys: str) -> dict[str, Any]:
    """The schemas of `form`'s rules (of `keys`, or all): a stored value passed its rule."""
    return {key: form.rules[key].schema for key in keys or form.rules}


def nullable(schema: Any) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Any, description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": items}
    if description:
        schema["description"] = description
    return schema


def enum(values: Collection[str]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def text(description: str = "") -> dict[str, Any]:
    return {"type": "string", "description": description} if description else {"type": "string"}


ID = {"type": "string", "format": "uuid", "description": "a UUIDv7"}
INSTANT = {"type": "string", "format": "date-time", "description": "UTC, ISO-8601"}
DAY = {"type": "string", "format": "date"}
MONEY = {"type": "integer", "description": "minor units of the store's currency"}
COUNT = {"type": "integer", "minimum": 0}
FLAG = {"type": "boolean"}
HUB_REV = {"type": "integer", "minimum": 0, "description": "the hub revision it was based on"}
CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217"}
