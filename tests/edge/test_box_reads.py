"""The box's read connections: closing the box never pulls one from under a read in flight."""

import asyncio
import sqlite3
import threading

import pytest

from edge.api.app import create_app


async def test_close_waits_for_a_read_in_flight_and_refuses_reads_after(quiet_settings):
    application = create_app(quiet_settings)
    started, release = threading.Event(), threading.Event()

    def slow_count(conn):
        started.set()
        assert release.wait(10)
        return conn.execute("SELECT count(*) FROM orders").fetchone()[0]

    async with application.router.lifespan_context(application):
        box = application.state.box
        read = asyncio.ensure_future(box.read(slow_count))
        assert await asyncio.to_thread(started.wait, 10)
        closer = threading.Thread(target=box.close)
        closer.start()
        closer.join(0.5)
        assert closer.is_alive(), "close returned while a read was still using its connection"
        release.set()
        assert await read == 0
        await asyncio.to_thread(closer.join, 10)
        assert not closer.is_alive()
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            box.read_now(lambda conn: conn.execute("SELECT 1").fetchone())
