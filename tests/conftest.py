"""Shared fixtures: a real edge on a real SQLite file, reached over real HTTP (ASGI)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import httpx
import pytest

from edge.api.app import create_app
from edge.core import db
from edge.core.config import EdgeSettings
from edge.core.events import commit
from edge.core.identity import prepare
from edge.domain import devices
from edge.runtime.writer import Writer
from edge.setup import demo
from edge.setup.provision import pairing_code, write_once
from sync.clock import now_iso
from sync.ids import uuid7

PINS = {role: pin for _, role, pin in demo.STAFF}
# The database of this test's box (the `settings` fixture's): the sign-in helpers make their
# pairing codes there, as `galley edge pair` would.
BOX: dict[str, Path] = {}
# The tests run SQLite configured as `galley edge serve` runs it.
db.tune_sqlite()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--writes-twice",
        action="store_true",
        help="run every write a second time, the first run rolled back, as the writer does"
        " after a write fails half-way in a batch: a write that changes its arguments fails",
    )


@pytest.fixture
def fast_path_only(request: pytest.FixtureRequest) -> None:
    """For a test that counts what one run of a write does: `--writes-twice` runs each twice."""
    if request.config.getoption("--writes-twice"):
        pytest.skip("--writes-twice sends every batch down the rerun path")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--writes-twice"):
        first_run = Writer._apply

        def half_done(conn, job) -> bool:
            first_run(conn, job)
            return False  # as if it failed after writing: the batch is rolled back and rerun

        Writer._apply = staticmethod(half_done)  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store seeded once per test session; each test gets its own copy."""
    path = tmp_path_factory.mktemp("template") / "edge.db"
    identity = prepare(path)
    writer = Writer(path, identity.node)
    writer.run_sync(demo.seed, demo.pin_hashes(), "http://192.0.2.10:8000")
    writer.close()
    conn = db.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture
def settings(tmp_path: Path, demo_template: Path) -> Iterator[EdgeSettings]:
    data = tmp_path / "edge"
    data.mkdir()
    shutil.copy(demo_template, data / "edge.db")
    BOX["database"] = data / "edge.db"
    # as a machine without systemd-timesyncd (the box's clock trusted), whatever this host runs
    yield EdgeSettings(data_dir=data, clock_sync_file=tmp_path / "no-timesyncd" / "synchronized")
    BOX.clear()


@pytest.fixture
async def app(settings: EdgeSettings):
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://edge") as http:
        yield http


# ---- paired devices and sign-in: every test pairs its device first, as a store does ----------


def pairing(name: str, database: Path | None = None) -> dict[str, Any]:
    """The body of `POST /api/devices/pair` for a device called `name`, with a fresh code made
    at the box's console (`galley edge pair`) in `database` (by default: this test's box). A
    name another device in use has gets a number ("Till 2"): the box refuses two tills of one
    name (tests/edge/test_devices.py)."""
    database = database or BOX["database"]
    return {"code": pairing_code(database)["code"], "name": _free_name(database, name)}


def _free_name(database: Path, name: str) -> str:
    conn = db.connect(database, readonly=True)
    try:
        taken = {
            row[0].casefold()
            for row in conn.execute("SELECT name FROM devices WHERE revoked_at IS NULL")
        }
    finally:
        conn.close()
    number, free = 1, name
    while free.casefold() in taken:
        number += 1
        free = f"{name} {number}"
    return free


def credential(answer: httpx.Response) -> dict[str, str]:
    """The `X-Galley-Device` header of the device a pairing answer paired."""
    assert answer.status_code == 201, answer.text
    return {devices.HEADER: answer.json()["credential"]}


def signed_in(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def sign_in_body(roster: list[dict[str, Any]], role: str) -> dict[str, str]:
    """The body of `POST /api/sessions` for the demo staff member with `role` (or name)."""
    member = next(m for m in roster if role in (m["role"], m["name"]))
    return {"staff_id": member["id"], "pin": PINS.get(member["role"], "")}


_paired: WeakKeyDictionary[httpx.AsyncClient, dict[str, dict[str, str]]] = WeakKeyDictionary()


async def device_header(client: httpx.AsyncClient, name: str = "test") -> dict[str, str]:
    """The `X-Galley-Device` header of a device called `name`, paired once per client."""
    known = _paired.setdefault(client, {})
    if name not in known:
        known[name] = credential(await client.post("/api/devices/pair", json=pairing(name)))
    return known[name]


async def staff_id(client: httpx.AsyncClient, role: str) -> str:
    roster = (await client.get("/api/staff/roster", headers=await device_header(client))).json()
    return next(member["id"] for member in roster if member["role"] == role)


async def sign_in(client: httpx.AsyncClient, role: str, device: str = "test") -> dict[str, str]:
    """Authorization headers for the demo staff member with `role`, signed in with their PIN
    on the paired device called `device`."""
    paired = await device_header(client, device)
    roster = (await client.get("/api/staff/roster", headers=paired)).json()
    return signed_in(
        await client.post("/api/sessions", headers=paired, json=sign_in_body(roster, role))
    )


@pytest.fixture
async def manager(client) -> dict[str, str]:
    return await sign_in(client, "manager")


@pytest.fixture
async def waiter(client) -> dict[str, str]:
    return await sign_in(client, "waiter")


def open_conflict(database: Path, item_id: str) -> str:
    """An open sync conflict on a menu item's price, as a merged push leaves one (written at
    the box's console: a server shows its event with its next write)."""

    def made(conn) -> str:
        at, conflict_id = now_iso(), uuid7()
        values = {"seq": 1, "entity": "menu_items", "entity_id": item_id, "field": "price",
                  "edge_value": "1900", "hub_value": "2000", "edge_actor": None, "edge_at": at,
                  "hub_actor": "owner@example.com", "hub_at": at}  # fmt: skip
        commit(conn, None, "sync_conflicts", conflict_id, "create", values)
        return conflict_id

    return write_once(database, made)


def count(path: Path, table: str) -> int:
    conn = db.connect(path, readonly=True)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()
