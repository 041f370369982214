"""The event feed: websocket with resume, polling for clients whose websocket drops, audit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import anyio
import orjson
from starlette.requests import Request
from starlette.routing import Route, WebSocketRoute
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect

from edge.api.openapi import contract
from edge.core import events
from edge.core.events import GUARDED_FIELDS, Event, to_json, topic_of
from edge.core.permissions import require, seen
from edge.domain import audit as audit_trail
from edge.runtime.auth import actor
from edge.runtime.box import box_of
from edge.runtime.realtime import TOPICS as FOLLOWED
from edge.runtime.realtime import Subscription, parse_topics
from edge.runtime.server import text_message
from service.errors import GalleyError, Gone, Unauthorized
from service.http import ok
from service.query import Query, instant, one_of, some_of, whole, words
from service.shapes import FLAG, array, nullable, shape
from sync.clock import utcnow

log = logging.getLogger(__name__)
PAGE = 500
AUTH_SECONDS = 5  # the first message, the sign-in's token, must come this soon
TOPICS = words(f"comma-separated, of {', '.join(FOLLOWED)} (default: all you may see)")
POLL = Query(topics=TOPICS, since=whole(0), limit=whole(PAGE, 1, PAGE))
LIVE = Query(topics=TOPICS, since=whole(0))


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
        "forgotten": {
            **FLAG,
            "description": "the box has forgotten older history (the hub has it): an empty page"
            " of days further back than `kept_days` is no sign that nothing happened",
        },
        "kept_days": audit_trail.KEPT_DAYS,
        "kept_local_days": audit_trail.KEPT_LOCAL_DAYS,
    },
)


@contract(query=POLL, response=EVENTS, refuses={403, 410, 422})
async def poll(request: Request):
    """Events after `since` on some topics, oldest first, as the caller's role may see them:
    for clients whose websocket drops."""
    who = await actor(request)
    query = POLL.read(request)
    topics = parse_topics(query["topics"], who)
    since, limit = query["since"], query["limit"]
    box = box_of(request)
    await box.read(replayable, since, box.bus.last_seq, box.settings.feed_replay_limit)
    batch = await box.read(events.since, since, box.bus.last_seq, limit)
    last = batch[-1].seq if batch else since
    return ok(
        {
            "events": [seen(who, e.to_json()) for e in batch if topic_of(e) in topics],
            "last_seq": last,
            "has_more": len(batch) == limit,
        }
    )


@contract(query=LIVE, response=events.EVENT_VIEW, refuses={403, 410, 422})
async def live(websocket: WebSocket):
    """Websocket `/ws?topics=a,b&since=SEQ`: the backlog after SEQ, then live events.

    Its first message signs it in: `{"type": "auth", "token": "<bearer token>"}`, within 5 s of
    opening (a browser cannot set headers on a websocket, and a token in its URL would end up
    in access logs); nothing else is read before it. A missing, late or wrong one closes it with
    4401, as does the end of the sign-in later (sign-out, deactivation, a new role or PIN, the
    device revoked): a last message says why, in the error shape. Then each message is one
    event row, as the signed-in role may see it (`permissions.seen`: a printer's transport only
    to those who may edit printers). Subscribe first, then read the backlog, then skip what the
    backlog already sent: nothing committed in between is missed or sent twice.

    The backlog is bounded: a `since` more than `GALLEY_FEED_REPLAY_LIMIT` events back (a
    reinstalled tablet asking from 0 on a year-old box), or older than the events the box still
    keeps, is closed at once with 4410 and `{"error": {"code": "resync"}}`: the page reloads
    its state over REST and follows from the current seq (`/healthz`'s `last_seq`). A backlog
    within the bound, or a client too slow for the live queue, is read from the database, page
    by page, never queued: nothing is closed for being long."""
    box = box_of(websocket)
    deadline = (anyio.current_time() + AUTH_SECONDS, utcnow() + timedelta(seconds=AUTH_SECONDS))
    await websocket.accept()  # the client may speak from here: its 5 s are counted already
    try:
        query = LIVE.read(websocket)
        token = await first_token(websocket, *deadline)
        who, expires_at = await box.sign_ins.session(token)
        topics = parse_topics(query["topics"], who)
        since = query["since"]
    except GalleyError as exc:
        return await refuse(websocket, exc)
    except WebSocketDisconnect:
        return
    subscription = box.sign_ins.follow(token, topics, expires_at)

    def shown(event: Event) -> Message:
        return _message(who, event)

    try:
        # still signed in: an end from now on reaches `subscription`
        await box.sign_ins.actor(token)
        await stream(websocket, subscription, since, shown)
    except GalleyError as exc:
        await refuse(websocket, exc)
    except WebSocketDisconnect:
        pass
    finally:
        box.sign_ins.unfollow(token, subscription)


async def stream(
    websocket: WebSocket, subscription: Subscription, since: int, view: Callable[[Event], Message]
) -> None:
    """Send a signed-in socket its subscription's events after `since`, each as the message of
    JSON text `view` makes of it (`edge.runtime.server.text_message`): from the database while
    it is behind (its backlog, or a slow client), then from its queue; until the client goes or
    the subscription ends (then why, and the close). Staff sockets and guests' share it."""
    box = box_of(websocket)
    async with anyio.create_task_group() as group:
        group.start_soon(_watch_close, websocket, group.cancel_scope)
        last = since
        while subscription.ended is None:
            if subscription.behind:
                try:
                    last = await _catch_up(websocket, view, subscription, last)
                except Gone as exc:
                    box.bus.end(subscription, exc)
                continue
            event = await subscription.queue.get()
            if event is not None and event.seq > last:
                await websocket.send(view(event))
                last = event.seq
        if subscription.ended is not None:
            await refuse(websocket, subscription.ended)
        group.cancel_scope.cancel()


# Each event's message (its JSON text and websocket frame), made once for all its followers (by
# the event's id, unique to it): a send reaches every kitchen screen and, with the guests'
# phones, hundreds of sockets; encoding it for each took most of the feed's time (kds_latency's
# p99, measured). Dropped wholesale when full: by then every follower has long had those events.
_MESSAGES: dict[str, Message] = {}
_MESSAGES_KEPT = 2_048


def _message(who: Any, event: Event) -> Message:
    """`event` as `who` may see it, as a message of JSON text; shared by every follower unless
    its entity has fields some roles may not see (a printer's address)."""
    if event.entity in GUARDED_FIELDS:
        return text_message(to_json(seen(who, event.to_json())))
    message = _MESSAGES.get(event.id)
    if message is None:
        if len(_MESSAGES) >= _MESSAGES_KEPT:
            _MESSAGES.clear()
        message = _MESSAGES[event.id] = text_message(to_json(event.to_json()))
    return message


async def first_token(websocket: WebSocket, timer: float, clock: datetime) -> str:
    """The token of the first message, `{"type": "auth", "token": "..."}`, if it came in time:
    before the event loop's `timer` (a client that says nothing) and the wall `clock` when it
    arrived (the one tests move)."""
    message: Any = None
    with anyio.CancelScope(deadline=timer):
        message = await websocket.receive()
    if message is not None and message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    late = message is None or utcnow() > clock
    try:
        data = orjson.loads(message.get("text") or message.get("bytes") or b"") if message else {}
    except orjson.JSONDecodeError:
        data = None
    token = data.get("token") if isinstance(data, dict) and data.get("type") == "auth" else None
    if late or not isinstance(token, str) or not token:
        raise Unauthorized(
            f'send {{"type": "auth", "token": "<bearer token>"}} as the first message, within'
            f" {AUTH_SECONDS} s of opening",
            code="sign_in_required",
        )
    return token


async def _catch_up(
    websocket: WebSocket, view: Callable[[Event], Message], subscription: Subscription, last: int
) -> int:
    """Send the subscription's events after `last` from the database (each as the message
    `view` makes of it), a page at a time, up to the last one published when it began; what is
    published after that goes into its queue meanwhile (`behind` off, with no await between that
    and reading the bus's `last_seq`, so nothing is missed), and the stream skips what the
    queue holds of what was read here. One pass: it chased the events published while it read,
    and under a steady stream of commits (one every 10 ms or so) screens and phones read the
    table again and again for seconds (kds_latency: tickets 100-250 ms late for as long).
    If the queue overflows meanwhile, the bus puts `behind` on again: the stream comes back.
    Returns the last seq sent or skipped. Refuses (410 `resync`) a `last` the bound does not
    reach."""
    box = box_of(websocket)
    await box.read(replayable, last, box.bus.last_seq, box.settings.feed_replay_limit)
    subscription.behind = False
    upto = box.bus.last_seq
    while last < upto and subscription.ended is None:
        batch = await box.read(events.since, last, upto, PAGE)
        for past in batch:
            if subscription.ended is not None:
                return last
            if topic_of(past) in subscription.topics and (
                subscription.accepts is None or subscription.accepts(past)
            ):
                await websocket.send(view(past))
            last = past.seq
        if len(batch) < PAGE:
            last = upto
    return last


def replayable(conn: Any, since: int, upto: int, limit: int) -> None:
    """Refuse a replay from `since` that is more than `limit` events behind `upto`, reaches
    back past the events the box keeps (retention prunes the oldest), or starts ahead of
    `upto`: a seq this box never reached (a client of another database: the box restored
    from a backup) would skip every event up to it."""
    if upto - since > limit or since < events.forgotten_upto(conn):
        raise Gone(
            f"too far back: more than {limit} events, or older than the box keeps; reload and"
            " follow from the current seq",
            code="resync",
            last_seq=upto,
        )
    if since > upto:
        raise Gone(
            f"event {since} is ahead of this box's last ({upto}); reload and follow from the"
            " current seq",
            code="resync",
            last_seq=upto,
        )


async def refuse(websocket: WebSocket, exc: GalleyError) -> None:
    """Say why in the JSON error shape, then close with 4000 + the HTTP status and the message
    as the reason (cut to the 123 bytes a close frame holds)."""
    await websocket.send_json(exc.body())
    reason = exc.message.encode()[:123].decode(errors="ignore")
    await websocket.close(code=4000 + exc.status, reason=reason)


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
    who = await actor(request)
    require(who, "audit.view")
    query = AUDIT.read(request)
    box = box_of(request)
    # Only published events: the page catches up from the newest seq it shows.
    before = min(query["before"], box.bus.last_seq + 1)
    rows, forgotten = await box.read(
        lambda conn: (
            audit_trail.read(
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
            ),
            events.forgotten_upto(conn) > 0,
        )
    )
    return ok(
        {
            "events": [seen(who, row) for row in rows],
            "next_before": rows[-1]["seq"] if rows else None,
            "forgotten": forgotten,
            "kept_days": box.settings.keep_synced_days,
            "kept_local_days": box.settings.keep_local_days,
        }
    )


routes = [
    Route("/api/events", poll, methods=["GET"]),
    WebSocketRoute("/ws", live),
    Route("/api/audit", audit, methods=["GET"]),
]
