"""A box with no battery-backed clock (a Raspberry Pi) boots with its clock wrong (the time it
last saved, or 1970) until NTP answers, which a store offline may never get; then the clock
jumps, forward by days or back by hours. Reproduced with freezegun on the real box: what it
does with the kitchen's tickets, the day's money and what it says about its clock."""

from __future__ import annotations

import dataclasses

import pytest
from freezegun import freeze_time

from edge.core.config import EdgeSettings
from printers.emulator import run_in_thread
from tests.clock import advance
from tests.conftest import sign_in
from tests.edge.test_printing import drain, kitchen_order, point_at, rows


@pytest.fixture
def settings(settings: EdgeSettings) -> EdgeSettings:
    """No worker threads: the tests drive printing with `drain`."""
    return dataclasses.replace(settings, print_workers=False)


async def test_a_ticket_waiting_to_retry_prints_when_the_clock_jumps_back_hours(
    app, client
):
    """The printer was off for the first try; then the clock went back three hours (NTP
    correcting a box that started ahead). The retry was due 2 s later: it must not wait three
    hours while the kitchen never sees the order."""
    manager = await sign_in(client, "manager")
    with run_in_thread() as emulator:
        await point_at(client, manager, "Kitchen pass", emulator.port)
        emulator.set_offline(True)
        with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
            await kitchen_order(client, manager, send=True)
            await drain(app)
            (job,) = rows(app, "SELECT * FROM print_jobs")
            assert (job["state"], job["attempts"]) == ("queued", 1)
            emulator.set_offline(False)
            frozen.move_to("2026-11-21 09:00:00")
            advance(frozen, 5)
            await drain(app)
        (job,) = rows(app, "SELECT * FROM print_jobs")
        assert job["state"] == "printed"
        assert len(emulator.wait_for_jobs(1)) == 1
