"""A page away longer than the feed replays (a tablet offline for a day) is told to reload, and
the admin page does: it reads its sections again and follows the feed from the current seq."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from edge.api.app import create_app
from tests.e2e.conftest import OWNER, Console, LiveEdge, sign_in
from tests.live import serve

pytestmark = pytest.mark.e2e
LIMIT = 10


@pytest.fixture
def live_edge(settings) -> Iterator[LiveEdge]:
    bounded = dataclasses.replace(settings, feed_replay_limit=LIMIT)
    with serve(create_app(bounded)) as url:
        yield LiveEdge(url, bounded)


def test_a_page_away_too_long_reloads_its_state_and_follows_on(
    page: Page, live_edge: LiveEdge, console: Console
):
    # The page's feed is cut while others change the menu: its websocket and its polls fail
    # (and the page says so in its console); back, the first of them to reach the box hears
    # that it is too far back (4410 or 410).
    console.allow_lost("/api/events")
    console.allow_refusal(410, "/api/events")
    cut = {"on": False, "sockets": []}

    def socket(route) -> None:
        if cut["on"]:
            route.close()
        else:
            route.connect_to_server()
            cut["sockets"].append(route)

    page.route_web_socket(re.compile(r"/ws\b"), socket)
    sign_in(page)
    conn = page.locator(".conn")
    expect(conn).to_have_attribute("data-state", "live")
    burrata = page.locator('.item-row[data-item-name="Burrata"]')
    page.locator(".cat-btn", has_text="Starters").click()
    expect(burrata).not_to_have_class(re.compile("is-86"))

    cut["on"] = True
    page.route("**/api/events*", lambda route: route.abort())
    for route in cut["sockets"]:
        route.close()
    expect(conn).not_to_have_attribute("data-state", "live")
    with live_edge.client(OWNER) as http:
        menu = http.get("/api/menu/all").json()
        items = [i for c in menu["categories"] for i in c["items"]]
        burrata_id = next(i["id"] for i in items if i["name"] == "Burrata")
        for other in [i for i in items if i["id"] != burrata_id][: LIMIT + 1]:
            changed = http.patch(f"/api/menu/items/{other['id']}", json={"description": "Today"})
            assert changed.status_code == 200, changed.text
        answer = http.put(f"/api/menu/items/{burrata_id}/availability", json={"available": False})
        assert answer.status_code == 200, answer.text
    cut["on"] = False
    page.unroute("**/api/events*")

    expect(conn).to_have_attribute("data-state", "live", timeout=20000)
    expect(burrata).to_have_class(re.compile("is-86"))  # the section was read again
    with live_edge.client(OWNER) as http:  # and the feed follows on from there
        http.put(f"/api/menu/items/{burrata_id}/availability", json={"available": True})
    expect(burrata).not_to_have_class(re.compile("is-86"))
