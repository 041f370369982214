"""What every handler shares: the box, the signed-in actor, the JSON body, the error shape,
query parameters, and ids in paths."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from edge.box import Box
from edge.domain import devices
from edge.domain.shapes import Shape, closed
from edge.errors import GalleyError
from edge.permissions import Actor
from sync.clock import iso
from sync.ids import UUID_TEXT

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


def box_of(conn: HTTPConnection) -> Box:
    return conn.app.state.box


def bearer(conn: HTTPConnection) -> str | None:
    """The token of `Authorization: Bearer`, the only place one is read: a token in a URL
    ends up in access logs, browser history and Referer headers, so `?token=` is refused."""
    if "token" in conn.query_params:
        raise GalleyError(
            "send the token as `Authorization: Bearer <token>`, never in the URL",
            code="token_in_url",
        )
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


async def actor(conn: HTTPConnection) -> Actor:
    return await box_of(conn).actor(bearer(conn))


async def paired_device(conn: HTTPConnection) -> dict[str, str]:
    """The paired device ({id, name}) whose credential came in `X-Galley-Device`, or a 401."""
    return await box_of(conn).device(conn.headers.get(devices.HEADER))


async def body(request: Request) -> dict[str, Any]:
    """The request's JSON object; anything else is a 400 before any work is done."""
    raw = await raw_body(request)
    if not raw:  # only handlers that take a body read one: a change of nothing is `{}`
        raise GalleyError("the request needs a JSON object as its body", code="missing_body")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:  # a ValueError; also for bad UTF-8
        raise GalleyError(f"the body is not valid JSON: {exc}", code="malformed_json") from exc
    if not isinstance(data, dict):
        raise GalleyError("the body must be a JSON object", code="malformed_json")
    return data


async def raw_body(request: Request) -> bytes:
    """The request's body as sent; over `MAX_BODY` is a 400.

    Read from the ASGI messages directly, not through `Request.body()`: a body over the limit is
    refused without being held whole, and the async-generator machinery of `Request.stream()`
    measured a few microseconds per order."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise GalleyError("the request body is too large", code="too_large")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class Json(JSONResponse):
    """Compact JSON made by orjson (see `edge.events.to_json`)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def ok(data: Any, status: int = 200) -> JSONResponse:
    return Json(data, status_code=status)


ERROR_VIEW = Shape(
    "Error",
    closed(
        {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "for programs: what went wrong"},
                    "message": {"type": "string", "description": "for people: why, and how on"},
                    "field": {"type": "string", "description": "the first bad field (422)"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "every bad field of the form and its message (422)",
                    },
                    "retry_after": {
                        "type": "integer",
                        "description": "seconds to wait (423, 429)",
                    },
                },
                "additionalProperties": True,  # details: the id not found, the permission ...
            }
        },
        description="a refusal: the one JSON error shape of every 4xx and 5xx answer",
    ),
)


def error_response(exc: GalleyError) -> JSONResponse:
    headers = {}
    if "retry_after" in exc.details:
        headers["Retry-After"] = str(exc.details["retry_after"])
    return Json(exc.body(), status_code=exc.status, headers=headers)


async def on_galley_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GalleyError)
    return error_response(exc)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 304:
        return Response(status_code=304, headers=exc.headers)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), **_allow(request)}
    return JSONResponse(
        {"error": {"code": code, "message": exc.detail}},
        status_code=exc.status_code,
        headers=headers,
    )


def _allow(request: Request) -> dict[str, str]:
    """`Allow`: every method the path answers. Starlette tries routes one by one and names only
    the methods of the first route on the path, but a path may have one route per method."""
    methods = {
        method
        for route in request.app.routes
        if isinstance(route, Route) and route.methods
        if route.matches(request.scope)[0] is not Match.NONE
        for method in route.methods
    }
    return {"Allow": ", ".join(sorted(methods))} if methods else {}


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(
        {"error": {"code": "internal", "message": "something went wrong; it has been logged"}},
        status_code=500,
    )


@dataclass(frozen=True)
class Param:
    """One query parameter: its JSON schema, its value when absent, and how to read it."""

    schema: dict[str, Any]
    read: Callable[[str, str], Any]
    default: Any = None


def whole(default: int, low: int = 0, high: int = 10**12) -> Param:
    def read(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError as exc:
            raise GalleyError(f"{name} must be a whole number", code="bad_query") from exc
        if not low <= value <= high:
            raise GalleyError(f"{name} must be in {low}..{high}", code="bad_query")
        return value

    schema = {"type": "integer", "minimum": low, "maximum": high, "default": default}
    return Param(schema, read, default)


def one_of(*choices: str) -> Param:
    def read(name: str, raw: str) -> str:
        if raw not in choices:
            raise GalleyError(f"{name} must be one of {', '.join(choices)}", code="bad_query")
        return raw

    return Param({"type": "string", "enum": list(choices)}, read)


def some_of(choices: Collection[str], description: str) -> Param:
    """A comma-separated list of one or more of `choices`, as its pattern says."""
    known = sorted(choices)
    one = "|".join(map(re.escape, known))
    pattern = f"^({one})(,({one}))*$"

    def read(name: str, raw: str) -> list[str]:
        if re.fullmatch(pattern, raw) is None:
            unknown = [word for word in raw.split(",") if word and word not in choices]
            wrong = f"no such {', '.join(unknown)}" if unknown else "not a list"
            raise GalleyError(
                f"{name}: {wrong}; name one or more of {', '.join(known)}, separated by commas",
                code="bad_query",
            )
        return raw.split(",")

    return Param({"type": "string", "pattern": pattern, "description": description}, read)


def instant(description: str) -> Param:
    """An ISO-8601 time (`Z` or an offset; none means UTC), read as the storage format."""

    def read(name: str, raw: str) -> str:
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise GalleyError(
                f"{name} must be an ISO time such as 2026-11-22T00:00:00Z", code="bad_query"
            ) from exc
        return iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))

    return Param({"type": "string", "format": "date-time", "description": description}, read)


def words(description: str) -> Param:
    """Free text (an id, a date, a list of topics); an empty value counts as absent."""
    return Param({"type": "string", "description": description}, lambda name, raw: raw or None)


class Query:
    """The query parameters a handler reads, declared once: for reading and for /openapi.json."""

    def __init__(self, **params: Param) -> None:
        self.params = params

    def read(self, conn: HTTPConnection) -> dict[str, Any]:
        """Every declared parameter, its default when absent; a bad value, or a parameter it
        does not take (a typo that would silently filter nothing), is a 400."""
        given = conn.query_params
        if not given.keys() <= self.params.keys():
            names = sorted(set(given) - self.params.keys())
            unknown = ", ".join(name or "(no name)" for name in names)
            raise GalleyError(
                f"unknown query parameter: {unknown}; this takes {', '.join(self.params)}",
                code="bad_query",
            )
        out = {}
        for name, param in self.params.items():
            raw = given.get(name)
            out[name] = param.default if raw is None else param.read(name, raw)
        return out


class IdConvertor(Convertor[str]):
    """`{name:id}` in a route's path: a UUID (every id the box makes is a UUIDv7). The router
    answers 404 for anything else, and /openapi.json types the parameter from it."""

    regex = UUID_TEXT.pattern

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("id", IdConvertor())
