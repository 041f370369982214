"""Prep times: how long the kitchen takes, per station and per item, over business days.

Built from the times each ticket item records as it moves on (`tickets`: fired, ready, bumped),
so the report costs nothing at service. Two spans: fired -> ready (the cooking) and ready ->
bumped (the food waiting at the pass). Counted per station and per item (by its name on the
ticket, as the kitchen read it), with the median and the 90th percentile, in seconds.

What counts: items bumped, or at least ready, on tickets of the chosen business days. An item
moved to another station counts once, at the station that made it (its MOVED copy is left
out); an item voided after firing is left out (nobody cooked it to the end). An item bumped
straight from NEW has a ready time equal to its bump: all its time counts as cooking.

The rows are found through the tickets' `(business_day, number, station)` key and each
ticket's items through `ticket_items_ticket`: a day's report reads a day's rows, never the
whole history. At 3,000 items a day, a month is under 100,000 short rows; the range is capped
at `MAX_DAYS`. The box keeps a ticket `keep_synced_days` (90 by default) after it left the
kitchen (`edge.core.retention.prune_tickets`): older days are the hub's, and read empty here.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable
from datetime import date
from typing import Any

from edge.core.permissions import Actor, require
from edge.domain import shifts
from service.errors import Invalid
from service.shapes import COUNT, DAY, array, nullable, shape, text

MAX_DAYS = 92

_SECONDS = {"type": "number", "minimum": 0, "description": "seconds"}
SPAN_VIEW = shape(
    "PrepSpan",
    {
        "count": {**COUNT, "description": "items timed"},
        "median_s": nullable(_SECONDS),
        "p90_s": nullable({**_SECONDS, "description": "seconds: 9 in 10 took no longer"}),
    },
)
_TIMES = {
    "items": {**COUNT, "description": "items fired and not voided, moved ones once"},
    "fired_to_ready": SPAN_VIEW,
    "ready_to_bumped": SPAN_VIEW,
}
STATION_TIMES = shape("StationPrepTimes", {"station": text("BAR, KITCHEN ..."), **_TIMES})
ITEM_TIMES = shape(
    "ItemPrepTimes", {"name": text("as the ticket shows it"), "station": text(), **_TIMES}
)
REPORT_VIEW = shape(
    "PrepTimes",
    {
        "from": DAY,
        "to": {**DAY, "description": "inclusive"},
        "stations": array(STATION_TIMES, "by code"),
        "items": array(ITEM_TIMES, "by station, then name"),
    },
)

# The two spans in seconds, computed by SQLite (NULL where a time is missing): a 90-day report
# reads some 340,000 items at 750 orders a day, and parsing their times in Python took most of
# its 314 ms (tests/perf/test_history.py's year). Stamps are ISO-8601 UTC to the millisecond,
# which julianday reads exactly enough for the report's thousandths of a second.
_ROWS = """
    SELECT i.station, i.name,
        MAX(0.0, (julianday(i.ready_at) - julianday(i.fired_at)) * 86400.0),
        MAX(0.0, (julianday(i.bumped_at) - julianday(i.ready_at)) * 86400.0)
    FROM tickets AS t JOIN ticket_items AS i ON i.ticket_id = t.id
    WHERE t.business_day BETWEEN ? AND ? AND i.state != 'MOVED' AND NOT i.voided
"""


def report(
    conn: sqlite3.Connection, actor: Actor, start: str | None, end: str | None
) -> dict[str, Any]:
    """Prep times of the business days `start` to `end` (inclusive; today's when `start` is
    not given, `start`'s alone when `end` is not), per station and item."""
    require(actor, "reports.run")
    first = _day("from", start or shifts.today(conn))
    last = _day("to", end) if end else first
    if last < first:
        raise Invalid("to must be on or after from", field="to")
    if (last - first).days >= MAX_DAYS:
        raise Invalid(f"at most {MAX_DAYS} days at a time", field="to")
    items: dict[tuple[str, str], _Tally] = {}
    rows = conn.cursor()
    rows.row_factory = None  # plain tuples: no per-row lookup by name
    for station, name, cooked, waited in rows.execute(_ROWS, (first.isoformat(), last.isoformat())):
        tally = items.get((station, name))
        if tally is None:
            tally = items[station, name] = _Tally()
        tally.add(cooked, waited)
    stations: dict[str, _Tally] = {}
    for (station, _), tally in items.items():
        stations.setdefault(station, _Tally()).merge(tally)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "stations": [{"station": code, **stations[code].view()} for code in sorted(stations)],
        "items": [
            {"name": name, "station": code, **items[code, name].view()}
            for code, name in sorted(items)
        ],
    }


class _Tally:
    """One station's or item's spans, as they are read."""

    def __init__(self) -> None:
        self.items = 0
        self.cooked: list[float] = []
        self.waited: list[float] = []

    def add(self, cooked: float | None, waited: float | None) -> None:
        self.items += 1
        if cooked is not None:
            self.cooked.append(cooked)
        if waited is not None:
            self.waited.append(waited)

    def merge(self, other: _Tally) -> None:
        self.items += other.items
        self.cooked += other.cooked
        self.waited += other.waited

    def view(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "fired_to_ready": summary(self.cooked),
            "ready_to_bumped": summary(self.waited),
        }


def summary(seconds: Iterable[float]) -> dict[str, Any]:
    """Count, median and 90th percentile (nearest rank: a time some item really took)."""
    ordered = sorted(seconds)
    if not ordered:
        return {"count": 0, "median_s": None, "p90_s": None}
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    return {"count": len(ordered), "median_s": round(median, 3), "p90_s": round(p90, 3)}


def _day(name: str, value: str) -> date:
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise Invalid(f"{name} must be a day such as 2026-12-24", field=name)
