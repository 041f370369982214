"""Whether the box may trust its own clock, as `/healthz` and the pages' sync badge say it.

A Raspberry Pi has no battery-backed clock. It boots at the time it last saved (systemd-timesyncd
saves it every minute) and so behind by as long as it was off, until NTP answers, which a store
offline may never get; then the clock jumps, by hours or days. Everything the box dates (business
days, order and shift times, sign-in expiry) carries the error meanwhile, and nobody at the till
can see it. The box cannot know the right time, but it knows when its clock is surely wrong or
not yet set, and says which, most certain first:

    trusted (NTP set it)   systemd-timesyncd's flag file is there (`GALLEY_CLOCK_SYNC_FILE`)
    off_hub                the hub refused a signature as stale and told its time (> 5 minutes off)
    behind                 the clock is behind what the box recorded last (its hybrid clock,
                           which never goes back), by more than 5 minutes: it went back
    not_synchronized       timesyncd runs (the flag's folder is there) but NTP has not answered

and trusts it otherwise (a machine without timesyncd, such as a laptop running the demo), or
once a manager gave it their device's time (`edge.domain.box_time`), which it runs on until NTP
sets the clock. It says what time it reads (`now`), for the pages to show beside their own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service.shapes import FLAG, INSTANT, enum, nullable, shape, text
from sync.clock import iso, now_ms, utcnow

# The hub's signature window: a box's clock off by less is in step with the hub, and the hub's
# readings the box pulls may be as far ahead of its own (another box's clock absorbed).
OFF_S = 300

CLOCK = shape(
    "BoxClock",
    {
        "trusted": {**FLAG, "description": "false: times and business days may be wrong"},
        "problem": nullable(enum(("off_hub", "behind", "not_synchronized"))),
        "message": nullable(text("what is wrong with the box's clock and what to do, in words")),
        "now": {**INSTANT, "description": "the box's time, as it dates what it records"},
        "set_by_hand": {**FLAG, "description": "the box runs on a time a manager gave it"},
    },
)
_SET_IT = (
    " Until the box reaches the internet (NTP, UDP port 123) to set it, a manager can give it"
    " their device's time on the admin page (Sync); meanwhile check the date and time on tickets"
    " and reports."
)


def reading(
    sync_file: Path, recorded_ms: int, hub_offset_s: float, by_hand: bool
) -> dict[str, Any]:
    """The box's clock as `CLOCK` describes it. `recorded_ms`: the latest time the box recorded
    (its hybrid clock's); `hub_offset_s`: the hub's clock minus the box's, once the hub said;
    `by_hand`: the box runs on a time a manager gave it."""
    judged = _judged(sync_file, recorded_ms, hub_offset_s, by_hand)
    return {**judged, "now": iso(utcnow()), "set_by_hand": by_hand}


def _judged(
    sync_file: Path, recorded_ms: int, hub_offset_s: float, by_hand: bool
) -> dict[str, Any]:
    if sync_file.exists():
        return _trusted()
    if abs(hub_offset_s) > OFF_S:
        way = "behind" if hub_offset_s > 0 else "ahead of"
        minutes = round(abs(hub_offset_s) / 60)
        return _untrusted("off_hub", f"The box's clock is {minutes} minutes {way} the hub's.")
    behind_s = (recorded_ms - now_ms()) / 1000
    if behind_s > OFF_S:
        recorded = datetime.fromtimestamp(recorded_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
        return _untrusted(
            "behind",
            f"The box's clock is {round(behind_s / 60)} minutes behind what it recorded last"
            f" ({recorded}): it went back, as a box without a clock battery does after a power"
            " cut.",
        )
    if by_hand:
        return {
            **_trusted(),
            "message": "The box runs on the time a manager gave it, until it reaches the"
            " internet (NTP) to set its clock.",
        }
    if sync_file.parent.is_dir():
        return _untrusted(
            "not_synchronized",
            "The box's clock has not been set from the internet since it started: after a power"
            " cut it runs from the time it last saved.",
        )
    return _trusted()


def _trusted() -> dict[str, Any]:
    return {"trusted": True, "problem": None, "message": None}


def _untrusted(problem: str, what: str) -> dict[str, Any]:
    return {"trusted": False, "problem": problem, "message": what + _SET_IT}
