"""Retention: what the box forgets, and above all what it never does (an event the hub does not
have yet, the newest event, a print job still to print)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from freezegun import freeze_time
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from edge.core import db, events, identity, retention
from edge.core.events import ENTITIES
from edge.core.permissions import Actor
from edge.core.retention import Keep
from edge.domain import orders, printer_status, tickets
from edge.runtime.housekeeping import prune
from edge.runtime.writer import Writer
from printers.status import PrinterStatus
from service.errors import Conflict
from sync.clock import iso
from tests.conftest import sign_in
from tests.edge.menu_helpers import item, menu

KEEP = Keep(local_days=14, synced_days=90)
LOCAL = frozenset(name for name, entity in ENTITIES.items() if entity.owner == "local")


def events_of(path: Path) -> dict[int, tuple[str, str]]:
    conn = db.connect(path, readonly=True)
    try:
        return {
            row[0]: (row[1], row[2]) for row in conn.execute("SELECT seq, entity, at FROM events")
        }
    finally:
        conn.close()


def prune_all(path: Path, now: datetime) -> None:
    conn = db.connect(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        while (
            retention.prune_events(conn, now, KEEP)
            or retention.prune_tickets(conn, now, KEEP)
            or retention.prune_print_jobs(conn, now, KEEP)
        ):
            pass
        conn.execute("COMMIT")
    finally:
        conn.close()


def enrol(path: Path, pushed: int) -> None:
    conn = db.connect(path)
    try:
        identity.enrol(conn, tenant_id="t", store_id="s", key_id="k", hub_url="http://127.0.0.1:1")
        identity.pushed(conn, pushed)
    finally:
        conn.close()


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    enrolled=st.booleans(),
    pushed=st.floats(0, 1),
    days=st.integers(0, 400),
)
def test_nothing_the_hub_does_not_have_is_ever_pruned(
    settings, tmp_path_factory, enrolled, pushed, days
):
    """On the demo store, at any time later and with the hub at any point of the log: every
    event of a synced entity after the push cursor stays (all of them on a box not enrolled),
    the newest event stays, and what goes is old enough to."""
    path = tmp_path_factory.mktemp("prune") / "edge.db"
    shutil.copy(settings.database, path)
    before = events_of(path)
    newest = max(before)
    cursor = int(newest * pushed)
    if enrolled:
        enrol(path, cursor)
    now = datetime.now(UTC) + timedelta(days=days)
    prune_all(path, now)
    after = events_of(path)

    assert newest in after
    for seq, (entity, at) in before.items():
        if seq in after:
            continue
        if entity in LOCAL:
            assert at < iso(now - timedelta(days=KEEP.local_days)), (seq, entity)
        else:
            assert enrolled and seq <= cursor, (seq, entity, cursor)
            assert at < iso(now - timedelta(days=KEEP.synced_days)), (seq, entity)
    if days > KEEP.synced_days:  # everything old enough went
        assert all(
            seq == newest or (entity not in LOCAL and (not enrolled or seq > cursor))
            for seq, (entity, _) in after.items()
        ), after


async def test_old_print_jobs_idempotency_keys_and_events_go_in_batches_through_the_writer(
    quiet, settings
):
    app, client = quiet
    waiter = await sign_in(client, "waiter")
    cola = item(await menu(client), "Cola")["id"]
    answer = await client.post(
        "/api/orders",
        headers={**waiter, "Idempotency-Key": "retention-1"},
        json={"kind": "counter", "lines": [{"item_id": cola}], "send": True},
    )
    assert answer.status_code == 201, answer.text
    box = app.state.box
    counts = lambda: box.read_now(  # noqa: E731
        lambda conn: {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("events", "print_jobs", "idempotency_keys")
        }
    )
    start = counts()
    assert start["print_jobs"] and start["idempotency_keys"]

    # A week on: the keys go; the queued ticket (nobody printed it) and every event stay.
    gone = await prune(box.write, KEEP, datetime.now(UTC) + timedelta(days=8))
    assert gone == {
        "events": 0,
        "tickets": 0,
        "print_jobs": 0,
        "idempotency_keys": start["idempotency_keys"],
    }

    # Printed, then a year on: the job goes, and the local events; the synced ones stay (this
    # box is not enrolled), and so does the newest.
    await box.write(lambda conn: conn.execute("UPDATE print_jobs SET state = 'printed'"))
    retention_batch, retention.BATCH = retention.BATCH, 2  # several batches, each its own write
    try:
        gone = await prune(box.write, KEEP, datetime.now(UTC) + timedelta(days=365))
    finally:
        retention.BATCH = retention_batch
    left = counts()
    assert gone["print_jobs"] == start["print_jobs"] and left["print_jobs"] == 0
    assert gone["events"] > 2 and left["events"] == start["events"] - gone["events"]
    kept = box.read_now(
        lambda conn: [row[0] for row in conn.execute("SELECT entity FROM events ORDER BY seq")]
    )
    assert set(kept[:-1]) <= set(ENTITIES) - LOCAL
    free = box.read_now(lambda conn: conn.execute("PRAGMA freelist_count").fetchone()[0])
    assert free == 0  # given back to the file system

    # The feed cannot replay what went: a client asking from before it is told to reload.
    forgotten = box.read_now(events.forgotten_upto)
    assert forgotten > 1
    manager = await sign_in(client, "manager")
    refused = await client.get(f"/api/events?since={forgotten - 1}", headers=manager)
    assert refused.status_code == 410 and refused.json()["error"]["code"] == "resync"
    assert (await client.get(f"/api/events?since={forgotten}", headers=manager)).status_code == 200


def test_a_new_database_gives_free_pages_back(tmp_path):
    path = tmp_path / "edge.db"
    identity.prepare(path)
    conn = db.connect(path, readonly=True)
    try:
        assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
    finally:
        conn.close()


def test_a_printer_status_is_written_only_when_it_changes(settings):
    """A printer that keeps printing writes no event: a check a minute was 9 % of a busy
    store's events."""
    writer = Writer(settings.database, identity.prepare(settings.database).node)
    written = "SELECT fields FROM events WHERE entity = 'printer_status' AND seq > ? ORDER BY seq"
    try:
        printer = writer.run_sync(
            lambda conn: conn.execute("SELECT id FROM printers").fetchone()[0]
        )
        with freeze_time("2026-12-01T12:00:00Z") as clock:
            writer.run_sync(printer_status.record, printer, PrinterStatus(), "")
            start = writer.run_sync(events.last_seq)
            for status in [PrinterStatus(), PrinterStatus(paper_near_end=True)] + [
                PrinterStatus(paper_near_end=True)
            ]:
                clock.tick(timedelta(minutes=5))  # a minute was enough to write it again
                writer.run_sync(printer_status.record, printer, status, "")
        rows = writer.run_sync(lambda conn: conn.execute(written, (start,)).fetchall())
    finally:
        writer.close()
    assert [json.loads(row[0]).get("paper_near_end") for row in rows] == [True], rows


