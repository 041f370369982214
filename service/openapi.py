"""/openapi.json: every route with what it takes and answers, from what each handler declares.

A handler declares its request body with a `Form` (the rules that check it) or a schema, its
query parameters with the `Query` it reads them with, its answer with the `Shape` (or schema)
declared beside the code that builds it, its success status, who may call it, whether it
honours an `Idempotency-Key`, and the refusals particular to it; `Api.contract` hangs that on
the handler and `Api.describe` reads it back. The rest is read from the route itself: its name
is the `operationId`, its path the tag, its `{name:id}` convertors the typed path parameters,
and the refusals every route of its kind can give (a body can be malformed, a path id unknown,
a write refused by the disk).

An app makes one `Api` with what is its own (title, security schemes, tags, the words for each
refusal, the idempotency header) and declares every handler with its `contract`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from service.fields import Form
from service.http import ERROR_VIEW, IdConvertor, TextConvertor
from service.query import Query
from service.shapes import ID, Shape

H = TypeVar("H", bound=Callable[..., Any])
_SENTENCE = re.compile(r"(?<=[.?!])\s")
# Routes that answer with a file rather than JSON, by the extension their path ends in.
FILE_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}
TEXT = {"type": "string", "pattern": "^[^\\x00]+$"}  # a `{name:text}` path parameter


@dataclass(frozen=True)
class Contract:
    body: dict[str, Any] | None = None  # JSON Schema of the JSON body
    query: Query | None = None
    response: Any = None  # JSON Schema of the success answer, or of a websocket's messages
    status: int = 200
    security: str | None = None  # the security scheme it needs; None: anyone may call it
    refuses: frozenset[int] = frozenset()  # refusals besides those of every route of its kind
    also: Mapping[int, Any] = field(default_factory=dict)  # other answers: a schema, or words
    idempotent: bool = False  # honours an Idempotency-Key


@dataclass(frozen=True)
class Idempotency:
    """How an app honours `Idempotency-Key`: the header, its schema, the header a replayed
    answer carries, and `guard`, which wraps a handler that honours it."""

    header: str
    schema: dict[str, Any]
    replayed: str
    guard: Callable[[Any], Any]


@dataclass(frozen=True)
class Api:
    """One app's API description: what is its own, and the handlers' contracts."""

    title: str
    security: Mapping[str, dict[str, Any]]  # scheme name -> OpenAPI security scheme
    default_security: str  # what a route needs unless it is public or says otherwise
    tags: Mapping[str, str]  # the first segment of a path (after /api/) -> its tag
    tag_notes: Mapping[str, str]  # tag -> what its operations are about, in the order listed
    refusals: Mapping[int, str]  # status -> what such a refusal means in this app
    unavailable: frozenset[str]  # methods whose routes may answer 503 (storage refused)
    idempotency: Idempotency | None = None
    files: Collection[str] = ()  # the file types a Mount of pages serves

    def contract(
        self,
        *,
        body: Form | dict[str, Any] | None = None,
        partial: bool = False,
        query: Query | None = None,
        response: Any = None,
        status: int = 200,
        public: bool = False,
        auth: str | None = None,
        refuses: Collection[int] = (),
        also: Mapping[int, Any] | None = None,
        idempotent: bool = False,
    ) -> Callable[[H], H]:
        """Decorator: what the handler takes (`partial`: a change, no field required) and
        answers.

        `response` is the JSON Schema of its answer (of a websocket's messages): a `Shape`, or a
        schema holding them. `public`: anyone may call it; `auth`: the security scheme it needs
        when not the app's default. `refuses` lists the refusals particular to it (403 a role
        may not, 409 a state that refuses, 423 a lockout); those of every route of its kind are
        added. `also` lists other answers that are not refusals: status -> a schema, or the
        words that describe an answer without a body. `idempotent`: a retry with the same
        `Idempotency-Key` gets the first answer (the handler is wrapped in the app's guard)."""
        terms = Contract(
            body.schema(partial=partial) if isinstance(body, Form) else body,
            query,
            response,
            status,
            None if public else auth or self.default_security,
            frozenset(refuses),
            also or {},
            idempotent,
        )
        if idempotent and self.idempotency is None:
            raise ValueError(f"{self.title} honours no Idempotency-Key")

        def attach(handler: H) -> H:
            if idempotent:
                assert self.idempotency is not None
                handler = self.idempotency.guard(handler)
            handler.contract = terms  # type: ignore[attr-defined]
            return handler

        return attach

    def describe(self, routes: list[BaseRoute]) -> dict[str, Any]:
        """OpenAPI 3.1 for every HTTP and websocket route, and every Mount of pages."""
        components = _Components()
        paths: dict[str, dict[str, Any]] = {}
        for route in routes:
            if isinstance(route, Route):
                for method in sorted((route.methods or set()) - {"HEAD"}):
                    operation = self._operation(route, method, components)
                    paths.setdefault(route.path_format, {})[method.lower()] = operation
            elif isinstance(route, WebSocketRoute):
                operation = self._operation(route, "GET", components)
                operation["responses"] = {
                    "101": {"description": "switching to the websocket protocol"},
                    "404": _refusal("a plain GET, without the upgrade", components),
                }
                operation["x-websocket"] = True
                operation["x-message"] = components.resolve(terms_of(route).response)
                paths.setdefault(route.path_format, {})["get"] = operation
            elif isinstance(route, Mount):
                paths.setdefault(route.path + "/{path}", {})["get"] = {
                    "operationId": f"{route.name}_file",
                    "tags": self._tags(route.path),
                    "summary": f"The pages' files under {route.path}/ ({', '.join(self.files)}).",
                    "parameters": [_path_param("path", route)],
                    "responses": {
                        "200": {"description": "a page's file"},
                        "404": _refusal(
                            "no such page file (any other file is not served)", components
                        ),
                    },
                }
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": "1"},
            "tags": [{"name": name, "description": note} for name, note in self.tag_notes.items()],
            "components": {
                "securitySchemes": dict(self.security),
                "schemas": dict(sorted(components.schemas.items())),
            },
            "paths": paths,
        }

    def _operation(
        self, route: Route | WebSocketRoute, method: str, components: _Components
    ) -> dict[str, Any]:
        doc = " ".join((route.endpoint.__doc__ or route.name).split())
        terms: Contract | None = getattr(route.endpoint, "contract", None)
        operation: dict[str, Any] = {
            "operationId": route.name,
            "tags": self._tags(route.path_format),
            "summary": _SENTENCE.split(doc, maxsplit=1)[0],
            "description": doc,
            "parameters": [_path_param(name, route) for name in route.param_convertors],
        }
        if terms is None:  # undeclared: says nothing of its answers (the edge's test refuses it)
            operation["responses"] = {"default": {"description": "undeclared"}}
            return operation
        if terms.query is not None:
            operation["parameters"] += [
                {"name": name, "in": "query", "required": False, "schema": param.schema}
                for name, param in terms.query.params.items()
            ]
        if terms.idempotent and self.idempotency is not None:
            operation["parameters"].append(
                {
                    "name": self.idempotency.header,
                    "in": "header",
                    "required": False,
                    "schema": self.idempotency.schema,
                }
            )
        if terms.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": terms.body}},
            }
        if terms.security is not None:
            operation["security"] = [{terms.security: []}]
        answers = {terms.status: self._answer(route, terms, components)}
        for status, other in terms.also.items():
            answers[status] = (
                {"description": other}
                if isinstance(other, str)
                else {"description": "JSON", "content": _json(other, components)}
            )
        for status in sorted(self._refusals(route, method, terms)):
            answers[status] = _refusal(self.refusals[status], components)
        operation["responses"] = {str(status): answers[status] for status in sorted(answers)}
        return operation

    def _answer(
        self, route: Route | WebSocketRoute, terms: Contract, components: _Components
    ) -> dict[str, Any]:
        media = next((t for ext, t in FILE_TYPES.items() if route.path.endswith(ext)), None)
        if media is not None:
            binary = {"type": "string", "contentMediaType": media}
            return {"description": f"a {media} file", "content": {media: {"schema": binary}}}
        if 300 <= terms.status < 400:
            return {"description": "a redirect"}
        if terms.response is None:  # undeclared
            return {"description": "JSON", "content": {"application/json": {}}}
        answer = {"description": "JSON", "content": _json(terms.response, components)}
        if terms.idempotent and self.idempotency is not None:
            replayed = {
                "description": "true: the first answer to this Idempotency-Key again; nothing"
                " written",
                "schema": {"type": "string", "const": "true"},
            }
            answer["headers"] = {self.idempotency.replayed: replayed}
        return answer

    def _refusals(self, route: Route | WebSocketRoute, method: str, terms: Contract) -> set[int]:
        """The refusals a route can give: its own, and those of every route of its kind."""
        statuses = set(terms.refuses)
        if terms.body is not None or terms.idempotent:
            statuses |= {400, 422}  # 400 not a JSON object or a bad key; 422 a broken rule
        if terms.body is not None:
            statuses.add(415)  # a body sent as another type than JSON
        if terms.query is not None:
            statuses.add(400)
        if terms.security is not None:
            statuses.add(401)
            if self.security[terms.security].get("scheme") == "bearer":
                statuses.add(400)  # a token in the URL (`?token=`): refused, not read (tokens)
        if route.param_convertors:
            statuses.add(404)
        if method in self.unavailable:
            statuses.add(503)
        return statuses

    def _tags(self, path: str) -> list[str]:
        """The area of a path, by its first segment (after /api/); none for an unknown one."""
        parts = path.split("/")
        segment = parts[2] if parts[1] == "api" and len(parts) > 2 else parts[1]
        return [self.tags[segment]] if segment in self.tags else []


def terms_of(route: BaseRoute) -> Contract:
    """What a route's handler declared (nothing: an empty contract)."""
    return getattr(getattr(route, "endpoint", None), "contract", Contract())


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


def _path_param(name: str, route: BaseRoute) -> dict[str, Any]:
    convertor = getattr(route, "param_convertors", {}).get(name)
    schema = (
        ID
        if isinstance(convertor, IdConvertor)
        else TEXT
        if isinstance(convertor, TextConvertor)
        else {"type": "string"}
    )
    return {"name": name, "in": "path", "required": True, "schema": schema}
