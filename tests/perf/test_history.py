"""Benchmark `history`: a store with a year of service answers as a fresh one does.

The year is built through the project's own write path: the writer, in big batches, runs
`orders.create` (5 lines, sent to the kitchen) and moves each kitchen ticket through its claim
(`sending`, no event) and printed as the print worker would, one in a hundred failing for
good, day after day under freezegun; a cashier acts twice, a year and 60 days back (the rare
actor). Then retention runs as at its defaults, the hub having acknowledged everything
(`edge.core.retention`). The built database is cached in var/bench/ (keyed by the migrations,
this file and the size), so `make bench` builds it once.

Against it and against a fresh demo store, each in a real server (`tests.perf.serve`), the same
run measures: start-up to `/healthz` with the database dropped from the page cache
(`posix_fadvise(DONTNEED)`) and the code compiled as a box installs it, each read of issue 20's
table (p50/p99 over sequential calls), `/ws?since=0` (told to reload, 4410), and taking an
order (p99, and its ratio to the fresh store's: both servers run side by side and take their
orders in turn, so that the machine's load falls on both alike). Small in CI (30 days of 40
orders), a year of 750 orders a day with `GALLEY_BENCH=full`, which also asserts the targets;
`GALLEY_BENCH_DAYS` and `GALLEY_BENCH_ORDERS_PER_DAY` choose another size. Prints one JSON
line.
"""

from __future__ import annotations

import compileall
import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from freezegun import freeze_time
from websockets.sync.client import connect

from edge.core import db, events, identity, retention
from edge.core.config import EdgeSettings
from edge.core.permissions import Actor
from edge.domain import orders, print_queue
from edge.domain import staff as staff_members
from edge.runtime.writer import Writer
from tests.perf.harness import ROOT, EdgeServer, copy_demo, plain_items, sign_in

pytestmark = pytest.mark.perf

FULL = os.environ.get("GALLEY_BENCH") == "full"
DAYS = int(os.environ.get("GALLEY_BENCH_DAYS", 400 if FULL else 30))
PER_DAY = int(os.environ.get("GALLEY_BENCH_ORDERS_PER_DAY", 750 if FULL else 40))
CALLS = 200 if FULL else 40
# New orders per store, taken from both stores in turn (see `_new_orders`).
ORDERS = 3_000 if FULL else 40
STARTS = 3
# What the cached year depends on beside the migrations and its size: change it with `_build`
# or `_service`.
BUILD = "4: old kitchen tickets pruned"
# Days (from the first) of the order whose history is read and of the rare actor's second
# act: within what the box keeps of synced events, as is the day read "80 days back".
RECENT_DAY = max(1, DAYS - 60)
DAY_BACK = max(1, DAYS - 80)
LINES = 5
CACHE = ROOT / "var" / "bench"
DEFAULTS = EdgeSettings()
KEEP = retention.Keep(DEFAULTS.keep_local_days, DEFAULTS.keep_synced_days)

# Targets on the 2-core reference machine (full size only).
MAX_READ_P99_MS = 20.0
MAX_STARTUP_COLD_MS = 1_000.0
MAX_MB_PER_1000_ORDERS = 4.0
MAX_NEW_ORDER_P99_RATIO = 1.2


