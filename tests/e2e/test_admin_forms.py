"""The admin page's forms in a real browser against a real edge: every problem at once under its
field, in the words of the form's labels; safe defaults; settings that know their own saves;
toasts that keep clear of the save bar; time zones and currencies picked from the box's lists."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import SCREENSHOTS, Console, LiveEdge, sign_in

pytestmark = pytest.mark.e2e

SCREENS = {"phone": (390, 844), "tablet": (1024, 768), "desktop": (1280, 860)}
NOTICE = "These settings were just changed on another device"


def full_menu(live_edge: LiveEdge) -> dict:
    with live_edge.client() as http:
        return http.get("/api/menu/all").json()


def expect_problem(form: Locator, control: Locator, key: str, text: str) -> None:
    """`text` is said under `control`, in its field, and the control is marked and described
    by it."""
    slot = form.locator(f'[data-error-for="{key}"]')
    expect(slot).to_have_text(text)
    expect(control).to_have_attribute("aria-invalid", "true")
    slot_id = slot.get_attribute("id")
    assert slot_id and slot_id in (control.get_attribute("aria-describedby") or "").split()
    assert control.evaluate(
        "(control, slot) => (control.closest('.field, fieldset, form') || {}).contains(slot)",
        slot.element_handle(),
    )


def open_settings(page: Page) -> None:
    page.get_by_role("link", name="Settings").click()
    expect(page.locator(".tax-rate-row").first).to_be_visible()


def item_with_three_problems(page: Page) -> Locator:
    """The add-item form under Starters sent with no name, -5 as price and "the bar" as station."""
    page.get_by_role("link", name="Menu").click()
    page.locator(".cat-btn", has_text="Starters").click()
    page.get_by_role("button", name="+ Add item").click()
    dialog = page.locator("dialog.modal")
    dialog.locator('[name="price"]').fill("-5")
    dialog.locator('[name="station"]').fill("the bar")
    dialog.get_by_role("button", name="Add item").click()
    return dialog


def milk_with_a_choice(page: Page, name: str) -> Locator:
    """The Milk group's card, after adding a choice called `name` to it."""
    page.get_by_role("link", name="Menu").click()
    page.get_by_role("button", name="Modifier groups").click()
    milk = page.locator(".group-card", has=page.get_by_role("heading", name="Milk"))
    milk.get_by_label("New modifier name").fill(name)
    milk.get_by_role("button", name="Add", exact=True).click()
    return milk


def terrace_with_a_table(page: Page, name: str, seats: str) -> Locator:
    """The Terrace's card, after adding a table to it."""
    page.get_by_role("link", name="Tables").click()
    terrace = page.locator('.area-card[data-area="Terrace"]')
    terrace.get_by_placeholder("Table name").fill(name)
    terrace.get_by_label("Seats").fill(seats)
    terrace.get_by_role("button", name="Add table").click()
    return terrace


def settings_with_two_problems(page: Page) -> None:
    open_settings(page)
    page.get_by_label("Store name").fill(" ")
    page.get_by_label("Guest base URL").fill("http://box.local")
    page.get_by_role("button", name="Save settings").click()


def test_a_form_with_three_problems_shows_each_under_its_field(
    page: Page, live_edge: LiveEdge, console: Console
):
    console.allow_refusal(422, "/api/menu/")
    before = full_menu(live_edge)
    sign_in(page)
    with page.expect_response(re.compile(r"/api/menu/items$")) as answer:
        dialog = item_with_three_problems(page)
    assert answer.value.status == 422
    name, price, station = (
        dialog.locator(f'[name="{key}"]') for key in ("name", "price", "station")
    )
    expect_problem(dialog, name, "name", "Name can't be empty.")
    expect_problem(dialog, price, "price", "Price can't be negative.")
    expect_problem(
        dialog,
        station,
        "station",
        "Station must be one short word of letters and digits, such as KITCHEN.",
    )
    expect(dialog.locator(".modal-foot .msg")).to_have_text("Check the 3 fields marked above.")
    expect(name).to_be_focused()
    assert full_menu(live_edge) == before

    # Each message goes as soon as its field changes; the others stay.
    name.fill("Salt cod fritters")
    expect(dialog.locator('[data-error-for="name"]')).to_be_empty()
    expect(name).not_to_have_attribute("aria-invalid", "true")
    expect(dialog.locator('[data-error-for="price"]')).to_have_text("Price can't be negative.")
    price.fill("6.50")
    station.fill("kitchen")
    dialog.get_by_role("button", name="Add item").click()
    expect(dialog).to_have_count(0)
    expect(page.locator('.item-row[data-item-name="Salt cod fritters"]')).to_contain_text("€6.50")


