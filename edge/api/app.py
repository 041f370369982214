"""The edge's Starlette application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Lifespan

from edge.api import (
    devices,
    feed,
    guest,
    kitchen,
    menu,
    orders,
    pages,
    pay_at_table,
    pos,
    printing,
    staff,
    store,
    sync,
    system,
    tables,
    waiter,
)
from edge.api.openapi import contract
from edge.api.routing import IndexedRouter
from edge.api.setup_gate import WaitingForHub
from edge.core.config import EdgeSettings
from edge.runtime import automations
from edge.runtime.box import Box
from service import http


class EdgeApp(Starlette):
    """The app with the security headers put on outside Starlette's error middleware, which
    answers a 500 past any middleware given to it the usual way, and its routes found through
    an index (`IndexedRouter`)."""

    def __init__(
        self, routes: list[BaseRoute], lifespan: Lifespan[Starlette], **options: Any
    ) -> None:
        super().__init__(routes=routes, lifespan=lifespan, **options)
        self.router = IndexedRouter(routes, lifespan=lifespan)

    def build_middleware_stack(self) -> ASGIApp:
        return pages.SecurityHeaders(WaitingForHub(super().build_middleware_stack()))


class HideTokens(logging.Filter):
    """Uvicorn's access log prints each request's path with its query string: a client that
    puts a token in a URL (refused, see `service.tokens.bearer`) would still leave it in the
    log, so its value is masked there; so are the tokens a guest's link holds in its path (a
    digital receipt's, which shows the check to whoever has it, and a table code's)."""

    _TOKEN = re.compile(r"(?:(?<=[?&]token=)|(?<=^/api/receipts/)|(?<=^/t/))[^&?\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._TOKEN.sub("***", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


_HIDE_TOKENS = HideTokens()


@contract(status=307, public=True)
async def home(request):
    """The manager's pages."""
    return RedirectResponse("/admin/")


def create_app(
    settings: EdgeSettings | None = None,
    *,
    after_sync: Callable[[], None] | None = None,
    hub_transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """The edge app; `hub_transport` carries the sync service's requests (tests: the hub in
    process, or a proxy that fails), by default the network."""
    settings = settings or EdgeSettings.load()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        logging.getLogger("uvicorn.access").addFilter(_HIDE_TOKENS)  # once: the same filter
        loop = asyncio.get_running_loop()
        box = Box(settings, loop, after_sync=after_sync, hub_transport=hub_transport)
        app.state.box = box
        box.sync.start()
        # The store's clock work runs in its time zone: a box waiting for its store's setup
        # from the hub starts it once that has come.
        scheduling = loop.create_task(automations.start_when_set_up(box))
        try:
            yield
        finally:
            scheduling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                scheduler = await scheduling
                scheduler.shutdown(wait=False)
            await box.sync.stop()
            box.close()

    routes = [
        *system.routes,
        *orders.routes,  # the busiest routes first: Starlette tries routes in order
        *pos.routes,
        *pay_at_table.routes,
        *feed.routes,
        *kitchen.routes,
        *menu.routes,
        *staff.routes,
        *devices.routes,
        *store.routes,
        *tables.routes,
        *printing.routes,
        *guest.routes,
        *waiter.routes,
        *sync.routes,
        Route("/", home, methods=["GET"]),
        *pages.routes(),
    ]
    return EdgeApp(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=http.HANDLERS,
    )