def test_history(demo_template: Path, tmp_path: Path) -> None:
    aged_db, built = _aged(demo_template)
    aged = copy_demo(aged_db, tmp_path / "aged")
    fresh = copy_demo(demo_template, tmp_path / "fresh")
    _compiled()
    # Copying the year pushed the code out of the page cache: one start brings it back, so
    # that the cold starts measured are the database's.
    EdgeServer(fresh).start().stop()
    a, f = _measure(aged, built), _measure(fresh, None)
    taken = _new_orders(aged, fresh)
    size_mb = aged_db.stat().st_size / 2**20
    # what the orders added: the demo store's menu, staff and printers are not theirs
    added_mb = size_mb - demo_template.stat().st_size / 2**20
    line = {
        "bench": "history",
        "days": DAYS,
        "orders": built["orders"],
        "events": built["events"],
        "events_written": built["events_written"],
        "build_s": built["build_s"],
        "db_mb": round(size_mb, 1),
        "mb_per_1000_orders": round(added_mb / (built["orders"] / 1000), 2),
        "read_p99_ms": a["reads"],
        "read_p50_ms": a["reads_p50"],
        "fresh_read_p50_ms": f["reads_p50"],
        "fresh_read_p99_ms": f["reads"],
        "worst_read_p99_ms": max(a["reads"].values()),
        "startup_cold_ms": a["startup_ms"],
        "fresh_startup_cold_ms": f["startup_ms"],
        "replay_from_0_ms": a["replay_ms"],
        "new_orders": ORDERS,
        "new_order_p50_ms": round(_p(taken[aged], 50), 2),
        "new_order_p99_ms": round(_p(taken[aged], 99), 2),
        "fresh_new_order_p50_ms": round(_p(taken[fresh], 50), 2),
        "fresh_new_order_p99_ms": round(_p(taken[fresh], 99), 2),
        "new_order_p99_ratio": round(_p(taken[aged], 99) / _p(taken[fresh], 99), 2),
    }
    print(json.dumps(line))
    if FULL:
        assert line["worst_read_p99_ms"] < MAX_READ_P99_MS, line
        assert line["startup_cold_ms"] < MAX_STARTUP_COLD_MS, line
        assert line["mb_per_1000_orders"] < MAX_MB_PER_1000_ORDERS, line
        assert line["new_order_p99_ratio"] <= MAX_NEW_ORDER_P99_RATIO, line


def _compiled() -> None:
    """The code as a box has it: pip compiles every module when it installs the wheel, so the
    box's start reads bytecode. A checkout run with PYTHONDONTWRITEBYTECODE (as CI may) would
    compile every module again at each start (~0.1 s of CPU), which is not a box's start-up."""
    for package in ("edge", "sync", "printers", "service", "tests/perf"):
        compileall.compile_dir(ROOT / package, quiet=2)


# --- the year ------------------------------------------------------------------------------


def _aged(template: Path) -> tuple[Path, dict[str, Any]]:
    """The built store (from the cache when this size was built by this code before)."""
    key = hashlib.sha256()
    for _, name, sql in db.migrations():
        key.update(name.encode() + sql.encode())
    key.update(BUILD.encode())
    key.update(f"{DAYS}/{PER_DAY}/{KEEP}".encode())
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"history-{DAYS}x{PER_DAY}-{key.hexdigest()[:12]}.db"
    about = path.with_suffix(".json")
    if not (path.exists() and about.exists()):
        for stale in CACHE.glob(f"history-{DAYS}x{PER_DAY}-*"):  # built by older code
            stale.unlink()
        building = path.with_suffix(".building")
        # The first run after a build measured new orders' p99 ratio 1.28 where runs from
        # the cache measured 0.95-1.08; 1.21 with the file on disk first, 1.02 with the build
        # also in a process of its own (what it leaves in this one's heap slows this process's
        # garbage collections, and so the client's timings)
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as builder:
            built = builder.submit(_build, template, building).result()
        for name in ("-wal", "-shm"):
            Path(f"{building}{name}").unlink(missing_ok=True)
        _fsync(building)  # on disk, not still being written back while the stores commit
        building.rename(path)
        about.write_text(json.dumps(built))
    return path, json.loads(about.read_text())


