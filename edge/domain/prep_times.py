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
The box reads each past day once (`Days`, until one of its tickets changes): on a year's store a
90-day report read 340,000 items each time, 314 ms and more; the days' spans are kept sorted and
their ranks found across them (`summary_of_runs`), 26 ms for those 90 days.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from edge.core import retention
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

# The two spans in milliseconds, computed by SQLite (NULL where a time is missing): a 90-day report
# reads some 340,000 items at 750 orders a day, and parsing their times in Python took most of
# its 314 ms (tests/perf/test_history.py's year). Stamps are ISO-8601 UTC to the millisecond,
# which julianday reads exactly enough for the report's thousandths of a second.
_ROWS = """
    SELECT i.station, i.name,
        CAST(ROUND(MAX(0.0, (julianday(i.ready_at) - julianday(i.fired_at)) * 86400000.0))
            AS INTEGER),
        CAST(ROUND(MAX(0.0, (julianday(i.bumped_at) - julianday(i.ready_at)) * 86400000.0))
            AS INTEGER)
    FROM tickets AS t JOIN ticket_items AS i ON i.ticket_id = t.id
    WHERE t.business_day BETWEEN ? AND ? AND i.state != 'MOVED' AND NOT i.voided
"""


def report(
    conn: sqlite3.Connection,
    actor: Actor,
    start: str | None,
    end: str | None,
    days: Days | None = None,
) -> dict[str, Any]:
    """Prep times of the business days `start` to `end` (inclusive; today's when `start` is
    not given, `start`'s alone when `end` is not), per station and item; the days before
    today from `days` when given."""
    require(actor, "reports.run")
    today = shifts.today(conn)
    first = _day("from", start or today)
    last = _day("to", end) if end else first
    if last < first:
        raise Invalid("to must be on or after from", field="to")
    if (last - first).days >= MAX_DAYS:
        raise Invalid(f"at most {MAX_DAYS} days at a time", field="to")
    if days is None:
        items = _tallies(conn, first.isoformat(), last.isoformat())
    else:
        items = {}
        for day in days.read(conn, first, last, today):
            for key, tally in day.items():
                items.setdefault(key, _Tally()).merge(tally)
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


def _tallies(conn: sqlite3.Connection, first: str, last: str) -> dict[tuple[str, str], _Tally]:
    """Each item's tally over the business days `first` to `last`, by (station, name)."""
    items: dict[tuple[str, str], _Tally] = {}
    rows = conn.cursor()
    rows.row_factory = None  # plain tuples: no per-row lookup by name
    for station, name, cooked, waited in rows.execute(_ROWS, (first, last)):
        tally = items.get((station, name))
        if tally is None:
            tally = items[station, name] = _Tally()
        tally.add(cooked, waited)
    for tally in items.values():
        tally.sort()
    return items


class Days:
    """Each past business day's tallies, read once and kept in memory (the box keeps one), so
    that a report over 90 days reads today's items alone: it read 340,000 of them each time
    (430 ms on the reference machine under load, more on a Pi).

    A day is read again once anything of its tickets changed: the box tells `changed` of every
    event of a ticket or an item (`edge.runtime.box`), and the next report finds the days of
    those ids before it reads any. A day read while such an event came is not kept (`_version`).
    Days retention may have pruned (`tickets_forgotten_before`) are read afresh, never kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._days: dict[str, dict[tuple[str, str], _Tally]] = {}
        self._changed: dict[str, set[str]] = {"tickets": set(), "ticket_items": set()}
        self._version = 0

    def changed(self, entity: str, entity_id: str) -> None:
        if entity in self._changed:
            with self._lock:
                self._changed[entity].add(entity_id)
                self._version += 1

    def read(
        self, conn: sqlite3.Connection, first: date, last: date, today: str
    ) -> Iterator[dict[tuple[str, str], _Tally]]:
        """The tallies of each day from `first` to `last`, today's (and later) read afresh."""
        self._forget_changed(conn)
        with self._lock:
            version = self._version
        pruned = retention.tickets_forgotten_before(conn) or ""
        for n in range((last - first).days + 1):
            day = (first + timedelta(days=n)).isoformat()
            with self._lock:  # a day retention pruned since it was kept is read afresh too
                kept = self._days.get(day) if day > pruned[:10] else None
            if kept is None:
                kept = _tallies(conn, day, day)
                with self._lock:
                    if day < today and day > pruned[:10] and self._version == version:
                        self._days[day] = kept
            yield kept

    def _forget_changed(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            tickets, items = self._changed["tickets"], self._changed["ticket_items"]
            if not (tickets or items):
                return
            self._changed = {"tickets": set(), "ticket_items": set()}
        found = conn.execute(
            "SELECT business_day FROM tickets WHERE id IN (SELECT value FROM json_each(?))"
            " UNION SELECT t.business_day FROM ticket_items AS i JOIN tickets AS t"
            " ON t.id = i.ticket_id WHERE i.id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(tickets)), json.dumps(sorted(items))),
        )
        with self._lock:
            for (day,) in found:
                self._days.pop(day, None)


class _Tally:
    """One station's or item's spans, in whole milliseconds, as runs each in order: a day's
    items read make one run each (`_tallies`), a report over days merges the days' runs
    without sorting them together (`summary_of_runs` finds ranks across them)."""

    def __init__(self) -> None:
        self.items = 0
        self.cooked: list[list[int]] = [[]]
        self.waited: list[list[int]] = [[]]

    def add(self, cooked: int | None, waited: int | None) -> None:
        self.items += 1
        if cooked is not None:
            self.cooked[0].append(cooked)
        if waited is not None:
            self.waited[0].append(waited)

    def sort(self) -> None:
        for runs in (self.cooked, self.waited):
            for run in runs:
                run.sort()

    def merge(self, other: _Tally) -> None:
        self.items += other.items
        self.cooked += other.cooked
        self.waited += other.waited

    def view(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "fired_to_ready": summary_of_runs(self.cooked),
            "ready_to_bumped": summary_of_runs(self.waited),
        }


def summary(seconds: Iterable[float]) -> dict[str, Any]:
    """Count, median and 90th percentile (nearest rank: a time some item really took)."""
    return summary_of_runs([sorted(round(s * 1000) for s in seconds)])


def summary_of_runs(runs: list[list[int]]) -> dict[str, Any]:
    """`summary` of the milliseconds in `runs`, each run in order: the ranks are found by
    counting (a bisection in each run), not by sorting them all together."""
    runs = [run for run in runs if run]
    count = sum(len(run) for run in runs)
    if not count:
        return {"count": 0, "median_s": None, "p90_s": None}

    def ranked(k: int) -> int:
        """The k-th smallest (1-based): the least value with k at most it."""
        if len(runs) == 1:
            return runs[0][k - 1]
        low, high = min(run[0] for run in runs), max(run[-1] for run in runs)
        while low < high:
            middle = (low + high) // 2
            if sum(bisect_right(run, middle) for run in runs) >= k:
                high = middle
            else:
                low = middle + 1
        return low

    half = count // 2
    median = ranked(half + 1) if count % 2 else (ranked(half) + ranked(half + 1)) / 2
    p90 = ranked(max(1, math.ceil(0.9 * count)))
    return {"count": count, "median_s": round(median / 1000, 3), "p90_s": round(p90 / 1000, 3)}


def _day(name: str, value: str) -> date:
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise Invalid(f"{name} must be a day such as 2026-12-24", field=name)