def test_minus_five_as_a_price_is_refused_and_a_choice_that_lowers_it_is_asked_about(
    page: Page, live_edge: LiveEdge, console: Console
):
    console.allow_refusal(422, "/api/menu/")
    sign_in(page)
    page.locator(".cat-btn", has_text="Mains").click()
    page.locator('.item-row[data-item-name="Beef burger"]').get_by_role(
        "button", name="Edit"
    ).click()
    dialog = page.locator("dialog.modal")
    dialog.locator('[name="price"]').fill("-5")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog.locator('[data-error-for="price"]')).to_have_text("Price can't be negative.")
    dialog.get_by_role("button", name="Cancel").click()

    # A choice may lower the price ("no cheese"), but a minus typed by mistake would sell
    # every such dish cheaper unnoticed: the page asks first.
    page.get_by_role("button", name="Modifier groups").click()
    extras = page.locator(".group-card", has=page.get_by_role("heading", name="Extras"))
    extras.get_by_label("New modifier name").fill("No cheese")
    extras.get_by_label("Price change").fill("-0.50")
    extras.get_by_role("button", name="Add", exact=True).click()
    question = page.locator("dialog.modal")
    expect(question).to_contain_text(
        "Choices with a negative price lower the item's price: keep -0.50 for No cheese?"
    )
    question.get_by_role("button", name="Cancel").click()
    expect(question).to_have_count(0)
    expect(extras.locator(".mod-row", has_text="No cheese")).to_have_count(0)
    extras.get_by_role("button", name="Add", exact=True).click()
    page.locator("dialog.modal").get_by_role("button", name="Keep -0.50").click()
    expect(extras.locator(".mod-row", has_text="No cheese")).to_contain_text("−€0.50")
    group = next(g for g in full_menu(live_edge)["modifier_groups"] if g["name"] == "Extras")
    assert {"No cheese": -50}.items() <= {
        m["name"]: m["price_delta"] for m in group["modifiers"]
    }.items()


def test_each_admin_form_puts_the_edges_problems_under_their_fields(
    page: Page, live_edge: LiveEdge, console: Console
):
    console.allow_refusal(422, "/api/")  # every form of the admin page, each refused
    sign_in(page)
    # A modifier group: at least above at most is said under "At most".
    page.get_by_role("button", name="Modifier groups").click()
    page.get_by_role("button", name="+ Add group").click()
    dialog = page.locator("dialog.modal")
    dialog.get_by_label("Name").fill("Sauce")
    dialog.get_by_label("At least").fill("3")
    dialog.get_by_label("At most").fill("1")
    dialog.get_by_role("button", name="Add group").click()
    expect_problem(
        dialog,
        dialog.get_by_label("At most"),
        "max_choices",
        "At most must be 3 or more, as “At least” is 3.",
    )
    dialog.get_by_role("button", name="Cancel").click()

    # A choice whose name the group has already.
    milk = milk_with_a_choice(page, "oat milk")
    expect_problem(
        milk.locator("form.mod-add"),
        milk.get_by_label("New modifier name"),
        "name",
        "This group already has a choice called oat milk.",
    )

    # A table: a name taken and no seats, both at once.
    with live_edge.client() as http:
        taken = http.get("/api/tables").json()[0]["tables"][0]["name"]
    terrace = terrace_with_a_table(page, taken, "0")
    form = terrace.locator("form.table-add")
    table_name = terrace.get_by_placeholder("Table name")
    expect_problem(form, table_name, "name", f"There is already a table {taken}.")
    expect_problem(form, terrace.get_by_label("Seats"), "seats", "Seats must be at least 1.")

    # A staff member: a name already on the sign-in screen, and a PIN too short.
    page.get_by_role("link", name="Staff").click()
    page.get_by_role("button", name="+ Add staff").click()
    dialog = page.locator("dialog.modal")
    dialog.get_by_label("Name").fill("walter costa")
    dialog.get_by_label("PIN").fill("12")
    dialog.get_by_role("button", name="Add staff").click()
    expect_problem(
        dialog,
        dialog.get_by_label("Name"),
        "name",
        "Another active staff member is called walter costa: add a surname or an initial,"
        " as the sign-in screen shows names only.",
    )
    expect_problem(dialog, dialog.get_by_label("PIN"), "pin", "PIN must be 4 to 8 digits.")
    dialog.get_by_role("button", name="Cancel").click()

    # Settings: every bad field of the long form at once, the save bar saying how many.
    settings_with_two_problems(page)
    settings = page.locator(".settings-form")
    expect_problem(settings, page.get_by_label("Store name"), "name", "Store name can't be empty.")
    expect(settings.locator('[data-error-for="guest_base_url"]')).to_contain_text(
        "Guest base URL can't be a .local name"
    )
    expect(page.locator(".save-bar .msg")).to_have_text("Check the 2 fields marked above.")
    expect(page.get_by_label("Store name")).to_be_focused()


