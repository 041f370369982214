"""The box's sync service against a hub in process (ASGI, on SQLite and PostgreSQL): the demo
store pushed whole, an order, an owner's edit pulled, an owner's bad value refused, a field
edited on both sides while apart (the conflict inbox, apply mine again, dismiss), an event the
hub refuses, and the hub out of reach. Each ends with the box's digest equal to the hub's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from edge.core import events, identity
from edge.core.events import commit
from edge.core.permissions import Actor
from edge.core.retention import Keep
from edge.domain import hub_changes, orders
from edge.runtime.housekeeping import prune
from edge.runtime.hub_client import HubRefused, HubUnreachable
from edge.runtime.sync_service import _pushed
from sync.clock import iso
from sync.ids import uuid7
from tests.conftest import PINS, sign_in

KEEP = Keep(local_days=14, synced_days=90)


async def _owner_edits(hub, owner, store_id: str, entity: str, row_id: str, fields) -> None:
    """The owner changes `fields` of one row on the hub."""
    path = f"/api/stores/{store_id}/rows/{entity}/{row_id}"
    edited = await hub.patch(path, json={"fields": fields}, headers=owner.headers)
    assert edited.status_code == 200, edited.text


async def _converged(box, hub, owner, store_id):
    ours = await box.read(hub_changes.digest)
    asked = {"tickets_before": ours["tickets_before"]} if ours["tickets_before"] else {}
    path = f"/api/stores/{store_id}/digest"
    theirs = (await hub.get(path, params=asked, headers=owner.headers)).json()
    assert ours == {key: theirs[key] for key in ("digest", "rows", "tickets_before")}
    return ours


def _item(conn):
    return dict(conn.execute("SELECT id, name, price FROM menu_items ORDER BY id").fetchone())


async def _status(client, headers):
    answer = await client.get("/api/sync", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_the_store_is_pushed_whole_and_an_order_follows(box, hub, owner, store):
    box_, client = box
    manager = await sign_in(client, "manager")
    assert (await _status(client, manager))["enrolled"]
    await box_.sync.round()  # (the service's first round may have pushed it all already)
    rows = await _converged(box_, hub, owner, store["id"])
    item = await box_.read(_item)
    order = await client.post(
        "/api/orders",
        json={"kind": "counter", "lines": [{"item_id": item["id"], "quantity": 2}]},
        headers={**manager, "Idempotency-Key": uuid7()},
    )
    assert order.status_code == 201, order.text
    assert (await _status(client, manager))["waiting"] == 1
    await box_.sync.round()
    after = await _converged(box_, hub, owner, store["id"])
    assert after["rows"] == rows["rows"] + 2  # the order and its line
    status = await _status(client, manager)
    assert (status["state"], status["waiting"], status["open_conflicts"]) == ("online", 0, 0)
    assert status["last_success"] is not None


async def test_old_kitchen_tickets_leave_the_box_once_the_hub_has_them(box, hub, owner, store):
    """A ticket 90 days old goes from the box once pushed (never before), the hub keeps it,
    and the two digests still agree: both leave out the tickets fired before the box's
    cutoff."""
    box_, client = box
    manager = await sign_in(client, "manager")
    item = await box_.read(_item)
    order = await client.post(
        "/api/orders",
        json={"kind": "counter", "lines": [{"item_id": item["id"]}], "send": True},
        headers={**manager, "Idempotency-Key": uuid7()},
    )
    assert order.status_code == 201, order.text
    tickets = lambda conn: conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]  # noqa: E731
    later = datetime.now(UTC) + timedelta(days=KEEP.synced_days + 1)
    # Not pushed yet: nothing goes.
    assert await prune(box_.write, KEEP, later) and await box_.read(tickets) == 1
    await box_.sync.round()
    before = await _converged(box_, hub, owner, store["id"])
    assert before["tickets_before"] is None
    gone = await prune(box_.write, KEEP, later)
    assert gone["tickets"] == 1 and await box_.read(tickets) == 0
    after = await _converged(box_, hub, owner, store["id"])
    assert after["tickets_before"] == iso(later - timedelta(days=KEEP.synced_days))
    assert after["rows"] == before["rows"] - 2  # the ticket and its item, still on the hub
    on_hub = (await hub.get(f"/api/stores/{store['id']}/digest", headers=owner.headers)).json()
    assert on_hub["rows"] == before["rows"]


async def test_an_owners_edit_reaches_the_box(box, hub, owner, store):
    box_, _ = box
    await box_.sync.round()
    item = await box_.read(_item)
    await _owner_edits(
        hub, owner, store["id"], "menu_items", item["id"], {"price": item["price"] + 100}
    )
    await box_.sync.round()
    assert (await box_.read(_item))["price"] == item["price"] + 100
    last = await box_.read(
        lambda c: dict(c.execute("SELECT * FROM events ORDER BY seq DESC LIMIT 1").fetchone())
    )
    assert (last["origin"], last["entity_id"]) == ("hub", item["id"])
    await _converged(box_, hub, owner, store["id"])


async def test_an_owners_bad_value_never_stops_the_store(box, hub, owner, store):
    """An owner sets the store's time zone to one that does not exist: the hub refuses it (once
    a box applied it, every order was a 404 "No time zone found"), the box pulls nothing of it,
    and the store takes orders."""
    box_, client = box
    manager = await sign_in(client, "manager")
    await box_.sync.round()
    store_id = await box_.read(lambda c: c.execute("SELECT id FROM store").fetchone()[0])
    edited = await hub.patch(
        f"/api/stores/{store['id']}/rows/store/{store_id}",
        json={"fields": {"timezone": "Mars/Olympus"}},
        headers=owner.headers,
    )
    assert edited.status_code == 422, edited.text
    assert edited.json()["error"]["field"] == "fields.timezone"
    await box_.sync.round()
    item = await box_.read(_item)
    order = await client.post(
        "/api/orders",
        json={"kind": "counter", "lines": [{"item_id": item["id"], "quantity": 1}]},
        headers={**manager, "Idempotency-Key": uuid7()},
    )
    assert order.status_code == 201, order.text
    assert (await _status(client, manager))["rejected"] == 0
    await box_.sync.round()
    await _converged(box_, hub, owner, store["id"])


async def test_a_field_changed_on_both_sides_lands_in_the_inbox(box, hub, owner, store, link):
    box_, client = box
    manager = await sign_in(client, "manager")
    await box_.sync.round()
    item = await box_.read(_item)
    link.down = True  # apart: the owner and the manager change the same price
    await hub.patch(
        f"/api/stores/{store['id']}/rows/menu_items/{item['id']}",
        json={"fields": {"price": 999}},
        headers=owner.headers,
    )
    mine = await client.patch(
        f"/api/menu/items/{item['id']}", json={"price": 777, "name": "Burrata!"}, headers=manager
    )
    assert mine.status_code == 200, mine.text
    with pytest.raises(Exception, match="link is down"):
        await box_.sync.round()
    assert (await _status(client, manager))["waiting"] == 1
    link.down = False
    await box_.sync.round()
    assert (await box_.read(_item))["price"] == 999  # server wins; the name merged
    assert (await box_.read(_item))["name"] == "Burrata!"
    await _converged(box_, hub, owner, store["id"])
    listed = (await client.get("/api/sync/conflicts", headers=manager)).json()["conflicts"]
    assert [(c["field"], c["mine"], c["hub"], c["mine_by"], c["hub_by"]) for c in listed] == [
        ("price", 777, 999, "Marco Ferreira", owner.email)
    ]
    assert listed[0]["subject"] == "Burrata!" and listed[0]["can_reapply"]
    assert (await _status(client, manager))["open_conflicts"] == 1
    inbox = await hub.get(f"/api/stores/{store['id']}/inbox?status=merged", headers=owner.headers)
    assert inbox.json()["events"][0]["verdict"]["kept"]["price"]["edge"] == 777

    reapplied = await client.post(
        f"/api/sync/conflicts/{listed[0]['id']}/reapply",
        headers={**manager, "Idempotency-Key": uuid7()},
    )
    assert reapplied.status_code == 200, reapplied.text
    assert reapplied.json()["state"] == "reapplied"
    assert reapplied.json()["resolved_by"] == "Marco Ferreira"
    await box_.sync.round()
    row = await hub.get(
        f"/api/stores/{store['id']}/rows/menu_items/{item['id']}", headers=owner.headers
    )
    assert row.json()["fields"]["price"] == 777  # the hub took the store's edit this time
    await _converged(box_, hub, owner, store["id"])
    again = await client.post(
        f"/api/sync/conflicts/{listed[0]['id']}/dismiss",
        headers={**manager, "Idempotency-Key": uuid7()},
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict_closed"
    assert (await _status(client, manager))["open_conflicts"] == 0
    waiter = await sign_in(client, "waiter")
    refused = await client.get("/api/sync/conflicts", headers=waiter)
    assert refused.status_code == 403


async def test_an_event_the_hub_refuses_is_kept_for_a_manager(box, hub, owner, store):
    box_, client = box
    manager = await sign_in(client, "manager")

    def old_pin_event(conn):
        # A staff member made before secrets were masked where shown: "***" as the hash.
        values = {"name": "Old Timer", "role": "waiter", "pin_hash": "***", "active": True}
        commit(conn, "system", "staff", uuid7(), "create", values)

    await box_.write(old_pin_event)
    await box_.sync.round()
    rejected = (await client.get("/api/sync/rejections", headers=manager)).json()["rejections"]
    assert [(r["source"], r["entity"], r["code"]) for r in rejected] == [
        ("push", "staff", "missing_field")
    ]
    assert rejected[0]["fields"]["name"] == "Old Timer"
    inbox = await hub.get(f"/api/stores/{store['id']}/inbox?status=rejected", headers=owner.headers)
    (entry,) = inbox.json()["events"]
    assert "pin_hash" not in entry["event"]["fields"]  # "***" was never sent as a hash
    status = await _status(client, manager)
    assert (status["rejected"], status["waiting"]) == (1, 0)


async def test_a_table_made_on_both_sides_while_apart_ends_alike_on_both(
    box, hub, owner, store, link
):
    """The store and the owner each add a table "12" while the link is down: the hub's stands,
    the store's becomes "12 (2)" (a conflict the manager sees), and the hub and the box end
    with the same store, nothing refused."""
    box_, client = box
    manager = await sign_in(client, "manager")
    area = await box_.read(lambda c: c.execute("SELECT id FROM areas ORDER BY id").fetchone()[0])
    link.down = True
    body = {"name": "12", "seats": 2, "area_id": area}
    assert (await client.post("/api/tables", json=body, headers=manager)).status_code == 201
    rows = f"/api/stores/{store['id']}/rows/tables"
    fields = {"fields": {"name": "12", "seats": 4, "area_id": area}}
    assert (await hub.post(rows, json=fields, headers=owner.headers)).status_code == 201
    link.down = False
    await box_.sync.round()  # the store's table up, the hub's down: the store's moves aside
    await box_.sync.round()  # and that goes up
    await _converged(box_, hub, owner, store["id"])
    named = await box_.read(
        lambda c: sorted((r["name"], r["seats"]) for r in c.execute("SELECT * FROM tables"))
    )
    assert ("12", 4) in named and ("12 (2)", 2) in named
    (conflict,) = (await client.get("/api/sync/conflicts", headers=manager)).json()["conflicts"]
    assert (conflict["mine"], conflict["hub"], conflict["hub_by"]) == ("12", "12 (2)", owner.email)
    status = await _status(client, manager)
    assert (status["rejected"], status["waiting"], status["open_conflicts"]) == (0, 0, 1)


def _two_group_item(conn) -> list[dict]:
    """The modifier group links of an item that has two."""
    rows = conn.execute(
        "SELECT * FROM item_modifier_groups WHERE item_id = (SELECT item_id FROM"
        " item_modifier_groups GROUP BY item_id HAVING COUNT(*) > 1 ORDER BY item_id LIMIT 1)"
        " ORDER BY position"
    )
    return [dict(row) for row in rows]


async def _set_groups(client, manager, item_id: str, group_ids: list[str]) -> None:
    """A manager sets the modifier groups of a dish (those it had and lacks now are deleted)."""
    body = {"modifier_group_ids": group_ids}
    done = await client.patch(f"/api/menu/items/{item_id}", json=body, headers=manager)
    assert done.status_code == 200, done.text


async def test_a_row_the_store_removed_while_the_hub_changed_it_comes_back(
    box, hub, owner, store, link
):
    """A manager takes a modifier group off a dish while the link is down, and the owner moves
    that same group up on the hub meanwhile: the hub refuses the store's removal (it would
    throw the owner's change away unseen, server wins) and the box puts the row back, with
    the owner's change on top. Before, the box lacked for good a row the hub kept."""
    box_, client = box
    manager = await sign_in(client, "manager")
    kept, dropped = await box_.read(_two_group_item)
    link.down = True
    await _set_groups(client, manager, kept["item_id"], [kept["group_id"]])
    await _owner_edits(
        hub, owner, store["id"], "item_modifier_groups", dropped["id"], {"position": 5}
    )
    link.down = False
    await box_.sync.round()
    await _converged(box_, hub, owner, store["id"])
    back = await box_.read(_two_group_item)
    assert [(r["id"], r["position"]) for r in back] == [(kept["id"], 0), (dropped["id"], 5)]
    (refused,) = (await client.get("/api/sync/rejections", headers=manager)).json()["rejections"]
    assert (refused["op"], refused["code"]) == ("delete", "changed_on_hub")


