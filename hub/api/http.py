"""What the hub's handlers share: the storage, bodies, answers, the owner's sign-in, and the
one error shape (`{"error": {"code", "message", ...}}`) for every refusal, 404s and 500s too."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import Response

from hub.api import shapes
from hub.domain import owners
from hub.errors import Refusal
from hub.storage import Storage
from hub.storage.tx import Tx

log = logging.getLogger(__name__)
T = TypeVar("T")
OWNER_BODY = 64 * 1024
SYNC_BODY = 16 * 1024 * 1024  # 500 orders with their lines fit many times over


def storage(conn: HTTPConnection) -> Storage:
    return conn.app.state.storage


def client(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"


def target(request: Request) -> str:
    """The path and query as the client sent them: what a sync signature covers."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    return (raw + b"?" + query).decode("latin-1") if query else raw.decode("latin-1")


async def raw_body(request: Request, limit: int) -> bytes:
    """The body's bytes; one larger than `limit` is refused before it is held whole."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refusal(f"the body is larger than {limit} bytes", code="too_large")
        chunks.append(chunk)
    return b"".join(chunks)


async def json_body(request: Request, schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON body, held to `schema` (a 400 if it is no JSON, a 422 if it does not fit)."""
    raw = await raw_body(request, OWNER_BODY)
    try:
        value = orjson.loads(raw or b"null")
    except orjson.JSONDecodeError as error:
        raise Refusal(f"the body is not JSON: {error}", code="malformed_json") from None
    if type(value) is not dict:
        raise Refusal("the body should be a JSON object", code="malformed_json")
    return shapes.check(schema, value)


def query(request: HTTPConnection, params: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The query parameters `params` declares, each its default when absent (a 400 when bad)."""
    out = {}
    for name, schema in params.items():
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            out[name] = schema.get("default")
            continue
        value: Any = raw
        if schema["type"] == "integer":
            try:
                value = int(raw)
            except ValueError:
                raise Refusal(f"{name} should be a whole number", code="bad_query") from None
        try:
            out[name] = shapes.check(schema, value, name)
        except Refusal as error:
            raise Refusal(error.message, code="bad_query") from None
    return out


class Json(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def answer(data: Any, status: int = 200) -> Response:
    return Json(data, status_code=status)


def bearer(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    return header[7:].strip() or None if header.lower().startswith("bearer ") else None


async def as_owner(conn: HTTPConnection, fn: Callable[..., T], *args: Any) -> T:
    """`fn(tx, *args)` in one transaction with the signed-in owner's tenant acting."""
    return await storage(conn).run(_signed_in, bearer(conn), False, fn, args)


async def by_owner(conn: HTTPConnection, fn: Callable[..., T], *args: Any) -> T:
    """`fn(tx, owner, *args)` in one transaction with the signed-in owner's tenant acting."""
    return await storage(conn).run(_signed_in, bearer(conn), True, fn, args)


def _signed_in(
    tx: Tx, token: str | None, pass_owner: bool, fn: Callable[..., T], args: tuple[Any, ...]
) -> T:
    owner = owners.signed_in(tx, token)
    return fn(tx, owner, *args) if pass_owner else fn(tx, *args)


async def on_refusal(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    response = answer(exc.body(), exc.status)
    if "retry_after" in exc.details:
        response.headers["Retry-After"] = str(exc.details["retry_after"])
    return response


_HTTP = {404: "not_found", 405: "method_not_allowed"}


async def on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    body = {"error": {"code": _HTTP.get(exc.status_code, "bad_request"), "message": exc.detail}}
    return Json(body, status_code=exc.status_code, headers=exc.headers)


async def on_disconnect(request: Request, exc: Exception) -> Response:
    return Response(status_code=400)  # nobody is there to read it


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    body = {"error": {"code": "internal", "message": "something went wrong; it has been logged"}}
    return Json(body, status_code=500)


HANDLERS: dict[Any, Callable[..., Any]] = {
    Refusal: on_refusal,
    HTTPException: on_http,
    ClientDisconnect: on_disconnect,
    Exception: on_unexpected,
}
