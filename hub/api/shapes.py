"""The JSON Schemas of what the owner API takes, and the check that holds a value to one.

A handler declares its body and query parameters as schemas (`hub.api.openapi.contract`);
the same schema refuses a bad request here (422 naming the field, or 400 for a query) and
describes it in /openapi.json, so the two cannot drift. Only the keywords used below are
understood; a schema using another is a bug, refused at import.
"""

from __future__ import annotations

from typing import Any

from hub.errors import Invalid
from sync.ids import is_uuid

_KNOWN = {
    "type", "properties", "required", "additionalProperties", "minLength", "maxLength",
    "minimum", "maximum", "items", "minItems", "maxItems", "uniqueItems", "format",
    "minProperties", "description", "enum", "default", "pattern",
}  # fmt: skip
_TYPES = {"object": dict, "string": str, "array": list, "boolean": bool}


def text(low: int, high: int, **more: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": low, "maxLength": high, **more}


def whole(low: int, high: int, default: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high, "default": default}


UUID = {"type": "string", "format": "uuid"}


def body(required: tuple[str, ...] = (), **properties: dict[str, Any]) -> dict[str, Any]:
    shape = {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }
    _known(shape)
    return shape


def _known(schema: dict[str, Any]) -> None:
    unknown = set(schema) - _KNOWN
    if unknown:
        raise TypeError(f"hub.api.shapes does not check {sorted(unknown)}")
    inner = list(schema.get("properties", {}).values())
    if "items" in schema:
        inner.append(schema["items"])
    for part in inner:
        _known(part)


def check(schema: dict[str, Any], value: Any, where: str = "body") -> Any:
    """`value` if it fits `schema`; else Invalid naming the place (`stores[2]`)."""
    kind = schema.get("type")
    if kind == "integer":
        if type(value) is not int:
            raise Invalid(f"{where} should be a whole number", field=where)
        if not schema.get("minimum", value) <= value <= schema.get("maximum", value):
            bounds = f"{schema.get('minimum')}..{schema.get('maximum')}"
            raise Invalid(f"{where} should be in {bounds}", field=where)
    elif kind is not None and type(value) is not _TYPES[kind]:
        raise Invalid(f"{where} should be {'an' if kind[0] in 'aeo' else 'a'} {kind}", field=where)
    if "enum" in schema and value not in schema["enum"]:
        raise Invalid(f"{where} should be one of {', '.join(schema['enum'])}", field=where)
    if kind == "string":
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            raise Invalid(
                f"{where} should be {schema.get('minLength', 0)} to"
                f" {schema.get('maxLength')} characters",
                field=where,
            )
        if schema.get("format") == "uuid" and not is_uuid(value):
            raise Invalid(f"{where} should be an id", field=where)
    elif kind == "array":
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
            raise Invalid(
                f"{where} should hold {schema.get('minItems', 0)} to {schema.get('maxItems')}",
                field=where,
            )
        if schema.get("uniqueItems") and len(set(map(repr, value))) != len(value):
            raise Invalid(f"{where} should name each once", field=where)
        for index, item in enumerate(value):
            check(schema.get("items", {}), item, f"{where}[{index}]")
    elif kind == "object":
        _check_object(schema, value, where)
    return value


def _check_object(schema: dict[str, Any], value: dict[str, Any], where: str) -> None:
    properties = schema.get("properties", {})
    inner = "" if where == "body" else f"{where}."
    if schema.get("additionalProperties") is False:
        unknown = sorted(set(value) - set(properties))
        if unknown:
            raise Invalid(f"{inner}{unknown[0]} is not a field here", code="unknown_field",
                          field=f"{inner}{unknown[0]}")  # fmt: skip
    for name in schema.get("required", ()):
        if name not in value:
            raise Invalid(f"{inner}{name} is missing", code="missing_field", field=f"{inner}{name}")
    if len(value) < schema.get("minProperties", 0):
        raise Invalid(f"{where} should name at least {schema['minProperties']}", field=where)
    for name, item in value.items():
        if name in properties:
            check(properties[name], item, f"{inner}{name}")