async def test_a_group_put_on_a_dish_on_both_sides_while_apart_ends_alike(
    box, hub, owner, store, link
):
    """A manager puts a modifier group on a dish while the link is down, and the owner puts the
    same group on the same dish on the hub meanwhile: two rows for one link. The hub's stands
    and the store's gives way (deleted here, which syncs): one link on both sides, with the
    owner's position, nothing refused. Before, the box refused the hub's row (UNIQUE
    constraint failed) and the hub kept both for good."""
    box_, client = box
    manager = await sign_in(client, "manager")
    kept, dropped = await box_.read(_two_group_item)
    link.down = True
    await _set_groups(client, manager, kept["item_id"], [kept["group_id"]])
    link.down = False
    await box_.sync.round()  # the dish has one group on both sides
    link.down = True
    await _set_groups(client, manager, kept["item_id"], [kept["group_id"], dropped["group_id"]])
    rows = f"/api/stores/{store['id']}/rows/item_modifier_groups"
    fields = {"item_id": kept["item_id"], "group_id": dropped["group_id"], "position": 7}
    made = await hub.post(rows, json={"fields": fields}, headers=owner.headers)
    assert made.status_code == 201, made.text
    link.down = False
    await box_.sync.round()  # the store's link up, the hub's down: the store's gives way
    await box_.sync.round()  # and that goes up
    await _converged(box_, hub, owner, store["id"])
    links = await box_.read(_two_group_item)
    assert [(r["id"], r["position"]) for r in links] == [
        (kept["id"], 0),
        (made.json()["id"], 7),
    ]
    assert (await client.get("/api/sync/rejections", headers=manager)).json()["rejections"] == []