def test_a_new_item_starts_with_the_usual_tax_station_and_course(page: Page, live_edge: LiveEdge):
    rates = {r["name"]: r["id"] for r in full_menu(live_edge)["tax_rates"]}
    sign_in(page)
    expected = {
        "Starters": ("IVA 13%", "KITCHEN", "STARTERS"),
        "Drinks": ("IVA 23%", "BAR", "DRINKS"),
    }
    for category, (rate, station, course) in expected.items():
        page.locator(".cat-btn", has_text=category).click()
        page.get_by_role("button", name="+ Add item").click()
        dialog = page.locator("dialog.modal")
        expect(dialog.get_by_label("Tax rate")).to_have_value(rates[rate])
        expect(dialog.get_by_label("Station")).to_have_value(station)
        expect(dialog.get_by_label("Course")).to_have_value(course)
        dialog.get_by_role("button", name="Cancel").click()

    # A category with no items yet: the store's usual rate, the course its name says.
    page.get_by_role("button", name="Add category").click()
    page.locator("dialog.modal").get_by_label("Name").fill("Desserts of the day")
    page.locator("dialog.modal").get_by_role("button", name="Add category").click()
    expect(page.locator(".items-panel h2")).to_contain_text("Desserts of the day")
    page.get_by_role("button", name="+ Add item").click()
    dialog = page.locator("dialog.modal")
    expect(dialog.get_by_label("Tax rate")).to_have_value(rates["IVA 13%"])
    expect(dialog.get_by_label("Course")).to_have_value("DESSERTS")
    expect(dialog.get_by_label("Station")).to_have_value("KITCHEN")


# Every warning the page shows, however briefly.
WATCH_NOTICES = """() => {
  window.__notices = [];
  const seen = () => {
    for (const box of document.querySelectorAll(".msg-warn")) {
      if (box.textContent) window.__notices.push(box.textContent);
    }
  };
  new MutationObserver(seen).observe(document.body,
    { subtree: true, childList: true, characterData: true, attributes: true });
}"""
# The page's answer to its next PATCH /api/store waits until `window.__release()`.
HOLD_THE_ANSWER = """() => {
  const fetch = window.fetch;
  window.fetch = async (url, init) => {
    const response = await fetch(url, init);
    if (init && init.method === "PATCH" && String(url).endsWith("/api/store")) {
      window.fetch = fetch;
      await new Promise((release) => { window.__release = release; });
    }
    return response;
  };
}"""


def test_settings_saved_here_never_read_as_another_devices_change(page: Page, live_edge: LiveEdge):
    sign_in(page)
    open_settings(page)
    page.evaluate(WATCH_NOTICES)
    bar = page.locator(".save-bar .msg")
    stale = page.locator(".page-head + .msg")

    # The answer to this save reaches the page only after the feed has brought the save's own
    # event (the shell reads the store again for each store event): the order that made a
    # device's own save look like someone else's.
    page.evaluate(HOLD_THE_ANSWER)
    page.get_by_label("Store name").fill("Harbour Kitchen Lisboa")
    with page.expect_request(lambda r: r.method == "GET" and r.url.endswith("/api/store")):
        page.get_by_role("button", name="Save settings").click()
    page.wait_for_function("() => typeof window.__release === 'function'")
    page.evaluate("window.__release()")
    expect(bar).to_have_text("Settings saved.")
    expect(page.locator(".brand-store")).to_have_text("Harbour Kitchen Lisboa")

    # The emergency stop while the form holds unsaved typing: still this device's own write.
    page.get_by_label("Guest base URL").fill("http://192.168.1.20:8000")
    page.get_by_role("switch", name="Stop all QR ordering now").click()
    expect(page.locator(".kill-card")).to_contain_text("QR ordering is OFF for every table")
    expect(page.get_by_label("Guest base URL")).to_have_value("http://192.168.1.20:8000")
    assert not [text for text in page.evaluate("window.__notices") if NOTICE in text]

    # Another device changes the store meanwhile: that one does show, with the typing kept.
    with live_edge.client() as other:
        assert other.patch("/api/store", json={"currency": "GBP"}).status_code == 200
    expect(stale).to_contain_text(NOTICE)
    expect(page.get_by_label("Guest base URL")).to_have_value("http://192.168.1.20:8000")
    page.get_by_role("button", name="Save settings").click()
    expect(bar).to_have_text("Settings saved.")
    expect(stale).to_be_empty()


def overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_a_toast_never_covers_the_save_bar(page: Page, console: Console):
    console.allow_refusal(422, "/api/store")
    SCREENSHOTS.mkdir(exist_ok=True)
    sign_in(page)
    for label, (width, height) in SCREENS.items():
        page.set_viewport_size({"width": width, "height": height})
        # The save bar holds an error, and a toast comes (the emergency stop's).
        settings_with_two_problems(page)
        bar = page.locator(".save-bar")
        expect(bar.locator(".msg")).to_contain_text("Check the")
        switch = page.get_by_role("switch", name="Stop all QR ordering now")
        switch.click()
        toast = page.locator(".toast", has_text="QR ordering stopped").last
        expect(toast).to_be_visible()
        toast.evaluate("toast => Promise.all(toast.getAnimations().map((a) => a.finished))")
        page.screenshot(path=SCREENSHOTS / f"{label}-settings-toast.png")
        bar_box = bar.bounding_box()
        assert bar_box
        for each in page.locator(".toast").all():  # with any left from the screen before
            box = each.bounding_box()
            assert box and not overlap(box, bar_box), f"a toast covers the save bar at {label}"
            assert box["y"] >= 0 and box["y"] + box["height"] <= height, f"toast off at {label}"
        switch.click()  # back on, for the next screen
        expect(page.locator(".kill-card")).to_contain_text("QR ordering is on")


def test_time_zone_and_currency_are_picked_from_the_boxs_lists(page: Page, live_edge: LiveEdge):
    sign_in(page)
    open_settings(page)
    zone = page.get_by_label("Time zone")
    currency = page.get_by_label("Currency")
    expect(zone).to_have_value("Europe/Lisbon")
    expect(zone.locator("optgroup[label='Asia'] option[value='Asia/Tokyo']")).to_have_text("Tokyo")
    expect(zone.locator("option[value='America/Argentina/Buenos_Aires']")).to_have_text(
        "Argentina / Buenos Aires"
    )
    expect(currency.locator("option[value='JPY']")).to_have_text("JPY — Japanese Yen")
    with live_edge.client() as http:
        choices = http.get("/api/store/choices").json()
    assert currency.locator("option").count() == len(choices["currencies"])
    assert zone.locator("option").count() == len(choices["timezones"])
    zone.select_option("Asia/Tokyo")
    currency.select_option("JPY")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".save-bar .msg")).to_have_text("Settings saved.")
    with live_edge.client() as http:
        store = http.get("/api/store").json()
    assert (store["timezone"], store["currency"]) == ("Asia/Tokyo", "JPY")
    expect(zone).to_have_value("Asia/Tokyo")
    expect(currency).to_have_value("JPY")


def test_form_problems_at_every_screen(page: Page, console: Console):
    console.allow_refusal(422, "/api/")
    """Screenshots, for a person to look at: forms showing their problems."""
    SCREENSHOTS.mkdir(exist_ok=True)
    sign_in(page)
    for label, (width, height) in SCREENS.items():
        page.set_viewport_size({"width": width, "height": height})
        dialog = item_with_three_problems(page)
        expect(dialog.locator('[data-error-for="station"]')).not_to_be_empty()
        page.screenshot(path=SCREENSHOTS / f"{label}-menu-item-problems.png")
        dialog.get_by_role("button", name="Cancel").click()
        milk = milk_with_a_choice(page, "Oat milk")
        expect(milk.locator('[data-error-for="name"]')).not_to_be_empty()
        milk.screenshot(path=SCREENSHOTS / f"{label}-menu-choice-problem.png")
        terrace = terrace_with_a_table(page, "", "0")
        expect(terrace.locator('[data-error-for="seats"]')).not_to_be_empty()
        terrace.screenshot(path=SCREENSHOTS / f"{label}-tables-add-problems.png")
        settings_with_two_problems(page)
        expect(page.locator(".save-bar .msg")).to_contain_text("Check the")
        page.screenshot(path=SCREENSHOTS / f"{label}-settings-problems.png")
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")


def test_amounts_are_typed_and_shown_in_the_boxs_digits(page: Page, live_edge: LiveEdge):
    """The browser's idea of a currency's decimals is not always the box's (forint: 0 in
    Chromium, 2 on the box, as in ISO 4217): the page reads and shows amounts in the box's."""
    with live_edge.client() as http:
        assert http.patch("/api/store", json={"currency": "HUF"}).status_code == 200
    sign_in(page)
    page.get_by_role("button", name="+ Add item").click()
    dialog = page.locator("dialog.modal")
    dialog.locator('[name="name"]').fill("Gulyás")
    dialog.locator('[name="price"]').fill("1500.50")
    dialog.get_by_role("button", name="Add item").click()
    expect(dialog).to_have_count(0)
    expect(page.locator('.item-row[data-item-name="Gulyás"]')).to_contain_text("1,500.50")
    items = [i for c in full_menu(live_edge)["categories"] for i in c["items"]]
    assert next(i["price"] for i in items if i["name"] == "Gulyás") == 150050
