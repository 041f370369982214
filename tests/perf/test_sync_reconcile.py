"""Benchmark: a box that took orders offline (with their lines, sends and voids) reconnects to a
hub (`galley hub serve`, real uvicorn): seconds until the box's digest equals the hub's, and the
events per second that took; then, on the same database, raw batched inserts of the rows the hub
wrote for them (its copy of each row and its inbox entry for each event, 500 events' worth per
transaction) as the ceiling, and the ratio.

One JSON line per backend (SQLite, PostgreSQL). `GALLEY_BENCH=full` (make bench) takes 20,000
orders and asserts the targets (under 20 s, ratio at least 0.3); otherwise 500 orders prove the
benchmark runs. The box's sync service runs in this process, as in `galley edge serve`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import time
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
    """Start the box; the seconds until its digest equals the hub's."""
    started = time.perf_counter()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        box = app.state.box
        while True:
            await box.sync.round()  # waits for the round the box began with at start
            ours = await box.read(hub_changes.digest)
            if ours["digest"] == hub.digest(store_id)["digest"]:
                return {"seconds": time.perf_counter() - started, "rows": ours["rows"]}


def _events(database: Path) -> int:
    with contextlib.closing(db.connect(database, readonly=True)) as conn:
        return events.waiting(conn, 0, events.last_seq(conn))


def _copies(fetch, store_id: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rows = fetch(
        "SELECT store_id, entity, id, tenant_id, rev, fields, field_revs, deleted FROM rows"
        " WHERE store_id = %s",
        store_id,
    )
    inbox = fetch(
        "SELECT store_id, seq, tenant_id, event_id, status, event, verdict, at FROM inbox"
        " WHERE store_id = %s ORDER BY seq",
        store_id,
    )
    return rows, inbox


def _chunks(rows: list[Any], inbox: list[Any], events_count: int):
    """The rows and inbox entries in transactions of BATCH_EVENTS events' worth each."""
    parts = max(1, -(-events_count // BATCH_EVENTS))
    for part in range(parts):
        yield (
            rows[part * len(rows) // parts : (part + 1) * len(rows) // parts],
            inbox[part * len(inbox) // parts : (part + 1) * len(inbox) // parts],
        )


def _ceiling_sqlite(path: Path, store_id: str, events_count: int) -> float:
    """Raw batched inserts of the same rows, on the hub's SQLite database (synchronous=FULL as
    the hub runs it), into copies of its tables; events per second."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = FULL")

        def fetch(sql: str, arg: str) -> list[tuple[Any, ...]]:
            return conn.execute(sql.replace("%s", "?"), (arg,)).fetchall()

        rows, inbox = _copies(fetch, store_id)
        conn.execute("CREATE TABLE bench_rows AS SELECT * FROM rows WHERE 0")
        conn.execute("CREATE TABLE bench_inbox AS SELECT * FROM inbox WHERE 0")
        started = time.perf_counter()
        for rows_part, inbox_part in _chunks(rows, inbox, events_count):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(f"INSERT INTO bench_rows VALUES ({', '.join('?' * 8)})", rows_part)
            conn.executemany(f"INSERT INTO bench_inbox VALUES ({', '.join('?' * 8)})", inbox_part)
            conn.execute("COMMIT")
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_rows")
        conn.execute("DROP TABLE bench_inbox")
    finally:
        conn.close()
    return events_count / seconds


def _ceiling_postgresql(owner_url: str, store_id: str, events_count: int) -> float:
    """The same on the hub's PostgreSQL database, as its tables' owner."""
    with psycopg.connect(owner_url) as conn:

        def fetch(sql: str, arg: str) -> list[tuple[Any, ...]]:
            return conn.execute(sql, (arg,)).fetchall()

        rows, inbox = _copies(fetch, store_id)
        conn.execute("CREATE TABLE bench_rows (LIKE rows)")
        conn.execute("CREATE TABLE bench_inbox (LIKE inbox)")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor:
            for rows_part, inbox_part in _chunks(rows, inbox, events_count):
                values = ", ".join(["%s"] * 8)
                cursor.executemany(f"INSERT INTO bench_rows VALUES ({values})", rows_part)
                cursor.executemany(f"INSERT INTO bench_inbox VALUES ({values})", inbox_part)
                conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_rows")
        conn.execute("DROP TABLE bench_inbox")
        conn.commit()
    return events_count / seconds


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
