"""What the box does on its own, on a clock (apscheduler 3, in the box's event loop): close
table sessions left idle (every minute), at 03:00 in the store's time zone forget guests'
nicknames of sessions closed a day before, and at 04:00 (and at start-up, for a box that was
off then) make today's pass for guests. The work is the domain's (`table_sessions`), done
through the writer like any write; tests call those functions at moved times (freezegun)."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from edge.domain import store, table_sessions

log = logging.getLogger(__name__)
IDLE_CHECK_SECONDS = 60
PURGE_AT = 3  # o'clock, in the store's time zone


def _timezone(conn: Any) -> str:
    """The store's time zone (UTC on a box with no store yet: it serves nothing then)."""
    try:
        return store.get(conn)["timezone"]
    except LookupError:
        return "UTC"


def pass_trigger(timezone: str) -> CronTrigger:
    """04:00 each day in the store's time zone, daylight saving or not."""
    return CronTrigger(hour=table_sessions.PASS_ROTATES_AT, timezone=timezone)


def start(box: Any) -> AsyncIOScheduler:
    """Start the box's scheduled jobs on the running loop; `stop` ends them."""
    timezone = box.read_now(_timezone)
    scheduler = AsyncIOScheduler(event_loop=box.bus.loop, timezone=timezone)

    async def close_idle() -> None:
        closed = await box.write(table_sessions.close_idle)
        if closed:
            log.info("closed %d idle table sessions", closed, extra={"sessions": closed})

    async def purge_guests() -> None:
        purged = await box.write(table_sessions.purge_guests)
        log.info("forgot the guests of %d sessions", purged, extra={"sessions": purged})

    async def rotate_pass() -> None:
        if await box.write(table_sessions.rotate_pass):
            log.info("made today's pass for guests")

    scheduler.add_job(close_idle, "interval", seconds=IDLE_CHECK_SECONDS, id="close_idle")
    scheduler.add_job(purge_guests, "cron", hour=PURGE_AT, id="purge_guests")
    scheduler.add_job(rotate_pass, pass_trigger(timezone), id="rotate_pass")
    scheduler.add_job(rotate_pass, id="rotate_pass_at_start")  # now: the stored one may be stale
    scheduler.start()
    return scheduler


async def start_when_set_up(box: Any) -> AsyncIOScheduler:
    """`start` once the box has its store: at once, or for a replacement box once its store's
    setup came from the hub (in the store's time zone, not UTC)."""
    await box.sync.set_up.wait()
    return start(box)
