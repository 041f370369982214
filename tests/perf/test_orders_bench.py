"""Benchmark: staff creating 5-line counter orders over real HTTP, against /healthz as ceiling.

The server (uvicorn, uvloop, httptools, one process incl. its writer thread) is pinned to CPU 0
and wrk to CPU 1. Three rounds of /healthz then orders; the best run of each counts for
throughput and the median run for p99 (every run is printed too, with the server's CPU time per
request, which tells the edge's cost apart from the machine's pace). `GALLEY_BENCH=full`
(make bench) runs 10 s phases and asserts the targets; otherwise 2 s phases only prove that the
benchmark runs.
Prints one JSON line; twice, as it runs alone and again with the box enrolled with a live hub
(its sync service pushes between the runs and holds back while orders are taken), to show sync
costs order taking nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import sqlite3
import statistics
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from edge.core.config import EdgeSettings
from edge.setup import enrolment
from hub.config import HubSettings
from tests.hub.kit import HubProcess
from tests.integration.hubs import ServedHub, new_owner, signed_in
from tests.perf import wrk
from tests.perf.harness import EdgeServer, copy_demo, plain_items, sign_in
from tests.perf.serve import cpu_seconds, rss_mb

pytestmark = pytest.mark.perf

FULL = os.environ.get("GALLEY_BENCH") == "full"
PHASE_S = 10.0 if FULL else 2.0
WARMUP_S = 1.0 if FULL else 0.0
ROUNDS = 3
RSS_AFTER_ORDERS = 10_000
LINES = 5

# Targets on the 2-core reference machine (full size only).
MIN_CEILING = 8_000
MIN_RATIO = 0.15
MAX_P99_MS = 25.0
MAX_RSS_MB = 150.0


def _orders(data_dir: Path) -> int:
    conn = sqlite3.connect(f"file:{data_dir / 'edge.db'}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    finally:
        conn.close()


def _pushed(data_dir: Path) -> int:
    """The box's push cursor: the last seq the hub acknowledged (0: not enrolled)."""
    conn = sqlite3.connect(f"file:{data_dir / 'edge.db'}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT push_cursor FROM sync_state").fetchone()
        return int(row[0]) if row else 0
    finally:
        conn.close()


def _clean(result: wrk.WrkResult, what: str) -> None:
    assert result.non_2xx == 0, f"{what}: {result.non_2xx} non-2xx responses\n{result.output}"
    assert not any(result.socket_errors.values()), (
        f"{what}: socket errors {result.socket_errors}\n{result.output}"
    )


@contextlib.contextmanager
def _live_hub(tmp_path: Path, data_dir: Path) -> Iterator[None]:
    """A hub (SQLite, real uvicorn, on the other core with wrk) the box is enrolled with: its
    sync service pushes the orders every few seconds while they are taken."""
    settings = HubSettings(database_url=f"sqlite:///{tmp_path / 'hub.db'}")
    email = new_owner(settings)
    process = HubProcess(settings).start()
    assert process.process is not None
    os.sched_setaffinity(process.process.pid, {1})  # the hub is another machine: not the box's core
    try:
        with httpx.Client(base_url=process.url, timeout=30) as http:
            hub = ServedHub(process.url, http, signed_in(http, email))
            code = hub.code(hub.store("Bench")["id"])
        outcome = asyncio.run(enrolment.enrol(EdgeSettings(data_dir=data_dir), process.url, code))
        assert outcome.enrolled, outcome.message
        yield
    finally:
        process.stop()


