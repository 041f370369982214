"""Fixtures of the edge tests that call every route: a box that dials no printer and pays at
table through the sandbox provider (and that box over ASGI), and a printer on loopback for
network discovery to find."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from edge.api.app import create_app
from edge.core.config import EdgeSettings
from galley.pay_sandbox import Sandbox
from printers.emulator import Emulator
from tests.live import serve

PAY_SECRET = b"whsec-test"


@pytest.fixture(scope="session")
def pay_sandbox():
    """The sandbox payment provider on 127.0.0.1, for pay at table (it sends no webhook: the
    tests send them, signed)."""
    provider = Sandbox(secret=PAY_SECRET, deliver=False)
    with serve(provider.app()) as url:
        provider.base_url = url
        yield provider


@pytest.fixture
def quiet_settings(settings: EdgeSettings, pay_sandbox: Sandbox) -> EdgeSettings:
    return dataclasses.replace(
        settings,
        print_workers=False,
        pay_url=pay_sandbox.base_url,
        pay_webhook_secrets=PAY_SECRET.decode(),
    )


@pytest.fixture
async def quiet(quiet_settings):
    """The demo edge without print worker threads, and a client: these tests write what a
    worker would."""
    application = create_app(quiet_settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as http:
            yield application, http


@pytest.fixture
async def emulator():
    printer = Emulator(port=0)
    await printer.start()
    yield printer
    await printer.stop()
