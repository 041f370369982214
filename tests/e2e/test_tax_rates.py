"""The store's tax rates in the Settings page's Tax card, in a real browser against a real edge."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Console, LiveEdge, sign_in

pytestmark = pytest.mark.e2e


def menu(live_edge: LiveEdge) -> dict:
    with live_edge.client() as http:
        return http.get("/api/menu/all").json()


def rates_by_name(live_edge: LiveEdge) -> dict[str, dict]:
    return {rate["name"]: rate for rate in menu(live_edge)["tax_rates"]}


def open_settings(page: Page) -> None:
    sign_in(page)
    page.get_by_role("link", name="Settings").click()
    expect(page.locator(".tax-rate-row").first).to_be_visible()


def rate_row(page: Page, name: str):
    return page.locator(f'.tax-rate-row[data-rate-name="{name}"]')


def add_form(page: Page):
    return page.locator(".tax-rates > .tax-rate-editor")


def expect_settings_clean(page: Page) -> None:
    expect(page.locator(".settings-form")).not_to_have_class(re.compile("is-dirty"))
    expect(page.locator(".save-hint .when-clean")).to_be_visible()
    expect(page.locator(".save-bar .msg")).to_be_empty()


def test_lists_the_demo_rates_with_how_many_items_use_each(page: Page, live_edge: LiveEdge):
    data = menu(live_edge)
    used = Counter(i["tax_rate_id"] for c in data["categories"] for i in c["items"])
    demo = {r["name"]: r for r in data["tax_rates"]}
    assert used[demo["IVA 13%"]["id"]] > 1 and used[demo["IVA 23%"]["id"]] > 1
    open_settings(page)
    rows = page.locator(".tax-rate-row")
    expect(rows).to_have_count(len(data["tax_rates"]))
    for index, rate in enumerate(data["tax_rates"]):
        row = rows.nth(index)
        count = used[rate["id"]]
        expect(row.locator(".tax-rate-name")).to_have_text(rate["name"])
        expect(row.locator(".tax-rate-percent")).to_have_text(f"{rate['rate_bp'] // 100}%")
        expect(row.locator(".tax-rate-used")).to_have_text(
            f"used by {count} item{'' if count == 1 else 's'}" if count else "not used by any item"
        )


def test_add_a_rate(page: Page, live_edge: LiveEdge):
    open_settings(page)
    page.get_by_role("button", name="+ Add tax rate").click()
    form = add_form(page)
    expect(form.get_by_label("Name")).to_be_focused()
    form.get_by_label("Name").fill("Takeaway 6%")
    form.get_by_label("Rate").fill("6")
    form.get_by_label("Rate").press("Enter")  # submits this rate, not the settings form
    row = rate_row(page, "Takeaway 6%")
    expect(row.locator(".tax-rate-percent")).to_have_text("6%")
    expect(row.locator(".tax-rate-used")).to_have_text("not used by any item")
    expect(form).to_be_hidden()
    expect_settings_clean(page)
    assert rates_by_name(live_edge)["Takeaway 6%"]["rate_bp"] == 600


def test_edit_a_rate_with_a_decimal_comma(page: Page, live_edge: LiveEdge):
    open_settings(page)
    row = rate_row(page, "IVA 13%")
    row.get_by_role("button", name="Edit").click()
    expect(row.get_by_label("Rate")).to_have_value("13")
    expect(row.locator(".tax-rate-note")).to_contain_text("Bills already made keep the rate")
    row.get_by_label("Rate").fill("13,5")
    row.get_by_role("button", name="Save rate").click()
    expect(row.locator(".tax-rate-percent")).to_have_text("13.5%")
    expect(row.get_by_role("button", name="Edit")).to_be_focused()
    assert rates_by_name(live_edge)["IVA 13%"]["rate_bp"] == 1350

    # Cents of a percent are kept exactly (0.29 * 100 is 28.999999999999996 in floats).
    row.get_by_role("button", name="Edit").click()
    row.get_by_label("Name").fill("Reduced")
    row.get_by_label("Rate").fill("0.29")
    row.get_by_role("button", name="Save rate").click()
    row = rate_row(page, "Reduced")
    expect(row.locator(".tax-rate-percent")).to_have_text("0.29%")
    assert rates_by_name(live_edge)["Reduced"]["rate_bp"] == 29


def test_a_rate_out_of_range_shows_the_edges_message_and_writes_nothing(
    page: Page, live_edge: LiveEdge, console: Console
):
    console.allow_refusal(422, "/api/menu/tax-rates/")
    before = menu(live_edge)["tax_rates"]
    open_settings(page)
    row = rate_row(page, "IVA 23%")
    row.get_by_role("button", name="Edit").click()
    rate = row.get_by_label("Rate")
    rate.fill("150")
    with page.expect_response(re.compile(r"/api/menu/tax-rates/[\w-]+$")) as answer:
        row.get_by_role("button", name="Save rate").click()
    assert answer.value.status == 422
    assert answer.value.json()["error"]["field"] == "rate_bp"
    expect(row.locator('[data-error-for="rate_bp"]')).to_have_text("Rate must be from 0% to 100%.")
    expect(rate).to_have_attribute("aria-invalid", "true")
    expect(rate).to_have_value("150")  # still open, as typed
    assert menu(live_edge)["tax_rates"] == before

    # Not a number at all: the page says so in its own words, and the name's problem too.
    rate.fill("twelve")
    row.get_by_label("Name").fill(" ")
    row.get_by_role("button", name="Save rate").click()
    expect(row.locator('[data-error-for="rate_bp"]')).to_contain_text("such as 23 or 13.5")
    expect(row.locator('[data-error-for="name"]')).to_have_text("Name can't be empty.")
    expect(row.get_by_label("Name")).to_be_focused()
    # A field's message goes as soon as it is changed.
    rate.fill("24")
    expect(row.locator('[data-error-for="rate_bp"]')).to_be_empty()
    expect(rate).not_to_have_attribute("aria-invalid", "true")
    row.get_by_role("button", name="Save rate").click()
    expect(row.locator('[data-error-for="name"]')).to_have_text("Name can't be empty.")
    expect(row.locator('[data-error-for="rate_bp"]')).to_be_empty()
    # Cancel puts the row back as it was.
    row.get_by_role("button", name="Cancel").click()
    expect(row.locator(".tax-rate-percent")).to_have_text("23%")
    assert menu(live_edge)["tax_rates"] == before
    expect_settings_clean(page)


def test_a_rate_added_elsewhere_arrives_live_and_keeps_a_half_typed_edit(
    page: Page, live_edge: LiveEdge
):
    open_settings(page)
    page.evaluate("window.__same_page = true")
    row = rate_row(page, "IVA 23%")
    row.get_by_role("button", name="Edit").click()
    row.get_by_label("Name").fill("IVA normal")
    row.get_by_label("Rate").fill("22,")
    other = rate_row(page, "IVA 13%").element_handle()
    with live_edge.client() as http:
        response = http.post("/api/menu/tax-rates", json={"name": "Zero rated", "rate_bp": 0})
        assert response.status_code == 201, response.text
    added = rate_row(page, "Zero rated")
    expect(added.locator(".tax-rate-percent")).to_have_text("0%")
    assert page.evaluate("window.__same_page") is True
    expect(row.get_by_label("Name")).to_have_value("IVA normal")
    expect(row.get_by_label("Rate")).to_have_value("22,")
    expect(row.get_by_label("Rate")).to_be_focused()
    assert other.evaluate("row => row.isConnected")

    # The rate being edited changes on another device too: the typing stays, and a note says so.
    rate_id = rates_by_name(live_edge)["IVA 23%"]["id"]
    with live_edge.client() as http:
        response = http.patch(f"/api/menu/tax-rates/{rate_id}", json={"rate_bp": 2400})
        assert response.status_code == 200, response.text
    expect(row.locator(".msg-warn")).to_contain_text("now IVA 23% at 24%")
    expect(row.get_by_label("Rate")).to_have_value("22,")
    row.get_by_label("Rate").fill("22")
    row.get_by_role("button", name="Save rate").click()
    expect(rate_row(page, "IVA normal").locator(".tax-rate-percent")).to_have_text("22%")
    assert rates_by_name(live_edge)["IVA normal"]["rate_bp"] == 2200


def test_typing_a_rate_leaves_the_settings_form_clean(page: Page):
    open_settings(page)
    page.get_by_role("button", name="+ Add tax rate").click()
    add_form(page).get_by_label("Name").fill("Takeaway")
    add_form(page).get_by_label("Rate").fill("6")
    row = rate_row(page, "IVA 13%")
    row.get_by_role("button", name="Edit").click()
    row.get_by_label("Rate").fill("14")
    expect_settings_clean(page)
    add_form(page).get_by_role("button", name="Cancel").click()
    row.get_by_role("button", name="Cancel").click()
    expect_settings_clean(page)
    # The form still notices its own fields.
    page.get_by_label("Store name").fill("Harbour Kitchen Lisboa")
    expect(page.locator(".settings-form")).to_have_class(re.compile("is-dirty"))
