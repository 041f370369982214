"""Orders taken by staff: counter and table orders, their lines, voids."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from edge.api.idempotency import answer
from edge.api.openapi import contract
from edge.api.pay_at_table import then_withdraw
from edge.api.writes import action
from edge.core.permissions import require, seen
from edge.domain import audit as audit_trail
from edge.domain import orders, payments
from edge.runtime import auth
from edge.runtime.auth import actor
from edge.runtime.box import box_of
from service.http import body, ok
from service.query import Query, day, one_of, whole
from service.shapes import FLAG, array, shape

LIST = Query(
    status=one_of(*orders.STATUSES),
    day=day("business day"),
    limit=whole(100, 1, 1000),
)


@contract(
    body=orders.ORDER,
    status=201,
    response=orders.ORDER_VIEW,
    refuses={403, 409},
    idempotent=True,
)
async def create_order(request: Request):
    """Open a counter or table order, maybe with its first lines. With `send: true` they go to
    the kitchen at once. Prices and totals are computed here, never taken from the client."""
    who = await actor(request)
    data = await body(request)
    return await answer(request, 201, orders.create, who, data)


@contract(query=LIST, response=array(orders.ORDER_LISTED), refuses={403})
async def list_orders(request: Request):
    """Orders, newest first, by status and business day."""
    require(await actor(request), "order.view")
    query = LIST.read(request)
    return ok(
        await box_of(request).read(
            lambda conn: orders.list_orders(
                conn, status=query["status"], business_day=query["day"], limit=query["limit"]
            )
        )
    )


@contract(response=orders.ORDER_VIEW, refuses={403})
async def get_order(request: Request):
    """One order with its lines."""
    require(await actor(request), "order.view")
    return ok(await box_of(request).read(orders.get, request.path_params["order_id"]))


ORDER_HISTORY = shape(
    "OrderHistory",
    {
        "events": array(audit_trail.AUDIT_VIEW, "oldest first, the order's and its lines'"),
        "forgotten": {
            **FLAG,
            "description": "the box has forgotten the start of it (the hub has it all)",
        },
        "kept_days": audit_trail.KEPT_DAYS,
    },
)


@contract(response=ORDER_HISTORY, refuses={403})
async def order_events(request: Request):
    """The order's history, oldest first: its events and those of its lines, each with the
    names it needs to be read (`context`, as in the audit). Only events on disk."""
    who = await actor(request)
    require(who, "order.view")
    box = box_of(request)
    found = await box.read(orders.history, request.path_params["order_id"], box.bus.last_seq)
    return ok(
        {
            "events": [seen(who, row) for row in found["events"]],
            "forgotten": found["forgotten"],
            "kept_days": box.settings.keep_synced_days,
        }
    )


@contract(
    body=orders.ADD_LINES,
    status=201,
    response=orders.ORDER_VIEW,
    refuses={403, 409},
    idempotent=True,
)
async def add_lines(request: Request):
    """Add lines to an open order."""
    who = await actor(request)
    data = await body(request)
    order_id = request.path_params["order_id"]
    return await answer(request, 201, orders.add_lines, who, order_id, data)


@contract(body=orders.LINE_CHANGE, partial=True, response=orders.ORDER_VIEW, refuses={403, 409})
async def update_line(request: Request):
    """Change quantity, seat or note of a line not yet sent to the kitchen, nor on a check with
    a payment on it (409 `check_has_payments`: void it)."""
    who = await actor(request)
    data = await body(request)
    line_id = request.path_params["line_id"]
    return ok(await box_of(request).write(orders.update_line, who, line_id, data))


@contract(body=auth.APPROVED, response=orders.ORDER_VIEW, refuses={403, 409, 423}, idempotent=True)
async def void_line(request: Request):
    """Void a line, with a reason: a manager, or anyone with a manager's PIN as approval. A
    check with a payment on it is settled again: less to pay, or paid with money owed back."""
    who = await actor(request)
    data = auth.APPROVED.clean(await body(request))
    approver = await auth.sign_ins(request).approval(data, who, "order.void_line")
    line_id = request.path_params["line_id"]
    voided = await answer(request, 200, payments.void_line, who, line_id, data["reason"], approver)
    return then_withdraw(request, voided)


@contract(body=auth.APPROVED, response=orders.ORDER_VIEW, refuses={403, 409, 423}, idempotent=True)
async def cancel_order(request: Request):
    """Cancel (void) an unpaid order with a reason: its lines are voided and its kitchen tickets
    print a VOID chit. Once sent to the kitchen, a manager's, or with a manager's PIN as
    approval; an order with a payment is refunded instead (409 `order_paid`)."""
    who = await actor(request)
    data = auth.APPROVED.clean(await body(request))
    approver = await auth.sign_ins(request).approval(data, who, "order.void_line")
    order_id = request.path_params["order_id"]
    return await answer(request, 200, orders.cancel, who, order_id, data["reason"], approver)


routes = [
    Route("/api/orders", create_order, methods=["POST"]),
    Route("/api/orders", list_orders, methods=["GET"]),
    Route("/api/orders/{order_id:id}", get_order, methods=["GET"]),
    Route("/api/orders/{order_id:id}/events", order_events, methods=["GET"]),
    Route("/api/orders/{order_id:id}/lines", add_lines, methods=["POST"]),
    Route("/api/orders/{order_id:id}/cancel", cancel_order, methods=["POST"]),
    Route("/api/order-lines/{line_id:id}", update_line, methods=["PATCH"]),
    Route(
        "/api/order-lines/{line_id:id}",
        action(
            orders.remove_line,
            "Remove a line not yet sent to the kitchen, nor on a check with a payment on it.",
            "line_id",
            response=orders.ORDER_VIEW,
            refuses={409},
        ),
        methods=["DELETE"],
    ),
    Route("/api/order-lines/{line_id:id}/void", void_line, methods=["POST"]),
]
