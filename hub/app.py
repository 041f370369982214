"""The hub's Starlette application: stateless, so any number of processes can serve it behind
a load balancer; all state is in the database `GALLEY_HUB_DATABASE_URL` names."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import AsyncIterator

from starlette.applications import Starlette

from hub.api import owners, reports, rows, stores, sync, system
from hub.config import HubSettings
from hub.storage import open_storage
from service import http
from service.attempts import Attempts

GC_THRESHOLD = 20_000  # new objects between two collections of the youngest generation


def create_app(settings: HubSettings | None = None) -> Starlette:
    settings = settings or HubSettings.load()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.storage = open_storage(settings)
        try:
            yield
        finally:
            app.state.storage.close()

    app = Starlette(
        routes=[
            *sync.routes,  # the busiest first: Starlette tries routes in order
            *system.routes,
            *owners.routes,
            *stores.routes,
            *rows.routes,
            *reports.routes,
        ],
        lifespan=lifespan,
        exception_handlers=http.HANDLERS,
    )
    # `/api/stores/` is a 404 in the error shape, not a redirect to `/api/stores` on whatever
    # host the request's Host header names
    app.router.redirect_slashes = False
    app.state.settings = settings
    app.state.attempts = Attempts(settings.attempts_per_minute, 60.0)
    app.state.refused = Attempts(sync.REFUSALS_PER_MINUTE, 60.0)
    app.state.failed_sign_ins = Attempts(owners.FAILED_SIGN_INS, owners.FAILED_WINDOW_S)
    app.state.pushes = sync.Pushes()
    return app


# A serving process's transactions run in threads that each wait on the database about ten
# times a push; each time an answer comes, the thread waits for the interpreter's lock, which
# a busy thread (the event loop, another transaction) keeps up to the switch interval (5 ms by
# default). Measured with hub_ingest (200 stores, 2 processes; three back-to-back pairs on a
# loaded machine): at 0.5 ms the transactions' p99 fell by 10 to 50 % (278 -> 151 ms at best)
# and the hub's CPU per push did not grow.
_SWITCH_INTERVAL_S = 0.0005


def app_from_environment() -> Starlette:
    """For uvicorn's workers (`--factory`): each process reads the settings again.

    A worker is a process of the hub's own, so it sets its garbage collector: a push of 500
    events makes some 25,000 objects that live as long as its transaction, which the default
    threshold (700) had the collector walk again and again (15-20 % of a push's CPU, measured).
    What is loaded by now lives as long as the process: frozen, never walked again."""
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 10, 10)
    sys.setswitchinterval(_SWITCH_INTERVAL_S)
    return create_app(HubSettings.load())
