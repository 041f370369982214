"""Printing from the edge: real SQLite, real HTTP, the real emulator over TCP on 127.0.0.1.

The print workers' threads are off here (`print_workers=False`); each test drives the same code
they run (`PrintService.drain_all`) and moves time with freezegun instead of sleeping.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from freezegun import freeze_time

from edge.api.app import create_app
from edge.core import db
from edge.core.config import EdgeSettings
from edge.core.events import commit, digest
from edge.core.permissions import Actor
from edge.core.retention import Keep
from edge.domain import print_queue, printouts
from edge.runtime.housekeeping import prune
from printers import preview
from printers.decoder import decode
from printers.emulator import ThreadedEmulator, run_in_thread
from printers.profiles import GENERIC_58MM, TM_T20II, get_profile
from printers.transports import STATUS_QUESTIONS
from tests.clock import advance
from tests.conftest import device_header, sign_in, staff_id
from tests.edge.menu_helpers import item, menu, modifier, table_id
from tests.edge.test_checks import check_of, open_shift, pay, walk_in
from tests.edge.test_contract import assert_error_shape
from tests.live import feed, serve
from tests.printer_devices import pty

UNKNOWN = "01900000-0000-7000-8000-000000000000"


@pytest.fixture
def settings(settings: EdgeSettings) -> EdgeSettings:
    """The shared demo store, with no worker threads: tests drive printing with `drain`."""
    return dataclasses.replace(settings, print_workers=False)


@pytest.fixture
def emulator() -> Iterator[ThreadedEmulator]:
    with run_in_thread() as emu:
        yield emu


async def drain(app) -> None:
    await asyncio.to_thread(app.state.box.printing.drain_all)


async def printers_by_name(client, headers) -> dict[str, dict]:
    listed = (await client.get("/api/printers", headers=headers)).json()
    return {p["name"]: p for p in listed}


def network(port: int) -> dict:
    return {"kind": "network", "host": "127.0.0.1", "port": port, "connect_timeout": 1.0}


async def point_at(client, headers, name: str, port: int, **more) -> dict:
    printer = (await printers_by_name(client, headers))[name]
    response = await client.patch(
        f"/api/printers/{printer['id']}", headers=headers, json={"transport": network(port), **more}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def add_printer(client, headers, name: str, role: str, transport: dict, **more) -> dict:
    response = await client.post(
        "/api/printers",
        headers=headers,
        json={"name": name, "role": role, "transport": transport, **more},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def kitchen_order(client, headers, name: str = "Burrata", **body) -> dict:
    m = await menu(client)
    lines = [{"item_id": item(m, name)["id"]}]
    response = await client.post(
        "/api/orders", headers=headers, json={"kind": "counter", "lines": lines, **body}
    )
    assert response.status_code == 201, response.text
    return response.json()


def rows(app, sql: str, *args) -> list:
    conn = db.connect(app.state.box.path, readonly=True)
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


async def test_printer_off_for_ten_minutes_then_back_prints_everything_in_order(
    app, client, emulator
):
    manager = await sign_in(client, "manager")
    await point_at(client, manager, "Kitchen pass", emulator.port)
    emulator.set_offline(True)
    with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
        numbers = []
        for _ in range(6):
            order = await kitchen_order(client, manager, send=True)
            numbers.append(order["number"])
            await drain(app)
        for _ in range(10):  # ten minutes of retries, each after its backoff
            advance(frozen, 60)
            await drain(app)
        jobs = rows(app, "SELECT * FROM print_jobs ORDER BY seq")
        assert [j["state"] for j in jobs] == ["queued"] * 6
        assert jobs[0]["attempts"] >= 8 and "PrinterOffline" in jobs[0]["last_error"]
        status = (await printers_by_name(client, manager))["Kitchen pass"]
        assert status["online"] is False and status["waiting"] == 6
        emulator.set_offline(False)
        advance(frozen, 61)
        await drain(app)
    printed = emulator.wait_for_jobs(6)
    assert len(printed) == 6 and not emulator.discarded
    tickets = [next(line for line in job.lines if line.startswith("#")) for job in printed]
    assert [t.split()[0] for t in tickets] == [f"#{n}" for n in numbers]
    assert all(r["state"] == "printed" for r in rows(app, "SELECT state FROM print_jobs"))
    online = (await printers_by_name(client, manager))["Kitchen pass"]
    assert online["online"] is True and online["waiting"] == 0


async def test_paper_out_reroutes_to_the_backup_printer(app, client, emulator):
    manager = await sign_in(client, "manager")
    with run_in_thread() as backup_emu:
        backup_id = (
            await add_printer(client, manager, "Bar backup", "kitchen", network(backup_emu.port))
        )["id"]
        kitchen = await point_at(
            client, manager, "Kitchen pass", emulator.port, backup_printer_id=backup_id
        )
        emulator.paper_out = True
        for name in ("Burrata", "Cola", "Cheesecake"):
            await kitchen_order(client, manager, name, send=True)
        await drain(app)
        printed = backup_emu.wait_for_jobs(3)
    assert len(printed) == 3 and emulator.jobs == [] and emulator.discarded == []
    jobs = rows(app, "SELECT * FROM print_jobs ORDER BY seq")
    assert {(j["state"], j["printer_id"], j["rerouted_from"]) for j in jobs} == {
        ("printed", backup_id, kitchen["id"])
    }
    assert [job.lines[0] for job in printed] == ["KITCHEN", "BAR", "KITCHEN"]
    moved = rows(
        app, "SELECT fields FROM events WHERE entity = 'print_jobs' AND fields LIKE '%rerouted%'"
    )
    assert len(moved) == 3
    status = (await printers_by_name(client, manager))["Kitchen pass"]
    assert status["paper_out"] is True and status["online"] is False


async def test_send_marks_lines_sent_and_adds_void_chits_and_bills(app, client, emulator):
    manager = await sign_in(client, "manager", device="pos-1")
    await point_at(client, manager, "Kitchen pass", emulator.port)
    await point_at(client, manager, "Counter receipt", emulator.port)
    m = await menu(client)
    order = (
        await client.post(
            "/api/orders",
            headers=manager,
            json={
                "kind": "counter",
                "lines": [
                    {"item_id": item(m, "Burrata")["id"]},
                    {"item_id": item(m, "Cola")["id"]},
                ],
            },
        )
    ).json()
    assert {line["state"] for line in order["lines"]} == {"pending"}
    sent = await client.post(f"/api/orders/{order['id']}/send", headers=manager)
    assert sent.status_code == 200, sent.text
    assert {line["state"] for line in sent.json()["lines"]} == {"sent"}
    again = await client.post(f"/api/orders/{order['id']}/send", headers=manager)
    assert again.status_code == 409 and again.json()["error"]["code"] == "nothing_to_send"
    await client.post(
        f"/api/orders/{order['id']}/lines",
        headers=manager,
        json={"lines": [{"item_id": item(m, "Padrón peppers")["id"]}]},
    )
    assert (await client.post(f"/api/orders/{order['id']}/send", headers=manager)).is_success
    burrata = next(line for line in sent.json()["lines"] if line["name"] == "Burrata")
    void = await client.post(
        f"/api/order-lines/{burrata['id']}/void", headers=manager, json={"reason": "guest left"}
    )
    assert void.status_code == 200, void.text
    bill = await client.post(f"/api/orders/{order['id']}/print-bill", headers=manager)
    assert bill.status_code == 201 and bill.json()["kind"] == "receipt"
    await drain(app)
    jobs = emulator.wait_for_jobs(5)
    receipt = next(job for job in jobs if job.lines[0] == "Harbour Kitchen")
    # The kitchen printer's jobs come out in the order they were made; the bill has its own.
    kitchen, bar, added, chit = [job for job in jobs if job is not receipt]
    assert kitchen.lines[0] == "KITCHEN" and "1x Burrata" in kitchen.lines
    assert bar.lines[0] == "BAR" and "1x Cola" in bar.lines
    assert "*** ADD ***" in added.lines and "1x Padrón peppers" in added.lines
    assert "*** VOID ***" in chit.lines and "Reason: guest left" in chit.lines
    assert "BILL" in receipt.lines and receipt.lines[0] == "Harbour Kitchen"
    listed = (await client.get("/api/print-jobs?limit=2", headers=manager)).json()
    assert [j["kind"] for j in listed] == ["receipt", "void_chit"]
    assert set(listed[0]) >= {
        "id", "printer_id", "printer_name", "kind", "state", "attempts", "next_attempt_at",
        "last_error", "reprint", "rerouted_from", "created_at", "printed_at",
    }  # fmt: skip
    assert "payload" not in listed[0]
    event = rows(app, "SELECT fields FROM events WHERE entity = 'print_jobs' AND op = 'create'")
    payload = json.loads(event[0]["fields"])["payload"]
    assert set(payload) == {"bytes", "sha256"} and payload["bytes"] > 100


async def test_the_kitchen_gets_its_lines_by_course_and_the_bill_reads_naturally(
    app, client, emulator
):
    manager = await sign_in(client, "manager", device="pos-1")
    await point_at(client, manager, "Kitchen pass", emulator.port)
    await point_at(client, manager, "Counter receipt", emulator.port)
    # Every course at once (no coursing), to see them all on one ticket.
    await client.patch("/api/kitchen/settings", headers=manager, json={"hold_courses": False})
    m = await menu(client)
    floor = (await client.get("/api/tables", headers=manager)).json()

    def line(name: str, *choices: tuple[str, str]) -> dict:
        chosen = [modifier(m, group, choice)["id"] for group, choice in choices]
        return {"item_id": item(m, name)["id"], "modifier_ids": chosen}

    # Entered as a waiter takes them: a main first, a drink, a dessert, a starter, a coffee.
    order = (
        await client.post(
            "/api/orders",
            headers=manager,
            json={
                "kind": "table",
                "table_id": table_id(floor, "3"),  # the demo names its tables "1" to "8"
                "send": True,
                "lines": [
                    line("Grilled sea bass", ("Side", "Fries")),
                    line("Cola"),
                    line("Cheesecake"),
                    line("Burrata"),
                    line("Espresso"),
                ],
            },
        )
    ).json()
    # Courses of the store's own come after the usual four, by name.
    for name, course in (("Bread & olives", "SIDES"), ("Soup of the day", "KIDS")):
        changed = await client.patch(
            f"/api/menu/items/{item(m, name)['id']}", headers=manager, json={"course": course}
        )
        assert changed.status_code == 200, changed.text
    names = ("Bread & olives", "Mushroom risotto", "Soup of the day", "Chicken wings")
    more = [line(name) for name in names]
    await client.post(f"/api/orders/{order['id']}/lines", headers=manager, json={"lines": more})
    assert (await client.post(f"/api/orders/{order['id']}/send", headers=manager)).is_success
    burrata = next(x for x in order["lines"] if x["name"] == "Burrata")
    await client.post(
        f"/api/order-lines/{burrata['id']}/void", headers=manager, json={"reason": "too slow"}
    )
    bill = await client.post(f"/api/orders/{order['id']}/print-bill", headers=manager)
    assert bill.status_code == 201, bill.text
    total = (await client.get(f"/api/orders/{order['id']}", headers=manager)).json()["total"]
    await drain(app)
    # The real bytes, as the emulator decoded them off the wire.
    jobs = emulator.wait_for_jobs(5)
    receipt = next(job for job in jobs if job.lines[0] == "Harbour Kitchen")
    kitchen, bar, added, chit = [job for job in jobs if job is not receipt]  # the printer's order

    def rule(course: str = "") -> str:
        return f" {course} ".center(48, "-") if course else "-" * 48

    def from_first_course(job, course: str) -> list[str]:
        return job.lines[job.lines.index(rule(course)) :]

    assert kitchen.lines[:2] == ["KITCHEN", "Table 3"]
    assert from_first_course(kitchen, "STARTERS")[:8] == [
        rule("STARTERS"),
        "1x Burrata",
        rule("MAINS"),
        "1x Grilled sea bass",
        "   + Fries",
        rule("DESSERTS"),
        "1x Cheesecake",
        rule(),
    ]
    heading = next(x for x in kitchen.printed_lines if x.text == rule("MAINS"))
    assert (heading.bold, heading.height, kitchen.lines.count(rule("MAINS"))) == (True, 2, 1)
    assert from_first_course(bar, "DRINKS")[:4] == [
        rule("DRINKS"),
        "1x Cola",
        rule("DESSERTS"),
        "1x Espresso",
    ]
    # ADD tickets and VOID chits follow the same rule.
    assert added.lines[:3] == ["KITCHEN", "*** ADD ***", "Table 3"]
    assert from_first_course(added, "STARTERS")[:8] == [
        rule("STARTERS"),
        "1x Chicken wings",
        rule("MAINS"),
        "1x Mushroom risotto",
        rule("KIDS"),
        "1x Soup of the day",
        rule("SIDES"),
        "1x Bread & olives",
    ]
    assert from_first_course(chit, "STARTERS")[:3] == [rule("STARTERS"), "VOID 1x Burrata", rule()]

    assert "BILL" in receipt.lines
    assert any(x.startswith("Table 3 ") for x in receipt.lines)
    assert not any("Table Table" in x or "% 1" in x for x in receipt.lines)
    taxes = [x.split("  ")[0] for x in receipt.lines if x.startswith("incl.")]
    assert taxes == ["incl. IVA 13%", "incl. IVA 23%"]
    (total_line,) = [x for x in receipt.lines if x.startswith("TOTAL")]
    assert total_line.endswith(f" €{total // 100}.{total % 100:02d}") and len(total_line) == 48
    # The bill keeps the order of entry (the voided starter is off it).
    sold = [x.split("  ")[0] for x in receipt.lines if x[:2] == "1x"]
    assert sold == [
        "1x Grilled sea bass",
        "1x Cola",
        "1x Cheesecake",
        "1x Espresso",
        "1x Bread & olives",
        "1x Mushroom risotto",
        "1x Soup of the day",
        "1x Chicken wings",
    ]


async def test_a_table_with_a_code_for_a_name_is_a_table_on_paper(app, client, emulator):
    manager = await sign_in(client, "manager")
    await point_at(client, manager, "Kitchen pass", emulator.port)
    floor = (await client.get("/api/tables", headers=manager)).json()
    t1 = table_id(floor, "T1")
    await kitchen_order(client, manager, "Burrata", kind="table", table_id=t1, send=True)
    await drain(app)
    (ticket,) = emulator.wait_for_jobs(1)
    assert ticket.lines[:2] == ["KITCHEN", "Table T1"]


async def test_a_burst_asks_the_printer_once_per_job_and_a_new_drain_asks_before_again(
    app, client, emulator
):
    """Within one drain the status read after a job stands for the read before the next one
    (the printer said it can print a moment ago); a later drain asks before its first job."""
    manager = await sign_in(client, "manager")
    await point_at(client, manager, "Kitchen pass", emulator.port)
    for name in ("Burrata", "Garlic prawns"):
        await kitchen_order(client, manager, name, send=True)
    await drain(app)
    await kitchen_order(client, manager, "Burrata", send=True)
    await drain(app)
    printed = emulator.wait_for_jobs(3)
    asked_first = [bytes(job.raw).startswith(STATUS_QUESTIONS) for job in printed]
    assert asked_first == [True, False, True]
    assert all(bytes(job.raw).endswith(STATUS_QUESTIONS) for job in printed)


async def test_drawer_pulse_once_per_cash_tender(app, client, emulator):
    manager = await sign_in(client, "manager")
    await point_at(client, manager, "Counter receipt", emulator.port)
    box = app.state.box
    cashier = Actor("c1", "Carla", "cashier", "pos-1")
    first = await box.write(printouts.open_drawer_for_tender, cashier, "tender-1", "pos-1")
    second = await box.write(printouts.open_drawer_for_tender, cashier, "tender-1", "pos-1")
    assert first is not None and second is None
    await drain(app)
    printed = emulator.wait_for_jobs(1)
    assert [job.drawer_pulses for job in printed] == [[2]]
    assert len(rows(app, "SELECT id FROM print_jobs WHERE kind = 'drawer'")) == 1


def printed_amounts(job) -> dict[str, int]:
    """The receipt's labelled amounts in cents ("Cash  €1,000.00" -> {"Cash": 100000})."""
    found = {}
    for line in job.lines:
        label, _, amount = line.rpartition(" ")
        if amount.lstrip("-").startswith("€"):
            found[label.strip()] = int(amount.replace("€", "").replace(",", "").replace(".", ""))
    return found


