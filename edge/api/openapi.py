"""/openapi.json: every route with what it takes and answers, from what each handler declares.

A handler declares its request body with the domain's `Form` (the rules that check it), its
query parameters with the `Query` it reads them with, its answer with the `Shape` (or schema)
declared beside the code that builds it, its success status, whether it needs a signed-in staff
member, whether it honours an `Idempotency-Key`, and the refusals particular to it; `contract`
hangs that on the handler (wrapping an idempotent one in `edge.api.idempotency.guarded`) and
`describe` reads it back. The rest is read from the route itself: its name is the
`operationId`, its path the tag, its `{name:id}` convertors the typed path parameters, and the
refusals every route of its kind can give (a body can be malformed, a path id unknown, a write
refused by the disk).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from edge import pages
from edge.api.http import ERROR_VIEW, IdConvertor, Query
from edge.api.idempotency import HEADER, KEY_SCHEMA, REPLAYED, guarded
from edge.domain import devices
from edge.domain.fields import Form
from edge.domain.shapes import ID, Shape
from edge.events import EVENT_VIEW

H = TypeVar("H", bound=Callable[..., Any])


@dataclass(frozen=True)
class Contract:
    body: dict[str, Any] | None = None  # JSON Schema of the JSON body
    query: Query | None = None
    response: Any = None  # JSON Schema of the success answer (may hold Shapes)
    status: int = 200
    public: bool = False  # answers without a sign-in
    device: bool = False  # answers a paired device only (its credential, no sign-in)
    refuses: frozenset[int] = frozenset()  # refusals besides those of every route of its kind
    also: Mapping[int, Any] = field(default_factory=dict)  # other answers: a schema, or words
    idempotent: bool = False  # honours an Idempotency-Key (edge.api.idempotency)


def contract(
    *,
    body: Form | None = None,
    partial: bool = False,
    query: Query | None = None,
    response: Any = None,
    status: int = 200,
    public: bool = False,
    device: bool = False,
    refuses: Collection[int] = (),
    also: Mapping[int, Any] | None = None,
    idempotent: bool = False,
) -> Callable[[H], H]:
    """Decorator: what the handler takes (`partial`: a change, no field required) and answers.

    `response` is the JSON Schema of its answer: a `Shape`, or a schema holding them. `refuses`
    lists the refusals particular to it (403 a role may not, 409 a state that refuses, 423 a
    lockout); those of every route of its kind are added. `also` lists other answers that are
    not refusals: status -> a schema, or the words that describe an answer without a body.
    `idempotent`: a retry with the same `Idempotency-Key` gets the first answer; every route
    that creates or sends something says so, and makes its write through
    `edge.api.idempotency.answer`.
    `device`: it answers a paired device, with no staff member signed in (the roster, sign-in)."""
    terms = Contract(
        body.schema(partial=partial) if body else None,
        query,
        response,
        status,
        public or device,
        device,
        frozenset(refuses),
        also or {},
        idempotent,
    )

    def attach(handler: H) -> H:
        if idempotent:
            handler = guarded(handler)  # type: ignore[assignment]
        handler.contract = terms  # type: ignore[attr-defined]
        return handler

    return attach


# The area of each operation, by the first segment of its path (after /api/).
TAGS = {
    "": "system",
    "healthz": "system",
    "openapi.json": "system",
    "ws": "feed",
    "menu": "menu",
    "tables": "tables",
    "areas": "tables",
    "orders": "orders",
    "order-lines": "orders",
    "staff": "staff",
    "sessions": "staff",
    "me": "staff",
    "devices": "staff",
    "store": "store",
    "printers": "printing",
    "print-jobs": "printing",
    "drawer": "printing",
    "events": "feed",
    "audit": "feed",
}
TAG_NOTES = {
    "menu": "Tax rates, categories, items, modifier groups and modifiers; 86ing.",
    "tables": "Areas, tables and their QR codes.",
    "orders": "Orders taken by staff, their lines, sending them to the kitchen, voids.",
    "staff": "Paired devices, sign-in with a PIN on one, and the staff list.",
    "store": "The store's settings.",
    "printing": "Printers, the print queue, bills and the cash drawer.",
    "feed": "What changed: the event feed (websocket and polling) and the audit trail.",
    "system": "Health, this description, and the static pages.",
}
REFUSALS = {
    400: "malformed: a body that is not a JSON object (or none), a bad query parameter or a bad"
    " Idempotency-Key",
    401: "not signed in, a sign-in that has ended (`reason` says why), a device that is not"
    " paired, or a wrong PIN",
    403: "the staff member's role may not do this",
    404: "no such thing (or an id in the path that is not an id)",
    409: "the thing is in a state that refuses this",
    422: "the request breaks a rule: `field` names the first bad field, `fields` each of them;"
    " or its Idempotency-Key was used for another request (`idempotency_key_reused`)",
    423: "locked out after too many wrong PINs; `retry_after` says for how many seconds",
    429: "too many tries from this address; `retry_after` says for how many seconds",
    503: "the database refused the write; nothing was written",
}
# Routes that answer with a file rather than JSON, by the extension their path ends in.
FILE_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}
_SENTENCE = re.compile(r"(?<=[.?!])\s")


def describe(routes: list[BaseRoute]) -> dict[str, Any]:
    """OpenAPI 3.1 for every HTTP and websocket route."""
    components = _Components()
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                operation = _operation(route, method, components)
                paths.setdefault(route.path_format, {})[method.lower()] = operation
        elif isinstance(route, WebSocketRoute):
            operation = _operation(route, "GET", components)
            operation["responses"] = {
                "101": {"description": "switching to the websocket protocol"},
                "404": _refusal("a plain GET, without the upgrade", components),
            }
            operation["x-websocket"] = True
            operation["x-message"] = components.resolve(EVENT_VIEW)
            paths.setdefault(route.path_format, {})["get"] = operation
        elif isinstance(route, Mount):
            paths.setdefault(route.path + "/{path}", {})["get"] = {
                "operationId": f"{route.name}_file",
                "tags": ["system"],
                "summary": f"The pages' files under {route.path}/ ({', '.join(pages.ASSETS)}).",
                "parameters": [_path_param("path", route)],
                "responses": {
                    "200": {"description": "a page's file"},
                    "404": _refusal("no such page file (any other file is not served)", components),
                },
            }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Galley edge", "version": "1"},
        "tags": [{"name": name, "description": note} for name, note in TAG_NOTES.items()],
        "components": {
            "securitySchemes": {
                "staff": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the token POST /api/sessions answers (a PIN sign-in)",
                },
                "device": {
                    "type": "apiKey",
                    "in": "header",
                    "name": devices.HEADER,
                    "description": "the credential POST /api/devices/pair answers (a paired"
                    " staff device)",
                },
            },
            "schemas": dict(sorted(components.schemas.items())),
        },
        "paths": paths,
    }


def _operation(
    route: Route | WebSocketRoute, method: str, components: _Components
) -> dict[str, Any]:
    doc = " ".join((route.endpoint.__doc__ or route.name).split())
    terms: Contract | None = getattr(route.endpoint, "contract", None)
    operation: dict[str, Any] = {
        "operationId": route.name,
        "tags": _tags(route.path_format),
        "summary": _SENTENCE.split(doc, maxsplit=1)[0],
        "description": doc,
        "parameters": [_path_param(name, route) for name in route.param_convertors],
    }
    if terms is None:  # undeclared: says nothing of its answers (a test refuses it)
        operation["responses"] = {"default": {"description": "undeclared"}}
        return operation
    if terms.query is not None:
        operation["parameters"] += [
            {"name": name, "in": "query", "required": False, "schema": param.schema}
            for name, param in terms.query.params.items()
        ]
    if terms.idempotent:
        operation["parameters"].append(
            {"name": HEADER, "in": "header", "required": False, "schema": KEY_SCHEMA}
        )
    if terms.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": terms.body}},
        }
    if terms.device:
        operation["security"] = [{"device": []}]
    elif not terms.public:
        operation["security"] = [{"staff": []}]
    answers = {terms.status: _answer(route, terms, components)}
    for status, other in terms.also.items():
        answers[status] = (
            {"description": other}
            if isinstance(other, str)
            else {"description": "JSON", "content": _json(other, components)}
        )
    for status in sorted(_refusals(route, method, terms)):
        answers[status] = _refusal(REFUSALS[status], components)
    operation["responses"] = {str(status): answers[status] for status in sorted(answers)}
    return operation


def _answer(
    route: Route | WebSocketRoute, terms: Contract, components: _Components
) -> dict[str, Any]:
    media = next((t for ext, t in FILE_TYPES.items() if route.path.endswith(ext)), None)
    if media is not None:
        binary = {"type": "string", "contentMediaType": media}
        return {"description": f"a {media} file", "content": {media: {"schema": binary}}}
    if 300 <= terms.status < 400:
        return {"description": "a redirect"}
    if terms.response is None:  # undeclared: a test refuses it
        return {"description": "JSON", "content": {"application/json": {}}}
    answer = {"description": "JSON", "content": _json(terms.response, components)}
    if terms.idempotent:
        replayed = {
            "description": "true: the first answer to this Idempotency-Key again; nothing written",
            "schema": {"type": "string", "const": "true"},
        }
        answer["headers"] = {REPLAYED: replayed}
    return answer


def _refusals(route: Route | WebSocketRoute, method: str, terms: Contract) -> set[int]:
    """The refusals a route can give: its own, and those of every route of its kind."""
    statuses = set(terms.refuses)
    if terms.body is not None or terms.idempotent:
        statuses |= {400, 422}  # 400 not a JSON object or a bad key; 422 a broken rule
    if terms.query is not None:
        statuses.add(400)
    if not terms.public or terms.device:
        statuses.add(401)
    if route.param_convertors:
        statuses.add(404)
    if method != "GET":
        statuses.add(503)
    return statuses


def _refusal(description: str, components: _Components) -> dict[str, Any]:
    return {"description": description, "content": _json(ERROR_VIEW, components)}


def _json(schema: Any, components: _Components) -> dict[str, Any]:
    return {"application/json": {"schema": components.resolve(schema)}}


class _Components:
    """The shapes met while describing the routes, each resolved once into `schemas`."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}
        self._shapes: dict[str, Shape] = {}

    def resolve(self, schema: Any) -> Any:
        """`schema` with each Shape in it replaced by a `$ref` to its entry in `schemas`."""
        if isinstance(schema, Shape):
            known = self._shapes.setdefault(schema.name, schema)
            if known is not schema:
                raise ValueError(f"two shapes are called {schema.name}")
            if schema.name not in self.schemas:
                self.schemas[schema.name] = {}  # taken before its parts: a shape may hold itself
                self.schemas[schema.name] = self.resolve(schema.schema)
            return {"$ref": f"#/components/schemas/{schema.name}"}
        if isinstance(schema, dict):
            return {key: self.resolve(value) for key, value in schema.items()}
        if isinstance(schema, list | tuple):
            return [self.resolve(value) for value in schema]
        return schema


def _tags(path: str) -> list[str]:
    """The area of a path, by its first segment (after /api/); none for an unknown one."""
    parts = path.split("/")
    segment = parts[2] if parts[1] == "api" and len(parts) > 2 else parts[1]
    return [TAGS[segment]] if segment in TAGS else []


def _path_param(name: str, route: BaseRoute) -> dict[str, Any]:
    convertor = getattr(route, "param_convertors", {}).get(name)
    schema = ID if isinstance(convertor, IdConvertor) else {"type": "string"}
    return {"name": name, "in": "path", "required": True, "schema": schema}
