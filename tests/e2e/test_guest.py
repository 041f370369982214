"""The guest's phone page and the waiter handheld in a real Chromium: two phones at one table
build a shared cart, one sends, the waiter edits and confirms, both phones show the order; the
same in direct mode; a phone's dropped websocket resumes without missing an update."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import SCREENSHOTS, Console, LiveEdge, browser_page
from tests.edge.guest_helpers import ALWAYS, qr_token_in

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def open_store(live_edge: LiveEdge, **settings) -> None:
    with live_edge.client() as http:
        changed = http.patch("/api/store", json={"opening_hours": ALWAYS, **settings})
        assert changed.status_code == 200, changed.text


def guest_url(live_edge: LiveEdge, table: str = "3") -> str:
    return f"/t/{qr_token_in(live_edge.settings.database, table)}"


def add(page: Page, dish: str, *, name: str | None = None, choices: tuple[str, ...] = ()) -> None:
    page.get_by_role("button", name=f"Add {dish}").click()
    dialog = page.get_by_role("dialog")
    if name:
        dialog.get_by_label("Your name").fill(name)
    for choice in choices:
        dialog.get_by_label(choice).check()
    dialog.get_by_role("button", name="Add to order").click()
    expect(dialog).to_be_hidden()


def test_the_guest_page_paints_the_menu_and_builds_a_cart(browser: Browser, live_edge: LiveEdge):
    open_store(live_edge)
    SCREENSHOTS.mkdir(exist_ok=True)
    with browser_page(browser, live_edge, paired=False, **PHONE) as phone:
        phone.goto(guest_url(live_edge))
        expect(phone.get_by_role("heading", name="Table 3")).to_be_visible()
        expect(phone.get_by_role("button", name="Add Burrata")).to_be_visible()
        phone.screenshot(path=SCREENSHOTS / "guest-menu.png")
        add(phone, "Ribeye steak 300g", name="Ana", choices=("Medium rare", "Fries"))
        expect(phone.get_by_role("button", name="Your order (1) · €26.50")).to_be_visible()
        phone.get_by_role("button", name="Your order (1)").click()
        expect(phone.get_by_role("dialog")).to_contain_text("added by Ana")
        phone.screenshot(path=SCREENSHOTS / "guest-cart.png")