async def paid_by_card_and_cash(client, manager, emulator) -> tuple[dict, dict, dict]:
    """A walk-in's order and the two tenders that paid its check, its receipt printed on
    `emulator`: 501 and a tip of 123 by card, the rest from 100.00 in cash with a tip of 7, at a
    store that rounds cash to 5 cents."""
    await client.patch("/api/pos/settings", json={"cash_rounding": 5}, headers=manager)
    await point_at(client, manager, "Counter receipt", emulator.port)
    order = await walk_in(client, manager, "Garlic prawns", "Espresso", "Burrata")
    check = await check_of(client, manager, order)
    await open_shift(client, manager)
    card = await pay(
        client, manager, check["id"], method="card", amount=501, tip=123, reference="T"
    )
    assert card.status_code == 201, card.text
    cash = await pay(client, manager, check["id"], method="cash", given=10_000, tip=7)
    assert cash.status_code == 201, cash.text
    return order, card.json(), cash.json()


async def test_a_paid_receipt_adds_up_with_cash_rounding_and_a_card_tip(app, client, emulator):
    """The card tender was printed without its tip (but the tip under it) and the cash rounding
    not at all: the tenders on paper did not add up to the total, tips and change."""
    manager = await sign_in(client, "manager", device="till")
    _, _, cash = await paid_by_card_and_cash(client, manager, emulator)
    view = cash["check"]
    rounding = cash["payment"]["rounding"]
    assert rounding != 0 and view["status"] == "paid"
    await drain(app)
    (receipt,) = [job for job in emulator.wait_for_jobs(2) if job.cuts]
    paper = printed_amounts(receipt)
    assert paper["TOTAL"] == view["total"]
    assert paper["Card"] == 501 + 123  # what the card was charged
    assert (paper["Cash"], paper["Change"]) == (10_000, cash["change"])
    assert (paper["Tip"], paper["Cash rounding"]) == (view["tips"], rounding)
    tendered = paper["Card"] + paper["Cash"]
    assert tendered == paper["TOTAL"] + paper["Cash rounding"] + paper["Tip"] + paper["Change"]
    # The digital copy the receipt's code opens says the same (it lacked the rounding).
    digital = (await client.get(f"/api/receipts/{receipt.qr[0].rpartition('#')[2]}")).json()
    card_tender, cash_tender = digital["tenders"]
    assert (digital["total"], digital["change"]) == (paper["TOTAL"], paper["Change"])
    assert (digital["rounding"], cash_tender["amount"]) == (paper["Cash rounding"], paper["Cash"])
    assert (card_tender["amount"], digital["tip"]) == (paper["Card"], paper["Tip"])


