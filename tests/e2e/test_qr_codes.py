"""Table QR codes read the way their consumers read them: each file parsed as XML, opened in
Chromium as a downloaded file is and photographed (a screenshot), or printed to PDF and each
page rendered, then scanned back by a real QR reader (zxing-cpp) to the table's guest URL,
whose token the box accepts.

A sheet that no browser could open once passed every test because none parsed it, let alone
scanned it; these tests are the guest's phone in front of the printed paper.
"""

from __future__ import annotations

import contextlib
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from edge.core import db
from edge.domain import tables
from printers.emulator import run_in_thread
from printers.preview import preview_png
from printers.profiles import get_profile
from tests.e2e.conftest import SCREENSHOTS, LiveEdge, sign_in
from tests.e2e.test_pos import print_receipts_on

pytestmark = pytest.mark.e2e

SVG = "{http://www.w3.org/2000/svg}svg"
A4_POINTS = (595.28, 841.89)
ONE_CM = {side: "1cm" for side in ("top", "right", "bottom", "left")}  # a print dialog's default


@pytest.fixture
def owner(live_edge: LiveEdge) -> Iterator[httpx.Client]:
    with live_edge.client() as http:
        yield http


@pytest.fixture
def floor(owner: httpx.Client) -> list[dict]:
    """The demo floor grown past one A4 page (14 tables in use), with one table out of use and
    one whose code was replaced (its current code is version 2)."""
    terrace = next(a for a in owner.get("/api/tables").json() if a["name"] == "Terrace")
    for name in ("T5", "T6", "T7"):
        made = owner.post("/api/tables", json={"area_id": terrace["id"], "name": name})
        assert made.status_code == 201, made.text
    ids = {t["name"]: t["id"] for t in terrace["tables"]}
    assert owner.patch(f"/api/tables/{ids['T4']}", json={"enabled": False}).status_code == 200
    assert owner.post(f"/api/tables/{ids['T1']}/rotate-qr").status_code == 200
    return [t for area in owner.get("/api/tables").json() for t in area["tables"]]


def in_use(floor: list[dict]) -> set[str]:
    return {t["name"] for t in floor if t["enabled"]}


def fetch_svg(http: httpx.Client, path: str) -> bytes:
    """The file as the admin page receives it, checked to be well-formed SVG."""
    response = http.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(response.content)  # raises on a redefined attribute, as browsers do
    assert root.tag == SVG
    return response.content


