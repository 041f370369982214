"""What the handlers of both apps share: reading a JSON body, answering JSON, the one error shape
of every refusal (404s, 405s and 500s too) and the handlers that answer it, the client's
address, and ids in paths (`{name:id}`)."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from service.errors import GalleyError, UnsupportedMediaType
from service.shapes import Shape, closed
from sync.ids import UUID_TEXT

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


async def body(request: Request, limit: int = MAX_BODY) -> dict[str, Any]:
    """The request's JSON object; anything else is a 400 (a 415 sent as another type than
    JSON) before any work is done."""
    sent_as_json(request)
    raw = await raw_body(request, limit)
    if not raw:  # only handlers that take a body read one: a change of nothing is `{}`
        raise GalleyError("the request needs a JSON object as its body", code="missing_body")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:  # a ValueError; also for bad UTF-8
        raise GalleyError(f"the body is not valid JSON: {exc}", code="malformed_json") from exc
    if not isinstance(data, dict):
        raise GalleyError("the body must be a JSON object", code="malformed_json")
    return data


def sent_as_json(request: Request) -> None:
    """A body whose Content-Type is not JSON (`application/json`, with or without a charset, or
    a `+json` type) is a 415; one without a Content-Type is read as JSON. Text and forms were
    read as JSON too, and a page of another site may post those without asking the browser."""
    media = request.headers.get("content-type")
    if media is None:
        return
    kind = media.split(";", 1)[0].strip().lower()
    if kind != "application/json" and not (
        kind.startswith("application/") and kind.endswith("+json")
    ):
        raise UnsupportedMediaType(f"the body must be sent as application/json, not {kind}")


async def raw_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request's body as sent; one over `limit` bytes is a 400.

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
        if size > limit:
            raise GalleyError(f"the body is larger than {limit} bytes", code="too_large")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class Json(JSONResponse):
    """Compact JSON made by orjson: every answer is encoded, and orjson does it about 10x faster
    than json (measured: 8 us -> 0.5 us for an order with five lines)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def ok(data: Any, status: int = 200) -> JSONResponse:
    return Json(data, status_code=status)


def client_address(conn: HTTPConnection) -> str:
    """Where the request came from, as the server (or a proxy it trusts) says: what attempts
    are counted by."""
    return conn.client.host if conn.client else ""


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


async def on_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GalleyError)
    headers = {}
    if "retry_after" in exc.details:
        headers["Retry-After"] = str(exc.details["retry_after"])
    return Json(exc.body(), status_code=exc.status, headers=headers)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 304:
        return Response(status_code=304, headers=exc.headers)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), **_allow(request)}
    return Json(
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


async def on_disconnect(request: Request, exc: Exception) -> Response:
    """The client went away while sending its body: nothing was done, nobody reads this."""
    return Response(status_code=400)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return Json(
        {"error": {"code": "internal", "message": "something went wrong; it has been logged"}},
        status_code=500,
    )


# The app's `exception_handlers`: every refusal in the one error shape.
HANDLERS: dict[Any, Any] = {
    GalleyError: on_error,
    HTTPException: on_http_error,
    ClientDisconnect: on_disconnect,
    Exception: on_unexpected,
}


class IdConvertor(Convertor[str]):
    """`{name:id}` in a route's path: a UUID (every id the edge and the hub make is a UUIDv7).
    The router answers 404 for anything else, and /openapi.json types the parameter from it."""

    regex = UUID_TEXT.pattern

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class TextConvertor(Convertor[str]):
    """`{name:text}` in a route's path: an id the app did not make (a box's row, a key), any
    text but a NUL, which PostgreSQL's text cannot hold: the router answers 404 for one, where
    the database would have refused the query (a 503)."""

    regex = "[^/\x00]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("id", IdConvertor())
register_url_convertor("text", TextConvertor())
