"""The sync badge and the Sync section in Chromium, on a box enrolled with a real hub: the
badge says it is in step; a conflict the hub won shows with both values, who and when, and
"Apply mine again" makes the store's value stand on the hub too; a refused event is listed."""

from __future__ import annotations

import concurrent.futures
import dataclasses
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from edge.api.app import create_app
from edge.core.events import commit
from edge.setup import enrolment
from edge.setup.provision import write_once
from hub.config import HubSettings
from sync.ids import uuid7
from tests.conftest import open_conflict
from tests.e2e.conftest import SCREENSHOTS, LiveEdge, browser_page, sign_in
from tests.e2e.test_guest import waiter_signs_in
from tests.e2e.test_kds import open_screen
from tests.e2e.test_pos import CASHIER, pos_sign_in
from tests.integration.hubs import ServedHub, served_hub
from tests.live import serve

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Iterator[ServedHub]:
    path = tmp_path_factory.mktemp("hub") / "hub.db"
    with served_hub(HubSettings(database_url=f"sqlite:///{path}")) as served:
        yield served


@pytest.fixture
def store(hub):
    return hub.store("Café Azul")


@pytest.fixture
def live_edge(settings, hub, store) -> Iterator[LiveEdge]:
    """The demo box enrolled with the hub, syncing every second."""
    settings = dataclasses.replace(settings, sync_seconds=1)
    code = hub.code(store["id"])
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright holds this thread's loop
        outcome = pool.submit(enrolment.enrol_now, settings, hub.url, code).result()
    assert outcome.status == enrolment.ENROLLED, outcome.message
    with serve(create_app(settings)) as url:
        yield LiveEdge(url, settings)


def _refused_staff(conn) -> None:
    """A staff member recorded before secrets were masked where shown: "***" as the PIN's
    hash, which the box does not send; the hub refuses the member without one."""
    values = {"name": "Old Timer", "role": "waiter", "pin_hash": "***", "active": True}
    commit(conn, "system", "staff", uuid7(), "create", values)


def _item(live_edge: LiveEdge, name: str) -> str:
    with live_edge.client() as http:
        menu = http.get("/api/menu/all").json()
    return next(i["id"] for c in menu["categories"] for i in c["items"] if i["name"] == name)


def test_the_badge_and_the_conflict_inbox(browser, live_edge: LiveEdge, hub, store):
    SCREENSHOTS.mkdir(exist_ok=True)
    burrata = _item(live_edge, "Burrata")
    database = live_edge.settings.database
    write_once(database, _refused_staff)  # pushed once the box writes again (pairing the page)
    with browser_page(browser, live_edge) as page:
        sign_in(page)
        badge = page.locator(".topbar .sync-badge")
        expect(badge).to_have_text("Synced", timeout=15000)
        # A finger's 44 px around the small pill: 8 px above and below it still open Sync.
        assert badge.evaluate(
            """(el) => { const r = el.getBoundingClientRect(); const x = r.left + r.width / 2;
              const hit = (y) => el.contains(document.elementFromPoint(x, y));
              return hit(r.top - 8) && hit(r.bottom + 8); }"""
        ), "the sync badge is too small a target"
        open_conflict(database, burrata)
        page.get_by_role("link", name="Sync").first.click()
        expect(page.get_by_role("heading", name="Conflicts")).to_be_visible()
        item = page.locator("article[data-conflict]")
        expect(item).to_have_count(1)
        expect(item).to_contain_text("Menu item “Burrata”")
        expect(item.locator(".sync-mine .sync-value")).to_have_text("€19.00")
        expect(item.locator(".sync-hub .sync-value")).to_have_text("€20.00")
        expect(item.locator(".sync-hub")).to_contain_text("owner@example.com")
        refused = page.locator("article[data-rejection]")
        expect(refused).to_contain_text("Staff member: added", timeout=15000)
        expect(refused).to_contain_text("needs pin_hash")
        expect(badge).to_have_text("1 conflict", timeout=20000)  # its next poll (15 s)
        page.screenshot(path=SCREENSHOTS / "sync-desktop.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=SCREENSHOTS / "sync-phone.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 860})

        item.get_by_role("button", name="Apply mine again").click()
        page.locator("dialog.modal").get_by_role("button", name="Apply mine again").click()
        expect(page.locator("article[data-conflict]")).to_have_count(0)
        expect(page.get_by_text("No conflicts")).to_be_visible()
        expect(badge).to_have_text("Synced", timeout=15000)
        # The store's price is an edit of its own now, which the hub takes on the next sync.
        row = f"/api/stores/{store['id']}/rows/menu_items/{burrata}"
        for _ in range(100):
            if hub.get(row)["fields"]["price"] == 1900:
                break
            page.wait_for_timeout(100)  # the box syncs every second: wait for its next round
        assert hub.get(row)["fields"]["price"] == 1900


def test_every_staff_page_shows_the_badge(browser, live_edge: LiveEdge):
    """The till, the kitchen screen and the waiter's handheld say how the box stands with the
    hub, as the admin does."""
    with browser_page(browser, live_edge) as page:
        pos_sign_in(page, CASHIER)
        expect(page.locator(".pos-top .sync-badge")).to_have_text("Synced", timeout=15000)
        open_screen(page)
        expect(page.locator(".kds-top .sync-badge")).to_have_text("Synced", timeout=15000)
        waiter_signs_in(page)
        expect(page.locator(".w-top .sync-badge")).to_have_text("Synced", timeout=15000)


def test_a_revoked_box_tells_the_manager_what_to_do(browser, live_edge: LiveEdge, hub, store):
    """The hub's own words ("403 revoked: ...") are for the technician, one tap away; the
    manager reads what it means and what to do."""
    devices = f"/api/stores/{store['id']}/devices"
    (device,) = hub.get(devices)["devices"]
    revoked = hub.http.post(f"{devices}/{device['key_id']}/revoke", headers=hub.headers)
    assert revoked.status_code == 200, revoked.text
    with browser_page(browser, live_edge, viewport={"width": 390, "height": 844}) as page:
        sign_in(page)
        expect(page.locator(".topbar .sync-badge")).to_contain_text("Sync refused", timeout=15000)
        page.get_by_role("link", name="Sync").first.click()
        problem = page.locator(".sync-problem")
        expect(problem).to_contain_text("enrol the box again with a new code from the hub")
        expect(problem).to_contain_text("The store works as ever")
        detail = problem.locator("details")
        expect(detail.locator("code")).not_to_be_visible()
        detail.locator("summary").click()
        expect(detail.locator("code")).to_contain_text("revoked")
        page.screenshot(path=SCREENSHOTS / "sync-revoked-phone.png", full_page=True)
