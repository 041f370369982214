"""The box's read connections: closing the box never pulls one from under a read in flight."""

import asyncio
import sqlite3
import threading

import pytest

from edge.api.app import create_app


async def test_a_read_in_flight_when_the_box_closes_finishes_on_its_connection(quiet_settings):
    application = create_app(quiet_settings)
    started, release = threading.Event(), threading.Event()

    def slow_count(conn):
        started.set()
        assert release.wait(10)
        return conn.execute("SELECT count(*) FROM orders").fetchone()[0]

    async with application.router.lifespan_context(application):
        box = application.state.box
        box.read_now(lambda conn: conn.execute("SELECT 1").fetchone())
        read = asyncio.ensure_future(box.read(slow_count))  # on a worker thread
        assert await asyncio.to_thread(started.wait, 10)
        box.close()
        release.set()
        assert await read == 0
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            box.read_now(lambda conn: conn.execute("SELECT 1").fetchone())
