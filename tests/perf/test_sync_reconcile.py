"""Benchmark: a box that took orders offline (with their lines, sends and voids) reconnects to a
hub (`galley hub serve`, real uvicorn): seconds until the box's digest equals the hub's, and the
events per second that took; then, on the same database, raw batched inserts of the rows the hub
wrote for them (its copy of each row, its inbox entry and its change-feed entry for each event,
500 events' worth per transaction) into tables keyed and indexed as the hub's, as the ceiling
(the median of three runs), and the ratio. The events counted are those the box pushed, and
the hub's inbox must hold exactly as many.

One JSON line per backend (SQLite, PostgreSQL). `GALLEY_BENCH=full` (make bench) takes 20,000
orders and asserts the targets (under 20 s, ratio at least 0.3); otherwise 500 orders prove the
benchmark runs. The box's sync service runs in this process, as in `galley edge serve`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from edge.api.app import create_app
from edge.core import db, events
from edge.core.config import EdgeSettings
from edge.core.permissions import Actor
from edge.domain import hub_changes, orders
from edge.setup import enrolment
from edge.setup.provision import write_once
from hub.config import HubSettings
from hub.storage import sqlite_path
from tests import pg
from tests.hub.kit import HubProcess
from tests.integration.hubs import ServedHub, new_owner, signed_in
from tests.perf.harness import copy_demo

pytestmark = pytest.mark.perf

FULL = os.environ.get("GALLEY_BENCH") == "full"
ORDERS = 20_000 if FULL else 500
MAX_SECONDS = 20.0
MIN_RATIO = 0.3
BATCH_EVENTS = 500
CEILING_RUNS = 3


def _offline_orders(conn, count: int) -> None:
    """`count` orders as tills make them while the hub is out of reach: three lines each, sent
    to the kitchen, one line in ten voided."""
    items = [
        row[0]
        for row in conn.execute(
            "SELECT m.id FROM menu_items m WHERE m.active AND m.available AND NOT EXISTS"
            " (SELECT 1 FROM item_modifier_groups g WHERE g.item_id = m.id) ORDER BY m.id"
        )
    ]
    staff = conn.execute("SELECT id, name FROM staff WHERE role = 'manager'").fetchone()
    actor = Actor(staff["id"], staff["name"], "manager", "till")
    for n in range(count):
        lines = [{"item_id": items[(n + k) % len(items)]} for k in range(3)]
        made = orders.create(conn, actor, {"kind": "counter", "lines": lines, "send": True})
        if n % 10 == 0:
            orders.void_line(conn, actor, made["lines"][0]["id"], "sent by mistake")


def _take_offline_orders(database: Path, count: int) -> None:
    for start in range(0, count, 500):
        write_once(database, _offline_orders, min(500, count - start))


async def _reconcile(settings: EdgeSettings, hub: ServedHub, store_id: str) -> dict[str, Any]:
    """Start the box; the seconds until its digest equals the hub's (the two computed at once,
    each on its side, as two machines would)."""
    started = time.perf_counter()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        box = app.state.box
        while True:
            await box.sync.round()  # waits for the round the box began with at start
            ours, theirs = await asyncio.gather(
                box.read(hub_changes.digest), asyncio.to_thread(hub.digest, store_id)
            )
            if ours["digest"] == theirs["digest"]:
                return {"seconds": time.perf_counter() - started, "rows": ours["rows"]}


def _events(database: Path) -> int:
    with contextlib.closing(db.connect(database, readonly=True)) as conn:
        return events.waiting(conn, 0, events.last_seq(conn))


TABLES = {
    "rows": "store_id, entity, id, tenant_id, rev, fields, field_revs, deleted",
    "inbox": "store_id, node, seq, tenant_id, event_id, status, event, verdict, at",
    "changes": "cursor, tenant_id, store_id, id, hlc, at, entity, entity_id, op, fields, rev,"
    " actor, source, seq, kept",
}


def _copies(fetch, store_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """What the hub wrote for the store: every row of each table of TABLES, in order."""
    return {
        table: fetch(
            f"SELECT {columns} FROM {table} WHERE store_id = %s ORDER BY 1, 2, 3", store_id
        )
        for table, columns in TABLES.items()
    }


def _chunks(copies: dict[str, list[Any]], events_count: int):
    """Each table's rows in transactions of BATCH_EVENTS events' worth each."""
    assert len(copies["inbox"]) == events_count, "the hub's inbox holds each pushed event once"
    parts = max(1, -(-events_count // BATCH_EVENTS))
    for part in range(parts):
        yield {
            table: rows[part * len(rows) // parts : (part + 1) * len(rows) // parts]
            for table, rows in copies.items()
        }


def _insert(table: str, mark: str) -> str:
    columns = TABLES[table]
    return (
        f"INSERT INTO bench_{table} ({columns}) VALUES"
        f" ({', '.join([mark] * len(columns.split(',')))})"
    )


def _ceiling_sqlite(path: Path, store_id: str, events_count: int) -> float:
    """Raw batched inserts of the same rows, on the hub's SQLite database (synchronous=FULL as
    the hub runs it), into copies of its tables (their keys and indexes); events per second."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = FULL")

        def fetch(sql: str, arg: str) -> list[tuple[Any, ...]]:
            return conn.execute(sql.replace("%s", "?"), (arg,)).fetchall()

        copies = _copies(fetch, store_id)
        schema = conn.execute(
            "SELECT tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN"
            f" ({', '.join('?' * len(TABLES))}) ORDER BY type DESC",
            tuple(TABLES),
        ).fetchall()

        def once() -> float:
            for table, sql in schema:  # the table, then its indexes, each named bench_...
                conn.execute(re.sub(rf"\b({table}\w*)", r"bench_\1", sql))
            started = time.perf_counter()
            for part in _chunks(copies, events_count):
                conn.execute("BEGIN IMMEDIATE")
                for table, rows in part.items():
                    conn.executemany(_insert(table, "?"), rows)
                conn.execute("COMMIT")
            seconds = time.perf_counter() - started
            for table in TABLES:
                conn.execute(f"DROP TABLE bench_{table}")
            return seconds

        return _median_rate(once, events_count)
    finally:
        conn.close()


