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


async def test_manager_puts_categories_and_items_in_order_in_one_write(client, settings, manager):
    full = (await client.get("/api/menu/all", headers=manager)).json()
    categories = [c["id"] for c in full["categories"]]
    reversed_ids = categories[::-1]
    before = count(settings.database, "events")
    answer = await client.put(
        "/api/menu/categories/order", headers=manager, json={"ids": reversed_ids}
    )
    assert answer.status_code == 200 and answer.json() == {"ids": reversed_ids}
    # The guest menu shows the new order; only categories that moved got an event.
    assert [c["id"] for c in (await menu(client))["categories"]] == reversed_ids
    moved = sum(1 for old, new in zip(categories, reversed_ids, strict=True) if old != new)
    assert count(settings.database, "events") == before + moved

    starters = full["categories"][0]
    items = [i["id"] for i in starters["items"]]
    last_first = items[-1:] + items[:-1]
    answer = await client.put(
        f"/api/menu/categories/{starters['id']}/items/order",
        headers=manager,
        json={"ids": last_first},
    )
    assert answer.status_code == 200
    shown = next(c for c in (await menu(client))["categories"] if c["id"] == starters["id"])
    assert [i["id"] for i in shown["items"]] == last_first

    # Arranging the same order again writes nothing.
    before = count(settings.database, "events")
    await client.put("/api/menu/categories/order", headers=manager, json={"ids": reversed_ids})
    assert count(settings.database, "events") == before


