"""Where no PostgreSQL server answers at GALLEY_TEST_PG_URL, the tests start one of their own
(a throwaway cluster from Debian's binaries) and remove it at the end."""

from pathlib import Path

import psycopg

from hub.config import HubSettings
from hub.storage import open_storage
from hub.storage.tx import Tx
from tests import pg
from tests.hub.kit import free_port


def test_a_closed_port_falls_back_to_a_throwaway_cluster(monkeypatch):
    closed = f"postgresql://127.0.0.1:{free_port()}/test"
    monkeypatch.setenv("GALLEY_TEST_PG_URL", closed)
    assert not pg.answers(closed)
    with pg.server() as url:
        assert url != closed and pg.answers(url)
        with psycopg.connect(url) as conn:
            folder = Path(conn.execute("SHOW data_directory").fetchone()[0]).parent
        with pg.hub_database(url) as (_owner_url, app_url):
            storage = open_storage(HubSettings(database_url=app_url, pool_size=1))
            try:
                storage.run_sync(Tx.ping)
            finally:
                storage.close()
    assert not pg.answers(url) and not folder.exists()
