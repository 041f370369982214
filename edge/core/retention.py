"""What the box forgets, and when: so that a year of service does not fill its card.

A busy store (750 orders a day) writes thousands of events a day, many of them printing (a
job's create and printed; its claim is no event) that nobody reads after a week, and the hub
keeps the history of everything that syncs. So the box keeps:

* events of `local` entities (print jobs, printer status, sign-ins, PIN failures, pairing) and
  print jobs themselves, bytes and document included, that are done (printed, or failed and
  given up): `keep_local_days` (a reprint of an older bill prints the order's bill again);
* events of entities that sync (`edge` and `hub` owned: orders, menu, staff ...):
  `keep_synced_days`, and only once the hub has acknowledged them (`sync_state.push_cursor`).
  A box that is not enrolled has sent nothing, so it keeps every one of them, for the day it is;
* kitchen tickets (their items with them) that left the kitchen `keep_synced_days` ago (bumped
  then, or fired then and never bumped: a kitchen that works from printed tickets bumps none),
  once the hub has acknowledged every event of them; the hub keeps them. The store's digest
  (`edge.domain.hub_changes.digest`) leaves out the tickets fired before the last such cutoff
  (`tickets_forgotten_before`), and the hub's does too when the box names it;
* idempotency keys: 7 days (a retry comes within seconds; a week covers a tablet left off).

Never the newest event: `seq` is SQLite's rowid, max + 1, and must never go back. The newest
seq deleted is kept in the `box` table (`forgotten_upto`): a client of the feed asking from
before it is told to reload, as it would miss what went.

Each function here deletes at most `BATCH` rows in one short write (a few milliseconds of the
writer, measured in tests/perf/test_history.py) and answers how many; `edge.runtime.housekeeping`
calls them until they answer 0, letting other writes in between. Rows go without an event: this
is not a change of the store's state but its history forgotten, like a log rotated; the feed
and the sync have had them (a client asking from before them is told to reload).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from edge.core import identity
from sync.clock import iso
from sync.entities import ENTITIES

BATCH = 200
# Tickets per batch: each goes with its items (5 in a typical order), about as many rows as a
# batch of events (measured on a year's store under load: 200 tickets took 9 ms of CPU, 40 took
# 2-3 ms).
TICKETS_BATCH = 40
IDEMPOTENCY_DAYS = 7
# Print jobs that are done: their bytes have gone to the printer, or nobody will retry them.
DONE = ("printed", "failed")


@dataclass(frozen=True)
class Keep:
    local_days: int
    synced_days: int


def prune_events(conn: sqlite3.Connection, now: datetime, keep: Keep) -> int:
    """Delete up to `BATCH` of the oldest events that may go, of one entity: walked on
    `events_entity_seq` up to a seq found on `events_at`, so it reads no row it keeps."""
    newest = conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    if newest is None:
        return 0
    state = identity.sync_state(conn)
    acknowledged = state.push_cursor if state.enrolled else 0
    upto = {
        "local": _last_before(conn, now - timedelta(days=keep.local_days)),
        "synced": min(_last_before(conn, now - timedelta(days=keep.synced_days)), acknowledged),
    }
    for entity in ENTITIES.values():
        limit = min(upto["local" if entity.owner == "local" else "synced"], newest - 1)
        if limit <= 0:
            continue
        doomed = conn.execute(
            "SELECT seq FROM events WHERE entity = ? AND seq <= ? ORDER BY seq LIMIT ?",
            (entity.name, limit, BATCH),
        ).fetchall()
        if doomed:
            conn.executemany("DELETE FROM events WHERE seq = ?", doomed)
            # the feed replays nothing from before it (`events.forgotten_upto`)
            conn.execute(
                "INSERT INTO box (name, value) VALUES ('forgotten_upto', ?) ON CONFLICT (name)"
                " DO UPDATE SET value = MAX(CAST(value AS INTEGER),"
                " CAST(excluded.value AS INTEGER))",
                (doomed[-1][0],),
            )
            return len(doomed)
    return 0


def _last_before(conn: sqlite3.Connection, moment: datetime) -> int:
    """The last seq written before `moment` (0: none)."""
    row = conn.execute(
        "SELECT seq FROM events WHERE at < ? ORDER BY at DESC, seq DESC LIMIT 1", (iso(moment),)
    ).fetchone()
    return row[0] if row else 0


# A ticket may go once the hub has every event of it and of its items (none after the push
# cursor), looked up on `events_entity`; the oldest first on `tickets_bumped` / `tickets_open`.
_ACKNOWLEDGED = (
    "NOT EXISTS (SELECT 1 FROM events e WHERE e.entity = 'tickets' AND e.entity_id = t.id"
    " AND e.seq > :acknowledged) AND NOT EXISTS (SELECT 1 FROM ticket_items i JOIN events e"
    " ON e.entity = 'ticket_items' AND e.entity_id = i.id WHERE i.ticket_id = t.id"
    " AND e.seq > :acknowledged)"
)
_TICKETS_GONE = (
    "SELECT id FROM tickets t WHERE state = 'BUMPED' AND bumped_at < :cutoff AND "
    + _ACKNOWLEDGED
    + " ORDER BY bumped_at LIMIT :limit",
    "SELECT id FROM tickets t WHERE state != 'BUMPED' AND fired_at < :cutoff AND "
    + _ACKNOWLEDGED
    + " ORDER BY fired_at LIMIT :limit",
)


def prune_tickets(conn: sqlite3.Connection, now: datetime, keep: Keep) -> int:
    """Delete up to `TICKETS_BATCH` kitchen tickets, their items with them, that were bumped
    more than `keep.synced_days` ago (or fired then and never bumped) and that the hub has
    whole: every event of the ticket and of its items acknowledged. A box not enrolled keeps
    them all. The cutoff is kept (`tickets_forgotten_before`): the store's digest leaves out
    every ticket fired before it, on both sides."""
    state = identity.sync_state(conn)
    if not state.enrolled:
        return 0
    cutoff = iso(now - timedelta(days=keep.synced_days))
    params = {"cutoff": cutoff, "acknowledged": state.push_cursor, "limit": TICKETS_BATCH}
    for sql in _TICKETS_GONE:
        doomed = conn.execute(sql, params).fetchall()
        if doomed:
            conn.executemany("DELETE FROM ticket_items WHERE ticket_id = ?", doomed)
            conn.executemany("DELETE FROM tickets WHERE id = ?", doomed)
            conn.execute(
                "INSERT INTO box (name, value) VALUES ('tickets_forgotten_before', ?)"
                " ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)",
                (cutoff,),
            )
            return len(doomed)
    return 0


def tickets_forgotten_before(conn: sqlite3.Connection) -> str | None:
    """The instant before which the box may have pruned kitchen tickets (`prune_tickets`; None:
    it has pruned none): the store's digest leaves out the tickets fired before it."""
    row = conn.execute("SELECT value FROM box WHERE name = 'tickets_forgotten_before'").fetchone()
    return row[0] if row else None