async def test_what_an_owner_removes_on_the_hub_leaves_the_box(box, hub, owner, store):
    """The owner takes a modifier group off a dish and removes a table no order names: the
    box deletes both on its next pull, and the two sides end alike, nothing refused."""
    box_, client = box
    manager = await sign_in(client, "manager")
    await box_.sync.round()
    _kept, dropped = await box_.read(_two_group_item)
    rows = f"/api/stores/{store['id']}/rows"
    area = await box_.read(lambda c: c.execute("SELECT id FROM areas ORDER BY id").fetchone()[0])
    made = await hub.post(
        f"{rows}/tables", json={"fields": {"name": "99", "area_id": area}}, headers=owner.headers
    )
    await box_.sync.round()
    gone = [("item_modifier_groups", dropped["id"]), ("tables", made.json()["id"])]
    for entity, row_id in gone:
        removed = await hub.delete(f"{rows}/{entity}/{row_id}", headers=owner.headers)
        assert removed.status_code == 200, removed.text
    await box_.sync.round()
    left = await box_.read(
        lambda c: [c.execute(f"SELECT id FROM {t} WHERE id = ?", (i,)).fetchall() for t, i in gone]
    )
    assert left == [[], []]
    await _converged(box_, hub, owner, store["id"])
    assert (await client.get("/api/sync/rejections", headers=manager)).json()["rejections"] == []


