"""The manager's audit page in a real browser against a real edge: rows a manager reads at a
glance, in the store's time zone (not the browser's, which is Europe/Lisbon here), with From/To
meaning the store's days."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    MANAGER,
    PINS,
    LiveEdge,
    forget_history,
    sign_in,
    unplugged_printer,
)

pytestmark = pytest.mark.e2e

BROWSER_ZONE = ZoneInfo("Europe/Lisbon")  # the browser context's, in conftest
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def item_id(http: httpx.Client, name: str) -> str:
    menu = http.get("/api/menu/all").json()
    return next(i["id"] for c in menu["categories"] for i in c["items"] if i["name"] == name)


def table_id(http: httpx.Client, name: str) -> str:
    floor = http.get("/api/tables").json()
    return next(t["id"] for a in floor for t in a["tables"] if t["name"] == name)


def staff_id(http: httpx.Client, name: str) -> str:
    return next(m["id"] for m in http.get("/api/staff/roster").json() if m["name"] == name)


def show(page: Page, what: str | None = None, start: str = "", end: str = "") -> None:
    """Choose filters and press Show; waits for the answer to be drawn."""
    if what is not None:
        page.get_by_label("What").select_option(label=what)
    page.get_by_label("From", exact=True).fill(start)
    page.get_by_label("To (inclusive)").fill(end)
    with page.expect_response(re.compile(r"/api/audit\?")):
        page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("button", name="Show")).to_be_enabled()


def audit_row(page: Page, text: str):
    return page.locator("tr.audit-row", has_text=text)


def wall_clock(iso: str, zone: ZoneInfo) -> str:
    """The time of day every admin page shows (ui/lib/time.js `timeIn`), as an en-US browser
    writes it: 5:31 AM."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(zone)
    return f"{moment.hour % 12 or 12}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def test_rows_read_like_a_managers_log_in_the_stores_time(page: Page, live_edge: LiveEdge):
    new_york = ZoneInfo("America/New_York")
    with live_edge.client() as owner:
        ok(owner.patch("/api/store", json={"timezone": "America/New_York"}))
        bar = unplugged_printer(owner, "Bar tickets")
        marco = staff_id(owner, MANAGER)
        wine, burrata, nata = (
            item_id(owner, name) for name in ("House red wine", "Burrata", "Pastel de nata")
        )
        cola = item_id(owner, "Cola")
        five, four = table_id(owner, "5"), table_id(owner, "4")
        ok(owner.patch(f"/api/tables/{four}", json={"enabled": False}))
        ok(owner.post("/api/tables/rotate-qr"))
    with live_edge.client("Kim Oliveira") as kitchen:
        ok(kitchen.put(f"/api/menu/items/{cola}/availability", json={"available": False}))
    with live_edge.client("Walter Costa") as waiter:
        order = ok(
            waiter.post(
                "/api/orders",
                json={
                    "kind": "table",
                    "table_id": five,
                    "covers": 2,
                    "send": True,
                    "lines": [
                        {"item_id": wine, "quantity": 2},
                        {"item_id": burrata},
                        {"item_id": nata, "quantity": 2},
                    ],
                },
            ),
            201,
        )
        wine_line = order["lines"][0]["id"]
        ok(
            waiter.post(
                f"/api/order-lines/{wine_line}/void",
                json={
                    "reason": "guest changed mind",
                    "approval": {"staff_id": marco, "pin": PINS[MANAGER]},
                },
            )
        )
    with live_edge.client(MANAGER) as manager:
        ok(manager.post("/api/shifts", json={"float": 0}), 201)  # the no-sale needs a shift
        ok(manager.post("/api/drawer/open", json={"reason": "change for the float"}), 201)
    number, total = order["number"], order["total"]

    sign_in(page)
    page.get_by_role("link", name="Audit").click()
    expect(page.locator(".audit-zone")).to_contain_text("America/New York")
    # The default hides printing, but not the cash drawer.
    expect(page.get_by_label("What")).to_have_value("~printing")
    expect(audit_row(page, "Cola 86'd")).to_contain_text("Kim Oliveira")
    expect(audit_row(page, "Table 4 disabled")).to_contain_text("Olivia Santos")
    expect(audit_row(page, "QR codes replaced")).to_be_visible()
    created = audit_row(page, f"Order #{number} created (3 lines, €{total / 100:.2f})")
    expect(created).to_contain_text("Table 5 · 2 guests · sent to the kitchen")
    expect(created).to_contain_text("2 × House red wine, 1 × Burrata, 2 × Pastel de nata")
    expect(created).to_contain_text("Walter Costa")
    void = audit_row(page, "Line voided: 2 × House red wine")
    expect(void).to_contain_text(f"order #{number} · Table 5")
    expect(void).to_contain_text("guest changed mind")
    expect(void).to_contain_text("In the report of")  # the day its void counts on
    expect(void.locator(".audit-who")).to_have_text("Walter Costa")
    expect(void.locator(".approver")).to_have_text(f"approved by {MANAGER}")
    drawer = audit_row(page, "Cash drawer opened (no sale)")
    expect(drawer).to_contain_text("change for the float")
    expect(drawer).to_contain_text(MANAGER)
    expect(page.locator("tr.audit-row[data-entity=printers]")).to_have_count(0)
    expect(page.locator("tr.audit-row[data-entity=printer_status]")).to_have_count(0)
    expect(page.locator(".audit-count")).to_contain_text("Printing is hidden")

    # Times: the store's clock (New York), not the browser's (Lisbon), a day heading per day.
    first = page.locator("tr.audit-row time").first
    at = first.get_attribute("datetime")
    assert at is not None
    expect(first).to_have_text(wall_clock(at, new_york))
    assert wall_clock(at, new_york) != wall_clock(at, BROWSER_ZONE)
    expect(page.locator(".audit-day").first).to_have_attribute(
        "data-day", datetime.now(new_york).date().isoformat()
    )
    expect(page.locator(".audit-day-head").first).to_contain_text("Today")
    assert_nothing_raw(page)

    # Printing: what the worker did, in words, with the printer's name.
    show(page, "Printing (printers, status, jobs)")
    expect(audit_row(page, "Test page queued on Bar tickets")).to_contain_text("Olivia Santos")
    failed = audit_row(page, "Test page · Bar tickets").filter(
        has_text=re.compile(r"Print failed \(attempt 1\)")
    )
    expect(failed).to_contain_text("Printer worker")
    expect(failed).to_contain_text("Cannot reach the printer")
    retry_at = failed.locator(".audit-title").inner_text()
    assert re.search(r"retrying at \d{1,2}:\d{2} [AP]M — printer offline", retry_at)
    expect(audit_row(page, "Printer Bar tickets went offline").first).to_contain_text(
        "Printer worker"
    )
    expect(audit_row(page, "Kitchen ticket queued on Kitchen pass").first).to_contain_text(
        f"order #{number} · Table 5"
    )
    expect(page.locator("tr.audit-row[data-entity=menu_items]")).to_have_count(0)
    assert bar not in page.locator(".audit-list").inner_text()
    assert_nothing_raw(page)


