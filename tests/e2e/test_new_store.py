"""A store just set up (its owner and a 0 % tax rate, nothing else), as a new box starts: each
page says what is missing and where a manager adds it, instead of drawing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from edge.core.config import EdgeSettings
from edge.core.identity import prepare
from edge.domain import staff
from edge.runtime.writer import Writer
from edge.setup import provision
from tests.conftest import BOX
from tests.e2e.conftest import SCREENSHOTS, LiveEdge, browser_page

pytestmark = pytest.mark.e2e

OWNER, PIN = "Ana Owner", "1111"


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[EdgeSettings]:
    """This module's box: a new store instead of the demo one."""
    data = tmp_path / "edge"
    data.mkdir()
    path = data / "edge.db"
    writer = Writer(path, prepare(path).node)
    writer.run_sync(provision.set_up, "Corner Café", OWNER, staff.hash_pin(PIN))
    writer.close()
    BOX["database"] = path
    yield EdgeSettings(data_dir=data)
    BOX.clear()


def signed_in(page: Page, path: str) -> None:
    page.goto(path)
    page.get_by_role("button", name=OWNER).click()
    page.keyboard.type(PIN)
    page.keyboard.press("Enter")
    expect(page.locator(".conn")).to_have_attribute("data-state", "live")


def test_the_till_says_the_menu_and_the_floor_are_empty(browser: Browser, live_edge: LiveEdge):
    with browser_page(browser, live_edge, viewport={"width": 820, "height": 1180}) as till:
        signed_in(till, "/pos/")
        expect(till.locator(".pos-sale .empty")).to_have_text(
            "No items on the menu yet. A manager adds them on the admin page, under Menu."
        )
        till.get_by_label("Search or scan").fill("soup")
        expect(till.locator(".pos-sale .empty")).to_have_text("Nothing on the menu matches “soup”.")
        till.screenshot(path=SCREENSHOTS / "new-store-pos-sale.png")
        till.locator('.pos-tab[data-view="checks"]').click()
        expect(till.locator(".pos-view .empty").last).to_have_text(
            "No tables in use. A manager adds them on the admin page, under Tables."
        )
        till.screenshot(path=SCREENSHOTS / "new-store-pos-checks.png")


def test_the_handhelds_tables_say_there_are_none_yet(browser: Browser, live_edge: LiveEdge):
    with browser_page(browser, live_edge, viewport={"width": 390, "height": 844}) as handheld:
        signed_in(handheld, "/waiter/")
        handheld.get_by_role("tab", name="Tables").click()
        expect(handheld.locator(".empty")).to_have_text(
            "No tables yet. A manager adds them on the admin page, under Tables."
        )
        handheld.screenshot(path=SCREENSHOTS / "new-store-waiter-tables.png")


def test_the_kitchen_section_says_there_are_no_stations_yet(page: Page):
    signed_in(page, "/admin/")
    page.goto("/admin/#/kitchen")
    expect(page.locator(".card", has_text="Stations").locator(".empty")).to_have_text(
        "No stations yet. Add one for each kitchen screen: the kitchen, the bar, the pastry."
    )
    page.screenshot(path=SCREENSHOTS / "new-store-admin-kitchen.png")
