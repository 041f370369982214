"""The kitchen's screens in Chromium: an order sent from the floor shows on the BAR and KITCHEN
screens, each its own ticket; the bump bar (the keyboard) bumps them; expo sees the order ready
and marks it served. A screen whose websocket is cut while three orders are sent shows all three
once it is back, in order, once each. Screenshots at wall-screen and tablet size."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from tests.e2e.conftest import (
    MANAGER,
    PINS,
    SCREENSHOTS,
    Console,
    LiveEdge,
    browser_page,
    sign_in,
)

pytestmark = pytest.mark.e2e

COOK = "Kim Oliveira"
WAITER = "Walter Costa"
WALL = {"width": 1920, "height": 1080}
TABLET = {"width": 1280, "height": 800}
TEN_INCH = {"width": 1024, "height": 768}
# Each `inner` of each `outer` that sticks out of its outer box (on any side).
INSIDE = """([outer, inner]) => [...document.querySelectorAll(outer)].flatMap((box) => {
  const edge = box.getBoundingClientRect();
  return [...box.querySelectorAll(inner)].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.left < edge.left - 1 || r.right > edge.right + 1 || r.bottom > edge.bottom + 1;
  }).map((el) => el.textContent);
})"""


def open_screen(page: Page, search: str = "") -> None:
    """The KDS at `search` (?station=BAR, ?view=expo), signed in as the cook."""
    page.goto(f"/kds/{search}")
    page.get_by_role("button", name=COOK).click()
    page.keyboard.type(PINS[COOK])
    page.keyboard.press("Enter")
    expect(page.locator(".kds-who")).to_have_text(COOK)
    expect(page.locator(".conn")).to_have_attribute("data-state", "live")


def send(http: httpx.Client, *lines: str | dict, table: str | None = "3", note: str = "") -> dict:
    """Send an order for `table` (None: at the counter), with the order's `note`: each line an
    item's name, or {name, choices: [(group, choice)], note, seat}."""
    menu = http.get("/api/menu").json()
    items = {i["name"]: i["id"] for c in menu["categories"] for i in c["items"]}
    choices = {
        (g["name"], m["name"]): m["id"] for g in menu["modifier_groups"] for m in g["modifiers"]
    }
    body_lines = []
    for line in lines:
        spec = {"name": line} if isinstance(line, str) else dict(line)
        body_line = {"item_id": items[spec.pop("name")]}
        if "choices" in spec:
            body_line["modifier_ids"] = [choices[c] for c in spec.pop("choices")]
        body_lines.append({**body_line, **spec})
    body: dict = {"kind": "counter", "send": True, "lines": body_lines, "note": note}
    if table is not None:
        floor = http.get("/api/tables").json()
        table_id = next(t["id"] for a in floor for t in a["tables"] if t["name"] == table)
        body.update(kind="table", table_id=table_id)
    answer = http.post("/api/orders", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.fixture
def screens(browser: Browser, live_edge: LiveEdge) -> Iterator[tuple[Page, Page, Console]]:
    """A BAR screen and a KITCHEN screen at wall size, each on its own paired device."""
    bar_console, kitchen_console = Console(), Console()
    with (
        browser_page(browser, live_edge, bar_console, viewport=WALL) as bar,
        browser_page(browser, live_edge, kitchen_console, viewport=WALL) as kitchen,
    ):
        open_screen(bar, "?station=BAR")
        open_screen(kitchen, "?station=KITCHEN")
        yield bar, kitchen, bar_console


def test_each_station_shows_its_ticket_bumped_by_keyboard_and_expo_serves(
    screens, live_edge: LiveEdge, browser: Browser
):
    bar, kitchen, _ = screens
    with live_edge.client(WAITER) as http:
        order = send(http, "Cola", "Burrata", "Vegan curry")
    bar_tile = bar.locator(".tile")
    kitchen_tile = kitchen.locator(".tile")
    expect(bar_tile).to_have_count(1)
    expect(bar_tile.locator(".item-name")).to_have_text(["Cola"])
    expect(kitchen_tile.locator(".item-name")).to_have_text(["Burrata"])  # the curry is held
    expect(kitchen_tile.locator(".tile-label")).to_have_text("Table 3")
    expect(kitchen_tile.locator(".tile-order")).to_have_text(f"Order {order['number']}")
    expect(kitchen_tile.locator(".tile-number")).to_have_text(re.compile(r"#\d+"))
    assert (
        kitchen_tile.locator(".tile-number").inner_text()
        == bar_tile.locator(".tile-number").inner_text()
    )
    expect(bar.locator(".kds-keys")).to_contain_text("Enter bump")
    SCREENSHOTS.mkdir(exist_ok=True)
    kitchen.screenshot(path=SCREENSHOTS / "kds-kitchen-one.png")

    # The bump bar: a digit selects the tile, Enter bumps it.
    for screen in (bar, kitchen):
        screen.keyboard.press("1")
        expect(screen.locator(".tile.is-selected")).to_have_count(1)
        screen.keyboard.press("Enter")
        expect(screen.locator(".tile")).to_have_count(0)
        expect(screen.locator(".kds-empty-title")).to_have_text("All clear")
    # R recalls the last bumped ticket.
    kitchen.keyboard.press("r")
    expect(kitchen.locator(".tile .tile-state")).to_have_text("Ready")

    with browser_page(browser, live_edge, viewport=WALL) as expo:
        open_screen(expo, "?view=expo")
        card = expo.locator(f'.expo-card[data-order="{order["id"]}"]')
        expect(card.locator(".expo-state")).to_have_text("Ready")
        expect(card.locator('[data-station="BAR"] .expo-station-state')).to_have_text("Ready")
        expect(card.locator(".expo-held")).to_have_text("Held: Mains")
        expo.screenshot(path=SCREENSHOTS / "kds-expo.png")
        card.get_by_role("button", name="Fire Mains").click()
        expect(kitchen.locator(".tile .item-name")).to_contain_text(["Vegan curry"])
        expect(card.locator(".expo-state")).to_have_text("Cooking")
        kitchen.keyboard.press("2")
        kitchen.keyboard.press("Enter")
        kitchen.keyboard.press("1")
        kitchen.keyboard.press("Enter")
        expect(kitchen.locator(".tile")).to_have_count(0)
        expect(card.locator(".expo-state")).to_have_text("Ready")
        card.get_by_role("button", name="Served").click()
        expect(expo.locator(".kds-empty-title")).to_have_text("All clear")


def test_a_counter_orders_tile_names_its_number_once(screens, live_edge: LiveEdge):
    bar, _, _ = screens
    with live_edge.client(MANAGER) as http:
        order = send(http, "Cola", table=None)
    tile = bar.locator(".tile")
    expect(tile.locator(".tile-label")).to_have_text(f"Counter #{order['number']}")
    expect(tile.locator(".tile-order")).to_have_count(0)  # not "Order 12" again
    SCREENSHOTS.mkdir(exist_ok=True)
    bar.screenshot(path=SCREENSHOTS / "kds-counter-tile.png")
    bar.goto("/kds/?view=expo")  # expo's card too: "Counter #12", not "#12 Counter #12"
    expect(bar.locator(".expo-head")).to_have_text(
        re.compile(rf"^Counter #{order['number']}\s*Cooking\s*0:\d\d$")
    )


def test_a_screen_cut_off_gets_every_ticket_fired_meanwhile_once_in_order(
    screens, live_edge: LiveEdge
):
    bar, _, console = screens
    cut = {"on": False}
    sockets: list[WebSocketRoute] = []

    def through(ws: WebSocketRoute) -> None:
        if cut["on"]:
            ws.close(code=4000, reason="cut")  # the box is unreachable
            return
        ws.connect_to_server()
        sockets.append(ws)

    # Route the screen's feed through the test from a fresh load, then cut it.
    bar.route_web_socket(re.compile(r".*/ws\?.*"), through)
    bar.route(
        re.compile(r".*/api/events\?.*"),
        lambda route: route.abort() if cut["on"] else route.continue_(),
    )
    console.allow_lost("/api/events")
    console.allowed.append(re.compile(r"WebSocket connection to .* failed"))
    bar.reload()
    expect(bar.locator(".conn")).to_have_attribute("data-state", "live")
    with live_edge.client(WAITER) as http:
        send(http, "Espresso", table="1")
        expect(bar.locator(".tile")).to_have_count(1)
        cut["on"] = True
        for ws in sockets:
            ws.close(code=4000, reason="cut")
        expect(bar.locator(".conn")).not_to_have_attribute("data-state", "live")
        numbers = [send(http, "Cola", table=str(n))["number"] for n in (2, 4, 5)]
        expect(bar.locator(".tile")).to_have_count(1)  # nothing reached it
        expect(bar.locator(".lost-box")).to_be_visible(timeout=15000)  # and it says so
        bar.screenshot(path=SCREENSHOTS / "kds-offline.png")
        cut["on"] = False
    expect(bar.locator(".conn")).to_have_attribute("data-state", "live", timeout=20000)
    expect(bar.locator(".lost-box")).to_be_hidden()
    expect(bar.locator(".tile")).to_have_count(4)
    expect(bar.locator(".tile-label")).to_have_text(["Table 1", "Table 2", "Table 4", "Table 5"])
    assert len(numbers) == 3
    # A reload shows the same board.
    shown = bar.locator(".tile").evaluate_all("tiles => tiles.map(t => t.dataset.ticket)")
    bar.reload()
    expect(bar.locator(".tile")).to_have_count(4)
    assert bar.locator(".tile").evaluate_all("tiles => tiles.map(t => t.dataset.ticket)") == shown


def test_a_full_board_at_wall_and_tablet_size(browser: Browser, live_edge: LiveEdge):
    with live_edge.client(WAITER) as http:
        wings = {"name": "Chicken wings", "choices": [("Extras", "Bacon")], "seat": 2}
        send(http, "Garlic prawns", {"name": "Burrata", "note": "no basil", "seat": 1}, table="1")
        send(http, "Octopus salad", "Padrón peppers", "Cola", table="2")
        send(http, {"name": "Soup of the day", "quantity": 2}, "Bread & olives", wings, table="4")
        send(http, {"name": "Caesar salad", "choices": [("Extras", "Avocado")]}, table="5")
        send(http, "Burrata", "Soup of the day", table="6")
        send(http, {"name": "Garlic prawns", "note": "shellfish allergy at the table"}, table="7")
        send(http, wings, "Padrón peppers", table="8")
        send(http, "Octopus salad", table="T1")
        send(http, "Bread & olives", table="T2")
    for label, viewport in (("wall", WALL), ("tablet", TABLET), ("10-inch", TEN_INCH)):
        with browser_page(browser, live_edge, viewport=viewport, has_touch=True) as page:
            open_screen(page, "?station=KITCHEN")
            expect(page.locator(".tile")).to_have_count(8)  # the first page: no scrolling
            expect(page.locator(".kds-pager")).to_have_text("Page 1 of 2")
            overflow = page.evaluate(
                "document.scrollingElement.scrollHeight <= window.innerHeight + 1"
                " && document.scrollingElement.scrollWidth <= window.innerWidth + 1"
            )
            assert overflow, f"the board scrolls at {label} size"
            assert page.evaluate(INSIDE, [".tile", ".tile-actions .btn"]) == [], (
                f"a tile's buttons (Bump last) stick out of it at {label} size"
            )
            page.screenshot(path=SCREENSHOTS / f"kds-{label}.png")
            page.keyboard.press("ArrowRight")
            expect(page.locator(".tile")).to_have_count(1)
            page.goto("/kds/?view=expo")
            expect(page.locator(".expo-card").first).to_be_visible()
            assert page.evaluate(INSIDE, [".expo-card", ".btn"]) == [], (
                f"expo's cards are cut short of their buttons at {label} size"
            )
            page.screenshot(path=SCREENSHOTS / f"kds-expo-{label}.png")
    phone = {"width": 390, "height": 844}
    with browser_page(browser, live_edge, viewport=phone, has_touch=True, is_mobile=True) as page:
        open_screen(page, "?station=KITCHEN")
        for control in (page.get_by_role("link", name="Bar"), page.locator(".kds-top .btn").last):
            seen = control.evaluate(
                """(el) => { const r = el.getBoundingClientRect();
                  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                  return r.right <= innerWidth && !!hit && el.contains(hit); }"""
            )
            assert seen, "a station or the sign-out is out of sight on a phone"
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
        page.screenshot(path=SCREENSHOTS / "kds-phone.png")


# The items of each tile whose foot lies below what the tile's list shows.
OUT_OF_SIGHT = """() => [...document.querySelectorAll(".tile-items")].map((list) => {
  const bottom = list.getBoundingClientRect().bottom + 1;
  return [...list.querySelectorAll(".tile-item")]
    .filter((item) => item.getBoundingClientRect().bottom > bottom).length;
})"""
# What a tile cuts short: its table's name (an ellipsis), a button's word, a button too small.
CUT_SHORT = """() => [...document.querySelectorAll(".tile-label, .tile-actions .btn")]
  .filter((el) => el.scrollWidth > el.clientWidth + 1 || el.getBoundingClientRect().width < 44)
  .map((el) => `${el.textContent} (${Math.round(el.getBoundingClientRect().width)} px)`)"""
DISHES = ("Garlic prawns", "Padrón peppers", "Burrata", "Octopus salad", "Soup of the day")


def test_a_ticket_longer_than_its_tile_says_how_many_items_are_out_of_sight(
    browser: Browser, live_edge: LiveEdge
):
    """A party of eight's starters: more lines than a tile holds on the wall screen. The tile
    says how many are below its edge, tapping that scrolls them into view, and a redraw (another
    ticket fired) keeps the list where the cook left it."""
    party = [{"name": DISHES[n % 5], "seat": n % 8 + 1} for n in range(18)]
    with (
        live_edge.client(WAITER) as http,
        browser_page(browser, live_edge, viewport=WALL, has_touch=True) as page,
    ):
        send(http, *party, table="1")
        open_screen(page, "?station=KITCHEN")
        tile = page.locator(".tile")
        expect(tile.locator(".tile-item")).to_have_count(18)
        (hidden,) = page.evaluate(OUT_OF_SIGHT)
        assert hidden > 0, "the ticket fits its tile: the test needs a longer one"
        more = tile.locator(".tile-more")
        expect(more).to_have_text(f"+{hidden} more ↓")
        page.screenshot(path=SCREENSHOTS / "kds-long-ticket.png")
        more.click()
        expect(more).not_to_have_text(f"+{hidden} more ↓")
        tile.locator(".tile-item").last.scroll_into_view_if_needed()
        expect(more).to_be_hidden()
        assert page.evaluate(OUT_OF_SIGHT) == [0]
        send(http, "Burrata", table="2")
        expect(page.locator(".tile")).to_have_count(2)
        assert page.evaluate(OUT_OF_SIGHT) == [0, 0], "the redraw scrolled the long ticket back"
        expect(tile.first.locator(".tile-more")).to_be_hidden()


def test_an_upright_tablet_shows_each_tiles_table_and_buttons_whole(
    browser: Browser, live_edge: LiveEdge
):
    """At 820 x 1180 (a tablet held upright) four tiles to a row left each 190 px: "#1 Tabl…"
    and a Bump button wider than its word. The table's name is never cut, however long."""
    with live_edge.client(MANAGER) as http:
        area = http.get("/api/tables").json()[0]["id"]
        long = http.post(
            "/api/tables", json={"area_id": area, "name": "Garden pergola 12", "seats": 8}
        )
        assert long.status_code == 201, long.text
        for table in ("1", "2", "3", "4", "5", "6", "Garden pergola 12"):
            send(http, "Burrata", "Soup of the day", table=table)
    upright = {"width": 820, "height": 1180}
    with browser_page(browser, live_edge, viewport=upright, has_touch=True) as page:
        open_screen(page, "?station=KITCHEN")
        expect(page.locator(".tile")).to_have_count(7)
        expect(page.locator(".tile-label").last).to_have_text("Garden pergola 12")
        page.screenshot(path=SCREENSHOTS / "kds-upright-tablet.png")
        assert page.evaluate(CUT_SHORT) == []
        assert page.evaluate("document.scrollingElement.scrollHeight <= window.innerHeight + 1"), (
            "the board scrolls on an upright tablet"
        )


@pytest.mark.parametrize(
    ("search", "card", "viewport", "shot"),
    [
        ("?station=KITCHEN", ".tile", TABLET, "kds-late"),
        ("?view=expo", ".expo-card", TEN_INCH, "kds-expo-late"),
    ],
)
def test_tiles_and_expo_cards_turn_amber_then_red_at_the_stores_minutes(
    browser: Browser, live_edge: LiveEdge, search: str, card: str, viewport: dict, shot: str
):
    """Expo lists the orders oldest first, and said nothing of their age: which table had
    waited too long showed only on the cooks' screens. Its cards say it as the tiles do."""
    with live_edge.client() as http:
        changed = http.patch("/api/kitchen/settings", json={"warn_minutes": 5, "late_minutes": 10})
        assert changed.status_code == 200, changed.text
    with live_edge.client(WAITER) as http:
        send(http, "Burrata")
    with browser_page(browser, live_edge, viewport=viewport) as page:
        page.clock.install()
        open_screen(page, search)
        tile = page.locator(card)
        expect(tile.locator(".tile-age")).to_have_text(re.compile(r"^0:0\d$"))
        expect(tile).to_have_attribute("data-age", "fresh")
        page.clock.fast_forward("05:01")
        expect(tile).to_have_attribute("data-age", "warn")
        page.clock.fast_forward("05:00")
        expect(tile).to_have_attribute("data-age", "late")
        expect(tile.locator(".tile-age")).to_have_text(re.compile(r"^10:0\d$"))
        page.screenshot(path=SCREENSHOTS / f"{shot}.png")


ONE_LINE = "e => e.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(e).fontSize)"


def test_a_ticket_fired_days_ago_says_its_age_in_days(browser: Browser, live_edge: LiveEdge):
    """A kitchen working from printed tickets bumps none: a year on, its board shows tickets
    fired up to 90 days ago. Their age read "129600:05" (minutes), which pushed "Counter #600"
    onto three lines of an upright tablet's tile; it reads in days, in hours and minutes past
    an hour, no longer than "10:05", on one line, and the label keeps its line."""
    with live_edge.client(WAITER) as http:
        send(http, "Burrata", table=None)
    upright = {"width": 820, "height": 1180}
    with browser_page(browser, live_edge, viewport=upright, has_touch=True) as page:
        page.clock.install()
        open_screen(page, "?station=KITCHEN")
        age = page.locator(".tile-age")
        expect(age).to_have_text(re.compile(r"^0:0\d$"))
        page.clock.fast_forward("01:05:00")
        expect(age).to_have_text("1h05")
        fired = datetime.fromtimestamp(page.evaluate("Date.now()") / 1000, UTC) - timedelta(
            minutes=65
        )
        page.clock.set_system_time(fired + timedelta(days=90, hours=3, seconds=30))
        page.clock.fast_forward(1000)
        expect(age).to_have_text("90d")
        page.screenshot(path=SCREENSHOTS / "kds-ticket-days-old.png")
        for part in (".tile-age", ".tile-label"):  # each on one line
            assert page.locator(part).evaluate(ONE_LINE), part


def test_the_audit_says_what_the_kitchen_did(page: Page, live_edge: LiveEdge):
    with live_edge.client(WAITER) as http:
        send(http, "Burrata", "Vegan curry")
    with live_edge.client(COOK) as http:
        (ticket,) = http.get("/api/tickets?station=KITCHEN").json()["tickets"]
        http.patch(f"/api/tickets/{ticket['id']}", json={"rush": True})
        http.post(f"/api/tickets/{ticket['id']}/state", json={"state": "BUMPED"})
    sign_in(page)
    page.goto("/admin/#/audit")
    page.get_by_label("What").select_option(label="Kitchen")
    with page.expect_response(re.compile(r"/api/audit\?")):
        page.get_by_role("button", name="Show").click()
    titles = page.locator("tr.audit-row .audit-title")
    expect(titles.first).to_have_text("Bumped: 1 × Burrata")  # its item, in the same write
    expect(titles.nth(1)).to_have_text("Ticket #1 (Kitchen) bumped")
    expect(page.locator("tr.audit-row", has_text="Ticket #1 (Kitchen) rushed")).to_have_count(1)
    fired = page.locator("tr.audit-row", has_text="Ticket #1 (Kitchen) fired")
    expect(fired).to_contain_text("1 × Burrata")
    expect(fired).to_contain_text("Table 3")


def test_a_manager_names_stations_and_sets_the_kitchens_options(
    page: Page, live_edge: LiveEdge, console: Console
):
    console.allow_refusal(422, "/api/kitchen/settings")  # red before amber, refused
    sign_in(page)
    page.goto("/admin/#/kitchen")
    expect(page.locator('tr[data-station="BAR"]')).to_contain_text("Bar")
    page.get_by_role("button", name="+ Add station").click()
    page.locator("dialog input[name=name]").fill("Grill")
    page.locator("dialog input[name=code]").fill("grill")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    expect(page.locator('tr[data-station="GRILL"]')).to_contain_text("/kds/?station=GRILL")
    options = page.locator(".kitchen-options")
    options.get_by_label("A ticket turns amber after").fill("20")
    options.get_by_label("A ticket turns red after").fill("12")
    options.get_by_role("button", name="Save").click()
    expect(options.locator(".field-error")).to_contain_text("20 or more")
    options.get_by_label("A ticket turns red after").fill("25")
    options.get_by_role("switch", name=re.compile("Fire the next course")).check()
    options.get_by_role("button", name="Save").click()
    expect(page.locator(".toast")).to_have_text("Kitchen options saved")
    with live_edge.client() as http:
        settings = http.get("/api/kitchen").json()["settings"]
    assert (settings["warn_minutes"], settings["late_minutes"], settings["auto_fire"]) == (
        20,
        25,
        True,
    )
    page.screenshot(path=SCREENSHOTS / "admin-kitchen.png")


def test_a_cook_moves_an_item_to_another_station_and_both_screens_update(screens, live_edge):
    bar, kitchen, _ = screens
    with live_edge.client(WAITER) as http:
        send(http, "Cola", "Burrata", "Padrón peppers")
    tile = kitchen.locator(".tile")
    expect(tile.locator(".item-name")).to_have_text(["Burrata", "Padrón peppers"])
    tile.get_by_role("button", name="Move").click()
    dialog = kitchen.get_by_role("dialog")
    dialog.get_by_label("1× Padrón peppers").check()
    kitchen.screenshot(path=SCREENSHOTS / "kds-move.png")
    dialog.get_by_role("button", name="To Bar").click()
    expect(dialog).to_have_count(0)
    expect(tile.locator(".item-name")).to_have_text(["Burrata"])
    moved = bar.locator(".tile", has_text="Padrón peppers")
    expect(moved.locator(".badge-info")).to_have_text("Moved")
    expect(bar.locator(".tile")).to_have_count(2)
    bar.screenshot(path=SCREENSHOTS / "kds-moved.png")


def test_a_manager_reads_prep_times_in_the_kitchen_section(
    page: Page, live_edge: LiveEdge, console: Console
):
    with live_edge.client(WAITER) as http:
        send(http, "Cola", "Burrata")
    with live_edge.client(COOK) as http:
        for ticket in http.get("/api/tickets").json()["tickets"]:
            done = http.post(f"/api/tickets/{ticket['id']}/state", json={"state": "BUMPED"})
            assert done.status_code == 200, done.text
    sign_in(page)
    page.goto("/admin/#/kitchen")
    prep = page.locator(".kitchen-prep")
    # Stations by the names their screens show, not the codes on menu items.
    expect(prep.locator('tr[data-prep="KITCHEN"] td').first).to_have_text("Kitchen")
    expect(prep.locator('tr[data-prep="BAR/Cola"]')).to_contain_text("Cola (Bar)")
    expect(prep.locator('tr[data-prep="BAR"] td').nth(1)).to_have_text("1")
    # The stations and prep times scroll inside their cards, never the page, on a phone and a
    # tablet.
    for width, height in ((390, 844), (1024, 768)):
        page.set_viewport_size({"width": width, "height": height})
        expect(prep.locator('tr[data-prep="BAR/Cola"]')).to_be_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1"), (
            f"the kitchen section scrolls sideways at {width} px"
        )
    page.set_viewport_size({"width": 1280, "height": 860})
    prep.get_by_label("From").fill("2020-01-01")
    prep.get_by_label("To").fill("2020-01-02")
    prep.get_by_role("button", name="Show").click()
    expect(prep.locator(".empty")).to_have_text("No tickets on those days.")
    prep.get_by_label("To").fill("2019-12-31")
    console.allow_refusal(422, "/api/kitchen/prep-times")
    prep.get_by_role("button", name="Show").click()
    expect(prep.locator(".field-error")).to_contain_text("on or after")
    page.screenshot(path=SCREENSHOTS / "admin-prep-times.png", full_page=True)