def assert_nothing_raw(page: Page) -> None:
    """No ids, digests, blobs, JSON or Python errors on the page: a manager reads words."""
    text = page.locator(".audit-list").inner_text()
    for raw in ("sha256", "payload", "document", "{", "Errno", "NetworkTransport", "_"):
        assert raw not in text, f"{raw!r} is on the audit page:\n{text}"
    assert not UUID.search(text), text
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", text), text


def far_away_zone(now: datetime) -> ZoneInfo:
    """A zone whose date today is not the browser's, well away from its midnight, so filtering
    by the browser's days would pick the wrong events."""
    browser_day = now.astimezone(BROWSER_ZONE).date()
    best, margin = None, timedelta(0)
    for name in (
        "Pacific/Kiritimati",
        "Pacific/Auckland",
        "Asia/Tokyo",
        "America/Los_Angeles",
        "Pacific/Honolulu",
        "Pacific/Pago_Pago",
    ):
        zone = ZoneInfo(name)
        local = now.astimezone(zone)
        if local.date() == browser_day:
            continue
        midnight = datetime.combine(local.date(), datetime.min.time(), zone)
        room = min(local - midnight, midnight + timedelta(days=1) - local)
        if room > margin:
            best, margin = zone, room
    if best is None or margin < timedelta(minutes=5):
        pytest.skip("every far-away zone is at midnight right now")
    return best


def test_from_and_to_are_the_stores_days(page: Page, live_edge: LiveEdge):
    zone = far_away_zone(datetime.now(UTC))
    with live_edge.client() as owner:
        ok(owner.patch("/api/store", json={"timezone": zone.key}))
        ok(owner.patch(f"/api/tables/{table_id(owner, '7')}", json={"enabled": False}))
    store_day = datetime.now(zone).date()
    browser_day = datetime.now(BROWSER_ZONE).date()
    assert store_day != browser_day

    sign_in(page)
    page.goto("/admin/#/audit")
    expect(audit_row(page, "Table 7 disabled")).to_be_visible()

    # The store's today: the event is there, under a heading for that day.
    show(page, "Tables", store_day.isoformat(), store_day.isoformat())
    expect(audit_row(page, "Table 7 disabled")).to_be_visible()
    expect(page.locator(".audit-day")).to_have_attribute("data-day", store_day.isoformat())
    # The browser's today is another day at the store: nothing from just now.
    show(page, "Tables", browser_day.isoformat(), browser_day.isoformat())
    expect(audit_row(page, "Table 7 disabled")).to_have_count(0)
    # To is inclusive, From is where the day starts.
    show(page, "Tables", (store_day - timedelta(days=1)).isoformat(), store_day.isoformat())
    expect(audit_row(page, "Table 7 disabled")).to_be_visible()
    show(page, "Tables", (store_day + timedelta(days=1)).isoformat(), "")
    expect(page.locator(".audit-list")).to_have_text("Nothing matches these filters.")
    show(page, "Tables", "", (store_day - timedelta(days=1)).isoformat())
    expect(audit_row(page, "Table 7 disabled")).to_have_count(0)


