"""A printer on a device file, from the admin's Printers section: the store's own database is
refused next to the field, a real device (a pseudo-terminal the test reads) prints."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from printers.decoder import decode
from tests.e2e.conftest import Console, LiveEdge, sign_in
from tests.printer_devices import pty

pytestmark = pytest.mark.e2e

NAME = "Bar receipt"


def test_a_device_file_printer_is_refused_unless_it_is_a_printer(
    page: Page, live_edge: LiveEdge, console: Console
):
    console.allow_refusal(422, "/api/printers")
    database = live_edge.settings.data_dir / "edge.db"
    with pty() as device:
        sign_in(page)
        page.get_by_role("link", name="Printers", exact=True).click()
        page.get_by_role("button", name="+ Add printer").click()
        dialog = page.locator("dialog.modal")
        dialog.locator('input[name="name"]').fill(NAME)
        dialog.locator('select[name="kind"]').select_option("file")
        path = dialog.locator('input[name="path"]')
        path.fill(str(database))
        dialog.get_by_role("button", name="Add printer").click()
        error = dialog.locator('.field-error[data-error-for="path"]')
        expect(error).to_contain_text("a path under /dev")
        expect(path).to_have_attribute("aria-invalid", "true")
        path.fill("/dev/null")
        dialog.get_by_role("button", name="Add printer").click()
        expect(error).to_contain_text("/dev/null is not a printer")

        path.fill(device.path)
        dialog.get_by_role("button", name="Add printer").click()
        expect(dialog).to_have_count(0)
        card = page.locator(f'.printer-card[data-printer="{NAME}"]')
        card.get_by_role("button", name="Test print").click()
        expect(page.locator(".jobs-table tbody tr").first.locator(".job-state")).to_have_text(
            "Printed", timeout=10000
        )
        printed = decode(device.read_all())
    assert printed.lines[0] == "TEST PAGE"
