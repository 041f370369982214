"""The prep-time report: per station and per item, fired -> ready and ready -> bumped, over the
business days asked, from the times the tickets recorded (moved items once, voided ones not)."""

from __future__ import annotations

from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st

from edge.domain.prep_times import summary, summary_of_runs
from tests.conftest import sign_in
from tests.edge.test_tickets import board, order

REPORT = "/api/kitchen/prep-times"


async def _post(client, headers, path, body):
    answer = await client.post(path, headers=headers, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_prep_times_per_station_and_item(client, waiter, manager):
    cook = await sign_in(client, "kitchen", device="kds")
    with freeze_time("2026-11-20 12:00:00", tick=False) as clock:
        first = await order(client, waiter, "Burrata", "Padrón peppers", "Cola")
        day = first["business_day"]
        kitchen = (await board(client, cook, "KITCHEN"))["tickets"][0]
        burrata, peppers = kitchen["items"]
        (bar,) = (await board(client, cook, "BAR"))["tickets"]
        clock.tick(60)  # 12:01 the burrata is ready, the peppers go to the grill
        await _post(client, cook, f"/api/ticket-items/{burrata['id']}/state", {"state": "READY"})
        grill = await _post(
            client, cook, f"/api/ticket-items/{peppers['id']}/move", {"station": "GRILL"}
        )
        clock.tick(30)  # 12:01:30 the bar bumps its cola straight from NEW
        await _post(client, cook, f"/api/tickets/{bar['id']}/state", {"state": "BUMPED"})
        clock.tick(90)  # 12:03 the burrata is bumped, the peppers ready
        await _post(client, cook, f"/api/tickets/{kitchen['id']}/state", {"state": "BUMPED"})
        await _post(client, cook, f"/api/tickets/{grill['id']}/state", {"state": "READY"})
        clock.tick(60)  # 12:04 a second order's burrata, then a voided cola (never counted)
        second = await order(client, waiter, "Burrata", "Cola", table="4")
        cola = second["lines"][1]
        voided = await client.post(
            f"/api/order-lines/{cola['id']}/void",
            headers=manager,
            json={"reason": "wrong table"},
        )
        assert voided.status_code == 200, voided.text
        again = next(
            t for t in (await board(client, cook, "KITCHEN"))["tickets"] if t["id"] != kitchen["id"]
        )
        clock.tick(300)  # 12:09 ready and bumped at once
        await _post(client, cook, f"/api/tickets/{again['id']}/state", {"state": "BUMPED"})

    answer = await client.get(REPORT, headers=manager, params={"from": day})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["from"], report["to"]) == (day, day)
    stations = {s["station"]: s for s in report["stations"]}
    assert sorted(stations) == ["BAR", "GRILL", "KITCHEN"]
    # The kitchen: the burratas took 60 s and 300 s to cook, then waited 120 s and none.
    assert stations["KITCHEN"]["items"] == 2
    assert stations["KITCHEN"]["fired_to_ready"] == {"count": 2, "median_s": 180.0, "p90_s": 300.0}
    assert stations["KITCHEN"]["ready_to_bumped"] == {"count": 2, "median_s": 60.0, "p90_s": 120.0}
    # The peppers count once, at the grill, from their first fire; ready, not bumped yet.
    assert stations["GRILL"]["fired_to_ready"] == {"count": 1, "median_s": 180.0, "p90_s": 180.0}
    assert stations["GRILL"]["ready_to_bumped"] == {"count": 0, "median_s": None, "p90_s": None}
    # The bar's cola, bumped from NEW: all its time was making it; the voided one is left out.
    assert stations["BAR"]["items"] == 1
    assert stations["BAR"]["fired_to_ready"]["median_s"] == 90.0
    items = {(i["station"], i["name"]): i for i in report["items"]}
    assert sorted(items) == [("BAR", "Cola"), ("GRILL", "Padrón peppers"), ("KITCHEN", "Burrata")]
    assert items["KITCHEN", "Burrata"]["fired_to_ready"]["p90_s"] == 300.0

    # Another range holds none of it; a cook may not read it; bad days are refused.
    other = await client.get(REPORT, headers=manager, params={"from": "2026-11-21"})
    assert other.status_code == 200 and other.json()["stations"] == []
    ranged = await client.get(REPORT, headers=manager, params={"from": "2026-11-01", "to": day})
    assert ranged.json()["stations"] == report["stations"]
    assert (await client.get(REPORT, headers=cook)).status_code == 403
    for params, field in (
        ({"from": "20-11-2026"}, "from"),
        ({"from": day, "to": "2026-11-19"}, "to"),
        ({"from": "2026-01-01", "to": "2026-12-31"}, "to"),
    ):
        bad = await client.get(REPORT, headers=manager, params=params)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == field, bad.text


def test_summary_median_and_nearest_rank_p90():
    assert summary([]) == {"count": 0, "median_s": None, "p90_s": None}
    assert summary([5.0]) == {"count": 1, "median_s": 5.0, "p90_s": 5.0}
    assert summary(range(1, 11)) == {"count": 10, "median_s": 5.5, "p90_s": 9}
    assert summary([30.0, 10.0, 20.0]) == {"count": 3, "median_s": 20.0, "p90_s": 30.0}


async def test_a_past_days_report_follows_a_change_to_its_tickets(client, waiter, manager):
    """A past day is read once and kept (`prep_times.Days`): a ticket of it moved on later (a
    kitchen bumping yesterday's board in the morning) is in the next report, not the day as it
    was first read."""
    cook = await sign_in(client, "kitchen", device="kds")
    with freeze_time("2026-11-20 12:00:00", tick=False) as clock:
        sent = await order(client, waiter, "Burrata")
        day = sent["business_day"]
        (ticket,) = (await board(client, cook, "KITCHEN"))["tickets"]
        clock.move_to("2026-11-21 12:00:00")  # the next day: the 20th is kept once read
        before = (await client.get(REPORT, headers=manager, params={"from": day})).json()
        assert before["stations"][0]["fired_to_ready"]["count"] == 0
        clock.move_to("2026-11-21 12:05:00")
        (item,) = ticket["items"]
        await _post(client, cook, f"/api/ticket-items/{item['id']}/state", {"state": "READY"})
        after = (await client.get(REPORT, headers=manager, params={"from": day})).json()
    (kitchen,) = after["stations"]
    assert kitchen["fired_to_ready"] == {"count": 1, "median_s": 86700.0, "p90_s": 86700.0}


@given(st.lists(st.lists(st.integers(0, 10**7), max_size=40), max_size=12))
def test_ranks_across_days_are_those_of_the_days_together(days):
    """A report over days finds its median and 90th percentile across each day's sorted spans
    without sorting them together: the same as of all of them in one run."""
    runs = [sorted(day) for day in days]
    together = sorted(value for day in days for value in day)
    assert summary_of_runs(runs) == summary_of_runs([together])
