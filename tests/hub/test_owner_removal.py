"""An owner removes a hub-owned row (a table made by mistake, a modifier group taken off a dish):
a delete in the store's feed that its box pulls. A row another row of the store still names
(an area with tables, a dish sold on an order) is kept (409 `in_use`), since the box could not
delete it either; staff and printers are switched off instead (the box's own sign-ins, devices
and print jobs name them, which the hub never sees). And a row an owner makes or edits must
name rows the store has (a table's area), else the box could not take it. On SQLite and
PostgreSQL."""

import pytest

from sync.ids import uuid7
from tests.hub.kit import enrolled_box, event, new_owner, new_store, order_event


@pytest.fixture
async def owner(hub, hub_storage):
    return await new_owner(hub, hub_storage)


async def _made(hub, owner, base, entity, fields):
    answer = await hub.post(f"{base}/{entity}", json={"fields": fields}, headers=owner.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _refused(answer, status, code):
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code and error["message"], error
    return error


async def test_an_owner_removes_a_row_and_the_box_pulls_the_delete(hub, owner):
    store = await new_store(hub, owner)
    box = await enrolled_box(hub, owner, store["id"])
    base = f"/api/stores/{store['id']}/rows"
    area = await _made(hub, owner, base, "areas", {"name": "Terrace"})
    table = await _made(hub, owner, base, "tables", {"area_id": area, "name": "T1"})

    removed = await hub.delete(f"{base}/tables/{table}", headers=owner.headers)
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"entity": "tables", "id": table, "deleted": True}
    _refused(await hub.get(f"{base}/tables/{table}", headers=owner.headers), 404, "unknown_row")
    assert (await hub.get(f"{base}/tables", headers=owner.headers)).json()["rows"] == []
    last = (await box.pull()).json()["changes"][-1]
    assert (last["source"], last["entity"], last["entity_id"], last["op"]) == (
        "hub",
        "tables",
        table,
        "delete",
    )
    again = await hub.delete(f"{base}/tables/{table}", headers=owner.headers)
    _refused(again, 404, "unknown_row")
    # Its name is free again; the area stays while a table names it, and goes once none does.
    table = await _made(hub, owner, base, "tables", {"area_id": area, "name": "T1"})
    in_use = await hub.delete(f"{base}/areas/{area}", headers=owner.headers)
    assert "table" in _refused(in_use, 409, "in_use")["message"]
    assert (await hub.delete(f"{base}/tables/{table}", headers=owner.headers)).status_code == 200
    assert (await hub.delete(f"{base}/areas/{area}", headers=owner.headers)).status_code == 200


async def test_a_row_the_stores_rows_name_is_kept_and_said_why(hub, owner):
    """A dish sold on an order stays (the box keeps the order's line naming it): switched off
    with `active: false` instead, as the refusal says. Nothing is written."""
    store = await new_store(hub, owner)
    box = await enrolled_box(hub, owner, store["id"])
    base = f"/api/stores/{store['id']}/rows"
    category = await _made(hub, owner, base, "menu_categories", {"name": "Coffee"})
    tax = await _made(hub, owner, base, "tax_rates", {"name": "VAT", "rate_bp": 2300})
    item = await _made(
        hub, owner, base, "menu_items",
        {"category_id": category, "tax_rate_id": tax, "name": "Espresso", "price": 250},
    )  # fmt: skip
    order = order_event(1)
    order.fields["order_lines"][0]["item_id"] = item
    assert (await box.push([order], after=0)).status_code == 200
    feed = (await box.pull()).json()["changes"]

    for entity, row_id, said in [
        ("menu_items", item, ("order", "active")),
        ("menu_categories", category, ("menu item", "active")),
        ("tax_rates", tax, ("menu item",)),
    ]:
        answer = await hub.delete(f"{base}/{entity}/{row_id}", headers=owner.headers)
        error = _refused(answer, 409, "in_use")
        assert all(words in error["message"] for words in said), error
        kept = await hub.get(f"{base}/{entity}/{row_id}", headers=owner.headers)
        assert kept.status_code == 200
    assert (await box.pull()).json()["changes"] == feed


