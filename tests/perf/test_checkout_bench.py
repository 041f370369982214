"""Benchmark: checkouts at 10 tills at once against a real edge (uvicorn in a subprocess).

Each till is a paired device with a cashier signed in and a shift open. A checkout is four
calls, each with an Idempotency-Key as the page sends them: ring up 5 items (the order, sent to
the kitchen), open its check, a 5 % discount, and cash with change (the drawer opens and the
receipt prints, on the printer emulator in this process). Prints one JSON line: checkouts per
second, the p99 of each step and of a whole checkout, `p99_ms` (the slowest step's p99; target
under 30 ms) and the ratio against the trivial endpoint's ceiling (`/healthz`) measured in the
same run by the same client at the same concurrency. The tills share this process and the
machine's two cores with the server, so they speak HTTP/1.1 over plain asyncio streams
(`harness.Line`, about 0.2 ms of CPU a request) rather than httpx (2.5-5.5 ms a request, as
much as the box's own work, counted in every step's latency). The steps and the ceiling use the
same client: the ceiling is still the client's as much as the box's, and the ratio is what
compares.

Also the box's CPU per checkout split by thread (the event loop, the writer with SQLite, the
rest: syncers and print workers; the print workers' threads also on their own), read from /proc.

Small in CI; `GALLEY_BENCH=full` runs 100 checkouts per till and asserts the target.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import secrets
import time
from pathlib import Path

import httpx
import orjson
import pytest

from printers.emulator import run_in_thread
from tests.conftest import credential, pairing, sign_in_body, signed_in
from tests.perf.harness import EdgeServer, Line, copy_demo, plain_items
from tests.perf.serve import cpu_seconds

pytestmark = pytest.mark.perf

FULL = os.environ.get("GALLEY_BENCH") == "full"
TILLS = 10
CHECKOUTS = 100 if FULL else 5  # per till
CEILING_S = 5.0 if FULL else 1.0
MAX_P99_MS = 30.0
STEPS = ("order", "check", "discount", "pay")


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


async def _post(line: Line, path: str, body: dict) -> dict:
    headers = {"Idempotency-Key": secrets.token_hex(16)}
    status, answer = await line.post(path, orjson.dumps(body), headers)
    assert status < 300, (path, answer)
    return orjson.loads(answer)


async def _till(base: str, token: str, items: list[str], times: dict[str, list[float]]) -> None:
    line = await Line.open(base, {"Authorization": f"Bearer {token}"})
    try:
        await _post(line, "/api/shifts", {"float": 10_000})
        lines = [{"item_id": item} for item in items]
        for _ in range(CHECKOUTS):
            start = time.perf_counter()
            marks = [start]
            order = await _post(
                line, "/api/orders", {"kind": "counter", "send": True, "lines": lines}
            )
            marks.append(time.perf_counter())
            check = await _post(line, "/api/checks", {"order_id": order["id"]})
            marks.append(time.perf_counter())
            discount = {"kind": "percent", "value": 500, "reason": "regular"}
            check = await _post(line, f"/api/checks/{check['id']}/discounts", discount)
            marks.append(time.perf_counter())
            given = (check["balance"] // 1000 + 1) * 1000
            taken = await _post(
                line, f"/api/checks/{check['id']}/payments", {"method": "cash", "given": given}
            )
            marks.append(time.perf_counter())
            assert (
                taken["check"]["status"] == "paid" and taken["change"] == given - check["balance"]
            )
            for step, (begin, end) in zip(STEPS, zip(marks, marks[1:], strict=False), strict=True):
                times[step].append((end - begin) * 1000)
            times["checkout"].append((marks[-1] - start) * 1000)
    finally:
        line.close()


async def _ceiling(base: str, seconds: float) -> float:
    """/healthz answers per second from TILLS clients at once, for `seconds`."""
    done = 0
    stop = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal done
        line = await Line.open(base)
        try:
            while time.perf_counter() < stop:
                assert (await line.get("/healthz"))[0] == 200
                done += 1
        finally:
            line.close()

    begin = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(TILLS)))
    return done / (time.perf_counter() - begin)


def _tills(server: EdgeServer) -> tuple[str, list[str]]:
    """An owner's token and a cashier's on each of TILLS paired devices (the box takes 10
    pairings from one address in 10 minutes: the owner signs in on the first till)."""
    tokens, owner = [], ""
    with httpx.Client(base_url=server.url, timeout=10.0) as http:
        for n in range(TILLS):
            device = credential(
                http.post(
                    "/api/devices/pair", json=pairing(f"till {n}", server.data_dir / "edge.db")
                )
            )
            roster = http.get("/api/staff/roster", headers=device).json()
            for role in ("cashier", "owner") if n == 0 else ("cashier",):
                answer = http.post("/api/sessions", headers=device, json=sign_in_body(roster, role))
                token = signed_in(answer)["Authorization"].removeprefix("Bearer ")
                if role == "owner":
                    owner = token
                else:
                    tokens.append(token)
    return owner, tokens


def test_checkout_throughput(demo_template: Path, tmp_path: Path) -> None:
    data_dir = copy_demo(demo_template, tmp_path / "edge")
    server = EdgeServer(data_dir).start()
    try:
        with run_in_thread() as emulator:
            owner, tokens = _tills(server)
            with httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {owner}"}
            ) as http:
                for printer in http.get("/api/printers").json():
                    transport = {"kind": "network", "host": "127.0.0.1", "port": emulator.port}
                    assert (
                        http.patch(
                            f"/api/printers/{printer['id']}", json={"transport": transport}
                        ).status_code
                        == 200
                    )
                threads = http.get("/_bench/stats").json()
            tids = {"loop": threads["loop_tid"], "writer": threads["writer_tid"]}
            items = plain_items(server.url)[:5]
            times: dict[str, list[float]] = {step: [] for step in (*STEPS, "checkout")}

            def cpu_now() -> dict[str, float]:
                return {
                    "all": cpu_seconds(server.pid),
                    **{name: cpu_seconds(server.pid, tid) for name, tid in tids.items()},
                    "print": sum(cpu_seconds(server.pid, tid) for tid in threads["print_tids"]),
                }

            async def run() -> tuple[float, float, dict[str, float], float]:
                ceiling = await _ceiling(server.url, CEILING_S)
                begin, cpu = time.perf_counter(), cpu_now()
                client = time.thread_time()  # the tills' loop (the emulator has its own thread)
                await asyncio.gather(*(_till(server.url, token, items, times) for token in tokens))
                client_ms = (time.thread_time() - client) * 1000 / (TILLS * CHECKOUTS)
                cpu_ms = {
                    name: (seconds - cpu[name]) * 1000 / (TILLS * CHECKOUTS)
                    for name, seconds in cpu_now().items()
                }
                per_s = TILLS * CHECKOUTS / (time.perf_counter() - begin)
                return ceiling, per_s, cpu_ms, client_ms

            ceiling, per_s, cpu_ms, client_ms = asyncio.run(run())
            # every checkout's receipt and drawer pulse reach the printer
            emulator.wait_for_jobs(2 * TILLS * CHECKOUTS, timeout=60)
            server.stop()
    finally:
        server.stop()

    steps = {step: round(p99(times[step]), 2) for step in STEPS}
    report = {
        "bench": "checkout",
        "tills": TILLS,
        "checkouts": TILLS * CHECKOUTS,
        "checkouts_per_s": round(per_s, 1),
        "p99_ms": max(steps.values()),
        "p99_step_ms": steps,
        "p99_checkout_ms": round(p99(times["checkout"]), 2),
        "ceiling_per_s": round(ceiling, 1),
        "ratio": round(per_s * len(STEPS) / ceiling, 3),  # calls per second against the ceiling
        # the box's own cost: its CPU time per checkout (all four calls, receipt and pulse)
        "server_cpu_ms_per_checkout": round(cpu_ms["all"], 2),
        # of which the event loop's thread and the writer's (SQLite included); the rest is the
        # syncers' and the print workers'
        "server_cpu_ms_split": {
            "loop": round(cpu_ms["loop"], 2),
            "writer": round(cpu_ms["writer"], 2),
            "other": round(cpu_ms["all"] - cpu_ms["loop"] - cpu_ms["writer"], 2),
        },
        # of "other", the print workers' threads (the rest is the syncers')
        "print_workers_cpu_ms_per_checkout": round(cpu_ms["print"], 2),
        "client_cpu_ms_per_checkout": round(client_ms, 2),
        "load_average": round(os.getloadavg()[0], 2),  # the machine's 1-minute load as the run ends
        "target_p99_ms": MAX_P99_MS,
    }
    print("\n" + json.dumps(report))
    if FULL:
        assert report["p99_ms"] < MAX_P99_MS, report
