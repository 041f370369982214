"""/openapi.json, read from what each handler declares with `contract`: its body and query
(the schemas `hub.api.shapes` checks them with), its success status and who may call it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from starlette.routing import BaseRoute, Route

H = TypeVar("H", bound=Callable[..., Any])
Caller = Literal["owner", "device", "public"]


@dataclass(frozen=True)
class Contract:
    body: dict[str, Any] | None = None
    query: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: int = 200
    caller: Caller = "owner"


def contract(
    *,
    body: dict[str, Any] | None = None,
    query: dict[str, dict[str, Any]] | None = None,
    status: int = 200,
    caller: Caller = "owner",
) -> Callable[[H], H]:
    terms = Contract(body, query or {}, status, caller)

    def attach(handler: H) -> H:
        handler.contract = terms  # type: ignore[attr-defined]
        return handler

    return attach


def terms_of(route: Route) -> Contract:
    return getattr(route.endpoint, "contract", Contract())


ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "the first bad field (422)"},
            },
        }
    },
}
_REFUSED = {
    "description": "refused, with the reason",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_SECURITY = {
    "owner": {
        "type": "http",
        "scheme": "bearer",
        "description": "the token POST /api/sessions answers",
    },
    "device": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Galley-Signature",
        "description": "Ed25519 over method, path, time, nonce and body digest (sync.signing),"
        " with X-Galley-Key, X-Galley-Timestamp and X-Galley-Nonce",
    },
}
_SENTENCE = re.compile(r"(?<=[.?!])\s")


def describe(routes: list[BaseRoute]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                paths.setdefault(route.path, {})[method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Galley hub", "version": "1"},
        "components": {"securitySchemes": _SECURITY, "schemas": {"Error": ERROR}},
        "paths": paths,
    }


def _operation(route: Route) -> dict[str, Any]:
    doc = " ".join((route.endpoint.__doc__ or route.name).split())
    terms = terms_of(route)
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in route.param_convertors
    ] + [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in terms.query.items()
    ]
    operation: dict[str, Any] = {
        "summary": _SENTENCE.split(doc, maxsplit=1)[0],
        "description": doc,
        "parameters": parameters,
        "responses": {
            str(terms.status): {"description": "JSON", "content": {"application/json": {}}},
            "4XX": _REFUSED,
        },
    }
    if terms.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": terms.body}},
        }
    if terms.caller != "public":
        operation["security"] = [{terms.caller: []}]
    return operation