def test_the_bump_bar_reaches_every_action_of_a_tile(screens, live_edge: LiveEdge):
    """A bump bar is a keyboard with no mouse: an item marked done, a ticket ready, an item
    moved to another station and a long ticket's hidden lines are all reached by keys, and the
    keys are shown at the foot."""
    bar, kitchen, _ = screens
    with live_edge.client(WAITER) as http:
        send(http, "Burrata", "Garlic prawns", table="1")
        send(http, "Octopus salad", table="2")
    tiles = kitchen.locator(".tile")
    expect(tiles).to_have_count(2)
    for words in ("↑ ↓ item", "Space done", "D ready", "M move"):
        expect(kitchen.locator(".kds-keys")).to_contain_text(words)
    keys = kitchen.keyboard
    keys.press("1")
    keys.press("ArrowDown")
    current = tiles.first.locator(".tile-item.is-current .item-name")
    expect(current).to_have_text("Burrata")
    keys.press("ArrowDown")
    expect(current).to_have_text("Garlic prawns")
    keys.press(" ")
    expect(tiles.first.locator(".tile-item.is-done .item-name")).to_have_text(["Garlic prawns"])
    expect(current).to_have_text("Garlic prawns")  # the cursor stays over the redraw
    keys.press("ArrowUp")
    keys.press("m")
    dialog = kitchen.get_by_role("dialog")
    expect(dialog.locator("input:checked")).to_have_accessible_name("1× Burrata")
    dialog.get_by_role("button", name="To Bar").focus()  # Tab, Tab: the bar's button
    keys.press("Enter")
    expect(dialog).to_have_count(0)
    expect(bar.locator(".tile .item-name")).to_have_text(["Burrata"])
    expect(tiles.first.locator(".item-name")).to_have_text(["Garlic prawns"])
    keys.press("2")
    keys.press("d")
    expect(tiles.nth(1).locator(".tile-state")).to_have_text("Ready")
    keys.press("Enter")
    expect(tiles).to_have_count(1)
    kitchen.screenshot(path=SCREENSHOTS / "kds-bump-bar.png")


