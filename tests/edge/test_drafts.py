"""The shared cart and its way to the kitchen: every move of the draft state machine and each
refusal, idempotent Send, direct mode, alerts, and a guest feed that carries only its own
table; on the demo store over real HTTP (and a real websocket), time moved with freezegun."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
from freezegun import freeze_time

from edge.api.app import create_app
from edge.domain import drafts
from tests.clock import advance
from tests.conftest import sign_in
from tests.edge.guest_helpers import Phone, open_all_day, qr_token, qr_token_in
from tests.edge.menu_helpers import item, menu, modifier
from tests.live import feed, serve

NOON = "2026-11-20 12:00:00"


@pytest.fixture
async def table(quiet):
    """Two phones at table 3 and a signed-in waiter; the frozen clock."""
    app, client = quiet
    with freeze_time(NOON, tick=True) as frozen:
        first, second = Phone(client), Phone(client)
        qr = qr_token(app.state.box, "3")
        assert (await first.scan(qr)).status_code == 201
        assert (await second.scan(qr)).status_code == 200
        waiter = await sign_in(client, "waiter")
        yield client, first, second, waiter, frozen


async def _menu(client) -> dict:
    return await menu(client)


async def test_each_phone_adds_to_one_cart_priced_here(table):
    client, first, second, _, _ = table
    food = await _menu(client)
    steak = item(food, "Ribeye steak 300g")
    rare, sweet = modifier(food, "How cooked", "Rare"), modifier(food, "Side", "Sweet potato")
    await first.call("POST", "/api/guest/join", {"nickname": "Ana"})
    await second.call("POST", "/api/guest/join", {"nickname": "Rui"})
    line = {"modifier_ids": [rare["id"], sweet["id"]], "quantity": 2, "note": "no salt"}
    added = await first.add(steak["id"], **line, price=1, unit_price=1, amount=2)
    assert added.status_code == 201, added.text
    prawns = item(food, "Garlic prawns")
    view = (await second.add(prawns["id"])).json()
    cart = view["drafts"][-1]
    assert cart["status"] == "open"
    assert [(li["name"], li["added_by"], li["amount"]) for li in cart["lines"]] == [
        ("Ribeye steak 300g", "Ana", 2 * (2650 + 150)),
        ("Garlic prawns", "Rui", 950),
    ]
    assert cart["total"] == 2 * 2800 + 950
    assert [(m["nickname"], m["is_host"]) for m in view["members"]] == [
        ("Ana", True),
        ("Rui", False),
    ]
    too_few = await first.add(steak["id"], modifier_ids=[rare["id"]])
    assert too_few.status_code == 422 and too_few.json()["error"]["code"] == "modifier_choices"
    fries = modifier(food, "Side", "Fries")
    line_id = cart["lines"][0]["id"]
    choices = {"modifier_ids": [rare["id"], fries["id"]], "unit_price": 1}
    changed = await second.call("PATCH", f"/api/guest/cart/{line_id}", choices)
    assert changed.status_code == 200, changed.text
    steak_line = changed.json()["drafts"][-1]["lines"][0]
    assert [m["name"] for m in steak_line["modifiers"]] == ["Rare", "Fries"]
    assert (steak_line["unit_price"], steak_line["amount"]) == (2650, 2 * 2650)


async def test_a_sold_out_dish_is_refused(table):
    client, first, _, waiter, _ = table
    prawns = item(await _menu(client), "Garlic prawns")["id"]
    off = await client.put(
        f"/api/menu/items/{prawns}/availability", headers=waiter, json={"available": False}
    )
    assert off.status_code == 200
    refused = await first.add(prawns)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "item_unavailable"


async def test_a_dish_sold_out_while_in_the_cart_is_not_sent(table):
    """The kitchen 86s a dish a table has in its cart: Send went through, and the waiter (or,
    direct, the kitchen's order) met the refusal later, the guests none the wiser. Send says
    which dish, and the cart stays open to take it out."""
    client, first, _, waiter, _ = table
    food = await _menu(client)
    prawns, burrata = item(food, "Garlic prawns")["id"], item(food, "Burrata")["id"]
    await first.add(prawns)
    await first.add(burrata)
    off = await client.put(
        f"/api/menu/items/{burrata}/availability", headers=waiter, json={"available": False}
    )
    assert off.status_code == 200
    refused = await first.call("POST", "/api/guest/send")
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["item_id"]) == ("item_unavailable", burrata)
    assert "Burrata" in error["message"]
    assert (await first.table())["drafts"][-1]["status"] == "open"
    assert (await client.get("/api/drafts", headers=waiter)).json() == []


async def test_the_draft_goes_through_each_state_and_refuses_the_others(table):
    client, first, second, waiter, frozen = table
    other = await sign_in(client, "manager")
    prawns = item(await _menu(client), "Garlic prawns")["id"]
    empty = await first.call("POST", "/api/guest/send")
    assert empty.status_code == 409 and empty.json()["error"]["code"] == "nothing_to_send"
    await first.add(prawns)
    sent = await first.call("POST", "/api/guest/send")
    assert sent.status_code == 200, sent.text
    draft = sent.json()["drafts"][-1]
    assert draft["status"] == "submitted"
    again = await first.call("POST", "/api/guest/send")
    assert again.status_code == 409 and again.json()["error"]["state"] == "submitted"
    assert "submitted" in again.json()["error"]["message"]

    inbox = (await client.get("/api/drafts", headers=waiter)).json()
    assert [d["id"] for d in inbox] == [draft["id"]] and inbox[0]["table_name"] == "3"
    line = (await second.add(prawns, note="more")).json()["drafts"][-1]
    assert line["status"] == "updated"

    locked = await client.post(f"/api/drafts/{draft['id']}/lock", headers=waiter)
    assert locked.status_code == 200 and locked.json()["status"] == "in_review"
    assert locked.json()["locked_by_name"] == "Walter Costa"
    held = await second.add(prawns)
    assert held.status_code == 409 and held.json()["error"]["state"] == "in_review"
    stolen = await client.post(f"/api/drafts/{draft['id']}/confirm", headers=other)
    assert stolen.status_code == 409 and "Walter Costa" in stolen.json()["error"]["message"]

    # the waiter walks away: the lock lapses, guests may change it again
    advance(frozen, timedelta(seconds=drafts.LOCK_SECONDS + 60))
    lapsed = await second.add(prawns)
    assert lapsed.status_code == 201, lapsed.text
    assert lapsed.json()["drafts"][-1]["status"] == "updated"

    relocked = (await client.post(f"/api/drafts/{draft['id']}/lock", headers=other)).json()
    extra = relocked["lines"][-1]["id"]
    edited = await client.patch(f"/api/draft-lines/{extra}", headers=other, json={"quantity": 3})
    assert edited.status_code == 200 and edited.json()["lines"][-1]["amount"] == 3 * 950
    removed = await client.delete(f"/api/draft-lines/{extra}", headers=other)
    assert len(removed.json()["lines"]) == 2
    confirmed = await client.post(f"/api/drafts/{draft['id']}/confirm", headers=other)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["order_number"] >= 1
    twice = await client.post(f"/api/drafts/{draft['id']}/confirm", headers=waiter)
    assert twice.status_code == 409 and twice.json()["error"]["state"] == "confirmed"

    order = (await client.get(f"/api/orders/{confirmed.json()['order_id']}", headers=waiter)).json()
    assert [(li["name"], li["state"]) for li in order["lines"]] == [("Garlic prawns", "sent")] * 2
    assert order["table_name"] == "3"
    seen = await first.table()
    assert seen["order"]["number"] == order["number"]
    assert seen["order"]["progress"] == "cooking"  # the kitchen's tickets say

    # the next round goes on the same order
    await first.add(prawns)
    nxt = (await first.call("POST", "/api/guest/send")).json()["drafts"][-1]
    rejected = await client.post(
        f"/api/drafts/{nxt['id']}/reject", headers=waiter, json={"reason": "Kitchen closing"}
    )
    assert rejected.json()["status"] == "rejected"
    assert (await second.table())["drafts"][-1]["reject_reason"] == "Kitchen closing"
    no_reason = await client.post(f"/api/drafts/{nxt['id']}/reject", headers=waiter, json={})
    assert no_reason.status_code == 422
    await first.add(prawns)
    third = (await first.call("POST", "/api/guest/send")).json()["drafts"][-1]
    done = await client.post(f"/api/drafts/{third['id']}/confirm", headers=waiter)
    assert done.json()["order_id"] == confirmed.json()["order_id"]


async def test_a_send_retried_with_its_key_makes_one_order(table):
    client, first, _, waiter, _ = table
    owner = await sign_in(client, "owner")
    await client.patch("/api/store", headers=owner, json={"qr_mode": "direct"})
    prawns = item(await _menu(client), "Garlic prawns")["id"]
    await first.add(prawns, quantity=2)
    key = {"Idempotency-Key": "send-1"}
    sent = await first.call("POST", "/api/guest/send", **key)
    retried = await first.call("POST", "/api/guest/send", **key)
    assert sent.status_code == retried.status_code == 200
    assert retried.headers["Idempotent-Replayed"] == "true" and retried.content == sent.content
    draft = sent.json()["drafts"][-1]
    assert draft["status"] == "confirmed"  # direct: at once
    orders = (await client.get("/api/orders", headers=waiter)).json()
    assert [o["id"] for o in orders if o["table_name"] == "3"] == [draft["order_id"]]
    order = (await client.get(f"/api/orders/{draft['order_id']}", headers=waiter)).json()
    assert order["opened_by"] == "qr" and order["lines"][0]["state"] == "sent"


async def test_call_waiter_and_bill_alerts_reach_the_tables_grid(table):
    client, first, _, waiter, _ = table
    await first.call("POST", "/api/guest/call-waiter")
    await first.call("POST", "/api/guest/ask-bill")
    grid = (await client.get("/api/floor", headers=waiter)).json()["tables"]
    three = next(t for t in grid if t["name"] == "3")
    assert three["state"] == "bill" and three["waiter_called_at"] and three["bill_asked_at"]
    assert next(t for t in grid if t["name"] == "4")["state"] == "free"
    seen = await client.post(
        f"/api/table-sessions/{three['session_id']}/acknowledge", headers=waiter
    )
    assert seen.status_code == 200
    grid = (await client.get("/api/floor", headers=waiter)).json()["tables"]
    three = next(t for t in grid if t["name"] == "3")
    assert three["state"] == "seated" and three["waiter_called_at"] is None


async def test_a_table_with_an_order_taken_by_staff_is_not_free_on_the_grid(table):
    """An order taken at the POS for a table (no QR session there) showed it "Free" to the
    waiters, who would seat new guests at it."""
    client, _, _, waiter, _ = table
    grid = (await client.get("/api/floor", headers=waiter)).json()["tables"]
    five = next(t for t in grid if t["name"] == "5")
    assert five["state"] == "free" and five["order_id"] is None
    prawns = item(await _menu(client), "Garlic prawns")["id"]
    body = {"kind": "table", "table_id": five["id"], "lines": [{"item_id": prawns}]}
    taken = await client.post("/api/orders", headers=waiter, json=body)
    assert taken.status_code == 201, taken.text
    grid = (await client.get("/api/floor", headers=waiter)).json()["tables"]
    five = next(t for t in grid if t["name"] == "5")
    assert five["state"] == "seated" and five["session_id"] is None
    assert (five["order_id"], five["order_number"]) == (taken.json()["id"], taken.json()["number"])
    assert five["seated_at"] == taken.json()["created_at"] and not five["unpaid_too_long"]
    sent = await client.post(f"/api/orders/{five['order_id']}/send", headers=waiter)
    assert sent.status_code == 200, sent.text
    grid = (await client.get("/api/floor", headers=waiter)).json()["tables"]
    assert next(t for t in grid if t["name"] == "5")["state"] == "kitchen"
    assert next(t for t in grid if t["name"] == "4")["state"] == "free"


async def test_a_guest_polls_only_its_own_tables_events(table):
    client, first, _, waiter, _ = table
    app_box = client._transport.app.state.box  # noqa: SLF001
    elsewhere = Phone(client)
    await elsewhere.scan(qr_token(app_box, "4"))
    prawns = item(await _menu(client), "Garlic prawns")["id"]
    await elsewhere.add(prawns)
    await first.add(prawns)
    await client.post(
        "/api/orders", headers=waiter, json={"kind": "counter", "lines": [{"item_id": prawns}]}
    )
    sent = (await first.call("POST", "/api/guest/send")).json()["drafts"][-1]
    confirmed = await client.post(f"/api/drafts/{sent['id']}/confirm", headers=waiter)
    order_id = confirmed.json()["order_id"]
    mine = (await first.table())["session_id"]
    polled = (await first.call("GET", "/api/guest/events?since=0")).json()
    sessions = {e["entity_id"] for e in polled["events"] if e["entity"] == "table_sessions"}
    assert sessions == {mine}
    orders = {e["entity_id"] for e in polled["events"] if e["entity"] == "orders"}
    assert orders == {order_id}  # its table's order (its lines ride in its events), no other
    assert {e["entity"] for e in polled["events"]} <= {
        "table_sessions",
        "session_members",
        "drafts",
        "draft_lines",
        "orders",
        "order_lines",
        "tickets",
        "store",  # a cue without fields: ordering paused, hours changed
        *MENU,
    }
    assert all(not e["fields"] for e in polled["events"] if e["entity"] == "store")
    fired = {e["fields"]["order_id"] for e in polled["events"] if e["entity"] == "tickets"}
    assert fired == {order_id}  # its own order's kitchen tickets, no other's


MENU = (
    "tax_rates",
    "menu_categories",
    "menu_items",
    "modifier_groups",
    "modifiers",
    "item_modifier_groups",
)


async def test_a_guest_socket_carries_its_table_live_and_resumes_after_a_drop(quiet_settings):
    """Two tables with a phone each: each phone's socket gets its own table's cart changes,
    never the other's nor staff events; a dropped socket resumes with ?since= and misses
    nothing."""
    with freeze_time(NOON, tick=True), serve(create_app(quiet_settings)) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            owner = await sign_in(http, "owner")
            await open_all_day(http, owner)
            box_db = quiet_settings.database
            here, there = Phone(http), Phone(http)
            await here.scan(qr_token_in(box_db, "3"))
            await there.scan(qr_token_in(box_db, "4"))
            prawns = item(await menu(http), "Garlic prawns")["id"]
            start = (await http.get("/healthz")).json()["last_seq"]
            async with (
                feed(base, here.token, f"since={start}", "/api/guest/ws") as mine,
                feed(base, there.token, f"since={start}", "/api/guest/ws") as theirs,
            ):
                await there.add(prawns)
                await http.post("/api/orders", headers=owner, json={"kind": "counter"})
                await here.add(prawns)
                got = [json.loads(await asyncio.wait_for(mine.recv(), 5)) for _ in range(2)]
                assert [e["entity"] for e in got] == ["drafts", "table_sessions"]
                assert got[0]["fields"]["draft_lines"][0]["item_id"] == prawns
                last = got[-1]["seq"]
                other = json.loads(await asyncio.wait_for(theirs.recv(), 5))
                assert other["entity"] == "drafts" and other["seq"] < last
            # dropped: meanwhile the other phone at the table changes the cart
            neighbour = Phone(http)
            await neighbour.scan(qr_token_in(box_db, "3"))
            await neighbour.add(prawns)
            async with feed(base, here.token, f"since={last}", "/api/guest/ws") as resumed:
                first = json.loads(await asyncio.wait_for(resumed.recv(), 5))
                assert first["entity"] == "session_members" and first["seq"] > last
            staff_token = owner["Authorization"].split()[1]
            async with feed(base, staff_token, "since=0", "/api/guest/ws") as staff:
                refused = json.loads(await asyncio.wait_for(staff.recv(), 5))
                assert refused["error"]["code"] == "guests_only"
            async with feed(base, here.token, "topics=orders", "/ws") as sneaky:
                refused = json.loads(await asyncio.wait_for(sneaky.recv(), 5))
                assert refused["error"]["code"] == "session_ended"  # no staff sign-in
