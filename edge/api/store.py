"""Store settings."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from edge.api.openapi import contract
from edge.domain import store
from edge.runtime.auth import actor
from edge.runtime.box import box_of
from service.http import body, ok


@contract(response=store.STORE_VIEW)
async def get_store(request: Request):
    """The store's settings, with `currency_digits`: the digits its amounts are kept in
    (anyone signed in)."""
    await actor(request)
    return ok(await box_of(request).read(store.shown))


@contract(body=store.STORE, partial=True, response=store.STORE_CHANGED, refuses={403})
async def update_store(request: Request):
    """Change settings: name, timezone, currency, taxes, hours, holidays, QR switches, guest URL.
    Answers the settings and the `seq` of the event written (null when nothing changed)."""
    who = await actor(request)
    data = await body(request)
    return ok(await box_of(request).write(store.update, who, data))


@contract(response=store.CHOICES)
async def store_choices(request: Request):
    """What settings offer to pick from: {timezones: [IANA names], currencies: [{code, digits}]}
    (anyone signed in)."""
    await actor(request)
    return ok(store.choices())


routes = [
    Route("/api/store", get_store, methods=["GET"]),
    Route("/api/store", update_store, methods=["PATCH"]),
    Route("/api/store/choices", store_choices, methods=["GET"]),
]
