"""Retention, run off the busy hours: what `edge.core.retention` may forget goes in small
batches through the writer, a few milliseconds each, with other writes let in between.

It runs a minute after start-up (a box that was off for a while catches up) and every night at
04:30 in the store's time zone, when restaurants are shut and before the business day starts,
as an APScheduler job on the event loop. A run that fails is logged and tried again next time:
nothing in it is urgent. APScheduler reads the system clock; the night is the box's
(`sync.clock`, which a manager may have set apart from it: `BoxCron`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from edge.core import retention
from edge.core.retention import Keep
from sync.clock import shifted_ms, utcnow

log = logging.getLogger(__name__)
Write = Callable[..., Awaitable[Any]]
AFTER_START_S = 60
NIGHTLY = {"hour": 4, "minute": 30}


async def prune(write: Write, keep: Keep, now: datetime | None = None) -> dict[str, int]:
    """Forget all that may go, one batch per write, and give the space back: how many rows of
    each kind went."""
    moment = now or utcnow()
    steps: dict[str, Callable[..., Any]] = {
        "events": lambda conn: retention.prune_events(conn, moment, keep),
        "tickets": lambda conn: retention.prune_tickets(conn, moment, keep),
        "print_jobs": lambda conn: retention.prune_print_jobs(conn, moment, keep),
        "idempotency_keys": lambda conn: retention.prune_idempotency_keys(conn, moment),
    }
    gone = dict.fromkeys(steps, 0)
    for name, step in steps.items():
        while count := await write(step):
            gone[name] += count
            await asyncio.sleep(0)  # the next batch queues behind others' writes
    while await write(retention.give_back):
        await asyncio.sleep(0)
    return gone


class BoxCron(CronTrigger):
    """A cron trigger on the box's clock, which may run apart from the system clock that
    APScheduler reads (`sync.clock.shift`): its times are found on the box's clock and given
    back on the system's."""

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        apart = timedelta(milliseconds=shifted_ms())
        before = previous_fire_time + apart if previous_fire_time else None
        fire = super().get_next_fire_time(before, now + apart)
        return fire - apart if fire else None


class Housekeeping:
    """The scheduled runs of `prune` for one box."""

    def __init__(self, write: Write, keep: Keep, timezone: str) -> None:
        self.write = write
        self.keep = keep
        self.scheduler = AsyncIOScheduler(timezone=timezone)

    def start(self) -> None:
        soon = utcnow() + timedelta(seconds=AFTER_START_S)
        self.scheduler.add_job(self.run, DateTrigger(soon, timezone=UTC), id="prune-after-start")
        self.scheduler.add_job(self.run, self._nightly(), id="prune-nightly")
        self.scheduler.start()

    def clock_moved(self) -> None:
        """The box's clock moved apart from the system's: the night is found again."""
        if self.scheduler.running:
            self.scheduler.reschedule_job("prune-nightly", trigger=self._nightly())

    def _nightly(self) -> BoxCron:
        """04:30 in the store's zone: a trigger made without one takes the system's (UTC on
        the appliance), which put a Tokyo store's night at 13:30, mid-service."""
        return BoxCron(**NIGHTLY, timezone=self.scheduler.timezone)

    async def run(self) -> None:
        try:
            gone = await prune(self.write, self.keep)
        except Exception:
            log.exception("pruning the history failed; it is tried again at the next run")
            return
        if any(gone.values()):
            log.info("history pruned: %s", gone, extra={"pruned": gone})

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