async def test_a_receipt_for_a_dish_named_in_hebrew_or_japanese_has_no_question_marks(
    app, client, emulator
):
    """A store in Tel Aviv or Tokyo printed "1x ?????? ????" on its receipts for each dish: only
    kitchen tickets drew what no code page holds. The dish's row is drawn, an image of the text
    rows' width (its amount at their right edge); the rows the code page holds stay text."""
    manager = await sign_in(client, "manager", device="till")
    await point_at(client, manager, "Counter receipt", emulator.port)
    names = {"Garlic prawns": "שרימפס בשום 🦐", "Espresso": "エスプレッソ"}
    menu_json = await menu(client)
    for name, renamed in names.items():
        path = f"/api/menu/items/{item(menu_json, name)['id']}"
        assert (await client.patch(path, headers=manager, json={"name": renamed})).is_success
    check = await check_of(client, manager, await walk_in(client, manager, *names.values()))
    await open_shift(client, manager)
    paid = await pay(
        client, manager, check["id"], method="card", amount=check["balance"], reference="T"
    )
    assert paid.status_code == 201, paid.text
    await drain(app)
    (receipt,) = [job for job in emulator.wait_for_jobs(1) if job.cuts]
    assert not [line for line in receipt.lines if "?" in line], receipt.lines
    assert "Subtotal" in receipt.text() and "TOTAL" in receipt.text()
    assert receipt.images[:2] == [(TM_T20II.text_dots, receipt.images[0][1])] * 2


async def test_an_orders_bill_asks_for_what_its_check_comes_to(app, client, emulator):
    """The bill printed from an order (the POS's "Reprint bill") was the order on its own: no
    discount, no service charge, taxes before the discount, not the table's other order. The
    guest read a total the POS would not take. It is the bill of the check it is paid on, and
    once paid, its receipt."""
    manager = await sign_in(client, "manager", device="till")
    await client.patch("/api/pos/settings", json={"service_bp": 1000}, headers=manager)
    await point_at(client, manager, "Counter receipt", emulator.port)
    m = await menu(client)
    table = table_id((await client.get("/api/tables", headers=manager)).json(), "3")
    orders = []
    for name in ("Garlic prawns", "Espresso"):
        body = {"kind": "table", "table_id": table, "lines": [{"item_id": item(m, name)["id"]}]}
        made = await client.post("/api/orders", headers=manager, json=body)
        assert made.status_code == 201, made.text
        orders.append(made.json())
    check = await check_of(client, manager, orders[0])
    discount = {"kind": "percent", "value": 500, "reason": "Regular"}
    added = await client.post(
        f"/api/checks/{check['id']}/discounts", headers=manager, json=discount
    )
    assert added.status_code == 201, added.text
    check = (await client.get(f"/api/checks/{check['id']}", headers=manager)).json()
    assert check["service_charge"] and check["discount_total"]
    bill = await client.post(f"/api/orders/{orders[1]['id']}/print-bill", headers=manager)
    assert bill.status_code == 201, bill.text
    await drain(app)
    (printed,) = emulator.wait_for_jobs(1)
    assert "BILL" in printed.lines and any(x.startswith("Table 3 ") for x in printed.lines)
    paper = printed_amounts(printed)
    assert paper["TOTAL"] == check["total"]
    assert (paper["Regular"], paper["Service 10%"]) == (
        -check["discount_total"],
        check["service_charge"],
    )
    taxes = {label: amount for label, amount in paper.items() if label.startswith("incl.")}
    assert taxes == {f"incl. {t['name']}": t["tax"] for t in check["taxes"]}
    assert "1x Garlic prawns" in printed.text() and "1x Espresso" in printed.text()

    with freeze_time(datetime.now(UTC), tick=True) as frozen:
        await open_shift(client, manager)
        paid = await pay(client, manager, check["id"], method="card", reference="R")
        assert paid.status_code == 201, paid.text
        advance(frozen, timedelta(days=1))  # the guest comes back for a copy
        manager = await sign_in(client, "manager", device="till")
        again = await client.post(f"/api/orders/{orders[0]['id']}/print-bill", headers=manager)
        assert again.status_code == 201, again.text
        await drain(app)
    first, receipt = emulator.wait_for_jobs(3)[1:]  # the payment's receipt, then this one
    assert "BILL" not in receipt.lines and printed_amounts(receipt)["Card"] == check["total"]

    def printed_at(job) -> list[str]:
        return re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", job.text())

    assert printed_at(receipt) == printed_at(first) != []  # the sale's time, not the copy's


async def test_a_check_a_void_settles_prints_its_receipt_as_a_tender_would(app, client, emulator):
    """A check paid in part, then left owing nothing by a void (the guest paid for the prawns,
    the tart they did not want was voided), was paid with no receipt at all: the guest who paid
    had no proof of it, where the tender that settles a check prints one. The void that settles
    it prints the receipt on the voiding till's printer: what the check now comes to, the
    tender, and what is owed back."""
    manager = await sign_in(client, "manager", device="till")
    await point_at(client, manager, "Counter receipt", emulator.port)
    await open_shift(client, manager)
    order = await walk_in(client, manager, "Garlic prawns", "Pastel de nata")
    check = await check_of(client, manager, order)
    prawns, tart = sorted(check["lines"], key=lambda line: line["name"] != "Garlic prawns")
    taken = await pay(
        client, manager, check["id"], method="card", amount=prawns["amount"] + 1, reference="T1"
    )
    assert taken.status_code == 201 and taken.json()["receipt_job_id"] is None
    voided = await client.post(
        f"/api/order-lines/{tart['line_id']}/void", json={"reason": "not wanted"}, headers=manager
    )
    assert voided.status_code == 200, voided.text
    now = (await client.get(f"/api/checks/{check['id']}", headers=manager)).json()
    assert now["status"] == "paid" and now["due_back"] == 1
    jobs = rows(app, "SELECT kind, source_id FROM print_jobs WHERE kind = 'receipt'")
    assert jobs == [{"kind": "receipt", "source_id": check["id"]}]
    await drain(app)
    (receipt,) = emulator.wait_for_jobs(1)
    paper = printed_amounts(receipt)
    assert (paper["TOTAL"], paper["Card"]) == (now["total"], prawns["amount"] + 1)
    assert paper["Owed back"] == 1 and "Pastel de nata" not in receipt.text()
    digital = (await client.get(f"/api/receipts/{receipt.qr[0].rpartition('#')[2]}")).json()
    assert digital["total"] == now["total"]


async def test_a_receipt_printed_again_is_a_copy_that_names_who_took_the_payment(
    app, client, emulator
):
    """A paid check's receipt printed again (the guest asks for one the next morning) read as a
    second original, under the name of whoever printed it: it says COPY, and who took the
    payment."""
    manager = await sign_in(client, "manager", device="till")
    await point_at(client, manager, "Counter receipt", emulator.port)
    cashier = await sign_in(client, "cashier", device="till")
    order = await walk_in(client, cashier, "Garlic prawns")
    check = await check_of(client, cashier, order)
    await open_shift(client, cashier)
    paid = await pay(client, cashier, check["id"], method="card", reference="R")
    assert paid.status_code == 201, paid.text
    again = await client.post(f"/api/orders/{order['id']}/print-bill", headers=manager)
    assert again.status_code == 201, again.text
    await drain(app)
    original, copy = emulator.wait_for_jobs(2)
    names = {m["role"]: m["name"] for m in (await client.get("/api/staff", headers=manager)).json()}
    assert "COPY" not in original.lines and "COPY" in copy.lines
    for receipt in (original, copy):
        assert names["cashier"] in receipt.text() and names["manager"] not in receipt.text()