async def test_two_fields_of_one_rule_changed_one_on_each_side_end_alike(
    box, hub, owner, store, link
):
    """While apart, a manager raises a modifier group's "at least" from 1 to 3 and the owner
    lowers its "at most" from 3 to 1: each edit keeps at least <= at most, the two merged
    field by field do not. The owner's rule stands (server wins): "at least" keeps the hub's
    1, listed as a conflict with the manager's 3, and both sides end with 1 of at most 1.
    Before, the hub took 3 of at most 1, the box refused the owner's change, and the two
    stayed apart for good."""
    box_, client = box
    manager = await sign_in(client, "manager")
    group_id = await box_.read(
        lambda c: c.execute("SELECT id FROM modifier_groups ORDER BY id").fetchone()[0]
    )
    path = f"/api/menu/modifier-groups/{group_id}"
    before = {"min_choices": 1, "max_choices": 3}
    assert (await client.patch(path, json=before, headers=manager)).status_code == 200
    await box_.sync.round()
    link.down = True
    mine = await client.patch(path, json={"min_choices": 3}, headers=manager)
    assert mine.status_code == 200, mine.text
    await _owner_edits(hub, owner, store["id"], "modifier_groups", group_id, {"max_choices": 1})
    link.down = False
    await box_.sync.round()
    await _converged(box_, hub, owner, store["id"])
    group = await box_.read(
        lambda c: c.execute("SELECT * FROM modifier_groups WHERE id = ?", (group_id,)).fetchone()
    )
    assert (group["min_choices"], group["max_choices"]) == (1, 1)
    assert (await client.get("/api/sync/rejections", headers=manager)).json()["rejections"] == []
    (conflict,) = (await client.get("/api/sync/conflicts", headers=manager)).json()["conflicts"]
    assert (conflict["field"], conflict["mine"], conflict["hub"]) == ("min_choices", 3, 1)
    assert conflict["hub_by"] == owner.email


