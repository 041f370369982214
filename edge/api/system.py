"""Health and the API description."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from edge.api.openapi import API, contract
from edge.runtime.box import box_of
from edge.runtime.box_clock import CLOCK
from service.http import ok
from service.shapes import COUNT, enum, nullable, shape

HEALTH = shape(
    "Health",
    {
        "status": enum(("ok", "writer_down")),
        "last_seq": {**COUNT, "description": "on disk"},
        "clock": CLOCK,
        "setup": shape(
            "Setup",
            {
                "state": enum(("ready", "waiting_for_hub")),
                "message": nullable(
                    {"type": "string", "description": "what the box waits for, and why"}
                ),
            },
        ),
    },
)
DESCRIPTION = {"type": "object", "required": ["openapi", "paths"], "description": "OpenAPI 3.1"}


@contract(public=True, response=HEALTH, also={503: HEALTH})
async def healthz(request: Request):
    """Liveness for systemd and the load balancer: is the writer alive, how far is the log, may
    the box's clock be trusted, and does it trade or wait for its store's setup from the hub (a
    replacement box: `edge.api.setup_gate`)."""
    box = box_of(request)
    alive = box.writer.alive
    return ok(
        {
            "status": "ok" if alive else "writer_down",
            "last_seq": box.bus.last_seq,
            "clock": await box.clock(),
            "setup": box.sync.setup(),
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
