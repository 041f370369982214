"""Store settings."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from edge.api.http import actor, body, box_of, ok
from edge.api.openapi import contract
from edge.domain import store


@contract(response=store.STORE_VIEW)
async def get_store(request: Request):
    """The store's settings (anyone signed in)."""
    await actor(request)
    return ok(await box_of(request).read(store.get))


@contract(body=store.SETTINGS, partial=True, response=store.STORE_VIEW, refuses={403})
async def update_store(request: Request):
    """Change settings: name, timezone, currency, taxes, hours, holidays, QR switches, guest URL."""
    who = await actor(request)
    data = await body(request)
    return ok(await box_of(request).write(store.update, who, data))


routes = [
    Route("/api/store", get_store, methods=["GET"]),
    Route("/api/store", update_store, methods=["PATCH"]),
]
