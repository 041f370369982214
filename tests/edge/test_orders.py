"""Orders by staff: lines with modifiers, server-side totals, numbering, voids and refusals."""

import json

import pytest
from freezegun import freeze_time

from edge.core import db, events
from sync.entities import ENTITIES, REQUIRED
from tests.conftest import count, device_header, sign_in
from tests.edge.menu_helpers import item, menu, modifier, table_id


async def create(client, headers, **body):
    return await client.post("/api/orders", headers=headers, json={"kind": "counter", **body})


async def test_counter_order_with_modifiers_seat_and_note(client, waiter):
    m = await menu(client)
    burger = item(m, "Beef burger")
    lines = [
        {
            "item_id": burger["id"],
            "quantity": 2,
            "seat": 1,
            "note": "no onion",
            "modifier_ids": [
                modifier(m, "How cooked", "Medium")["id"],
                modifier(m, "Side", "Sweet potato")["id"],
                modifier(m, "Extras", "Bacon")["id"],
            ],
        },
        {"item_id": item(m, "Cola")["id"]},
    ]
    response = await create(client, waiter, lines=lines, note="birthday")
    assert response.status_code == 201, response.text
    order = response.json()
    first, cola = order["lines"]
    assert first["unit_price"] == 1450 + 150 + 200 and first["amount"] == 2 * 1800
    assert [x["name"] for x in first["modifiers"]] == ["Medium", "Sweet potato", "Bacon"]
    assert first["seat"] == 1 and first["note"] == "no onion" and first["station"] == "KITCHEN"
    assert cola["station"] == "BAR" and cola["course"] == "DRINKS"
    # Prices include tax (the demo store): the guest pays the sum of the lines.
    assert order["total"] == 3600 + 300
    food, drinks = order["taxes"]
    assert food == {"name": "IVA 13%", "rate_bp": 1300, "base": 3186, "tax": 414}
    assert drinks == {"name": "IVA 23%", "rate_bp": 2300, "base": 244, "tax": 56}
    assert order["subtotal"] + order["tax_total"] == order["total"]


async def test_totals_come_from_the_server_not_the_client(client, waiter):
    m = await menu(client)
    response = await create(client, waiter, lines=[{"item_id": item(m, "Espresso")["id"]}])
    assert response.json()["total"] == 120
    forged = await create(
        client, waiter, total=1, lines=[{"item_id": item(m, "Espresso")["id"], "unit_price": 1}]
    )
    assert forged.status_code == 422 and forged.json()["error"]["code"] == "unknown_field"


async def test_an_order_takes_up_to_200_lines_at_once(client, waiter, settings):
    # All of an order's lines go in as one INSERT: the largest one must fit SQLite's limits.
    espresso = item(await menu(client), "Espresso")["id"]
    full = await create(client, waiter, lines=[{"item_id": espresso}] * 200)
    assert full.status_code == 201, full.text
    assert len(full.json()["lines"]) == 200 and full.json()["total"] == 200 * 120
    before = (count(settings.database, "events"), count(settings.database, "order_lines"))
    too_many = await create(client, waiter, lines=[{"item_id": espresso}] * 201)
    assert too_many.status_code == 422 and too_many.json()["error"]["field"] == "lines"
    assert (count(settings.database, "events"), count(settings.database, "order_lines")) == before