def test_a_key_on_a_focused_button_presses_that_button_and_focus_stays(
    screens, live_edge: LiveEdge
):
    """Tab to a tile's button and press Enter: that button acts (Enter bumped the tile picked
    with a digit instead, a ticket the cook had not finished), and a ticket arriving meanwhile
    leaves the focus where it was."""
    _, kitchen, _ = screens
    with live_edge.client(WAITER) as http:
        send(http, "Burrata", table="1")
        send(http, "Octopus salad", table="2")
        tiles = kitchen.locator(".tile")
        expect(tiles).to_have_count(2)
        kitchen.keyboard.press("2")
        expect(tiles.nth(1)).to_have_class(re.compile("is-selected"))
        tiles.first.get_by_role("button", name="Start").focus()
        kitchen.keyboard.press("Enter")
        expect(tiles.first.locator(".tile-state")).to_have_text("Cooking")
        expect(tiles).to_have_count(2)
        # Start is gone: the focus goes to none of the tile's other buttons (on Bump, a second
        # Enter would bump a ticket just started)
        assert kitchen.evaluate("document.activeElement.closest('.tile')") is None
        bump = tiles.nth(1).get_by_role("button", name="Bump")
        bump.focus()
        send(http, "Burrata", table="4")
        expect(tiles).to_have_count(3)
        expect(bump).to_be_focused()


