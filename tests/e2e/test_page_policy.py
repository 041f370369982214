"""A browser test fails on anything the page writes to its console as an error that the test
did not say it provokes."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.e2e.conftest import LiveEdge, browser_page

pytestmark = pytest.mark.e2e


def test_a_console_error_fails_a_browser_test(browser: Browser, live_edge: LiveEdge):
    """Even one the page's own code writes; a refused call that a test provokes, the test
    allows by name (`console.allow_refusal`)."""
    with (
        pytest.raises(AssertionError, match="errors in the page's console.*out of place"),
        browser_page(browser, live_edge) as page,
    ):
        page.goto("/admin/")
        page.evaluate("() => console.error('out of place')")
