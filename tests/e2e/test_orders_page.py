"""The admin's Orders section against a real edge: an order taken on another device appears
live, opens with its lines, totals, taxes and history, follows changes while it is open, and
the day's list filters by status and day. Screenshots at a phone, a tablet and a laptop."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import MANAGER, PINS, SCREENSHOTS, LiveEdge, forget_history, sign_in

pytestmark = pytest.mark.e2e

SCREENS = {"phone": (390, 844), "tablet": (1024, 768), "laptop": (1280, 860)}


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def menu_ids(http: httpx.Client) -> dict[str, str]:
    """Items and modifiers of the demo menu by name."""
    menu = http.get("/api/menu").json()
    ids = {i["name"]: i["id"] for c in menu["categories"] for i in c["items"]}
    ids |= {m["name"]: m["id"] for g in menu["modifier_groups"] for m in g["modifiers"]}
    return ids


def table_five(http: httpx.Client) -> str:
    floor = http.get("/api/tables").json()
    return next(t["id"] for a in floor for t in a["tables"] if t["name"] == "5")


def take_order(http: httpx.Client) -> dict:
    """Table 5: a burger (2, seat 2, no onion, medium with sweet potato), a cola and a nata,
    sent to the kitchen."""
    ids = menu_ids(http)
    return ok(
        http.post(
            "/api/orders",
            json={
                "kind": "table",
                "table_id": table_five(http),
                "covers": 2,
                "send": True,
                "lines": [
                    {
                        "item_id": ids["Beef burger"],
                        "quantity": 2,
                        "seat": 2,
                        "note": "no onion",
                        "modifier_ids": [ids["Medium"], ids["Sweet potato"]],
                    },
                    {"item_id": ids["Cola"]},
                    {"item_id": ids["Pastel de nata"]},
                ],
            },
        ),
        201,
    )


def test_an_order_appears_live_and_opens_with_lines_totals_and_history(
    page: Page, live_edge: LiveEdge
):
    sign_in(page)
    page.get_by_role("link", name="Orders").click()
    expect(page.locator(".orders-day")).to_contain_text("Today")
    expect(page.locator(".orders-list-card .empty")).to_have_text("No orders on this day yet.")

    with live_edge.client("Walter Costa") as waiter, live_edge.client(MANAGER) as manager:
        order = take_order(waiter)
        number = order["number"]
        row = page.locator(f'.order-item[data-number="{number}"]')
        # Live, without a reload: number, table, time, who, lines, total, status.
        expect(row).to_contain_text(f"#{number}")
        expect(row).to_contain_text("Table 5")
        expect(row).to_contain_text("Walter Costa · 3 lines")
        expect(row).to_contain_text(f"€{order['total'] / 100:.2f}")
        expect(row.locator(".order-status")).to_have_text("Open")
        expect(row).to_have_class(re.compile("is-new"))

        cola = next(line for line in order["lines"] if line["name"] == "Cola")
        marco = next(m["id"] for m in manager.get("/api/staff").json() if m["name"] == MANAGER)
        ok(
            waiter.post(
                f"/api/order-lines/{cola['id']}/void",
                json={
                    "reason": "guest changed mind",
                    "approval": {"staff_id": marco, "pin": PINS[MANAGER]},
                },
            )
        )
        expect(row).to_contain_text("2 lines")

        row.get_by_role("button").click()
        view = page.locator(f'.order-view[data-order="{order["id"]}"]')
        expect(view.get_by_role("heading", name=f"Order #{number}")).to_be_visible()
        expect(view.locator(".order-view-head")).to_contain_text("Table 5 · 2 guests · opened")
        expect(view.locator(".order-view-head")).to_contain_text("by Walter Costa")
        burger = view.locator(".order-line", has_text="Beef burger")
        expect(burger.locator(".line-qty")).to_have_text("2 ×")
        expect(burger.locator(".line-mods")).to_contain_text("Medium")
        expect(burger.locator(".line-mods")).to_contain_text("Sweet potato +€1.50")
        expect(burger.locator(".line-note")).to_have_text("Note: no onion")
        expect(burger.locator('[data-tag="seat"]')).to_have_text("Seat: 2")
        expect(burger.locator('[data-tag="course"]')).to_have_text("Course: Mains")
        expect(burger.locator(".line-state")).to_have_text("Sent")
        expect(burger.locator(".line-amount")).to_contain_text("€32.00")
        expect(burger.locator(".line-unit")).to_have_text("€16.00 each")
        voided = view.locator('.order-line[data-state="voided"]')
        expect(voided).to_contain_text("Cola")
        expect(voided.locator(".line-state")).to_have_text("Voided")
        expect(voided.locator(".line-void")).to_have_text("Reason: guest changed mind")

        # Totals: the voided cola is not charged; tax per rate, as the edge computed them.
        now = ok(manager.get(f"/api/orders/{order['id']}"))
        totals = view.locator(".order-totals")
        expect(totals.locator(".is-total")).to_have_text(f"Total€{now['total'] / 100:.2f}")
        for tax in now["taxes"]:
            expect(totals.locator(".is-tax", has_text=tax["name"])).to_contain_text(
                f"€{tax['tax'] / 100:.2f}"
            )
        expect(totals).to_contain_text(f"Subtotal (before tax)€{now['subtotal'] / 100:.2f}")

        # History, worded as the audit words it, oldest first.
        history = view.locator(".history-entry")
        expect(history.first).to_contain_text(f"Order #{number} created (3 lines")
        expect(history.first).to_contain_text("Walter Costa")
        void = view.locator(".history-entry", has_text="Line voided: 1 × Cola")
        expect(void).to_contain_text("guest changed mind")
        expect(void.locator(".approver")).to_contain_text(f"approved by {MANAGER}")
        assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", view.inner_text())

        # A change while it is open shows in it, live; so does the list's count.
        ok(
            waiter.post(
                f"/api/orders/{order['id']}/lines",
                json={
                    "lines": [{"item_id": menu_ids(waiter)["Espresso"], "note": "after the nata"}]
                },
            ),
            201,
        )
        espresso = view.locator(".order-line", has_text="Espresso")
        expect(espresso.locator(".line-state")).to_have_text("Not sent yet")
        expect(view.locator(".history-entry").last).to_contain_text(
            f"1 line added to order #{number}"
        )
        expect(row).to_contain_text("3 lines")

    # By status and by day.
    page.locator(".orders-status").get_by_role("button", name="Closed").click()
    expect(page.locator(".orders-list-card .empty")).to_have_text("No closed orders on this day.")
    page.locator(".orders-status").get_by_role("button", name="Open").click()
    expect(row).to_be_visible()
    page.get_by_role("button", name="The day before").click()
    expect(page.locator(".orders-day")).to_contain_text("Yesterday")
    expect(page.locator(".order-item")).to_have_count(0)
    page.get_by_role("button", name="Today").click()
    expect(row).to_be_visible()
    expect(page.get_by_role("button", name="The day after")).to_be_disabled()


def test_an_order_whose_history_the_box_forgot_says_how_long_it_keeps_history(
    page: Page, live_edge: LiveEdge
):
    """A box enrolled with a hub forgets an order's events `keep_synced_days` after they were
    written once the hub has them: the order's history says so, not "Nothing yet."."""
    with live_edge.client("Walter Costa") as waiter:
        order = take_order(waiter)
    forget_history(live_edge.settings)
    sign_in(page)
    page.get_by_role("link", name="Orders").click()
    page.locator(f'.order-item[data-number="{order["number"]}"]').get_by_role("button").click()
    history = page.locator(f'.order-view[data-order="{order["id"]}"] .order-history')
    expect(history).to_contain_text(
        "This box keeps an order's history for 90 days: this order's began earlier."
        " The hub's audit has all of it."
    )
    expect(history).not_to_contain_text("Nothing yet.")