def test_expo_by_the_bump_bar_alone(screens, live_edge: LiveEdge, browser: Browser):
    """Expo on a wall screen with a bump bar: the arrows pick an order, F fires its next course
    and Enter marks it served, shown at the foot; the pick stays on its order as the list is
    read again after each kitchen event."""
    _, kitchen, _ = screens
    with live_edge.client(WAITER) as http:
        first = send(http, "Burrata", "Vegan curry", table="1")
        second = send(http, "Octopus salad", table="2")
    with browser_page(browser, live_edge, viewport=WALL) as expo:
        open_screen(expo, "?view=expo")
        expect(expo.locator(".expo-card")).to_have_count(2)
        for words in ("↑ ↓ order", "F fire", "Enter served"):
            expect(expo.locator(".kds-keys")).to_contain_text(words)
        picked = expo.locator(".expo-card.is-selected")
        keys = expo.keyboard
        keys.press("ArrowDown")
        expect(picked).to_have_attribute("data-order", first["id"])
        keys.press("f")
        expect(kitchen.locator(".tile .item-name")).to_contain_text(["Vegan curry"])
        expect(picked.locator(".expo-held")).to_have_count(0)
        expect(picked).to_have_attribute("data-order", first["id"])
        keys.press("ArrowDown")
        expect(picked).to_have_attribute("data-order", second["id"])
        with live_edge.client(COOK) as cook:
            for ticket in cook.get("/api/tickets").json()["tickets"]:
                if ticket["order_id"] == second["id"]:
                    cook.post(f"/api/tickets/{ticket['id']}/state", json={"state": "READY"})
        expect(picked.locator(".expo-state")).to_have_text("Ready")
        expo.screenshot(path=SCREENSHOTS / "kds-expo-keys.png")
        keys.press("Enter")
        expect(expo.locator(".expo-card")).to_have_count(1)