async def test_the_bill_of_a_split_table_check_is_the_whole_check(app, client, emulator):
    """A table's check split in parts: the order's bill opened a new, empty check beside it and
    printed TOTAL 0.00. It is the split check's: its lines and what it comes to."""
    manager = await sign_in(client, "manager", device="till")
    await point_at(client, manager, "Counter receipt", emulator.port)
    m = await menu(client)
    table = table_id((await client.get("/api/tables", headers=manager)).json(), "3")
    lines = [{"item_id": item(m, name)["id"]} for name in ("Garlic prawns", "Espresso")]
    body = {"kind": "table", "table_id": table, "lines": lines}
    order = (await client.post("/api/orders", headers=manager, json=body)).json()
    check = await check_of(client, manager, order)
    split = {"by": "even", "ways": 2}
    assert (
        await client.post(f"/api/checks/{check['id']}/split", headers=manager, json=split)
    ).is_success
    checks_before = rows(app, "SELECT id FROM checks")
    bill = await client.post(f"/api/orders/{order['id']}/print-bill", headers=manager)
    assert bill.status_code == 201, bill.text
    await drain(app)
    (printed,) = emulator.wait_for_jobs(1)
    assert printed_amounts(printed)["TOTAL"] == check["total"] > 0
    assert "1x Garlic prawns" in printed.text() and "1x Espresso" in printed.text()
    assert rows(app, "SELECT id FROM checks") == checks_before


async def test_a_comped_check_split_by_items_shows_each_part_its_own_lines(app, client, emulator):
    """A check comped in full (100 % off) split by items: each part took an even share of the
    comp whatever it held, and its lines were printed at that share (a 1.20 espresso alone on
    its part read 10.60, the prawns and the burrata, 20.00, 10.60 between them). A part
    holding whole lines shows each at its price, and the comp of exactly those lines: on the
    POS, on paper and in the digital receipt, lines make the subtotal, less the comp the total,
    and the parts' lines and comps make the check's."""
    manager = await sign_in(client, "manager", device="till")
    await point_at(client, manager, "Counter receipt", emulator.port)
    check = await check_of(
        client, manager, await walk_in(client, manager, "Garlic prawns", "Espresso", "Burrata")
    )
    comp = {"kind": "percent", "value": 10_000, "reason": "birthday"}
    answer = await client.post(f"/api/checks/{check['id']}/discounts", json=comp, headers=manager)
    assert answer.status_code == 201 and answer.json()["total"] == 0, answer.text
    price = {line["line_id"]: line["amount"] for line in check["lines"]}
    ids = list(price)
    held = [ids[1:2], [ids[0], ids[2]]]
    split = await client.post(
        f"/api/checks/{check['id']}/split", json={"by": "items", "parts": held}, headers=manager
    )
    assert split.status_code == 200, split.text
    await open_shift(client, manager)
    views = []
    for part in split.json()["parts"]:
        paid = await pay(client, manager, part["id"], method="card", reference="T-1")
        assert paid.status_code == 201, paid.text
        views.append(paid.json()["check"])
    await drain(app)
    receipts = [job for job in emulator.wait_for_jobs(2) if job.cuts]
    assert len(receipts) == 2
    for view, lines, receipt in zip(views, held, receipts, strict=True):
        prices = [price[i] for i in lines]
        assert [line["charged"] for line in view["lines"]] == prices  # the POS's
        assert view["discount_total"] == sum(prices) and view["total"] == 0
        assert [d["amount"] for d in view["discounts"]] == [sum(prices)]
        paper = printed_amounts(receipt)
        items = [amount for label, amount in paper.items() if label.startswith("1x ")]
        assert items == prices, receipt.text()
        assert paper["Subtotal"] == sum(prices) == -paper["birthday"]
        assert paper["TOTAL"] == 0
        digital = (await client.get(f"/api/receipts/{receipt.qr[0].rpartition('#')[2]}")).json()
        assert [line["amount"] for line in digital["lines"]] == prices
        assert [d["amount"] for d in digital["discounts"]] == [sum(prices)]
        assert digital["total"] == 0


async def test_the_x_reports_tenders_add_up_to_its_takings(app, client, emulator):
    """The report listed "Cash rounding" among the tenders as a row of its own, though the cash
    tenders' amount holds it already: the rows added up to the takings plus the rounding."""
    manager = await sign_in(client, "manager", device="till")
    await client.patch("/api/pos/settings", json={"cash_rounding": 5}, headers=manager)
    await point_at(client, manager, "Counter receipt", emulator.port)
    check = await check_of(client, manager, await walk_in(client, manager, "Garlic prawns"))
    await open_shift(client, manager)
    card = {"method": "card", "amount": 501, "tip": 100, "reference": "X"}
    assert (await pay(client, manager, check["id"], **card)).status_code == 201
    cash = await pay(client, manager, check["id"], method="cash", given=5_000)
    assert cash.status_code == 201 and cash.json()["payment"]["rounding"] != 0
    refund = {"amount": 100, "reason": "cold"}
    payment = cash.json()["payment"]["id"]
    refunded = await client.post(f"/api/payments/{payment}/refund", json=refund, headers=manager)
    assert refunded.status_code == 201, refunded.text
    report = await client.post("/api/reports", json={"kind": "x"}, headers=manager)
    assert report.status_code == 201, report.text
    await drain(app)
    (printed,) = [job for job in emulator.wait_for_jobs(3) if "X REPORT" in job.lines]
    tenders = printed.lines[printed.lines.index("Tenders") + 1 :]
    tenders = tenders[: tenders.index("-" * 48)]

    def cents(line: str) -> int:
        return int(line.rpartition(" ")[2].replace(",", "").replace(".", ""))

    takings = cents(tenders.pop())
    assert takings == report.json()["data"]["takings"]
    assert sum(cents(row) for row in tenders if not row.startswith("incl.")) == takings


async def a_card_sale(client, manager, emulator) -> dict:
    """The manager's till prints on `emulator`, opens its shift and sells garlic prawns by
    card: the paid check."""
    await point_at(client, manager, "Counter receipt", emulator.port)
    await open_shift(client, manager, 0)
    check = await check_of(client, manager, await walk_in(client, manager, "Garlic prawns"))
    paid = await pay(client, manager, check["id"], method="card", reference="T1")
    assert paid.status_code == 201, paid.text
    return paid.json()["check"]


async def test_a_z_report_is_printed_again_after_its_print_job_is_gone(app, client, emulator):
    """A Z report's print job is forgotten after two weeks (what the box keeps of printing),
    while the report stays in GET /api/reports: its job's Reprint then answered 404, and no
    other way printed it, though the accountant asks for last month's Z on paper. A manager
    prints any report again from the report itself, under a REPRINT banner, as it was made:
    its figures and the time it was made."""
    manager = await sign_in(client, "manager", device="till")
    await a_card_sale(client, manager, emulator)
    closed = await client.post("/api/shifts/current/close", json={"counted": {}}, headers=manager)
    assert closed.status_code == 200, closed.text
    made = await client.post("/api/reports", json={"kind": "z"}, headers=manager)
    assert made.status_code == 201, made.text
    z = made.json()
    await drain(app)
    first = [job for job in emulator.wait_for_jobs(2) if "Z REPORT" in job.lines]
    assert len(first) == 1
    later = datetime.now(UTC) + timedelta(days=30)
    await prune(app.state.box.write, Keep(local_days=14, synced_days=90), later)
    gone = await client.post(f"/api/print-jobs/{z['print_job_id']}/reprint", headers=manager)
    assert gone.status_code == 404
    (listed,) = (await client.get("/api/reports", headers=manager)).json()
    again = await client.post(f"/api/reports/{listed['id']}/print", headers=manager)
    assert again.status_code == 201, again.text
    assert again.json()["kind"] == "report" and again.json()["reprint"] is True
    await drain(app)
    reprinted = emulator.wait_for_jobs(3)[2]
    assert reprinted.lines[0] == "*** REPRINT ***" and "Z REPORT" in reprinted.lines
    assert (
        reprinted.lines[reprinted.lines.index("Z REPORT") :]
        == first[0].lines[first[0].lines.index("Z REPORT") :]
    )
    cashier = await sign_in(client, "cashier", device="till")
    refused = await client.post(f"/api/reports/{listed['id']}/print", headers=cashier)
    assert refused.status_code == 403
    assert_error_shape(refused)
    unknown = await client.post(f"/api/reports/{UNKNOWN}/print", headers=manager)
    assert unknown.status_code == 404
    assert_error_shape(unknown)


