"""What every handler shares: the box, the signed-in actor, the JSON body, the error shape."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from edge.box import Box
from edge.errors import GalleyError
from edge.permissions import Actor

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


def box_of(conn: HTTPConnection) -> Box:
    return conn.app.state.box


def bearer(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return conn.query_params.get("token")


async def actor(conn: HTTPConnection) -> Actor:
    return await box_of(conn).actor(bearer(conn))


async def body(request: Request) -> dict[str, Any]:
    """The request's JSON object; anything else is a 400 before any work is done.

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
    raw = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:  # a ValueError; also for bad UTF-8
        raise GalleyError(f"the body is not valid JSON: {exc}", code="malformed_json") from exc
    if not isinstance(data, dict):
        raise GalleyError("the body must be a JSON object", code="malformed_json")
    return data


class Json(JSONResponse):
    """Compact JSON made by orjson (see `edge.events.to_json`)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def ok(data: Any, status: int = 200) -> JSONResponse:
    return Json(data, status_code=status)


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
    return JSONResponse(
        {"error": {"code": code, "message": exc.detail}},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(
        {"error": {"code": "internal", "message": "something went wrong; it has been logged"}},
        status_code=500,
    )


def query_int(request: Request, name: str, default: int, low: int = 0, high: int = 10**12) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise GalleyError(f"{name} must be a whole number", code="bad_query") from exc
    if not low <= value <= high:
        raise GalleyError(f"{name} must be in {low}..{high}", code="bad_query")
    return value