def test_a_line_voided_after_firing_is_struck_and_the_cook_told(screens, live_edge: LiveEdge):
    """A struck line in one tile of eight goes unseen: the screen says which item of which
    ticket was voided, at its foot, as well as striking it through."""
    _, kitchen, _ = screens
    with live_edge.client(WAITER) as http:
        order = send(http, "Burrata", "Garlic prawns", table="1")
    tile = kitchen.locator(".tile")
    expect(tile.locator(".item-name")).to_have_text(["Burrata", "Garlic prawns"])
    burrata = next(line for line in order["lines"] if line["name"] == "Burrata")
    with live_edge.client(MANAGER) as http:
        voided = http.post(f"/api/order-lines/{burrata['id']}/void", json={"reason": "changed"})
        assert voided.status_code == 200, voided.text
    expect(tile.locator(".tile-item.is-voided .item-name")).to_have_text("Burrata")
    expect(kitchen.locator(".kds-status")).to_have_text(
        f"Voided: 1× Burrata of #{order['number']} Table 1"
    )
    kitchen.screenshot(path=SCREENSHOTS / "kds-voided.png")


# Each note's font size against its dish's (or, for the ticket's note, the first dish's).
NOTE_SIZES = """() => [...document.querySelectorAll(".item-note, .tile-note")].map((note) => {
  const tile = note.closest(".tile");
  const dish = (note.closest(".tile-item") || tile).querySelector(".item-name");
  const size = (el) => parseFloat(getComputedStyle(el).fontSize);
  return [note.textContent, size(note), size(dish)];
})"""


