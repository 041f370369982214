"""The event feed: websocket with resume, polling for clients whose websocket drops, audit."""

from __future__ import annotations

import logging
from typing import Any

import anyio
from starlette.requests import Request
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from edge import events
from edge.api.http import Query, actor, box_of, ok, whole, words
from edge.api.openapi import contract
from edge.errors import GalleyError
from edge.permissions import require
from edge.realtime import parse_topics, topic_of

log = logging.getLogger(__name__)
PAGE = 500
TOPICS = words("comma-separated topics (default: all you may see)")
POLL = Query(topics=TOPICS, since=whole(0), limit=whole(PAGE, 1, PAGE))
LIVE = Query(
    token=words("bearer token (browsers cannot set headers on a websocket)"),
    topics=TOPICS,
    since=whole(0),
)
AUDIT = Query(
    entity=words("a table name: orders, menu_items, ..."),
    entity_id=words("an id"),
    actor=words("a staff member's id"),
    before=whole(2**62),
    limit=whole(100, 1, 500),
    **{"from": words("UTC ISO time, inclusive"), "to": words("UTC ISO time, exclusive")},
)


@contract(query=POLL)
async def poll(request: Request):
    """Events after `since` on some topics, oldest first: for clients whose websocket drops."""
    who = await actor(request)
    query = POLL.read(request)
    topics = parse_topics(query["topics"], who)
    since, limit = query["since"], query["limit"]
    batch = await box_of(request).read(events.since, since, limit)
    last = batch[-1].seq if batch else since
    return ok(
        {
            "events": [e.to_json() for e in batch if topic_of(e) in topics],
            "last_seq": last,
            "has_more": len(batch) == limit,
        }
    )


@contract(query=LIVE)
async def live(websocket: WebSocket):
    """Websocket `/ws?token=..&topics=a,b&since=SEQ`: the backlog after SEQ, then live events.

    Each message is one event row. Subscribe first, then read the backlog, then skip what the
    backlog already sent: nothing committed in between is missed or sent twice."""
    box = box_of(websocket)
    try:
        who = await actor(websocket)
        query = LIVE.read(websocket)
        topics = parse_topics(query["topics"], who)
        since = query["since"]
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


@contract(query=AUDIT)
async def audit(request: Request):
    """Who did what (managers), newest first; page back with `before` = the last seq seen."""
    require(await actor(request), "audit.view")
    rows = await box_of(request).read(_audit, AUDIT.read(request))
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
