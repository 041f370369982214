"""The admin page at a phone (390 px), a tablet upright (768) and lying down (1024) and a laptop
(1280): every action of every row stays reachable, a strip that scrolls sideways shows that it
does, touch screens get fingertip-sized targets, and the tags under an item say what they are.
"""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from printers.emulator import ThreadedEmulator, run_in_thread
from tests.e2e.conftest import (
    COLOURS,
    MANAGER,
    PINS,
    SCREENSHOTS,
    LiveEdge,
    browser_page,
    sign_in,
    unplugged_printer,
)
from tests.edge.guest_helpers import ALWAYS, qr_token_in

pytestmark = pytest.mark.e2e

WIDTHS = {
    "phone": (390, 844),
    "portrait": (768, 1024),
    "tablet": (1024, 768),
    "laptop": (1280, 860),
}
# Each list, the element its rows are drawn in, and its actions.
LISTS = {
    "staff": ("tr[data-staff]", ".staff-table button, .sidenav a"),
    "devices": ("tr[data-device]", ".devices-table button, .page-head button"),
    "printers": (
        '.jobs-table tr[data-state="printed"]',
        ".jobs-table button, .printer-card button, .page-head button",
    ),
    "menu": (
        ".item-row",
        ".cat-list button, .items-panel button, .items-panel [role=switch], .page-head button",
    ),
    "orders": (".order-item", ".order-row, .orders-head button, .orders-status button"),
}

# For each visible element of `selector`: is it inside the screen and every box that clips it?
# If not, the box that scrolls it must fade that edge (data-more-start/end and a mask), and
# scrolling must bring it whole into view, where nothing else lies over it.
REACHABLE = """(selector) => {
  const problems = [];
  const name = (el) => {
    const row = el.closest("[data-staff], [data-job], [data-item-name], [data-order], .cat-list");
    const text = (el.getAttribute("aria-label") || el.textContent || el.name || "").trim();
    return `${text.replace(/\\s+/g, " ")} (${row ? row.dataset.staff || row.dataset.itemName
      || row.dataset.job || row.dataset.order || "categories" : "page"})`;
  };
  const clippers = (el) => {
    const found = [];
    for (let node = el.parentElement; node; node = node.parentElement) {
      if (getComputedStyle(node).overflowX !== "visible") found.push(node);
    }
    return found;
  };
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    let left = 0;
    let right = document.documentElement.clientWidth;
    for (const clip of clippers(el)) {
      const area = clip.getBoundingClientRect();
      left = Math.max(left, area.left + clip.clientLeft);
      right = Math.min(right, area.left + clip.clientLeft + clip.clientWidth);
    }
    return { box, inside: box.left >= left - 0.5 && box.right <= right + 0.5 };
  };
  for (const el of document.querySelectorAll(selector)) {
    if (!el.getClientRects().length || getComputedStyle(el).visibility === "hidden") continue;
    const first = shown(el);
    if (!first.inside) {
      const scroller = clippers(el).find((node) => node.scrollWidth > node.clientWidth + 1
        && ["auto", "scroll"].includes(getComputedStyle(node).overflowX));
      if (!scroller) {
        const { left, right } = first.box;
        problems.push(`${name(el)}: cut off at ${Math.round(left)}..${Math.round(right)}`);
        continue;
      }
      const side = first.box.left < scroller.getBoundingClientRect().left ? "start" : "end";
      const style = getComputedStyle(scroller);
      const mask = style.maskImage || style.webkitMaskImage || "none";
      if (!scroller.hasAttribute(`data-more-${side}`) || mask === "none") {
        problems.push(`${name(el)}: scrolled out of sight with no sign at the ${side}`);
      }
    }
    el.scrollIntoView({ block: "center", inline: "nearest" });
    const then = shown(el);
    if (!then.inside) {
      problems.push(`${name(el)}: cannot be scrolled into view`);
      continue;
    }
    const y = then.box.top + then.box.height / 2;
    for (const x of [then.box.left + 3, then.box.right - 3]) {
      const top = document.elementFromPoint(x, y);
      const label = el.closest("label");
      if (!top || !(el.contains(top) || top.contains(el) || (label && label.contains(top)))) {
        problems.push(`${name(el)}: covered by ${top ? top.className || top.tagName : "nothing"}`);
        break;
      }
    }
  }
  return problems;
}"""

