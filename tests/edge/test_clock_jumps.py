"""A box with no battery-backed clock (a Raspberry Pi) boots with its clock wrong (the time it
last saved, or 1970) until NTP answers, which a store offline may never get; then the clock
jumps, forward by days or back by hours. Reproduced with freezegun on the real box: what it
does with the kitchen's tickets, the day's money and what it says about its clock."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from freezegun import freeze_time

from edge.api.app import create_app
from edge.core.config import EdgeSettings
from edge.core.permissions import SYSTEM
from edge.domain import tickets
from printers.emulator import run_in_thread
from tests.clock import advance
from tests.conftest import sign_in
from tests.edge.test_printing import drain, kitchen_order, point_at, rows
from tests.edge.test_tickets import board, order


@pytest.fixture
def settings(settings: EdgeSettings) -> EdgeSettings:
    """No worker threads: the tests drive printing with `drain`."""
    return dataclasses.replace(settings, print_workers=False)


async def test_a_ticket_waiting_to_retry_prints_when_the_clock_jumps_back_hours(app, client):
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


async def test_a_course_due_to_fire_fires_when_the_clock_jumps_back_hours(app, client):
    """Auto-fire with a 2-minute delay: the mains were bumped, then the clock went back three
    hours. The dessert must not wait those three hours."""
    box = app.state.box
    box.auto_fire.stop()  # the test does what its timer does, at the times it chooses
    with freeze_time("2027-03-01 20:00:00", tick=True) as frozen:
        cook = await sign_in(client, "kitchen", device="kds")
        manager = await sign_in(client, "manager")
        waiter = await sign_in(client, "waiter")
        kitchen = {"auto_fire": True, "auto_fire_delay": 120}
        changed = await client.patch("/api/kitchen/settings", headers=manager, json=kitchen)
        assert changed.is_success, changed.text
        await order(client, waiter, "Beef burger", "Cheesecake")
        (mains,) = (await board(client, cook, "KITCHEN"))["tickets"]
        bumped = {"state": "BUMPED"}
        await client.post(f"/api/tickets/{mains['id']}/state", headers=cook, json=bumped)
        assert not box.read_now(tickets.due)
        frozen.move_to("2027-03-01 17:00:00")
        advance(frozen, 1)
        assert box.read_now(tickets.due)
        assert await box.write(tickets.fire_due, SYSTEM) == 1
        (dessert,) = (await board(client, cook, "KITCHEN"))["tickets"]
    assert dessert["items"][0]["name"] == "Cheesecake"


async def _clock(client, headers) -> tuple[dict, dict]:
    """The clock as /healthz and the sync badge say it, but the time each read."""
    health = (await client.get("/healthz")).json()["clock"]
    sync = (await client.get("/api/sync", headers=headers)).json()["clock"]
    assert health.pop("now")[:16] == sync.pop("now")[:16] and health.pop("set_by_hand") is False
    sync.pop("set_by_hand")
    return health, sync


async def test_the_box_says_when_its_clock_went_back_behind_what_it_recorded(app, client):
    """The clock went back an hour behind the orders the box took (started from a saved time
    older than its last orders, set back by hand): its health and the pages' sync badge say
    so, until the clock is past them again."""
    with freeze_time("2027-03-01 12:00:00", tick=True) as frozen:
        manager = await sign_in(client, "manager")
        await kitchen_order(client, manager)
        health, sync = await _clock(client, manager)
        assert health == sync == {"trusted": True, "problem": None, "message": None}
        frozen.move_to("2027-03-01 11:00:00")
        health, sync = await _clock(client, manager)
        assert health == sync
        assert (health["trusted"], health["problem"]) == (False, "behind")
        assert "behind what it recorded" in health["message"]
        frozen.move_to("2027-03-01 12:05:00")
        health, _ = await _clock(client, manager)
        assert health["trusted"] is True


async def test_a_clock_not_yet_set_by_ntp_is_not_trusted(settings, tmp_path):
    """On the appliance systemd-timesyncd marks the clock synchronized once NTP answered
    (/run/systemd/timesync/synchronized); until then the box runs on the time it last saved."""
    flag = tmp_path / "timesync" / "synchronized"
    flag.parent.mkdir()
    box = dataclasses.replace(settings, clock_sync_file=flag)
    application = create_app(box)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as http:
            manager = await sign_in(http, "manager")
            health, sync = await _clock(http, manager)
            assert health == sync
            assert (health["trusted"], health["problem"]) == (False, "not_synchronized")
            assert "not been set" in health["message"]
            flag.touch()
            health, _ = await _clock(http, manager)
            assert health == {"trusted": True, "problem": None, "message": None}
