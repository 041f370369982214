"""A store's box replaced, doubled or restored, against a real hub (`galley hub serve`, uvicorn)
on SQLite and PostgreSQL: each box's own seq counter is its own stream on the hub, so a new box
(whose seqs start at 1 again) and a second box at once have every order taken, and a box
restored from an older copy is told so and keeps what it did since waiting, none of it taken
for what the hub holds."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from edge.api.app import create_app
from edge.core.config import EdgeSettings
from edge.core.permissions import SYSTEM
from edge.domain import store, sync_inbox
from edge.runtime.box import Box
from edge.runtime.hub_client import HubRefused
from edge.setup import enrolment
from edge.setup.provision import set_up, write_once
from galley import cli
from hub.config import HubSettings
from sync import hashing
from sync.entities import synced
from tests.conftest import PINS, credential, pairing, signed_in
from tests.integration.hubs import ServedHub, first_round_done
from tests.integration.test_sync_faults import (
    _hub_count,
    _settings,
    hub_settings,
    running_hub,
    take_orders,
)

__all__ = ["hub_settings"]  # the fixture: a hub on SQLite, and on PostgreSQL

PORTS = iter(range(19110, 19200))  # this suite's hubs listen on 127.0.0.1, in its own range
REPLACEMENT_PORTS = iter(range(19800, 19850))


@pytest.fixture
def served(hub_settings: HubSettings) -> Iterator[ServedHub]:
    with running_hub(hub_settings, port=next(PORTS)) as (hub, _):
        yield hub


@contextlib.asynccontextmanager
async def running(settings: EdgeSettings, hub: ServedHub, store_id: str) -> AsyncIterator[Box]:
    """The box of `settings` enrolled with a new code for `store_id`, running in process."""
    outcome = await enrolment.enrol(settings, hub.url, hub.code(store_id))
    assert outcome.status == enrolment.ENROLLED, outcome.message
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await first_round_done(app.state.box)
        yield app.state.box


def _new_box(data: Path) -> EdgeSettings:
    """A box flashed anew for the store: `galley edge init` on an empty card."""
    settings = EdgeSettings(data_dir=data, print_workers=False, sync_seconds=3600)
    write_once(settings.database, set_up, "Café Azul", "Ana Reis", hashing.hash_secret("2468"))
    return settings


async def _synced(box: Box) -> dict:
    await box.sync.round()
    status = await box.sync.status_json()
    assert (status["state"], status["waiting"], status["rejected"]) == ("online", 0, 0), status
    return status


def _backup(database: Path, copy: Path) -> None:
    """A copy of the box's database as a backup takes it (SQLite's online backup)."""
    with (
        contextlib.closing(sqlite3.connect(database)) as source,
        contextlib.closing(sqlite3.connect(copy)) as target,
    ):
        source.backup(target)


def _restore(copy: Path, database: Path) -> None:
    """The copy put back in the database's place, as a restore does (its WAL gone with it)."""
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    copy.replace(database)


def _store_rows(conn) -> list[dict]:
    return [dict(row) for row in conn.execute("SELECT * FROM store")]


def _setup(conn) -> dict[str, list[dict]]:
    """The store's setup as the box holds it: every row of every entity the hub owns."""
    return {
        entity.name: [dict(row) for row in conn.execute(f"SELECT * FROM {entity.name} ORDER BY id")]
        for entity in synced()
        if entity.owner == "hub"
    }


# What the store's manager set on the old box, which a box set up anew made up again.
TRADED = {
    "timezone": "Europe/Lisbon",
    "currency": "EUR",
    "opening_hours": {"mon": [["08:00", "23:00"]], "sat": [["10:00", "14:00"]]},
    "guest_base_url": "http://192.0.2.44:8080",
}


@pytest.fixture
def sqlite_hub(tmp_path) -> Iterator[ServedHub]:
    settings = HubSettings(database_url=f"sqlite:///{tmp_path / 'hub.db'}")
    with running_hub(settings, port=next(REPLACEMENT_PORTS)) as (hub, _):
        yield hub


