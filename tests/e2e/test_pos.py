"""The POS in Chromium against a real edge and a printer emulator: a cashier's whole shift."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import sqlite3

import httpx
import zxingcpp
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from edge.api.app import create_app
from galley.pay_sandbox import Sandbox
from printers.emulator import run_in_thread
from tests.e2e.conftest import (
    PINS,
    SCREENSHOTS,
    Console,
    LiveEdge,
    browser_page,
    unplugged_printer,
)
from tests.e2e.test_guest import Sockets
from tests.e2e.test_layout import REACHABLE, SIZES
from tests.live import serve

CASHIER = "Carla Mendes"
MANAGER = "Marco Ferreira"


def pos_sign_in(page: Page, name: str) -> None:
    page.goto("/pos/")
    page.get_by_role("button", name=name).click()
    page.keyboard.type(PINS[name])
    page.keyboard.press("Enter")
    expect(page.locator(".pos-top .who-name")).to_have_text(name)


def print_receipts_on(owner: httpx.Client, port: int) -> None:
    """The demo's receipt printer pointed at a printer emulator on `port`."""
    receipt = next(p for p in owner.get("/api/printers").json() if p["role"] == "receipt")
    transport = {"kind": "network", "host": "127.0.0.1", "port": port}
    moved = owner.patch(f"/api/printers/{receipt['id']}", json={"transport": transport})
    assert moved.status_code == 200, moved.text


def open_shift(page: Page, float_: str) -> None:
    """Open the till's shift with `float_` (as typed); the chip says so."""
    page.get_by_role("button", name="Shift F6").click()
    page.get_by_label("Float").fill(float_)
    page.get_by_role("button", name="Open shift").click()
    expect(page.locator(".shift-chip")).to_contain_text("Shift open")


def desserts_to_pay(page: Page) -> Locator:
    """A cheesecake and a pastel de nata rung up (€8.50) and the pay dialog open for them."""
    page.get_by_role("tab", name="Desserts").click()
    page.locator('.pos-item[data-item="Cheesecake"]').click()
    page.locator('.pos-item[data-item="Pastel de nata"]').click()
    page.get_by_role("button", name="Pay F2").click()
    pay = page.locator("dialog.pos-modal-wide")
    expect(pay.locator(".pay-total dd")).to_contain_text("8.50")
    return pay


def money(text: str) -> int:
    """€12.50 -> 1250, -€0.02 -> -2."""
    value = int(re.sub(r"\D", "", text))
    return -value if re.search("[-\u2212]", text) else value


