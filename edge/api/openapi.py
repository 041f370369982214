"""/openapi.json: every route with what it takes and answers, from what each handler declares.

A handler declares its request body with the domain's `Form` (the rules that check it), its
query parameters with the `Query` it reads them with, its success status and whether it needs a
signed-in staff member; `contract` hangs that on the handler and `describe` reads it back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from edge.api.http import Query
from edge.domain.fields import Form

H = TypeVar("H", bound=Callable[..., Any])


@dataclass(frozen=True)
class Contract:
    body: dict[str, Any] | None = None  # JSON Schema of the JSON body
    query: Query | None = None
    status: int = 200
    public: bool = False  # answers without a sign-in


def contract(
    *,
    body: Form | None = None,
    partial: bool = False,
    query: Query | None = None,
    status: int = 200,
    public: bool = False,
) -> Callable[[H], H]:
    """Decorator: what the handler takes (`partial`: a change, no field required) and answers."""
    terms = Contract(body.schema(partial=partial) if body else None, query, status, public)

    def attach(handler: H) -> H:
        handler.contract = terms  # type: ignore[attr-defined]
        return handler

    return attach


def describe(routes: list[BaseRoute]) -> dict[str, Any]:
    """OpenAPI 3.1 for every HTTP and websocket route."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                paths.setdefault(route.path, {})[method.lower()] = _operation(route)
        elif isinstance(route, WebSocketRoute):
            operation = _operation(route)
            operation["responses"] = {
                "101": {"description": "switching to the websocket protocol"},
                "4XX": operation["responses"]["4XX"],  # a plain GET, without the upgrade
            }
            paths.setdefault(route.path, {})["get"] = {**operation, "x-websocket": True}
        elif isinstance(route, Mount):
            paths.setdefault(route.path + "/{path}", {})["get"] = {
                "summary": f"Static pages under {route.path}/.",
                "parameters": [_path_param("path")],
                "responses": {"200": {"description": "a file"}, "404": ERROR_ANSWER},
            }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Galley edge", "version": "1"},
        "components": {
            "securitySchemes": {
                "staff": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the token POST /api/sessions answers (a PIN sign-in)",
                }
            },
            "schemas": {"Error": ERROR},
        },
        "paths": paths,
    }


ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
# Routes that answer with a file rather than JSON, by the extension their path ends in.
FILE_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}
ERROR_ANSWER = {
    "description": "refused, with the reason",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_SENTENCE = re.compile(r"(?<=[.?!])\s")


def _operation(route: Route | WebSocketRoute) -> dict[str, Any]:
    doc = " ".join((route.endpoint.__doc__ or route.name).split())
    summary = _SENTENCE.split(doc, maxsplit=1)[0]
    terms: Contract = getattr(route.endpoint, "contract", Contract())
    media = next((t for ext, t in FILE_TYPES.items() if route.path.endswith(ext)), None)
    answer: dict[str, Any] = {"description": "JSON", "content": {"application/json": {}}}
    if media is not None:
        answer = {"description": f"a {media} file", "content": {media: {}}}
    elif 300 <= terms.status < 400:
        answer = {"description": "a redirect"}
    parameters = [_path_param(name) for name in route.param_convertors]
    if terms.query is not None:
        parameters += [
            {"name": name, "in": "query", "required": False, "schema": param.schema}
            for name, param in terms.query.params.items()
        ]
    operation: dict[str, Any] = {
        "summary": summary,
        "description": doc,
        "parameters": parameters,
        "responses": {str(terms.status): answer, "4XX": ERROR_ANSWER},
    }
    if terms.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": terms.body}},
        }
    if not terms.public:
        operation["security"] = [{"staff": []}]
    return operation


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