async def test_a_hub_out_of_reach_is_offline_and_nothing_is_lost(box, hub, owner, store, link):
    box_, client = box
    manager = await sign_in(client, "manager")
    link.down = True
    item = await box_.read(_item)
    for _ in range(3):
        order = await client.post(
            "/api/orders",
            json={"kind": "counter", "lines": [{"item_id": item["id"], "quantity": 1}]},
            headers={**manager, "Idempotency-Key": uuid7()},
        )
        assert order.status_code == 201, order.text
    with pytest.raises(HubUnreachable):
        await box_.sync.round()
    status = await _status(client, manager)
    assert (status["state"], status["waiting"]) == ("offline", 3)
    assert "link is down" in status["last_error"]  # for the technician; the manager reads:
    assert status["problem"].startswith("The hub does not answer")
    assert "changes wait here" in status["problem"]
    link.down = False
    await box_.sync.round()
    await _converged(box_, hub, owner, store["id"])
    assert (await _status(client, manager))["problem"] is None


async def test_a_revoked_key_tells_the_manager_to_enrol_the_box_again(box, hub, owner, store):
    box_, client = box
    manager = await sign_in(client, "manager")
    devices = f"/api/stores/{store['id']}/devices"
    (device,) = (await hub.get(devices, headers=owner.headers)).json()["devices"]
    revoked = await hub.post(f"{devices}/{device['key_id']}/revoke", headers=owner.headers)
    assert revoked.status_code == 200, revoked.text
    with pytest.raises(HubRefused):
        await box_.sync.round()
    status = await _status(client, manager)
    assert status["state"] == "refused" and "revoked" in status["last_error"]
    assert "enrol the box again with a new code" in status["problem"]


