"""The event feed: websocket with resume, polling for clients whose websocket drops, audit."""

from __future__ import annotations

import logging
from typing import Any

import anyio
from starlette.requests import Request
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from edge import events
from edge.api.http import actor, box_of, ok, query_int
from edge.errors import GalleyError
from edge.permissions import require
from edge.realtime import parse_topics, topic_of

log = logging.getLogger(__name__)
PAGE = 500


async def poll(request: Request):
    """Events after ?since=SEQ on ?topics=a,b (default: all you may see), oldest first."""
    who = await actor(request)
    topics = parse_topics(request.query_params.get("topics"), who)
    since = query_int(request, "since", 0)
    limit = query_int(request, "limit", PAGE, 1, PAGE)
    batch = await box_of(request).read(events.since, since, limit)
    last = batch[-1].seq if batch else since
    return ok(
        {
            "events": [e.to_json() for e in batch if topic_of(e) in topics],
            "last_seq": last,
            "has_more": len(batch) == limit,
        }
    )


async def live(websocket: WebSocket):
    """Websocket `/ws?token=..&topics=a,b&since=SEQ`: the backlog after SEQ, then live events.

    Each message is one event row. Subscribe first, then read the backlog, then skip what the
    backlog already sent: nothing committed in between is missed or sent twice."""
    box = box_of(websocket)
    try:
        who = await actor(websocket)
        topics = parse_topics(websocket.query_params.get("topics"), who)
        since = int(websocket.query_params.get("since", "0"))
    except ValueError:
        return await _refuse(
            websocket, GalleyError("since must be a whole number", code="bad_query")
        )
    except GalleyError as exc:
        return await _refuse(websocket, exc)
    await websocket.accept()
    subscription = box.bus.subscribe(topics)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_watch_close, websocket, group.cancel_scope)
            last = since
            while True:
                batch = await box.read(events.since, last, PAGE)
                for past in batch:
                    if topic_of(past) in topics:
                        await websocket.send_json(past.to_json())
                    last = past.seq
                if len(batch) < PAGE:
                    break
            while True:
                event = await subscription.queue.get()
                if event is None:  # fell too far behind: the client resumes with ?since=
                    await websocket.close(code=4408)
                    break
                if event.seq > last:
                    await websocket.send_json(event.to_json())
                    last = event.seq
            group.cancel_scope.cancel()
    except WebSocketDisconnect:
        pass
    finally:
        box.bus.unsubscribe(subscription)


async def _refuse(websocket: WebSocket, exc: GalleyError) -> None:
    """Say why in the JSON error shape, then close with 4000 + the HTTP status."""
    await websocket.accept()
    await websocket.send_json(exc.body())
    await websocket.close(code=4000 + exc.status)


async def _watch_close(websocket: WebSocket, scope: Any) -> None:
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
    finally:
        scope.cancel()


async def audit(request: Request):
    """Who did what (managers): ?entity=&entity_id=&actor=&from=ISO&to=ISO&before=SEQ&limit=."""
    require(await actor(request), "audit.view")
    params = request.query_params
    filters = {
        "entity": params.get("entity") or None,
        "entity_id": params.get("entity_id") or None,
        "actor": params.get("actor") or None,
        "from": params.get("from") or None,
        "to": params.get("to") or None,
        "before": query_int(request, "before", 2**62),
        "limit": query_int(request, "limit", 100, 1, 500),
    }
    rows = await box_of(request).read(_audit, filters)
    return ok({"events": rows, "next_before": rows[-1]["seq"] if rows else None})


def _audit(conn: Any, filters: dict[str, Any]) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT e.*, a.name AS actor_name, p.name AS approver_name FROM events e"
        " LEFT JOIN staff a ON a.id = e.actor LEFT JOIN staff p ON p.id = e.approver"
        " WHERE e.seq < :before"
        " AND (:entity IS NULL OR e.entity = :entity)"
        " AND (:entity_id IS NULL OR e.entity_id = :entity_id)"
        " AND (:actor IS NULL OR e.actor = :actor)"
        " AND (:from IS NULL OR e.at >= :from) AND (:to IS NULL OR e.at < :to)"
        " ORDER BY e.seq DESC LIMIT :limit",
        filters,
    ).fetchall()
    out = []
    for row in rows:
        data = dict(row)
        names = {"actor_name": data.pop("actor_name"), "approver_name": data.pop("approver_name")}
        out.append({**events.Event.from_row(data).to_json(), **names})
    return out


routes = [
    Route("/api/events", poll, methods=["GET"]),
    WebSocketRoute("/ws", live),
    Route("/api/audit", audit, methods=["GET"]),
]
