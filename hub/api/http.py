"""What the hub's handlers share besides the kit (`service.http`): the storage, the path a sync
signature covers, and running a domain function as the signed-in owner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import HTTPConnection, Request

from hub.domain import owners
from hub.storage import Storage
from hub.storage.tx import Tx
from service.tokens import bearer
from sync.envelope import MAX_BODY_BYTES

T = TypeVar("T")
SYNC_BODY = MAX_BODY_BYTES  # 500 orders with their lines fit many times over


def storage(conn: HTTPConnection) -> Storage:
    return conn.app.state.storage


def target(request: Request) -> str:
    """The path and query as the client sent them: what a sync signature covers."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    return (raw + b"?" + query).decode("latin-1") if query else raw.decode("latin-1")


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