def _huge_orders(conn, count: int, lines: int = orders.MAX_LINES) -> None:
    """`count` orders of the most lines an order takes, each line with the longest note."""
    item = conn.execute(
        "SELECT m.id FROM menu_items m WHERE m.active AND m.available AND NOT EXISTS"
        " (SELECT 1 FROM item_modifier_groups g WHERE g.item_id = m.id) ORDER BY m.id"
    ).fetchone()[0]
    staff = conn.execute("SELECT id, name FROM staff WHERE role = 'manager'").fetchone()
    actor = Actor(staff["id"], staff["name"], "manager", "till")
    for _ in range(count):
        line = {"item_id": item, "note": "n" * 140}
        orders.create(conn, actor, {"kind": "counter", "lines": [line] * lines})


def _outbox_sizes(conn) -> list[int]:
    found = events.outbox(conn, identity.sync_state(conn).push_cursor, 10**12, 500)
    return [len(orjson.dumps(_pushed(event).to_json())) for event in found]


async def test_a_push_stops_at_its_byte_cap_and_an_event_no_push_can_carry_is_kept(
    box, hub, owner, store, link
):
    box_, client = box
    manager = await sign_in(client, "manager")
    await box_.sync.round()
    await box_.write(_huge_orders, 4)
    sizes = await box_.read(_outbox_sizes)
    assert len(sizes) == 4 and min(sizes) > 100_000  # ~4 MB for 40 of them
    box_.sync.batch_bytes = max(sizes) * 3 // 2  # one huge order in each push
    link.bodies.clear()
    await box_.sync.round()
    assert len(link.bodies) == 4 and max(link.bodies) <= box_.sync.batch_bytes
    await _converged(box_, hub, owner, store["id"])

    box_.sync.body_limit = min(sizes) // 2  # as if the hub read less than one such order
    await box_.write(_huge_orders, 1)
    await box_.write(_huge_orders, 1, 1)  # and a small one after it
    link.bodies.clear()
    await box_.sync.round()
    await box_.sync.round()  # the large one is not tried again
    assert len(link.bodies) == 1 and link.bodies[0] < box_.sync.body_limit
    rejected = (await client.get("/api/sync/rejections", headers=manager)).json()["rejections"]
    assert [(r["source"], r["entity"], r["code"]) for r in rejected] == [
        ("push", "orders", "too_large")
    ]
    assert "larger than the hub takes" in rejected[0]["message"]
    orders_on_hub = await hub.get(
        f"/api/stores/{store['id']}/rows/orders?limit=500", headers=owner.headers
    )
    assert len(orders_on_hub.json()["rows"]) == 5  # the four, and the small one


async def test_a_box_ahead_of_the_hub_pushes_again_from_the_hubs_cursor(
    box, hub, owner, store, link
):
    """The hub has fewer of the box's events than the box believes (say, it was restored from
    an older backup): the pushes on their way hear `gap`, and the box pushes again from the
    hub's cursor, and ends with the hub holding what it holds."""
    box_, client = box
    await box_.sync.round()
    hub_has = (await box_.read(identity.sync_state)).push_cursor
    await box_.write(_huge_orders, 1_100, 1)  # an event each: three pushes
    await box_.write(identity.pushed, hub_has + 300)
    link.bodies.clear()
    await box_.sync.round()
    # refused: the first push, and the second if it was on its way by then; then the three
    # from the hub's cursor
    assert len(link.bodies) - 3 in (1, 2)
    assert (await box_.read(identity.sync_state)).push_cursor == await box_.read(events.last_seq)
    await _converged(box_, hub, owner, store["id"])


