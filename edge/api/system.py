"""Health and the API description."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from edge.api.openapi import API, contract
from edge.runtime.box import box_of
from edge.runtime.box_clock import CLOCK
from service.http import ok
from service.shapes import COUNT, enum, shape

HEALTH = shape(
    "Health",
    {
        "status": enum(("ok", "writer_down")),
        "last_seq": {**COUNT, "description": "on disk"},
        "clock": CLOCK,
    },
)
DESCRIPTION = {"type": "object", "required": ["openapi", "paths"], "description": "OpenAPI 3.1"}


@contract(public=True, response=HEALTH, also={503: HEALTH})
async def healthz(request: Request):
    """Liveness for systemd and the load balancer: is the writer alive, how far is the log, and
    may the box's clock be trusted."""
    box = box_of(request)
    alive = box.writer.alive
    return ok(
        {
            "status": "ok" if alive else "writer_down",
            "last_seq": box.bus.last_seq,
            "clock": await box.clock(),
        },
        200 if alive else 503,
    )


@contract(public=True, response=DESCRIPTION)
async def openapi(request: Request):
    """This description."""
    return ok(API.describe(request.app.routes))


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
]