def _build(template: Path, path: Path) -> dict[str, Any]:
    started = time.monotonic()
    shutil.copy(template, path)
    node = identity.prepare(path).node
    conn = db.connect(path, readonly=True)
    staff = {
        row["role"]: Actor(row["id"], row["name"], row["role"])
        for row in conn.execute("SELECT * FROM staff")
    }
    menu_items = [
        row[0]
        for row in conn.execute(
            "SELECT i.id FROM menu_items i WHERE i.active AND i.available AND NOT EXISTS"
            " (SELECT 1 FROM item_modifier_groups g WHERE g.item_id = i.id)"
        )
    ]
    first_seq = events.last_seq(conn)
    conn.close()
    lines = [{"item_id": menu_items[i % len(menu_items)]} for i in range(LINES)]
    writer = Writer(path, node, max_batch=10_000)
    # The hub has every event as soon as it is written (its push cursor follows the last seq).
    writer.run_sync(
        lambda conn: identity.enrol(
            conn, tenant_id="bench", store_id="bench", key_id="bench", hub_url="http://127.0.0.1:9"
        )
    )
    first_day = datetime.now(UTC).replace(hour=11, minute=0, second=0, microsecond=0) - timedelta(
        days=DAYS
    )
    with freeze_time(first_day) as clock:
        for day in range(DAYS):
            clock.move_to(first_day + timedelta(days=day))
            rare = day in (0, RECENT_DAY)
            hours = [
                writer.submit(
                    _service, clock, staff["waiter"], lines, PER_DAY // 10 + (i < PER_DAY % 10)
                )
                for i in range(10)
            ]
            if rare:
                hours.append(writer.submit(_service, clock, staff["cashier"], lines, 1))
            for hour in hours:
                hour.result()
            if day % 7 == 6 or day == DAYS - 1:  # the nightly pruning, weekly here
                cook = staff["kitchen"]  # and a manager's edit of the staff, for the audit's
                name = f"{cook.name} {'AB'[day // 7 % 2]}"
                writer.run_sync(staff_members.update, staff["manager"], cook.id, {"name": name})
                writer.run_sync(_prune)
    writer.close()
    conn = db.connect(path)
    try:
        written = events.last_seq(conn) - first_seq
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        count = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "orders": count("SELECT COUNT(*) FROM orders"),
            "events": count("SELECT COUNT(*) FROM events"),
            "events_written": written,
            "build_s": round(time.monotonic() - started, 1),
            "old_day": (first_day + timedelta(days=1)).date().isoformat(),
            "day_80_back": (first_day + timedelta(days=DAY_BACK)).date().isoformat(),
            "old_order": count(
                "SELECT id FROM orders WHERE business_day = '"
                + (first_day + timedelta(days=RECENT_DAY)).date().isoformat()
                + "' ORDER BY number LIMIT 1"
            ),
            "rare_actor": staff["cashier"].id,
            "first_day": first_day.date().isoformat(),
        }
    finally:
        conn.close()


def _service(conn: Any, clock: Any, actor: Actor, lines: list[dict[str, Any]], count: int) -> None:
    """An hour of service: `count` orders sent to the kitchen, a minute apart, each ticket
    printed as the worker prints it (claimed, printed); one in a hundred fails for good."""
    for _ in range(count):
        clock.tick(timedelta(seconds=60))
        orders.create(conn, actor, {"kind": "counter", "lines": lines, "send": True})
        for (job,) in conn.execute("SELECT id FROM print_jobs WHERE state = 'queued'").fetchall():
            print_queue.mark_sending(conn, job)
            if int(job[-4:], 16) % 100:
                print_queue.mark_printed(conn, job)
            else:
                events.commit(
                    conn,
                    None,
                    "print_jobs",
                    job,
                    "update",
                    {"state": "failed", "last_error": "paper out"},
                )


def _prune(conn: Any) -> None:
    """Retention at its defaults, as the nightly job runs it (here in one write), the hub
    having acknowledged every event; then the space goes back."""
    identity.pushed(conn, events.last_seq(conn))
    now = datetime.now(UTC)  # frozen: the end of that day
    while (
        retention.prune_events(conn, now, KEEP)
        or retention.prune_tickets(conn, now, KEEP)
        or retention.prune_print_jobs(conn, now, KEEP)
        or retention.prune_idempotency_keys(conn, now)
    ):
        pass
    while retention.give_back(conn, 100_000):
        pass


# --- measuring -----------------------------------------------------------------------------


def _measure(data_dir: Path, built: dict[str, Any] | None) -> dict[str, Any]:
    starts = []
    for _ in range(STARTS):  # the median of a few: the machine's load moves each one
        _drop_from_page_cache(data_dir)
        server = EdgeServer(data_dir)
        began = time.monotonic()
        server.start()
        starts.append((time.monotonic() - began) * 1000)
        server.stop()
    startup_ms = statistics.median(starts)
    server = EdgeServer(data_dir).start()
    try:
        token = sign_in(server, "manager")
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
            some_order = http.get("/api/orders", params={"limit": 1}).json()
            today = datetime.now(UTC).date().isoformat()
            old_day = built["old_day"] if built else today
            day_back = built["day_80_back"] if built else today
            order_id = (
                built["old_order"] if built else (some_order[0]["id"] if some_order else None)
            )
            rare = built["rare_actor"] if built else http.get("/api/staff").json()[0]["id"]
            reads: dict[str, tuple[str, dict[str, Any]]] = {
                "orders_of_an_old_day": ("/api/orders", {"day": old_day, "limit": 100}),
                "orders_open": ("/api/orders", {"status": "open", "limit": 100}),
                "audit_rare_actor": ("/api/audit", {"actor": rare}),
                "audit_entity_staff": ("/api/audit", {"entity": "staff"}),
                "audit_day_a_year_back": ("/api/audit", _day(old_day)),
                "audit_day_80_days_back": ("/api/audit", _day(day_back)),
                "audit_hide_printing": ("/api/audit", {"hide": "printing"}),
                "print_jobs_failed": ("/api/print-jobs", {"state": "failed"}),
            }
            if order_id:
                reads["order_history"] = (f"/api/orders/{order_id}/events", {})
            spent = {
                name: _timed(lambda p=path, q=query: _ok(http.get(p, params=q)), CALLS)
                for name, (path, query) in reads.items()
            }
            replay_ms = _replay(server.url, token)
    finally:
        server.stop()
    return {
        "startup_ms": round(startup_ms),
        "reads": {name: round(_p(times, 99), 2) for name, times in spent.items()},
        "reads_p50": {name: round(_p(times, 50), 2) for name, times in spent.items()},
        "replay_ms": round(replay_ms, 1),
    }