def test_an_allergy_note_reads_as_large_as_its_dish(browser: Browser, live_edge: LiveEdge):
    """Notes are where the floor writes allergies: they read at 85 % of the dish's size (13.6 px
    on a 10-inch tablet), the smallest words of the tile after its tags."""
    with live_edge.client(WAITER) as http:
        send(http, {"name": "Burrata", "note": "ALLERGY: sesame"}, note="nut allergy at the table")
    for viewport in (WALL, TEN_INCH):
        with browser_page(browser, live_edge, viewport=viewport) as page:
            open_screen(page, "?station=KITCHEN")
            expect(page.locator(".item-note")).to_have_text("ALLERGY: sesame")
            expect(page.locator(".tile-note")).to_have_text("nut allergy at the table")
            for text, note, dish in page.evaluate(NOTE_SIZES):
                assert note >= dish, f"{text!r} at {note} px under its dish's {dish} px"
            page.screenshot(path=SCREENSHOTS / f"kds-allergy-{viewport['width']}.png")


def test_expos_buttons_sit_at_the_foot_of_each_card_in_a_row(browser: Browser, live_edge: LiveEdge):
    """Two orders side by side on expo, one with a course held (a taller card): the shorter
    card's Served button floated halfway down its card over a blank white band."""
    with live_edge.client(MANAGER) as http:
        send(http, "Burrata", table="3")
        send(
            http,
            "Cola",
            "Burrata",
            {
                "name": "Ribeye steak 300g",
                "choices": [("How cooked", "Medium rare"), ("Side", "Fries")],
            },
            table=None,
        )
    with browser_page(browser, live_edge, viewport={"width": 820, "height": 1180}) as page:
        open_screen(page, "?view=expo")
        expect(page.locator(".expo-held")).to_have_count(1)
        gaps = page.evaluate(
            """() => [...document.querySelectorAll(".expo-card")].map((card) => {
              const foot = card.querySelector(".tile-actions").getBoundingClientRect();
              return Math.round(card.getBoundingClientRect().bottom - card.clientTop - foot.bottom);
            })"""
        )
        page.screenshot(path=SCREENSHOTS / "kds-expo-row.png")
        assert gaps == [0, 0], f"blank below the buttons: {gaps} px"