async def test_an_order_drawn_from_a_stale_list_is_refused_and_writes_nothing(
    client, settings, manager, waiter
):
    full = (await client.get("/api/menu/all", headers=manager)).json()
    starters = full["categories"][0]
    items = [i["id"] for i in starters["items"]]
    other = full["categories"][1]["items"][0]["id"]
    path = f"/api/menu/categories/{starters['id']}/items/order"
    before = count(settings.database, "events")
    refusals = [
        (path, {"ids": items[1:]}, 409, "stale_list"),  # another device added an item meanwhile
        (path, {"ids": [*items, other]}, 409, "stale_list"),  # an item of another category
        (path, {"ids": [items[0], *items]}, 422, "invalid"),  # one item twice
        (path, {"ids": "all"}, 422, "invalid"),
        (path, {}, 422, "missing_field"),
        (path, {"ids": items, "position": 1}, 422, "unknown_field"),
        ("/api/menu/categories/" + items[0] + "/items/order", {"ids": items}, 404, "not_found"),
    ]
    for url, body, status, code in refusals:
        answer = await client.put(url, headers=manager, json=body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()["error"]["code"] == code
    # Floor staff may 86 an item, not rearrange the menu.
    answer = await client.put(path, headers=waiter, json={"ids": items[::-1]})
    assert answer.status_code == 403
    assert count(settings.database, "events") == before


async def test_modifier_groups_and_their_modifiers_are_arranged(client, manager):
    groups = (await menu(client))["modifier_groups"]
    ids = [g["id"] for g in groups][::-1]
    assert (
        await client.put("/api/menu/modifier-groups/order", headers=manager, json={"ids": ids})
    ).status_code == 200
    after = (await menu(client))["modifier_groups"]
    assert [g["id"] for g in after] == ids
    group = next(g for g in after if len(g["modifiers"]) > 1)
    choices = [m["id"] for m in group["modifiers"]][::-1]
    answer = await client.put(
        f"/api/menu/modifier-groups/{group['id']}/modifiers/order",
        headers=manager,
        json={"ids": choices},
    )
    assert answer.status_code == 200
    again = next(g for g in (await menu(client))["modifier_groups"] if g["id"] == group["id"])
    assert [m["id"] for m in again["modifiers"]] == choices


async def test_an_item_moved_to_another_category_goes_to_its_end(client, manager):
    full = (await client.get("/api/menu/all", headers=manager)).json()
    first, second = full["categories"][0], full["categories"][1]
    moved = first["items"][0]["id"]
    await client.patch(
        f"/api/menu/items/{moved}", headers=manager, json={"category_id": second["id"]}
    )
    shown = next(c for c in (await menu(client))["categories"] if c["id"] == second["id"])
    assert [i["id"] for i in shown["items"]] == [i["id"] for i in second["items"]] + [moved]


async def test_every_problem_of_an_item_is_said_at_once_in_the_forms_words(
    client, settings, manager
):
    m = await menu(client)
    before = count(settings.database, "events")
    body = {
        "category_id": m["categories"][0]["id"],
        "tax_rate_id": m["tax_rates"][0]["id"],
        "name": " ",
        "price": -500,
        "station": "the bar",
    }
    response = await client.post("/api/menu/items", headers=manager, json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["fields"] == {
        "name": "Name can't be empty.",
        "price": "Price can't be negative.",
        "station": "Station must be one short word of letters and digits, such as KITCHEN.",
    }
    assert error["field"] == "name" and error["code"] == "invalid"
    assert error["message"] == " ".join(error["fields"].values())  # in the form's order
    # A missing field is one of the problems, not a refusal that hides the others.
    del body["tax_rate_id"]
    response = await client.post("/api/menu/items", headers=manager, json=body)
    assert response.json()["error"]["fields"]["tax_rate_id"] == "Tax rate is missing."
    assert count(settings.database, "events") == before


async def test_text_with_a_control_character_is_refused(client, settings, manager):
    """A NUL (which the hub's PostgreSQL cannot keep), an escape or a text-direction override
    (which makes a name read otherwise than it is) never gets in."""
    m = await menu(client)
    before = count(settings.database, "events")
    body = {"category_id": m["categories"][0]["id"], "tax_rate_id": m["tax_rates"][0]["id"]}
    for name in ("Soup\u0000", "Soup\u001b[2J", "Soup \u202epuos"):
        response = await client.post(
            "/api/menu/items", headers=manager, json={**body, "name": name, "price": 500}
        )
        assert response.status_code == 422
        assert response.json()["error"]["fields"] == {"name": "Name can't hold control characters."}
    assert count(settings.database, "events") == before


async def test_at_least_above_at_most_is_a_422_on_at_most(client, settings, manager):
    before = count(settings.database, "events")
    made = await client.post(
        "/api/menu/modifier-groups",
        headers=manager,
        json={"name": "Bad", "min_choices": 3, "max_choices": 1},
    )
    assert made.status_code == 422
    assert made.json()["error"]["fields"] == {
        "max_choices": "At most must be 3 or more, as “At least” is 3."
    }
    # A change is checked against what the group already is: "Extras" is 0 to 3.
    extras = next(g for g in (await menu(client))["modifier_groups"] if g["name"] == "Extras")
    path = f"/api/menu/modifier-groups/{extras['id']}"
    changed = await client.patch(path, headers=manager, json={"min_choices": 4})
    assert changed.status_code == 422
    assert changed.json()["error"]["field"] == "max_choices"
    # Both counts bad on their own: each says so, and the rule across them waits for them.
    both = await client.patch(path, headers=manager, json={"min_choices": -1, "max_choices": 0})
    assert both.json()["error"]["fields"] == {
        "min_choices": "At least can't be negative.",
        "max_choices": "At most must be at least 1.",
    }
    assert count(settings.database, "events") == before
    fine = await client.patch(path, headers=manager, json={"min_choices": 2, "max_choices": 2})
    assert fine.status_code == 200


async def test_a_group_never_has_two_choices_of_the_same_name(client, settings, manager):
    groups = (await menu(client))["modifier_groups"]
    milk = next(g for g in groups if g["name"] == "Milk")
    before = count(settings.database, "events")
    twice = await client.post(
        f"/api/menu/modifier-groups/{milk['id']}/modifiers",
        headers=manager,
        json={"name": " oat  MILK ", "price_delta": 60},
    )
    assert twice.status_code == 422
    assert twice.json()["error"]["code"] == "duplicate_name"
    assert twice.json()["error"]["fields"] == {
        "name": "This group already has a choice called oat  MILK."
    }
    soy = next(m for m in milk["modifiers"] if m["name"] == "Soy milk")
    renamed = await client.patch(
        f"/api/menu/modifiers/{soy['id']}", headers=manager, json={"name": "Oat milk"}
    )
    assert renamed.status_code == 422 and renamed.json()["error"]["field"] == "name"
    new_group = await client.post(
        "/api/menu/modifier-groups",
        headers=manager,
        json={"name": "Sauce", "modifiers": [{"name": "Aioli"}, {"name": "aioli"}]},
    )
    assert new_group.status_code == 422
    assert new_group.json()["error"]["fields"] == {"modifiers": "Choices: aioli is there twice."}
    assert count(settings.database, "events") == before
    # The same name in another group, and a choice keeping its own name, are fine.
    other = next(g for g in groups if g["name"] == "Extras")
    elsewhere = await client.post(
        f"/api/menu/modifier-groups/{other['id']}/modifiers",
        headers=manager,
        json={"name": "Oat milk"},
    )
    assert elsewhere.status_code == 201
    kept = await client.patch(
        f"/api/menu/modifiers/{soy['id']}",
        headers=manager,
        json={"name": "Soy milk", "price_delta": 40},
    )
    assert kept.status_code == 200


async def test_a_choice_may_lower_the_price(client, manager):
    """ "No cheese -0.50" exists; the page asks before saving one, the edge takes it."""
    extras = next(g for g in (await menu(client))["modifier_groups"] if g["name"] == "Extras")
    made = await client.post(
        f"/api/menu/modifier-groups/{extras['id']}/modifiers",
        headers=manager,
        json={"name": "No cheese", "price_delta": -50},
    )
    assert made.status_code == 201
    added = next(
        m
        for g in (await menu(client))["modifier_groups"]
        for m in g["modifiers"]
        if m["name"] == "No cheese"
    )
    assert added["price_delta"] == -50


async def test_a_position_is_a_place_in_a_list_not_any_number(client, settings, manager):
    """A position near the largest integer was taken, and the next row's (the last one's + 1)
    became a float: the menu showed `9.223372036854776e+18` where it promises an integer."""
    m = await menu(client)
    category = m["categories"][0]
    before = count(settings.database, "events")
    body = {"category_id": category["id"], "tax_rate_id": m["tax_rates"][0]["id"], "price": 500}
    response = await client.post(
        "/api/menu/items", headers=manager, json={**body, "name": "Far", "position": 2**63 - 1}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"position": "Position can be at most 100000."}
    assert count(settings.database, "events") == before
    far = {**body, "name": "Far", "position": 100_000}
    assert (await client.post("/api/menu/items", headers=manager, json=far)).status_code == 201
    await client.post("/api/menu/items", headers=manager, json={**body, "name": "Next"})
    shown = next(c for c in (await menu(client))["categories"] if c["id"] == category["id"])
    # the next one shares the last place (the description promises at most 100,000)
    assert [i["position"] for i in shown["items"]][-2:] == [100_000, 100_000]


async def test_a_whole_number_written_with_a_decimal_point_is_that_number(
    client, settings, manager
):
    """JSON has one kind of number, and the description's "integer" takes 1250.0 as 1250 (a
    fuzzer's such request was refused as "must be a whole number"); 12.5 is still refused."""
    m = await menu(client)
    first = m["categories"][0]["items"][0]
    changed = await client.patch(
        f"/api/menu/items/{first['id']}", headers=manager, json={"price": 1250.0, "position": 3.0}
    )
    assert changed.status_code == 200, changed.text
    shown = item(await menu(client), first["name"])
    assert shown["price"] == 1250 and type(shown["price"]) is int and shown["position"] == 3
    before = count(settings.database, "events")
    for wrong in ({"price": 12.5}, {"position": 0.5}, {"price": 1e300}):
        refused = await client.patch(f"/api/menu/items/{first['id']}", headers=manager, json=wrong)
        assert refused.status_code == 422, (wrong, refused.text)
    assert count(settings.database, "events") == before
