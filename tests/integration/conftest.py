"""The hub fixtures (tests/hub/conftest.py: a hub on SQLite and on PostgreSQL), for tests that
run a box against one; and the demo box enrolled with that hub in process, over a link a test
can cut."""

import dataclasses

import httpx
import pytest

from edge.api.app import create_app
from edge.setup import enrolment
from tests.hub.conftest import hub, hub_app, hub_settings, hub_storage, pg_urls, storage
from tests.hub.kit import new_code, new_owner, new_store
from tests.integration.hubs import first_round_done

__all__ = ["hub", "hub_app", "hub_settings", "hub_storage", "pg_urls", "storage"]


class Switch(httpx.AsyncBaseTransport):
    """The hub's transport, with a switch that cuts the link."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.down = False
        self.bodies: list[int] = []  # the size of each push's body

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("the link is down", request=request)
        if request.url.path == "/sync/v1/push":
            self.bodies.append(len(request.content))
        return await self.inner.handle_async_request(request)


@pytest.fixture
async def owner(hub, hub_storage):
    return await new_owner(hub, hub_storage)


@pytest.fixture
def link(hub_app):
    return Switch(httpx.ASGITransport(app=hub_app))


@pytest.fixture
async def store(hub, owner):
    return await new_store(hub, owner, "Café Azul")


@pytest.fixture
async def box(settings, hub, owner, store, link):
    """The demo box, enrolled with the hub, its sync rounds run by the test (no timer)."""
    settings = dataclasses.replace(settings, print_workers=False, sync_seconds=3600)
    code = await new_code(hub, owner, store["id"])
    outcome = await enrolment.enrol(settings, "http://hub", code, transport=link)
    assert outcome.status == enrolment.ENROLLED, outcome.message
    app = create_app(settings, hub_transport=link)
    async with app.router.lifespan_context(app):
        await first_round_done(app.state.box)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
            yield app.state.box, client
