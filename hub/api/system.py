"""Health and the API description."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from hub.api.http import answer, storage
from hub.api.openapi import contract, describe
from hub.storage.tx import Tx


@contract(caller="public")
async def healthz(request: Request):
    """Liveness for the load balancer: the process answers and its database does."""
    await storage(request).run(Tx.ping)
    return answer({"status": "ok", "database": storage(request).dialect})


@contract(caller="public")
async def openapi(request: Request):
    """This description."""
    return answer(describe(request.app.routes))


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
]