async def test_a_refund_reaches_the_hub_with_who_approved_it(box, hub, owner, store):
    """A refund keeps who approved it (for its slip, printed again after its event is
    forgotten): the field syncs as the rest of the refund does."""
    box_, client = box
    cashier = await sign_in(client, "cashier")
    manager = await sign_in(client, "manager")
    item = await box_.read(_item)
    made = {"kind": "counter", "lines": [{"item_id": item["id"]}]}
    order = (await client.post("/api/orders", json=made, headers=cashier)).json()
    check = await client.post("/api/checks", json={"order_id": order["id"]}, headers=cashier)
    assert (await client.post("/api/shifts", json={"float": 0}, headers=cashier)).is_success
    card = {"method": "card", "reference": "T1"}
    paid = await client.post(
        f"/api/checks/{check.json()['id']}/payments", json=card, headers=cashier
    )
    assert paid.status_code == 201, paid.text
    roster = (await client.get("/api/staff", headers=manager)).json()
    boss = next(m for m in roster if m["role"] == "manager")
    back = {"reason": "cold", "approval": {"staff_id": boss["id"], "pin": PINS["manager"]}}
    path = f"/api/payments/{paid.json()['payment']['id']}/refund"
    refunded = await client.post(path, json=back, headers=cashier)
    assert refunded.status_code == 201, refunded.text
    assert refunded.json()["refund"]["approved_by"] == boss["id"]
    await box_.sync.round()
    await _converged(box_, hub, owner, store["id"])


async def test_the_owners_report_is_the_boxs_own_z_report(box, hub, owner, store):
    """A day of the store (a sale paid by card with a tip, a voided line) closed with its Z
    report: the hub's report across stores shows that day with the box's own figures, in the
    store's own business day, and the stores' total in its currency."""
    box_, client = box
    cashier = await sign_in(client, "cashier")
    manager = await sign_in(client, "manager")
    item = await box_.read(_item)
    made = {"kind": "counter", "lines": [{"item_id": item["id"], "quantity": 2}]}
    order = (await client.post("/api/orders", json=made, headers=cashier)).json()
    extra = {"lines": [{"item_id": item["id"]}]}
    more = await client.post(f"/api/orders/{order['id']}/lines", json=extra, headers=cashier)
    assert more.status_code == 201, more.text
    voided = await client.post(
        f"/api/order-lines/{more.json()['lines'][-1]['id']}/void",
        json={"reason": "wrong dish"},
        headers=manager,
    )
    assert voided.status_code == 200, voided.text
    check = await client.post("/api/checks", json={"order_id": order["id"]}, headers=cashier)
    assert (await client.post("/api/shifts", json={"float": 0}, headers=cashier)).is_success
    card = {"method": "card", "reference": "T1", "tip": 150}
    paid = await client.post(
        f"/api/checks/{check.json()['id']}/payments", json=card, headers=cashier
    )
    assert paid.status_code == 201, paid.text
    closed = await client.post("/api/shifts/current/close", json={"counted": {}}, headers=cashier)
    assert closed.status_code == 200, closed.text
    z = await client.post("/api/reports", json={"kind": "z"}, headers=manager)
    assert z.status_code == 201, z.text
    await box_.sync.round()

    day = z.json()["business_day"]
    answer = await hub.get(f"/api/reports?from={day}", headers=owner.headers)
    assert answer.status_code == 200, answer.text
    (ours,) = answer.json()["stores"]
    figures = {k: v for k, v in z.json()["data"].items() if type(v) is int}
    assert ours["days"] == [{"business_day": day, **figures}]
    assert (figures["tips"], figures["voids"]) == (150, 1)
    (together,) = answer.json()["totals"]
    currency = await box_.read(lambda c: c.execute("SELECT currency FROM store").fetchone()[0])
    assert together == {"currency": currency, "stores": 1, **figures}
