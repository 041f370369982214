"""Putting the menu and the floor in order from the manager's page, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Console, LiveEdge, sign_in

pytestmark = pytest.mark.e2e


def categories(live_edge: LiveEdge) -> list[dict]:
    with live_edge.client() as http:
        return http.get("/api/menu/all").json()["categories"]


def rows(page: Page):
    return page.locator("dialog .arrange-label")


def test_categories_and_items_are_put_in_order(page: Page, live_edge: LiveEdge):
    sign_in(page)
    before = [c["name"] for c in categories(live_edge)]
    page.get_by_role("button", name="Reorder categories").click()
    expect(rows(page)).to_have_text(before)
    # The first row cannot go up, the last cannot go down.
    expect(page.get_by_role("button", name=f"Move {before[0]} up")).to_be_disabled()
    expect(page.get_by_role("button", name=f"Move {before[-1]} down")).to_be_disabled()
    last = before[-1]
    for _ in range(len(before) - 1):
        page.get_by_role("button", name=f"Move {last} up").click()
    # The focus stays on the moved row, so the keyboard can carry on.
    expect(page.get_by_role("button", name=f"Move {last} down")).to_be_focused()
    wanted = [last, *before[:-1]]
    expect(rows(page)).to_have_text(wanted)
    page.get_by_role("button", name="Save order").click()
    expect(page.locator("dialog")).to_have_count(0)
    assert [c["name"] for c in categories(live_edge)] == wanted
    expect(page.locator(".cat-btn[data-category-id] .cat-name")).to_have_text(wanted)

    first = categories(live_edge)[0]
    page.locator(f'.cat-btn[data-category-id="{first["id"]}"]').click()
    items = [i["name"] for i in first["items"]]
    page.locator(".items-panel").get_by_role("button", name="Reorder").click()
    expect(rows(page)).to_have_text(items)
    page.get_by_role("button", name=f"Move {items[0]} down").click()
    page.get_by_role("button", name="Save order").click()
    expect(page.locator("dialog")).to_have_count(0)
    swapped = [items[1], items[0], *items[2:]]
    assert [i["name"] for i in categories(live_edge)[0]["items"]] == swapped
    expect(page.locator(".items-panel .item-row .item-name").first).to_contain_text(items[1])


def test_a_list_changed_by_another_device_is_shown_again_not_saved(
    page: Page, live_edge: LiveEdge, console: Console
):
    console.allow_refusal(409, "/api/menu/categories/")
    sign_in(page)
    first = categories(live_edge)[0]
    page.locator(".items-panel").get_by_role("button", name="Reorder").click()
    expect(rows(page)).to_have_count(len(first["items"]))
    page.get_by_role("button", name=f"Move {first['items'][1]['name']} up").click()
    with live_edge.client() as http:
        rate = http.get("/api/menu/all").json()["tax_rates"][0]["id"]
        http.post(
            "/api/menu/items",
            json={
                "category_id": first["id"],
                "name": "Croquetas",
                "price": 750,
                "tax_rate_id": rate,
            },
        ).raise_for_status()
    page.get_by_role("button", name="Save order").click()
    expect(page.locator("dialog .msg")).to_contain_text("Someone changed this list meanwhile")
    expect(rows(page)).to_have_count(len(first["items"]) + 1)
    expect(rows(page).last).to_have_text("Croquetas")
    # Nothing was saved from the stale list.
    assert [i["name"] for i in categories(live_edge)[0]["items"]] == [
        *(i["name"] for i in first["items"]),
        "Croquetas",
    ]
    page.get_by_role("button", name="Move Croquetas up").click()
    page.get_by_role("button", name="Save order").click()
    expect(page.locator("dialog")).to_have_count(0)
    assert [i["name"] for i in categories(live_edge)[0]["items"]][-2] == "Croquetas"


def test_tables_of_an_area_are_put_in_order(page: Page, live_edge: LiveEdge):
    sign_in(page)
    page.goto("/admin/#/tables")
    area = page.locator('.area-card[data-area="Dining room"]')
    first_tables = area.locator(".table-name")
    expect(first_tables).to_have_count(8)  # drawn (all_text_contents does not wait)
    names = first_tables.all_text_contents()
    area.get_by_role("button", name="Reorder").click()
    page.get_by_role("button", name=f"Move Table {names[1]} up").click()
    page.get_by_role("button", name="Save order").click()
    expect(page.locator("dialog")).to_have_count(0)
    expect(first_tables).to_have_text([names[1], names[0], *names[2:]])
    with live_edge.client() as http:
        floor = http.get("/api/tables").json()
    assert [t["name"] for t in floor[0]["tables"]] == [names[1], names[0], *names[2:]]
