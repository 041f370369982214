"""Refunds on paper and on screen: the refund slip on the till's receipt printer (and its copy),
a paid check's receipt and digital receipt with the refunds made of it, and the day's reports
and the drawer counting them. What is printed is read back as the printer reads it."""

from __future__ import annotations

import dataclasses
import re

import pytest

from edge.core.config import EdgeSettings
from tests.conftest import PINS, sign_in, staff_id
from tests.edge.menu_helpers import item, menu, table_id
from tests.edge.test_checks import check_of, open_shift, pay, walk_in
from tests.edge.test_printing import (
    drain,
    emulator,
    paid_by_card_and_cash,
    point_at,
    printed_amounts,
    printers_by_name,
)

__all__ = ["emulator"]  # the fixture, used by name


@pytest.fixture
def settings(settings: EdgeSettings) -> EdgeSettings:
    """The shared demo store, with no worker threads: tests drive printing with `drain`."""
    return dataclasses.replace(settings, print_workers=False)


async def approval(client) -> dict[str, str]:
    return {"staff_id": await staff_id(client, "manager"), "pin": PINS["manager"]}


async def names(client, headers) -> dict[str, str]:
    staff = (await client.get("/api/staff", headers=headers)).json()
    return {member["role"]: member["name"] for member in staff}


async def table_order(client, who, table: str, *dishes: str) -> dict:
    m = await menu(client)
    tables = (await client.get("/api/tables", headers=who)).json()
    lines = [{"item_id": item(m, name)["id"]} for name in dishes]
    body = {"kind": "table", "table_id": table_id(tables, table), "lines": lines}
    made = await client.post("/api/orders", headers=who, json=body)
    assert made.status_code == 201, made.text
    return made.json()


def slips(jobs) -> list:
    return [job for job in jobs if "REFUND" in job.lines]


def printed_at(job) -> list[str]:
    return re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", job.text())


async def test_a_refund_prints_a_slip_a_copy_on_request_and_a_cash_one_asks_a_signature(
    app, client, emulator
):
    """A refund printed nothing: the guest left with no paper for the money given back, the
    drawer with no proof of where its cash went. The till's receipt printer prints a slip: the
    store, REFUND, the table and order, the tender and its terminal reference, the amount, the
    reason, who refunded and who approved, when; a cash one a line for the guest's signature.
    Asked again from the POS, it prints as a COPY."""
    manager = await sign_in(client, "manager", device="till")
    await point_at(client, manager, "Counter receipt", emulator.port)
    cashier = await sign_in(client, "cashier", device="till")
    who = await names(client, manager)
    order = await table_order(client, cashier, "3", "Garlic prawns", "Espresso")
    check = await check_of(client, cashier, order)
    await open_shift(client, cashier)
    card = {"method": "card", "amount": 500, "reference": "AUTH 991204"}
    taken = await pay(client, cashier, check["id"], **card)
    assert taken.status_code == 201, taken.text
    cash = await pay(client, cashier, check["id"], method="cash", given=10_000)
    assert cash.status_code == 201 and cash.json()["check"]["status"] == "paid", cash.text

    refunds = []
    for payment, amount, reason in (
        (taken.json()["payment"], 300, "cold soup"),
        (cash.json()["payment"], 150, "no milk left"),
    ):
        body = {"amount": amount, "reason": reason, "approval": await approval(client)}
        back = await client.post(
            f"/api/payments/{payment['id']}/refund", json=body, headers=cashier
        )
        assert back.status_code == 201, back.text
        answer = back.json()
        assert answer["refunded"] == amount and answer["slip_job_id"] is not None
        assert answer["refund"]["amount"] == amount and answer["refund"]["reason"] == reason
        refunds.append(answer)
    await drain(app)
    # the receipt, the drawer for the cash, the two slips and the drawer for the cash refund
    card_slip, cash_slip = slips(emulator.wait_for_jobs(5))
    for slip, amount, reason in ((card_slip, 300, "cold soup"), (cash_slip, 150, "no milk left")):
        text = slip.text()
        assert slip.lines[0] == "Harbour Kitchen" and "COPY" not in slip.lines
        assert any(line.startswith("Table 3") for line in slip.lines), text
        assert f"Order #{order['number']}" in text and printed_at(slip) != [], text
        assert printed_amounts(slip)["Amount refunded"] == amount, text
        assert f"Reason: {reason}" in text
        assert re.search(rf"Refunded by +{who['cashier']}", text), text
        assert re.search(rf"Approved by +{who['manager']}", text), text
        assert slip.cuts, text
    assert re.search(r"Refund to +Card", card_slip.text()) and "AUTH 991204" in card_slip.text()
    assert "signature" not in card_slip.text()
    assert (
        re.search(r"Refund to +Cash", cash_slip.text()) and "Guest's signature" in cash_slip.lines
    )
    assert "_" * 48 in cash_slip.lines  # the line to sign on, across the paper

    refund_id = refunds[0]["refund"]["id"]
    again = await client.post(f"/api/refunds/{refund_id}/print-slip", headers=cashier)
    assert again.status_code == 201, again.text
    await drain(app)
    copy = emulator.wait_for_jobs(6)[-1]
    assert "COPY" in copy.lines and "REFUND" in copy.lines
    assert printed_amounts(copy)["Amount refunded"] == 300
    assert printed_at(copy) == printed_at(card_slip)  # the refund's time, not the copy's
    assert [line for line in copy.lines if line != "COPY"] == card_slip.lines


