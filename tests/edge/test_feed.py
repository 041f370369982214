"""The realtime feed over a real websocket, resume with ?since=, polling, and the audit view."""

import asyncio
import json
import re
import threading
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from edge.api.app import create_app
from edge.core.events import ENTITIES
from edge.domain import print_queue, printer_status
from edge.domain.audit import SUBJECTS
from edge.runtime.realtime import TOPICS
from tests.conftest import sign_in
from tests.edge.menu_helpers import item, menu, table_id
from tests.edge.test_contract import assert_error_shape
from tests.live import feed, serve


@pytest.fixture
def live(settings):
    with serve(create_app(settings)) as url:
        yield url


def test_every_declared_entity_has_a_topic_one_may_follow_and_is_named_in_the_audit():
    """A table added to `sync.entities` is broadcast on a topic the feed serves; the audit
    names what each of its rows is about (`SUBJECTS`), or says it in the declared noun."""
    assert {entity.topic for entity in ENTITIES.values()} <= TOPICS.keys()
    assert SUBJECTS.keys() <= ENTITIES.keys()


async def next_events(ws, n):
    return [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(n)]


async def test_websocket_resume_misses_nothing_and_repeats_nothing(live):
    async with httpx.AsyncClient(base_url=live) as client:
        headers = await sign_in(client, "waiter")
        token = headers["Authorization"].split()[1]
        m = await menu(client)
        cola = item(m, "Cola")["id"]
        start = (await client.get("/healthz")).json()["last_seq"]

        async def order():
            response = await client.post(
                "/api/orders",
                headers=headers,
                json={"kind": "counter", "lines": [{"item_id": cola}]},
            )
            assert response.status_code == 201

        async with feed(live, token, f"topics=orders&since={start}") as ws:
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

        async with feed(live, token, f"topics=orders&since={last_seen}") as ws:
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
    async with feed(live, "forged") as ws:
        refusal = json.loads(await ws.recv())
        await ws.wait_closed()
    assert refusal["error"]["code"] == "session_ended" and ws.close_code == 4401
    async with httpx.AsyncClient(base_url=live) as client:
        token = (await sign_in(client, "waiter"))["Authorization"].split()[1]
    async with feed(live, token, "topics=staff") as ws:
        refusal = json.loads(await ws.recv())
        await ws.wait_closed()
    assert refusal["error"]["code"] == "forbidden" and ws.close_code == 4403


async def test_polling_pages_through_the_log(client, waiter):
    page = (await client.get("/api/events?since=0&limit=50&topics=menu", headers=waiter)).json()
    assert page["has_more"] is True and page["last_seq"] == 50
    menu_entities = {entity.name for entity in ENTITIES.values() if entity.topic == "menu"}
    assert "menu_items" in menu_entities and "orders" not in menu_entities
    assert all(e["entity"] in menu_entities for e in page["events"])
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


async def test_the_feed_serves_a_committed_event_only_once_it_is_on_disk(settings):
    """The writer commits before the WAL is flushed, and reads may see that row; the feed, the
    audit and /healthz do not: an event a client saw must never vanish in a power cut and come
    back as another under the same seq."""
    armed, flushing, release = threading.Event(), threading.Event(), threading.Event()

    def slow_disk() -> None:
        if armed.is_set():
            flushing.set()
            release.wait(10)

    application = create_app(settings, after_sync=slow_disk)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
            boss = await sign_in(client, "manager")
            cola = item(await menu(client), "Cola")["id"]
            start = (await client.get("/healthz")).json()["last_seq"]
            armed.set()
            change = asyncio.ensure_future(
                client.patch(f"/api/menu/items/{cola}", headers=boss, json={"price": 999})
            )
            try:
                await asyncio.to_thread(flushing.wait, 10)
                box = application.state.box
                price = await box.read(
                    lambda conn: conn.execute(
                        "SELECT price FROM menu_items WHERE id = ?", (cola,)
                    ).fetchone()[0]
                )
                assert price == 999  # committed
                feed = (await client.get(f"/api/events?since={start}", headers=boss)).json()
                assert feed["events"] == [] and feed["last_seq"] == start
                assert (await client.get("/healthz")).json()["last_seq"] == start
                trail = (await client.get("/api/audit?limit=1", headers=boss)).json()["events"]
                assert trail[0]["seq"] == start
                assert not change.done()
            finally:
                armed.clear()
                release.set()
            assert (await change).status_code == 200
            feed = (await client.get(f"/api/events?since={start}", headers=boss)).json()
            assert [e["fields"] for e in feed["events"]] == [{"price": 999}]
            trail = (await client.get(f"/api/audit?after={start}", headers=boss)).json()
            assert [e["fields"] for e in trail["events"]] == [{"price": 999}]


# --- the audit page's reads: several entities, hiding printing, names for each row ----------