def ticket_box(path: Path) -> tuple[dict[str, tuple[str, str | None]], datetime]:
    """A box with kitchen tickets of three orders: one fired and bumped on day 0, one fired on
    day 0 and never bumped, one fired on day 50 and bumped on day 95. Answers each ticket's
    (fired_at, bumped_at) and day 0."""
    writer = Writer(path, identity.prepare(path).node)
    start = datetime(2026, 1, 5, 12, tzinfo=UTC)
    try:
        waiter, cook = writer.run_sync(
            lambda conn: [
                Actor(row[0], row[1], row[2])
                for role in ("waiter", "kitchen")
                for row in conn.execute(
                    "SELECT id, name, role FROM staff WHERE role = ? LIMIT 1", (role,)
                )
            ]
        )
        cola = writer.run_sync(
            lambda conn: conn.execute("SELECT id FROM menu_items WHERE name = 'Cola'").fetchone()[0]
        )
        order = {"kind": "counter", "lines": [{"item_id": cola}, {"item_id": cola}], "send": True}

        def ticket_of(conn, made):
            return conn.execute(
                "SELECT id FROM tickets WHERE order_id = ?", (made["id"],)
            ).fetchone()[0]

        with freeze_time(start) as clock:
            first = writer.run_sync(
                lambda conn: ticket_of(conn, orders.create(conn, waiter, order))
            )
            writer.run_sync(tickets.set_ticket_state, cook, first, {"state": "BUMPED"})
            writer.run_sync(orders.create, waiter, order)
            clock.move_to(start + timedelta(days=50))
            third = writer.run_sync(
                lambda conn: ticket_of(conn, orders.create(conn, waiter, order))
            )
            clock.move_to(start + timedelta(days=95))
            writer.run_sync(tickets.set_ticket_state, cook, third, {"state": "BUMPED"})
        made = writer.run_sync(
            lambda conn: {
                row[0]: (row[1], row[2])
                for row in conn.execute("SELECT id, fired_at, bumped_at FROM tickets")
            }
        )
    finally:
        writer.close()
    return made, start


