"""The morning after: a box with no clock battery, switched off at night, boots at the time it
last saved, and with the store's internet down NTP never sets it. A manager gives it the time
their device reads (`POST /api/sync/clock`), and the box trades on the right day until NTP
answers. Real box, real SQLite, the wall clock moved with freezegun."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from pathlib import Path

import httpx
import pytest
from freezegun import freeze_time

from edge.api.app import create_app
from edge.core.config import EdgeSettings
from tests.conftest import sign_in, staff_id
from tests.edge.test_checks import check_of, open_shift, pay, walk_in
from tests.edge.test_contract import assert_error_shape

# Lisbon is on UTC in January; the demo store's day starts at 04:00.
EVENING, LAST_SAVED, MORNING = "2027-01-11 22:00:00", "2027-01-11 23:30:00", "2027-01-12T09:02:00Z"


@pytest.fixture
def flag(tmp_path: Path) -> Path:
    """systemd-timesyncd's flag file: its folder is there, the file is not (NTP has not set the
    clock)."""
    path = tmp_path / "timesync" / "synchronized"
    path.parent.mkdir()
    return path


@pytest.fixture
def settings(settings: EdgeSettings, flag: Path) -> EdgeSettings:
    return dataclasses.replace(settings, clock_sync_file=flag, print_workers=False)


async def _clock(client) -> dict:
    return (await client.get("/healthz")).json()["clock"]


async def _set(client, who, time: str) -> httpx.Response:
    return await client.post("/api/sync/clock", json={"time": time}, headers=who)


async def _day_closed_last_night(client) -> int:
    """Monday's sales and Z, as the evening ended; the check's total."""
    cashier = await sign_in(client, "cashier", device="till")
    manager = await sign_in(client, "manager", device="office")
    await open_shift(client, cashier)
    check = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    assert (await pay(client, cashier, check["id"], method="cash", given=check["total"])).is_success
    await client.post("/api/shifts/current/close", json={"counted": {}}, headers=cashier)
    z = await client.post("/api/reports", json={"kind": "z"}, headers=manager)
    assert z.json()["business_day"] == "2027-01-11"
    return check["total"]


async def test_a_manager_gives_the_box_the_time_and_it_trades_on_the_right_day(app, client, flag):
    with freeze_time(EVENING, tick=True) as frozen:
        await _day_closed_last_night(client)
        # Tuesday 09:02: the box booted at the time it saved last night, and NTP is not there
        frozen.move_to(LAST_SAVED)
        cashier = await sign_in(client, "cashier", device="till")
        manager = await sign_in(client, "manager", device="office")
        before = await _clock(client)
        assert (before["trusted"], before["problem"]) == (False, "not_synchronized")
        assert before["now"].startswith("2027-01-11T23:30") and not before["set_by_hand"]
        refused = await client.post("/api/shifts", json={"float": 0}, headers=cashier)
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "day_closed"

        # The page's answer lost on the Wi-Fi: its retry, with the same key, gets the first
        # answer and moves nothing (sent again as it was, it would be behind what was recorded)
        key = {**manager, "Idempotency-Key": "clock-morning-1"}
        given = await client.post("/api/sync/clock", json={"time": MORNING}, headers=key)
        assert given.status_code == 200, given.text
        assert given.json()["set_to"].startswith("2027-01-12T09:02")
        again = await client.post("/api/sync/clock", json={"time": MORNING}, headers=key)
        assert (again.status_code, again.json()) == (200, given.json())
        assert again.headers["Idempotent-Replayed"] == "true"
        clock = await _clock(client)
        assert (clock["trusted"], clock["set_by_hand"]) == (True, True)
        assert clock["now"].startswith("2027-01-12T09:02")

        shift = await open_shift(client, cashier)
        assert shift["business_day"] == "2027-01-12"
        order = await walk_in(client, cashier, "Garlic prawns")
        assert order["business_day"] == "2027-01-12"
        check = await check_of(client, cashier, order)
        paid = await pay(client, cashier, check["id"], method="cash", given=check["total"])
        assert paid.status_code == 201, paid.text
        assert paid.json()["payment"]["business_day"] == "2027-01-12"
        closed = await client.post(
            "/api/shifts/current/close", json={"counted": {}}, headers=cashier
        )
        assert closed.is_success, closed.text
        z = await client.post("/api/reports", json={"kind": "z"}, headers=manager)
        assert z.status_code == 201, z.text
        assert z.json()["business_day"] == "2027-01-12"
        assert z.json()["data"]["sales"] == check["total"]

        # NTP answers at last: the system clock jumps to the right time, 09:40 by now
        frozen.move_to("2027-01-12 09:40:00")
        flag.touch()
        after = await _clock(client)
        assert (after["trusted"], after["set_by_hand"]) == (True, False)
        assert after["now"].startswith("2027-01-12T09:40")
        audit = await client.get("/api/audit", params={"entity": "box_time"}, headers=manager)
    dropped, given = audit.json()["events"]
    assert (given["actor"], given["fields"]["read_at"][:16]) == (
        await staff_id(client, "manager"),
        "2027-01-11T23:30",
    )
    assert given["fields"]["set_to"][:16] == "2027-01-12T09:02"
    assert (dropped["actor"], dropped["fields"]["offset_ms"]) == ("system", 0)
    assert dropped["fields"]["set_to"][:16] == "2027-01-12T09:40"


async def test_the_time_given_survives_a_restart_and_goes_when_ntp_set_the_clock(settings, flag):
    """Kept where the box keeps its state: a restart of the box's process runs on it still;
    one after NTP set the clock (the box was off meanwhile) drops it."""

    async def box_clock(given: str | None = None) -> dict:
        application = create_app(settings)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://edge") as http:
                if given:
                    manager = await sign_in(http, "manager")
                    assert (await _set(http, manager, given)).status_code == 200
                return await _clock(http)

    with freeze_time(LAST_SAVED, tick=True) as frozen:
        assert (await box_clock(MORNING))["set_by_hand"]
        again = await box_clock()
        assert (again["set_by_hand"], again["now"][:16]) == (True, "2027-01-12T09:02")
        frozen.move_to("2027-01-12 10:00:00")
        flag.touch()
        after = await box_clock()
        assert (after["set_by_hand"], after["now"][:16]) == (False, "2027-01-12T10:00")


@pytest.mark.parametrize(
    ("role", "time", "status", "code"),
    [
        ("cashier", MORNING, 403, "forbidden"),
        ("manager", "2028-02-01T09:00:00Z", 422, "absurd_time"),
        ("manager", "2027-01-11T20:00:00Z", 409, "time_behind_recorded"),
        ("manager", "tomorrow", 422, None),
        ("manager", "2027-01-12T09:02:00", 422, None),  # no time zone
    ],
)
async def test_who_may_not_move_the_clock_and_times_refused(client, role, time, status, code):
    with freeze_time(LAST_SAVED, tick=True):
        who = await sign_in(client, role)
        await walk_in(client, who, "Garlic prawns")  # the box recorded 23:30
        refused = await _set(client, who, time)
        assert refused.status_code == status, refused.text
        assert_error_shape(refused)
        assert code is None or refused.json()["error"]["code"] == code
        assert not (await _clock(client))["set_by_hand"]


async def test_nobody_signed_in_nor_a_guest_moves_the_clock(client):
    with freeze_time(LAST_SAVED, tick=True):
        for headers in ({}, {"Authorization": "Bearer nothing"}):
            refused = await client.post("/api/sync/clock", json={"time": MORNING}, headers=headers)
            assert refused.status_code == 401, refused.text
            assert_error_shape(refused)
        assert not (await _clock(client))["set_by_hand"]


async def test_once_ntp_set_the_clock_no_one_sets_it_by_hand(client, flag):
    flag.touch()
    manager = await sign_in(client, "manager")
    refused = await _set(client, manager, "2030-01-01T00:00:00Z")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "clock_set_by_ntp"


async def test_when_ntp_sets_the_clock_the_box_time_goes_on_without_a_jump(app, client, flag):
    """NTP steps the system clock forward to the right time and only then makes its flag file:
    an order taken between the two is dated by the right time, not by the stepped clock plus
    the manager's offset (hours ahead), and the box's recorded time has not run ahead: it does
    not say afterwards that its clock is behind."""
    with freeze_time(LAST_SAVED, tick=True) as frozen:
        manager = await sign_in(client, "manager")
        assert (await _set(client, manager, MORNING)).status_code == 200
        frozen.move_to("2027-01-12 09:40:00")  # NTP steps the clock; no flag yet
        order = await walk_in(client, manager, "Garlic prawns")
        assert order["created_at"][:16] == "2027-01-12T09:40"
        flag.touch()
        clock = await _clock(client)
        assert (clock["trusted"], clock["problem"], clock["set_by_hand"]) == (True, None, False)
        assert clock["now"][:16] == "2027-01-12T09:40"
        flag.unlink()  # whatever timesyncd says later, the box is on its own clock again
        clock = await _clock(client)
        assert (clock["problem"], clock["set_by_hand"]) == ("not_synchronized", False)


async def test_the_nightly_work_runs_at_night_on_the_time_given(app, client):
    """The history is pruned at 04:30 in the store, off the busy hours: on the box's clock,
    not on a system clock ten hours behind it (which would prune at 14:30, mid-service)."""
    box = app.state.box
    with freeze_time("2027-01-11 17:00:00", tick=True):
        manager = await sign_in(client, "manager")
        assert (await _set(client, manager, "2027-01-12T03:00:00Z")).status_code == 200
        nightly = box.housekeeping.scheduler.get_job("prune-nightly").next_run_time
    # 04:30 on the box's clock (Lisbon is on UTC in January), 10 hours earlier on the system's
    assert nightly.astimezone(UTC).strftime("%Y-%m-%d %H:%M") == "2027-01-11 18:30"


async def test_the_nightly_work_runs_at_night_in_the_stores_time_zone(settings):
    """04:30 is the store's: a Tokyo store's box on a system running on UTC (as the appliance
    and this machine do) prunes at 19:30 UTC. The nightly trigger took the system's zone: 04:30
    UTC, 13:30 in Tokyo, mid-service."""
    with freeze_time("2027-01-11 12:00:00", tick=True):
        application = create_app(settings)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://edge") as http:
                manager = await sign_in(http, "manager")
                moved = await http.patch(
                    "/api/store", json={"timezone": "Asia/Tokyo"}, headers=manager
                )
                assert moved.status_code == 200, moved.text
        application = create_app(settings)  # the box started again in Tokyo's time
        async with application.router.lifespan_context(application):
            scheduler = application.state.box.housekeeping.scheduler
            nightly = scheduler.get_job("prune-nightly").next_run_time
    assert nightly.astimezone(UTC).strftime("%Y-%m-%d %H:%M") == "2027-01-11 19:30"
