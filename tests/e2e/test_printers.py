"""The Printers section against a real edge, its print worker and a printer emulator on a real
socket: add a network printer, test print, watch it go offline and come back, retry a job."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from printers.emulator import run_in_thread
from printers.transports import STATUS_QUESTIONS
from tests.e2e.conftest import SCREENSHOTS, Console, LiveEdge, sign_in

pytestmark = pytest.mark.e2e

NAME = "Pass printer"


def card(page: Page, name: str = NAME):
    return page.locator(f'.printer-card[data-printer="{name}"]')


def add_printer(page: Page, port: int) -> None:
    page.get_by_role("button", name="+ Add printer").click()
    dialog = page.locator("dialog.modal")
    dialog.locator('input[name="name"]').fill(NAME)
    dialog.locator('select[name="role"]').select_option("kitchen")
    expect(dialog.locator('input[name="stations"]')).to_be_visible()
    expect(dialog.locator('input[name="device"]')).to_be_hidden()
    dialog.locator('input[name="stations"]').fill("grill, pass")
    dialog.locator('select[name="kind"]').select_option("network")
    dialog.locator('input[name="host"]').fill("127.0.0.1")
    # A port no printer can have is refused inline, next to the field.
    dialog.locator('input[name="port"]').fill("70000")
    dialog.get_by_role("button", name="Add printer").click()
    expect(dialog.locator('[data-error-for="port"]')).to_contain_text("1 to 65535")
    expect(dialog.locator('input[name="port"]')).to_have_attribute("aria-invalid", "true")
    dialog.locator('input[name="port"]').fill(str(port))
    dialog.get_by_role("button", name="Add printer").click()
    expect(dialog).to_have_count(0)


def kitchen_pass_on(http: httpx.Client, port: int) -> str:
    """Point the demo's Kitchen pass at the printer on `port`; its id."""
    kitchen = next(p for p in http.get("/api/printers").json() if p["name"] == "Kitchen pass")
    transport = {"kind": "network", "host": "127.0.0.1", "port": port}
    changed = http.patch(f"/api/printers/{kitchen['id']}", json={"transport": transport})
    assert changed.status_code == 200, changed.text
    return kitchen["id"]


def test_add_network_printer_test_print_offline_and_retry(page: Page, live_edge: LiveEdge):
    with run_in_thread() as emulator:
        sign_in(page)
        page.get_by_role("link", name="Printers", exact=True).click()
        expect(page.get_by_role("heading", name="Printers", exact=True)).to_be_visible()
        add_printer(page, emulator.port)

        printer = card(page)
        expect(printer).to_contain_text("Kitchen · GRILL, PASS")
        expect(printer.locator(".printer-transport")).to_have_text(
            f"Network · 127.0.0.1:{emulator.port}"
        )
        expect(printer.locator(".status-badge")).to_have_text("Unknown")
        with live_edge.client() as http:
            saved = next(p for p in http.get("/api/printers").json() if p["name"] == NAME)
        assert saved["transport"] == {"kind": "network", "host": "127.0.0.1", "port": emulator.port}

        # Test print: the emulator gets the test page; the worker's status read says Online.
        printer.get_by_role("button", name="Test print").click()
        jobs = emulator.wait_for_jobs(1, timeout=10)
        assert "TEST PAGE" in jobs[0].text()
        expect(printer.locator(".status-badge")).to_have_text("Online")
        expect(page.locator(".printer-alert")).to_be_hidden()
        first = page.locator(".jobs-table tbody tr").first
        expect(first).to_contain_text("Test page")
        expect(first).to_contain_text(NAME)
        expect(first.locator(".job-state")).to_have_text("Printed")
        expect(first.locator(".job-when")).to_have_text(re.compile(r"^Printed at \d{1,2}:\d{2}"))
        assert "tried" not in first.inner_text()  # one status: printed, not "Not tried yet"
        expect(first.get_by_role("button", name="Reprint")).to_be_visible()

        # The printer is switched off: the next job fails, the card and the banner say so,
        # and the job waits with its error in plain words and a next try.
        emulator.set_offline(True)
        printer.get_by_role("button", name="Test print").click()
        expect(printer.locator(".status-badge")).to_have_text("Offline", timeout=10000)
        expect(printer).to_have_attribute("data-status", "offline")
        banner = page.locator(".printer-alert")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text(NAME)
        expect(banner).to_contain_text("offline")
        waiting = page.locator('.jobs-table tbody tr[data-state="queued"]').first
        expect(waiting).to_contain_text("Cannot reach the printer", timeout=10000)
        expect(waiting.locator(".job-state")).to_have_text("Retrying")
        expect(waiting.locator(".job-when")).to_contain_text(re.compile(r"\d+ failed tr(y|ies)"))
        expect(waiting.locator(".next-try")).to_contain_text("next try")
        # The next failed try updates the printer; the banner, saying the same, keeps its link.
        link = banner.locator(".alert-action").element_handle()
        with page.expect_response(lambda response: response.url.endswith("/api/printers")):
            expect(waiting.locator(".job-when")).to_contain_text("2 failed tries", timeout=10000)
        page.evaluate("() => new Promise((done) => requestAnimationFrame(done))")
        assert link.evaluate("node => node.isConnected")
        # The banner is on every section, not only this one.
        page.get_by_role("link", name="Menu", exact=True).click()
        expect(page.locator(".printer-alert")).to_contain_text(NAME)
        page.get_by_role("link", name="Printers", exact=True).click()

        # Back on; Retry sends the waiting job now instead of after the backoff.
        emulator.set_offline(False)
        waiting = page.locator('.jobs-table tbody tr[data-state="queued"]').first
        waiting.get_by_role("button", name="Retry").click()
        emulator.wait_for_jobs(2, timeout=10)
        expect(card(page).locator(".status-badge")).to_have_text("Online", timeout=10000)
        expect(page.locator(".printer-alert")).to_be_hidden()
        expect(page.locator('.jobs-table tbody tr[data-state="queued"]')).to_have_count(0)
        expect(page.locator('.jobs-table tbody tr[data-state="printed"]')).to_have_count(2)

        # Reprint the first test page: a new job, marked as a reprint.
        printed = page.locator('.jobs-table tbody tr[data-state="printed"]')
        unchanged = printed.first.element_handle()
        printed.last.get_by_role("button", name="Reprint").click()
        emulator.wait_for_jobs(3, timeout=10)
        expect(page.locator(".jobs-table tbody tr").first.locator(".job-what")).to_contain_text(
            "Reprint"
        )
        expect(printed).to_have_count(3)
        # The live updates of the new job redrew the list without replacing the rows that did
        # not change: a tap on a button being replaced would be lost.
        assert unchanged.evaluate("row => row.isConnected")