async def test_a_till_with_no_receipt_printer_refunds_all_the_same(app, client):
    """As a payment on a till with no receipt printer stands without its receipt."""
    manager = await sign_in(client, "manager", device="till")
    receipt = (await printers_by_name(client, manager))["Counter receipt"]
    moved = await client.patch(
        f"/api/printers/{receipt['id']}", json={"role": "report"}, headers=manager
    )
    assert moved.status_code == 200, moved.text
    check = await check_of(client, manager, await walk_in(client, manager, "Garlic prawns"))
    await open_shift(client, manager)
    paid = await pay(client, manager, check["id"], method="card", reference="T1")
    assert paid.status_code == 201 and paid.json()["receipt_job_id"] is None, paid.text
    path = f"/api/payments/{paid.json()['payment']['id']}/refund"
    back = await client.post(path, json={"amount": 100, "reason": "cold"}, headers=manager)
    assert back.status_code == 201, back.text
    assert back.json()["slip_job_id"] is None and back.json()["refunded"] == 100
    again = await client.post(
        f"/api/refunds/{back.json()['refund']['id']}/print-slip", headers=manager
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "no_printer"


async def test_a_paid_checks_receipt_and_digital_receipt_show_its_refunds_and_what_was_paid(
    app, client, emulator
):
    """A paid check's receipt printed again, and its digital copy, listed the tenders as they
    were taken: after a refund they said the guest paid what they no longer had. Each refund is
    a line of its own, and what was paid in the end below them, so paper and page add up."""
    manager = await sign_in(client, "manager", device="till")
    order, card, cash = await paid_by_card_and_cash(client, manager, emulator)
    assert cash["check"]["status"] == "paid"
    for taken, amount in ((card, 200), (cash, 350)):
        path = f"/api/payments/{taken['payment']['id']}/refund"
        back = await client.post(path, json={"amount": amount, "reason": "late"}, headers=manager)
        assert back.status_code == 201, back.text
    again = await client.post(f"/api/orders/{order['id']}/print-bill", headers=manager)
    assert again.status_code == 201, again.text
    await drain(app)
    receipt = [job for job in emulator.wait_for_jobs(6) if "COPY" in job.lines][-1]
    paper = printed_amounts(receipt)
    assert (paper["Refund, Card"], paper["Refund, Cash"]) == (-200, -350), receipt.text()
    tendered = paper["Card"] + paper["Cash"] - paper["Change"]
    assert tendered == paper["TOTAL"] + paper["Cash rounding"] + paper["Tip"]
    assert paper["Net paid"] == tendered - 200 - 350, receipt.text()

    digital = (await client.get(f"/api/receipts/{receipt.qr[0].rpartition('#')[2]}")).json()
    assert [(r["method"], r["amount"]) for r in digital["refunds"]] == [
        ("card", 200),
        ("cash", 350),
    ]
    assert digital["net_paid"] == paper["Net paid"]


async def test_a_checks_paid_is_what_its_tenders_paid_and_its_refunds_are_listed(client):
    """The check's `paid` is what its tenders paid of it, refunds not taken off (what is left
    to pay and what is owed back take them off); its refunds are listed with it, each with who
    refunded and who approved, for the POS to show and print again."""
    cashier = await sign_in(client, "cashier", device="till")
    check = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    await open_shift(client, cashier)
    paid = await pay(client, cashier, check["id"], method="card", reference="T1")
    path = f"/api/payments/{paid.json()['payment']['id']}/refund"
    body = {"amount": 300, "reason": "cold", "approval": await approval(client)}
    back = await client.post(path, json=body, headers=cashier)
    assert back.status_code == 201, back.text
    view = (await client.get(f"/api/checks/{check['id']}", headers=cashier)).json()
    assert view["paid"] == check["total"] and view["balance"] == view["due_back"] == 0
    (refund,) = view["refunds"]
    assert refund == back.json()["refund"]
    assert (refund["amount"], refund["method"], refund["reason"]) == (300, "card", "cold")
    assert refund["created_by"] == await staff_id(client, "cashier")
    assert refund["approved_by"] == await staff_id(client, "manager")


async def test_a_refund_counts_in_the_x_and_z_reports_and_in_the_drawers_expected_cash(client):
    """Verified: a cash refund comes off the drawer's expected cash and the day's takings, on
    the X report and on the Z that closes the day; a card refund off the takings only."""
    manager = await sign_in(client, "manager", device="till")
    check = await check_of(client, manager, await walk_in(client, manager, "Garlic prawns"))
    await open_shift(client, manager, float_=5_000)
    card = await pay(client, manager, check["id"], method="card", amount=600, reference="T")
    cash = await pay(client, manager, check["id"], method="cash")
    assert cash.status_code == 201 and cash.json()["check"]["status"] == "paid", cash.text
    total = check["total"]
    for taken, amount in ((card, 100), (cash, 250)):
        path = f"/api/payments/{taken.json()['payment']['id']}/refund"
        back = await client.post(path, json={"amount": amount, "reason": "late"}, headers=manager)
        assert back.status_code == 201, back.text
    x = (await client.post("/api/reports", json={"kind": "x"}, headers=manager)).json()["data"]
    expected = 5_000 + (total - 600) - 250
    assert (x["refunds"], x["takings"], x["sales"]) == (350, total - 350, total)
    assert (x["tenders"]["card"]["refunds"], x["tenders"]["cash"]["refunds"]) == (100, 250)
    assert x["expected_cash"] == expected
    counted = {"1": expected}  # the drawer counted in coins of one cent: as expected
    closed = await client.post(
        "/api/shifts/current/close", json={"counted": counted}, headers=manager
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["expected"] == expected and closed.json()["variance"] == 0
    z = (await client.post("/api/reports", json={"kind": "z"}, headers=manager)).json()["data"]
    assert (z["refunds"], z["takings"], z["expected_cash"]) == (350, total - 350, expected)
    assert z["declared_cash"] == expected and z["over_short"] == 0


async def test_a_receipt_names_its_orders_as_their_refund_slips_do(app, client, emulator):
    """A refund slip said "Order #1", the receipt it was given back from said no order at all
    (only "1 of 5" for a walk-in's part): the guest and the drawer could not match the two. A
    receipt names its check's orders as the slip does, in the POS's words ("Order #1")."""
    manager = await sign_in(client, "manager", device="till")
    await point_at(client, manager, "Counter receipt", emulator.port)
    order = await walk_in(client, manager, "Garlic prawns", "Espresso")
    check = await check_of(client, manager, order)
    split = await client.post(
        f"/api/checks/{check['id']}/split", json={"by": "even", "ways": 2}, headers=manager
    )
    assert split.status_code == 200, split.text
    await open_shift(client, manager)
    part = split.json()["parts"][0]
    paid = await pay(client, manager, part["id"], method="card", reference="T1")
    assert paid.status_code == 201, paid.text
    path = f"/api/payments/{paid.json()['payment']['id']}/refund"
    back = await client.post(path, json={"amount": 100, "reason": "cold"}, headers=manager)
    assert back.status_code == 201, back.text
    await drain(app)
    receipt, slip = emulator.wait_for_jobs(2)
    said = f"Order #{order['number']}"
    assert [line for line in slip.lines if line.startswith(said)], slip.text()
    assert [line for line in receipt.lines if line.startswith(said)], receipt.text()


async def test_a_receipt_of_a_check_paid_beyond_its_total_says_what_is_owed_back(
    app, client, emulator
):
    """A walk-in paid in part (its prawns), then the prawns voided: the check was settled with
    more paid than it came to, and its receipt, printed for the guest, read a total of 3.00
    under a card of 9.50 with nothing to say where the rest went (the POS said "Owed back"),
    as did the digital receipt. Both say what is owed back, below the tenders, until it is
    refunded: the total, tip and what is owed back come to what the tenders took."""
    manager = await sign_in(client, "manager", device="till")
    await point_at(client, manager, "Counter receipt", emulator.port)
    order = await walk_in(client, manager, "Garlic prawns", "Espresso")
    check = await check_of(client, manager, order)
    prawns = next(line for line in check["lines"] if line["name"] == "Garlic prawns")
    await open_shift(client, manager)
    card = {"method": "card", "amount": prawns["amount"], "tip": 40, "reference": "T1"}
    assert (await pay(client, manager, check["id"], **card)).status_code == 201
    voided = await client.post(
        f"/api/order-lines/{prawns['line_id']}/void", json={"reason": "cold"}, headers=manager
    )
    assert voided.status_code == 200, voided.text
    view = (await client.get(f"/api/checks/{check['id']}", headers=manager)).json()
    assert view["status"] == "paid" and view["due_back"] > 0
    printed = await client.post(f"/api/orders/{order['id']}/print-bill", headers=manager)
    assert printed.status_code == 201, printed.text
    await drain(app)
    # the receipt the void printed as it settled the check, then the one printed again
    first, receipt = [job for job in emulator.wait_for_jobs(2) if job.cuts]
    assert "COPY" not in first.lines and "COPY" in receipt.lines
    paper = printed_amounts(receipt)
    assert printed_amounts(first) == paper
    assert paper["Owed back"] == view["due_back"], receipt.text()
    assert paper["TOTAL"] + paper["Tip"] + paper["Owed back"] == paper["Card"]
    digital = (await client.get(f"/api/receipts/{receipt.qr[0].rpartition('#')[2]}")).json()
    assert digital["due_back"] == paper["Owed back"]