def test_the_orders_section_at_a_phone_a_tablet_and_a_laptop(page: Page, live_edge: LiveEdge):
    SCREENSHOTS.mkdir(exist_ok=True)
    with live_edge.client("Walter Costa") as waiter:
        ids = menu_ids(waiter)
        latte = {"item_id": ids["Latte"], "modifier_ids": [ids["Oat milk"], ids["Large"]]}
        counter = {"kind": "counter", "lines": [latte, {"item_id": ids["Espresso"], "quantity": 2}]}
        ok(waiter.post("/api/orders", json=counter), 201)
        order = take_order(waiter)
    sign_in(page)
    for label, (width, height) in SCREENS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/admin/#/orders")
        row = page.locator(f'.order-item[data-number="{order["number"]}"]')
        expect(row).to_be_visible()
        page.screenshot(path=SCREENSHOTS / f"{label}-orders.png", full_page=True)
        row.get_by_role("button").click()
        view = page.locator(".order-view .history-entry").first
        expect(view).to_be_visible()
        page.screenshot(path=SCREENSHOTS / f"{label}-orders-open.png", full_page=True)
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
        if width < 1100:  # the order lies over the list; back goes to it
            expect(page.locator(".orders-list-card")).to_be_hidden()
            page.get_by_role("button", name="← All orders").click()
            expect(row).to_be_visible()
        else:  # beside it
            expect(row).to_be_visible()
