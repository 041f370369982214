"""Kitchen tickets: routing to stations, coursing, auto-fire, additions, voids, states, recall,
rush, moves, expo readiness, and a send that can never make a second set of tickets."""

from __future__ import annotations

import json

from freezegun import freeze_time

from edge.api.app import create_app
from edge.core import db
from edge.core.permissions import SYSTEM
from edge.domain import tickets
from tests.clock import advance
from tests.conftest import count, sign_in
from tests.edge.menu_helpers import item, menu, modifier, table_id


def rows(settings, sql, *args):
    conn = db.connect(settings.database, readonly=True)
    try:
        return [dict(row) for row in conn.execute(sql, args)]
    finally:
        conn.close()


async def order(client, headers, *names, send=True, table="3", **extra):
    m = await menu(client)
    floor = (await client.get("/api/tables", headers=headers)).json()
    lines = []
    for name in names:
        line = {"item_id": item(m, name)["id"]}
        if name == "Beef burger":
            line["modifier_ids"] = [
                modifier(m, "How cooked", "Medium")["id"],
                modifier(m, "Side", "Fries")["id"],
            ]
            line["seat"] = 2
            line["note"] = "no pickles"
        lines.append(line)
    answer = await client.post(
        "/api/orders",
        headers=headers,
        json={
            "kind": "table",
            "table_id": table_id(floor, table),
            "lines": lines,
            "send": send,
            **extra,
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def board(client, headers, station=None):
    query = f"?station={station}" if station else ""
    answer = await client.get(f"/api/tickets{query}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_one_fire_is_one_ticket_per_station_with_one_number(client, waiter, settings):
    cook = await sign_in(client, "kitchen", device="kds")
    sent = await order(client, waiter, "Cola", "Burrata", "Beef burger", "House red wine")
    bar = (await board(client, cook, "BAR"))["tickets"]
    kitchen = (await board(client, cook, "kitchen"))["tickets"]
    assert [t["station"] for t in bar] == ["BAR"] and [t["station"] for t in kitchen] == ["KITCHEN"]
    assert bar[0]["number"] == kitchen[0]["number"] == 1
    assert bar[0]["label"] == "Table 3" and bar[0]["order_number"] == sent["number"]
    assert [i["name"] for i in bar[0]["items"]] == ["Cola", "House red wine"]
    # Coursing: the starter fires with the drinks, the main is held.
    assert [i["name"] for i in kitchen[0]["items"]] == ["Burrata"]
    progress = (await client.get(f"/api/orders/{sent['id']}/kitchen", headers=waiter)).json()
    assert progress["held"] == ["MAINS"] and progress["state"] == "cooking"
    assert progress["stations"] == {"BAR": "cooking", "KITCHEN": "cooking"}
    # The next order's fire takes the next number of the business day.
    await order(client, waiter, "Espresso", table="4")
    numbers = [t["number"] for t in (await board(client, cook))["tickets"]]
    assert numbers == [1, 1, 2]
    # The kitchen printer prints each station's ticket from it (print workers are off here).
    jobs = rows(settings, "SELECT kind, source_entity FROM print_jobs ORDER BY seq")
    assert jobs == [{"kind": "kitchen_ticket", "source_entity": "orders"}] * 3


async def test_a_held_course_fires_with_details_and_then_nothing_is_held(client, waiter):
    cook = await sign_in(client, "kitchen", device="kds")
    sent = await order(client, waiter, "Burrata", "Beef burger", "Cheesecake")
    fired = await client.post(f"/api/orders/{sent['id']}/fire", headers=waiter, json={})
    assert fired.status_code == 200, fired.text
    assert fired.json()["held"] == ["DESSERTS"]
    mains = (await board(client, cook, "KITCHEN"))["tickets"][-1]
    assert mains["kind"] == "COURSE"
    (burger,) = mains["items"]
    assert burger["modifiers"] == ["Medium", "Fries"]
    assert (burger["seat"], burger["note"], burger["course"]) == (2, "no pickles", "MAINS")
    named = await client.post(
        f"/api/orders/{sent['id']}/fire", headers=cook, json={"course": "desserts"}
    )
    assert named.status_code == 200 and named.json()["held"] == []
    none = await client.post(f"/api/orders/{sent['id']}/fire", headers=waiter, json={})
    assert none.status_code == 409 and none.json()["error"]["code"] == "nothing_to_fire"
    cashier_cannot_bump = await client.post(
        f"/api/tickets/{mains['id']}/state", headers=waiter, json={"state": "READY"}
    )
    assert cashier_cannot_bump.status_code == 403


async def test_without_holding_a_send_fires_every_course(client, waiter, manager):
    changed = await client.patch(
        "/api/kitchen/settings", headers=manager, json={"hold_courses": False}
    )
    assert changed.status_code == 200 and changed.json()["hold_courses"] is False
    await order(client, waiter, "Burrata", "Beef burger", "Cheesecake")
    (kitchen,) = (await board(client, waiter, "KITCHEN"))["tickets"]
    assert [i["course"] for i in kitchen["items"]] == ["STARTERS", "MAINS", "DESSERTS"]
    bad = await client.patch(
        "/api/kitchen/settings", headers=manager, json={"warn_minutes": 20, "late_minutes": 10}
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "late_minutes"


async def test_lines_added_to_a_running_order_fire_as_add_or_are_held(client, waiter):
    cook = await sign_in(client, "kitchen", device="kds")
    sent = await order(client, waiter, "Burrata", "Beef burger")
    m = await menu(client)
    more = [{"item_id": item(m, name)["id"]} for name in ("Padrón peppers", "Pastel de nata")]
    await client.post(f"/api/orders/{sent['id']}/lines", headers=waiter, json={"lines": more})
    assert (await client.post(f"/api/orders/{sent['id']}/send", headers=waiter)).is_success
    kitchen = (await board(client, cook, "KITCHEN"))["tickets"]
    assert [t["kind"] for t in kitchen] == ["FIRE", "ADD"]
    assert [i["name"] for i in kitchen[1]["items"]] == ["Padrón peppers"]
    held = (await client.get(f"/api/orders/{sent['id']}/kitchen", headers=waiter)).json()["held"]
    assert held == ["MAINS", "DESSERTS"]


async def test_states_per_ticket_and_item_with_prep_times(client, waiter):
    cook = await sign_in(client, "kitchen", device="kds")
    with freeze_time("2026-11-20 12:00:00", tick=True) as clock:
        await order(client, waiter, "Burrata", "Padrón peppers")
        (ticket,) = (await board(client, cook, "KITCHEN"))["tickets"]
        first, second = ticket["items"]
        advance(clock, 60)
        answer = await client.post(
            f"/api/ticket-items/{first['id']}/state", headers=cook, json={"state": "READY"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == "IN_PROGRESS"
        advance(clock, 60)
        answer = await client.post(
            f"/api/ticket-items/{second['id']}/state", headers=cook, json={"state": "READY"}
        )
        assert answer.json()["state"] == "READY"
        back = await client.post(
            f"/api/tickets/{ticket['id']}/state", headers=cook, json={"state": "IN_PROGRESS"}
        )
        assert back.status_code == 409 and back.json()["error"]["code"] == "state_backwards"
        advance(clock, 30)
        bumped = await client.post(
            f"/api/tickets/{ticket['id']}/state", headers=cook, json={"state": "BUMPED"}
        )
    done = bumped.json()
    assert done["state"] == "BUMPED" and {i["state"] for i in done["items"]} == {"BUMPED"}
    assert done["fired_at"] < done["started_at"] < done["ready_at"] < done["bumped_at"]
    assert [i["ready_at"][11:19] for i in done["items"]] == ["12:01:00", "12:02:00"]
    views = await board(client, cook, "KITCHEN")
    assert views["tickets"] == [] and [t["id"] for t in views["bumped"]] == [ticket["id"]]


async def test_recall_rush_and_move(client, waiter, settings):
    cook = await sign_in(client, "kitchen", device="kds")
    await order(client, waiter, "Burrata", "Padrón peppers")
    (ticket,) = (await board(client, cook, "KITCHEN"))["tickets"]
    rushed = await client.patch(f"/api/tickets/{ticket['id']}", headers=cook, json={"rush": True})
    assert rushed.status_code == 200 and rushed.json()["rush"] is True
    peppers = next(i for i in ticket["items"] if i["name"] == "Padrón peppers")
    moved = await client.post(
        f"/api/ticket-items/{peppers['id']}/move", headers=cook, json={"station": "grill"}
    )
    assert moved.status_code == 200, moved.text
    grill = moved.json()
    assert (grill["station"], grill["kind"], grill["items"][0]["name"]) == (
        "GRILL",
        "MOVE",
        "Padrón peppers",
    )
    assert grill["items"][0]["fired_at"] == peppers["fired_at"]
    left = (await client.get(f"/api/tickets/{ticket['id']}", headers=cook)).json()
    assert [i["name"] for i in left["items"]] == ["Burrata"]
    again = await client.post(
        f"/api/ticket-items/{peppers['id']}/move", headers=cook, json={"station": "BAR"}
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_movable"
    await client.post(f"/api/tickets/{ticket['id']}/state", headers=cook, json={"state": "BUMPED"})
    recalled = await client.post(f"/api/tickets/{ticket['id']}/recall", headers=cook)
    assert recalled.status_code == 200 and recalled.json()["state"] == "READY"
    assert recalled.json()["bumped_at"] is None
    twice = await client.post(f"/api/tickets/{ticket['id']}/recall", headers=cook)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "not_bumped"


async def test_only_the_last_20_bumped_come_back(client, waiter):
    cook = await sign_in(client, "kitchen", device="kds")
    for _ in range(21):
        await order(client, waiter, "Espresso")
    ids = [t["id"] for t in (await board(client, cook, "BAR"))["tickets"]]
    for ticket_id in ids:
        await client.post(f"/api/tickets/{ticket_id}/state", headers=cook, json={"state": "BUMPED"})
    assert len((await board(client, cook, "BAR"))["bumped"]) == 20
    old = await client.post(f"/api/tickets/{ids[0]}/recall", headers=cook)
    assert old.status_code == 409 and old.json()["error"]["code"] == "too_old_to_recall"


async def test_a_board_answers_its_first_open_tickets_not_every_one(
    client, waiter, settings, monkeypatch
):
    """A kitchen that works from printed tickets bumps none: a year on, its board held every
    ticket of 90 days (27,000, 60 MB). It answers the first `BOARD_MOST` as the screen shows
    them: rushed first, then the oldest fire first."""
    monkeypatch.setattr(tickets, "BOARD_MOST", 2)
    cook = await sign_in(client, "kitchen", device="kds")
    for _ in range(3):
        await order(client, waiter, "Espresso")
    first, _, last = [r["id"] for r in rows(settings, "SELECT id FROM tickets ORDER BY number")]
    await client.patch(f"/api/tickets/{last}", headers=cook, json={"rush": True})
    for station in ("BAR", None):
        shown = (await board(client, cook, station))["tickets"]
        assert [t["id"] for t in shown] == [last, first]


async def test_expo_answers_its_first_orders_not_every_one(client, waiter, monkeypatch):
    """Expo listed every open order fired on the last day with tickets, each read ticket by
    ticket: a year-old store whose kitchen serves none (printed tickets, counter orders no till
    closes) answered 750 orders a load. Like a board, it answers the first `BOARD_MOST` orders
    still to be served, the oldest fire first; one served already is not among them."""
    monkeypatch.setattr(tickets, "BOARD_MOST", 2)
    expo_staff = await sign_in(client, "kitchen", device="expo")
    sent = [(await order(client, waiter, "Cola"))["id"] for _ in range(4)]
    bar = (await board(client, expo_staff, "BAR"))["tickets"][0]
    await client.post(
        f"/api/tickets/{bar['id']}/state", headers=expo_staff, json={"state": "READY"}
    )
    served = await client.post(f"/api/orders/{sent[0]}/served", headers=expo_staff)
    assert served.json()["state"] == "served"
    shown = (await client.get("/api/kitchen/expo", headers=expo_staff)).json()["orders"]
    assert [o["order_id"] for o in shown] == sent[1:3]


async def test_a_void_after_firing_strikes_the_item_and_prints_a_chit(client, waiter, settings):
    manager = await sign_in(client, "manager")
    sent = await order(client, waiter, "Burrata", "Beef burger")
    burrata, burger = sent["lines"]
    for line in (burrata, burger):
        voided = await client.post(
            f"/api/order-lines/{line['id']}/void", headers=manager, json={"reason": "guest left"}
        )
        assert voided.status_code == 200, voided.text
    (ticket,) = (await board(client, manager, "KITCHEN"))["tickets"]
    assert ticket["items"][0]["voided"] is True and ticket["state"] == "NEW"  # still bumped
    kinds = [row["kind"] for row in rows(settings, "SELECT kind FROM print_jobs ORDER BY seq")]
    assert kinds == ["kitchen_ticket", "void_chit"]  # the held burger was never cooked
    held = (await client.get(f"/api/orders/{sent['id']}/kitchen", headers=manager)).json()
    assert held["held"] == []


async def test_auto_fire_next_course_when_the_previous_is_bumped(client, waiter, manager, app):
    cook = await sign_in(client, "kitchen", device="kds")
    await client.patch("/api/kitchen/settings", headers=manager, json={"auto_fire": True})
    sent = await order(client, waiter, "Burrata", "Beef burger", "Cheesecake", "Cola")
    (starter,) = (await board(client, cook, "KITCHEN"))["tickets"]
    await client.post(f"/api/tickets/{starter['id']}/state", headers=cook, json={"state": "BUMPED"})
    (mains,) = (await board(client, cook, "KITCHEN"))["tickets"]
    assert mains["kind"] == "COURSE" and mains["items"][0]["name"] == "Beef burger"
    # With a delay: the box's timer fires it once the delay has passed (the clock moved).
    await client.patch("/api/kitchen/settings", headers=manager, json={"auto_fire_delay": 120})
    box = app.state.box
    box.auto_fire.stop()  # this test does what its timer does, at the times it chooses
    with freeze_time("2026-11-20 20:00:00", tick=True) as clock:
        await client.post(
            f"/api/tickets/{mains['id']}/state", headers=cook, json={"state": "BUMPED"}
        )
        assert (await board(client, cook, "KITCHEN"))["tickets"] == []
        assert not box.read_now(tickets.due)
        advance(clock, 119)
        assert await box.write(tickets.fire_due, SYSTEM) == 0
        advance(clock, 2)
        assert box.read_now(tickets.due)
        assert await box.write(tickets.fire_due, SYSTEM) == 1
    (dessert,) = (await board(client, cook, "KITCHEN"))["tickets"]
    assert dessert["items"][0]["name"] == "Cheesecake"
    progress = (await client.get(f"/api/orders/{sent['id']}/kitchen", headers=cook)).json()
    assert progress["held"] == []


async def test_expo_sees_readiness_and_marks_served(client, waiter, app):
    expo_staff = await sign_in(client, "kitchen", device="expo")
    sent = await order(client, waiter, "Cola", "Burrata")
    bar = (await board(client, expo_staff, "BAR"))["tickets"][0]
    await client.post(
        f"/api/tickets/{bar['id']}/state", headers=expo_staff, json={"state": "READY"}
    )
    (seen,) = (await client.get("/api/kitchen/expo", headers=expo_staff)).json()["orders"]
    assert seen["stations"] == {"BAR": "ready", "KITCHEN": "cooking"} and seen["label"] == "Table 3"
    early = await client.post(f"/api/orders/{sent['id']}/served", headers=expo_staff)
    assert early.status_code == 200 and early.json()["stations"]["BAR"] == "served"
    kitchen = (await board(client, expo_staff, "KITCHEN"))["tickets"][0]
    await client.post(
        f"/api/tickets/{kitchen['id']}/state", headers=expo_staff, json={"state": "BUMPED"}
    )
    assert (await client.get(f"/api/orders/{sent['id']}/kitchen", headers=waiter)).json()[
        "state"
    ] == "ready"
    served = await client.post(f"/api/orders/{sent['id']}/served", headers=expo_staff)
    assert served.json()["state"] == "served"
    box = app.state.box  # what the guests' pages read
    assert box.read_now(tickets.readiness, sent["id"]) == "served"
    unsent = await order(client, waiter, "Burrata", send=False)
    assert box.read_now(tickets.readiness, unsent["id"]) is None
    assert (await client.get("/api/kitchen/expo", headers=expo_staff)).json()["orders"] == []
    nothing = await client.post(f"/api/orders/{sent['id']}/served", headers=expo_staff)
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "nothing_ready"


async def test_a_send_replayed_three_times_makes_one_set_of_tickets(client, waiter, settings):
    sent = await order(client, waiter, "Cola", "Burrata", send=False)
    key = {"Idempotency-Key": "send-once-1", **waiter}
    answers = [await client.post(f"/api/orders/{sent['id']}/send", headers=key) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[1].headers.get("Idempotent-Replayed") == "true"
    unkeyed = await client.post(f"/api/orders/{sent['id']}/send", headers=waiter)
    assert unkeyed.status_code == 409 and unkeyed.json()["error"]["code"] == "nothing_to_send"
    assert (
        count(settings.database, "tickets") == 2 and count(settings.database, "ticket_items") == 2
    )
    # A restart makes nothing again: the tickets were made in the send's own transaction.
    restarted = create_app(settings)
    async with restarted.router.lifespan_context(restarted):
        pass
    assert count(settings.database, "tickets") == 2
    # The events carry the items, for the screens and the hub.
    (event,) = rows(
        settings,
        "SELECT fields FROM events WHERE entity = 'tickets' AND op = 'create'"
        " AND fields LIKE '%BAR%'",
    )
    assert json.loads(event["fields"])["ticket_items"][0]["name"] == "Cola"


async def test_stations_are_configured_by_managers(client, manager, waiter):
    made = await client.post(
        "/api/stations", headers=manager, json={"code": "grill", "name": "Grill"}
    )
    assert made.status_code == 201, made.text
    twice = await client.post("/api/stations", headers=manager, json={"code": "GRILL", "name": "G"})
    # refused as a table's name taken is, and as the hub refuses an owner's (422, the field)
    assert twice.status_code == 422 and twice.json()["error"]["code"] == "station_exists"
    assert twice.json()["error"]["field"] == "code"
    refused = await client.post("/api/stations", headers=waiter, json={"code": "X", "name": "X"})
    assert refused.status_code == 403
    kitchen = (await client.get("/api/kitchen", headers=waiter)).json()
    codes = [s["code"] for s in kitchen["stations"]]
    assert "GRILL" in codes and "BAR" in codes and "KITCHEN" in codes
    assert kitchen["settings"]["warn_minutes"] == 8


async def test_a_bad_station_is_a_bad_query(client, waiter):
    answer = await client.get("/api/tickets?station=no%20such", headers=waiter)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_query"


async def test_the_screens_reads_use_an_index(client, waiter, settings):
    """The board, expo, the timer's look and an order's held lines each seek an index, never
    walk a table (checked on the query plan of every statement they run)."""
    await order(client, waiter, "Cola", "Burrata", "Beef burger")
    conn = db.connect(settings.database, readonly=True)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        order_id = conn.execute("SELECT id FROM orders").fetchone()[0]
        tickets.board(conn, "BAR", 0)
        tickets.board(conn, None, 0)
        tickets.due(conn)
        tickets.progress(conn, order_id)
        tickets.expo(conn, 0)
        conn.set_trace_callback(None)
        walks = []
        for sql in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"):
                step = row[3]  # a partial index walked is fine: it holds only what is open
                if step.startswith("SCAN ") and " INDEX " not in step:
                    walks.append((sql, step))
    finally:
        conn.close()
    assert walks == []
