"""A hub on each backend: every test that touches storage runs on SQLite and on PostgreSQL.

PostgreSQL comes from tests/pg.py: the server GALLEY_TEST_PG_URL names or a throwaway cluster,
one database per test session. Tests share that database and keep apart by tenant: each makes
its own tenants, and every read is scoped to one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from hub.app import create_app
from hub.config import HubSettings
from hub.storage import Storage, open_storage
from tests import pg


@pytest.fixture(scope="session")
def pg_urls() -> Iterator[tuple[str, str]]:
    """(owner URL, app URL) of this session's hub database."""
    with pg.server() as url, pg.hub_database(url) as urls:
        yield urls


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_settings(request: pytest.FixtureRequest, tmp_path: Path) -> HubSettings:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hub.db'}"
    else:
        url = request.getfixturevalue("pg_urls")[1]
    return HubSettings(database_url=url, pool_size=4, attempts_per_minute=1000)


@pytest.fixture
def storage(hub_settings: HubSettings) -> Iterator[Storage]:
    opened = open_storage(hub_settings)
    yield opened
    opened.close()


@pytest.fixture
async def hub_app(hub_settings: HubSettings):
    app = create_app(hub_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def hub(hub_app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=hub_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        yield client


@pytest.fixture
def hub_storage(hub_app) -> Storage:
    return hub_app.state.storage
