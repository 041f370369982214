"""The edge tells systemd it is ready, alive and stopping, over a real NOTIFY_SOCKET datagram
socket: keep-alives at half of WATCHDOG_USEC, sent from the event loop so that they stop while
the loop is blocked; `galley edge serve` says READY=1 only once it answers."""

from __future__ import annotations

import asyncio
import os
import queue
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from edge.runtime.systemd import Notifier
from galley.cli import main
from tests.appliance.notify_socket import Listener, free_port

WATCHDOG_USEC = 200_000  # keep-alives every 0.1 s


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[Listener]:
    found = Listener(str(tmp_path / "notify"))
    yield found
    found.close()


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = Notifier({"WATCHDOG_USEC": "1000000"})
    assert notifier.notify("READY=1") is False
    assert Notifier({"NOTIFY_SOCKET": "relative/path"}).address is None


def test_watchdog_meant_for_another_process_is_not_ours() -> None:
    other = {"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}
    assert Notifier(other).keep_alive_s is None
    ours = {**other, "WATCHDOG_PID": str(os.getpid())}
    assert Notifier(ours).keep_alive_s == 0.5


async def test_ready_then_keep_alives_at_half_the_watchdog_interval(listener: Listener) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": str(WATCHDOG_USEC)})
    assert notifier.keep_alive_s == 0.1
    notifier.ready()
    assert (await asyncio.to_thread(listener.next))[1] == "READY=1\nSTATUS=Serving"
    beats = [await asyncio.to_thread(listener.next) for _ in range(4)]
    assert {message for _, message in beats} == {"WATCHDOG=1"}
    gaps = [later - earlier for (earlier, _), (later, _) in zip(beats, beats[1:], strict=False)]
    # asyncio may wake a timer up to its clock's resolution early; never sooner than that.
    assert min(gaps) >= 0.1 - 0.01
    notifier.stopping()
    message = ""
    while message != "STOPPING=1\nSTATUS=Stopping":
        _, message = await asyncio.to_thread(listener.next)
    assert listener.messages.empty()  # and nothing after it


async def test_keep_alives_stop_while_the_loop_is_blocked(listener: Listener) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": str(WATCHDOG_USEC)})
    notifier.ready()
    assert (await asyncio.to_thread(listener.next))[1] == "READY=1\nSTATUS=Serving"
    assert (await asyncio.to_thread(listener.next))[1] == "WATCHDOG=1"
    while not listener.messages.empty():
        listener.next()
    # Block the event loop itself (a handler stuck in a blocking call) for five intervals:
    # nothing may reach systemd meanwhile, so its watchdog would fire.
    with pytest.raises(queue.Empty):
        listener.next(timeout=0.5)
    # Free again, the loop sends the next keep-alive.
    assert (await asyncio.to_thread(listener.next))[1] == "WATCHDOG=1"
    notifier.stopping()


def test_edge_serve_says_ready_once_it_answers_and_stopping_on_sigterm(tmp_path: Path) -> None:
    data = tmp_path / "box"
    assert (
        main(["edge", "init", "--data-dir", str(data), "--store-name", "A", "--owner-name", "B"])
        == 0
    )
    listener = Listener(f"@galley-test-{secrets.token_hex(8)}")  # the abstract namespace
    port = free_port()
    env = {
        **os.environ,
        "NOTIFY_SOCKET": listener.address,
        "WATCHDOG_USEC": str(WATCHDOG_USEC),
        "GALLEY_DATA_DIR": str(data),
        "GALLEY_EDGE_HOST": "127.0.0.1",
        "GALLEY_EDGE_PORT": str(port),
        "GALLEY_PRINT_WORKERS": "0",
    }
    galley = Path(sys.executable).with_name("galley")
    edge = subprocess.Popen([galley, "edge", "serve"], env=env, stderr=subprocess.DEVNULL)
    try:
        assert listener.next(timeout=60)[1] == "READY=1\nSTATUS=Serving"
        health = httpx.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert listener.next()[1] == "WATCHDOG=1"
        edge.send_signal(signal.SIGTERM)
        # uvicorn stops gracefully, then dies by the signal it caught: a clean stop to systemd.
        assert edge.wait(30) in (0, -signal.SIGTERM)
        messages = []
        while not listener.messages.empty():
            messages.append(listener.next()[1])
        assert messages[-1] == "STOPPING=1\nSTATUS=Stopping"
    finally:
        if edge.poll() is None:
            edge.kill()
            edge.wait()
        listener.close()
