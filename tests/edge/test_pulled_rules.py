"""An owner's change pulled from the hub meets the box's own rules for its fields: a value the
box refuses when staff type it (a time zone that does not exist, a blank name, a choice of at
most 51, a number past 64 bits) is kept as a rejection a manager sees, the box keeps its
value, the pull goes on with the next change, and the store still takes orders."""

from __future__ import annotations

import pytest

from edge.core import events, identity
from edge.domain import hub_changes
from sync.clock import Timestamp, now_iso, now_ms
from sync.envelope import Change
from sync.ids import uuid7


def _change(cursor: int, entity: str, entity_id: str, fields: dict, op: str = "update") -> Change:
    return Change(
        cursor=cursor,
        id=uuid7(),
        hlc=str(Timestamp(now_ms(), 0, "hub")),
        at=now_iso(),
        entity=entity,
        entity_id=entity_id,
        op=op,
        fields=fields,
        rev=cursor,
        actor="owner@example.com",
        source="hub",
        seq=None,
    )


def _ids(conn) -> dict[str, str]:
    one = lambda table: conn.execute(f"SELECT id FROM {table} ORDER BY id").fetchone()[0]  # noqa: E731
    return {table: one(table) for table in ("store", "staff", "modifier_groups", "tables")}


def _kept(conn) -> dict:
    store = conn.execute("SELECT timezone, business_day_starts, tax_rounding FROM store").fetchone()
    return dict(store)


# (entity, fields): each a value the box refuses when staff type it
BAD = [
    ("store", {"timezone": "Mars/Olympus"}),
    ("store", {"business_day_starts": "99:99"}),
    ("store", {"tax_rounding": "bogus"}),
    ("store", {"opening_hours": {"mon": "all day"}}),
    ("store", {"guest_base_url": "http://box.local:8000"}),
    ("staff", {"name": "   "}),
    ("modifier_groups", {"max_choices": 51}),
    ("tables", {"qr_version": 2**63}),  # no rule of its own: SQLite's 64 bits refuse it
]


async def test_a_pulled_value_the_box_refuses_is_a_rejection_and_the_pull_goes_on(
    app, client, manager
):
    box = app.state.box
    ids = await box.read(_ids)
    before = await box.read(_kept)
    item = await box.read(lambda c: dict(c.execute("SELECT id, price FROM menu_items").fetchone()))
    changes = [
        _change(cursor, entity, ids[entity], fields)
        for cursor, (entity, fields) in enumerate(BAD, 1)
    ]
    good = _change(len(BAD) + 1, "menu_items", item["id"], {"price": item["price"] + 100})
    refused = await box.write(hub_changes.apply, [*changes, good], good.cursor)

    assert refused == len(BAD)
    assert await box.read(_kept) == before  # the box keeps its values
    price = await box.read(
        lambda c: c.execute("SELECT price FROM menu_items WHERE id = ?", (item["id"],)).fetchone()
    )
    assert price[0] == item["price"] + 100  # the next change applied
    assert (await box.read(identity.sync_state)).pull_cursor == good.cursor
    listed = (await client.get("/api/sync/rejections", headers=manager)).json()["rejections"]
    assert sorted((r["source"], r["entity"], r["entity_id"]) for r in listed) == sorted(
        ("pull", change.entity, change.entity_id) for change in changes
    )
    messages = " ".join(r["message"] for r in listed)
    assert "Mars/Olympus" in messages and "At most can be at most 50" in messages

    order = await client.post(
        "/api/orders",
        json={"kind": "counter", "lines": [{"item_id": item["id"], "quantity": 1}]},
        headers={**manager, "Idempotency-Key": uuid7()},
    )
    assert order.status_code == 201, order.text


@pytest.mark.parametrize(("entity", "fields"), BAD)
async def test_each_refused_value_alone_leaves_the_row_as_it_was(app, entity, fields):
    box = app.state.box
    row_id = (await box.read(_ids))[entity]
    read = lambda c: dict(c.execute(f"SELECT * FROM {entity} WHERE id = ?", (row_id,)).fetchone())  # noqa: E731
    before = await box.read(read)
    assert await box.write(hub_changes.apply, [_change(1, entity, row_id, fields)], 1) == 1
    assert await box.read(read) == before


def _outbox(conn) -> list[int]:
    return [e.seq for e in events.outbox(conn, 0, events.last_seq(conn), 10_000)]


