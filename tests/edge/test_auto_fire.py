"""The box's auto-fire timer: it goes through the writer only when a course is due."""

from __future__ import annotations

import asyncio

from edge.core.permissions import SYSTEM
from edge.domain import tickets
from edge.runtime import auto_fire


async def test_the_timer_fires_what_is_due_and_only_then(monkeypatch):
    monkeypatch.setattr(auto_fire, "INTERVAL", 0.001)
    due = iter([False, False, True])
    looked, fired = [], asyncio.Event()

    def read_now(fn):
        looked.append(fn)
        return next(due, False)

    async def write(fn, actor):
        assert (fn, actor) == (tickets.fire_due, SYSTEM)
        fired.set()

    timer = auto_fire.AutoFire(read_now, write, asyncio.get_running_loop())
    try:
        await asyncio.wait_for(fired.wait(), 5)
    finally:
        timer.stop()
    assert looked[:3] == [tickets.due] * 3


async def test_a_failed_look_does_not_stop_the_timer(monkeypatch, caplog):
    monkeypatch.setattr(auto_fire, "INTERVAL", 0.001)
    calls = []

    def read_now(fn):
        calls.append(fn)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return True

    fired = asyncio.Event()

    async def write(fn, actor):
        fired.set()

    timer = auto_fire.AutoFire(read_now, write, asyncio.get_running_loop())
    try:
        await asyncio.wait_for(fired.wait(), 5)
    finally:
        timer.stop()
    assert "auto-fire failed" in caplog.text