async def test_a_report_printed_again_reads_in_the_money_it_was_made_in(app, client, emulator):
    """A store that changes its money (Croatia's kuna to the euro; here the euro to the yen)
    printed a report made before in the new money's digits: a day of €9.50 read 950."""
    manager = await sign_in(client, "manager", device="till")
    check = await a_card_sale(client, manager, emulator)
    made = await client.post("/api/reports", json={"kind": "x"}, headers=manager)
    assert made.status_code == 201, made.text
    assert made.json()["data"]["currency"] == "EUR"
    changed = await client.patch("/api/store", json={"currency": "JPY"}, headers=manager)
    assert changed.status_code == 200, changed.text
    again = await client.post(f"/api/reports/{made.json()['id']}/print", headers=manager)
    assert again.status_code == 201, again.text
    await drain(app)
    first, reprinted = [job for job in emulator.wait_for_jobs(3) if "X REPORT" in job.lines]
    (sales,) = [line for line in reprinted.lines if line.startswith("Sales ")]
    total = check["total"]
    assert sales.endswith(f" {total // 100}.{total % 100:02d}"), sales
    assert (
        first.lines[first.lines.index("X REPORT") :]
        == reprinted.lines[reprinted.lines.index("X REPORT") :]
    )


async def test_no_sale_drawer_needs_a_manager_or_their_approval(app, client, emulator):
    cashier = await sign_in(client, "cashier")
    refused = await client.post("/api/drawer/open", headers=cashier, json={"reason": "change"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "approval_required"
    roster = (await client.get("/api/staff/roster", headers=await device_header(client))).json()
    boss = next(s["id"] for s in roster if s["role"] == "manager")
    asked = {"reason": "change", "approval": {"staff_id": boss, "pin": "2222"}}
    no_shift = await client.post("/api/drawer/open", headers=cashier, json=asked)
    assert no_shift.status_code == 409 and no_shift.json()["error"]["code"] == "no_open_shift"
    assert (await client.post("/api/shifts", headers=cashier, json={"float": 0})).status_code == 201
    approved = await client.post("/api/drawer/open", headers=cashier, json=asked)
    assert approved.status_code == 201, approved.text
    assert approved.json()["kind"] == "drawer" and approved.json()["note"] == "change"
    event = rows(app, "SELECT approver FROM events WHERE entity = 'print_jobs'")
    assert event == [{"approver": boss}]


async def test_a_job_cut_off_mid_send_is_printed_again_with_a_reprint_banner(settings, emulator):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
            manager = await sign_in(client, "manager")
            await point_at(client, manager, "Kitchen pass", emulator.port)
            await kitchen_order(client, manager, send=True)
        job_id = rows(app, "SELECT id FROM print_jobs")[0]["id"]
        await app.state.box.write(print_queue.mark_sending, job_id)  # then the box dies
        # the claim is in the row, on disk, and in no event
        assert rows(app, "SELECT state FROM print_jobs") == [{"state": "sending"}]
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert rows(app, "SELECT state, reprint FROM print_jobs") == [
            {"state": "queued", "reprint": 1}
        ]
        await drain(app)
    (job,) = emulator.wait_for_jobs(1)
    assert job.lines[0] == "*** REPRINT ***" and "1x Burrata" in job.lines
    # what the audit says of it: queued, sent again after the restart, printed
    said = rows(app, "SELECT op, fields FROM events WHERE entity_id = ? ORDER BY seq", job_id)
    assert [(e["op"], json.loads(e["fields"]).get("state")) for e in said] == [
        ("create", "queued"),
        ("update", "queued"),
        ("update", "printed"),
    ]
    assert json.loads(said[1]["fields"])["reprint"] is True


async def failed_once_it_began(app, client, manager, error: str) -> dict:
    """A kitchen ticket sent, and its first attempt failed (`error`) once its bytes began to
    leave: it waits to go again under a REPRINT banner, and its printer, which said it could
    print before the job, reads offline for now, not "online". The job's row."""
    await kitchen_order(client, manager, send=True)
    await drain(app)
    (job,) = rows(app, "SELECT * FROM print_jobs")
    assert (job["state"], job["attempts"], job["reprint"]) == ("queued", 1, 1)
    assert job["last_error"].startswith(error)
    kitchen = (await printers_by_name(client, manager))["Kitchen pass"]
    assert kitchen["online"] is False and kitchen["error"]
    return job


async def test_a_job_the_printer_got_part_of_goes_again_under_a_reprint_banner(
    app, client, emulator
):
    """The printer drops the connection once it has part of the ticket (a cable pulled, a
    printer switched off mid-job): it printed what it got, so the ticket goes again under a
    REPRINT banner, not as a second identical ticket the kitchen would read as a new order."""
    manager = await sign_in(client, "manager")
    await point_at(client, manager, "Kitchen pass", emulator.port)
    cut_at = len(STATUS_QUESTIONS) + 60  # asked its status, then 60 bytes of the ticket
    emulator.cut_after = cut_at
    with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
        job = await failed_once_it_began(app, client, manager, "PrinterOffline")
        advance(frozen, print_queue.backoff(1) + 1)
        await drain(app)
    cut, again = emulator.wait_for_jobs(2)
    assert bytes(cut.raw) == (STATUS_QUESTIONS + bytes(job["payload"]))[:cut_at]
    assert cut.lines[0] == "KITCHEN" and "1x Burrata" not in cut.lines
    assert again.lines[:2] == ["*** REPRINT ***", "KITCHEN"] and "1x Burrata" in again.lines
    said = rows(app, "SELECT fields FROM events WHERE entity_id = ? ORDER BY seq", job["id"])
    assert [json.loads(e["fields"]).get("reprint") for e in said] == [False, True, None]


async def test_a_job_the_paper_ran_out_in_is_not_printed_though_the_printer_said_nothing(
    app, client, emulator
):
    """The paper runs out mid-ticket: the printer stops, its buffer fills, and the status asked
    after the job waits behind the ticket's rest, unanswered. "No answer" was taken for
    "printed": the ticket was marked printed with its end never on paper, and the printer read
    online. A printer that answered before the job and then not after it, in as long as a write
    may take, has not printed it: the job goes again under a REPRINT banner, held while the
    printer then says paper out, and prints once the paper is back."""
    manager = await sign_in(client, "manager")
    kitchen = (await printers_by_name(client, manager))["Kitchen pass"]
    quick = {**network(emulator.port), "status_timeout": 0.2, "timeout": 0.5}
    pointed = await client.patch(
        f"/api/printers/{kitchen['id']}", json={"transport": quick}, headers=manager
    )
    assert pointed.status_code == 200, pointed.text
    emulator.paper_ends_after = len(STATUS_QUESTIONS) + 60  # its status, 60 bytes of the job
    with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
        await failed_once_it_began(app, client, manager, "PrinterTimeout")
        advance(frozen, print_queue.backoff(1) + 1)
        await drain(app)  # the printer now says paper out: the job waits
        (job,) = rows(app, "SELECT * FROM print_jobs")
        assert (job["state"], job["attempts"]) == ("queued", 2)
        assert (await printers_by_name(client, manager))["Kitchen pass"]["paper_out"] is True
        emulator.paper_out = False  # paper back in
        advance(frozen, print_queue.backoff(2) + 1)
        await drain(app)
    assert rows(app, "SELECT state FROM print_jobs") == [{"state": "printed"}]
    (stopped,) = emulator.discarded
    assert "1x Burrata" not in stopped.lines
    (again,) = emulator.wait_for_jobs(2)
    assert again.lines[:2] == ["*** REPRINT ***", "KITCHEN"] and "1x Burrata" in again.lines


async def test_a_drawer_pulse_cut_off_goes_again_with_no_banner(app, client, emulator):
    manager = await sign_in(client, "manager")
    await point_at(client, manager, "Counter receipt", emulator.port)
    emulator.cut_after = len(STATUS_QUESTIONS) + 1
    cashier = Actor("c1", "Carla", "cashier", "pos-1")
    with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
        await app.state.box.write(printouts.open_drawer_for_tender, cashier, "tender-1", "pos-1")
        await drain(app)
        assert rows(app, "SELECT attempts, reprint FROM print_jobs") == [
            {"attempts": 1, "reprint": 0}
        ]
        advance(frozen, print_queue.backoff(1) + 1)
        await drain(app)
    (pulse,) = emulator.wait_for_jobs(1)
    assert pulse.drawer_pulses == [2] and not pulse.lines


async def test_a_job_refused_before_any_byte_left_goes_again_without_a_banner(
    app, client, emulator
):
    """Paper out before the job, or a printer that refuses the connection (off since the job
    before it in the same drain printed): nothing of the job reached it, so it is no reprint."""
    manager = await sign_in(client, "manager")
    kitchen = await point_at(client, manager, "Kitchen pass", emulator.port)
    worker = app.state.box.printing.worker(kitchen["id"])
    with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
        emulator.paper_out = True
        await kitchen_order(client, manager, "Burrata", send=True)
        await drain(app)
        assert rows(app, "SELECT attempts, reprint FROM print_jobs") == [
            {"attempts": 1, "reprint": 0}
        ]
        emulator.paper_out = False
        advance(frozen, print_queue.backoff(1) + 1)
        await kitchen_order(client, manager, "Garlic prawns", send=True)
        assert await asyncio.to_thread(worker.run_once) == 0  # prints the first: it can print
        emulator.set_offline(True)
        assert await asyncio.to_thread(worker.run_once) == 0  # the second: refused
        states = rows(
            app, "SELECT state, attempts, reprint, last_error FROM print_jobs ORDER BY seq"
        )
        assert [(j["state"], j["attempts"], j["reprint"]) for j in states] == [
            ("printed", 1, 0),
            ("queued", 1, 0),
        ]
        assert states[1]["last_error"].startswith("PrinterOffline")
        emulator.set_offline(False)
        advance(frozen, print_queue.backoff(1) + 1)
        await drain(app)
    burrata, prawns = emulator.wait_for_jobs(2)
    assert burrata.lines[0] == prawns.lines[0] == "KITCHEN" and not emulator.discarded
    assert "1x Garlic prawns" in prawns.lines


async def test_a_printed_job_is_two_events_who_printed_what_and_that_it_printed(
    app, client, emulator
):
    """Printing churn: the worker's claim (`sending`) writes the row, not an event; the feed
    and the audit have the job's create (who, what, where) and its outcome."""
    manager = await sign_in(client, "manager")
    await point_at(client, manager, "Kitchen pass", emulator.port)
    since = rows(app, "SELECT MAX(seq) AS seq FROM events")[0]["seq"]
    await kitchen_order(client, manager, send=True)
    await drain(app)
    assert len(emulator.wait_for_jobs(1)) == 1
    (job,) = rows(app, "SELECT id, state FROM print_jobs")
    said = rows(
        app,
        "SELECT op, actor, fields FROM events WHERE entity = 'print_jobs' AND seq > ? ORDER BY seq",
        since,
    )
    assert [(e["op"], json.loads(e["fields"])["state"]) for e in said] == [
        ("create", "queued"),
        ("update", "printed"),
    ]
    created = json.loads(said[0]["fields"])
    assert (
        said[0]["actor"] == await staff_id(client, "manager")
        and created["kind"] == "kitchen_ticket"
    )
    assert created["source_entity"] == "orders" and job["state"] == "printed"


async def test_a_queue_drains_in_one_write_per_job_each_claimed_before_it_is_sent(
    app, client, emulator
):
    """A job printed is recorded in the write that claims the next one: three tickets, three
    claims and a last record, not six writes; every ticket printed, once, in order."""
    manager = await sign_in(client, "manager")
    await point_at(client, manager, "Kitchen pass", emulator.port)
    for name in ("Burrata", "Garlic prawns", "Burrata"):
        await kitchen_order(client, manager, name, send=True)
    stats = app.state.box.writer.stats
    before = stats.writes
    await drain(app)
    printed = emulator.wait_for_jobs(3)
    assert stats.writes - before == 4
    assert [("Garlic prawns" in " ".join(job.lines)) for job in printed] == [False, True, False]
    assert rows(app, "SELECT DISTINCT state FROM print_jobs") == [{"state": "printed"}]


async def test_test_page_reprint_and_retry_of_a_failed_job(app, client, emulator, tmp_path):
    manager = await sign_in(client, "manager")
    receipt = (await printers_by_name(client, manager))["Counter receipt"]
    with pty() as device:  # a printer on its device file, then unplugged: no such device
        gone = {"kind": "file", "path": device.path}
        changed = await client.patch(
            f"/api/printers/{receipt['id']}", headers=manager, json={"transport": gone}
        )
        assert changed.status_code == 200, changed.text
    with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
        test = await client.post(f"/api/printers/{receipt['id']}/test", headers=manager)
        assert test.status_code == 201 and test.json()["kind"] == "test_page"
        for _ in range(print_queue.REROUTE_AFTER):
            await drain(app)
            advance(frozen, 61)
    failed = (await client.get("/api/print-jobs?state=failed", headers=manager)).json()
    assert [j["id"] for j in failed] == [test.json()["id"]]
    assert "PrinterNotFound" in failed[0]["last_error"]
    await point_at(client, manager, "Counter receipt", emulator.port)
    retried = await client.post(f"/api/print-jobs/{failed[0]['id']}/retry", headers=manager)
    assert retried.status_code == 200 and retried.json()["state"] == "queued"
    await drain(app)
    reprint = await client.post(f"/api/print-jobs/{failed[0]['id']}/reprint", headers=manager)
    assert reprint.status_code == 201 and reprint.json()["reprint"] is True
    await drain(app)
    first, second = emulator.wait_for_jobs(2)
    assert first.lines[0] == "TEST PAGE" and second.lines[:2] == ["*** REPRINT ***", "TEST PAGE"]


async def test_refusals_write_nothing(app, client):
    waiter = await sign_in(client, "waiter")
    manager = await sign_in(client, "manager")

    def counts() -> tuple[int, int]:
        (e,) = rows(app, "SELECT COUNT(*) AS n FROM events WHERE entity LIKE 'print%'")
        (p,) = rows(app, "SELECT COUNT(*) AS n FROM printers")
        return e["n"], p["n"]

    before = counts()
    good = {"name": "X", "role": "receipt", "transport": {"kind": "network", "host": "127.0.0.1"}}
    forbidden = await client.post("/api/printers", headers=waiter, json=good)
    assert forbidden.status_code == 403
    bad = await client.post(
        "/api/printers", headers=manager, json={**good, "transport": {"kind": "pigeon"}}
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_transport"
    for transport in (
        {"kind": "network", "host": "127.0.0.1", "port": 70000},
        {"kind": "network", "host": "", "port": 9100},
    ):
        refused = await client.post(
            "/api/printers", headers=manager, json={**good, "transport": transport}
        )
        assert refused.status_code == 422, transport
        assert refused.json()["error"]["code"] == "bad_transport"
    bad_profile = await client.post(
        "/api/printers", headers=manager, json={**good, "profile": "TM-NOPE"}
    )
    assert bad_profile.status_code == 422
    too_large = await client.post(
        "/api/printers/discover/network", headers=manager, json={"subnet": "127.0.0.0/16"}
    )
    assert too_large.status_code == 422 and too_large.json()["error"]["code"] == "subnet_too_large"
    unknown = await client.patch(f"/api/printers/{UNKNOWN}", headers=manager, json={"name": "Y"})
    assert unknown.status_code == 404
    assert (await client.post(f"/api/printers/{UNKNOWN}/test", headers=manager)).status_code == 404
    assert (await client.post(f"/api/print-jobs/{UNKNOWN}/retry", headers=manager)).status_code == (
        404
    )
    assert (await client.get("/api/printers", headers=waiter)).status_code == 200
    assert counts() == before


async def test_discovery_endpoints_on_loopback(app, client, emulator):
    manager = await sign_in(client, "manager")
    usb = await client.get("/api/printers/discover/usb", headers=manager)
    assert usb.status_code == 200 and isinstance(usb.json(), list)
    found = await client.post(
        "/api/printers/discover/network",
        headers=manager,
        json={"subnet": "127.0.0.1/32", "port": emulator.port},
    )
    assert found.status_code == 200, found.text
    assert found.json() == [
        {
            "host": "127.0.0.1",
            "port": emulator.port,
            "answers_status": True,
            "transport": {"kind": "network", "host": "127.0.0.1", "port": emulator.port},
        }
    ]


async def test_workers_print_on_their_own_and_stop_with_the_box(settings, emulator):
    app = create_app(dataclasses.replace(settings, print_workers=True))  # as in production
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
            manager = await sign_in(client, "manager")
            await point_at(client, manager, "Kitchen pass", emulator.port)
            await kitchen_order(client, manager, send=True)
            (job,) = await asyncio.to_thread(emulator.wait_for_jobs, 1)
            assert "1x Burrata" in job.lines
        threads = [w.thread for w in app.state.box.printing.workers.values()]
    assert threads and not any(t.is_alive() for t in threads if t is not None)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def paper_width(profile_name: str) -> int:
    """Pixel width `printers.preview` draws a job of that profile's columns at."""
    return get_profile(profile_name).columns * preview.CHAR_WIDTH + 2 * preview.MARGIN


async def test_preview_png_of_a_job_for_whoever_may_list_jobs(app, client):
    manager = await sign_in(client, "manager")
    receipt = (await printers_by_name(client, manager))["Counter receipt"]
    test = await client.post(f"/api/printers/{receipt['id']}/test", headers=manager)
    job_id = test.json()["id"]
    shown = await client.get(f"/api/print-jobs/{job_id}/preview.png", headers=manager)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
    width, height = png_size(shown.content)
    assert width == paper_width("TM-T20II")  # 48 columns
    assert 300 < height < 3000 and 1_000 < len(shown.content) < 200_000  # a page, not a poster
    # A reprint shows its REPRINT banner on top: the same page, taller.
    again = await client.post(f"/api/print-jobs/{job_id}/reprint", headers=manager)
    reprint = await client.get(f"/api/print-jobs/{again.json()['id']}/preview.png", headers=manager)
    assert png_size(reprint.content)[0] == width and png_size(reprint.content)[1] > height
    sharp = await client.get(f"/api/print-jobs/{job_id}/preview.png?scale=2", headers=manager)
    assert png_size(sharp.content) == (2 * width, 2 * height)  # for two pixels per CSS pixel
    too_big = await client.get(f"/api/print-jobs/{job_id}/preview.png?scale=9", headers=manager)
    assert_error_shape(too_big)

    waiter = await sign_in(client, "waiter")  # may list jobs, so may see them
    assert (await client.get("/api/print-jobs", headers=waiter)).status_code == 200
    seen = await client.get(f"/api/print-jobs/{job_id}/preview.png", headers=waiter)
    assert seen.status_code == 200 and seen.content == shown.content
    anonymous = await client.get(f"/api/print-jobs/{job_id}/preview.png")
    assert_error_shape(anonymous)
    assert anonymous.status_code == 401
    unknown = await client.get(f"/api/print-jobs/{UNKNOWN}/preview.png", headers=manager)
    assert_error_shape(unknown)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


async def test_a_job_rerouted_to_a_58mm_backup_is_rendered_for_its_32_columns(
    app, client, emulator
):
    manager = await sign_in(client, "manager")
    note = "Allergy at this table: no nuts, clean board and separate pans for everything please"
    with run_in_thread(escpos_profile=GENERIC_58MM.escpos_profile) as backup_emu:
        backup = await add_printer(
            client,
            manager,
            "Pass 58",
            "kitchen",
            network(backup_emu.port),
            profile=GENERIC_58MM.name,
        )
        kitchen = await point_at(
            client, manager, "Kitchen pass", emulator.port, backup_printer_id=backup["id"]
        )
        assert kitchen["profile"] == TM_T20II.name
        await kitchen_order(client, manager, "Burrata", send=True, note=note)
        await drain(app)
        (first,) = emulator.wait_for_jobs(1)
        assert "-" * TM_T20II.columns in first.lines  # 48 columns on the first printer

        emulator.paper_out = True
        await kitchen_order(client, manager, "Burrata", send=True, note=note)
        (printed,) = rows(app, "SELECT id FROM print_jobs WHERE state = 'printed'")
        again = await client.post(f"/api/print-jobs/{printed['id']}/reprint", headers=manager)
        assert again.status_code == 201, again.text
        await drain(app)
        ticket, reprint = backup_emu.wait_for_jobs(2)
    assert emulator.discarded == [] and len(emulator.jobs) == 1
    for job in (ticket, reprint):
        widths = [len(line.text) * line.width for line in job.printed_lines]
        assert max(widths) <= GENERIC_58MM.columns, job.text()
        assert "-" * GENERIC_58MM.columns in job.lines and "1x Burrata" in job.lines
        assert any(line.startswith("! Allergy") for line in job.lines)
    assert reprint.lines[0] == "*** REPRINT ***" and ticket.lines[0] == "KITCHEN"
    moved = rows(app, "SELECT * FROM print_jobs WHERE rerouted_from IS NOT NULL ORDER BY seq")
    assert [(j["state"], j["printer_id"]) for j in moved] == [("printed", backup["id"])] * 2
    assert all(j["rerouted_from"] == kitchen["id"] for j in moved)
    # The new bytes went through the one write path: the reroute event names their digest.
    (event,) = rows(
        app,
        "SELECT fields FROM events WHERE entity = 'print_jobs' AND entity_id = ?"
        " AND fields LIKE '%rerouted_from%'",
        moved[0]["id"],
    )
    assert json.loads(event["fields"])["payload"] == digest(bytes(moved[0]["payload"]))
    shown = await client.get(f"/api/print-jobs/{moved[1]['id']}/preview.png", headers=manager)
    assert png_size(shown.content)[0] == paper_width(GENERIC_58MM.name)


async def test_reroute_keeps_the_bytes_of_a_job_it_cannot_render_again(app, client):
    manager = await sign_in(client, "manager")
    counter = (await printers_by_name(client, manager))["Counter receipt"]
    backup = await add_printer(
        client,
        manager,
        "Till 58",
        "receipt",
        network(9),  # never reached
        profile=GENERIC_58MM.name,
    )
    await client.post("/api/shifts", headers=manager, json={"float": 0})
    drawer = await client.post("/api/drawer/open", headers=manager, json={"reason": "float"})
    bill = await client.post(f"/api/printers/{counter['id']}/test", headers=manager)
    box = app.state.box

    def from_a_newer_version(conn):  # a document this version cannot read
        commit(conn, None, "print_jobs", bill.json()["id"], "update", {"document": {"type": "X"}})

    await box.write(from_a_newer_version)
    before = {r["id"]: bytes(r["payload"]) for r in rows(app, "SELECT * FROM print_jobs")}
    moved = await box.write(print_queue.reroute, counter["id"], backup["id"])
    after = {r["id"]: bytes(r["payload"]) for r in rows(app, "SELECT * FROM print_jobs")}
    assert moved == 2 and after == before
    assert {drawer.json()["id"], bill.json()["id"]} == set(after)
    (pulse,) = rows(app, "SELECT document FROM print_jobs WHERE kind = 'drawer'")
    assert pulse["document"] is None


async def test_a_new_profile_renders_the_jobs_waiting_for_the_printer_again(app, client):
    """The kitchen swaps its 80 mm printer for a 58 mm one while a ticket waits (the printer is
    off): the ticket comes out in 32 columns, not 48 wrapped."""
    manager = await sign_in(client, "manager")
    note = "Allergy at this table: no nuts, clean board and separate pans for everything please"
    with run_in_thread(escpos_profile=GENERIC_58MM.escpos_profile) as emulator:
        kitchen = await point_at(client, manager, "Kitchen pass", emulator.port)
        assert kitchen["profile"] == TM_T20II.name
        emulator.set_offline(True)
        await kitchen_order(client, manager, "Burrata", send=True, note=note)
        await drain(app)
        (waiting,) = rows(app, "SELECT * FROM print_jobs")
        assert waiting["state"] == "queued" and "PrinterOffline" in waiting["last_error"]
        changed = await client.patch(
            f"/api/printers/{kitchen['id']}", headers=manager, json={"profile": GENERIC_58MM.name}
        )
        assert changed.status_code == 200, changed.text
        emulator.set_offline(False)
        retried = await client.post(f"/api/print-jobs/{waiting['id']}/retry", headers=manager)
        assert retried.status_code == 200, retried.text
        await drain(app)
        (ticket,) = emulator.wait_for_jobs(1)
    widths = [len(line.text) * line.width for line in ticket.printed_lines]
    assert max(widths) <= GENERIC_58MM.columns, ticket.text()
    assert "-" * GENERIC_58MM.columns in ticket.lines and "1x Burrata" in ticket.lines
    assert any(line.startswith("! Allergy") for line in ticket.lines)
    (job,) = rows(app, "SELECT * FROM print_jobs")
    assert job["state"] == "printed" and bytes(job["payload"]) != bytes(waiting["payload"])
    # The new bytes went through the one write path, in the manager's name, with the profile.
    (event,) = rows(
        app,
        "SELECT seq, actor, fields FROM events WHERE entity = 'print_jobs' AND entity_id = ?"
        " AND fields LIKE '%payload%' AND op = 'update'",
        job["id"],
    )
    assert json.loads(event["fields"]) == {"payload": digest(bytes(job["payload"]))}
    (edit,) = rows(
        app,
        "SELECT seq, actor FROM events WHERE entity = 'printers' AND entity_id = ?"
        " AND op = 'update' AND fields LIKE '%profile%'",
        kitchen["id"],
    )
    assert event["actor"] == edit["actor"] and event["seq"] == edit["seq"] + 1


async def test_a_new_profile_leaves_sending_and_printed_jobs_and_jobs_without_a_document(
    app, client
):
    manager = await sign_in(client, "manager")
    counter = (await printers_by_name(client, manager))["Counter receipt"]
    await client.post("/api/shifts", headers=manager, json={"float": 0})
    drawer = await client.post("/api/drawer/open", headers=manager, json={"reason": "float"})
    pages = [
        (await client.post(f"/api/printers/{counter['id']}/test", headers=manager)).json()["id"]
        for _ in range(5)
    ]
    queued, failed, sending, printed, unreadable = pages

    def set_up(conn):
        for job_id, state in ((failed, "failed"), (sending, "sending"), (printed, "printed")):
            commit(conn, None, "print_jobs", job_id, "update", {"state": state})
        commit(conn, None, "print_jobs", unreadable, "update", {"document": {"type": "X"}})

    await app.state.box.write(set_up)
    before = {r["id"]: bytes(r["payload"]) for r in rows(app, "SELECT * FROM print_jobs")}
    same = await client.patch(
        f"/api/printers/{counter['id']}", headers=manager, json={"profile": TM_T20II.name}
    )
    assert same.status_code == 200
    assert {r["id"]: bytes(r["payload"]) for r in rows(app, "SELECT * FROM print_jobs")} == before
    changed = await client.patch(
        f"/api/printers/{counter['id']}", headers=manager, json={"profile": GENERIC_58MM.name}
    )
    assert changed.status_code == 200, changed.text
    after = {r["id"]: bytes(r["payload"]) for r in rows(app, "SELECT * FROM print_jobs")}
    assert {job for job in after if after[job] != before[job]} == {queued, failed}
    assert after[drawer.json()["id"]] == before[drawer.json()["id"]]
    states = {r["id"]: r["state"] for r in rows(app, "SELECT id, state FROM print_jobs")}
    assert (states[queued], states[failed], states[sending]) == ("queued", "failed", "sending")
    test_page = decode(after[queued], escpos_profile=GENERIC_58MM.escpos_profile)
    assert max(len(line.text) * line.width for line in test_page.printed_lines) <= 32
    # A page printed in 48 columns before the change is reprinted for the printer as it is now.
    again = await client.post(f"/api/print-jobs/{printed}/reprint", headers=manager)
    assert again.status_code == 201, again.text
    (reprinted,) = rows(app, "SELECT payload FROM print_jobs WHERE id = ?", again.json()["id"])
    page = decode(bytes(reprinted["payload"]), escpos_profile=GENERIC_58MM.escpos_profile)
    assert max(len(line.text) * line.width for line in page.printed_lines) <= 32


async def test_a_printer_running_out_of_paper_reaches_the_pos_on_the_printers_topic(
    settings, emulator
):
    """The POS follows `/ws?topics=printers`: a paper-out seen by the print worker arrives
    there as the printer's status change, through real uvicorn and a real websocket."""
    app = create_app(dataclasses.replace(settings, print_workers=True))
    with serve(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            manager = await sign_in(client, "manager")
            kitchen = await point_at(client, manager, "Kitchen pass", emulator.port)
            cashier = await sign_in(client, "cashier", device="pos-1")
            token = cashier["Authorization"].split()[1]
            since = (await client.get("/healthz")).json()["last_seq"]
            emulator.paper_out = True
            async with feed(url, token, f"topics=printers&since={since}") as ws:
                test = await client.post(f"/api/printers/{kitchen['id']}/test", headers=manager)
                assert test.status_code == 201
                seen = []
                while not any(e["entity"] == "printer_status" for e in seen):
                    seen.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
    assert {e["entity"] for e in seen} <= {"printers", "printer_status", "print_jobs"}  # the topic
    alert = next(e for e in seen if e["entity"] == "printer_status")
    assert alert["entity_id"] == kitchen["id"] and alert["op"] == "create"  # first read
    assert alert["fields"]["paper_out"] is True and alert["fields"]["online"] is False


async def test_table_cards_print_each_tables_code_which_a_phone_scans_into_its_table(
    app, client, emulator
):
    """The Tables page prints the tables' QR cards on a receipt printer: one card a table in
    use, each headed by the store and the table, whose code (read back from the paper by a QR
    reader) opens that table's session on a guest's phone."""
    import zxingcpp
    from PIL import Image

    from tests.edge.guest_helpers import Phone

    manager = await sign_in(client, "manager")
    printer = await point_at(client, manager, "Counter receipt", emulator.port)
    floor = (await client.get("/api/tables", headers=manager)).json()
    in_use = [t["name"] for area in floor for t in area["tables"] if t["enabled"]]
    await client.patch(
        f"/api/tables/{table_id(floor, 'T4')}", headers=manager, json={"enabled": False}
    )
    printed = await client.post(
        f"/api/printers/{printer['id']}/table-cards", headers=manager, json={}
    )
    assert printed.status_code == 201, printed.text
    assert {job["kind"] for job in printed.json()} == {"table_card"}
    await drain(app)
    cards = emulator.wait_for_jobs(len(in_use) - 1)
    store = (await client.get("/api/store", headers=manager)).json()
    headings = [card.lines[:2] for card in cards]
    assert [store["name"], "Table 3"] in headings and [store["name"], "Table T4"] not in headings
    three = next(card for card in cards if card.lines[1] == "Table 3")
    on_paper = preview.preview_png(three, TM_T20II.columns, scale=2)
    with Image.open(io.BytesIO(on_paper)) as picture:
        (code,) = zxingcpp.read_barcodes(
            picture.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode
        )
    assert code.text == three.qr[0] and code.text.startswith(f"{store['guest_base_url']}/t/")
    with freeze_time("2026-11-20 12:00:00", tick=True):  # a Friday, the store open
        phone = Phone(client)
        scanned = await phone.scan(code.text.rsplit("/t/", 1)[1])
        assert scanned.status_code == 201, scanned.text
        seated = await phone.table()
    assert seated["table_name"] == "3", seated

    # a card again, after the table's code was replaced: that table's alone
    t3 = table_id(floor, "3")
    await client.post(f"/api/tables/{t3}/rotate-qr", headers=manager)
    again = await client.post(
        f"/api/printers/{printer['id']}/table-cards", headers=manager, json={"table_ids": [t3]}
    )
    assert again.status_code == 201 and len(again.json()) == 1
    await drain(app)
    fresh = emulator.wait_for_jobs(len(in_use))[-1]
    assert fresh.lines[1] == "Table 3" and fresh.qr != three.qr


async def test_a_table_card_cut_off_goes_again_with_no_reprint_banner(app, client, emulator):
    """A second card on a table does no harm: one sent again after a cut prints as it was, not
    under a REPRINT banner that would stand on the table."""
    manager = await sign_in(client, "manager")
    printer = await point_at(client, manager, "Counter receipt", emulator.port)
    floor = (await client.get("/api/tables", headers=manager)).json()
    emulator.cut_after = len(STATUS_QUESTIONS) + 40
    with freeze_time("2026-11-21 12:00:00", tick=True) as frozen:
        printed = await client.post(
            f"/api/printers/{printer['id']}/table-cards",
            headers=manager,
            json={"table_ids": [table_id(floor, "3")]},
        )
        assert printed.status_code == 201, printed.text
        await drain(app)
        emulator.cut_after = None
        advance(frozen, print_queue.backoff(1) + 1)
        await drain(app)
    assert rows(app, "SELECT state, reprint FROM print_jobs WHERE kind = 'table_card'") == [
        {"state": "printed", "reprint": 0}
    ]
    card = emulator.wait_for_jobs(2)[-1]
    assert "REPRINT" not in " ".join(card.lines) and card.lines[1] == "Table 3"


async def test_table_card_refusals_write_nothing(app, client):
    waiter = await sign_in(client, "waiter")
    manager = await sign_in(client, "manager")
    printer = (await printers_by_name(client, manager))["Counter receipt"]
    floor = (await client.get("/api/tables", headers=manager)).json()
    path = f"/api/printers/{printer['id']}/table-cards"

    def jobs() -> int:
        return rows(app, "SELECT COUNT(*) AS n FROM events WHERE entity = 'print_jobs'")[0]["n"]

    before = jobs()
    refusals = [
        (waiter, path, {}, 403, "forbidden"),
        (manager, f"/api/printers/{UNKNOWN}/table-cards", {}, 404, "not_found"),
        (manager, path, {"table_ids": [UNKNOWN]}, 404, "not_found"),
        (manager, path, {"table_ids": "all"}, 422, "invalid"),
        (manager, path, {"tables": []}, 422, "unknown_field"),
    ]
    for headers, where, sent, status, code in refusals:
        refused = await client.post(where, headers=headers, json=sent)
        assert refused.status_code == status, (sent, refused.text)
        assert_error_shape(refused)
        assert refused.json()["error"]["code"] == code, refused.text
    await client.patch("/api/store", headers=manager, json={"guest_base_url": ""})
    no_url = await client.post(path, headers=manager, json={})
    assert no_url.status_code == 409
    assert no_url.json()["error"]["code"] == "guest_base_url_missing"
    await client.patch("/api/store", headers=manager, json={"guest_base_url": "http://127.0.0.1"})
    for area in floor:
        for table in area["tables"]:
            await client.patch(
                f"/api/tables/{table['id']}", headers=manager, json={"enabled": False}
            )
    none_in_use = await client.post(path, headers=manager, json={})
    assert none_in_use.status_code == 409 and none_in_use.json()["error"]["code"] == "no_tables"
    assert jobs() == before