def prune_print_jobs(conn: sqlite3.Connection, now: datetime, keep: Keep) -> int:
    """Delete up to `BATCH` of the oldest print jobs that are done and older than
    `keep.local_days`, bytes and all: the oldest of each state on `print_jobs_state`, stopping
    at the first one still kept."""
    cutoff = iso(now - timedelta(days=keep.local_days))
    for state in DONE:
        oldest = conn.execute(
            "SELECT id, created_at FROM print_jobs WHERE state = ? ORDER BY seq LIMIT ?",
            (state, BATCH),
        ).fetchall()
        old = [job["id"] for job in oldest if job["created_at"] < cutoff]
        if old:
            conn.executemany("DELETE FROM print_jobs WHERE id = ?", [(job,) for job in old])
            return len(old)
    return 0


def prune_idempotency_keys(conn: sqlite3.Connection, now: datetime) -> int:
    """Delete up to `BATCH` idempotency keys older than `IDEMPOTENCY_DAYS`, on
    `idempotency_keys_created`."""
    cutoff = iso(now - timedelta(days=IDEMPOTENCY_DAYS))
    return conn.execute(
        "DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys"
        " WHERE created_at < ? ORDER BY created_at LIMIT ?)",
        (cutoff, BATCH),
    ).rowcount


def give_back(conn: sqlite3.Connection, pages: int = 256) -> int:
    """Return up to `pages` free pages to the file system (a database made with
    `auto_vacuum = INCREMENTAL`; one made before keeps reusing them instead). Answers how many
    are still free (0 when the database cannot give them back)."""
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:  # not INCREMENTAL
        return 0
    for _ in range(min(pages, free)):
        # sqlite3 steps a statement that answers no rows once: one page each
        conn.execute("PRAGMA incremental_vacuum")
    return conn.execute("PRAGMA freelist_count").fetchone()[0]