def ticket_events(path: Path) -> dict[str, int]:
    """The newest seq of each ticket's events and its items'."""
    conn = db.connect(path, readonly=True)
    try:
        return dict(
            conn.execute(
                "SELECT t.id, MAX(e.seq) FROM tickets t JOIN events e ON (e.entity = 'tickets'"
                " AND e.entity_id = t.id) OR (e.entity = 'ticket_items' AND e.entity_id IN"
                " (SELECT id FROM ticket_items WHERE ticket_id = t.id)) GROUP BY t.id"
            ).fetchall()
        )
    finally:
        conn.close()


def test_a_kitchen_ticket_leaves_only_old_and_whole_on_the_hub(settings, tmp_path):
    """With the hub at every point of the log and at any day after: a ticket goes only from
    an enrolled box, bumped (or, never bumped, fired) `synced_days` before, every event of it
    and of its items acknowledged; its items go with it; the digest leaves out the tickets
    fired before the cutoff."""
    template = tmp_path / "tickets.db"
    shutil.copy(settings.database, template)
    made, start = ticket_box(template)
    newest = ticket_events(template)
    assert len(made) == 3
    for day in (60, 91, 140, 186):
        now = start + timedelta(days=day)
        cutoff = iso(now - timedelta(days=KEEP.synced_days))
        for cursor in (None, *sorted(newest.values()), max(newest.values()) + 10):
            path = tmp_path / f"prune-{day}-{cursor}.db"
            shutil.copy(template, path)
            if cursor is not None:
                enrol(path, cursor)
            prune_all(path, now)
            conn = db.connect(path, readonly=True)
            try:
                kept = {row[0] for row in conn.execute("SELECT id FROM tickets")}
                orphans = conn.execute(
                    "SELECT COUNT(*) FROM ticket_items WHERE ticket_id NOT IN"
                    " (SELECT id FROM tickets)"
                ).fetchone()[0]
                before = retention.tickets_forgotten_before(conn)
            finally:
                conn.close()
            assert orphans == 0
            for ticket, (fired_at, bumped_at) in made.items():
                may_go = (
                    cursor is not None
                    and newest[ticket] <= cursor
                    and (bumped_at or fired_at) < cutoff
                )
                assert (ticket not in kept) == may_go, (day, cursor, ticket)
            assert before == (cutoff if len(kept) < len(made) else None)


def _copy_of(settings, path: Path) -> tuple[Path, Writer]:
    """A copy of the demo store at `path`, and a writer on it."""
    shutil.copy(settings.database, path)
    return path, Writer(path, identity.prepare(path).node)