async def test_what_an_owner_cannot_remove_is_a_403(hub, owner):
    store = await new_store(hub, owner)
    box = await enrolled_box(hub, owner, store["id"])
    kinds = ("store", "staff", "printers", "orders", "pos_settings", "stations")
    ids = {name: uuid7() for name in kinds}
    pushed = [
        event(1, "store", ids["store"], "create", {"name": "Azul"}),
        event(
            2,
            "staff",
            ids["staff"],
            "create",
            {"name": "Ana", "role": "waiter", "pin_hash": "scrypt$x"},
        ),  # fmt: skip
        event(
            3,
            "printers",
            ids["printers"],
            "create",
            {
                "name": "Bar",
                "role": "receipt",
                "created_at": "2026-01-02T10:00:00Z",
                "transport": {"kind": "network", "host": "127.0.0.1"},
            },
        ),  # fmt: skip
        order_event(4, ids["orders"]),
        event(5, "pos_settings", ids["pos_settings"], "create", {}),
        event(6, "stations", ids["stations"], "create", {"code": "BAR", "name": "Bar"}),
    ]
    assert (await box.push(pushed, after=0)).status_code == 200
    feed = (await box.pull()).json()["changes"]
    base = f"/api/stores/{store['id']}/rows"
    for entity, code, says in [
        ("store", "one_row", "edit"),
        ("pos_settings", "one_row", "edit"),
        ("staff", "not_removable", "active"),
        ("printers", "not_removable", "enabled"),
        ("stations", "not_removable", "active"),  # dishes and printers name it by its code
        ("orders", "store_owned", "store"),
    ]:
        answer = await hub.delete(f"{base}/{entity}/{ids[entity]}", headers=owner.headers)
        assert says in _refused(answer, 403, code)["message"]
    assert (await box.pull()).json()["changes"] == feed
    _refused(await hub.delete(f"{base}/tables/{uuid7()}", headers=owner.headers), 404,
             "unknown_row")  # fmt: skip
    _refused(await hub.delete(f"{base}/nothing/{uuid7()}", headers=owner.headers), 404,
             "unknown_entity")  # fmt: skip


async def test_a_row_naming_a_row_the_store_does_not_have_is_a_422(hub, owner):
    """A table in an area the store has not (another store's, or none), a dish in a category it
    has not: the box's pull would refuse it (its foreign key), leaving the hub with a row the
    box never has. Refused here, naming the field, and nothing written."""
    store = await new_store(hub, owner)
    other = await new_store(hub, owner, "Other")
    box = await enrolled_box(hub, owner, store["id"])
    base = f"/api/stores/{store['id']}/rows"
    theirs = await _made(hub, owner, f"/api/stores/{other['id']}/rows", "areas", {"name": "Bar"})
    area = await _made(hub, owner, base, "areas", {"name": "Terrace"})
    feed = (await box.pull()).json()["changes"]
    for area_id in (theirs, uuid7(), store["id"]):
        answer = await hub.post(
            f"{base}/tables", json={"fields": {"area_id": area_id, "name": "T1"}},
            headers=owner.headers,
        )  # fmt: skip
        assert _refused(answer, 422, "unknown_reference")["field"] == "fields.area_id"
    assert (await hub.get(f"{base}/tables", headers=owner.headers)).json()["rows"] == []
    assert (await box.pull()).json()["changes"] == feed

    table = await _made(hub, owner, base, "tables", {"area_id": area, "name": "T1"})
    moved = await hub.patch(
        f"{base}/tables/{table}", json={"fields": {"area_id": theirs}}, headers=owner.headers
    )
    assert _refused(moved, 422, "unknown_reference")["field"] == "fields.area_id"
    kept = (await hub.get(f"{base}/tables/{table}", headers=owner.headers)).json()
    assert kept["fields"]["area_id"] == area
