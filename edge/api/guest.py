"""A table's guests ordering from their own phones: the page a table's QR code opens, the scan
that creates or joins the table's session, and the guest endpoints, which take the guest token
(`X-Galley-Guest`) and nothing else: a staff sign-in is no guest, and a guest token is no
sign-in. Every guest call is counted per address and per session (`edge.runtime.guests`).

Each write answers what the phone shows next (`guest_table.view`), read in the write's own
transaction; a POST with an `Idempotency-Key` (made on the phone) is answered once: a Send
retried after a dropped connection returns the first answer and makes no second order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import quote

import anyio
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect

from edge.api.feed import AUTH_SECONDS, EVENTS, PAGE, first_token, refuse, replayable, stream
from edge.api.idempotency import answer
from edge.api.openapi import contract
from edge.core import events
from edge.core.events import EVENT_VIEW, Event, to_json
from edge.domain import drafts, guest_table, table_sessions
from edge.domain.table_sessions import Guest
from edge.runtime.box import box_of
from edge.runtime.guests import shown_to_guest
from edge.runtime.server import text_message
from service.errors import Forbidden, GalleyError, Unauthorized
from service.http import body, ok
from service.query import Query, whole
from service.shapes import ID, shape, text
from sync.clock import utcnow

GUEST = "guest"
H = TypeVar("H", bound=Callable[..., Any])


def for_guests(*, refuses: Collection[int] = (), **terms: Any) -> Callable[[H], H]:
    """`contract` for a route of a table's guests: it needs a guest token, and refuses one
    whose session has ended (410), a phone that calls too often (429) and a staff sign-in
    (403, `guests_only`)."""
    return contract(auth=GUEST, refuses={403, 410, 429, *refuses}, **terms)


SCANNED = shape(
    "Scanned",
    {
        "guest_token": text("send it as X-Galley-Guest on every guest call"),
        "session_id": ID,
        "member_id": ID,
    },
)
POLL = Query(since=whole(0), limit=whole(PAGE, 1, PAGE))
LIVE = Query(since=whole(0))


@contract(status=307, public=True)
async def guest_page(request: Request):
    """What a table's QR code opens (`/t/<signed token>`): the guest page, the token after its
    `#`, which no browser sends to a server (nor to a log). The page scans it: a stale code
    still shows why."""
    token = quote(request.path_params["token"], safe="")
    return RedirectResponse(f"/ui/guest/index.html#t={token}", status_code=307)


@contract(
    body=table_sessions.SCAN,
    response=SCANNED,
    public=True,
    refuses={403, 409, 410, 429, 503},
    also={201: SCANNED},
)
async def guest_scan(request: Request):
    """A phone scanned a table's QR code: 201 with a new session, 200 joining the open one
    (`guest_token`: the token this phone already holds, to stay the same guest). 403: a
    forged, truncated, rotated or other store's code; 503: closed (with today's hours),
    table disabled, or QR ordering paused; 410: the held token's session has ended; 409
    `table_full`: 100 phones are at the table already."""
    box = box_of(request)
    box.guests.count(request)
    data = await body(request)
    created, joined = await box.write(table_sessions.scan, box.identity.qr_secret, data)
    return ok(joined, 201 if created else 200)


def _viewed(fn: Callable[..., Any]) -> Callable[..., dict[str, Any]]:
    """`fn(conn, guest, *args)`, answering the guest's view after it, in the same write."""

    def write(conn: Any, who: Guest, *args: Any) -> dict[str, Any]:
        fn(conn, who, *args)
        return guest_table.view(conn, who)

    write.__name__ = fn.__name__
    return write


@for_guests(response=guest_table.VIEW)
async def guest_view(request: Request):
    """The table as this phone shows it: who is there, the shared cart, what was sent."""
    box = box_of(request)
    who = box.guests.who(request)
    return ok(await box.read(guest_table.view, who))


async def _guest_write(
    request: Request, status: int, fn: Callable[..., Any], *args: Any, form: bool = False
):
    """The guest's write `fn(conn, guest, *args[, body])`, answered with the guest's view."""
    extra = (await body(request),) if form else ()
    who = box_of(request).guests.who(request)
    return await answer(request, status, _viewed(fn), who, *args, *extra)


@for_guests(
    body=table_sessions.JOIN,
    response=guest_table.VIEW,
    idempotent=True,
)
async def guest_join(request: Request):
    """Join the table with a nickname (asked at the first add); the first to join is host."""
    return await _guest_write(request, 200, table_sessions.join, form=True)


@for_guests(
    body=table_sessions.PASS,
    response=guest_table.VIEW,
    idempotent=True,
)
async def guest_pass(request: Request):
    """Give today's pass (when the store asks for one), once per session before the first
    Send. A table, and a phone, may try 5 times in 5 minutes (429 after)."""
    box = box_of(request)
    data = await body(request)
    who = box.guests.who(request)
    box.guests.count_pass_try(request, who)
    return await answer(request, 200, _viewed(table_sessions.give_pass), who, data)


