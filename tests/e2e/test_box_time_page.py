"""The morning after in Chromium: the box's clock went back (no clock battery, no NTP), the
admin page's badge and Sync section say so with both times, and a manager gives the box the
laptop's time with one button; the console stays clean."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from edge.api.app import create_app
from sync.clock import shift
from tests.e2e.conftest import SCREENSHOTS, LiveEdge, browser_page, sign_in
from tests.e2e.test_pos import CASHIER, pos_sign_in
from tests.live import serve

pytestmark = pytest.mark.e2e
PORT = 19711  # this area's range


@pytest.fixture
def live_edge(settings) -> Iterator[LiveEdge]:
    with serve(create_app(settings), port=PORT) as url:
        yield LiveEdge(url, settings)


def _clock(live_edge: LiveEdge) -> dict:
    with httpx.Client(base_url=live_edge.url, timeout=10) as http:
        return http.get("/healthz").json()["clock"]


def test_a_manager_gives_the_box_this_devices_time(browser, live_edge: LiveEdge):
    SCREENSHOTS.mkdir(exist_ok=True)
    shift(-10 * 3600 * 1000)  # the box booted at the time it saved ten hours ago
    assert _clock(live_edge)["problem"] == "behind"
    tablet = {"viewport": {"width": 820, "height": 1180}, "has_touch": True}
    with browser_page(browser, live_edge, **tablet) as till:  # the cashier's till says it too
        pos_sign_in(till, CASHIER)
        badge = till.locator(".pos-top .sync-badge")
        expect(badge).to_contain_text("Clock wrong")
        assert "this device reads" in (badge.get_attribute("title") or "")
        # beside "No shift open" and the badge, the store's and the cashier's names still read:
        # they cut down to "Harb…" and "C…"
        for name in (".pos-top .brand-store", ".pos-top .who-name"):
            shown = till.locator(name).evaluate(
                "(el) => el.getBoundingClientRect().width"
                " / parseFloat(getComputedStyle(el).fontSize)"
            )
            assert shown >= 5, f"{name} is {shown:.1f} em wide"
        till.screenshot(path=SCREENSHOTS / "box-clock-pos-tablet.png")
    with browser_page(browser, live_edge) as page:
        sign_in(page)
        badge = page.locator(".topbar .sync-badge")
        expect(badge).to_have_attribute("data-state", "clock")
        expect(badge).to_contain_text("Clock wrong")
        badge.click()
        notice = page.locator(".sync-clock")
        expect(notice).to_contain_text("The box’s clock reads")
        expect(notice).to_contain_text("this device reads")
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=SCREENSHOTS / "box-clock-phone.png")
        page.set_viewport_size({"width": 1280, "height": 860})
        page.screenshot(path=SCREENSHOTS / "box-clock-wrong.png")
        notice.get_by_role("button", name="Use this device’s time").click()
        expect(notice).to_contain_text("runs on the time a manager gave it")
        expect(badge).not_to_have_attribute("data-state", "clock")  # at once: the sync feed
        page.screenshot(path=SCREENSHOTS / "box-clock-set.png")
    clock = _clock(live_edge)
    assert (clock["trusted"], clock["set_by_hand"]) == (True, True)
