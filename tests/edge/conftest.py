"""Fixtures of the edge tests that call every route: a box that dials no printer, and a printer
on loopback for network discovery to find."""

from __future__ import annotations

import dataclasses

import pytest

from edge.config import EdgeSettings
from printers.emulator import Emulator


@pytest.fixture
def quiet_settings(settings: EdgeSettings) -> EdgeSettings:
    return dataclasses.replace(settings, print_workers=False)


@pytest.fixture
async def emulator():
    printer = Emulator(port=0)
    await printer.start()
    yield printer
    await printer.stop()
