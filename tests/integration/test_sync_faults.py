"""Boxes and a real hub (`galley hub serve`, uvicorn) with tests/proxy.py between them: drops,
delays, cuts (one after the hub committed, before the box read the answer), partitions, kill -9
of the hub and of the box during a push, batches replayed and out of order, two tenants with two
stores each, and a box whose clock is an hour off. Every scenario ends with the box's digest
equal to the hub's and the counts checked; each runs on a SQLite and a PostgreSQL hub.

`GALLEY_BENCH=full` takes 5,000 orders while partitioned (as the issue asks); by default 300,
to keep the suite fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from freezegun import freeze_time

from edge.api.app import create_app
from edge.core import db, events
from edge.core.config import EdgeSettings
from edge.core.permissions import Actor
from edge.domain import hub_changes, menu, orders
from edge.runtime.box import Box
from edge.runtime.hub_client import HubClient, HubRefused, HubUnreachable
from edge.runtime.sync_service import _next_batch
from edge.setup import enrolment
from edge.setup.provision import write_once
from hub.config import HubSettings
from sync.envelope import MAX_EVENTS
from sync.signing import DeviceKey
from tests.hub.kit import HubProcess
from tests.integration.hubs import ServedHub, first_round_done, new_owner, signed_in
from tests.perf.harness import EdgeServer, copy_demo
from tests.proxy import Fault, FaultProxy

FULL = os.environ.get("GALLEY_BENCH") == "full"
PARTITIONED_ORDERS = 5_000 if FULL else 300


# ---- a hub, proxies, boxes ------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_settings(request, tmp_path) -> HubSettings:
    if request.param == "sqlite":
        return HubSettings(database_url=f"sqlite:///{tmp_path / 'hub.db'}")
    owner_url, app_url = request.getfixturevalue("pg_urls")
    return HubSettings(database_url=app_url, migrate_url=owner_url)


@contextlib.contextmanager
def running_hub(
    settings: HubSettings, tenant: str = "Tenant", port: int | None = None
) -> Iterator[tuple[ServedHub, HubProcess]]:
    email = new_owner(settings, tenant)
    process = HubProcess(settings, port).start()
    try:
        with httpx.Client(base_url=process.url, timeout=30) as http:
            yield ServedHub(process.url, http, signed_in(http, email)), process
    finally:
        process.stop()


@pytest.fixture
def hub(hub_settings) -> Iterator[tuple[ServedHub, HubProcess]]:
    with running_hub(hub_settings) as running:
        yield running


@pytest.fixture
def proxy(hub) -> Iterator[FaultProxy]:
    with FaultProxy(hub[1].url) as faulty:
        yield faulty


def _settings(template: Path, data_dir: Path) -> EdgeSettings:
    copy_demo(template, data_dir)
    return EdgeSettings(data_dir=data_dir, print_workers=False, sync_seconds=3600)


@contextlib.asynccontextmanager
async def enrolled_box(
    settings: EdgeSettings, hub: ServedHub, url: str, store_id: str
) -> AsyncIterator[Box]:
    """The demo box (settings' copy) enrolled with `store_id` through `url`, running in this
    process; its sync rounds are the test's (`box.sync.round()`), after the one at start."""
    outcome = await enrolment.enrol(settings, url, hub.code(store_id))
    assert outcome.status == enrolment.ENROLLED, outcome.message
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await first_round_done(app.state.box)
        yield app.state.box


async def _rounds(box: Box, tries: int = 10) -> None:
    """Sync rounds until one goes through (the faults a test injected are used up)."""
    for _ in range(tries):
        try:
            await box.sync.round()
            return
        except (HubUnreachable, HubRefused):
            continue
    raise AssertionError(f"no round went through in {tries}: {box.sync.status}")


def _count(conn, table: str) -> int:
    return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def _hub_count(hub: ServedHub, store_id: str, entity: str) -> int:
    total, after = 0, ""
    while True:
        page = hub.get(f"/api/stores/{store_id}/rows/{entity}?limit=500&after={after}")
        total += len(page["rows"])
        if not page["next"]:
            return total
        after = page["next"]


async def converged(box: Box, hub: ServedHub, store_id: str) -> dict[str, Any]:
    """Equal digests after the box's rounds, and the hub holding each order once."""
    await _rounds(box)
    ours = await box.read(hub_changes.digest)
    theirs = hub.digest(store_id, ours["tickets_before"])
    assert ours == {key: theirs[key] for key in ("digest", "rows", "tickets_before")}
    for table in ("orders", "order_lines"):
        assert _hub_count(hub, store_id, table) == await box.read(_count, table)
    status = await box.sync.status_json()
    assert (status["state"], status["waiting"]) == ("online", 0)
    return ours


def _manager(conn) -> Actor:
    row = conn.execute("SELECT id, name FROM staff WHERE role = 'manager'").fetchone()
    return Actor(row["id"], row["name"], "manager", "till")


def _take_orders(conn, count: int) -> int:
    """`count` orders with two lines each, every third sent to the kitchen, as a till makes
    them (one write: the test's, not the tills')."""
    items = [
        row[0]
        for row in conn.execute(
            "SELECT m.id FROM menu_items m WHERE m.active AND m.available AND NOT EXISTS"
            " (SELECT 1 FROM item_modifier_groups g WHERE g.item_id = m.id) ORDER BY m.id"
        )
    ]
    actor = _manager(conn)
    for n in range(count):
        lines = [{"item_id": items[n % len(items)]}, {"item_id": items[(n + 1) % len(items)]}]
        orders.create(conn, actor, {"kind": "counter", "lines": lines, "send": n % 3 == 0})
    return count


async def take_orders(box: Box, count: int) -> None:
    for start in range(0, count, 250):
        await box.write(_take_orders, min(250, count - start))


# ---- the scenarios --------------------------------------------------------------------------


async def test_orders_taken_while_partitioned_all_reach_the_hub_once(
    hub, proxy, tmp_path, demo_template
):
    served, _ = hub
    store = served.store("Partitioned")
    box_settings = _settings(demo_template, tmp_path / "box")
    async with enrolled_box(box_settings, served, proxy.url, store["id"]) as box:
        await converged(box, served, store["id"])
        proxy.partition()
        tickets = await box.read(_count, "tickets")
        await take_orders(box, PARTITIONED_ORDERS)
        with pytest.raises(HubUnreachable):
            await box.sync.round()
        status = await box.sync.status_json()
        # Each order waits, and each kitchen ticket its sends fired (an event of its own).
        fired = await box.read(_count, "tickets") - tickets
        assert status["state"] == "offline" and status["waiting"] == PARTITIONED_ORDERS + fired
        proxy.heal()
        # Flaky on the way back: a drop, a slow connection, an answer cut half-way.
        proxy.inject(Fault(drop=True), Fault(delay=0.3), Fault(cut_answer_after=40))
        await converged(box, served, store["id"])
        assert await box.read(_count, "orders") >= PARTITIONED_ORDERS


async def test_an_answer_cut_after_the_hub_committed_changes_nothing_twice(
    hub, proxy, tmp_path, demo_template
):
    served, _ = hub
    store = served.store("Cut")
    async with enrolled_box(
        _settings(demo_template, tmp_path / "box"), served, proxy.url, store["id"]
    ) as box:
        await converged(box, served, store["id"])
        tickets = await box.read(_count, "tickets")
        await take_orders(box, 40)
        made = 40 + await box.read(_count, "tickets") - tickets  # the orders and their tickets
        proxy.close_open()
        proxy.inject(Fault(cut_answer_after=0))  # the push: applied, never heard of
        with pytest.raises(HubUnreachable):
            await box.sync.round()
        assert proxy.connections[-1].answered and proxy.connections[-1].cut
        assert (await box.sync.status_json())["waiting"] == made  # the box does not know yet
        await converged(box, served, store["id"])
        inbox = served.get(f"/api/stores/{store['id']}/inbox?status=applied&limit=500")
        seqs = [entry["seq"] for entry in inbox["events"]]
        assert len(seqs) == len(set(seqs))  # each event applied once


async def test_menu_items_edited_on_both_sides_while_apart_land_in_both_inboxes(
    hub, proxy, tmp_path, demo_template
):
    served, _ = hub
    store = served.store("Both sides")
    async with enrolled_box(
        _settings(demo_template, tmp_path / "box"), served, proxy.url, store["id"]
    ) as box:
        await converged(box, served, store["id"])
        items = await box.read(
            lambda c: [dict(r) for r in c.execute("SELECT id, price FROM menu_items LIMIT 3")]
        )
        proxy.partition()
        for item in items:  # the owner raises every price; the store lowers them meanwhile
            path = f"/api/stores/{store['id']}/rows/menu_items/{item['id']}"
            answer = served.http.patch(
                path, json={"fields": {"price": item["price"] + 100}}, headers=served.headers
            )
            assert answer.status_code == 200, answer.text

        def lower(conn):
            for item in items:
                menu.update_item(conn, _manager(conn), item["id"], {"price": item["price"] - 50})

        await box.write(lower)
        proxy.heal()
        await converged(box, served, store["id"])
        prices = await box.read(
            lambda c: {r[0]: r[1] for r in c.execute("SELECT id, price FROM menu_items")}
        )
        assert all(prices[item["id"]] == item["price"] + 100 for item in items)  # server wins
        conflicts = await box.read(
            lambda c: [dict(r) for r in c.execute("SELECT * FROM sync_conflicts")]
        )
        assert sorted(
            (c["entity_id"], c["edge_value"], c["hub_value"]) for c in conflicts
        ) == sorted((i["id"], str(i["price"] - 50), str(i["price"] + 100)) for i in items)
        merged = served.get(f"/api/stores/{store['id']}/inbox?status=merged")["events"]
        assert len(merged) == 3
        assert all("price" in entry["verdict"]["kept"] for entry in merged)


async def test_batches_replayed_three_times_and_out_of_order_converge(
    hub_settings, tmp_path, demo_template
):
    with running_hub(hub_settings) as (served, process):
        store = served.store("Replayed")
        box_settings = _settings(demo_template, tmp_path / "box")
        outcome = await enrolment.enrol(box_settings, process.url, served.code(store["id"]))
        assert outcome.enrolled
        await _write_once(box_settings, _take_orders, 1100)  # with the demo store: 3 batches
        batches = _batches(box_settings, store["id"])
        assert len(batches) >= 3
        client = HubClient(process.url, DeviceKey.load(box_settings.device_key))
        try:
            with pytest.raises(HubRefused) as gap:  # the second batch arrives first
                await client.push(batches[1])
            assert gap.value.code == "gap" and gap.value.details["push_upto"] == 0
            for body in [batches[0]] * 3 + [batches[2], batches[1]] * 3:  # the third: a gap
                with contextlib.suppress(HubRefused):
                    await client.push(body)
        finally:
            await client.close()
        app = create_app(box_settings)
        async with app.router.lifespan_context(app):
            await converged(app.state.box, served, store["id"])


def _batches(settings: EdgeSettings, store_id: str) -> list[bytes]:
    """Every push batch of the box's outbox, as its sync service makes them."""
    bodies = []
    with contextlib.closing(db.connect(settings.database)) as conn:
        while True:
            state = conn.execute("SELECT push_cursor FROM sync_state").fetchone()[0]
            batch = _next_batch(conn, store_id, 10**12)
            if batch is None:
                break
            bodies.append(batch.body)
            conn.execute("UPDATE sync_state SET push_cursor = ?", (batch.events[-1].seq,))
            assert len(batch.events) <= MAX_EVENTS and batch.events[0].seq > state
        conn.execute("UPDATE sync_state SET push_cursor = 0")
    return bodies


async def _write_once(settings: EdgeSettings, fn, *args):
    return await asyncio.to_thread(write_once, settings.database, fn, *args)


async def test_two_tenants_with_two_stores_each(hub_settings, tmp_path, demo_template):
    with running_hub(hub_settings, "North group") as (north, process):
        email = new_owner(hub_settings, "South group")
        south = ServedHub(process.url, north.http, signed_in(north.http, email))
        stores = [(tenant, tenant.store(f"Store {n}")) for tenant in (north, south) for n in (1, 2)]
        async with contextlib.AsyncExitStack() as stack:
            boxes = []
            for n, (tenant, store) in enumerate(stores):
                settings = _settings(demo_template, tmp_path / f"box{n}")
                box = await stack.enter_async_context(
                    enrolled_box(settings, tenant, process.url, store["id"])
                )
                await take_orders(box, 10 * (n + 1))
                boxes.append(box)
            for box, (tenant, store) in zip(boxes, stores, strict=True):
                await converged(box, tenant, store["id"])
        north_ids = {s["id"] for s in north.get("/api/stores")["stores"]}
        assert north_ids == {stores[0][1]["id"], stores[1][1]["id"]}
        other = north.http.get(f"/api/stores/{stores[2][1]['id']}/digest", headers=north.headers)
        assert other.status_code == 404  # the other tenant's store is none of theirs


async def test_a_box_whose_clock_is_an_hour_off_signs_with_the_hubs_time(
    hub_settings, tmp_path, demo_template
):
    with running_hub(hub_settings) as (served, process):
        store = served.store("Clock")
        settings = _settings(demo_template, tmp_path / "box")
        with freeze_time(timedelta(hours=1), tick=True):  # the box's clock only: the hub is apart
            async with enrolled_box(settings, served, process.url, store["id"]) as box:
                await take_orders(box, 20)
                await converged(box, served, store["id"])
                assert abs(box.sync._client.clock_offset_s + 3600) < 60
                clock = await box.clock()  # and says so on the Sync page and in its health
                assert (clock["trusted"], clock["problem"]) == (False, "off_hub")
                assert "60 minutes ahead of the hub's" in clock["message"]


async def test_kill_9_of_the_hub_during_a_push(hub_settings, tmp_path, demo_template):
    with running_hub(hub_settings) as (served, process):
        store = served.store("Hub killed")
        settings = _settings(demo_template, tmp_path / "box")
        async with enrolled_box(settings, served, process.url, store["id"]) as box:
            await converged(box, served, store["id"])
            before = _push_upto(served, store["id"])
            await take_orders(box, 2500)  # five batches
            pushing = asyncio.create_task(box.sync.round())
            for _ in range(1000):  # until the first batches are in
                if _push_upto(served, store["id"]) > before:
                    break
                await asyncio.sleep(0.005)
            process.kill()
            with contextlib.suppress(HubUnreachable):
                await pushing
            process.start()
            killed_at = _push_upto(served, store["id"])
            assert before < killed_at < await box.read(events.last_seq)  # killed mid-push
            await converged(box, served, store["id"])


async def test_kill_9_of_the_box_during_a_push(hub_settings, tmp_path, demo_template):
    with running_hub(hub_settings) as (served, process):
        store = served.store("Box killed")
        data = tmp_path / "box"
        settings = _settings(demo_template, data)
        outcome = await enrolment.enrol(settings, process.url, served.code(store["id"]))
        assert outcome.enrolled
        await _write_once(settings, _take_orders, 2500)
        edge = EdgeServer(data).start()  # its sync service pushes at once
        try:
            for _ in range(1000):
                if _push_upto(served, store["id"]) > 0:
                    break
                await asyncio.sleep(0.005)
            edge.kill()  # somewhere in the push of the backlog
        finally:
            edge.stop()
        killed_at = _push_upto(served, store["id"])
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            box = app.state.box
            assert 0 < killed_at < await box.read(events.last_seq)  # killed mid-push
            await converged(box, served, store["id"])


def _push_upto(hub: ServedHub, store_id: str) -> int:
    """The last seq of the store's the hub holds."""
    stores = hub.get("/api/stores")["stores"]
    return next(s["push_upto"] for s in stores if s["id"] == store_id)
