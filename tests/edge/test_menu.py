"""The menu: edits by managers, 86 by the floor, a public endpoint that revalidates cheaply."""

from tests.conftest import count
from tests.edge.menu_helpers import item, menu


async def test_public_menu_revalidates_with_etag(client, manager):
    first = await client.get("/api/menu")
    etag = first.headers["etag"]
    same = await client.get("/api/menu", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    cola = item(first.json(), "Cola")["id"]
    await client.patch(f"/api/menu/items/{cola}", headers=manager, json={"price": 320})
    changed = await client.get("/api/menu", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert item(changed.json(), "Cola")["price"] == 320


async def test_demo_menu_is_realistic(client):
    m = await menu(client)
    assert len(m["categories"]) >= 5
    assert sum(len(c["items"]) for c in m["categories"]) >= 30
    assert any(g["min_choices"] >= 1 for g in m["modifier_groups"])


async def test_manager_builds_a_category_item_and_modifier_group(client, manager):
    m = await menu(client)
    rate = m["tax_rates"][0]["id"]
    category = (
        await client.post("/api/menu/categories", headers=manager, json={"name": "Brunch"})
    ).json()["id"]
    group = await client.post(
        "/api/menu/modifier-groups",
        headers=manager,
        json={
            "name": "Eggs",
            "min_choices": 1,
            "max_choices": 1,
            "modifiers": [{"name": "Poached"}, {"name": "Scrambled", "price_delta": 50}],
        },
    )
    assert group.status_code == 201
    created = await client.post(
        "/api/menu/items",
        headers=manager,
        json={
            "category_id": category,
            "name": "Eggs Benedict",
            "price": 1150,
            "tax_rate_id": rate,
            "station": "kitchen",
            "course": "MAINS",
            "modifier_group_ids": [group.json()["id"]],
        },
    )
    assert created.status_code == 201, created.text
    after = await menu(client)
    eggs = item(after, "Eggs Benedict")
    assert eggs["station"] == "KITCHEN" and eggs["modifier_group_ids"] == [group.json()["id"]]
    hidden = await client.patch(
        f"/api/menu/categories/{category}", headers=manager, json={"active": False}
    )
    assert hidden.status_code == 200
    assert "Brunch" not in [c["name"] for c in (await menu(client))["categories"]]
    everything = (await client.get("/api/menu/all", headers=manager)).json()
    assert "Brunch" in [c["name"] for c in everything["categories"]]


async def test_bad_menu_edits_are_refused_and_write_nothing(client, settings, manager):
    m = await menu(client)
    category = m["categories"][0]["id"]
    rate = m["tax_rates"][0]["id"]
    before = count(settings.database, "events")
    cases = [
        ({"category_id": category, "name": "X", "price": -1, "tax_rate_id": rate}, "invalid"),
        ({"category_id": category, "name": "X", "price": 1.5, "tax_rate_id": rate}, "invalid"),
        ({"category_id": category, "name": "", "price": 1, "tax_rate_id": rate}, "invalid"),
        (
            {
                "category_id": "01900000-0000-7000-8000-000000000000",
                "name": "X",
                "price": 1,
                "tax_rate_id": rate,
            },
            "unknown_reference",
        ),
        ({"category_id": category, "name": "X", "price": 1}, "missing_field"),
        (
            {
                "category_id": category,
                "name": "X",
                "price": 1,
                "tax_rate_id": rate,
                "modifier_group_ids": "all",
            },
            "invalid",
        ),
        (
            {
                "category_id": category,
                "name": "X",
                "price": 1,
                "tax_rate_id": rate,
                "station": "the bar",
            },
            "invalid",
        ),
    ]
    for body, code in cases:
        response = await client.post("/api/menu/items", headers=manager, json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == code, body
    choices = await client.post(
        "/api/menu/modifier-groups",
        headers=manager,
        json={"name": "Bad", "min_choices": 3, "max_choices": 1},
    )
    assert choices.status_code == 409
    for body in (
        {"name": "Milk", "modifiers": ["Oat milk"]},  # each modifier is an object
        {"name": "Milk", "modifiers": [{"name": "Oat", "price_delta": "50"}]},
    ):
        group = await client.post("/api/menu/modifier-groups", headers=manager, json=body)
        assert group.status_code == 422, body
        assert group.json()["error"]["field"] in ("modifiers", "price_delta"), body
    assert count(settings.database, "events") == before


async def test_floor_staff_can_86_but_not_reprice(client, waiter):
    m = await menu(client)
    cola = item(m, "Cola")["id"]
    off = await client.put(
        f"/api/menu/items/{cola}/availability", headers=waiter, json={"available": False}
    )
    assert off.status_code == 200
    assert item(await menu(client), "Cola")["available"] is False
    price = await client.patch(f"/api/menu/items/{cola}", headers=waiter, json={"price": 1})
    assert price.status_code == 403
    bad = await client.put(
        f"/api/menu/items/{cola}/availability", headers=waiter, json={"available": "no"}
    )
    assert bad.status_code == 422
    missing = await client.put(
        "/api/menu/items/01900000-0000-7000-8000-000000000000/availability",
        headers=waiter,
        json={"available": True},
    )
    assert missing.status_code == 404


async def test_changing_an_items_groups_keeps_one_link_each(client, manager):
    m = await menu(client)
    burger = item(m, "Beef burger")
    groups = burger["modifier_group_ids"]
    reordered = [groups[1], groups[0]]
    response = await client.patch(
        f"/api/menu/items/{burger['id']}", headers=manager, json={"modifier_group_ids": reordered}
    )
    assert response.status_code == 200
    assert item(await menu(client), "Beef burger")["modifier_group_ids"] == reordered
