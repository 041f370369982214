"""The event feed: websocket with resume, polling for clients whose websocket drops, audit."""

from __future__ import annotations

import logging
from typing import Any

import anyio
from starlette.requests import Request
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from edge import events
from edge.api.http import Query, actor, box_of, instant, ok, one_of, some_of, whole, words
from edge.api.openapi import contract
from edge.domain import audit as audit_trail
from edge.domain.shapes import FLAG, array, nullable, shape
from edge.errors import GalleyError
from edge.permissions import require
from edge.realtime import TOPICS as FOLLOWED
from edge.realtime import parse_topics, topic_of

log = logging.getLogger(__name__)
PAGE = 500
TOPICS = words(f"comma-separated, of {', '.join(FOLLOWED)} (default: all you may see)")
POLL = Query(topics=TOPICS, since=whole(0), limit=whole(PAGE, 1, PAGE))
LIVE = Query(
    token=words("bearer token (browsers cannot set headers on a websocket)"),
    topics=TOPICS,
    since=whole(0),
)


AUDIT = Query(
    entity=some_of(
        events.ENTITIES, "comma-separated entities (table names), e.g. printers,print_jobs"
    ),
    entity_id=words("an id"),
    actor=words("a staff member's id"),
    hide=one_of("printing"),
    before=whole(2**62, high=2**62),
    after=whole(0),
    limit=whole(100, 1, 500),
    **{"from": instant("inclusive"), "to": instant("exclusive")},
)


EVENTS = shape(
    "Events",
    {
        "events": array(events.EVENT_VIEW, "oldest first"),
        "last_seq": {"type": "integer", "minimum": 0, "description": "ask `since` it next"},
        "has_more": {**FLAG, "description": "more are waiting: ask again at once"},
    },
)
AUDIT_PAGE = shape(
    "AuditPage",
    {
        "events": array(audit_trail.AUDIT_VIEW, "newest first"),
        "next_before": nullable({"type": "integer", "description": "`before` of the next page"}),
    },
)


@contract(query=POLL, response=EVENTS, refuses={403, 422})
async def poll(request: Request):
    """Events after `since` on some topics, oldest first: for clients whose websocket drops."""
    who = await actor(request)
    query = POLL.read(request)
    topics = parse_topics(query["topics"], who)
    since, limit = query["since"], query["limit"]
    box = box_of(request)
    batch = await box.read(events.since, since, box.bus.last_seq, limit)
    last = batch[-1].seq if batch else since
    return ok(
        {
            "events": [e.to_json() for e in batch if topic_of(e) in topics],
            "last_seq": last,
            "has_more": len(batch) == limit,
        }
    )


@contract(query=LIVE, refuses={403, 422})
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
                batch = await box.read(events.since, last, box.bus.last_seq, PAGE)
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


@contract(query=AUDIT, response=AUDIT_PAGE, refuses={403})
async def audit(request: Request):
    """Who did what (managers), newest first, each row with the names it needs to be read
    (`context`); page back with `before` = the last seq seen, catch up with `after` = the
    first. `hide=printing` leaves out the churn of printers and print jobs but keeps cash
    drawer openings."""
    require(await actor(request), "audit.view")
    query = AUDIT.read(request)
    box = box_of(request)
    # Only published events: the page catches up from the newest seq it shows.
    before = min(query["before"], box.bus.last_seq + 1)
    rows = await box.read(
        lambda conn: audit_trail.read(
            conn,
            entities=query["entity"],
            entity_id=query["entity_id"],
            actor=query["actor"],
            start=query["from"],
            end=query["to"],
            hide_printing=query["hide"] == "printing",
            before=before,
            after=query["after"],
            limit=query["limit"],
        )
    )
    return ok({"events": rows, "next_before": rows[-1]["seq"] if rows else None})


routes = [
    Route("/api/events", poll, methods=["GET"]),
    WebSocketRoute("/ws", live),
    Route("/api/audit", audit, methods=["GET"]),
]