async def audit_rows(client, headers, query=""):
    response = await client.get(f"/api/audit?limit=500&{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["events"]


async def test_audit_finds_or_hides_printing_but_keeps_the_cash_drawer(quiet):
    app, client = quiet
    box = app.state.box
    boss = await sign_in(client, "manager")
    printers = {p["name"]: p for p in (await client.get("/api/printers", headers=boss)).json()}
    kitchen = printers["Kitchen pass"]["id"]
    test = await client.post(f"/api/printers/{kitchen}/test", headers=boss)
    assert test.status_code == 201, test.text
    job = test.json()["id"]
    await box.write(print_queue.mark_sending, job)
    await box.write(print_queue.mark_printed, job)
    await box.write(printer_status.record, kitchen, None, "connect failed")
    await client.post("/api/shifts", headers=boss, json={"float": 0})
    drawer = await client.post("/api/drawer/open", headers=boss, json={"reason": "float"})
    assert drawer.status_code == 201, drawer.text
    cola = item(await menu(client), "Cola")["id"]
    sold_out = await client.put(
        f"/api/menu/items/{cola}/availability", headers=boss, json={"available": False}
    )
    assert sold_out.status_code == 200, sold_out.text

    printing = await audit_rows(client, boss, "entity=printers,printer_status,print_jobs")
    assert {e["entity"] for e in printing} == {"printers", "printer_status", "print_jobs"}
    of_job = [e for e in printing if e["entity_id"] == job]
    # its claim (`sending`) is no event: the job was queued, then printed
    assert [e["fields"].get("state") for e in of_job] == ["printed", "queued"]
    # Every row of the job says what it is and where, though an update only has its state.
    about = {"kind": "test_page", "printer": "Kitchen pass"}
    assert of_job[0]["context"] == about
    assert of_job[1]["context"] == {**about, "names": {"printer_id": "Kitchen pass"}}
    offline = next(e for e in printing if e["entity"] == "printer_status")
    assert offline["fields"]["online"] is False and offline["actor"] is None
    assert offline["context"] == {"name": "Kitchen pass"} and offline["entity_id"] == kitchen

    # Hidden: every printer and print job row but the drawer opening, a cash event.
    everyday = await audit_rows(client, boss, "hide=printing")
    kept = [e for e in everyday if e["entity"] in ("printers", "printer_status", "print_jobs")]
    assert [(e["op"], e["fields"]["kind"], e["fields"]["note"]) for e in kept] == [
        ("create", "drawer", "float")
    ]
    assert kept[0]["context"]["printer"] == "Counter receipt"
    assert everyday[0]["entity"] == "menu_items" and everyday[0]["context"] == {"name": "Cola"}
    # Hiding printing inside a list that asks for it leaves the drawer alone.
    both = await audit_rows(client, boss, "entity=print_jobs,menu_items&hide=printing")
    assert [e["entity"] for e in both[:2]] == ["menu_items", "print_jobs"]
    assert {e["entity"] for e in both} == {"menu_items", "print_jobs"}


async def test_audit_rows_name_orders_lines_tables_and_references(quiet):
    app, client = quiet
    boss = await sign_in(client, "manager")
    m = await menu(client)
    floor = (await client.get("/api/tables", headers=boss)).json()
    four = table_id(floor, "4")
    burger = item(m, "Beef burger")
    sides = next(g for g in m["modifier_groups"] if g["name"] == "Side")
    doneness = next(g for g in m["modifier_groups"] if g["name"] == "How cooked")
    order = await client.post(
        "/api/orders",
        headers=boss,
        json={
            "kind": "table",
            "table_id": four,
            "send": True,
            "lines": [
                {"item_id": item(m, "Cola")["id"], "quantity": 2},
                {
                    "item_id": burger["id"],
                    "modifier_ids": [doneness["modifiers"][0]["id"], sides["modifiers"][0]["id"]],
                },
            ],
        },
    )
    assert order.status_code == 201, order.text
    number = order.json()["number"]
    cola_line = order.json()["lines"][0]["id"]
    voided = await client.post(
        f"/api/order-lines/{cola_line}/void", headers=boss, json={"reason": "spilled"}
    )
    assert voided.status_code == 200, voided.text
    off = await client.patch(f"/api/tables/{four}", headers=boss, json={"enabled": False})
    assert off.status_code == 200, off.text

    rows = await audit_rows(client, boss, "entity=orders,order_lines,tables,print_jobs")
    table_row, retotal, void, *rest = rows
    assert table_row["context"] == {"name": "4", "area": "Dining room"}
    assert [row["noun"] for row in rows[:3]] == ["table", "order", "order line"]  # declared
    assert table_row["fields"] == {"enabled": False}
    assert retotal["entity"] == "orders" and retotal["op"] == "update"
    assert retotal["context"] == {"order_number": number, "order_kind": "table", "table": "4"}
    day = void["fields"].pop("void_day")  # the business day it was voided on (the reports')
    assert void["fields"] == {"state": "voided", "void_reason": "spilled"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", day)
    assert void["context"] == {
        "name": "Cola",
        "quantity": 2,
        "order_number": number,
        "table": "4",
    }
    created = next(e for e in rest if e["entity"] == "orders" and e["op"] == "create")
    assert created["context"]["names"] == {"table_id": "4"}
    tickets = [e for e in rest if e["entity"] == "print_jobs"]
    assert tickets and all(
        e["context"]["kind"] in ("kitchen_ticket", "void_chit")
        and e["context"]["order_number"] == number
        and e["context"]["table"] == "4"
        for e in tickets
    )
    assert {e["context"]["station"] for e in tickets} == {"KITCHEN", "BAR"}
    chit = next(e for e in tickets if e["context"]["kind"] == "void_chit")
    assert chit["context"]["item"] == "Cola" and chit["context"]["station"] == "BAR"


@pytest.mark.parametrize(
    "query",
    ["entity=gossip", "entity=orders,gossip", "hide=everything", "from=yesterday", "to=22/11"],
)
async def test_audit_refuses_bad_filters_in_the_json_error_shape(client, manager, query):
    response = await client.get(f"/api/audit?{query}", headers=manager)
    assert_error_shape(response)
    assert response.json()["error"]["code"] == "bad_query"


async def test_audit_catches_up_after_the_newest_row_shown(client, manager):
    shown = (await client.get("/api/audit?limit=1", headers=manager)).json()["events"][0]
    m = await menu(client)
    for name, price in (("Cola", 310), ("Cola", 320), ("Espresso", 150)):
        await client.patch(
            f"/api/menu/items/{item(m, name)['id']}", headers=manager, json={"price": price}
        )
    newer = (await client.get(f"/api/audit?after={shown['seq']}", headers=manager)).json()
    assert [e["fields"] for e in newer["events"]] == [
        {"price": 150},
        {"price": 320},
        {"price": 310},
    ]
    assert newer["events"][-1]["seq"] == shown["seq"] + 1  # newest first, down to the next one
    filtered = (
        await client.get(
            f"/api/audit?after={shown['seq']}&entity_id={item(m, 'Espresso')['id']}",
            headers=manager,
        )
    ).json()["events"]
    assert [e["fields"] for e in filtered] == [{"price": 150}]
    bad = await client.get("/api/audit?after=-1", headers=manager)
    assert_error_shape(bad)
    assert bad.json()["error"]["code"] == "bad_query"


async def test_audit_times_with_an_offset_mean_the_same_instant(client, manager):
    latest = (await client.get("/api/audit?limit=5", headers=manager)).json()["events"]
    at = datetime.fromisoformat(latest[0]["at"])
    lisbon_summer = at.astimezone(timezone(timedelta(hours=1))).isoformat()
    query = {"from": lisbon_summer, "to": (at + timedelta(milliseconds=1)).isoformat()}
    window = (await client.get("/api/audit", params=query, headers=manager)).json()["events"]
    # the sign-in and its device's last sign-in: one transaction, one instant
    assert [e["seq"] for e in window] == [e["seq"] for e in latest if e["at"] == latest[0]["at"]]


async def test_openapi_lists_the_audit_filters(client):
    spec = (await client.get("/openapi.json")).json()
    params = {p["name"]: p["schema"] for p in spec["paths"]["/api/audit"]["get"]["parameters"]}
    assert params["hide"]["enum"] == ["printing"]
    assert re.fullmatch(params["entity"]["pattern"], "printers,print_jobs")
    assert not re.fullmatch(params["entity"]["pattern"], "printers,gossip")
    assert params["from"]["format"] == "date-time"


async def test_audit_names_the_printer_and_the_error_of_the_moment(quiet):
    app, client = quiet
    boss = await sign_in(client, "manager")
    printers = {p["name"]: p for p in (await client.get("/api/printers", headers=boss)).json()}
    kitchen, counter = printers["Kitchen pass"]["id"], printers["Counter receipt"]["id"]
    backed = await client.patch(
        f"/api/printers/{kitchen}", headers=boss, json={"backup_printer_id": counter}
    )
    assert backed.status_code == 200, backed.text
    job = (await client.post(f"/api/printers/{kitchen}/test", headers=boss)).json()["id"]
    for _ in range(3):  # the same error each time; the third attempt moves the job
        await app.state.box.write(
            lambda conn: print_queue.mark_failed(
                conn,
                job,
                "connect failed: refused",
                not_ready=False,
                config_error=False,
                maybe_printed=False,
            )
        )

    rows = await audit_rows(client, boss, f"entity=print_jobs&entity_id={job}")
    moved, third, second, first, created = rows
    assert moved["fields"]["printer_id"] == counter
    assert moved["context"]["printer"] == "Counter receipt"
    assert moved["context"]["names"] == {
        "printer_id": "Counter receipt",
        "rerouted_from": "Kitchen pass",
    }
    assert first["fields"]["last_error"] == "connect failed: refused"
    for attempt in (third, second):
        assert "last_error" not in attempt["fields"]
    for attempt in (third, second, first):
        assert attempt["context"]["printer"] == "Kitchen pass"  # where it failed, then
        assert attempt["context"]["last_error"] == "connect failed: refused"
    assert created["context"]["printer"] == "Kitchen pass"
    assert "last_error" not in created["context"]
