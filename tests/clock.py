"""Moving a ticking freezegun clock forward from where it is now.

`freeze_time(..., tick=True)` lets the clock run, as the writer's and the loop's awaits need.
Its own `tick(delta)` moves the clock to the moment it was last set plus `delta`, dropping the
real seconds that ran since: on a loaded machine a test that ticks "ten minutes and a second"
past a code made a few seconds in lands before the code's expiry, and fails now and then.
`advance` moves on from the clock's present reading instead, so a step forward is never less
than it says."""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def advance(clock: Any, delta: timedelta | float) -> None:
    """Move `clock` (what `freeze_time(..., tick=True)` yields) `delta` (or that many seconds)
    past its present reading."""
    step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
    clock.move_to(clock() + step)