def _new_orders(*data_dirs: Path) -> dict[Path, list[float]]:
    """ORDERS new orders (ms each) on each store, its server running beside the others' and
    called in turn, one order each round (who goes first changes every round): a burst of load
    on the machine hits every store alike, where one store measured after the other met
    other moments of the machine. Many orders, so that the p99 stands on some thirty calls: the
    p99 of 1,000 is the 10th slowest, and where the two stores' orders take the same time up to
    their p98, the slowest ten are whatever the machine did meanwhile (in one run of 6,000
    orders a store, each 1,000's ratio of the p99s ranged from 0.84 to 1.32, each 3,000's was
    1.18 and 1.00)."""
    with contextlib.ExitStack() as stack:
        calls = []
        for data_dir in data_dirs:
            server = EdgeServer(data_dir).start()
            stack.callback(server.stop)
            token = sign_in(server, "manager")
            http = stack.enter_context(
                httpx.Client(
                    base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
                )
            )
            items = plain_items(server.url)
            order = {
                "kind": "counter",
                "lines": [{"item_id": items[i % len(items)]} for i in range(LINES)],
            }
            calls.append(lambda h=http, o=order: _ok(h.post("/api/orders", json=o)))
        for call in calls:
            call()  # warm: the first call opens a reader connection
        spent: list[list[float]] = [[] for _ in calls]
        for n in range(ORDERS):
            for i in range(len(calls)):
                turn = (n + i) % len(calls)
                began = time.perf_counter()
                calls[turn]()
                spent[turn].append((time.perf_counter() - began) * 1000)
    return dict(zip(data_dirs, spent, strict=True))


def _day(day: str) -> dict[str, str]:
    return {"from": f"{day}T00:00:00Z", "to": f"{day}T23:59:59Z"}


def _ok(answer: httpx.Response) -> None:
    assert answer.status_code in (200, 201), answer.text


def _timed(call: Callable[[], None], times: int) -> list[float]:
    call()  # warm: the first call opens a reader connection
    spent = []
    for _ in range(times):
        began = time.perf_counter()
        call()
        spent.append((time.perf_counter() - began) * 1000)
    return spent


def _p(values: list[float], percent: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[percent - 1]
        if len(values) > 1
        else values[0]
    )


def _replay(url: str, token: str) -> float:
    """`/ws?since=0`, as a reinstalled tablet asks: ms until it is closed (told to reload, on a
    store with more events than the feed replays) or has its whole backlog."""
    began = time.perf_counter()
    with connect(url.replace("http", "ws", 1) + "/ws?since=0", max_size=None) as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        last = httpx.get(f"{url}/healthz").json()["last_seq"]
        try:
            while True:
                message = json.loads(ws.recv(timeout=30))
                if "error" in message or message.get("seq", 0) >= last:
                    break
        except Exception:  # closed: told to reload
            pass
    return (time.perf_counter() - began) * 1000


def _drop_from_page_cache(data_dir: Path) -> None:
    """Cold start: the database's pages leave the OS's cache (clean pages; the WAL was folded)."""
    for name in ("edge.db", "edge.db-wal"):
        path = data_dir / name
        if path.exists():
            _fsync(path, drop=True)


def _fsync(path: Path, *, drop: bool = False) -> None:
    """The file's pages written to disk (and, with `drop`, then dropped from the page cache)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        if drop:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