# Every target a finger may need on the admin page, with its smallest allowed size.
TARGETS = (
    ".btn, .seg-btn, .cat-btn, .nav-link, [role=switch], .input, .select, .pin-key, .staff-tile,"
    " main a[href]"
)
SIZES = """(selector) => [...document.querySelectorAll(selector)]
  .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== "hidden")
  .map((el) => {
    const box = el.getBoundingClientRect();
    const text = (el.getAttribute("aria-label") || el.textContent || el.name || "").trim();
    return { text: `${el.className || el.tagName} ${text.slice(0, 24)}`, width: box.width,
      height: box.height };
  })"""


def busy_store(http: httpx.Client, live_edge: LiveEdge, emulator: ThreadedEmulator) -> None:
    """What makes rows long: a locked-out cashier (Unlock), a printed and a reprinted job
    (Preview, Reprint), a job retrying on an unplugged printer (Retry); and an order."""
    kitchen = next(p for p in http.get("/api/printers").json() if p["name"] == "Kitchen pass")
    transport = {"kind": "network", "host": "127.0.0.1", "port": emulator.port}
    assert http.patch(f"/api/printers/{kitchen['id']}", json={"transport": transport}).is_success
    job = http.post(f"/api/printers/{kitchen['id']}/test").json()
    emulator.wait_for_jobs(1, timeout=10)
    printed(http, job["id"])
    again = http.post(f"/api/print-jobs/{job['id']}/reprint").json()
    emulator.wait_for_jobs(2, timeout=10)
    printed(http, again["id"])
    unplugged_printer(http)
    menu = http.get("/api/menu").json()
    nata = next(
        i["id"] for c in menu["categories"] for i in c["items"] if i["name"] == "Pastel de nata"
    )
    order = {
        "kind": "counter",
        "note": "a birthday: candle on the nata",
        "lines": [{"item_id": nata}],
    }
    assert http.post("/api/orders", json=order).status_code == 201
    with httpx.Client(base_url=live_edge.url) as pos:
        live_edge.pair(pos, "POS")
        roster = pos.get("/api/staff/roster").json()
        cashier = next(m for m in roster if m["role"] == "cashier")
        for _ in range(5):
            pos.post("/api/sessions", json={"staff_id": cashier["id"], "pin": "0000"})


def printed(http: httpx.Client, job_id: str) -> None:
    """Wait until the worker has recorded the job printed (after the printer took it)."""
    deadline = time.monotonic() + 10
    while not any(
        job["id"] == job_id and job["state"] == "printed"
        for job in http.get("/api/print-jobs").json()
    ):
        assert time.monotonic() < deadline, "the job was never marked printed"
        time.sleep(0.05)  # readiness poll interval, bounded by the deadline


def test_every_rows_actions_are_reachable_at_every_width(page: Page, live_edge: LiveEdge):
    SCREENSHOTS.mkdir(exist_ok=True)
    with run_in_thread() as emulator, live_edge.client() as http:
        busy_store(http, live_edge, emulator)
        sign_in(page)
        problems = []
        for label, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            for section, (ready, actions) in LISTS.items():
                page.goto(f"/admin/#/{section}")
                expect(page.locator(ready).first).to_be_visible()
                if section == "staff":
                    expect(page.locator(".lock-badge")).to_be_visible()
                page.screenshot(path=SCREENSHOTS / f"layout-{label}-{section}.png", full_page=True)
                found = page.evaluate(REACHABLE, actions)
                problems += [f"{width} px, {section}: {problem}" for problem in found]
        assert not problems, "\n".join(problems)