def _ceiling_postgresql(owner_url: str, store_id: str, events_count: int) -> float:
    """The same on the hub's PostgreSQL database, as its tables' owner."""
    with psycopg.connect(owner_url) as conn:

        def fetch(sql: str, arg: str) -> list[tuple[Any, ...]]:
            return conn.execute(sql, (arg,)).fetchall()

        copies = _copies(fetch, store_id)

        def once() -> float:
            for table in TABLES:
                conn.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
            conn.commit()
            started = time.perf_counter()
            with conn.cursor() as cursor:
                for part in _chunks(copies, events_count):
                    for table, rows in part.items():
                        cursor.executemany(_insert(table, "%s"), rows)
                    conn.commit()
            seconds = time.perf_counter() - started
            for table in TABLES:
                conn.execute(f"DROP TABLE bench_{table}")
            conn.commit()
            return seconds

        return _median_rate(once, events_count)


def _median_rate(once: Callable[[], float], events_count: int) -> float:
    """Events per second of the median of CEILING_RUNS runs of `once` (each its seconds). One
    run was a poor measure: the first of three was the slowest each of the four times this was
    looked at (two on SQLite, two on PostgreSQL; 22,141 against 29,791 and 25,070 events/s on
    SQLite, for one), and single runs on SQLite ranged from 17,500 to 28,500 events/s on one
    machine within an hour."""
    return events_count / statistics.median(once() for _ in range(CEILING_RUNS))


def _bench(backend: str, settings: HubSettings, owner_url: str | None, tmp: Path, template: Path):
    data = copy_demo(template, tmp / "box")
    box = EdgeSettings(data_dir=data, print_workers=False)
    email = new_owner(settings)
    process = HubProcess(settings).start()
    try:
        with httpx.Client(base_url=process.url, timeout=60) as http:
            hub = ServedHub(process.url, http, signed_in(http, email))
            store = hub.store("Reconciling")
            outcome = asyncio.run(enrolment.enrol(box, process.url, hub.code(store["id"])))
            assert outcome.enrolled, outcome.message
            _take_offline_orders(box.database, ORDERS)
            pushed = _events(box.database)
            done = asyncio.run(_reconcile(box, hub, store["id"]))
    finally:
        process.stop()
    if backend == "sqlite":
        path = sqlite_path(settings.database_url)
        assert path is not None
        ceiling = _ceiling_sqlite(Path(path), store["id"], pushed)
    else:
        assert owner_url is not None
        ceiling = _ceiling_postgresql(owner_url, store["id"], pushed)
    per_s = pushed / done["seconds"]
    report = {
        "bench": "sync_reconcile",
        "backend": backend,
        "orders": ORDERS,
        "events": pushed,
        "seconds": round(done["seconds"], 2),
        "events_per_s": round(per_s, 1),
        "ceiling_per_s": round(ceiling, 1),
        "ratio": round(per_s / ceiling, 3),
        "rows": done["rows"],
    }
    print("\n" + json.dumps(report))
    if FULL:
        assert report["seconds"] < MAX_SECONDS, report
        assert report["ratio"] >= MIN_RATIO, report


def test_sync_reconcile_sqlite(tmp_path: Path, demo_template: Path) -> None:
    settings = HubSettings(database_url=f"sqlite:///{tmp_path / 'hub.db'}")
    _bench("sqlite", settings, None, tmp_path, demo_template)


def test_sync_reconcile_postgresql(tmp_path: Path, demo_template: Path) -> None:
    with pg.server() as server, pg.hub_database(server) as (owner_url, app_url):
        settings = HubSettings(database_url=app_url, migrate_url=owner_url)
        _bench("postgresql", settings, owner_url, tmp_path, demo_template)
