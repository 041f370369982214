"""The pages on flaky Wi-Fi: every POST carries a fresh Idempotency-Key, and a POST that hears
nothing back is sent again with the same key, so the box makes the thing once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Request, Route, expect

from tests.e2e.conftest import Console, LiveEdge, sign_in

pytestmark = pytest.mark.e2e

CATEGORIES = "**/api/menu/categories"


def add_category(page: Page, name: str) -> None:
    page.get_by_role("button", name="Add category").click()
    dialog = page.locator("dialog.modal")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_role("button", name="Add category").click()


def categories_named(live_edge: LiveEdge, name: str) -> list[dict]:
    with live_edge.client() as http:
        menu = http.get("/api/menu/all").json()
    return [c for c in menu["categories"] if c["name"] == name]


def posts_to(requests: list[Request], path: str) -> list[Request]:
    return [r for r in requests if r.method == "POST" and r.url.endswith(path)]


def test_every_post_carries_a_fresh_key_and_other_calls_none(page: Page):
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request) if "/api/" in request.url else None)
    sign_in(page)
    add_category(page, "Late bites")
    expect(page.locator(".items-panel h2")).to_contain_text("Late bites")
    add_category(page, "Brunch")
    expect(page.locator(".items-panel h2")).to_contain_text("Brunch")
    keys = [r.headers.get("idempotency-key") for r in sent if r.method == "POST"]
    assert len(keys) == 3  # the sign-in and two categories
    assert all(key and re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)
    assert len(set(keys)) == len(keys)
    assert not [r for r in sent if r.method != "POST" and "idempotency-key" in r.headers]


def test_a_post_whose_answer_is_lost_is_sent_again_and_makes_one_thing(
    page: Page, live_edge: LiveEdge, console: Console
):
    """The first attempt reaches the box, which makes the category and answers; the answer is
    lost on the way back (the connection resets). The page sends it again with the same key,
    gets the first answer, and shows one category; the box holds one."""
    console.allow_lost("/api/menu/categories")
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))
    answered = []

    def lose_the_first_answer(route: Route) -> None:
        if answered:
            route.continue_()
            return
        answered.append(route.fetch())  # the box gets the request and answers it
        route.abort("connectionreset")  # the page never hears

    sign_in(page)
    page.route(CATEGORIES, lose_the_first_answer)
    add_category(page, "Late bites")
    expect(page.locator(".items-panel h2")).to_contain_text("Late bites")
    expect(page.locator(".cat-btn", has_text="Late bites")).to_have_count(1)
    first, again = posts_to(sent, "/api/menu/categories")
    assert answered[0].status == 201
    assert again.headers["idempotency-key"] == first.headers["idempotency-key"]
    replay = again.response()
    assert replay is not None and replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == answered[0].json()
    assert [c["id"] for c in categories_named(live_edge, "Late bites")] == [replay.json()["id"]]


def test_a_post_that_never_gets_through_is_tried_three_times_then_the_page_says_so(
    page: Page, live_edge: LiveEdge, console: Console
):
    console.allow_lost("/api/menu/categories")
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))
    sign_in(page)
    page.route(CATEGORIES, lambda route: route.abort("internetdisconnected"))
    add_category(page, "Late bites")
    message = page.locator("dialog.modal .msg-error")
    expect(message).to_have_text("Cannot reach the store box. Check the Wi-Fi and try again.")
    tries = posts_to(sent, "/api/menu/categories")
    assert len(tries) == 3 and len({r.headers["idempotency-key"] for r in tries}) == 1
    assert categories_named(live_edge, "Late bites") == []