def test_touch_screens_get_fingertip_targets_and_a_mouse_keeps_the_compact_page(
    browser: Browser, page: Page, live_edge: LiveEdge
):
    # A mouse: small buttons stay 40 px high, so a laptop's page is not bloated.
    sign_in(page)
    sizes = page.evaluate(SIZES, ".btn-sm")
    assert sizes and {round(size["height"]) for size in sizes} == {40}, sizes

    coarse = {"viewport": {"width": 1024, "height": 768}, "has_touch": True, "is_mobile": True}
    with browser_page(browser, live_edge, device_scale_factor=2, **coarse) as tablet:
        assert tablet.evaluate("matchMedia('(pointer: coarse)').matches")
        tablet.goto("/admin/")
        small = [s for s in tablet.evaluate(SIZES, TARGETS) if min(s["width"], s["height"]) < 44]
        assert not small, small
        tablet.get_by_role("button", name=MANAGER).click()
        for digit in PINS[MANAGER]:
            tablet.get_by_role("button", name=digit, exact=True).click()
        tablet.get_by_role("button", name="Sign in").click()
        expect(tablet.locator(".item-row").first).to_be_visible()
        for section, ready in (
            ("menu", ".item-row"),
            ("staff", "tr[data-staff]"),
            ("devices", "tr[data-device]"),
            ("printers", ".printer-card"),
            ("tables", ".table-tile"),
            ("orders", ".orders-list-card"),
            ("kitchen", "tr[data-station]"),
            ("settings", ".hours-row"),
            ("sync", ".card"),
            ("audit", ".audit-table tr[data-seq]"),
        ):
            tablet.goto(f"/admin/#/{section}")
            expect(tablet.locator(ready).first).to_be_visible()
            small = [s for s in tablet.evaluate(SIZES, TARGETS) if s["height"] < 44]
            assert not small, (section, small)
            narrow = [s for s in tablet.evaluate(SIZES, TARGETS) if s["width"] < 44]
            assert not narrow, (section, narrow)
            if section == "menu":
                tablet.screenshot(path=SCREENSHOTS / "touch-tablet-menu.png")


def test_a_phones_section_strip_takes_a_fingertip(browser: Browser, live_edge: LiveEdge):
    """On a 390 px phone the sections' strip squeezed "Staff" and "Sync" to 35 px wide."""
    phone = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
    with browser_page(browser, live_edge, **phone) as page:
        page.goto("/admin/")
        page.get_by_role("button", name=MANAGER).click()
        for digit in PINS[MANAGER]:
            page.get_by_role("button", name=digit, exact=True).click()
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".item-row").first).to_be_visible()
        small = [s for s in page.evaluate(SIZES, ".nav-link") if min(s["width"], s["height"]) < 44]
        assert not small, small
        assert page.evaluate(REACHABLE, ".nav-link") == []


# What keeps a top bar from fitting: the page wider than the screen (a phone or tablet then
# zooms out), the brand's mark covered, Sign out past the edge or under something else.
BAR_FITS = """() => {
  const problems = [];
  if (document.scrollingElement.scrollWidth > innerWidth + 1 || innerWidth !== screen.width) {
    problems.push(`the page is ${document.scrollingElement.scrollWidth} px wide`);
  }
  const seen = (el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return r.right <= innerWidth && !!hit && el.contains(hit);
  };
  const mark = document.querySelector(".topbar .brand-mark");
  const out = [...document.querySelectorAll(".topbar button")]
    .find((b) => /Sign out/.test(b.textContent));
  if (!seen(mark)) problems.push("the brand's mark is covered");
  if (!out || !seen(out)) problems.push("Sign out is out of sight");
  return problems;
}"""
STORE_NAME = "The Harbour Kitchen & Oyster Bar at Cais do Sodré, Lisbon Riverside"
LONG_NAME = "Maria da Conceição Albuquerque de Vasconcelos e Sá Pereira"


