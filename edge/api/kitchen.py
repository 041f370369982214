"""The kitchen: stations and options, tickets on the screens (states, recall, rush, moves),
firing courses, expo and an order's readiness."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from edge.api.idempotency import answer
from edge.api.openapi import contract
from edge.api.writes import action, creator, updater
from edge.core.permissions import require
from edge.domain import prep_times, stations, tickets
from edge.runtime.auth import actor
from edge.runtime.box import box_of
from service.errors import GalleyError, Invalid
from service.fields import Form, code
from service.http import body, ok
from service.query import Param, Query, words
from service.shapes import Shape


def _station(name: str, raw: str) -> str:
    try:
        return code(name, raw)
    except Invalid as exc:
        raise GalleyError(exc.message, code="bad_query") from exc


BOARD = Query(station=Param(code.schema, _station))
PREP_TIMES = Query(
    **{
        "from": words("first business day, YYYY-MM-DD (default: today's)"),
        "to": words(
            f"last business day, inclusive (default: `from`); {prep_times.MAX_DAYS} at most"
        ),
    }
)


@contract(response=stations.KITCHEN_VIEW, refuses={403})
async def get_kitchen(request: Request):
    """The kitchen's stations (for a screen's station filter) and its options."""
    require(await actor(request), "kitchen.view")
    return ok(await box_of(request).read(stations.kitchen))


@contract(body=stations.SETTINGS, partial=True, response=stations.SETTINGS_VIEW, refuses={403})
async def update_kitchen_settings(request: Request):
    """Change the kitchen's options: coursing, auto-fire and its delay, the tiles' ages."""
    who = await actor(request)
    data = await body(request)
    return ok(await box_of(request).write(stations.update_settings, who, data))


@contract(query=BOARD, response=tickets.BOARD_VIEW, refuses={403})
async def kitchen_board(request: Request):
    """A kitchen screen's board: tickets not bumped, in fire order, and the last bumped ones,
    of one station or all; then follow the feed's `kitchen` topic since `last_seq`."""
    require(await actor(request), "kitchen.view")
    station = BOARD.read(request)["station"]
    box = box_of(request)
    last = box.bus.last_seq  # read before the board: the feed resends anything after it
    return ok(await box.read(tickets.board, station, last))


@contract(response=tickets.TICKET_VIEW, refuses={403})
async def get_ticket(request: Request):
    """One ticket with its items."""
    require(await actor(request), "kitchen.view")
    return ok(await box_of(request).read(tickets.get, request.path_params["ticket_id"]))


@contract(response=tickets.EXPO_VIEW, refuses={403})
async def expo(request: Request):
    """Every order with food not served yet: each station's readiness, courses held."""
    require(await actor(request), "kitchen.view")
    box = box_of(request)
    last = box.bus.last_seq
    return ok(await box.read(tickets.expo, last))


@contract(response=tickets.PROGRESS_VIEW, refuses={403})
async def order_kitchen(request: Request):
    """An order's readiness: cooking, ready or served, by station, and its courses held."""
    require(await actor(request), "kitchen.view")
    return ok(await box_of(request).read(tickets.progress, request.path_params["order_id"]))


@contract(query=PREP_TIMES, response=prep_times.REPORT_VIEW, refuses={403, 422})
async def prep_time_report(request: Request):
    """Managers: per station and per item, how many were made and how long they took, fired
    to ready and ready to bumped (median and 90th percentile), over business days."""
    who = await actor(request)
    query = PREP_TIMES.read(request)
    box = box_of(request)
    return ok(await box.read(prep_times.report, who, query["from"], query["to"], box.prep_days))


@contract(body=tickets.RUSH, partial=True, response=tickets.TICKET_VIEW, refuses={403})
async def rush_ticket(request: Request):
    """Rush a ticket, or not: its tile stands out and goes first on its screens."""
    who = await actor(request)
    data = await body(request)
    ticket_id = request.path_params["ticket_id"]
    return ok(await box_of(request).write(tickets.rush_ticket, who, ticket_id, data))


