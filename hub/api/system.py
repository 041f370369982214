"""Health and the API description."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from hub.api.http import storage
from hub.api.openapi import API, contract
from hub.storage.tx import Tx
from service.http import ok


@contract(public=True)
async def healthz(request: Request):
    """Liveness for the load balancer: the process answers and its database does."""
    await storage(request).run(Tx.ping)
    return ok({"status": "ok", "database": storage(request).dialect})


@contract(public=True)
async def openapi(request: Request):
    """This description."""
    return ok(API.describe(request.app.routes))


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
]