async def test_a_box_set_up_from_the_hub_is_that_store_and_trades_at_once(
    sqlite_hub, tmp_path, demo_template
):
    """The technician's replacement: an empty card, `galley edge enrol` with the hub and a
    code, and nothing else. Before, the box had to be set up as a new store first (`edge
    init`): its own store row, "No tax" and owner went up beside the old box's, and the box
    went by its own settings (time zone, currency, hours, guest address all to set again)."""
    served = sqlite_hub
    store_id = served.store("Café Azul")["id"]
    async with running(_settings(demo_template, tmp_path / "old"), served, store_id) as old:
        await old.write(store.update, SYSTEM, TRADED)
        await take_orders(old, 10)
        await _synced(old)
        before = await old.read(_store_rows)
        setup = await old.read(_setup)
        staff_before = _hub_count(served, store_id, "staff")
        taxes_before = _hub_count(served, store_id, "tax_rates")
    new = EdgeSettings(data_dir=tmp_path / "new", print_workers=False, sync_seconds=3600)
    enrol = ["edge", "enrol", "--data-dir", str(new.data_dir), "--hub", served.url]
    assert await asyncio.to_thread(cli.main, [*enrol, "--code", served.code(store_id)]) == 0
    app = create_app(new)
    async with app.router.lifespan_context(app):
        box = app.state.box
        await first_round_done(box)
        await _synced(box)
        assert await box.read(_store_rows) == before
        assert await box.read(_setup) == setup
        assert _hub_count(served, store_id, "store") == 1
        assert _hub_count(served, store_id, "staff") == staff_before
        assert _hub_count(served, store_id, "tax_rates") == taxes_before
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://edge"
        ) as client:
            device = credential(
                await client.post("/api/devices/pair", json=pairing("Till", new.database))
            )
            roster = (await client.get("/api/staff/roster", headers=device)).json()
            manager = next(member for member in roster if member["role"] == "manager")
            answer = await client.post(
                "/api/sessions",
                headers=device,
                json={"staff_id": manager["id"], "pin": PINS["manager"]},
            )
            signed_in(answer)
        await take_orders(box, 5)
        await _synced(box)
    assert _hub_count(served, store_id, "orders") == 15


def _counts(conn) -> dict[str, int]:
    """What the store's setup holds (the demo's, with the new box's own owner)."""
    tables = ("staff", "menu_items", "tables")
    return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


async def test_a_replacement_box_has_the_stores_setup_and_every_order_reaches_the_hub(
    served, tmp_path, demo_template
):
    store = served.store("Café Azul")
    async with running(_settings(demo_template, tmp_path / "old"), served, store["id"]) as old:
        await take_orders(old, 30)
        await _synced(old)
    # the old box's card dies; a new one is flashed and enrolled for the same store
    async with running(_new_box(tmp_path / "new"), served, store["id"]) as new:
        await _synced(new)  # its setup pulled from the hub: the menu, the staff
        assert await new.read(_counts) == {"staff": 6, "menu_items": 34, "tables": 12}
        await take_orders(new, 20)
        await _synced(new)
        assert await new.read(sync_inbox.counts) == {"open_conflicts": 0, "rejected": 0}
    assert _hub_count(served, store["id"], "orders") == 50


async def test_two_boxes_of_one_store_at_once_both_reach_the_hub(served, tmp_path, demo_template):
    store = served.store("Café Azul")
    async with (
        running(_settings(demo_template, tmp_path / "one"), served, store["id"]) as one,
        running(_new_box(tmp_path / "two"), served, store["id"]) as two,
    ):
        await _synced(one)
        await _synced(two)
        await take_orders(one, 10)
        await take_orders(two, 10)
        await _synced(one)
        await _synced(two)
        await take_orders(one, 5)
        await _synced(one)
    assert _hub_count(served, store["id"], "orders") == 25


async def test_a_box_restored_from_an_older_copy_is_told_and_keeps_its_new_orders(
    served, tmp_path, demo_template
):
    """Its new orders reuse the seqs of those it lost: the hub takes none of them in place of
    the ones it holds (before, each was refused `seq_taken`, listed, and the box went on past
    them), and the box says what happened, its new orders waiting."""
    store = served.store("Café Azul")
    settings = _settings(demo_template, tmp_path / "box")
    copy = tmp_path / "copy.db"
    async with running(settings, served, store["id"]) as box:
        await take_orders(box, 10)
        await _synced(box)
        _backup(settings.database, copy)
        await take_orders(box, 10)  # these the restored box loses: the hub keeps them
        await _synced(box)
    _restore(copy, settings.database)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        box = app.state.box

        await take_orders(box, 7)  # under the seqs of the lost ones
        with pytest.raises(HubRefused) as refused:
            await box.sync.round()
        assert (refused.value.status, refused.value.code) == (409, "restored")
        status = await box.sync.status_json()
        assert (status["state"], status["rejected"]) == ("refused", 0) and status["waiting"] >= 7
        assert "older copy" in status["problem"] and "technician" in status["problem"]
    assert _hub_count(served, store["id"], "orders") == 20
