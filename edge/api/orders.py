"""Orders taken by staff: counter and table orders, their lines, voids."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from edge import auth
from edge.api.http import actor, body, box_of, ok, query_int
from edge.api.writes import action
from edge.domain import orders
from edge.permissions import require


async def create_order(request: Request):
    """Open an order: {kind: counter|table, table_id?, covers?, note?, lines: [{item_id,
    quantity?, modifier_ids?, seat?, note?}]}. Totals are computed here, never taken."""
    who = await actor(request)
    data = await body(request)
    return ok(await box_of(request).write(orders.create, who, data), 201)


async def list_orders(request: Request):
    """Orders, newest first: ?status=open&day=YYYY-MM-DD&limit=100."""
    require(await actor(request), "order.view")
    params = request.query_params
    return ok(
        await box_of(request).read(
            lambda conn: orders.list_orders(
                conn,
                status=params.get("status"),
                business_day=params.get("day"),
                limit=query_int(request, "limit", 100, 1, 1000),
            )
        )
    )


async def get_order(request: Request):
    """One order with its lines."""
    require(await actor(request), "order.view")
    return ok(await box_of(request).read(orders.get, request.path_params["order_id"]))


async def add_lines(request: Request):
    """Add lines to an open order: {lines: [...]}."""
    who = await actor(request)
    data = await body(request)
    order_id = request.path_params["order_id"]
    return ok(await box_of(request).write(orders.add_lines, who, order_id, data.get("lines")), 201)


async def update_line(request: Request):
    """Change quantity, seat or note of a line not yet sent to the kitchen."""
    who = await actor(request)
    data = await body(request)
    line_id = request.path_params["line_id"]
    return ok(await box_of(request).write(orders.update_line, who, line_id, data))


async def void_line(request: Request):
    """Void a line: {reason, approval?: {staff_id, pin}}; a manager, or a manager's approval."""
    who = await actor(request)
    data = await body(request)
    box = box_of(request)
    approver = await auth.approval(box, data, who.device)
    line_id = request.path_params["line_id"]
    return ok(await box.write(orders.void_line, who, line_id, data.get("reason"), approver))


routes = [
    Route("/api/orders", create_order, methods=["POST"]),
    Route("/api/orders", list_orders, methods=["GET"]),
    Route("/api/orders/{order_id}", get_order, methods=["GET"]),
    Route("/api/orders/{order_id}/lines", add_lines, methods=["POST"]),
    Route("/api/order-lines/{line_id}", update_line, methods=["PATCH"]),
    Route(
        "/api/order-lines/{line_id}",
        action(orders.remove_line, "Remove a line not yet sent to the kitchen.", "line_id"),
        methods=["DELETE"],
    ),
    Route("/api/order-lines/{line_id}/void", void_line, methods=["POST"]),
]