def scanned_tables(live_edge: LiveEdge, picture: bytes | Image.Image) -> list[str]:
    """The names of the tables whose codes a QR reader finds in `picture` (a PNG or an image),
    in reading order; each code must hold `<guest base URL>/t/<token>` with a token the box
    accepts now."""
    if isinstance(picture, bytes):
        picture = Image.open(io.BytesIO(picture))
    # A QR reader: a card's dashed cut lines and text can pass for a 1-D barcode (ITF) to a
    # reader of every format, which no phone's camera app offers for a table code.
    codes = zxingcpp.read_barcodes(picture.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    with contextlib.closing(db.connect(live_edge.settings.database, readonly=True)) as conn:
        base = conn.execute("SELECT guest_base_url FROM store").fetchone()[0]
        secret = bytes.fromhex(
            conn.execute("SELECT value FROM box WHERE name = 'qr_secret'").fetchone()[0]
        )
        names = []
        for code in sorted(codes, key=lambda c: (c.position.top_left.y, c.position.top_left.x)):
            assert code.format == zxingcpp.BarcodeFormat.QRCode
            assert code.text.startswith(f"{base}/t/"), code.text
            token = code.text.removeprefix(f"{base}/t/")
            names.append(tables.check_qr_token(conn, secret, token)["name"])
    return names


def open_svg(page: Page, path: str, shot: str) -> bytes:
    """Open the file in Chromium as a document of its own (a downloaded file opened): it must be
    the SVG, not Chromium's XML error page; return its screenshot."""
    page.goto(path)
    assert page.evaluate("document.documentElement.namespaceURI") == "http://www.w3.org/2000/svg"
    assert page.evaluate("document.getElementsByTagName('parsererror').length") == 0
    return page.screenshot(path=SCREENSHOTS / shot)


def signed_in_files(page: Page, live_edge: LiveEdge) -> None:
    """Let the browser open the admin's files directly, as the owner's device."""
    with live_edge.client() as http:
        page.context.set_extra_http_headers({"Authorization": http.headers["Authorization"]})


def test_the_sheet_scans_to_every_table_in_use(page: Page, live_edge: LiveEdge, owner, floor):
    SCREENSHOTS.mkdir(exist_ok=True)
    fetch_svg(owner, "/api/tables/qr-sheet.svg")
    signed_in_files(page, live_edge)
    page.set_viewport_size({"width": 794, "height": 2 * 1123})  # the whole sheet in view
    png = open_svg(page, "/api/tables/qr-sheet.svg", "qr-sheet.png")
    names = scanned_tables(live_edge, png)
    assert sorted(names) == sorted(in_use(floor))  # each once, T4 (out of use) not at all
    assert Image.open(io.BytesIO(png)).height >= 2 * 1123  # 14 cards: two A4 pages


def test_each_table_card_scans_to_its_table(page: Page, live_edge: LiveEdge, owner, floor):
    SCREENSHOTS.mkdir(exist_ok=True)
    signed_in_files(page, live_edge)
    page.set_viewport_size({"width": 390, "height": 844})  # the card opened on a phone
    for table in floor:
        path = f"/api/tables/{table['id']}/qr.svg"
        fetch_svg(owner, path)
        png = open_svg(page, path, f"qr-card-{table['name']}.png")
        assert scanned_tables(live_edge, png) == [table["name"]]


def test_print_qr_sheet_prints_one_a4_page_per_twelve_cards(
    page: Page, live_edge: LiveEdge, owner, floor
):
    """The admin's Print QR sheet button prints the sheet's pages, each on a sheet of A4 paper
    of its own. Printed to PDF as a browser's print dialog does by default (its margins, its
    paper), each PDF page is rendered and scanned, and its text read: twelve whole cards on the
    first page (the store's name, the code, the table's name and the hint), the other two on
    the second, every table in use once. Printed as one tall picture, the fifth row of cards
    began at the foot of page 1 and ended on page 2."""
    SCREENSHOTS.mkdir(exist_ok=True)
    sign_in(page)
    page.get_by_role("link", name="Tables").click()
    # Headless Chromium has no print dialog, and a window.print() there leaves the page half
    # printed; page.pdf() below is what the dialog would make of the page.
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    page.get_by_role("button", name="Print QR sheet").click()
    expect(page.locator(".print-pages .print-page")).to_have_count(2)
    assert page.evaluate("window.printed") == 1
    expect(page.locator(".print-pages")).to_be_hidden()  # on the screen, the page as it was
    pdf = pdfium.PdfDocument(page.pdf(format="Letter", prefer_css_page_size=True, margin=ONE_CM))
    store = owner.get("/api/store").json()["name"]
    printed = []
    for number, paper in enumerate(pdf, start=1):
        assert paper.get_size() == pytest.approx(A4_POINTS, abs=1), f"page {number} is not A4"
        picture = paper.render(scale=2).to_pil()
        picture.save(SCREENSHOTS / f"qr-sheet-printed-{number}.png")
        names = scanned_tables(live_edge, picture)
        text = paper.get_textpage().get_text_range()
        cards = (text.count(store), sorted(re.findall(r"Table (\S+)", text)), text.count("Scan"))
        assert cards == (len(names), sorted(names), len(names)), f"page {number}: {text}"
        printed.append(names)
    assert [len(names) for names in printed] == [12, 2]
    assert sorted(name for names in printed for name in names) == sorted(in_use(floor))
    page.evaluate("dispatchEvent(new Event('afterprint'))")  # the dialog closed
    expect(page.locator(".print-pages")).to_have_count(0)


def test_print_on_a_printer_sends_a_card_a_table_whose_code_scans_to_it(
    page: Page, live_edge: LiveEdge, owner, floor
):
    """The Tables page's Print on a printer: the cards of every table in use on the receipt
    printer (a printer emulator), each read back from its paper by the QR reader to its table;
    then one table's card alone, as after its code was replaced."""
    receipt = next(p for p in owner.get("/api/printers").json() if p["role"] == "receipt")
    columns = get_profile(receipt["profile"]).columns
    with run_in_thread() as emulator:
        print_receipts_on(owner, emulator.port)
        sign_in(page)
        page.get_by_role("link", name="Tables").click()
        page.get_by_role("button", name="Print on a printer").click()
        dialog = page.locator("dialog.modal")
        expect(dialog.get_by_label("Printer")).to_have_value(receipt["id"])
        every = f"Every table in use ({len(in_use(floor))})"
        expect(dialog.get_by_label("Tables").locator("option:checked")).to_have_text(every)
        page.screenshot(path=SCREENSHOTS / "qr-cards-dialog.png")
        dialog.get_by_role("button", name="Print").click()
        sent = f"{len(in_use(floor))} QR cards sent to {receipt['name']}"
        expect(page.locator(".toast", has_text=sent)).to_be_visible()
        cards = emulator.wait_for_jobs(len(in_use(floor)), timeout=30)
        scanned = []
        for card in cards:
            picture = Image.open(io.BytesIO(preview_png(card, columns, scale=2)))
            scanned += scanned_tables(live_edge, picture)
        assert sorted(scanned) == sorted(in_use(floor))

        page.get_by_role("button", name="Print on a printer").click()
        dialog.get_by_label("Tables").select_option(label="Terrace: table T1")
        dialog.get_by_role("button", name="Print").click()
        expect(
            page.locator(".toast", has_text=f"1 QR card sent to {receipt['name']}")
        ).to_be_visible()
        (again,) = emulator.wait_for_jobs(len(cards) + 1, timeout=30)[len(cards) :]
        picture = Image.open(io.BytesIO(preview_png(again, columns, scale=2)))
        assert scanned_tables(live_edge, picture) == ["T1"]


def test_long_names_stay_on_their_cards_and_the_codes_still_scan(
    page: Page, live_edge: LiveEdge, owner, floor
):
    """A store's name (80 characters allowed) and a table's (20) ran past their card, over the
    next card's name and off the paper. Each line of text is measured in Chromium: within its
    own card; and every code still scans to its table."""
    store = "Restaurante La Casa de las Abuelas del Puerto Viejo, Marisqueria y Cafe"
    assert owner.patch("/api/store", json={"name": store}).status_code == 200
    long_names = ["Terrace by the sea 1", "WWWWWWWWWWWWWWWWWWWW", "北京烤鸭北京烤鸭北京烤鸭"]
    for table, name in zip(floor, long_names, strict=False):
        renamed = owner.patch(f"/api/tables/{table['id']}", json={"name": name})
        assert renamed.status_code == 200, renamed.text
    signed_in_files(page, live_edge)
    page.set_viewport_size({"width": 794, "height": 2 * 1123})
    png = open_svg(page, "/api/tables/qr-sheet.svg", "qr-sheet-long-names.png")
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('text')].map(t => {
            const b = t.getBBox(); return [t.textContent, b.x, b.x + b.width]; })"""
    )
    cell = 794 // 3
    for text, left, right in boxes:
        column = int(((left + right) / 2) // cell)
        assert column * cell <= left and right <= (column + 1) * cell, (text, left, right)
    assert sorted(scanned_tables(live_edge, png)) == sorted(
        long_names[i] if i < len(long_names) else t["name"]
        for i, t in enumerate(floor)
        if t["enabled"]
    )
    shown = [text for text, *_ in boxes]
    assert shown.count(store) == len(in_use(floor)) and "Terrace by the sea 1" in shown
