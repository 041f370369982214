"""A real edge under uvicorn on 127.0.0.1 and a real Chromium driven by Playwright.

Each test gets its own copy of the seeded demo store (the `settings` fixture of
tests/conftest.py) served by its own uvicorn in a background thread; the browser is started
once per session. Nothing here reaches the internet: Chromium is Debian's, launched with
background networking off.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from edge.api.app import create_app
from edge.core import db, events, identity, retention
from edge.core.config import EdgeSettings
from edge.setup import demo
from tests.conftest import credential, pairing, sign_in_body, signed_in
from tests.live import serve

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
DEVICE_KEY = "galley.device"  # where ui/lib/session.js keeps this browser's device credential
PINS = {name: pin for name, _, pin in demo.STAFF}
MANAGER = "Marco Ferreira"
OWNER = "Olivia Santos"

pytestmark = pytest.mark.e2e

# Colours in scripts run in the page (put at the start of a function's body): `rgba` parses a
# computed colour, `over` lays one on an rgb backdrop, `backdrop(el)` is what lies behind `el`
# (its own and its ancestors' backgrounds over white) and `ratio` is WCAG 2's contrast ratio.
COLOURS = """
  const rgba = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const over = ([r, g, b, a = 1], back) => [r, g, b].map((c, i) => c * a + back[i] * (1 - a));
  const backdrop = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const [r, g, b, a = 1] = rgba(getComputedStyle(node).backgroundColor);
      if (a > 0) layers.push([r, g, b, a]);
      if (a >= 1) break;
    }
    return layers.reverse().reduce((back, colour) => over(colour, back), [255, 255, 255]);
  };
  const light = (rgb) => {
    const [x, y, z] = rgb.map((c) => {
      const v = c / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * x + 0.7152 * y + 0.0722 * z;
  };
  const ratio = (one, two) => {
    const [hi, lo] = [light(one), light(two)].sort((p, q) => q - p);
    return (hi + 0.05) / (lo + 0.05);
  };
"""
# Every text on the page that reads below WCAG 2's 4.5:1 (3:1 if large) against what is behind
# it; hidden, faded (opacity) and disabled text is left out.
FAINT_TEXT = (
    "() => {"
    + COLOURS
    + """
  const faint = [];
  for (const el of document.querySelectorAll("body *")) {
    const words = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!words || !el.getClientRects().length || el.closest(":disabled")) continue;
    const style = getComputedStyle(el);
    let shown = style.visibility !== "hidden";
    for (let node = el; node && shown; node = node.parentElement) {
      shown = parseFloat(getComputedStyle(node).opacity) >= 1;
    }
    if (!shown) continue;
    const back = backdrop(el);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && parseInt(style.fontWeight, 10) >= 700);
    const seen = ratio(over(rgba(style.color), back), back);
    const text = el.textContent.trim().slice(0, 30);
    if (seen < (large ? 3 : 4.5)) faint.push(`${text}: ${seen.toFixed(2)}:1`);
  }
  return faint;
}"""
)


@dataclass
class LiveEdge:
    url: str
    settings: EdgeSettings

    def pair(self, http: httpx.Client, name: str = "e2e-api") -> dict[str, str]:
        """Pair the device `http` is (a code made at the box's console); its credential
        header, which `http` sends from now on."""
        paired = credential(http.post("/api/devices/pair", json=self.pairing(name)))
        http.headers.update(paired)
        return paired

    def pairing(self, name: str) -> dict[str, str]:
        """The body of `POST /api/devices/pair` for a device called `name`, with a new code."""
        return pairing(name, self.settings.database)

    @contextlib.contextmanager
    def client(self, name: str = OWNER) -> Iterator[httpx.Client]:
        """An HTTP client signed in as demo staff member `name`, on another paired device."""
        with httpx.Client(base_url=self.url, timeout=10) as http:
            self.pair(http)
            roster = http.get("/api/staff/roster").json()
            http.headers.update(
                signed_in(http.post("/api/sessions", json=sign_in_body(roster, name)))
            )
            yield http


@pytest.fixture
def live_edge(settings: EdgeSettings) -> Iterator[LiveEdge]:
    """The edge app under a real uvicorn on a free 127.0.0.1 port, in a background thread."""
    with serve(create_app(settings)) as url:
        yield LiveEdge(url, settings)


@pytest.fixture(scope="module")
def browser(demo_template: Path) -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop running on this thread while it is open, which
    # asyncio.run() and async tests cannot share: so the template is built first (hence the
    # argument) and the browser closes with each module, before any async test runs.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Console:
    """What a page wrote to its console as errors. Every one fails the test (a script error, a
    policy violation, a refused call) unless the test said it provokes it: Chromium writes each
    4xx answer there, so a test that provokes one allows it with `allow_refusal`."""

    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow_refusal(self, status: int, path: str) -> None:
        """Answers `status` to calls of paths that start with `path`."""
        where = re.escape(path)
        self.allowed.append(re.compile(rf"status of {status} \(.*\) \(https?://[^/]+{where}"))

    def allow_lost(self, path: str) -> None:
        """Calls of paths that start with `path` that the test cuts off (no answer at all)."""
        where = re.escape(path)
        self.allowed.append(re.compile(rf"net::ERR_\w+ \(https?://[^/]+{where}"))

    def record(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


@pytest.fixture
def console() -> Console:
    return Console()


@contextlib.contextmanager
def browser_page(
    browser: Browser,
    live_edge: LiveEdge,
    console: Console | None = None,
    *,
    paired: bool = True,
    **options: Any,
) -> Iterator[Page]:
    """A page in a fresh browser context on the live edge: a laptop in Lisbon speaking en-US
    unless `options` say otherwise (a locale, a touch screen), paired with the box as a manager
    would pair it (unless not `paired`): its credential is in the browser's storage before the
    first page loads. It fails when the page had an uncaught error, wrote an error to its
    console that `console` does not allow, or asked for anything outside the edge."""
    console = console or Console()
    context = browser.new_context(
        **{
            "base_url": live_edge.url,
            "viewport": {"width": 1280, "height": 860},
            "locale": "en-US",
            "timezone_id": "Europe/Lisbon",
            "accept_downloads": True,
            "service_workers": "block",
            **options,
        }
    )
    context.set_default_timeout(8000)
    if paired:
        with httpx.Client(base_url=live_edge.url, timeout=10) as http:
            answer = http.post("/api/devices/pair", json=live_edge.pairing("Laptop"))
        kept = json.dumps({"credential": answer.json()["credential"], **answer.json()["device"]})
        context.add_init_script(
            f"if (!localStorage.getItem({DEVICE_KEY!r})) localStorage.setItem({DEVICE_KEY!r},"
            f" {json.dumps(kept)});"
        )
    # Nothing may come from the internet: fail loudly if the page asks for it.
    outside: list[str] = []

    def guard(route):
        outside.append(route.request.url)
        route.abort()

    context.route(
        lambda url: not url.startswith(live_edge.url) and not url.startswith(("blob:", "data:")),
        guard,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", console.record)
    try:
        yield page
    finally:
        context.close()
    assert not outside, f"the page tried to reach the internet: {outside}"
    assert not errors, f"uncaught errors in the page: {errors}"
    assert not console.unexpected(), f"errors in the page's console: {console.unexpected()}"


@pytest.fixture
def page(browser: Browser, live_edge: LiveEdge, console: Console) -> Iterator[Page]:
    with browser_page(browser, live_edge, console) as page:
        yield page


def sign_in(page: Page, name: str = MANAGER, pin: str | None = None) -> None:
    """Sign in on the admin page through the tiles and the PIN pad (keyboard digits)."""
    page.goto("/admin/")
    page.get_by_role("button", name=name).click()
    page.keyboard.type(pin or PINS[name])
    page.keyboard.press("Enter")
    expect(page.locator(".topbar .who-name")).to_have_text(name)
    expect(page.locator(".conn")).to_have_attribute("data-state", "live")


def forget_history(settings: EdgeSettings, days: int = 91) -> None:
    """Retention as the nightly job runs it `days` on, at the box's settings, once the box is
    enrolled with a hub (at a closed port) that has every event: the box forgets its history."""
    conn = db.connect(settings.database)
    try:
        identity.enrol(conn, tenant_id="t", store_id="s", key_id="k", hub_url="http://127.0.0.1:9")
        identity.pushed(conn, events.last_seq(conn))
        later = datetime.now(UTC) + timedelta(days=days)
        keep = retention.Keep(settings.keep_local_days, settings.keep_synced_days)
        while retention.prune_events(conn, later, keep):
            pass
    finally:
        conn.close()


def unplugged_printer(http: httpx.Client, name: str = "Bar tickets") -> str:
    """A kitchen printer at a port nobody answers on, with a test page the worker has tried:
    the printer shows offline (the admin's banner) and its job has a failed attempt."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    created = http.post(
        "/api/printers",
        json={
            "name": name,
            "role": "kitchen",
            "stations": ["BAR"],
            "transport": {"kind": "network", "host": "127.0.0.1", "port": port},
        },
    )
    assert created.status_code == 201, created.text
    printer_id = created.json()["id"]
    assert http.post(f"/api/printers/{printer_id}/test").status_code == 201
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        printer = next(p for p in http.get("/api/printers").json() if p["id"] == printer_id)
        jobs = http.get("/api/print-jobs", params={"printer_id": printer_id}).json()
        if printer["online"] is False and jobs and jobs[0]["attempts"] >= 1:
            return printer_id
        time.sleep(0.1)  # readiness poll interval, bounded by the deadline
    raise AssertionError("the print worker never tried the unplugged printer")