@pytest.mark.parametrize("sync", [False, True], ids=["alone", "syncing"])
def test_orders_throughput(demo_template: Path, tmp_path: Path, sync: bool) -> None:
    wrk.wrk_binary()  # fail early, and clearly, without wrk
    data_dir = copy_demo(demo_template, tmp_path / "edge")
    hub = contextlib.ExitStack()
    if sync:
        hub.enter_context(_live_hub(tmp_path, data_dir))
    server = EdgeServer(data_dir, cpu=0).start()
    try:
        token = sign_in(server, "waiter")
        items = plain_items(server.url)
        assert len(items) >= LINES
        order = json.dumps(
            {"kind": "counter", "lines": [{"item_id": i, "quantity": 1} for i in items[:LINES]]}
        )
        health_lua = wrk.script(tmp_path / "healthz.lua")
        orders_lua = wrk.script(
            tmp_path / "orders.lua",
            "POST",
            order,
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        health_url, orders_url = f"{server.url}/healthz", f"{server.url}/api/orders"

        if WARMUP_S:
            _clean(wrk.run(health_url, health_lua, WARMUP_S), "healthz warm-up")
            _clean(wrk.run(orders_url, orders_lua, WARMUP_S), "orders warm-up")

        # Rounds of (ceiling, orders), and the best run of each counts. Other work on the
        # machine only ever slows a run down (timeit takes the best of its repeats for the same
        # reason), so a burst of it during one run must not pass for our limit or the edge's.
        # On the shared VM this was measured on, both endpoints halve for a second or more at
        # a time, at random (seen sampling every 100 ms, with the server's CPU busy throughout).
        # The server's CPU time per request tells the edge's cost apart from the machine's pace.
        ceilings, runs, cpu_us = [], [], {"ceiling": [], "orders": []}
        pushed_during: list[int] = []  # seqs the sync pushed while orders were taken
        for _ in range(ROUNDS):
            cpu = cpu_seconds(server.pid)
            ceiling = wrk.run(health_url, health_lua, PHASE_S)
            cpu_us["ceiling"].append((cpu_seconds(server.pid) - cpu) / ceiling.requests * 1e6)
            _clean(ceiling, "healthz")
            ceilings.append(ceiling)
            orders_before, before = _orders(data_dir), server.stats()
            pushed = _pushed(data_dir)
            cpu = cpu_seconds(server.pid)
            run = wrk.run(orders_url, orders_lua, PHASE_S)
            cpu_us["orders"].append((cpu_seconds(server.pid) - cpu) / run.requests * 1e6)
            after = server.stats()
            pushed_during.append(_pushed(data_dir) - pushed)
            _clean(run, "orders")
            # Every acknowledged order is in the database (some unacknowledged ones may be
            # too: wrk stops with requests in flight).
            assert _orders(data_dir) - orders_before >= run.requests
            assert after["failed_writes"] == before["failed_writes"]
            runs.append(
                (
                    run,
                    after["writes"] - before["writes"],
                    after["syncs"] - before["syncs"],
                    after["commits"] - before["commits"],
                )
            )
        ceiling = max(ceilings, key=lambda r: r.per_s)
        result, writes, syncs, transactions = max(runs, key=lambda r: r[0].per_s)

        if FULL and _orders(data_dir) < RSS_AFTER_ORDERS:
            missing = RSS_AFTER_ORDERS - _orders(data_dir)
            extra = wrk.run(orders_url, orders_lua, math.ceil(missing / result.per_s) + 1)
            _clean(extra, "orders top-up")
            assert _orders(data_dir) >= RSS_AFTER_ORDERS
        rss = rss_mb(server.pid)
        sync_status = httpx.get(
            f"{server.url}/api/sync", headers={"Authorization": f"Bearer {token}"}, timeout=10
        ).json()
    finally:
        server.stop()
        hub.close()

    ratio = result.per_s / ceiling.per_s
    # Latency: the median run, so one run stalled by the machine decides neither way.
    p99_ms = statistics.median(run.p99_ms for run, *_ in runs)
    report = {
        "bench": "orders",
        "sync": "live hub" if sync else "off",
        "sync_state": sync_status["state"],
        "sync_waiting": sync_status["waiting"],
        # The sync holds back while the tills keep the writer busy (edge.runtime.pacing): what
        # it pushed during the order runs (a batch in flight as a run starts, at most).
        "sync_pushed_in_runs": pushed_during,
        "throughput_per_s": round(result.per_s, 1),
        "p50_ms": round(result.p50_ms, 2),
        "p99_ms": round(p99_ms, 2),
        "ceiling_per_s": round(ceiling.per_s, 1),
        "ratio": round(ratio, 3),
        # Orders that shared one fsync (one commit to disk); the writer's transactions are
        # smaller, as it goes on with the next while the last is being flushed.
        "orders_per_commit": round(writes / syncs, 2) if syncs else 0.0,
        "orders_per_transaction": round(writes / transactions, 2) if transactions else 0.0,
        "rss_mb": round(rss, 1),
        "orders_runs_per_s": [round(r.per_s, 1) for r, *_ in runs],
        "ceiling_runs_per_s": [round(r.per_s, 1) for r in ceilings],
        "p99_runs_ms": [round(r.p99_ms, 2) for r, *_ in runs],
        "orders_cpu_us_runs": [round(us) for us in cpu_us["orders"]],
        "ceiling_cpu_us_runs": [round(us) for us in cpu_us["ceiling"]],
    }
    print("\n" + json.dumps(report))

    if not FULL:
        return  # small size proves the benchmark runs; targets hold only at full size
    assert ceiling.per_s >= MIN_CEILING, (
        f"/healthz reached only {ceiling.per_s:.0f} req/s (< {MIN_CEILING}): the load generator"
        " or the machine is the bottleneck, not the edge; the numbers are not meaningful"
    )
    assert ratio >= MIN_RATIO, f"orders/healthz ratio {ratio:.3f} < {MIN_RATIO}: {report}"
    assert p99_ms < MAX_P99_MS, f"p99 {p99_ms:.1f} ms >= {MAX_P99_MS}: {report}"
    assert rss < MAX_RSS_MB, f"RSS {rss:.0f} MB >= {MAX_RSS_MB} after 10,000 orders: {report}"
