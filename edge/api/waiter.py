"""The waiter handheld's routes: the tables grid, guests' drafts to check (lock, edit, confirm,
reject), and the table sessions (close, restore, alerts seen, a table off QR ordering). The
rights are checked in the domain functions (`floor.serve`: floor staff and managers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from edge.api.idempotency import answer
from edge.api.openapi import contract
from edge.api.writes import ID_VIEW, action
from edge.core.permissions import Actor, require
from edge.domain import drafts, floor, table_sessions
from edge.runtime.auth import actor
from edge.runtime.box import box_of
from service.http import body, ok
from service.shapes import array


@contract(response=floor.FLOOR_VIEW, refuses={403})
async def tables_grid(request: Request):
    """Every table: its state (free, seated, ordered, waiting on the kitchen, bill asked,
    paid), when it was seated and last ordered, unpaid too long, and its guests' alerts."""
    require(await actor(request), "floor.serve")
    box = box_of(request)
    return ok(await box.read(floor.tables_grid))


@contract(response=array(drafts.DRAFT_VIEW, "newest first"), refuses={403})
async def drafts_inbox(request: Request):
    """Guests' drafts waiting for a waiter (sent, updated since, or being checked)."""
    require(await actor(request), "floor.serve")
    return ok(await box_of(request).read(drafts.inbox))


@contract(response=drafts.DRAFT_VIEW, refuses={403})
async def get_draft(request: Request):
    """One draft with its lines and who added each."""
    require(await actor(request), "floor.serve")
    return ok(await box_of(request).read(drafts.get, request.path_params["draft_id"]))


def _then_draft(fn: Callable[..., str], name: str) -> Callable[..., dict[str, Any]]:
    """`fn(conn, actor, ...)`, which answers a draft's id, answering that draft; named `name`
    (the route's operationId)."""

    def write(conn: Any, who: Actor, *args: Any) -> dict[str, Any]:
        return drafts.get(conn, fn(conn, who, *args))

    write.__name__ = name
    return write


def _then_id(fn: Callable[..., Any], name: str) -> Callable[..., dict[str, str]]:
    """`fn(conn, actor, id)`, answering {id}; named `name`."""

    def write(conn: Any, who: Actor, row_id: str) -> dict[str, str]:
        fn(conn, who, row_id)
        return {"id": row_id}

    write.__name__ = name
    return write


def _named(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    def write(conn: Any, *args: Any) -> Any:
        return fn(conn, *args)

    write.__name__ = name
    return write


@contract(
    body=drafts.LINE, status=201, response=drafts.DRAFT_VIEW, refuses={403, 409}, idempotent=True
)
async def add_draft_line(request: Request):
    """Add a line to a draft you are checking (takes its lock)."""
    who = await actor(request)
    data = await body(request)
    draft_id = request.path_params["draft_id"]
    return await answer(request, 201, drafts.add_staff_line, who, draft_id, data)


@contract(body=drafts.LINE_CHANGE, partial=True, response=drafts.DRAFT_VIEW, refuses={403, 409})
async def change_draft_line(request: Request):
    """Change a line's quantity or note on a draft you are checking."""
    who = await actor(request)
    data = await body(request)
    line_id = request.path_params["line_id"]
    change = _then_draft(drafts.change_line, "change_draft_line")
    return ok(await box_of(request).write(change, who, line_id, data))


@contract(body=drafts.REJECT, response=drafts.DRAFT_VIEW, refuses={403, 409}, idempotent=True)
async def reject_draft(request: Request):
    """Turn a draft down with a reason the guests see."""
    who = await actor(request)
    data = await body(request)
    draft_id = request.path_params["draft_id"]
    return await answer(request, 200, drafts.reject, who, draft_id, data)


@contract(body=table_sessions.ENABLE, response=ID_VIEW, refuses={403})
async def table_qr_ordering(request: Request):
    """Take a table off QR ordering, or put it back (`enabled`)."""
    who = await actor(request)
    data = await body(request)
    table_id = request.path_params["table_id"]
    await box_of(request).write(table_sessions.enable_table, who, table_id, data)
    return ok({"id": table_id})


routes = [
    Route("/api/floor", tables_grid, methods=["GET"]),
    Route("/api/floor/tables/{table_id:id}/ordering", table_qr_ordering, methods=["PUT"]),
    Route("/api/drafts", drafts_inbox, methods=["GET"]),
    Route("/api/drafts/{draft_id:id}", get_draft, methods=["GET"]),
    Route(
        "/api/drafts/{draft_id:id}/lock",
        action(
            _named(drafts.lock, "lock_draft"),
            "Take a draft to check it: guests cannot change it while you hold it (it lapses"
            f" after {drafts.LOCK_SECONDS} s without an edit); held by another waiter: 409.",
            "draft_id",
            response=drafts.DRAFT_VIEW,
            refuses={409},
        ),
        methods=["POST"],
    ),
    Route("/api/drafts/{draft_id:id}/lines", add_draft_line, methods=["POST"]),
    Route("/api/draft-lines/{line_id:id}", change_draft_line, methods=["PATCH"]),
    Route(
        "/api/draft-lines/{line_id:id}",
        action(
            _then_draft(drafts.remove_line, "remove_draft_line"),
            "Take a line out of a draft you are checking.",
            "line_id",
            response=drafts.DRAFT_VIEW,
            refuses={409},
        ),
        methods=["DELETE"],
    ),
    Route(
        "/api/drafts/{draft_id:id}/confirm",
        action(
            _named(drafts.confirm, "confirm_draft"),
            "Confirm a draft: its lines go on the table's order and to the kitchen.",
            "draft_id",
            response=drafts.DRAFT_VIEW,
            refuses={409},
        ),
        methods=["POST"],
    ),
    Route("/api/drafts/{draft_id:id}/reject", reject_draft, methods=["POST"]),
    Route(
        "/api/table-sessions/{session_id:id}/close",
        action(
            _then_id(table_sessions.close, "close_table_session"),
            "Close a table's session: every phone at the table is told.",
            "session_id",
            response=ID_VIEW,
            refuses={409},
        ),
        methods=["POST"],
    ),
    Route(
        "/api/table-sessions/{session_id:id}/restore",
        action(
            _then_id(table_sessions.restore, "restore_table_session"),
            "Open again a session closed by mistake.",
            "session_id",
            response=ID_VIEW,
            refuses={409},
        ),
        methods=["POST"],
    ),
    Route(
        "/api/table-sessions/{session_id:id}/acknowledge",
        action(
            _then_id(table_sessions.acknowledge, "acknowledge_alerts"),
            "The table's call and bill alerts were seen: they leave the screens.",
            "session_id",
            response=ID_VIEW,
        ),
        methods=["POST"],
    ),
]
