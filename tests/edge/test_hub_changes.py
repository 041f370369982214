"""The write path ready for sync: a change pulled from the hub is applied through `commit` with
the hub's event and revision, and the outbox holds the box's own changes of what syncs only."""

import contextlib

import pytest

from edge.core import db, events
from edge.core.events import commit
from edge.core.permissions import SYSTEM
from edge.domain import hub_changes, menu, store
from edge.runtime.writer import Writer
from sync.clock import Timestamp, now_ms, utcnow
from sync.envelope import MAX_EVENTS, Change
from sync.ids import uuid7


@pytest.fixture
def writer(settings):
    running = Writer(settings.database, "box1")
    yield running
    running.close()


@pytest.fixture
def conn(settings):
    with contextlib.closing(db.connect(settings.database, readonly=True)) as reader:
        yield reader


def _item(conn):
    return conn.execute("SELECT id, price, hub_rev FROM menu_items LIMIT 1").fetchone()


def _from_hub(conn, entity, entity_id, op, fields, rev, ahead_ms=3_600_000):
    """Apply a hub change made by a hub whose clock is `ahead_ms` ahead of the box's."""
    hlc = str(Timestamp(now_ms() + ahead_ms, 3, "hub"))
    return commit(
        conn,
        None,
        entity,
        entity_id,
        op,
        fields,
        origin="hub",
        hub_event=(uuid7(), hlc),
        hub_rev=rev,
    )