def test_what_happens_meanwhile_arrives_on_top_when_the_filters_reach_now(
    page: Page, live_edge: LiveEdge
):
    with live_edge.client() as owner:
        cola, three = item_id(owner, "Cola"), table_id(owner, "3")
        sign_in(page)
        page.goto("/admin/#/audit")
        expect(page.locator(".conn")).to_have_attribute("data-state", "live")
        rows = page.locator("tr.audit-row")
        expect(rows.first).to_have_attribute("data-seq", re.compile(r"\d+"))
        shown = rows.count()
        # A device paired (a code made, the device, the code used), a sign-in on it (the
        # sign-in, the device's last sign-in), then an order: six events.
        with live_edge.client("Walter Costa") as waiter:
            order = ok(
                waiter.post("/api/orders", json={"kind": "counter", "lines": [{"item_id": cola}]}),
                201,
            )
        # On top, under today, without Show or a reload; nothing drawn twice.
        expect(rows.first).to_contain_text(f"Order #{order['number']} created")
        expect(rows.first).to_have_class(re.compile("is-new"))
        expect(rows.nth(1)).to_contain_text("Walter Costa")
        expect(rows.nth(3)).to_contain_text(re.compile(r"“e2e-api( \d+)?” paired"))
        expect(rows).to_have_count(shown + 6)
        expect(page.locator(".audit-day").first.locator("h2")).to_contain_text("Today")
        expect(page.locator(".audit-count")).to_contain_text(f"{shown + 6} events shown")

        # Filters that leave an event out leave it out live too.
        show(page, "Tables")
        tables_shown = rows.count()
        ok(owner.patch(f"/api/menu/items/{cola}", json={"price": 333}))
        ok(owner.patch(f"/api/tables/{three}", json={"enabled": False}))
        expect(rows.first).to_contain_text("Table 3 disabled")
        expect(rows).to_have_count(tables_shown + 1)


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Europe/Lisbon", "2026-03-29"),  # clocks go forward at 01:00
        ("Europe/Lisbon", "2026-10-25"),  # and back at 02:00: a 25-hour day
        ("America/New_York", "2026-03-08"),
        ("America/New_York", "2026-11-01"),
        ("America/Santiago", "2026-09-06"),  # midnight is skipped: the day starts at 01:00
        ("America/Havana", "2026-03-08"),  # the same in Cuba
        ("Asia/Kolkata", "2026-06-15"),  # half-hour offset
        ("Pacific/Chatham", "2026-04-05"),  # 45-minute offset, going back at 03:45
    ],
)
def test_a_store_day_starts_at_its_first_instant_across_clock_changes(
    page: Page, zone: str, day: str
):
    page.goto("/admin/")
    got = page.evaluate(
        """async ([zone, day]) => {
            const { dayStartIn } = await import("/ui/lib/time.js");
            return dayStartIn(day, zone);
        }""",
        [zone, day],
    )
    tz = ZoneInfo(zone)
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC) - timedelta(
        hours=16
    )
    while start.astimezone(tz).date().isoformat() < day:  # offsets are whole quarter hours
        start += timedelta(minutes=15)
    assert datetime.fromisoformat(got.replace("Z", "+00:00")) == start


def test_history_the_box_forgot_is_said_to_be_the_hubs(page: Page, live_edge: LiveEdge):
    """An enrolled box forgets what the hub has after `GALLEY_KEEP_SYNCED_DAYS` (printing and
    sign-ins after `GALLEY_KEEP_LOCAL_DAYS`): a day it forgot reads as such, not as a day when
    nothing happened, and the end of the list says how long the box keeps history."""
    forget_history(live_edge.settings)
    kept = (
        "This box keeps 90 days of history (14 of printing and sign-ins);"
        " the hub's audit has older history."
    )
    sign_in(page)
    page.goto("/admin/#/audit")
    expect(page.locator(".audit-count")).to_contain_text(kept)
    long_ago = (datetime.now(UTC).date() - timedelta(days=120)).isoformat()
    show(page, "Everything", long_ago, long_ago)
    expect(page.locator(".audit-list")).to_have_text(f"Nothing matches these filters. {kept}")