@for_guests(
    body=drafts.LINE,
    status=201,
    response=guest_table.VIEW,
    refuses={409},
    idempotent=True,
)
async def add_to_cart(request: Request):
    """Add a line to the table's shared cart: an item, its modifiers (each group's min/max),
    quantity and a note. Priced here from the menu: a price sent along is ignored."""
    return await _guest_write(request, 201, drafts.add_line, form=True)


@for_guests(
    body=drafts.LINE_CHANGE,
    partial=True,
    response=guest_table.VIEW,
    refuses={409},
)
async def change_cart_line(request: Request):
    """Change a cart line's quantity or note (not while a waiter checks the order: 409)."""
    return await _guest_write(
        request, 200, drafts.change_line, request.path_params["line_id"], form=True
    )


@for_guests(response=guest_table.VIEW, refuses={409})
async def remove_cart_line(request: Request):
    """Take a line out of the cart (not while a waiter checks the order: 409)."""
    return await _guest_write(request, 200, drafts.remove_line, request.path_params["line_id"])


@for_guests(response=guest_table.VIEW, refuses={409, 503}, idempotent=True)
async def guest_send(request: Request):
    """Send the cart: to the waiters (draft-first) or straight to the kitchen (direct). Send
    the same Idempotency-Key when retrying: the order is never made twice."""
    return await _guest_write(request, 200, drafts.send)


@for_guests(response=guest_table.VIEW, idempotent=True)
async def guest_call_waiter(request: Request):
    """Call a waiter to the table: an alert on the waiter screens."""
    return await _guest_write(request, 200, table_sessions.call_waiter)


@for_guests(response=guest_table.VIEW, idempotent=True)
async def guest_ask_for_bill(request: Request):
    """Ask for the bill: an alert on the waiter screens."""
    return await _guest_write(request, 200, table_sessions.ask_for_bill)


@for_guests(query=POLL, response=EVENTS)
async def guest_events(request: Request):
    """The table's own events after `since` (and the menu's, without fields: a cue to fetch
    it again), for a phone whose websocket dropped. A `since` too far back is a 410 `resync`,
    as on the websocket."""
    box = box_of(request)
    who = box.guests.who(request)
    query = POLL.read(request)
    since, limit = query["since"], query["limit"]
    await box.read(replayable, since, box.bus.last_seq, box.settings.feed_replay_limit)
    batch: list[Event] = await box.read(events.since, since, box.bus.last_seq, limit)
    shown = [shown_to_guest(e) for e in batch if box.guests.shows(who.session_id, e)]
    last = batch[-1].seq if batch else since
    return ok({"events": shown, "last_seq": last, "has_more": len(batch) == limit})


@for_guests(query=LIVE, response=EVENT_VIEW)
async def guest_live(websocket: WebSocket):
    """Websocket `/api/guest/ws?since=SEQ`: the table's own events after SEQ, then live ones,
    never another table's nor staff events. The first message is `{"type": "auth", "token":
    "<guest token>"}`, within 5 s; an ended session closes it with 4410."""
    box = box_of(websocket)
    await websocket.accept()
    try:
        query = LIVE.read(websocket)
        deadline = utcnow() + timedelta(seconds=AUTH_SECONDS)
        token = await first_token(websocket, anyio.current_time() + AUTH_SECONDS, deadline)
        box.guests.count(websocket)
        who = await _guest_or_refuse_staff(box, token)
    except GalleyError as exc:
        return await refuse(websocket, exc)
    except WebSocketDisconnect:
        return
    subscription = box.guests.follow(who.session_id)
    try:
        await stream(websocket, subscription, query["since"], _guest_message)
    except WebSocketDisconnect:
        pass
    finally:
        box.bus.unsubscribe(subscription)


def _guest_message(event: Event) -> Message:
    return text_message(to_json(shown_to_guest(event)))


async def _guest_or_refuse_staff(box: Any, token: str) -> Guest:
    """The guest of a websocket's token; a staff sign-in's token is refused as staff (403)."""
    try:
        return box.guests.resolve(token)
    except Unauthorized as not_a_guest:
        try:
            await box.sign_ins.actor(token)
        except GalleyError:
            raise not_a_guest from None
        raise Forbidden("this is for a table's guests, not staff", code="guests_only") from None


routes = [
    Route("/t/{token}", guest_page, methods=["GET"]),
    Route("/api/guest/scan", guest_scan, methods=["POST"]),
    Route("/api/guest/table", guest_view, methods=["GET"]),
    Route("/api/guest/join", guest_join, methods=["POST"]),
    Route("/api/guest/cart", add_to_cart, methods=["POST"]),
    Route("/api/guest/cart/{line_id:id}", change_cart_line, methods=["PATCH"]),
    Route("/api/guest/cart/{line_id:id}", remove_cart_line, methods=["DELETE"]),
    Route("/api/guest/pass", guest_pass, methods=["POST"]),
    Route("/api/guest/send", guest_send, methods=["POST"]),
    Route("/api/guest/call-waiter", guest_call_waiter, methods=["POST"]),
    Route("/api/guest/ask-bill", guest_ask_for_bill, methods=["POST"]),
    Route("/api/guest/events", guest_events, methods=["GET"]),
    WebSocketRoute("/api/guest/ws", guest_live),
]
