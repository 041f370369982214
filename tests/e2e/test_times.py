"""One way to write a time on every admin page: the Audit and the Printers sections show the
same moment alike, on the store's clock (not the browser's), with the hour cycle of the
device's language (2:25 PM in en-US, 14:25 in pt-PT), never with seconds on one page and
without on the next; and the store's business day, worked out in the browser as the edge does."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from edge.domain.store import business_day
from printers.emulator import run_in_thread
from tests.e2e.conftest import LiveEdge, browser_page, sign_in

pytestmark = pytest.mark.e2e

STORE_ZONE = "America/New_York"  # the browser's is Europe/Lisbon (conftest)
TIME = re.compile(r"(\d{1,2}):(\d{2})(?: ([AP]M))?")


def read_time(text: str) -> tuple[int, int, bool]:
    """(hour 0-23, minute, written with AM/PM) of the one time of day in `text`."""
    found = TIME.findall(text)
    assert len(found) == 1 and ":" not in TIME.sub("", text), f"not one H:MM time in {text!r}"
    hour, minute, half = found[0]
    hour24 = int(hour) % 12 + (12 if half == "PM" else 0) if half else int(hour)
    return hour24, int(minute), bool(half)


def on_store_clock(iso: str) -> tuple[int, int]:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo(STORE_ZONE))
    return moment.hour, moment.minute


@pytest.mark.parametrize(("locale", "twelve_hour"), [("en-US", True), ("pt-PT", False)])
def test_audit_and_printers_write_a_time_alike_on_the_stores_clock(
    browser: Browser, live_edge: LiveEdge, locale: str, twelve_hour: bool
):
    with run_in_thread() as emulator, live_edge.client() as http:
        assert http.patch("/api/store", json={"timezone": STORE_ZONE}).is_success
        kitchen = next(p for p in http.get("/api/printers").json() if p["name"] == "Kitchen pass")
        transport = {"kind": "network", "host": "127.0.0.1", "port": emulator.port}
        assert http.patch(
            f"/api/printers/{kitchen['id']}", json={"transport": transport}
        ).is_success
        job_id = http.post(f"/api/printers/{kitchen['id']}/test").json()["id"]
        emulator.wait_for_jobs(1, timeout=10)

        with browser_page(browser, live_edge, locale=locale) as there:
            sign_in(there)
            there.goto("/admin/#/printers")
            row = there.locator(f'.jobs-table tr[data-job="{job_id}"]')
            expect(row.locator(".job-state")).to_have_text("Printed", timeout=10000)
            job = next(j for j in http.get("/api/print-jobs").json() if j["id"] == job_id)
            queued = read_time(row.locator(".job-time").inner_text())
            printed = read_time(row.locator(".job-when").inner_text())
            assert queued[:2] == on_store_clock(job["created_at"])
            assert printed[:2] == on_store_clock(job["printed_at"])

            there.goto("/admin/#/audit")
            printing = "Printing (printers, status, jobs)"
            there.get_by_label("What").select_option(label=printing)
            there.get_by_role("button", name="Show").click()
            event = there.locator("tr.audit-row", has_text="Printed").first.locator("time")
            expect(event).to_be_visible()
            at = event.get_attribute("datetime")
            assert at is not None
            logged = read_time(event.inner_text())
            assert logged[:2] == on_store_clock(at)

            assert {queued[2], printed[2], logged[2]} == {twelve_hour}


@pytest.mark.parametrize(
    ("zone", "starts", "moment"),
    [
        ("Europe/Lisbon", "04:00", "2026-11-22T03:59:00+00:00"),  # the night of the 21st
        ("Europe/Lisbon", "04:00", "2026-11-22T04:00:00+00:00"),  # the 22nd begins
        ("Europe/Lisbon", "00:00", "2026-03-29T00:30:00+00:00"),  # clocks go forward at 01:00
        ("America/New_York", "05:30", "2026-11-01T09:00:00+00:00"),  # 04:00 local, back at 02:00
        ("Asia/Kolkata", "03:00", "2026-06-14T21:29:00+00:00"),  # 02:59 local, half-hour offset
    ],
)
def test_the_pages_business_day_is_the_edges(page: Page, zone: str, starts: str, moment: str):
    """The Orders section opens on today's business day, worked out in the browser: the same
    day the edge numbers orders by (`edge.domain.store.business_day`)."""
    page.goto("/admin/")
    got = page.evaluate(
        """async ([moment, store]) => {
            const { businessDayIn } = await import("/ui/lib/time.js");
            return businessDayIn(Date.parse(moment), store);
        }""",
        [moment, {"timezone": zone, "business_day_starts": starts}],
    )
    store = {"timezone": zone, "business_day_starts": starts}
    assert got == business_day(store, datetime.fromisoformat(moment))