def _kitchen_staff_and_menu(conn) -> tuple[Actor, Actor, dict[str, str]]:
    """A waiter and a cook of the demo store, and its menu's item ids by name."""
    waiter, cook = (
        Actor(*conn.execute(
            "SELECT id, name, role FROM staff WHERE role = ? LIMIT 1", (role,)
        ).fetchone())
        for role in ("waiter", "kitchen")
    )  # fmt: skip
    return waiter, cook, dict(conn.execute("SELECT name, id FROM menu_items").fetchall())


def test_a_course_held_past_what_the_kitchen_keeps_is_never_fired_twice(settings, tmp_path):
    """An order left open: its starters fired on day 0 and its mains held. Once the box has
    forgotten the starters' ticket (91 days on, the hub having it), firing the order's next
    course must not take the starters for held and cook them again."""
    path, writer = _copy_of(settings, tmp_path / "held.db")
    start = datetime(2026, 1, 5, 12, tzinfo=UTC)
    try:
        waiter, cook, ids = writer.run_sync(_kitchen_staff_and_menu)
        lines = [{"item_id": ids["Garlic prawns"]}, {"item_id": ids["Vegan curry"]}]
        with freeze_time(start):
            order = writer.run_sync(
                orders.create, waiter, {"kind": "counter", "lines": lines, "send": True}
            )
        fired = writer.run_sync(
            lambda conn: conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        )
        assert fired == 1  # the starters; the mains are held
        later = start + timedelta(days=91)
        enrol(path, writer.run_sync(events.last_seq))
        prune_all(path, later)
        with freeze_time(later):
            try:
                writer.run_sync(tickets.fire_course, cook, order["id"], {})
            except Conflict as refused:
                assert refused.code == "nothing_to_fire"
        items = writer.run_sync(
            lambda conn: [row[0] for row in conn.execute("SELECT name FROM ticket_items")]
        )
    finally:
        writer.close()
    assert "Garlic prawns" not in items


def test_an_old_orders_kitchen_says_its_tickets_are_no_longer_kept_not_cooking(settings, tmp_path):
    """An order fired, cooked and served 91 days ago, its tickets forgotten by the box (the hub
    has them): `GET /api/orders/{id}/kitchen` said it was cooking. It says what the box knows:
    nothing any more (no state, `forgotten`), as the order's history does; an order with
    nothing fired yet has no state either, and one in the kitchen is as its tickets say."""
    path, writer = _copy_of(settings, tmp_path / "served.db")
    start = datetime(2026, 1, 5, 12, tzinfo=UTC)
    try:
        waiter, cook, ids = writer.run_sync(_kitchen_staff_and_menu)
        lines = [{"item_id": ids["Garlic prawns"]}]
        with freeze_time(start):
            order = writer.run_sync(
                orders.create, waiter, {"kind": "counter", "lines": lines, "send": True}
            )
            cooking = writer.run_sync(tickets.progress, order["id"])
            (ticket,) = writer.run_sync(
                lambda conn: [row[0] for row in conn.execute("SELECT id FROM tickets")]
            )
            writer.run_sync(tickets.set_ticket_state, cook, ticket, {"state": "READY"})
            served = writer.run_sync(tickets.serve_order, cook, order["id"])
            waiting = writer.run_sync(
                orders.create, waiter, {"kind": "counter", "lines": lines, "send": False}
            )
            unfired = writer.run_sync(tickets.progress, waiting["id"])
        later = start + timedelta(days=91)
        enrol(path, writer.run_sync(events.last_seq))
        prune_all(path, later)
        with freeze_time(later):
            forgotten = writer.run_sync(tickets.progress, order["id"])
    finally:
        writer.close()
    assert (cooking["state"], cooking["forgotten"]) == ("cooking", False)
    assert (served["state"], served["forgotten"]) == ("served", False)
    assert (unfired["state"], unfired["forgotten"]) == (None, False)
    assert forgotten == {
        "order_id": order["id"],
        "state": None,
        "stations": {},
        "held": [],
        "forgotten": True,
    }
