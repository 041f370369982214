"""Paired devices in Chromium: a tablet paired with a code a manager made on another device,
signed in, then revoked from there; the managers' alert when a PIN is locked everywhere."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    DEVICE_KEY,
    MANAGER,
    OWNER,
    PINS,
    SCREENSHOTS,
    Console,
    LiveEdge,
    browser_page,
    sign_in,
)

pytestmark = pytest.mark.e2e

SCREENS = {"phone": (390, 844), "tablet": (1024, 768), "desktop": (1280, 860)}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True, "is_mobile": True}


def test_pair_a_tablet_sign_in_and_revoke_it_from_another_device(
    browser: Browser, page: Page, live_edge: LiveEdge
):
    SCREENSHOTS.mkdir(exist_ok=True)
    sign_in(page)  # the manager, on a device paired already
    page.get_by_role("link", name="Devices").click()
    expect(page.locator('tr[data-device="Laptop"]')).to_contain_text("(this device)")
    page.get_by_role("button", name="+ Pair a new device").click()
    page.get_by_label("Device name (optional)").fill("Bar tablet")
    page.get_by_role("button", name="Make a code").click()
    shown = page.locator(".pair-big")
    expect(shown).to_have_text(re.compile(r"^\w{4}-\w{4}$"))
    code = shown.inner_text()
    expect(page.locator(".pair-expiry")).to_contain_text("Valid for 9:5")
    page.screenshot(path=SCREENSHOTS / "devices-code-desktop.png")

    revoked = Console()
    revoked.allow_refusal(401, "/api/")  # the tablet's calls after the manager revokes it
    with browser_page(browser, live_edge, revoked, paired=False, **TABLET) as tablet:
        tablet.goto("/admin/")
        expect(tablet.get_by_role("heading", name="Pair this device")).to_be_visible()
        expect(tablet.locator(".staff-tile")).to_have_count(0)  # no roster before pairing
        tablet.get_by_label("Pairing code").fill(code.lower().replace("-", ""))
        expect(tablet.get_by_label("Pairing code")).to_have_value(code)  # tidied as typed
        tablet.get_by_role("button", name="Pair this device").click()
        tablet.get_by_role("button", name=OWNER).click()  # the tiles, now
        for digit in PINS[OWNER]:
            tablet.get_by_role("button", name=digit, exact=True).click()
        tablet.get_by_role("button", name="Sign in").click()
        expect(tablet.locator(".topbar .who-name")).to_have_text(OWNER)
        expect(tablet.locator(".conn")).to_have_attribute("data-state", "live")
        kept = json.loads(tablet.evaluate(f"localStorage.getItem({DEVICE_KEY!r})"))
        assert kept["name"] == "Bar tablet" and kept["credential"]

        # The manager's dialog saw it pair; the list shows it, signed in on.
        expect(page.locator(".pair-status")).to_contain_text("Paired")
        page.get_by_role("button", name="Done").click()
        row = page.locator('tr[data-device="Bar tablet"]')
        expect(row).to_contain_text(f"by {MANAGER}")
        expect(row).not_to_contain_text("Never")
        page.screenshot(path=SCREENSHOTS / "devices-list-desktop.png")

        row.get_by_role("button", name="Revoke").click()
        page.locator("dialog.modal").get_by_role("button", name="Revoke").click()
        expect(row).to_contain_text(f"Revoked by {MANAGER}")

        # The tablet's sign-in ended at once: it says why and asks to be paired again.
        expect(tablet.get_by_role("heading", name="Pair this device")).to_be_visible()
        expect(tablet.locator(".pair-notice")).to_contain_text("This device was unpaired")
        with httpx.Client(base_url=live_edge.url) as http:  # its next call is refused
            refused = http.get("/api/staff/roster", headers={"X-Galley-Device": kept["credential"]})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "device_revoked"
        tablet.screenshot(path=SCREENSHOTS / "devices-revoked-tablet.png")


def test_the_pairing_screen_at_every_screen(browser: Browser, live_edge: LiveEdge):
    SCREENSHOTS.mkdir(exist_ok=True)
    for label, (width, height) in SCREENS.items():
        viewport = {"viewport": {"width": width, "height": height}}
        wrong_code = Console()
        wrong_code.allow_refusal(422, "/api/devices/pair")
        with browser_page(browser, live_edge, wrong_code, paired=False, **viewport) as fresh:
            fresh.goto("/admin/")
            fresh.get_by_label("Pairing code").fill("ZZZZ-ZZZZ")
            fresh.get_by_label("Name this device").fill("Host stand")
            fresh.get_by_role("button", name="Pair this device").click()
            expect(fresh.locator(".pair-form .pin-message")).to_contain_text(
                "Pairing code is not one this box made"
            )
            expect(fresh.get_by_label("Pairing code")).to_have_attribute("aria-invalid", "true")
            fresh.screenshot(path=SCREENSHOTS / f"{label}-pairing.png")
            assert fresh.evaluate("document.scrollingElement.scrollWidth <= innerWidth + 1")


def test_managers_see_a_pin_locked_everywhere_and_unlock_it(page: Page, live_edge: LiveEdge):
    sign_in(page)
    expect(page.locator(".lock-alert")).to_be_hidden()
    cashier = "Carla Mendes"
    for till in range(4):  # someone guessing on four tills
        with httpx.Client(base_url=live_edge.url) as http:
            live_edge.pair(http, f"Till {till}")
            who = next(m for m in http.get("/api/staff/roster").json() if m["name"] == cashier)
            for _ in range(5):
                http.post("/api/sessions", json={"staff_id": who["id"], "pin": "0000"})
    alert = page.locator(".lock-alert")
    expect(alert).to_contain_text(
        f"{cashier}’s PIN is locked after 20 wrong tries on 4 devices"
    )  # arrived live, on the section the manager is on
    for label, (width, height) in SCREENS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=SCREENSHOTS / f"{label}-lock-alert.png")
    page.set_viewport_size({"width": 1280, "height": 860})
    page.get_by_role("link", name="Staff").click()
    expect(page.locator(f'tr[data-staff="{cashier}"] .lock-badge')).to_contain_text(
        "Locked on every device"
    )
    alert.get_by_role("button", name=f"Unlock {cashier}").click()
    expect(alert).to_be_hidden()
    expect(page.locator(f'tr[data-staff="{cashier}"] .lock-badge')).to_have_count(0)


def test_a_tablet_named_as_a_device_in_use_is_told_so_and_pairs_under_another_name(
    browser: Browser, live_edge: LiveEdge
):
    """A device's name is its till and cash drawer: the box refuses a second device of one name,
    and the pairing screen says which name, on the name's field."""
    SCREENSHOTS.mkdir(exist_ok=True)
    with httpx.Client(base_url=live_edge.url) as http:
        live_edge.pair(http, "Bar tablet")
    code = live_edge.pairing("unused")["code"]
    taken = Console()
    taken.allow_refusal(422, "/api/devices/pair")
    with browser_page(browser, live_edge, taken, paired=False, **TABLET) as tablet:
        tablet.goto("/admin/")
        tablet.get_by_label("Pairing code").fill(code)
        name = tablet.get_by_label("Name this device")
        name.fill("bar tablet")
        tablet.get_by_role("button", name="Pair this device").click()
        expect(tablet.locator(".pair-form .pin-message")).to_contain_text(
            "Another device in use is called Bar tablet"
        )
        expect(name).to_have_attribute("aria-invalid", "true")
        expect(name).to_be_focused()
        tablet.screenshot(path=SCREENSHOTS / "devices-name-taken-tablet.png")
        name.fill("Bar tablet 2")
        tablet.get_by_role("button", name="Pair this device").click()
        expect(tablet.get_by_role("button", name=OWNER)).to_be_visible()  # the roster: paired


def test_renaming_a_device_to_a_name_in_use_is_refused_on_the_name_field(
    page: Page, live_edge: LiveEdge, console: Console
):
    console.allow_refusal(422, "/api/devices/")
    with httpx.Client(base_url=live_edge.url) as http:
        live_edge.pair(http, "Bar tablet")
        live_edge.pair(http, "Terrace phone")
    sign_in(page)
    page.get_by_role("link", name="Devices").click()
    page.locator('tr[data-device="Terrace phone"]').get_by_role("button", name="Rename").click()
    dialog = page.locator("dialog.modal")
    name = dialog.get_by_label("Device name")
    name.fill("BAR TABLET")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_contain_text("Another device in use is called Bar tablet")
    expect(name).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=SCREENSHOTS / "devices-rename-taken-desktop.png")
    name.fill("Terrace")
    dialog.get_by_role("button", name="Save").click()
    expect(page.locator('tr[data-device="Terrace"]')).to_be_visible()
