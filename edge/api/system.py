"""Health and the API description."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from edge.api.http import box_of, ok
from edge.api.openapi import contract, describe


@contract(public=True)
async def healthz(request: Request):
    """Liveness for systemd and the load balancer: is the writer alive, how far is the log."""
    box = box_of(request)
    alive = box.writer.alive
    return ok(
        {"status": "ok" if alive else "writer_down", "last_seq": box.bus.last_seq},
        200 if alive else 503,
    )


@contract(public=True)
async def openapi(request: Request):
    """This description."""
    return ok(describe(request.app.routes))


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
]