def test_a_cashier_rings_up_splits_pays_two_ways_and_the_z_report_shows_the_variance(
    page: Page, live_edge: LiveEdge
):
    with run_in_thread() as emulator, live_edge.client() as owner:
        print_receipts_on(owner, emulator.port)

        pos_sign_in(page, CASHIER)
        # The shift opens with a float.
        open_shift(page, "100.00")

        # A walk-in: a sea bass with its side (a choice the group requires), found by search,
        # and two natas from the grid.
        page.get_by_role("button", name="Sale", exact=True).click()
        page.get_by_label("Search or scan").fill("sea bass")
        page.locator('.pos-item[data-item="Grilled sea bass"]').click()
        dialog = page.locator("dialog.pos-modal")
        add = dialog.get_by_role("button", name="Add")
        expect(add).to_be_disabled()  # the side is required
        dialog.get_by_role("button", name="Sweet potato").click()
        expect(add).to_be_enabled()
        add.click()
        page.get_by_label("Search or scan").fill("")
        page.get_by_role("tab", name="Desserts").click()
        nata = page.locator('.pos-item[data-item="Pastel de nata"]')
        nata.click()
        nata.click()
        expect(page.locator(".ticket-line")).to_have_count(2)
        expect(page.locator(".ticket-line").first).to_contain_text("Sweet potato")
        page.screenshot(path=str(SCREENSHOTS / "pos-sale.png"))

        # Pay, split in two.
        page.get_by_role("button", name="Pay F2").click()
        pay = page.locator("dialog.pos-modal-wide")
        total = money(pay.locator(".pay-total dd").inner_text())
        assert total == 1950 + 150 + 2 * 250
        pay.get_by_role("button", name="2 ways").click()
        parts = pay.locator(".pay-part")
        expect(parts).to_have_count(2)
        first = money(parts.nth(0).locator(".num").inner_text())
        second = money(parts.nth(1).locator(".num").inner_text())
        assert first + second == total and abs(first - second) <= 1
        # Part one in cash: 20.00 given, the change shown.
        pay.get_by_label("Cash given").fill("20")
        pay.get_by_role("button", name="Take cash").click()
        expect(pay.locator(".msg-ok")).to_contain_text("Change")
        expect(parts.nth(0)).to_be_disabled()
        # Part two on the card terminal.
        pay.get_by_label("Terminal reference").fill("AUTH 991204")
        pay.get_by_role("button", name="Card paid").click()
        expect(pay.locator(".pay-done-title")).to_have_text("Paid")
        page.screenshot(path=str(SCREENSHOTS / "pos-paid.png"))
        pay.get_by_role("button", name="New sale").click()

        # The receipts reach the printer with the parts' totals (the drawer opened for the cash).
        jobs = emulator.wait_for_jobs(3, timeout=15)
        assert sum("drawer pulse" in job.text() for job in jobs) == 1
        texts = [job.text() for job in jobs if "drawer pulse" not in job.text()]
        amounts = {f"{first / 100:.2f}", f"{second / 100:.2f}"}
        assert all("TOTAL" in text for text in texts), texts
        assert {a for a in amounts if any(a in text for text in texts)} == amounts, texts
        # Each carries a QR code to its digital copy, which a phone opens (here: this browser).
        links = [job.qr[0] for job in jobs if job.qr]
        assert len(links) == 2 and all("/ui/receipt/index.html#" in link for link in links)
        page.goto("/ui/receipt/index.html#" + links[0].split("#", 1)[1])
        expect(page.locator(".receipt-total")).to_be_visible()
        shown = {money(page.locator(".receipt-total .num").inner_text())}
        assert shown <= {first, second}
        page.screenshot(path=str(SCREENSHOTS / "pos-digital-receipt.png"))
        page.goto("/pos/")
        expect(page.locator(".pos-top .who-name")).to_have_text(CASHIER)

        # Close the shift one euro short: the float and part one are expected in the drawer.
        page.get_by_role("button", name="Shift F6").click()
        expected = 10_000 + first
        counted = expected - 100
        notes = {10_000: counted // 10_000}
        left = counted % 10_000
        for coin in (5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1):
            notes[coin], left = divmod(left, coin)
        for value, count in notes.items():
            if count:
                page.locator(f'input[name="count-{value}"]').fill(str(count))
        page.get_by_role("button", name="Close shift").click()
        confirm = page.get_by_role("dialog", name="Close the shift?")
        expect(confirm).to_contain_text("The count is final")
        assert money(re.search(r"You counted (\S+)\.", confirm.inner_text())[1]) == counted
        page.screenshot(path=str(SCREENSHOTS / "pos-shift-close-confirm.png"))
        confirm.get_by_role("button", name="Yes, close it").click()
        result = page.locator(".shift-result")
        expect(result).to_contain_text("Short")
        assert money(result.locator(".shift-variance dd").inner_text()) == -100  # short by €1
        page.screenshot(path=str(SCREENSHOTS / "pos-shift-closed.png"))
        page.get_by_role("button", name="Sign out").click()
        expect(page.locator(".signin-sub")).to_have_text("Signed out.")

        # The manager closes the day: the Z report shows the shortfall, and prints.
        pos_sign_in(page, MANAGER)
        page.get_by_role("button", name="Shift F6").click()
        page.get_by_role("button", name="Z report (close the day)").click()
        report = page.locator('.report[data-kind="z"]')
        expect(report.locator('[data-row="Over/short"] dd')).to_contain_text("1.00")
        assert money(report.locator('[data-row="Sales"] dd').inner_text()) == total
        page.screenshot(path=str(SCREENSHOTS / "pos-z-report.png"))
        z = emulator.wait_for_jobs(4, timeout=15)[-1].text()
        assert "Z REPORT" in z and "Over/short" in z
        # It stands first among the earlier reports, and prints again from there as it was made.
        made = page.locator(".report-row").first
        expect(made).to_contain_text("Z ·")
        made.get_by_role("button", name=re.compile(r"^Print the Z report of .* again$")).click()
        again = emulator.wait_for_jobs(5, timeout=15)[-1].text()
        assert "REPRINT" in again and "Z REPORT" in again and "Over/short" in again, again
        page.screenshot(path=str(SCREENSHOTS / "pos-reports.png"))


def receipt_token(live_edge: LiveEdge, check_id: str) -> str:
    """The key of a paid check's digital receipt, which its printed QR code carries."""
    with contextlib.closing(sqlite3.connect(live_edge.settings.database)) as conn:
        (token,) = conn.execute(
            "SELECT receipt_token FROM checks WHERE id = ?", (check_id,)
        ).fetchone()
    return token


def test_a_digital_receipt_paid_in_cash_says_its_rounding_and_adds_up(
    page: Page, live_edge: LiveEdge
):
    """A store that rounds cash to 5 cents: the digital receipt, as the paper one, says the
    rounding, so that its tenders come to its total and rounding plus change (it said neither
    and did not add up)."""
    with live_edge.client() as owner:
        assert owner.patch("/api/pos/settings", json={"cash_rounding": 5}).status_code == 200
        menu = owner.get("/api/menu").json()
        prawns = next(
            i for c in menu["categories"] for i in c["items"] if i["name"] == "Garlic prawns"
        )
        order = owner.post(
            "/api/orders", json={"kind": "counter", "lines": [{"item_id": prawns["id"]}]}
        )
        check = owner.post("/api/checks", json={"order_id": order.json()["id"]}).json()
        assert owner.post("/api/shifts", json={"float": 0}).status_code == 201
        card = {
            "method": "card",
            "amount": check["total"] - 7,
            "reference": "T1",
        }  # 7 left: 5 in cash
        assert owner.post(f"/api/checks/{check['id']}/payments", json=card).status_code == 201
        cash = owner.post(
            f"/api/checks/{check['id']}/payments", json={"method": "cash", "given": 1000}
        )
        assert cash.status_code == 201, cash.text
        rounding = cash.json()["payment"]["rounding"]
        assert rounding == -2
    page.goto(f"/ui/receipt/index.html#{receipt_token(live_edge, check['id'])}")
    expect(page.locator(".receipt-total")).to_be_visible()  # drawn once the box answered
    rows = {
        row.locator("span").first.inner_text(): money(row.locator(".num").inner_text())
        for row in page.locator(".receipt-sums .receipt-row").all()
    }
    assert rows["Cash rounding"] == rounding
    page.screenshot(path=str(SCREENSHOTS / "receipt-cash-rounding.png"))
    assert rows["Card"] + rows["Cash"] == rows["Total"] + rows["Cash rounding"] + rows["Change"]


def test_a_digital_receipt_reads_amounts_in_the_digits_the_box_keeps_them_in(
    page: Page, live_edge: LiveEdge
):
    """A store in forints (kept in fillér, 2 digits, as ISO has it) or Iraqi dinars (3): the
    digital receipt read the amounts with the browser's own digits for the currency (0 for
    both), so a HUF 12.50 total said "HUF 1,250", and an IQD 12.500 one "IQD 12,500". It reads
    them in the box's digits, as the POS and the paper do."""
    for currency, digits in (("HUF", 2), ("IQD", 3)):
        with live_edge.client() as owner:  # a till of its own each time
            assert owner.patch("/api/store", json={"currency": currency}).status_code == 200
            assert owner.post("/api/shifts", json={"float": 0}).status_code == 201
            check = one_line_check(live_edge)
            card = {"method": "card", "reference": "T1"}
            paid = owner.post(f"/api/checks/{check['id']}/payments", json=card)
            assert paid.status_code == 201, paid.text
        page.goto(f"/ui/receipt/index.html#{receipt_token(live_edge, check['id'])}")
        page.reload()  # the second receipt: a new fragment alone loads nothing
        total = page.locator(".receipt-total .num")
        units, fraction = divmod(check["total"], 10**digits)
        expect(total).to_contain_text(f"{units:,}.{fraction:0{digits}d}")


@contextlib.contextmanager
def paying_edge(settings, **options):
    """A sandbox payment provider and a live edge that pays through it (its webhooks signed
    with the e2e secret), each on a free 127.0.0.1 port."""
    sandbox = Sandbox(secret=b"whsec-e2e", **options)
    with serve(sandbox.app()) as provider_url:
        sandbox.base_url = provider_url
        paying = dataclasses.replace(
            settings, pay_url=provider_url, pay_webhook_secrets="whsec-e2e", print_workers=False
        )
        with serve(create_app(paying)) as url:
            yield sandbox, LiveEdge(url, paying)


def test_a_table_pays_by_qr_and_the_pos_offers_the_rest_when_the_provider_is_down(
    browser, settings
):
    with paying_edge(settings) as (sandbox, edge):
        console = Console()
        console.allow_refusal(503, "/api/checks/")  # the provider down, on purpose
        with browser_page(browser, edge, console) as page:
            pos_sign_in(page, CASHIER)
            page.get_by_label("Search or scan").fill("prawns")
            page.locator('.pos-item[data-item="Garlic prawns"]').click()
            page.get_by_role("button", name="Pay F2").click()
            pay = page.locator("dialog.pos-modal-wide")
            pay.get_by_role("button", name="QR bill").click()
            link = pay.get_by_role("link", name="pay link")
            expect(link).to_be_visible()
            # The till draws the code itself: a QR reader finds the pay link in it.
            code = pay.locator(".pay-qr img")
            expect(code).to_be_visible()
            page.wait_for_function(
                "document.querySelector('.pay-qr img').naturalWidth > 0", timeout=5_000
            )
            page.screenshot(path=str(SCREENSHOTS / "pos-pay-qr.png"))
            shot = Image.open(io.BytesIO(code.screenshot())).convert("L")
            found = zxingcpp.read_barcodes(shot, formats=zxingcpp.BarcodeFormat.QRCode)
            assert [c.text for c in found] == [link.get_attribute("href")]
            # The guest pays on their phone; no webhook reaches this box (its guest address
            # is not this machine): the POS sees it paid by asking the provider.
            assert httpx.post(link.get_attribute("href")).json()["status"] == "succeeded"
            expect(pay.locator(".pay-done-title")).to_have_text("Paid", timeout=10_000)
            page.screenshot(path=str(SCREENSHOTS / "pos-paid-at-table.png"))
            pay.get_by_role("button", name="New sale").click()
            # The provider goes down: the POS says so; cash still works.
            sandbox.down = True
            page.get_by_label("Search or scan").fill("prawns")
            page.locator('.pos-item[data-item="Garlic prawns"]').click()
            page.get_by_role("button", name="Pay F2").click()
            qr_bill = pay.get_by_role("button", name="QR bill")
            qr_bill.click()
            expect(pay.locator(".pay-online")).to_contain_text("unavailable")
            expect(qr_bill).to_be_disabled()


def test_five_items_and_cash_take_seven_taps_on_a_tablet(browser, live_edge: LiveEdge):
    with browser_page(
        browser, live_edge, viewport={"width": 820, "height": 1180}, has_touch=True
    ) as page:
        pos_sign_in(page, CASHIER)
        open_shift(page, "50")
        page.get_by_role("button", name="Sale", exact=True).click()
        page.get_by_role("tab", name="Desserts").click()
        taps = 0
        for name in (
            "Pastel de nata",
            "Chocolate mousse",
            "Cheesecake",
            "Pastel de nata",
            "Seasonal fruit",
        ):
            page.locator(f'.pos-item[data-item="{name}"]').tap()
            taps += 1
        page.get_by_role("button", name="Pay F2").tap()
        page.locator("dialog.pos-modal-wide .pay-quick .btn-primary").tap()
        taps += 2
        expect(page.locator(".pay-done-title")).to_have_text("Paid")
        assert taps < 10
        page.screenshot(path=str(SCREENSHOTS / "pos-tablet-paid.png"))


VIEWPORTS = {"phone": (360, 740), "tablet": (1024, 768), "wall": (1920, 1080)}


# Whether the search field's placeholder fits in it, measured in the field's own font.
HINT_FITS = """() => {
  const field = document.querySelector(".pos-search");
  const style = getComputedStyle(field);
  const pen = document.createElement("canvas").getContext("2d");
  pen.font = style.font;
  const room = field.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return pen.measureText(field.placeholder).width <= room;
}"""


def test_every_view_fits_a_phone_a_tablet_and_a_wall_screen(page: Page, live_edge: LiveEdge):
    page.goto("/pos/")  # the kitchen's Kim is on the roster, not on the tiles: said in words
    expect(page.locator(".signin-foot")).to_have_text(
        "Only owners, managers, cashiers and waiters can sign in here."
    )
    pos_sign_in(page, CASHIER)
    # With a shift open, the chip says more (its float): still one line on a phone.
    open_shift(page, "150.00")
    page.locator('.pos-tab[data-view="sale"]').click()
    page.get_by_role("tab", name="Mains").click()
    page.locator('.pos-item[data-item="Grilled sea bass"]').click()
    page.locator("dialog.pos-modal").get_by_role("button", name="Fries").click()
    page.locator("dialog.pos-modal").get_by_role("button", name="Add").click()
    for screen, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        for view in ("Sale", "Checks", "Orders", "Shift"):
            page.locator(f'.pos-tab[data-view="{view.lower()}"]').click()
            expect(page.locator(f'.pos-tab[data-view="{view.lower()}"]')).to_have_attribute(
                "aria-current", "page"
            )
            expect(page.locator(".pos-view :is(.empty, .card, .pos-item)").first).to_be_visible()
            wide = page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
            page.screenshot(
                path=str(SCREENSHOTS / f"pos-{screen}-{view.lower()}.png"), full_page=True
            )
            assert wide, f"{view} scrolls sideways on a {screen}"
            # The top bar keeps to one line, the four tabs to one row, the shift chip is a
            # finger's size.
            assert page.locator(".pos-top").bounding_box()["height"] < 70, f"top bar on a {screen}"
            tops = {round(t.bounding_box()["y"]) for t in page.locator(".pos-tab").all()}
            assert len(tops) == 1, f"the tabs wrap on a {screen}"
            assert page.locator(".shift-chip").bounding_box()["height"] >= 40
            if view == "Sale":
                assert page.evaluate(HINT_FITS), f"the search field's hint is cut on a {screen}"


def test_a_touch_tills_chips_take_a_fingertip_and_a_cut_off_strip_says_so(
    browser, live_edge: LiveEdge
):
    """The categories and the order log's filters are tapped all day on a counter tablet: 44
    px, as every other target on a touch screen (they were 40). On a phone the categories run
    past the edge: the strip fades there, as the admin's strips do, so "Drinks" is not lost."""
    touch = {"has_touch": True, "is_mobile": True}
    for width, height in ((1024, 768), (390, 844)):
        with browser_page(
            browser, live_edge, viewport={"width": width, "height": height}, **touch
        ) as till:
            pos_sign_in(till, CASHIER)
            expect(till.locator(".pos-chip").first).to_be_visible()
            till.screenshot(path=str(SCREENSHOTS / f"pos-touch-{width}.png"))
            for view in ("sale", "orders"):
                till.locator(f'.pos-tab[data-view="{view}"]').tap()
                expect(till.locator(".pos-chip").first).to_be_visible()
                sizes = till.evaluate(SIZES, ".pos-chip, .pos-tab, .pos-item, .pos-top .btn")
                assert [s for s in sizes if s["height"] < 44] == [], (width, view)
                assert till.evaluate(REACHABLE, ".pos-chip") == [], (width, view)


def test_a_printer_problem_leaves_pay_on_the_screen(browser, live_edge: LiveEdge):
    """A printer went offline: the red banner under the top bar pushed the sale down by its
    height, and Send and Pay sat half under the bottom edge of a counter tablet lying down and
    of a wall-sized till, out of reach until the cashier scrolled."""
    with live_edge.client() as http:
        unplugged_printer(http)
    for width, height in ((1024, 768), (1920, 1080)):
        viewport = {"width": width, "height": height}
        with browser_page(browser, live_edge, viewport=viewport, has_touch=True) as till:
            pos_sign_in(till, CASHIER)
            expect(till.locator(".printer-alert")).to_contain_text("Bar tickets")
            till.locator(".pos-item").first.click()
            till.screenshot(path=str(SCREENSHOTS / f"pos-printer-problem-{width}.png"))
            for button in ("Send", "Pay F2"):
                box = till.get_by_role("button", name=button, exact=True).bounding_box()
                assert box and box["y"] + box["height"] <= height, f"{button} cut at {width}"


def test_the_till_says_when_it_has_lost_the_box(browser, live_edge: LiveEdge, console: Console):
    """The box unreachable (the tablet off the Wi-Fi): the kitchen screen and the handheld say
    so in a red band, the till only turned its "Live" pill to "Offline" (on a phone, a dot),
    and a cashier kept ringing up sales that could not be sent or paid."""
    console.allow_lost("/api/")
    with browser_page(browser, live_edge, console, viewport={"width": 1024, "height": 768}) as till:
        sockets = Sockets(till)
        pos_sign_in(till, CASHIER)
        lost = till.get_by_role("alert").filter(has_text="No connection to the box")
        expect(lost).to_be_hidden()
        sockets.drop()
        till.context.route("**/api/**", lambda route: route.abort())
        expect(lost).to_be_visible(timeout=15000)
        till.screenshot(path=str(SCREENSHOTS / "pos-offline.png"))
        till.context.unroute("**/api/**")
        sockets.restore()
        till.evaluate("window.dispatchEvent(new Event('online'))")
        expect(lost).to_be_hidden(timeout=15000)


# The words of an element that stand outside its box (less its border and padding).
OUTSIDE = """(tile) => {
  const style = getComputedStyle(tile);
  const box = tile.getBoundingClientRect();
  const left = box.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft);
  const right = box.right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight);
  const range = document.createRange();
  range.selectNodeContents(tile);
  const round = (r) => `${Math.round(r.left)}-${Math.round(r.right)}`;
  return [...range.getClientRects()].filter((r) => r.left < left - 0.5 || r.right > right + 0.5)
    .map((r) => `${round(r)} in ${round({ left, right })}`);
}"""


def test_a_long_table_name_stays_inside_its_button_on_the_checks_view(browser, live_edge: LiveEdge):
    """A table named "Terrace fountain 12" (20 letters, the most a name may have): on the
    till's Checks view "fountain" ran over its button's edges, the button having almost no
    padding."""
    with live_edge.client() as http:
        floor = http.get("/api/tables").json()
        five = next(t for a in floor for t in a["tables"] if t["name"] == "5")
        renamed = http.patch(f"/api/tables/{five['id']}", json={"name": "Terrace fountain 12"})
        assert renamed.status_code == 200, renamed.text
    for width, height in ((390, 844), (820, 1180)):
        with browser_page(browser, live_edge, viewport={"width": width, "height": height}) as till:
            pos_sign_in(till, CASHIER)
            till.locator('.pos-tab[data-view="checks"]').click()
            table = till.locator(".pos-table", has_text="Terrace fountain 12")
            expect(table).to_be_visible()
            outside = table.evaluate(OUTSIDE)
            till.screenshot(path=str(SCREENSHOTS / f"pos-long-table-{width}.png"))
            assert outside == [], f"the name runs out of its button at {width}: {outside}"


def test_a_dear_dishs_tile_keeps_its_number_inside(browser, live_edge: LiveEdge):
    """A dish at €1,000,000.00 (the most a price may be): its tile's number ("#104") ran out
    of the tile's right edge, over the next tile, on a phone, a tablet and a wall screen."""
    with live_edge.client() as http:
        menu = http.get("/api/menu").json()
        dish = next(i for c in menu["categories"] for i in c["items"] if i["name"] == "Burrata")
        dear = {"price": 100_000_000}
        assert http.patch(f"/api/menu/items/{dish['id']}", json=dear).is_success
    for width, height in ((390, 844), (820, 1180), (1920, 1080)):
        viewport = {"width": width, "height": height}
        with browser_page(browser, live_edge, viewport=viewport) as till:
            pos_sign_in(till, CASHIER)
            tile = till.locator('.pos-item[data-item="Burrata"]')
            expect(tile).to_contain_text("€1,000,000.00")
            outside = tile.evaluate(OUTSIDE)
            assert outside == [], f"{outside} out of the tile at {width}"


def party_at_table_1(live_edge: LiveEdge, price: int | None = None) -> None:
    """Forty lines sent for table 1 (a party), of dishes without choices; each `price` (minor
    units) when given, as a dearer menu's would be."""
    with live_edge.client() as http:
        menu = http.get("/api/menu").json()
        plain = [i for c in menu["categories"] for i in c["items"] if not i["modifier_group_ids"]]
        if price is not None:
            for item in plain:
                assert http.patch(f"/api/menu/items/{item['id']}", json={"price": price}).is_success
        floor = http.get("/api/tables").json()
        table = next(t for a in floor for t in a["tables"] if t["name"] == "1")
        lines = [{"item_id": plain[n % len(plain)]["id"]} for n in range(40)]
        order = {"kind": "table", "table_id": table["id"], "lines": lines, "send": True}
        assert http.post("/api/orders", json=order).status_code == 201


def pay_table_1(till: Page) -> Locator:
    """The pay dialog of table 1's check, opened from the till's Checks view."""
    pos_sign_in(till, CASHIER)
    till.locator('.pos-tab[data-view="checks"]').click()
    till.locator(".pos-table", has_text=re.compile(r"^1$")).click()
    pay = till.locator("dialog.pos-modal-wide")
    expect(pay.locator(".pay-lines li")).to_have_count(40)
    return pay


def test_a_partys_forty_line_check_leaves_its_total_and_the_cash_in_reach(
    browser, live_edge: LiveEdge
):
    """Forty lines on one check: on an upright tablet the cashier had to scroll past every line
    to see the total and reach the cash; the lines now scroll in their own box."""
    party_at_table_1(live_edge)
    for width, height in ((820, 1180), (1920, 1080)):
        viewport = {"width": width, "height": height}
        with browser_page(browser, live_edge, viewport=viewport, has_touch=True) as till:
            pay = pay_table_1(till)
            till.screenshot(path=str(SCREENSHOTS / f"pos-pay-forty-lines-{width}.png"))
            for part in (".pay-total", ".pay-tools", ".pay-due", ".pay-quick .btn-primary"):
                box = pay.locator(part).bounding_box()
                assert box and box["y"] + box["height"] <= height, f"{part} out of sight at {width}"
            last = pay.locator(".pay-lines li").last
            last.scroll_into_view_if_needed()
            expect(last).to_be_in_viewport()


def test_the_quick_cash_buttons_show_their_amounts_whole_on_a_phone(browser, live_edge: LiveEdge):
    """A party's bill of four figures on a phone: "Exact €5,000.00" was wider than its half of
    the row and was cut at both ends ("act €5,000.")."""
    party_at_table_1(live_edge, price=12500)
    for width, height in ((360, 740), (390, 844), (820, 1180)):
        viewport = {"width": width, "height": height}
        phone = {"viewport": viewport, "has_touch": True, "is_mobile": True}
        with browser_page(browser, live_edge, **phone) as till:
            pay = pay_table_1(till)
            expect(pay.locator(".pay-quick .btn-primary")).to_have_text("Exact €5,000.00")
            pay.locator(".pay-quick").scroll_into_view_if_needed()
            till.screenshot(path=str(SCREENSHOTS / f"pos-pay-quick-{width}.png"))
            cut = pay.locator(".pay-quick .btn").evaluate_all(
                "(all) => all.filter((b) => b.scrollWidth > b.clientWidth + 1)"
                ".map((b) => b.textContent)"
            )
            assert cut == [], f"cut at {width}: {cut}"


def test_exact_cash_in_a_store_that_rounds_cash_pays_the_rounded_amount(
    page: Page, live_edge: LiveEdge, console: Console
):
    """A Swedish store takes cash in whole kronor: a bill of 8.50 kr is 9 kr in cash. "Exact"
    offered 8.50 kr, and the box, asking 9 kr, refused it ("Cash given is less than is owed"):
    the seven-tap cash sale failed on every bill that rounds up. Exact is what the box takes
    in cash, and the notes above it follow."""
    with live_edge.client() as owner:
        assert owner.patch("/api/store", json={"currency": "SEK"}).status_code == 200
        rounding = owner.patch("/api/pos/settings", json={"cash_rounding": 100})
        assert rounding.status_code == 200, rounding.text
    pos_sign_in(page, CASHIER)
    open_shift(page, "100.00")
    page.get_by_role("button", name="Sale", exact=True).click()
    pay = desserts_to_pay(page)
    exact = pay.locator(".pay-quick .btn-primary")
    expect(exact).to_have_text("Exact SEK 9.00")
    expect(pay.locator(".pay-quick .btn").nth(1)).to_have_text("SEK 10.00")
    exact.click()
    expect(pay.locator(".pay-done-title")).to_have_text("Paid")
    with contextlib.closing(sqlite3.connect(live_edge.settings.database)) as conn:
        cash = conn.execute("SELECT given, rounding, change FROM payments").fetchall()
    assert cash == [(900, 50, 0)]


def test_a_drawer_is_counted_in_the_notes_and_coins_of_the_stores_currency(
    page: Page, live_edge: LiveEdge
):
    """The close's blind count offered the euro's notes and coins whatever the store's money:
    an American till had no quarter to count (its declared cash came out short by every
    quarter in the drawer), a Kuwaiti one no quarter-dinar note, and a Hungarian one none of
    the forint notes from 1,000 to 20,000. Each store counts in its own currency's."""
    pos_sign_in(page, CASHIER)
    for currency, counts, declared in (
        ("USD", {"$0.25": 4, "$100.00": 1}, 10_100),
        ("KWD", {"KWD 0.250": 2, "KWD 20.000": 1}, 20_500),
        ("HUF", {"HUF 20,000.00": 1, "HUF 1,000.00": 3}, 2_300_000),
    ):
        with live_edge.client() as owner:
            assert owner.patch("/api/store", json={"currency": currency}).status_code == 200
        page.reload()  # the till reads the store's currency as it starts
        open_shift(page, "0")
        for label, count in counts.items():
            page.get_by_label(f"How many {label}", exact=True).fill(str(count))
        page.locator(".shift-close").screenshot(path=str(SCREENSHOTS / f"pos-count-{currency}.png"))
        page.get_by_role("button", name="Close shift").click()
        page.get_by_role("button", name="Yes, close it").click()
        expect(page.locator(".shift-result")).to_be_visible()
        with contextlib.closing(sqlite3.connect(live_edge.settings.database)) as conn:
            (counted,) = conn.execute(
                "SELECT declared FROM shifts ORDER BY id DESC LIMIT 1"
            ).fetchone()
        assert counted == declared, currency


def test_the_tills_examples_of_an_amount_are_in_the_stores_money(page: Page, live_edge: LiveEdge):
    """A yen till asked for the float "such as 100.00" (its placeholder too), and refused that
    very amount: a yen has no decimals. The examples follow the store's money: 100 in yen,
    100.000 in dinars, 100.00 in euros."""
    pos_sign_in(page, CASHIER)
    for currency, example in (("JPY", "100"), ("KWD", "100.000")):
        with live_edge.client() as owner:
            assert owner.patch("/api/store", json={"currency": currency}).status_code == 200
        page.reload()  # the till reads the store's currency as it starts
        page.get_by_role("button", name="Shift F6").click()
        float_ = page.get_by_label("Float")
        expect(float_).to_have_attribute("placeholder", example)
        float_.fill("1.2345")
        page.get_by_role("button", name="Open shift").click()
        expect(page.locator(".shift .msg-error")).to_have_text(
            f"Type the float in the drawer, such as {example}."
        )


def test_a_void_and_a_refund_with_a_managers_pin_at_the_till_and_the_refunds_slip(
    page: Page, live_edge: LiveEdge, console: Console
):
    """A cashier voids a line and refunds part of a cash sale, each with the manager's PIN. The
    refund's slip prints at once on the till's printer (as the receipt did once paid); the
    check lists the refund with Print slip, which prints a COPY; the guest's digital receipt
    shows the refund and the net."""
    # The till asks without a PIN first: the box answers that a manager must approve.
    console.allow_refusal(403, "/api/order-lines/")
    console.allow_refusal(403, "/api/payments/")
    with run_in_thread() as emulator, live_edge.client() as owner:
        print_receipts_on(owner, emulator.port)
        page.set_viewport_size({"width": 1920, "height": 1080})
        pos_sign_in(page, CASHIER)
        open_shift(page, "50")
        page.get_by_role("button", name="Sale", exact=True).click()
        pay = desserts_to_pay(page)

        def approve(reason: str, button: str) -> None:
            dialog = page.locator("dialog.pos-modal").last
            dialog.get_by_label("Reason").fill(reason)
            dialog.get_by_role("button", name=button).click()
            approval = page.locator("dialog.pos-modal").last
            approval.get_by_role("button", name=MANAGER).click()
            page.keyboard.type(PINS[MANAGER])
            page.keyboard.press("Enter")

        pay.get_by_role("button", name="Void Cheesecake").click()
        approve("sent by mistake", "Void")
        expect(pay.locator(".pay-total dd")).to_contain_text("2.50")
        pay.locator(".pay-quick .btn-primary").click()
        expect(pay.locator(".pay-done-title")).to_have_text("Paid")
        pay.get_by_role("button", name="Refund…").click()
        page.locator("dialog.pos-modal").last.get_by_label("Amount").fill("1.00")
        approve("cold coffee", "Refund")
        expect(pay.locator(".pay-payment")).to_contain_text("refunded €1.00")
        expect(pay.locator(".msg-ok")).to_have_text("Refunded €1.00 · the refund slip is printing.")
        refund = pay.locator(".pay-refund")
        expect(refund).to_contain_text("Refund · Cash")
        assert money(refund.locator("dd").inner_text()) == -100
        page.screenshot(path=str(SCREENSHOTS / "pos-refund-wall.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        refund.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "pos-refund-phone.png"))

        # the receipt, the drawer for the cash, the slip and the drawer for the cash refund
        slip = next(job for job in emulator.wait_for_jobs(4, timeout=15) if "REFUND" in job.lines)
        assert "COPY" not in slip.lines and "Reason: cold coffee" in slip.lines
        assert CASHIER in slip.text() and MANAGER in slip.text()
        assert "Guest's signature" in slip.lines
        refund.get_by_role("button", name="Print slip").click()
        expect(page.locator(".toast", has_text="Refund slip printing (copy)")).to_be_visible()
        copy = emulator.wait_for_jobs(5, timeout=15)[-1]
        assert "COPY" in copy.lines and "REFUND" in copy.lines

    with contextlib.closing(sqlite3.connect(live_edge.settings.database)) as conn:
        (token,) = conn.execute("SELECT receipt_token FROM checks WHERE status = 'paid'").fetchone()
    page.goto(f"/ui/receipt/index.html#{token}")
    expect(page.locator(".receipt-net")).to_be_visible()  # drawn once the box answered
    rows = {
        row.locator("span").first.inner_text(): money(row.locator(".num").inner_text())
        for row in page.locator(".receipt-sums .receipt-row").all()
    }
    assert rows["Refund, Cash"] == -100
    assert rows["Net paid"] == rows["Total"] - 100 == 250 - 100
    page.screenshot(path=str(SCREENSHOTS / "receipt-refunded-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.screenshot(path=str(SCREENSHOTS / "receipt-refunded-wall.png"))


def test_a_tip_reads_the_same_on_paper_and_on_the_digital_receipt(page: Page, live_edge: LiveEdge):
    """A card tender with a tip: the paper printed the card at what it was charged (the tip in
    it) and a Tip row under it, the digital receipt the card without its tip and the same Tip
    row: one said the guest paid 1.23 more than the other. Both now read, row for row, the
    total, the tip, then each tender as it was charged (the card with its tip, the cash as
    handed over) and the change: what was due and tipped above, what was handed over below."""
    with run_in_thread() as emulator, live_edge.client() as owner:
        print_receipts_on(owner, emulator.port)
        menu = owner.get("/api/menu").json()
        dishes = [i for c in menu["categories"] for i in c["items"] if i["name"] == "Burrata"]
        order = owner.post(
            "/api/orders", json={"kind": "counter", "lines": [{"item_id": dishes[0]["id"]}]}
        )
        check = owner.post("/api/checks", json={"order_id": order.json()["id"]}).json()
        assert owner.post("/api/shifts", json={"float": 0}).status_code == 201
        card = {"method": "card", "amount": 501, "tip": 123, "reference": "T1"}
        assert owner.post(f"/api/checks/{check['id']}/payments", json=card).status_code == 201
        cash = {"method": "cash", "given": 10_000}
        paid = owner.post(f"/api/checks/{check['id']}/payments", json=cash)
        assert paid.status_code == 201, paid.text
        (receipt,) = [job for job in emulator.wait_for_jobs(2, timeout=15) if job.cuts]
    lines = receipt.lines[next(i for i, line in enumerate(receipt.lines) if "TOTAL" in line) :]
    paper = []
    for line in lines:
        label, _, amount = line.rpartition(" ")
        if "€" in amount:
            paper.append((label.strip().capitalize(), money(amount)))
    assert paper == [
        ("Total", check["total"]),
        ("Tip", 123),
        ("Card", 501 + 123),
        ("Cash", 10_000),
        ("Change", paid.json()["change"]),
    ], receipt.text()
    page.goto(f"/ui/receipt/index.html#{receipt.qr[0].rpartition('#')[2]}")
    expect(page.locator(".receipt-total")).to_be_visible()  # drawn once the box answered
    shown = [
        (row.locator("span").first.inner_text(), money(row.locator(".num").inner_text()))
        for row in page.locator(".receipt-sums .receipt-row").all()
    ]
    assert shown[shown.index(paper[0]) :] == paper


def test_a_checks_service_charge_changes_at_the_till_with_a_managers_pin(
    page: Page, live_edge: LiveEdge, console: Console
):
    console.allow_refusal(403, "/api/checks/")  # asked without a PIN first: a manager's change
    pos_sign_in(page, CASHIER)
    pay = desserts_to_pay(page)

    def service(percent: str) -> None:
        pay.get_by_role("button", name="Service…").click()
        dialog = page.locator("dialog.pos-modal").last
        dialog.get_by_label("Percent of the check").fill(percent)
        page.screenshot(path=str(SCREENSHOTS / "pos-service-charge.png"))
        dialog.get_by_role("button", name="Apply").click()
        approval = page.locator("dialog.pos-modal").last
        expect(approval).to_contain_text("needs a manager")
        approval.get_by_role("button", name=MANAGER).click()
        page.keyboard.type(PINS[MANAGER])
        page.keyboard.press("Enter")

    service("10")
    expect(pay.locator(".pay-total dd")).to_contain_text("9.35")
    expect(pay.locator(".pay-sums")).to_contain_text("Service 10%")
    service("0")
    expect(pay.locator(".pay-total dd")).to_contain_text("8.50")
    expect(pay.locator(".pay-sums")).not_to_contain_text("Service")


def test_a_check_splits_by_items_at_the_till(page: Page, live_edge: LiveEdge):
    pos_sign_in(page, CASHIER)
    pay = desserts_to_pay(page)
    pay.get_by_role("button", name="By items…").click()
    page.locator("dialog.pos-modal").last.get_by_role("button", name="Split").click()
    parts = pay.locator(".pay-part")
    expect(parts).to_have_count(2)
    expect(parts.nth(0)).to_contain_text("6.00")
    expect(parts.nth(1)).to_contain_text("2.50")


def cancel_a_sent_order(page: Page) -> Locator:
    """The cashier sends a cheesecake and cancels it from the log, with a reason: the manager's
    approval the box then asks for."""
    pos_sign_in(page, CASHIER)
    page.get_by_role("tab", name="Desserts").click()
    page.locator('.pos-item[data-item="Cheesecake"]').click()
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator('.pos-tab[data-view="orders"]').click()
    page.get_by_role("tab", name="Sent").click()
    order = page.locator(".pos-order").first
    expect(order).to_contain_text("1 line ·")
    order.get_by_role("button", name="Cancel…").click()
    dialog = page.locator("dialog.pos-modal").last
    dialog.get_by_label("Reason").fill("guest left")
    dialog.get_by_role("button", name="Cancel order").click()
    return page.get_by_role("dialog", name="A manager's approval")


def test_orders_are_cancelled_from_the_log_a_sent_one_with_a_managers_pin(
    page: Page, live_edge: LiveEdge, console: Console
):
    console.allow_refusal(403, "/api/orders/")  # asked without a PIN first, on purpose
    cancel_a_sent_order(page).get_by_role("button", name=MANAGER).click()
    page.keyboard.type(PINS[MANAGER])
    page.keyboard.press("Enter")
    expect(page.locator(".toast", has_text="cancelled")).to_be_visible()
    expect(page.locator(".pos-log")).to_contain_text("No orders here.")
    page.get_by_role("tab", name="Voided").click()
    expect(page.locator(".pos-order")).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "pos-order-log-voided.png"))


def test_a_managers_mistyped_pin_keeps_the_cashier_signed_in_and_asks_again(
    page: Page, live_edge: LiveEdge, console: Console
):
    """A manager mistyping their PIN on the cashier's approval signed the cashier out: the box
    answered 401, which every page takes for the end of its own sign-in. The pad says the PIN
    was wrong, the cashier stays, and the right PIN then goes through."""
    console.allow_refusal(403, "/api/orders/")  # asked without a PIN, then with a wrong one
    approval = cancel_a_sent_order(page)
    approval.get_by_role("button", name=MANAGER).click()
    page.keyboard.type("9999")
    page.keyboard.press("Enter")
    expect(approval).to_contain_text("wrong PIN")
    expect(page.locator(".pos-top .who-name")).to_have_text(CASHIER)
    page.keyboard.type(PINS[MANAGER])
    page.keyboard.press("Enter")
    expect(page.locator(".toast", has_text="cancelled")).to_be_visible()


def test_a_qr_bill_paid_after_the_till_took_the_check_shows_owed_back_on_the_pos_and_in_the_audit(
    browser, settings
):
    """The guest paid the QR bill as the cashier took cash: the POS listed no check and said
    nothing, the money sat on a paid check. The check is listed as owed back, its dialog says
    why, and the audit names it, on a phone and on a wall screen."""
    with paying_edge(settings, deliver=False) as (sandbox, edge):
        with edge.client(MANAGER) as http:
            menu = http.get("/api/menu/all").json()
            prawns = next(
                i["id"]
                for c in menu["categories"]
                for i in c["items"]
                if i["name"] == "Garlic prawns"
            )
            order = http.post(
                "/api/orders", json={"kind": "counter", "lines": [{"item_id": prawns}]}
            ).json()
            check = http.post("/api/checks", json={"order_id": order["id"]}).json()
            link = http.post(f"/api/checks/{check['id']}/pay-link").json()
            assert http.post("/api/shifts", json={"float": 0}).status_code == 201
            cash = http.post(f"/api/checks/{check['id']}/payments", json={"method": "cash"})
            assert cash.status_code == 201
            intent = sandbox.intents[link["provider_ref"]]
            intent["status"] = "succeeded"  # the guest paid in the same second
            body = sandbox.event(intent)
            hook = http.post("/api/pay/webhook", content=body, headers=sandbox.headers(body))
            assert hook.status_code == 200
        owed = f"Owed back €{link['amount'] // 100}.{link['amount'] % 100:02d}"
        for size, (width, height) in (("phone", (390, 844)), ("wall", (1920, 1080))):
            viewport = {"width": width, "height": height}
            with browser_page(browser, edge, viewport=viewport) as page:
                pos_sign_in(page, MANAGER)
                page.locator('.pos-tab[data-view="checks"]').click()
                listed = page.locator(".pos-check", has_text=check["label"])
                expect(listed.locator(".pos-owed")).to_have_text(owed)
                page.screenshot(path=str(SCREENSHOTS / f"pos-owed-back-{size}.png"))
                listed.click()
                pay = page.locator("dialog.pos-modal-wide")
                expect(pay.get_by_role("alert")).to_contain_text("QR bill paid after")
                page.screenshot(path=str(SCREENSHOTS / f"pos-owed-back-dialog-{size}.png"))
                page.goto("/admin/#/audit")
                page.get_by_role("button", name=MANAGER).click()
                page.keyboard.type(PINS[MANAGER])
                page.keyboard.press("Enter")
                page.get_by_label("What").select_option(label="QR bills (pay at table)")
                page.get_by_role("button", name="Show").click()
                row = page.locator("tr.audit-row", has_text="QR bill paid after its check")
                expect(row).to_have_count(1)
                expect(row).to_contain_text("Refund the online payment")
                page.screenshot(path=str(SCREENSHOTS / f"audit-late-qr-bill-{size}.png"))


LONG_MANAGER = "Maria da Conceição Albuquerque Vasconcelos de Sá"
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def refunded_sale(live_edge: LiveEdge, refunds: int) -> dict:
    """A counter sale of a €123,456.00 dish, less a discount with a long reason, paid by card
    (the owner's) and refunded `refunds` times; its order, as the POS's order log lists it."""
    with live_edge.client() as owner:
        menu = owner.get("/api/menu/all").json()
        prawns = next(
            i for c in menu["categories"] for i in c["items"] if i["name"] == "Garlic prawns"
        )
        assert owner.patch(f"/api/menu/items/{prawns['id']}", json={"price": 12345600}).is_success
        order = owner.post(
            "/api/orders", json={"kind": "counter", "lines": [{"item_id": prawns["id"]}]}
        ).json()
        check = owner.post("/api/checks", json={"order_id": order["id"]}).json()
        off = {"kind": "fixed", "value": 1234750, "reason": "Regulars' birthday, friends of Évora"}
        assert owner.post(f"/api/checks/{check['id']}/discounts", json=off).is_success
        assert owner.post("/api/shifts", json={"float": 0}).status_code == 201
        due = owner.get(f"/api/checks/{check['id']}").json()["total"]
        card = {"method": "card", "amount": due, "reference": "AUTH 99887766"}
        paid = owner.post(f"/api/checks/{check['id']}/payments", json=card)
        assert paid.status_code == 201, paid.text
        for n in range(refunds):
            back = {"amount": 123400 + n, "reason": f"refund {n + 1}"}
            refunded = owner.post(f"/api/payments/{paid.json()['payment']['id']}/refund", json=back)
            assert refunded.is_success, refunded.text
    return order


def open_from_the_log(till: Page, order: dict) -> Locator:
    """The pay dialog of a paid order, opened from the POS's order log (to refund it)."""
    till.locator('.pos-tab[data-view="orders"]').click()
    till.get_by_role("tab", name="Paid").click()
    listed = till.locator(".pos-order", has_text=f"#{order['number']} ")
    listed.get_by_role("button", name="Refund…").click()
    return till.locator("dialog.pos-modal-wide")


# The texts in `selector` that run over more than one line (a Range has a box per line).
BROKEN = """(selector) => [...document.querySelectorAll(selector)].filter((el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
}).map((el) => el.textContent)"""


def test_a_refunds_and_a_discounts_amounts_keep_their_minus_sign_on_a_phone(
    browser, live_edge: LiveEdge
):
    """Six refunds and a discount on a phone: each amount broke after its minus sign, the "−"
    on one line and "€1,234.00" under it, as the digital receipt's did."""
    order = refunded_sale(live_edge, refunds=6)
    with browser_page(browser, live_edge, **PHONE) as till:
        pos_sign_in(till, CASHIER)
        pay = open_from_the_log(till, order)
        expect(pay.locator(".pay-refund")).to_have_count(6)
        pay.locator(".pay-refund").last.scroll_into_view_if_needed()
        till.screenshot(path=str(SCREENSHOTS / "pos-refunds-phone.png"))
        assert till.evaluate(BROKEN, "dialog .pay-sums dd") == []
        # and each stays inside the check
        right = pay.locator(".pay-check").bounding_box()
        for amount in pay.locator(".pay-sums dd").all():
            box = amount.bounding_box()
            assert box["x"] + box["width"] <= right["x"] + right["width"], amount.inner_text()


def test_a_check_paid_earlier_and_opened_to_refund_says_nothing_of_a_receipt_printing(
    browser, live_edge: LiveEdge
):
    """A check paid an hour ago, opened from the order log to refund it (or from Checks when
    owed back), said "The receipt is printing." (nothing printed) over a "New sale" button."""
    order = refunded_sale(live_edge, refunds=1)
    viewport = {"width": 1920, "height": 1080}
    with browser_page(browser, live_edge, viewport=viewport) as till:
        pos_sign_in(till, CASHIER)
        pay = open_from_the_log(till, order)
        expect(pay.locator(".pay-done-title")).to_have_text("Paid")
        expect(pay.locator(".pay-done")).not_to_contain_text("printing")
        done = pay.locator(".pay-done .btn-primary")
        expect(done).to_have_text("Done")
        till.screenshot(path=str(SCREENSHOTS / "pos-paid-earlier-wall.png"))
        done.click()
        expect(pay).to_have_count(0)


def test_a_managers_long_name_stays_inside_the_approval_on_a_phone(browser, live_edge: LiveEdge):
    """A manager called "Maria da Conceição Albuquerque Vasconcelos de Sá": her button ran out
    of the approval dialog on a phone, her name cut at "Vas" and the dialog scrolling sideways."""
    with live_edge.client() as owner:
        member = {"name": LONG_MANAGER, "role": "manager", "pin": "4826"}
        assert owner.post("/api/staff", json=member).status_code == 201
    console = Console()
    console.allow_refusal(403, "/api/order-lines/")  # asked without a PIN first: a manager's
    with browser_page(browser, live_edge, console, **PHONE) as till:
        pos_sign_in(till, CASHIER)
        till.get_by_role("tab", name="Desserts").click()
        till.locator('.pos-item[data-item="Cheesecake"]').click()
        till.locator(".btn-pay").click()
        till.locator("dialog.pos-modal-wide").get_by_role("button", name="Void Cheesecake").click()
        reason = till.locator("dialog.pos-modal").last
        reason.get_by_label("Reason").fill("rang up twice")
        reason.get_by_role("button", name="Void").click()
        approval = till.get_by_role("dialog", name="A manager's approval")
        long_name = approval.get_by_role("button", name=LONG_MANAGER)
        expect(long_name).to_be_visible()
        till.screenshot(path=str(SCREENSHOTS / "pos-approval-long-name-phone.png"))
        body = approval.locator(".modal-body")
        assert body.evaluate("(el) => el.scrollWidth <= el.clientWidth"), "scrolls sideways"
        inside = body.bounding_box()
        for button in approval.locator(".pos-approvers .btn").all():
            box = button.bounding_box()
            assert box["x"] + box["width"] <= inside["x"] + inside["width"], button.inner_text()


def test_the_pay_dialogs_forms_open_on_the_field_to_type(browser, live_edge: LiveEdge):
    """Refund…, Service…, Discount… and Void opened with the focus on their ✕: a cashier at a
    till with a keyboard typed "5" into nothing and had to click the field first."""
    order = refunded_sale(live_edge, refunds=0)
    viewport = {"width": 1920, "height": 1080}
    with browser_page(browser, live_edge, viewport=viewport) as till:
        pos_sign_in(till, CASHIER)
        pay = open_from_the_log(till, order)
        pay.get_by_role("button", name="Refund…").click()
        refund = till.get_by_role("dialog", name="Refund")
        expect(refund.get_by_label("Amount")).to_be_focused()
        till.keyboard.type("1.00")  # over the whole amount it opens with
        expect(refund.get_by_label("Amount")).to_have_value("1.00")
        till.keyboard.press("Escape")
        pay.get_by_role("button", name="Done").click()
        till.locator('.pos-tab[data-view="sale"]').click()
        till.get_by_role("tab", name="Desserts").click()
        till.locator('.pos-item[data-item="Cheesecake"]').click()
        till.get_by_role("button", name="Pay F2").click()
        for button, dialog, field in (
            ("Service…", "Service charge", "Percent of the check"),
            ("Discount…", "Discount", "Value"),
            ("Void Cheesecake", "Void 1× Cheesecake", "Reason"),
        ):
            pay.get_by_role("button", name=button).click()
            expect(till.get_by_role("dialog", name=dialog).get_by_label(field)).to_be_focused()
            till.keyboard.press("Escape")


def one_line_check(live_edge: LiveEdge) -> dict:
    """An open counter check of one Burrata, as the POS's Checks view lists it."""
    with live_edge.client() as owner:
        menu = owner.get("/api/menu/all").json()
        burrata = next(i for c in menu["categories"] for i in c["items"] if i["name"] == "Burrata")
        order = owner.post(
            "/api/orders", json={"kind": "counter", "lines": [{"item_id": burrata["id"]}]}
        ).json()
        return owner.post("/api/checks", json={"order_id": order["id"]}).json()


def test_a_check_of_one_line_says_one_line(page: Page, live_edge: LiveEdge):
    """The Checks view and the order log said "1 lines"."""
    check = one_line_check(live_edge)
    pos_sign_in(page, CASHIER)
    page.locator('.pos-tab[data-view="checks"]').click()
    expect(page.locator(".pos-check", has_text=check["label"])).to_contain_text("1 line")
    expect(page.locator(".pos-check", has_text=check["label"])).not_to_contain_text("1 lines")
    page.locator('.pos-tab[data-view="orders"]').click()
    expect(page.locator(".pos-order").first).to_contain_text("1 line ·")


def test_a_checks_amount_keeps_to_the_right_on_a_phone(browser, live_edge: LiveEdge):
    """On a phone a check's amount goes under its label: it stood in the middle of the row (at
    the end of the label's column), under nothing, where the eye does not look for it."""
    check = one_line_check(live_edge)
    with browser_page(browser, live_edge, **PHONE) as till:
        pos_sign_in(till, CASHIER)
        till.locator('.pos-tab[data-view="checks"]').click()
        row = till.locator(".pos-check", has_text=check["label"])
        expect(row.locator(".num")).to_have_text("€10.50")
        till.screenshot(path=str(SCREENSHOTS / "pos-checks-phone.png"))
        lines, amount = row.locator(".muted").bounding_box(), row.locator(".num").bounding_box()
        assert abs((lines["x"] + lines["width"]) - (amount["x"] + amount["width"])) <= 1


# Where the texts `words` stand in `label` (an element): each one's left and right edges.
EDGES = """(label, words) => words.map((word) => {
  const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(word);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + word.length);
    const box = range.getBoundingClientRect();
    return [box.left, box.right];
  }
  return null;
})"""


def test_a_parts_receipt_keeps_an_arabic_dishs_share_after_its_name(browser, live_edge: LiveEdge):
    """A dish named in Arabic on a part's digital receipt read "1× (1/2) برياني دجاج": the
    bidi algorithm took the share into the name's right-to-left run and drew it before."""
    biryani = "برياني دجاج"
    with live_edge.client() as owner:
        menu = owner.get("/api/menu/all").json()
        burrata = next(i for c in menu["categories"] for i in c["items"] if i["name"] == "Burrata")
        renamed = owner.patch(f"/api/menu/items/{burrata['id']}", json={"name": biryani})
        assert renamed.is_success
        order = owner.post(
            "/api/orders", json={"kind": "counter", "lines": [{"item_id": burrata["id"]}]}
        ).json()
        check = owner.post("/api/checks", json={"order_id": order["id"]}).json()
        split = owner.post(f"/api/checks/{check['id']}/split", json={"by": "even", "ways": 2})
        part = split.json()["parts"][0]
        assert owner.post("/api/shifts", json={"float": 0}).status_code == 201
        cash = {"method": "cash", "given": part["balance"]}
        assert owner.post(f"/api/checks/{part['id']}/payments", json=cash).status_code == 201
    token = receipt_token(live_edge, part["id"])
    with browser_page(browser, live_edge, **PHONE) as phone:
        phone.goto(f"/ui/receipt/index.html#{token}")
        line = phone.locator(".receipt-line .receipt-row > span").first
        expect(line).to_contain_text(biryani)
        phone.screenshot(path=str(SCREENSHOTS / "receipt-arabic-dish-phone.png"))
        times, name, share = line.evaluate(EDGES, ["1×", biryani, "(1/2)"])
        assert times[1] <= name[0] + 1 and name[1] <= share[0] + 1, (times, name, share)


def test_a_discounts_remove_button_takes_a_fingertip_on_a_phone(browser, live_edge: LiveEdge):
    """The ✕ that takes a discount off a check was 38 px wide on a touch screen, under the
    44 px every other target there has, and beside the amount."""
    check = one_line_check(live_edge)
    with live_edge.client() as owner:
        off = {"kind": "fixed", "value": 100, "reason": "Wine corked"}
        assert owner.post(f"/api/checks/{check['id']}/discounts", json=off).is_success
    with browser_page(browser, live_edge, **PHONE) as till:
        pos_sign_in(till, CASHIER)
        till.locator('.pos-tab[data-view="checks"]').click()
        till.locator(".pos-check", has_text=check["label"]).click()
        pay = till.locator("dialog.pos-modal-wide")
        expect(pay.get_by_role("button", name="Remove discount")).to_be_visible()
        sizes = till.evaluate(SIZES, "dialog .pay-sums .btn")
        assert [s for s in sizes if s["width"] < 44 or s["height"] < 44] == []


def test_each_refund_on_the_pos_says_when_and_why(browser, live_edge: LiveEdge):
    """Six refunds on a check read six times "Refund · Card": which slip to print again was a
    guess. Each says its time and its reason, as its slip does."""
    order = refunded_sale(live_edge, refunds=2)
    with browser_page(browser, live_edge, viewport={"width": 820, "height": 1180}) as till:
        pos_sign_in(till, CASHIER)
        pay = open_from_the_log(till, order)
        refunds = pay.locator(".pay-refund")
        expect(refunds).to_have_count(2)
        for n in (0, 1):
            expect(refunds.nth(n).locator("dt")).to_contain_text(f"refund {n + 1}")
            expect(refunds.nth(n).locator("dt")).to_contain_text(re.compile(r"\d{1,2}:\d{2}"))
        till.screenshot(path=str(SCREENSHOTS / "pos-refunds-when-and-why-tablet.png"))
