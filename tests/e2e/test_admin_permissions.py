"""The manager's page shows what the signed-in role may do, as `/api/me` lists it: every section
and the printers' addresses and buttons for a manager, and an owner's row only to an owner."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import MANAGER, OWNER, sign_in

pytestmark = pytest.mark.e2e
SECTIONS = [
    "Menu",
    "Orders",
    "Tables",
    "Staff",
    "Devices",
    "Settings",
    "Kitchen",
    "Printers",
    "Sync",
    "Audit",
]


def test_a_manager_sees_every_section_and_where_the_printers_are(page: Page):
    sign_in(page, MANAGER)
    expect(page.locator(".sidenav .nav-link")).to_have_text(SECTIONS)
    page.get_by_role("link", name="Printers", exact=True).click()
    kitchen = page.locator('.printer-card[data-printer="Kitchen pass"]')
    expect(kitchen.locator(".printer-transport")).to_have_text("Network · 127.0.0.1:9100")
    expect(kitchen.get_by_role("button", name="Edit")).to_be_visible()
    expect(kitchen.get_by_role("button", name="Test print")).to_be_visible()
    expect(page.get_by_role("button", name="+ Add printer")).to_be_visible()
    expect(page.get_by_role("button", name="Open cash drawer")).to_be_visible()
    expect(page.get_by_role("heading", name="Find printers")).to_be_visible()


@pytest.mark.parametrize(("name", "touches_owner"), [(MANAGER, False), (OWNER, True)])
def test_only_an_owner_may_touch_an_owner(page: Page, name: str, touches_owner: bool):
    sign_in(page, name)
    page.get_by_role("link", name="Staff", exact=True).click()
    owner_row = page.locator(f'tr[data-staff="{OWNER}"]')
    waiter_row = page.locator('tr[data-staff="Walter Costa"]')
    for button in ("Edit", "Reset PIN"):
        expect(waiter_row.get_by_role("button", name=button)).to_be_enabled()
        expect(owner_row.get_by_role("button", name=button)).to_be_enabled(enabled=touches_owner)
    page.get_by_role("button", name="+ Add staff").click()
    roles = page.locator('dialog.modal select[name="role"] option')
    expect(roles.filter(has_text="Owner")).to_have_count(1 if touches_owner else 0)
