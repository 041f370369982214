"""The manager's page in a real browser against a real edge."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import MANAGER, OWNER, PINS, Console, LiveEdge, sign_in

pytestmark = pytest.mark.e2e


def item_row(page: Page, name: str):
    return page.locator(f'.item-row[data-item-name="{name}"]')


def item_id(live_edge: LiveEdge, name: str) -> str:
    with live_edge.client() as http:
        menu = http.get("/api/menu/all").json()
    return next(i["id"] for c in menu["categories"] for i in c["items"] if i["name"] == name)


def test_sign_in_wrong_pin_then_right(page: Page, console: Console):
    console.allow_refusal(401, "/api/sessions")
    page.goto("/admin/")
    # Only managers and owners are offered on this screen.
    expect(page.locator(".staff-tile")).to_have_count(2)
    page.get_by_role("button", name=MANAGER).click()
    for digit in "9999":
        page.locator(f'.pin-key[data-digit="{digit}"]').click()
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".pin-message")).to_have_text("Wrong PIN. Please try again.")
    page.keyboard.type("2222")
    page.keyboard.press("Enter")
    expect(page.locator(".topbar .who-name")).to_have_text(MANAGER)
    expect(page.get_by_role("heading", name="Menu")).to_be_visible()
    # The sign-in survives a reload (kept per device in localStorage) ...
    page.reload()
    expect(page.locator(".topbar .who-name")).to_have_text(MANAGER)
    # ... and signing out ends it.
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".staff-tile").first).to_be_visible()


def test_lockout_shows_a_countdown(page: Page, console: Console):
    console.allow_refusal(401, "/api/sessions")
    console.allow_refusal(423, "/api/sessions")
    page.goto("/admin/")
    page.get_by_role("button", name=OWNER).click()
    for _ in range(5):
        page.keyboard.type("0000")
        page.keyboard.press("Enter")
        expect(page.locator(".pin-key-ok")).to_be_disabled()  # cleared, or locked
        expect(page.locator(".pin-pad")).not_to_have_class(re.compile("is-busy"))
    message = page.locator(".pin-message")
    expect(message).to_contain_text("Too many wrong PINs on this device.")
    expect(message).to_contain_text(re.compile(r"Try again in 0:[0-3]\d"))
    expect(page.locator('.pin-key[data-digit="1"]')).to_be_disabled()


def test_86_persists_and_other_devices_changes_arrive_live(page: Page, live_edge: LiveEdge):
    sign_in(page)
    page.locator(".cat-btn", has_text="Starters").click()
    burrata = item_row(page, "Burrata")
    expect(burrata).not_to_have_class(re.compile("is-86"))
    burrata.get_by_role("switch").click()
    expect(burrata).to_have_class(re.compile("is-86"))
    expect(burrata.locator(".avail-label")).to_have_text("86'd")

    page.reload()
    expect(page.locator(".conn")).to_have_attribute("data-state", "live")
    expect(item_row(page, "Burrata")).to_have_class(re.compile("is-86"))
    with live_edge.client(OWNER) as http:
        menu = http.get("/api/menu/all").json()
    burrata_api = next(i for c in menu["categories"] for i in c["items"] if i["name"] == "Burrata")
    assert burrata_api["available"] is False

    # Another device (the kitchen) 86's an item and renames one: the page follows, no reload,
    # and redraws only those rows: a tap on a row being replaced would be lost.
    page.evaluate("window.__same_page = true")
    untouched = item_row(page, "Burrata").element_handle()
    prawns = item_id(live_edge, "Garlic prawns")
    soup = item_id(live_edge, "Soup of the day")
    with live_edge.client("Kim Oliveira") as kitchen:
        response = kitchen.put(f"/api/menu/items/{prawns}/availability", json={"available": False})
        assert response.status_code == 200, response.text
    with live_edge.client(OWNER) as owner:
        response = owner.patch(f"/api/menu/items/{soup}", json={"name": "Soup of the week"})
        assert response.status_code == 200, response.text
    expect(item_row(page, "Garlic prawns")).to_have_class(re.compile("is-86"))
    expect(item_row(page, "Soup of the week")).to_be_visible()
    assert page.evaluate("window.__same_page") is True
    assert untouched.evaluate("row => row.isConnected")


def test_half_typed_modifier_survives_a_live_86(page: Page, live_edge: LiveEdge):
    sign_in(page)
    page.get_by_role("button", name="Modifier groups").click()
    card = page.locator(".group-card").first
    card.get_by_label("New modifier name").fill("Extra crispy")
    # The kitchen 86's an item meanwhile: the menu reloads under the manager's fingers.
    with (
        live_edge.client("Kim Oliveira") as kitchen,
        page.expect_response(re.compile(r"/api/menu/all$")),
    ):
        prawns = item_id(live_edge, "Garlic prawns")
        response = kitchen.put(f"/api/menu/items/{prawns}/availability", json={"available": False})
        assert response.status_code == 200, response.text
    page.evaluate("() => new Promise((done) => requestAnimationFrame(done))")
    expect(card.get_by_label("New modifier name")).to_have_value("Extra crispy")
    card.get_by_label("Price change").fill("1.50")
    card.get_by_role("button", name="Add", exact=True).click()
    expect(card.locator(".mod-row", has_text="Extra crispy")).to_contain_text("1.50")
    expect(card.get_by_label("New modifier name")).to_have_value("")


def test_edit_item_price_shows_formatted_price(page: Page, live_edge: LiveEdge, console: Console):
    console.allow_refusal(422, "/api/menu/items/")
    sign_in(page)
    page.locator(".cat-btn", has_text="Mains").click()
    row = item_row(page, "Beef burger")
    expect(row.locator(".item-price")).to_have_text("€14.50")
    row.get_by_role("button", name="Edit").click()
    dialog = page.locator("dialog.modal")
    price = dialog.locator('input[name="price"]')
    expect(price).to_have_value("14.50")
    price.fill("15,999")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog.locator('[data-error-for="price"]')).to_have_text(
        "Enter an amount such as 12.50, with up to 2 decimals."
    )
    expect(price).to_be_focused()
    price.fill("15.9")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_have_count(0)
    expect(row.locator(".item-price")).to_have_text("€15.90")
    with live_edge.client() as http:
        menu = http.get("/api/menu/all").json()
    burger = next(i for c in menu["categories"] for i in c["items"] if i["name"] == "Beef burger")
    assert burger["price"] == 1590


def test_add_table_and_download_qr_sheet(page: Page, live_edge: LiveEdge):
    sign_in(page)
    page.get_by_role("link", name="Tables").click()
    terrace = page.locator('.area-card[data-area="Terrace"]')
    terrace.get_by_placeholder("Table name").fill("T9")
    terrace.get_by_label("Seats").fill("6")
    terrace.get_by_role("button", name="Add table").click()
    tile = terrace.locator('.table-tile[data-table="T9"]')
    expect(tile).to_contain_text("6 seats")

    # Another device takes a table out of use while the next name is being typed: the tile
    # follows, the half-typed name stays, and the other tiles are not replaced.
    terrace.get_by_placeholder("Table name").fill("T1")
    untouched = tile.element_handle()
    with live_edge.client() as other:
        tables = other.get("/api/tables").json()
        first = next(a for a in tables if a["name"] == "Terrace")["tables"][0]
        response = other.patch(f"/api/tables/{first['id']}", json={"enabled": False})
        assert response.status_code == 200, response.text
    expect(terrace.locator(f'.table-tile[data-table="{first["name"]}"]')).to_contain_text("Off")
    expect(terrace.get_by_placeholder("Table name")).to_have_value("T1")
    assert untouched.evaluate("tile => tile.isConnected")
    terrace.get_by_placeholder("Table name").fill("")

    with (
        page.expect_response(re.compile(r"/api/tables/qr-sheet\.svg$")) as response_info,
        page.expect_download() as download_info,
    ):
        page.get_by_role("button", name="Download QR sheet").click()
    response = response_info.value
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    download = download_info.value
    assert download.suggested_filename == "table-qr-codes.svg"
    svg = Path(download.path()).read_text(encoding="utf-8")
    assert svg.lstrip().startswith(("<svg", "<?xml"))
    assert ">Table T9<" in svg


def test_invalid_guest_url_shows_server_message_and_audit_names_actor(page: Page, console: Console):
    console.allow_refusal(422, "/api/store")
    sign_in(page)
    page.get_by_role("link", name="Settings").click()
    url = page.locator('input[name="guest_base_url"]')
    url.fill("http://box.local")
    page.get_by_role("button", name="Save settings").click()
    inline = page.locator('[data-error-for="guest_base_url"]')
    expect(inline).to_contain_text("Guest base URL can't be a .local name")
    expect(url).to_have_attribute("aria-invalid", "true")

    url.fill("http://192.168.1.20:8000")
    page.locator('input[name="name"]').fill("Harbour Kitchen Lisboa")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".save-bar .msg")).to_have_text("Settings saved.")
    expect(page.locator(".brand-store")).to_have_text("Harbour Kitchen Lisboa")

    page.get_by_role("link", name="Audit").click()
    page.get_by_label("What").select_option("store")
    page.get_by_role("button", name="Show").click()
    first = page.locator(".audit-table tbody tr").first
    expect(first).to_contain_text("Marco Ferreira")
    expect(first).to_contain_text("Settings")
    expect(first).to_contain_text("Harbour Kitchen Lisboa")
    expect(first).to_contain_text("http://192.168.1.20:8000")


def test_staff_add_and_deactivate(page: Page, live_edge: LiveEdge, console: Console):
    console.allow_refusal(422, "/api/staff")
    sign_in(page)
    page.get_by_role("link", name="Staff").click()
    page.get_by_role("button", name="+ Add staff").click()
    dialog = page.locator("dialog.modal")
    dialog.get_by_label("Name").fill("Nina Rocha")
    dialog.get_by_label("Role").select_option("cashier")
    dialog.get_by_label("PIN").fill("12")
    dialog.get_by_role("button", name="Add staff").click()
    expect(dialog.locator('[data-error-for="pin"]')).to_have_text("PIN must be 4 to 8 digits.")
    dialog.get_by_label("PIN").fill("6789")
    dialog.get_by_role("button", name="Add staff").click()
    row = page.locator('tr[data-staff="Nina Rocha"]')
    expect(row).to_contain_text("cashier")
    expect(row).to_contain_text("Active")
    me = page.locator(f'tr[data-staff="{MANAGER}"]').element_handle()

    row.get_by_role("button", name="Deactivate").click()
    page.locator("dialog.modal").get_by_role("button", name="Deactivate").click()
    expect(row).to_contain_text("Inactive")
    expect(row.get_by_role("button", name="Reactivate")).to_be_visible()
    assert me.evaluate("row => row.isConnected")  # only the changed row was redrawn
    with live_edge.client() as http:
        roster = http.get("/api/staff/roster").json()
    assert "Nina Rocha" not in {m["name"] for m in roster}


def test_a_locked_out_cashier_is_unlocked_from_the_staff_list(page: Page, live_edge: LiveEdge):
    sign_in(page)
    page.get_by_role("link", name="Staff").click()
    with httpx.Client(base_url=live_edge.url) as http:
        live_edge.pair(http, "POS")
        roster = http.get("/api/staff/roster").json()
        cashier = next(m for m in roster if m["role"] == "cashier")
        for _ in range(5):
            http.post("/api/sessions", json={"staff_id": cashier["id"], "pin": "0000"})
        right = {"staff_id": cashier["id"], "pin": PINS[cashier["name"]]}
        assert http.post("/api/sessions", json=right).status_code == 423
        row = page.locator(f'tr[data-staff="{cashier["name"]}"]')
        expect(row.locator(".lock-badge")).to_contain_text("Locked")  # arrived live
        row.get_by_role("button", name=f"Unlock {cashier['name']}").click()
        expect(row.locator(".lock-badge")).to_have_count(0)
        expect(row.get_by_role("button", name=f"Unlock {cashier['name']}")).to_have_count(0)
        assert http.post("/api/sessions", json=right).status_code == 201


def test_each_section_opens_at_its_top(page: Page):
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the menu is long here
    sign_in(page)
    expect(page.locator(".item-row").first).to_be_visible()
    page.mouse.wheel(0, 1500)
    page.wait_for_function("() => window.scrollY > 400")  # a function: the policy bars eval
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    expect(page.locator(".tax-rates")).to_be_visible()  # a long page: it could stay scrolled
    assert page.evaluate("window.scrollY") == 0