def test_filters_and_refusals_inline(page: Page, live_edge: LiveEdge, console: Console):
    console.allow_refusal(422, "/api/printers/discover/network")
    sign_in(page)
    page.goto("/admin/#/printers")
    expect(page.locator(".printer-card").first).to_be_visible()
    # The edge refuses a scan wider than a /24: its message shows beside the form.
    page.locator('input[name="subnet"]').fill("127.0.0.0/16")
    page.get_by_role("button", name="Scan network").click()
    expect(page.locator('.discover-net [data-error-for="subnet"]')).to_contain_text(
        "larger than a /24"
    )
    expect(page.locator('input[name="subnet"]')).to_have_attribute("aria-invalid", "true")
    # An empty subnet is caught before asking.
    page.locator('input[name="subnet"]').fill("")
    page.get_by_role("button", name="Scan network").click()
    expect(page.locator('.discover-net [data-error-for="subnet"]')).to_contain_text(
        "192.168.1.0/24"
    )
    # Filters ask the edge again; nothing printed yet in this store.
    page.locator('select[name="state"]').select_option("failed")
    expect(page.locator(".jobs-card .empty")).to_have_text("No jobs match.")


def test_preview_shows_the_job_as_its_printer_prints_it(page: Page, live_edge: LiveEdge):
    with run_in_thread() as emulator, live_edge.client() as http:
        kitchen = kitchen_pass_on(http, emulator.port)
        assert http.post(f"/api/printers/{kitchen}/test").status_code == 201
        emulator.wait_for_jobs(1, timeout=10)

        sign_in(page)
        page.goto("/admin/#/printers")
        row = page.locator(".jobs-table tbody tr").first
        expect(row.locator(".job-state")).to_have_text("Printed")
        row.get_by_role("button", name="Preview").click()
        dialog = page.locator("dialog.preview-modal")
        expect(dialog.get_by_role("heading", name="Test page")).to_be_visible()
        expect(dialog).to_contain_text("Kitchen pass")
        image = dialog.locator("img.preview-image")
        expect(image).to_be_visible()
        natural = image.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
        assert natural[0] and natural[1] > 0 and natural[2] > natural[1]  # a strip of paper
        # Drawn at twice the size, shown at the paper's size: 48 columns of a TM-T20II.
        assert image.evaluate("img => img.getBoundingClientRect().width") == natural[1] / 2
        dialog.locator(".modal-foot").get_by_role("button", name="Close").click()
        expect(dialog).to_have_count(0)
        row.get_by_role("button", name="Preview").click()  # and Escape closes it too
        expect(page.locator("dialog.preview-modal img.preview-image")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.locator("dialog.preview-modal")).to_have_count(0)