def test_a_long_store_name_and_a_long_staff_name_keep_the_top_bar_on_the_screen(
    browser: Browser, live_edge: LiveEdge
):
    """A store's name may run to 80 characters and a person's to 60: on a tablet the admin's
    and the till's top bars made the page 888 and 996 px wide (the tablet zoomed out), covered
    the brand and pushed Sign out off the screen. Both names now give way."""
    with live_edge.client() as http:
        assert http.patch("/api/store", json={"name": STORE_NAME}).is_success
        member = {"name": LONG_NAME, "role": "manager", "pin": "9191"}
        assert http.post("/api/staff", json=member).status_code == 201
    problems = []
    for width, height in ((820, 1180), (1024, 768), (1280, 860)):
        screen = {"width": width, "height": height}
        tablet = {"viewport": screen, "screen": screen, "has_touch": True, "is_mobile": True}
        for path in ("/admin/", "/pos/"):
            with browser_page(browser, live_edge, **tablet) as page:
                page.goto(path)
                page.get_by_role("button", name=LONG_NAME).click()
                for digit in "9191":
                    page.get_by_role("button", name=digit, exact=True).click()
                page.get_by_role("button", name="Sign in").click()
                expect(page.locator(".topbar .who-name")).to_have_text(LONG_NAME)
                page.screenshot(path=SCREENSHOTS / f"long-names-{path.strip('/')}-{width}.png")
                problems += [f"{path} at {width}: {p}" for p in page.evaluate(BAR_FITS)]
    assert not problems, problems


def test_the_tags_under_an_item_say_what_they_are(page: Page):
    sign_in(page)
    page.locator(".cat-btn", has_text="Coffee & tea").click()
    latte = page.locator('.item-row[data-item-name="Latte"]')
    expect(latte.locator('[data-tag="course"]')).to_have_text("Course: Desserts")
    expect(latte.locator('[data-tag="station"]')).to_have_text("Station: Bar")
    # A screen reader reads the same words: the key is text, not a colour or a position.
    expect(latte.locator(".item-meta")).to_match_aria_snapshot(
        '- text: "Station: Bar Course: Desserts 2 modifier groups"'
    )


# The focused element's ring (the box-shadow that reaches furthest) against what lies around it
# (the first ancestor with a background): the contrast ratio of WCAG 2 (1.4.11 asks 3:1).
FOCUS_RING = (
    "() => {"
    + COLOURS
    + """
  const el = document.activeElement;
  if (el === document.body) return null;
  const rings = getComputedStyle(el).boxShadow.split(/,(?![^(]*\\))/).map((shadow) => {
    const colour = shadow.match(/rgba?\\([^)]*\\)/);
    const sizes = shadow.replace(/rgba?\\([^)]*\\)/, "").match(/-?[\\d.]+px/g) || [];
    return { colour: colour ? rgba(colour[0]) : null, spread: parseFloat(sizes[3] || "0") };
  }).filter((ring) => ring.colour).sort((a, b) => b.spread - a.spread);
  const name = `${el.className || el.tagName} ${(el.textContent || "").trim().slice(0, 20)}`;
  if (!rings.length) return { name, ratio: 0 };
  const back = backdrop(el.parentElement);
  return { name, ratio: ratio(over(rings[0].colour, back), back) };
}"""
)


def test_the_keyboards_focus_ring_stands_out_on_every_page(browser: Browser, live_edge: LiveEdge):
    """A manager at a laptop, a cashier with a keyboard, a guest who tabs: the ring round what
    has the focus was a pale green (35 % of the accent), 1.7:1 on the page; it must be 3:1."""
    with live_edge.client() as http:
        assert http.patch("/api/store", json={"opening_hours": ALWAYS}).is_success
    guest = f"/t/{qr_token_in(live_edge.settings.database, '3')}"
    faint = []
    for path in ("/admin/", "/pos/", "/waiter/", "/kds/", guest):
        with browser_page(browser, live_edge, paired=path != guest) as page:
            page.goto(path)
            expect(page.locator(".staff-tile, .dish").first).to_be_visible()
            for _ in range(3):
                page.keyboard.press("Tab")
                ring = page.evaluate(FOCUS_RING)
                if ring and ring["ratio"] < 3:
                    faint.append(f"{path[:8]} {ring['name']}: {ring['ratio']:.2f}:1")
            page.screenshot(path=SCREENSHOTS / f"focus-{path.strip('/')[:5].replace('/', '-')}.png")
    assert not faint, faint