async def test_table_order_and_disabled_table(client, waiter, manager):
    floor = (await client.get("/api/tables", headers=waiter)).json()
    t5 = table_id(floor, "5")
    m = await menu(client)
    ok = await client.post(
        "/api/orders",
        headers=waiter,
        json={
            "kind": "table",
            "table_id": t5,
            "covers": 3,
            "lines": [{"item_id": item(m, "Espresso")["id"]}],
        },
    )
    assert ok.status_code == 201 and ok.json()["table_id"] == t5
    await client.patch(f"/api/tables/{t5}", headers=manager, json={"enabled": False})
    refused = await client.post(
        "/api/orders", headers=waiter, json={"kind": "table", "table_id": t5, "lines": []}
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "table_disabled"
    no_table = await client.post("/api/orders", headers=waiter, json={"kind": "table"})
    assert no_table.status_code == 422


async def test_order_numbers_restart_each_business_day_in_the_store_timezone(client):
    # Lisbon is UTC+0 in November; the business day starts at 04:00 local.
    with freeze_time("2026-11-21 22:00:00", tick=True) as frozen:
        waiter = await sign_in(client, "waiter")
        a = (await create(client, waiter)).json()
        frozen.move_to("2026-11-22 03:30:00")  # after midnight, still the night of the 21st
        b = (await create(client, waiter)).json()
        frozen.move_to("2026-11-22 09:30:00")  # the next day, within the 12 h sign-in
        c = (await create(client, waiter)).json()
    assert (a["business_day"], a["number"]) == ("2026-11-21", 1)
    assert (b["business_day"], b["number"]) == ("2026-11-21", 2)
    assert (c["business_day"], c["number"]) == ("2026-11-22", 1)


async def test_add_change_and_remove_lines_retotal_the_order(client, waiter):
    m = await menu(client)
    order = (await create(client, waiter, lines=[{"item_id": item(m, "Espresso")["id"]}])).json()
    added = await client.post(
        f"/api/orders/{order['id']}/lines",
        headers=waiter,
        json={"lines": [{"item_id": item(m, "Pastel de nata")["id"]}]},
    )
    assert added.status_code == 201 and added.json()["total"] == 120 + 250
    nata = added.json()["lines"][1]
    changed = await client.patch(
        f"/api/order-lines/{nata['id']}", headers=waiter, json={"quantity": 3, "note": "to share"}
    )
    assert changed.json()["total"] == 120 + 750
    removed = await client.delete(f"/api/order-lines/{nata['id']}", headers=waiter)
    assert removed.json()["total"] == 120 and len(removed.json()["lines"]) == 1


async def test_void_needs_a_manager_and_a_reason(client, settings, waiter, manager):
    m = await menu(client)
    order = (
        await create(
            client,
            waiter,
            lines=[{"item_id": item(m, "Espresso")["id"]}, {"item_id": item(m, "Cola")["id"]}],
        )
    ).json()
    line = order["lines"][0]["id"]
    refused = await client.post(
        f"/api/order-lines/{line}/void", headers=waiter, json={"reason": "guest changed mind"}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "approval_required"
    no_reason = await client.post(f"/api/order-lines/{line}/void", headers=manager, json={})
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    voided = await client.post(
        f"/api/order-lines/{line}/void", headers=manager, json={"reason": "spilled"}
    )
    assert voided.status_code == 200
    assert voided.json()["total"] == 300 and voided.json()["lines"][0]["state"] == "voided"
    again = await client.post(
        f"/api/order-lines/{line}/void", headers=manager, json={"reason": "twice"}
    )
    assert again.status_code == 409


async def test_a_waiter_voids_with_a_managers_pin_recorded_as_approver(client, settings, waiter):
    m = await menu(client)
    order = (await create(client, waiter, lines=[{"item_id": item(m, "Cola")["id"]}])).json()
    line = order["lines"][0]["id"]
    roster = (await client.get("/api/staff/roster", headers=await device_header(client))).json()
    manager_id = next(s["id"] for s in roster if s["role"] == "manager")
    cashier_id = next(s["id"] for s in roster if s["role"] == "cashier")
    wrong = await client.post(
        f"/api/order-lines/{line}/void",
        headers=waiter,
        json={"reason": "wrong drink", "approval": {"staff_id": manager_id, "pin": "0000"}},
    )
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_pin"
    not_a_manager = await client.post(
        f"/api/order-lines/{line}/void",
        headers=waiter,
        json={"reason": "wrong drink", "approval": {"staff_id": cashier_id, "pin": "3333"}},
    )
    assert not_a_manager.status_code == 403
    ok = await client.post(
        f"/api/order-lines/{line}/void",
        headers=waiter,
        json={"reason": "wrong drink", "approval": {"staff_id": manager_id, "pin": "2222"}},
    )
    assert ok.status_code == 200, ok.text
    conn = db.connect(settings.database, readonly=True)
    event = conn.execute(
        "SELECT actor, approver, fields FROM events WHERE entity = 'order_lines'"
        " AND entity_id = ? AND op = 'update'",
        (line,),
    ).fetchone()
    waiter_id = next(s["id"] for s in roster if s["role"] == "waiter")
    assert (event["actor"], event["approver"]) == (waiter_id, manager_id)
    assert "wrong drink" in event["fields"]


@pytest.mark.parametrize(
    ("line", "status", "code"),
    [
        ({"item_id": "01900000-0000-7000-8000-000000000000"}, 422, "unknown_item"),
        ({"item_id": "not-an-id"}, 422, "invalid"),
        ({"item_id": "ESPRESSO", "quantity": -1}, 422, "invalid"),
        ({"item_id": "ESPRESSO", "quantity": 0}, 422, "invalid"),
        ({"item_id": "ESPRESSO", "quantity": 1.5}, 422, "invalid"),
        ({"item_id": "BURGER"}, 422, "modifier_choices"),
        (
            {"item_id": "ESPRESSO", "modifier_ids": ["01900000-0000-7000-8000-000000000001"]},
            422,
            "unknown_modifier",
        ),
        ({"item_id": "ESPRESSO", "seat": 0}, 422, "invalid"),
    ],
)
async def test_bad_lines_are_refused_and_nothing_is_written(
    client, settings, waiter, line, status, code
):
    m = await menu(client)
    ids = {"ESPRESSO": item(m, "Espresso")["id"], "BURGER": item(m, "Beef burger")["id"]}
    line = {**line, "item_id": ids.get(line["item_id"], line["item_id"])}
    before = (count(settings.database, "events"), count(settings.database, "orders"))
    response = await create(client, waiter, lines=[{"item_id": ids["ESPRESSO"]}, line])
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert (count(settings.database, "events"), count(settings.database, "orders")) == before


async def test_an_86d_item_cannot_be_ordered(client, settings, waiter):
    m = await menu(client)
    nata = item(m, "Pastel de nata")["id"]
    off = await client.put(
        f"/api/menu/items/{nata}/availability", headers=waiter, json={"available": False}
    )
    assert off.status_code == 200
    before = count(settings.database, "orders")
    response = await create(client, waiter, lines=[{"item_id": nata}])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "item_unavailable"
    assert count(settings.database, "orders") == before


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2]",
        b"\xff\xfe",
        b'"text"',
        b'{"kind": "counter", "covers": NaN}',  # not JSON, though Python's json takes it
    ],
)
async def test_malformed_json_is_refused(client, settings, waiter, raw):
    before = count(settings.database, "events")
    response = await client.post(
        "/api/orders", headers={**waiter, "content-type": "application/json"}, content=raw
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert count(settings.database, "events") == before


async def test_a_body_over_256_kib_is_refused_before_it_is_all_read(client, settings, waiter):
    sent: list[int] = []

    async def chunks():
        yield b'{"kind": "counter", "note": "'
        for _ in range(64):  # 64 x 8 KiB: the refusal comes long before the last chunk
            sent.append(1)
            yield b"x" * 8192
        yield b'"}'

    before = count(settings.database, "events")
    response = await client.post(
        "/api/orders", headers={**waiter, "content-type": "application/json"}, content=chunks()
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_large"
    assert len(sent) < 64
    assert count(settings.database, "events") == before


async def test_a_body_in_several_chunks_is_read_whole(client, waiter):
    m = await menu(client)
    body = json.dumps({"kind": "counter", "lines": [{"item_id": item(m, "Cola")["id"]}]}).encode()

    async def chunks():
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    response = await client.post(
        "/api/orders", headers={**waiter, "content-type": "application/json"}, content=chunks()
    )
    assert response.status_code == 201, response.text
    assert response.json()["lines"][0]["name"] == "Cola"


async def test_kitchen_staff_cannot_take_orders(client):
    kitchen = await sign_in(client, "kitchen")
    response = await create(client, kitchen)
    assert response.status_code == 403


async def test_lists_and_reads_orders(client, waiter):
    m = await menu(client)
    made = (await create(client, waiter, lines=[{"item_id": item(m, "Cola")["id"]}])).json()
    listed = (await client.get("/api/orders?status=open", headers=waiter)).json()
    assert listed[0]["id"] == made["id"]
    one = (await client.get(f"/api/orders/{made['id']}", headers=waiter)).json()
    assert one["lines"][0]["name"] == "Cola"
    missing = await client.get("/api/orders/01900000-0000-7000-8000-000000000000", headers=waiter)
    assert missing.status_code == 404
    bad_limit = await client.get("/api/orders?limit=abc", headers=waiter)
    assert bad_limit.status_code == 400


async def test_a_new_order_reads_back_exactly_as_it_was_answered(client, waiter):
    m = await menu(client)
    made = (
        await create(
            client,
            waiter,
            covers=2,
            lines=[
                {
                    "item_id": item(m, "Beef burger")["id"],
                    "seat": 2,
                    "modifier_ids": [
                        modifier(m, "How cooked", "Rare")["id"],
                        modifier(m, "Side", "Fries")["id"],
                    ],
                },
                {"item_id": item(m, "Cola")["id"], "quantity": 3},
            ],
        )
    ).json()
    read = (await client.get(f"/api/orders/{made['id']}", headers=waiter)).json()
    assert made == read


def as_stored(value):
    """An event's value as its column holds it (JSON text, 0/1)."""
    return events.to_json(value) if isinstance(value, list | dict) else value


async def test_an_orders_and_its_tickets_creates_are_stored_lean_and_read_back_whole(
    client, waiter, settings
):
    """The create of an order (its lines) and of a kitchen ticket (its items) are stored
    without their defaults, the parent's id and what a part shares with its parent; every
    reader (the feed, the audit, the outbox to the hub) gets them whole: the rows as made."""
    m = await menu(client)
    cola = item(m, "Cola")["id"]
    lines = [{"item_id": cola, "seat": 2, "note": "no ice"}, *[{"item_id": cola}] * 4]
    response = await create(client, waiter, lines=lines, send=True)
    assert response.status_code == 201, response.text
    conn = db.connect(settings.database, readonly=True)
    try:
        for entity, parts, parent in (
            ("orders", "order_lines", "order_id"),
            ("tickets", "ticket_items", "ticket_id"),
        ):
            row = conn.execute(
                "SELECT * FROM events WHERE entity = ? AND op = 'create'", (entity,)
            ).fetchone()
            stored = json.loads(row["fields"])
            assert "note" not in stored and all(parent not in part for part in stored[parts])
            assert "no ice" in row["fields"] and '"seat":2' in row["fields"]
            assert "null" not in row["fields"] and len(row["fields"]) < 1700
            whole = events.Event.from_row(row)
            pushed = [e for e in events.outbox(conn, 0, 10**9, 10**4) if e.seq == row["seq"]]
            assert [e.fields for e in pushed] == [whole.fields]
            made = [("", dict(conn.execute(f"SELECT * FROM {entity} WHERE id = ?",
                                           (row["entity_id"],)).fetchone()))]  # fmt: skip
            made += [
                (parts, dict(found))
                for found in conn.execute(f"SELECT * FROM {parts} WHERE {parent} = ?",
                                          (row["entity_id"],))
            ]  # fmt: skip
            told = [("", {"id": row["entity_id"], "hub_rev": 0, **whole.fields})]
            told += [(parts, part) for part in whole.fields[parts]]
            for (kind, fields), (_, kept) in zip(sorted(told, key=lambda t: t[1]["id"]),
                                                 sorted(made, key=lambda t: t[1]["id"]),
                                                 strict=True):  # fmt: skip
                fields = {k: as_stored(v) for k, v in fields.items() if k != parts}
                assert fields == kept, kind
    finally:
        conn.close()


# The defaults a lean create leaves out of its stored JSON (`edge.core.events._packed`), as
# they were when the first lean events were written: reading one back puts these in.
STORED_DEFAULTS = {
    "orders": {"table_id": None, "status": "open", "covers": 0, "note": "", "subtotal": 0,
               "tax_total": 0, "total": 0, "taxes": []},
    "order_lines": {"modifiers": [], "seat": None, "note": "", "state": "pending",
                    "void_reason": None, "void_day": None},
    "tickets": {"note": "", "state": "NEW", "rush": False, "started_at": None,
                "ready_at": None, "bumped_at": None, "served_at": None, "auto_fire_at": None},
    "ticket_items": {"modifiers": [], "note": "", "seat": None, "state": "NEW",
                     "voided": False, "ready_at": None, "bumped_at": None},
}  # fmt: skip


def test_the_defaults_a_lean_create_leaves_out_stay_as_stored():
    """Changing one of these defaults would change what every stored create already on a box
    reads back as: the events must be rewritten with the old default first (a migration)."""
    declared = {
        entity: {
            name: kind.default
            for name, kind in ENTITIES[entity].fields.items()
            if kind.default is not REQUIRED
        }
        for entity in STORED_DEFAULTS
    }
    assert declared == STORED_DEFAULTS, "stored lean events read back with these defaults"