def test_each_job_has_one_status_true_to_its_state_and_tries(page: Page, live_edge: LiveEdge):
    with run_in_thread() as emulator, live_edge.client() as http:
        emulator.set_offline(True)
        kitchen = kitchen_pass_on(http, emulator.port)
        first = http.post(f"/api/printers/{kitchen}/test").json()
        second = http.post(f"/api/printers/{kitchen}/test").json()

        sign_in(page)
        page.goto("/admin/#/printers")
        retrying = page.locator(f'.jobs-table tr[data-job="{first["id"]}"]')
        behind = page.locator(f'.jobs-table tr[data-job="{second["id"]}"]')
        # The head job failed and waits for its next try; the one behind it waits its turn.
        expect(retrying.locator(".job-state")).to_have_text("Retrying", timeout=10000)
        expect(retrying.locator(".job-when")).to_contain_text("1 failed try · next try")
        expect(behind.locator(".job-state")).to_have_text("Waiting")
        expect(behind.locator(".job-when")).to_have_text("Waiting for its turn")

        # The printer comes back: the worker prints both by itself, and the first says it took
        # a second try, not "Printed" beside "Not tried yet".
        emulator.set_offline(False)
        emulator.wait_for_jobs(2, timeout=10)
        expect(retrying.locator(".job-state")).to_have_text("Printed", timeout=10000)
        expect(retrying.locator(".job-when")).to_have_text(
            re.compile(r"^Printed at \d{1,2}:\d{2}( [AP]M)? after 1 failed try$")
        )
        expect(behind.locator(".job-when")).to_have_text(re.compile(r"^Printed at "))
        expect(behind.locator(".job-when")).not_to_contain_text("after")  # it never failed
        for row in (retrying, behind):
            expect(row.locator(".badge.job-state")).to_have_count(1)
            assert "Waiting" not in row.inner_text() and "tried yet" not in row.inner_text()


def test_a_job_the_printer_got_part_of_reads_as_a_reprint_in_the_jobs_and_the_audit(
    page: Page, live_edge: LiveEdge
):
    """The printer drops the connection halfway through a test page and prints what it got; the
    worker sends the page again under a REPRINT banner. The jobs list says it printed after a
    failed try, as a reprint; the audit says why the first try failed and that the next one
    went under the banner."""
    with (
        run_in_thread(cut_after=len(STATUS_QUESTIONS) + 60) as emulator,
        live_edge.client() as http,
    ):
        kitchen = kitchen_pass_on(http, emulator.port)
        job = http.post(f"/api/printers/{kitchen}/test").json()
        cut, again = emulator.wait_for_jobs(2, timeout=10)  # the retry, 2 s after the cut
    assert cut.lines[0] == "TEST PAGE" and again.lines[:2] == ["*** REPRINT ***", "TEST PAGE"]

    SCREENSHOTS.mkdir(exist_ok=True)
    sign_in(page)
    page.goto("/admin/#/printers")
    row = page.locator(f'.jobs-table tr[data-job="{job["id"]}"]')
    expect(row.locator(".job-state")).to_have_text("Printed", timeout=10000)
    expect(row.locator(".job-when")).to_have_text(re.compile(r"after 1 failed try$"))
    reprint = row.locator(".job-what .badge")
    expect(reprint).to_have_text("Reprint")
    expect(reprint).to_have_attribute("title", re.compile("may have printed before"))
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.screenshot(path=SCREENSHOTS / "desktop-printers-cut-job.png")

    page.get_by_role("link", name="Audit").click()
    page.get_by_label("What").select_option(label="Printing (printers, status, jobs)")
    with page.expect_response(re.compile(r"/api/audit\?")):
        page.get_by_role("button", name="Show").click()
    failed = page.locator("tr.audit-row", has_text=re.compile(r"Print failed \(attempt 1\)"))
    expect(failed).to_contain_text("Cannot reach the printer")
    expect(failed).to_contain_text(
        "Under a REPRINT banner: the printer may have printed some of it"
    )
    assert "Reprint" not in failed.inner_text().replace("REPRINT", "")  # no raw "Reprint: yes"
    page.screenshot(path=SCREENSHOTS / "desktop-audit-cut-job.png")
    page.set_viewport_size({"width": 390, "height": 844})
    failed.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "phone-audit-cut-job.png")
    page.goto("/admin/#/printers")
    expect(row.locator(".job-state")).to_have_text("Printed", timeout=10000)
    row.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "phone-printers-cut-job.png")
