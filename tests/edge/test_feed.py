"""The realtime feed over a real websocket, resume with ?since=, polling, and the audit view."""

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect

from edge.app import create_app
from tests.conftest import sign_in
from tests.edge.menu_helpers import item, menu
from tests.live import serve


@pytest.fixture
def live(settings):
    with serve(create_app(settings)) as url:
        yield url


async def next_events(ws, n):
    return [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(n)]


async def test_websocket_resume_misses_nothing_and_repeats_nothing(live):
    async with httpx.AsyncClient(base_url=live) as client:
        headers = await sign_in(client, "waiter")
        token = headers["Authorization"].split()[1]
        m = await menu(client)
        cola = item(m, "Cola")["id"]
        start = (await client.get("/healthz")).json()["last_seq"]
        ws_url = live.replace("http", "ws") + f"/ws?token={token}&topics=orders&since={start}"

        async def order():
            response = await client.post(
                "/api/orders",
                headers=headers,
                json={"kind": "counter", "lines": [{"item_id": cola}]},
            )
            assert response.status_code == 201

        async with connect(ws_url) as ws:
            await order()  # one change, one event: the order with its lines
            first = await next_events(ws, 1)
        assert [e["entity"] for e in first] == ["orders"]
        assert first[0]["fields"]["order_lines"][0]["item_id"] == cola
        last_seen = first[-1]["seq"]

        for _ in range(3):  # made while this client is away
            await order()
        espresso = item(m, "Espresso")["id"]
        await client.put(
            f"/api/menu/items/{espresso}/availability", headers=headers, json={"available": False}
        )  # another topic: not sent on "orders"

        async with connect(ws_url.replace(f"since={start}", f"since={last_seen}")) as ws:
            missed = await next_events(ws, 3)
            await order()
            live_events = await next_events(ws, 1)
        seqs = [e["seq"] for e in missed + live_events]
        assert seqs == sorted(set(seqs)) and seqs[0] > last_seen
        assert all(e["entity"] == "orders" for e in missed + live_events)

        polled = (
            await client.get(f"/api/events?since={start}&topics=orders", headers=headers)
        ).json()
        assert [e["seq"] for e in polled["events"]] == [e["seq"] for e in first] + seqs
        assert polled["has_more"] is False


async def test_websocket_refuses_a_bad_token_and_a_forbidden_topic(live):
    ws_base = live.replace("http", "ws")
    async with connect(ws_base + "/ws?token=forged") as ws:
        refusal = json.loads(await ws.recv())
        await ws.wait_closed()
    assert refusal["error"]["code"] == "session_ended" and ws.close_code == 4401
    async with httpx.AsyncClient(base_url=live) as client:
        token = (await sign_in(client, "waiter"))["Authorization"].split()[1]
    async with connect(ws_base + f"/ws?token={token}&topics=staff") as ws:
        refusal = json.loads(await ws.recv())
        await ws.wait_closed()
    assert refusal["error"]["code"] == "forbidden" and ws.close_code == 4403


async def test_polling_pages_through_the_log(client, waiter):
    page = (await client.get("/api/events?since=0&limit=50&topics=menu", headers=waiter)).json()
    assert page["has_more"] is True and page["last_seq"] == 50
    assert all(
        e["entity"]
        in (
            "tax_rates",
            "menu_categories",
            "menu_items",
            "modifier_groups",
            "modifiers",
            "item_modifier_groups",
        )
        for e in page["events"]
    )
    unknown = await client.get("/api/events?topics=gossip", headers=waiter)
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_topic"


async def test_audit_filters_by_entity_actor_and_time(client, manager):
    m = await menu(client)
    cola = item(m, "Cola")["id"]
    await client.patch(f"/api/menu/items/{cola}", headers=manager, json={"price": 330})
    me = (await client.get("/api/me", headers=manager)).json()
    by_entity = (
        await client.get(f"/api/audit?entity=menu_items&entity_id={cola}", headers=manager)
    ).json()["events"]
    assert by_entity[0]["fields"] == {"price": 330}
    assert by_entity[0]["actor_name"] == "Marco Ferreira" and by_entity[-1]["op"] == "create"
    by_actor = (await client.get(f"/api/audit?actor={me['id']}", headers=manager)).json()
    assert {e["actor"] for e in by_actor["events"]} == {me["id"]}
    at = by_entity[0]["at"]
    window = (await client.get(f"/api/audit?from={at}&entity=menu_items", headers=manager)).json()[
        "events"
    ]
    assert [e["seq"] for e in window] == [by_entity[0]["seq"]]
    none = (await client.get("/api/audit?to=2000-01-01T00:00:00Z", headers=manager)).json()
    assert none["events"] == [] and none["next_before"] is None
