"""Every section at a phone, a counter tablet and a wall screen: no sideways scrolling, and a
screenshot of each in /screenshots (gitignored) for a person to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import MANAGER, SCREENSHOTS, Console, LiveEdge, sign_in, unplugged_printer

pytestmark = pytest.mark.e2e

VIEWPORTS = {"phone": (360, 740), "tablet": (1024, 768), "wall": (1920, 1080)}
SECTIONS = {
    "menu": ".item-row",
    "orders": ".order-item",
    "tables": ".table-tile",
    "staff": "tr[data-staff]",
    "devices": "tr[data-device]",
    "settings": ".hours-row",
    "printers": ".printer-card",
    "audit": ".audit-table tr[data-seq]",
}


def fits_width(page: Page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")


def test_sections_fit_every_screen(page: Page, live_edge: LiveEdge, console: Console):
    # Signing out by clearing the storage leaves the open page's next call unsigned.
    console.allow_refusal(401, "/api/")
    SCREENSHOTS.mkdir(exist_ok=True)
    with live_edge.client() as http:
        unplugged_printer(http)
        menu = http.get("/api/menu").json()
        items = {i["name"]: i["id"] for c in menu["categories"] for i in c["items"]}
        lines = [{"item_id": items["Burrata"], "seat": 1}, {"item_id": items["Pastel de nata"]}]
        order = http.post("/api/orders", json={"kind": "counter", "lines": lines, "send": True})
        assert order.status_code == 201, order.text
    for label, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/admin/")
        page.evaluate("localStorage.clear()")
        page.reload()
        page.get_by_role("button", name=MANAGER).click()
        expect(page.locator(".pin-keys")).to_be_visible()
        page.keyboard.type("12")
        page.screenshot(path=SCREENSHOTS / f"{label}-signin.png")
        assert fits_width(page), f"sign-in scrolls sideways at {label}"
        page.keyboard.press("Backspace")
        page.keyboard.press("Backspace")
        sign_in(page) if width >= 600 else _sign_in_small(page)
        for section, ready in SECTIONS.items():
            page.goto(f"/admin/#/{section}")
            expect(page.locator(ready).first).to_be_visible()
            expect(page.locator(".conn")).to_have_attribute("data-state", "live")
            page.screenshot(path=SCREENSHOTS / f"{label}-{section}.png")
            if section == "menu":
                page.get_by_role("button", name="Modifier groups").click()
                expect(page.locator(".group-card").first).to_be_visible()
                page.screenshot(path=SCREENSHOTS / f"{label}-menu-groups.png")
                assert fits_width(page), f"modifier groups scroll sideways at {label}"
                page.get_by_role("button", name="Items", exact=True).click()
            if section == "orders":
                page.locator(".order-row").first.click()
                expect(page.locator(".order-view .history-entry").first).to_be_visible()
                page.screenshot(path=SCREENSHOTS / f"{label}-orders-open.png", full_page=True)
                assert fits_width(page), f"an open order scrolls sideways at {label}"
            if section == "settings":
                page.screenshot(path=SCREENSHOTS / f"{label}-settings-full.png", full_page=True)
            if section == "printers":
                expect(page.locator(".printer-alert")).to_contain_text("Bar tickets")
                expect(page.locator(".jobs-table tbody tr").first).to_be_visible()
                page.screenshot(path=SCREENSHOTS / f"{label}-printers-full.png", full_page=True)
                page.get_by_role("button", name="+ Add printer").click()
                expect(page.locator("dialog.modal")).to_be_visible()
                page.screenshot(path=SCREENSHOTS / f"{label}-printers-add.png")
                assert fits_width(page), f"the add printer dialog scrolls sideways at {label}"
                page.keyboard.press("Escape")
                page.locator(".jobs-table tbody tr").first.get_by_role(
                    "button", name="Preview"
                ).click()
                image = page.locator("dialog.preview-modal img.preview-image")
                expect(image).to_be_visible()
                assert image.evaluate("img => img.naturalWidth") > 0
                page.screenshot(path=SCREENSHOTS / f"{label}-printers-preview.png")
                assert fits_width(page), f"the print preview scrolls sideways at {label}"
                page.keyboard.press("Escape")
            assert fits_width(page), f"{section} scrolls sideways at {label}"
        page.goto("/admin/#/menu")
        page.locator(".item-row").first.get_by_role("button", name="Edit").click()
        expect(page.locator("dialog.modal")).to_be_visible()
        page.screenshot(path=SCREENSHOTS / f"{label}-menu-edit.png")
        page.keyboard.press("Escape")


def _sign_in_small(page: Page) -> None:
    """On a phone the name in the top bar is hidden; wait for the section heading instead."""
    page.goto("/admin/")
    page.get_by_role("button", name=MANAGER).click()
    page.keyboard.type("2222")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Menu")).to_be_visible()


def test_tax_rates_card_at_every_screen(page: Page, live_edge: LiveEdge, console: Console):
    """The Tax card's rate list, an open edit with the edge's message, and the add form."""
    console.allow_refusal(422, "/api/menu/tax-rates/")
    # Signing out by clearing the storage leaves the open page's next call unsigned.
    console.allow_refusal(401, "/api/")
    SCREENSHOTS.mkdir(exist_ok=True)
    screens = {"phone": (390, 844), "tablet": (1024, 768), "wall": (1920, 1080)}
    for label, (width, height) in screens.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/admin/")
        page.evaluate("localStorage.clear()")
        page.reload()
        sign_in(page) if width >= 600 else _sign_in_small(page)
        page.goto("/admin/#/settings")
        card = page.locator("section.card", has=page.locator(".tax-rates"))
        expect(card.locator(".tax-rate-row").first).to_be_visible()
        card.scroll_into_view_if_needed()
        card.screenshot(path=SCREENSHOTS / f"{label}-settings-tax.png")
        assert fits_width(page), f"the tax rates scroll sideways at {label}"
        row = card.locator('.tax-rate-row[data-rate-name="IVA 23%"]')
        row.get_by_role("button", name="Edit").click()
        row.get_by_label("Rate").fill("150")
        row.get_by_role("button", name="Save rate").click()
        expect(row.locator('[data-error-for="rate_bp"]')).not_to_be_empty()
        card.get_by_role("button", name="+ Add tax rate").click()
        card.locator(".tax-rates > .tax-rate-editor").get_by_label("Name").fill("Takeaway 6%")
        card.screenshot(path=SCREENSHOTS / f"{label}-settings-tax-edit.png")
        page.screenshot(path=SCREENSHOTS / f"{label}-settings-tax-screen.png")
        assert fits_width(page), f"the tax rate editor scrolls sideways at {label}"