def test_a_hub_change_keeps_the_hubs_event_and_the_box_sorts_after_it(writer, conn):
    item = _item(conn)
    pulled = writer.run_sync(_from_hub, "menu_items", item["id"], "update", {"price": 999}, 42)
    assert (pulled.origin, pulled.fields, pulled.base_rev) == ("hub", {"price": 999}, 0)
    stored = conn.execute("SELECT * FROM events WHERE seq = ?", (pulled.seq,)).fetchone()
    assert (stored["id"], stored["hlc"], stored["origin"]) == (pulled.id, pulled.hlc, "hub")
    assert tuple(_item(conn))[1:] == (999, 42)  # the hub's price, at the hub's revision

    # The box's next edit sorts after the hub's, though the hub's clock is an hour ahead, and
    # is based on the revision the hub gave the row.
    writer.run_sync(menu.update_item, SYSTEM, item["id"], {"price": 1000})
    mine = conn.execute("SELECT * FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    assert (mine["entity"], mine["entity_id"]) == ("menu_items", item["id"])
    assert Timestamp.parse(mine["hlc"]) > Timestamp.parse(pulled.hlc)
    assert (mine["origin"], mine["base_rev"]) == ("local", 42)


def test_a_hub_change_of_nothing_moves_the_row_to_the_hubs_revision_without_an_event(writer, conn):
    item = _item(conn)
    last = events.last_seq(conn)
    same = {"price": item["price"]}
    assert writer.run_sync(_from_hub, "menu_items", item["id"], "update", same, 7) is None
    assert events.last_seq(conn) == last
    assert _item(conn)["hub_rev"] == 7


def test_a_hub_create_and_delete(writer, conn):
    area = uuid7()
    made = writer.run_sync(_from_hub, "areas", area, "create", {"name": "Patio", "position": 9}, 5)
    assert made.op == "create" and made.base_rev == 0
    assert tuple(conn.execute("SELECT name, hub_rev FROM areas WHERE id = ?", (area,)).fetchone())
    assert conn.execute("SELECT hub_rev FROM areas WHERE id = ?", (area,)).fetchone()[0] == 5
    gone = writer.run_sync(_from_hub, "areas", area, "delete", None, 6)
    assert gone.base_rev == 5 and gone.fields["name"] == "Patio"
    assert conn.execute("SELECT 1 FROM areas WHERE id = ?", (area,)).fetchone() is None


def test_a_hub_change_needs_the_hubs_event_and_revision_and_a_local_one_has_neither(writer):
    item_id = uuid7()
    with pytest.raises(ValueError, match="hub's event and revision"):
        writer.run_sync(
            lambda c: commit(c, None, "areas", item_id, "create", {"name": "A"}, origin="hub")
        )
    with pytest.raises(ValueError, match="hub's event and revision"):
        writer.run_sync(
            lambda c: commit(c, None, "areas", item_id, "create", {"name": "A"}, hub_rev=1)
        )


def test_the_outbox_is_the_boxs_own_changes_of_what_syncs(writer, conn):
    item = _item(conn)
    start = events.last_seq(conn)
    writer.run_sync(menu.update_item, SYSTEM, item["id"], {"price": 1})  # pushed
    writer.run_sync(_from_hub, "menu_items", item["id"], "update", {"price": 2}, 9)  # not
    (someone,) = conn.execute("SELECT id FROM staff LIMIT 1").fetchone()
    locked = {"failures": 20, "devices": 2}
    writer.run_sync(
        lambda c: commit(c, None, "pin_lockouts", someone, "create", locked)
    )  # local: never leaves the box
    writer.run_sync(menu.update_item, SYSTEM, item["id"], {"price": 3})  # pushed
    last = events.last_seq(conn)
    pushed = events.outbox(conn, start, last, MAX_EVENTS)
    assert [(e.entity, e.fields, e.origin) for e in pushed] == [
        ("menu_items", {"price": 1}, "local"),
        ("menu_items", {"price": 3}, "local"),
    ]
    assert (
        events.outbox(conn, pushed[0].seq, last, MAX_EVENTS) == pushed[1:]
    )  # after the acknowledged
    assert (
        events.outbox(conn, start, pushed[0].seq, MAX_EVENTS) == pushed[:1]
    )  # never beyond `upto`
    assert events.outbox(conn, start, last, 1) == pushed[:1]
    plan = " ".join(
        row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + events._OUTBOX, (0, last, 500))
    )
    assert "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)" in plan, plan  # from `after` on
    assert "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize(
    "setting",
    [
        {"business_day_starts": "05:00\n"},
        {"timezone": "Europe/Lisboa"},
        {"tax_rounding": "sideways"},
        {"opening_hours": {"mon": [["11:00", "11:00"]]}},
    ],
)
def test_a_store_setting_from_the_hub_the_box_cannot_read_is_kept_as_a_rejection(
    writer, conn, setting
):
    """The hub takes any text for the store's settings: "05:00\n" as the day's start came down,
    was applied, and every order after it was a 500 (so was a time zone the box does not
    know). Such a change is kept as a rejection for a manager; the box goes on with what it
    had, and the next change is applied."""
    store_id, before = conn.execute("SELECT id, business_day_starts FROM store").fetchone()
    item = _item(conn)

    def change(cursor, entity, entity_id, fields):
        return Change(
            cursor=cursor,
            id=uuid7(),
            hlc=str(Timestamp(now_ms(), 0, "hub")),
            at="2026-12-07T18:00:00Z",
            entity=entity,
            entity_id=entity_id,
            op="update",
            fields=fields,
            rev=50 + cursor,
            actor=None,
            source="hub",
            seq=None,
        )

    pulled = [
        change(1, "store", store_id, setting),
        change(2, "menu_items", item["id"], {"price": 4}),
    ]
    assert writer.run_sync(hub_changes.apply, pulled, 2) == 1
    assert conn.execute("SELECT business_day_starts FROM store").fetchone()[0] == before
    assert conn.execute("SELECT * FROM store").fetchone()["hub_rev"] != 51
    refused = conn.execute("SELECT entity, code FROM sync_rejections").fetchall()
    assert [tuple(row) for row in refused] == [("store", "invalid")]
    assert _item(conn)["price"] == 4
    # what every order asks first, and what "05:00\n" made fail
    assert store.business_day(store.get(conn), utcnow())
