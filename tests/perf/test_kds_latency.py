"""Benchmark: from an order's send to its tickets on every kitchen screen.

A real edge (uvicorn, uvloop) in a subprocess; in this process, 20 kitchen screens (websockets
on the `kitchen` topic) and 200 guest-like websockets (the `orders` topic: every order reaches
each of them, as the guests' phones will follow their orders) stay connected while orders (a
drink and a starter: a BAR and a KITCHEN ticket each) are sent at 20 a second. For every ticket
and every screen: the time from the start of the send request to the ticket's arrival on that
screen. One JSON line: `p50_ms`, `p99_ms` and `lost` (tickets that never arrived on a screen;
must be 0), with the ceiling the issue sets (p99 under 20 ms) and the ratio to it.

Small in CI (3 s of orders); `GALLEY_BENCH=full` runs 30 s and asserts the target. The screens
and the guests share the machine's two cores with the edge, so figures are noisy when others
run too; the client is made cheap so as to take as little of them as it can (the guests in a
process of their own, both processes on uvloop, as the edge is, every socket a plain websocket
reader that notes when a message's bytes were read, orders sent as plain HTTP/1.1), which
changes nothing that is measured. The JSON line has the edge's CPU a sent order too (its event
loop's, and the whole process's), steadier than latencies on a busy machine.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import multiprocessing
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvloop

from printers.emulator import run_in_thread
from tests.perf.harness import EdgeServer, copy_demo, plain_items, sign_in
from tests.perf.serve import cpu_seconds

pytestmark = pytest.mark.perf

FULL = os.environ.get("GALLEY_BENCH") == "full"
SECONDS = 30 if FULL else 3
RATE = 20  # orders a second
SCREENS = 20
GUESTS = 200
TICKETS_PER_ORDER = 2  # a drink (BAR) and a starter (KITCHEN)
GRACE_S = 5.0  # how long after the last send a ticket may still arrive
MAX_P99_MS = 20.0
KEPT_ALIVE_S = 2.0  # uvicorn closes a connection idle for 5 s


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _screen(arrivals: dict[str, list[float]]) -> Callable[[bytes, float], None]:
    """A kitchen screen's reading of a message: the time each ticket arrived, by its order's id."""

    def read(message: bytes, arrived: float) -> None:
        event = json.loads(message)
        if event.get("entity") == "tickets" and event.get("op") == "create":
            arrivals.setdefault(event["fields"]["order_id"], []).append(arrived)

    return read


async def _open(port: int, path: str, token: str, read: Any = None) -> _Socket:
    """A signed-in `_Socket` on the edge at `port`, open."""
    socket = _Socket(path, token, asyncio.get_running_loop().create_future(), read)
    await asyncio.get_running_loop().create_connection(lambda: socket, "127.0.0.1", port)
    await socket.opened
    return socket


def _guests(url: str, token: str, since: int, ready: Any, stop: Any, heard: Any) -> None:
    """The guests' phones, in a process of their own: 200 websockets on the `orders` topic,
    each reading every message (counted in `heard`), until `stop` is set. Apart from the
    screens, so that the screens' arrival times are not held up behind the guests' messages in
    one event loop; and plain (`_Socket`), so that they take as little of the machine's CPU as
    they can."""

    async def run() -> None:
        port, path = int(url.rsplit(":", 1)[1]), f"/ws?topics=orders&since={since}"
        phones = [await _open(port, path, token) for _ in range(GUESTS)]
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.1)  # polling the stop flag between a test's phases
        heard.value = sum(phone.heard for phone in phones)
        for phone in phones:
            phone.transport.close()

    uvloop.run(run())


class _Socket(asyncio.Protocol):
    """A websocket of the feed at its plainest: it opens, signs in, counts the messages it gets
    (each given to `read` with the time its bytes were read, if `read`) and answers the
    server's pings; websockets' client took about 8 ms of CPU an order for 200 guests. The edge
    sends each message as one frame."""

    def __init__(
        self,
        path: str,
        token: str,
        opened: asyncio.Future[None],
        read: Callable[[bytes, float], None] | None = None,
    ) -> None:
        self.path, self.token, self.opened, self.read = path, token, opened, read
        self.buffer = bytearray()
        self.heard = 0
        self.transport: asyncio.Transport

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        arrived = time.monotonic()
        self.buffer += data
        if not self.opened.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            assert self.buffer.startswith(b"HTTP/1.1 101"), bytes(self.buffer)
            del self.buffer[: end + 4]
            auth = json.dumps({"type": "auth", "token": self.token}).encode()
            self.transport.write(_masked(0x1, auth))
            self.opened.set_result(None)
        while len(self.buffer) >= 2:
            length, start = self.buffer[1] & 0x7F, 2
            if length >= 126:
                start = 4 if length == 126 else 10
                if len(self.buffer) < start:
                    return
                length = int.from_bytes(self.buffer[2:start], "big")
            if len(self.buffer) < start + length:
                return
            first, payload = self.buffer[0], bytes(self.buffer[start : start + length])
            del self.buffer[: start + length]
            if first & 0x0F == 0x9:  # a ping
                self.transport.write(_masked(0xA, payload))
            elif first & 0x0F in (0x1, 0x2):  # a message
                assert first & 0x80, "a message in fragments"
                self.heard += 1
                if self.read is not None:
                    self.read(payload, arrived)


def _masked(opcode: int, payload: bytes) -> bytes:
    """A client's frame: final, masked, its payload under 126 bytes."""
    assert len(payload) < 126
    mask = os.urandom(4)
    body = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body