def _pairs(conn) -> dict[str, list[dict]]:
    """Two rows of each entity whose name or code is unique in the store (two choices of one
    group, two active staff members)."""
    queries = {
        "tables": "SELECT * FROM tables",
        "staff": "SELECT * FROM staff WHERE active = 1",
        "modifiers": "SELECT * FROM modifiers WHERE group_id = (SELECT group_id FROM modifiers"
        " GROUP BY group_id HAVING COUNT(*) > 1 ORDER BY group_id LIMIT 1)",
        "stations": "SELECT * FROM stations",
    }
    return {
        entity: [dict(row) for row in conn.execute(f"{sql} ORDER BY id LIMIT 2")]
        for entity, sql in queries.items()
    }


async def test_a_pulled_name_or_code_another_row_holds_stands_and_the_stores_row_moves_aside(
    app, client, manager
):
    """The hub refuses an owner's edit that gives a row a name or code another row of the
    store holds; one still arrives when the store made that row while it was apart from the
    hub (two tables "1", a second active Ana). The hub's value stands, as any does (server
    wins): the store's row that holds it takes the same with 2 after it, as an edit of the
    store's own that syncs (so the hub ends with what the box holds), and the manager finds
    it in the conflict inbox. Nothing is refused: a refused change never reached the box, and
    the two sides never held the same store again."""
    box = app.state.box
    pairs = await box.read(_pairs)
    # the other row's value, as a manager would be refused it here (names of people and
    # choices as a person reads them: the same in capitals)
    taken = {
        "tables": lambda row: {"name": row["name"]},
        "staff": lambda row: {"name": row["name"].upper()},
        "modifiers": lambda row: {"name": f" {row['name'].upper()}"},
        "stations": lambda row: {"code": row["code"].lower()},
    }
    changes = [
        _change(cursor, entity, second["id"], taken[entity](first))
        for cursor, (entity, (first, second)) in enumerate(pairs.items(), 1)
    ]
    pushed_before = await box.read(_outbox)
    assert await box.write(hub_changes.apply, changes, len(changes)) == 0

    after = await box.read(_pairs)
    aside = {"tables": " (2)", "staff": " (2)", "modifiers": " (2)", "stations": "2"}
    for entity, (first, second) in pairs.items():
        field = "code" if entity == "stations" else "name"
        moved, hubs = after[entity]
        assert (moved["id"], hubs["id"]) == (first["id"], second["id"])
        assert moved[field] == first[field] + aside[entity], entity
        assert hubs[field].strip().upper() == first[field].upper(), entity
    renames = await box.read(_outbox)
    assert len(renames) == len(pushed_before) + len(pairs)  # the store's edits, to the hub
    listed = (await client.get("/api/sync/conflicts", headers=manager)).json()["conflicts"]
    assert sorted((c["entity"], c["entity_id"], c["mine"], c["hub"]) for c in listed) == sorted(
        (entity, first["id"], first[f], first[f] + aside[entity])
        for entity, (first, _) in pairs.items()
        for f in ["code" if entity == "stations" else "name"]
    )
    assert all(c["hub_by"] == "owner@example.com" for c in listed)
    assert (await client.get("/api/sync/rejections", headers=manager)).json()["rejections"] == []
    # "Apply mine again" is refused as a manager's own edit is: the hub's row holds it
    table = next(c for c in listed if c["entity"] == "tables")
    again = await client.post(f"/api/sync/conflicts/{table['id']}/reapply", headers=manager)
    assert again.status_code == 422 and again.json()["error"]["code"] == "duplicate_name"


async def test_a_pulled_new_row_takes_its_name_from_the_stores_newest_too(app, client, manager):
    """A table the owner added on the hub while the store added one of the same name: the
    hub's is made, the store's is "12 (2)"; one named so already makes it "12 (3)"; a name as
    long as a table's may be gives up its end for the suffix."""
    box = app.state.box
    area = await box.read(lambda c: c.execute("SELECT id FROM areas ORDER BY id").fetchone()[0])
    longest = "Terrace by the olive"  # 20 characters: a table's name may have no more
    for name in ("12", "12 (2)", longest):
        body = {"name": name, "seats": 2, "area_id": area}
        assert (await client.post("/api/tables", json=body, headers=manager)).status_code == 201
    made = [
        _change(n, "tables", uuid7(), {"area_id": area, "name": name, "seats": 4}, "create")
        for n, name in enumerate(("12", longest), 1)
    ]
    assert await box.write(hub_changes.apply, made, 2) == 0
    names = await box.read(
        lambda c: {
            r["name"]: r["id"] in {change.entity_id for change in made}
            for r in c.execute(
                "SELECT id, name FROM tables WHERE name LIKE '12%' OR name LIKE 'Terrace%'"
            )  # fmt: skip
        }
    )
    assert names == {
        "12": True,
        "12 (2)": False,
        "12 (3)": False,
        longest: True,
        "Terrace by the o (2)": False,
    }
