"""The tills come first: background work (the sync) waits while the writer is busy with theirs.

The box has one core to share. A batch of sync (reading 500 events, encoding, signing and
sending them, parsing and applying the hub's page back) costs the box about as much CPU as a
hundred orders; run in the middle of a rush, it slows order taking by a quarter. Nothing the
sync does is urgent to the second, so before each batch it asks `Pacing.turn()`, which returns
at once while the store is calm and waits while the tills keep the writer busy (more than
`busy_per_s` writes a second, or writes queued for it: a writer
stalled on the disk is not a calm one), looking again every `window_s`. While the store is
quiet a batch follows a batch without a wait: a backlog of 20,000 orders goes up at full pace. It
never waits longer than `longest_s` for one batch: under a rush that never ends the sync still
moves, a batch at a time (500 events every 30 s by default, far beyond any restaurant's pace).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

WINDOW_S = 0.1  # the span over which the writer's pace is measured
BUSY_PER_S = 50.0  # the tills' writes a second above which the writer is busy
LONGEST_S = 30.0  # the longest one batch waits for a calm moment


class Pacing:
    def __init__(
        self,
        writes: Callable[[], int],
        backlog: Callable[[], int],
        *,
        window_s: float = WINDOW_S,
        busy_per_s: float = BUSY_PER_S,
        longest_s: float = LONGEST_S,
    ) -> None:
        """`writes` counts the writer's writes so far (`WriterStats.writes`); `backlog` tells
        how many wait for it (`Writer.backlog`)."""
        self._writes, self._backlog = writes, backlog
        self.window_s, self.busy_per_s, self.longest_s = window_s, busy_per_s, longest_s
        self._seen: int | None = None  # the writer's count when the last turn was given
        self._own = 0  # the paced work's own writes since

    def own_write(self) -> None:
        """Count a write of the paced work's, which must not pass for the tills'."""
        self._own += 1

    async def turn(self) -> None:
        """Return when the writer is calm, or after `longest_s` at most.

        At once when the tills wrote no more since the last turn (however long ago) than a
        window's worth at the busy pace: a batch after a batch costs no wait while the store is
        quiet. Otherwise the pace is measured over fresh windows (the paced work writes nothing
        meanwhile): an average over the last batch's time would miss a rush begun a moment ago.
        """
        most = self.busy_per_s * self.window_s
        quiet = self._seen is not None and self._writes() - self._seen - self._own <= most
        if quiet and not self._backlog():
            self._given()
            return
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            before = self._writes()
            await asyncio.sleep(self.window_s)
            calm = self._writes() - before <= most and not self._backlog()
            if calm or loop.time() - start >= self.longest_s:
                self._given()
                return

    def _given(self) -> None:
        self._seen, self._own = self._writes(), 0