class _Till:
    """Orders sent as plain HTTP/1.1 over kept-alive connections (one per send in flight):
    httpx took a few milliseconds of this process's CPU a request, as much as the screens, and
    its answer was read as the tickets arrived."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.head = (
            f"POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        ).encode()
        # each with when it was last used
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def send(self, body: dict) -> tuple[int, bytes]:
        """The answer's status and body."""
        while self.idle and self.idle[-1][2] < time.monotonic() - KEPT_ALIVE_S:
            self.idle.pop()[1].close()  # the server may be closing it
        if self.idle:
            reader, writer, _ = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        data = json.dumps(body).encode()
        writer.write(b"%sContent-Length: %d\r\n\r\n%s" % (self.head, len(data), data))
        head = (await reader.readuntil(b"\r\n\r\n")).decode().lower()
        length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
        answer = await reader.readexactly(length)
        self.idle.append((reader, writer, time.monotonic()))
        return int(head.split(" ", 2)[1]), answer

    async def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()
        self.idle.clear()


async def _run(server: EdgeServer) -> dict:
    kitchen = sign_in(server, "kitchen", "kds")
    waiter = sign_in(server, "waiter", "tills")
    drinks = _course_items(server.url, "DRINKS")
    starters = _course_items(server.url, "STARTERS")
    drink = [item for item in plain_items(server.url, "BAR") if item in drinks]
    starter = [item for item in plain_items(server.url, "KITCHEN") if item in starters]
    arrivals: list[dict[str, list[float]]] = [{} for _ in range(SCREENS)]
    sent: dict[str, float] = {}
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {waiter}"}, timeout=30.0
    ) as http:
        since = (await http.get("/api/events?limit=1&since=0")).json()["last_seq"]
        last = (await http.get(f"/api/events?since={since}")).json()["last_seq"]
        spawn = multiprocessing.get_context("spawn")
        ready, stop, heard = spawn.Event(), spawn.Event(), spawn.Value("q", 0)
        guests = spawn.Process(target=_guests, args=(server.url, waiter, last, ready, stop, heard))
        guests.start()
        try:
            assert await asyncio.to_thread(ready.wait, 60), "the guests' sockets never opened"
            loop_tid = (await http.get("/_bench/stats")).json()["loop_tid"]
            cpu = (cpu_seconds(server.pid, loop_tid), cpu_seconds(server.pid))
            till = _Till(server.port, waiter)
            try:
                await _measure(till, server.url, kitchen, last, drink, starter, arrivals, sent)
            finally:
                await till.close()
            cpu = (cpu_seconds(server.pid, loop_tid) - cpu[0], cpu_seconds(server.pid) - cpu[1])
        finally:
            stop.set()
            await asyncio.to_thread(guests.join, 30)

    latencies = [
        (arrived - sent[order]) * 1000
        for screen in arrivals
        for order, times in screen.items()
        if order in sent
        for arrived in times
    ]
    expected = len(sent) * TICKETS_PER_ORDER * SCREENS
    return {
        "bench": "kds_latency",
        "full": FULL,
        "orders": len(sent),
        "orders_per_s": RATE,
        "kds_sockets": SCREENS,
        "guest_sockets": GUESTS,
        "guest_messages": heard.value,  # each order's events, on each guest socket
        "tickets_expected": expected,
        "p50_ms": round(percentile(latencies, 0.5), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None,
        "lost": expected - len(latencies),
        # the server's CPU a sent order (connecting the screens included): its event loop's,
        # and the whole process's (the writer, the print workers); steadier than wall clock
        # figures on a shared machine
        "loop_cpu_ms_per_order": round(cpu[0] * 1000 / len(sent), 2),
        "cpu_ms_per_order": round(cpu[1] * 1000 / len(sent), 2),
        "p99_ceiling_ms": MAX_P99_MS,
        "p99_ratio": round(percentile(latencies, 0.99) / MAX_P99_MS, 2) if latencies else None,
    }


async def _measure(
    till: _Till,
    url: str,
    kitchen: str,
    since: int,
    drink: list[str],
    starter: list[str],
    arrivals: list[dict[str, list[float]]],
    sent: dict[str, float],
) -> None:
    """Orders at RATE a second for SECONDS, each screen noting when each ticket arrives."""
    port, path = int(url.rsplit(":", 1)[1]), f"/ws?topics=kitchen&since={since}"
    screens = [await _open(port, path, kitchen, _screen(arrivals[i])) for i in range(SCREENS)]

    async def send(n: int) -> None:
        body = {
            "kind": "counter",
            "send": True,
            "lines": [
                {"item_id": drink[n % len(drink)]},
                {"item_id": starter[n % len(starter)]},
            ],
        }
        started = time.monotonic()
        status, answer = await till.send(body)
        assert status == 201, answer
        sent[json.loads(answer)["id"]] = started

    sends = []
    begun = time.monotonic()
    for n in range(SECONDS * RATE):
        await asyncio.sleep(max(0.0, begun + n / RATE - time.monotonic()))  # the pace
        sends.append(asyncio.create_task(send(n)))
    await asyncio.gather(*sends)
    deadline = time.monotonic() + GRACE_S
    expected = len(sent) * TICKETS_PER_ORDER
    while time.monotonic() < deadline and any(
        sum(len(times) for times in screen.values()) < expected for screen in arrivals
    ):
        await asyncio.sleep(0.05)  # waiting for stragglers, bounded by the grace period
    for screen in screens:
        screen.transport.close()


def _course_items(base_url: str, course: str) -> set[str]:
    menu = httpx.get(f"{base_url}/api/menu", timeout=10.0).json()
    return {i["id"] for c in menu["categories"] for i in c["items"] if i["course"] == course}


def test_kds_latency(demo_template: Path, tmp_path: Path) -> None:
    with run_in_thread() as printer:  # the tickets print too, as in a store
        server = EdgeServer(copy_demo(demo_template, tmp_path / "edge")).start()
        try:
            manager = {"Authorization": f"Bearer {sign_in(server, 'manager', 'office')}"}
            with httpx.Client(base_url=server.url, headers=manager, timeout=10.0) as http:
                for found in http.get("/api/printers").json():
                    transport = {"kind": "network", "host": "127.0.0.1", "port": printer.port}
                    changed = http.patch(
                        f"/api/printers/{found['id']}", json={"transport": transport}
                    )
                    assert changed.status_code == 200, changed.text
            result = uvloop.run(_run(server))
        finally:
            server.stop()  # before the printer goes: no job is left retrying at a closed port
    print("\n" + json.dumps(result))
    assert result["lost"] == 0
    if FULL:
        assert result["p99_ms"] < MAX_P99_MS
