"""Fixtures of the edge tests that call every route: a box that dials no printer (and that box
over ASGI), and a printer on loopback for network discovery to find."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from edge.api.app import create_app
from edge.core.config import EdgeSettings
from printers.emulator import Emulator


@pytest.fixture
def quiet_settings(settings: EdgeSettings) -> EdgeSettings:
    return dataclasses.replace(settings, print_workers=False)


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
