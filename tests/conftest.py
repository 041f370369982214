"""Shared fixtures: a real edge on a real SQLite file, reached over real HTTP (ASGI)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from edge import db, demo
from edge.app import create_app
from edge.box import prepare
from edge.config import EdgeSettings
from edge.writer import Writer

PINS = {role: pin for _, role, pin in demo.STAFF}
# The tests run SQLite configured as `galley edge serve` runs it.
db.tune_sqlite()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--writes-twice",
        action="store_true",
        help="run every write a second time, the first run rolled back, as the writer does"
        " after a write fails half-way in a batch: a write that changes its arguments fails",
    )


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
def settings(tmp_path: Path, demo_template: Path) -> EdgeSettings:
    data = tmp_path / "edge"
    data.mkdir()
    shutil.copy(demo_template, data / "edge.db")
    return EdgeSettings(data_dir=data)


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


async def staff_id(client: httpx.AsyncClient, role: str) -> str:
    roster = (await client.get("/api/staff/roster")).json()
    return next(member["id"] for member in roster if member["role"] == role)


async def sign_in(client: httpx.AsyncClient, role: str, device: str = "test") -> dict[str, str]:
    """Authorization headers for the demo staff member with `role`."""
    response = await client.post(
        "/api/sessions",
        json={"staff_id": await staff_id(client, role), "pin": PINS[role], "device": device},
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
async def manager(client) -> dict[str, str]:
    return await sign_in(client, "manager")


@pytest.fixture
async def waiter(client) -> dict[str, str]:
    return await sign_in(client, "waiter")


def count(path: Path, table: str) -> int:
    conn = db.connect(path, readonly=True)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()