def _posted(
    fn: Callable[..., Any],
    form: Form,
    doc: str,
    param: str,
    response: Shape,
    refuses: Collection[int] = (),
) -> Callable[[Request], Any]:
    """POST handler of an action with a body on one thing: `fn(conn, actor, id, body)` -> its
    JSON; it takes an `Idempotency-Key` (a bump retried is not refused as done already)."""

    @contract(body=form, response=response, refuses={403, *refuses}, idempotent=True)
    async def handler(request: Request):
        who = await actor(request)
        data = await body(request)
        return await answer(request, 200, fn, who, request.path_params[param], data)

    handler.__name__ = handler.__qualname__ = fn.__name__
    handler.__doc__ = doc
    return handler


routes = [
    Route("/api/kitchen", get_kitchen, methods=["GET"]),
    Route("/api/kitchen/settings", update_kitchen_settings, methods=["PATCH"]),
    Route("/api/kitchen/expo", expo, methods=["GET"]),
    Route("/api/kitchen/prep-times", prep_time_report, methods=["GET"]),
    Route(
        "/api/stations",
        creator(stations.create_station, stations.STATION, "Add a station."),
        methods=["POST"],
    ),
    Route(
        "/api/stations/{station_id:id}",
        updater(
            stations.update_station,
            stations.STATION,
            "Rename a station, change its code or take it out of use.",
            "station_id",
        ),
        methods=["PATCH"],
    ),
    Route("/api/tickets", kitchen_board, methods=["GET"]),
    Route("/api/tickets/{ticket_id:id}", get_ticket, methods=["GET"]),
    Route("/api/tickets/{ticket_id:id}", rush_ticket, methods=["PATCH"]),
    Route(
        "/api/tickets/{ticket_id:id}/state",
        _posted(
            tickets.set_ticket_state,
            tickets.STATE,
            "Move a ticket on: IN_PROGRESS, READY or BUMPED (its items with it).",
            "ticket_id",
            tickets.TICKET_VIEW,
            {409},
        ),
        methods=["POST"],
    ),
    Route(
        "/api/tickets/{ticket_id:id}/recall",
        action(
            tickets.recall_ticket,
            "Bring one of the station's last 20 bumped tickets back, as READY.",
            "ticket_id",
            response=tickets.TICKET_VIEW,
            refuses={409},
        ),
        methods=["POST"],
    ),
    Route(
        "/api/ticket-items/{item_id:id}/state",
        _posted(
            tickets.set_item_state,
            tickets.STATE,
            "Move one item on; its ticket follows its slowest item. Answers the ticket.",
            "item_id",
            tickets.TICKET_VIEW,
            {409},
        ),
        methods=["POST"],
    ),
    Route(
        "/api/ticket-items/{item_id:id}/move",
        _posted(
            tickets.move_item,
            tickets.MOVE,
            "Send an item to another station, on a MOVE ticket there. Answers that ticket.",
            "item_id",
            tickets.TICKET_VIEW,
            {409},
        ),
        methods=["POST"],
    ),
    Route(
        "/api/orders/{order_id:id}/fire",
        _posted(
            tickets.fire_course,
            tickets.FIRE,
            "Fire a held course of the order (none named: the next one held).",
            "order_id",
            tickets.PROGRESS_VIEW,
            {409},
        ),
        methods=["POST"],
    ),
    Route(
        "/api/orders/{order_id:id}/served",
        action(
            tickets.serve_order,
            "Expo: the order's ready food is served (READY tickets are bumped).",
            "order_id",
            response=tickets.PROGRESS_VIEW,
            refuses={409},
        ),
        methods=["POST"],
    ),
    Route("/api/orders/{order_id:id}/kitchen", order_kitchen, methods=["GET"]),
]
