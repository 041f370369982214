"""The feed's replay is bounded: a client asking from too far back is told to reload (4410 on
the websocket, 410 when polling), at once; a backlog within the bound, and a client too slow
for the live queue, are read from the database and never closed for it."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from collections.abc import Awaitable, Callable

import httpx
import pytest

from edge.api.app import create_app
from edge.core import events
from edge.core.events import Event
from edge.runtime import realtime
from tests.conftest import BOX, sign_in
from tests.edge.guest_helpers import open_all_day, qr_token_in
from tests.edge.menu_helpers import item, menu
from tests.live import feed, serve

LIMIT = 20


@pytest.fixture
def live(settings):
    with serve(create_app(dataclasses.replace(settings, feed_replay_limit=LIMIT))) as url:
        yield url


async def _waiter_ordering(
    client: httpx.AsyncClient,
) -> tuple[str, int, Callable[[], Awaitable[int]]]:
    """A signed-in waiter's token, the feed's last seq, and a call that sends a counter order of
    one Cola and returns its number."""
    headers = await sign_in(client, "waiter")
    token = headers["Authorization"].split()[1]
    cola = item(await menu(client), "Cola")["id"]
    start = (await client.get("/healthz")).json()["last_seq"]

    async def order() -> int:
        answer = await client.post(
            "/api/orders", headers=headers, json={"kind": "counter", "lines": [{"item_id": cola}]}
        )
        assert answer.status_code == 201
        return answer.json()["number"]

    return token, start, order


async def test_a_replay_from_too_far_back_is_told_to_reload(live):
    async with httpx.AsyncClient(base_url=live) as client:
        headers = await sign_in(client, "manager")
        token = headers["Authorization"].split()[1]
        last = (await client.get("/healthz")).json()["last_seq"]
        assert last > LIMIT  # the demo store

        async with feed(live, token, "since=0") as ws:
            refusal = json.loads(await asyncio.wait_for(ws.recv(), 10))
            await ws.wait_closed()
        assert ws.close_code == 4410
        assert refusal["error"]["code"] == "resync"
        assert refusal["error"]["last_seq"] == last

        polled = await client.get("/api/events?since=0", headers=headers)
        assert polled.status_code == 410
        assert polled.json()["error"]["code"] == "resync"
        assert polled.json()["error"]["last_seq"] == last

        # within the bound, both replay
        within = await client.get(f"/api/events?since={last - LIMIT}", headers=headers)
        assert within.status_code == 200
        assert within.json()["last_seq"] == last


async def test_a_since_the_box_never_reached_is_told_to_reload(live):
    """A screen that kept its last seq from another database (the box restored from a backup,
    or set up again) asked from ahead of the box: the feed answered nothing and said it was
    live, and every event up to that seq was skipped, a kitchen screen showing no new ticket
    for hours. It is told to reload, as one asking from too far back is."""
    async with httpx.AsyncClient(base_url=live) as client:
        token, last, order = await _waiter_ordering(client)
        headers = {"Authorization": f"Bearer {token}"}
        ahead = last + 500

        async with feed(live, token, f"since={ahead}") as ws:
            refusal = json.loads(await asyncio.wait_for(ws.recv(), 10))
            await ws.wait_closed()
        assert ws.close_code == 4410
        assert refusal["error"]["code"] == "resync" and refusal["error"]["last_seq"] == last

        polled = await client.get(f"/api/events?since={ahead}", headers=headers)
        assert polled.status_code == 410 and polled.json()["error"] == refusal["error"]
        at_the_end = await client.get(f"/api/events?since={last}", headers=headers)
        assert at_the_end.status_code == 200 and at_the_end.json()["events"] == []


async def test_a_guests_replay_from_too_far_back_is_told_to_reload_when_polling_too(live):
    """A phone polling the guest feed from 0 was served the box's whole history, page by page
    (each page's events looked up one by one on the event loop to find its table's), where its
    websocket is told to reload: both are now."""
    async with httpx.AsyncClient(base_url=live) as client:
        await open_all_day(client, await sign_in(client, "owner"))
        qr = qr_token_in(BOX["database"], "1")
        guest = (await client.post("/api/guest/scan", json={"token": qr})).json()["guest_token"]
        last = (await client.get("/healthz")).json()["last_seq"]
        assert last > LIMIT

        async with feed(live, guest, "since=0", "/api/guest/ws") as ws:
            refusal = json.loads(await asyncio.wait_for(ws.recv(), 10))
            await ws.wait_closed()
        assert ws.close_code == 4410 and refusal["error"]["code"] == "resync"

        headers = {"X-Galley-Guest": guest}
        polled = await client.get("/api/guest/events?since=0", headers=headers)
        assert polled.status_code == 410, polled.text
        assert polled.json()["error"] == refusal["error"]
        within = await client.get(f"/api/guest/events?since={last - LIMIT}", headers=headers)
        assert within.status_code == 200 and within.json()["last_seq"] == last


async def test_a_long_backlog_and_a_slow_client_are_read_from_the_database(live, monkeypatch):
    monkeypatch.setattr(realtime, "QUEUE_LIMIT", 2)  # far fewer than the orders made below
    async with httpx.AsyncClient(base_url=live) as client:
        token, start, order = await _waiter_ordering(client)

        async with feed(live, token, f"topics=orders&since={start}", max_queue=None) as ws:
            numbers = [await order() for _ in range(8)]  # the client reads none meanwhile
            got = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in numbers]
            numbers.append(await order())
            got.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
            assert ws.close_code is None
        seqs = [event["seq"] for event in got]
        assert seqs == sorted(set(seqs)) and seqs[0] > start
        assert [event["fields"]["number"] for event in got] == numbers


async def test_a_backlog_is_read_once_and_what_comes_meanwhile_follows_from_the_queue(
    live, monkeypatch
):
    """Orders sent while a socket reads its backlog reach it from its queue, once and in order:
    it does not read the table again for them (chasing a steady stream of orders kept screens
    reading the table for seconds)."""
    reads: list[int] = []
    reading, go = threading.Event(), threading.Event()
    since = events.since

    def held(conn, seq, upto, limit=500):
        reads.append(seq)
        found = since(conn, seq, upto, limit)
        reading.set()
        assert go.wait(10)  # the orders below are published meanwhile
        return found

    async with httpx.AsyncClient(base_url=live) as client:
        token, start, order = await _waiter_ordering(client)

        numbers = [await order() for _ in range(2)]  # the backlog
        monkeypatch.setattr(events, "since", held)
        async with feed(live, token, f"topics=orders&since={start}", max_queue=None) as ws:
            assert await asyncio.to_thread(reading.wait, 10)
            numbers += [await order() for _ in range(3)]  # answered once published
            go.set()
            got = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in numbers]
    assert len(reads) == 1
    assert [event["fields"]["number"] for event in got] == numbers


async def test_a_subscriber_too_slow_for_its_queue_reads_the_database_instead(monkeypatch):
    """Its queue is emptied and holds nothing more (None says: read the table) until it starts
    reading the table; it is never dropped for it."""
    monkeypatch.setattr(realtime, "QUEUE_LIMIT", 2)
    bus = realtime.Bus(asyncio.get_running_loop(), 0)
    subscription = bus.subscribe({"orders"})
    assert subscription.behind  # it reads its backlog first
    subscription.behind = False
    made = [
        Event(seq, f"e{seq}", "", "", "orders", "o", "create", {}, 0, None, None, "local")
        for seq in range(1, 6)
    ]
    bus._dispatch(made[:2])
    await asyncio.sleep(0)  # a staff screen's queue is filled once the kitchen's have sent
    assert subscription.queue.qsize() == 2
    bus._dispatch(made[2:])
    await asyncio.sleep(0)
    assert subscription.behind and subscription.ended is None
    assert subscription.queue.get_nowait() is None and subscription.queue.empty()
    bus._dispatch([made[-1]._replace(seq=6)])
    await asyncio.sleep(0)
    assert subscription.queue.empty()  # behind: nothing queued until it reads the table


async def test_the_kitchen_screens_are_served_first_then_staff_then_guests():
    """Each follower wakes in the order its queue was filled: the kitchen's screens first (the
    others' queues are filled only once they have had their turn), then other staff screens,
    then guests' phones, whatever the order they subscribed in."""
    bus = realtime.Bus(asyncio.get_running_loop(), 0)
    followers = {
        "guest": bus.subscribe({"orders", "kitchen"}, accepts=lambda event: True),
        "waiter": bus.subscribe({"orders"}),
        "kitchen": bus.subscribe({"kitchen"}),
        "pos": bus.subscribe({"orders", "kitchen"}),
    }
    woken: list[str] = []

    async def follow(name: str) -> None:
        await followers[name].queue.get()
        woken.append(name)
        if name == "kitchen":  # the others' queues are filled once the kitchen has sent
            assert all(followers[other].queue.empty() for other in ("waiter", "guest"))

    for subscription in followers.values():
        subscription.behind = False
    waiting = [asyncio.create_task(follow(name)) for name in followers]
    await asyncio.sleep(0)  # each waits on its queue
    bus._dispatch(
        [
            Event(1, "e1", "", "", "orders", "o", "create", {}, 0, None, None, "local"),
            Event(2, "e2", "", "", "tickets", "t", "create", {}, 0, None, None, "local"),
        ]
    )
    await asyncio.gather(*waiting)
    assert woken == ["kitchen", "pos", "waiter", "guest"]


async def test_later_listeners_hear_of_a_commit_once_its_followers_have_had_their_turn():
    """Listeners are told first (caches are current for the followers); later listeners (the
    print workers' wake-up) once the followers woken by the commit have sent it."""
    bus = realtime.Bus(asyncio.get_running_loop(), 0)
    told: list[str] = []
    bus.listen_later(lambda events: told.append("later"))
    bus.listen(lambda events: told.append("listener"))
    screen = bus.subscribe({"kitchen"})
    screen.behind = False

    async def follow() -> None:
        await screen.queue.get()
        told.append("screen")

    waiting = asyncio.create_task(follow())
    await asyncio.sleep(0)  # it waits on its queue
    bus._dispatch([Event(1, "e1", "", "", "tickets", "t", "create", {}, 0, None, None, "local")])
    await waiting
    await asyncio.sleep(0)  # the loop's next callback
    assert told == ["listener", "screen", "later"]
