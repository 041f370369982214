"""The pages run under the box's Content-Security-Policy in Chromium, and a browser test fails on
anything the page writes to its console as an error that the test did not say it provokes."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.e2e.conftest import Console, LiveEdge, browser_page, sign_in

pytestmark = pytest.mark.e2e


def test_the_admin_page_runs_no_inline_script_or_style(browser: Browser, live_edge: LiveEdge):
    """Something slipped into the page (an inline script, a style attribute) is refused, and
    says so in the console; the page's own scripts and styles, and its live feed, work."""
    console = Console()
    with (
        pytest.raises(AssertionError, match="Content Security Policy"),
        browser_page(browser, live_edge, console) as page,
    ):
        sign_in(page)  # the page's modules ran and its websocket is live
        page.evaluate(
            """() => {
              const script = document.createElement("script");
              script.textContent = "window.injected = true";
              document.head.append(script);
              document.body.setAttribute("style", "background: rgb(255, 0, 0)");
            }"""
        )
        assert page.evaluate("window.injected") is None
        body = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert body != "rgb(255, 0, 0)"
    refused = [error for error in console.errors if "Content Security Policy" in error]
    assert any("script-src 'self'" in error for error in refused), refused
    assert any("style-src 'self'" in error for error in refused), refused


def test_a_console_error_fails_a_browser_test(browser: Browser, live_edge: LiveEdge):
    """Even one the page's own code writes; a refused call that a test provokes, the test
    allows by name (`console.allow_refusal`)."""
    with (
        pytest.raises(AssertionError, match="errors in the page's console.*out of place"),
        browser_page(browser, live_edge) as page,
    ):
        page.goto("/admin/")
        page.evaluate("() => console.error('out of place')")
