"""The kitchen's timer: fires an order's next course once its auto-fire delay has passed.

With auto-fire on and a delay set, bumping an order's last food ticket only notes when its
next course is due (`tickets.auto_fire_at`); this timer fires it (`tickets.fire_due`, through
the writer, as the box itself). Once a second it asks a reader whether anything is due (a seek on
the partial index `tickets_auto_fire`, a few microseconds) and goes through the writer only then,
so an idle kitchen costs the writer nothing. The due times are in the database: a course due
while the box was off fires at the first tick after it starts again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from edge.core.permissions import SYSTEM
from edge.domain import tickets

log = logging.getLogger(__name__)
INTERVAL = 1.0  # seconds between looks


class AutoFire:
    def __init__(
        self,
        read_now: Callable[..., Any],
        write: Callable[..., Awaitable[Any]],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._read_now, self._write = read_now, write
        self._task = loop.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(INTERVAL)
            try:
                if self._read_now(tickets.due):
                    await self._write(tickets.fire_due, SYSTEM)
            except Exception:  # a failed look must not stop the next ones
                log.exception("auto-fire failed; trying again in %s s", INTERVAL)

    def stop(self) -> None:
        self._task.cancel()
