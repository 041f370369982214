"""Checks, tenders, shifts and reports over real HTTP on the demo store."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from freezegun import freeze_time

from printers.decoder import decode
from tests.clock import advance
from tests.conftest import PINS, sign_in, staff_id
from tests.edge.menu_helpers import item, menu, table_id


async def walk_in(client, who, *names, **extra):
    menu_json = await menu(client)
    lines = [{"item_id": item(menu_json, name)["id"], **extra} for name in names]
    answer = await client.post("/api/orders", json={"kind": "counter", "lines": lines}, headers=who)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def check_of(client, who, order):
    answer = await client.post("/api/checks", json={"order_id": order["id"]}, headers=who)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def open_shift(client, who, float_=10_000):
    answer = await client.post("/api/shifts", json={"float": float_}, headers=who)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def pay(client, who, check_id, **tender):
    return await client.post(f"/api/checks/{check_id}/payments", json=tender, headers=who)


@pytest.fixture
async def cashier(client):
    return await sign_in(client, "cashier", device="till")


async def test_a_walk_in_is_paid_in_cash_with_change_and_its_order_closes(client, cashier):
    order = await walk_in(client, cashier, "Garlic prawns", "Garlic prawns")
    check = await check_of(client, cashier, order)
    assert check["total"] == order["total"] and check["balance"] == order["total"]
    refused = await pay(client, cashier, check["id"], method="cash", given=100_00)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "no_open_shift"
    await open_shift(client, cashier)
    answer = await pay(client, cashier, check["id"], method="cash", given=100_00)
    assert answer.status_code == 201, answer.text
    taken = answer.json()
    assert taken["change"] == 100_00 - order["total"]
    assert taken["check"]["status"] == "paid" and taken["check"]["balance"] == 0
    assert taken["receipt_job_id"] is not None
    closed = (await client.get(f"/api/orders/{order['id']}", headers=cashier)).json()
    assert closed["status"] == "closed"
    again = await pay(client, cashier, check["id"], method="card", amount=1, reference="A1")
    assert again.status_code == 409


async def test_a_new_walk_in_check_reads_as_it_is_read_again(client, cashier):
    """Its party takes the service charge by covers; opening it answers what reading it does."""
    manager = await sign_in(client, "manager", device="office")
    rule = {"service_bp": 1000, "service_min_covers": 4}
    assert (await client.patch("/api/pos/settings", json=rule, headers=manager)).status_code == 200
    menu_json = await menu(client)
    body = {
        "kind": "counter",
        "covers": 4,
        "lines": [{"item_id": item(menu_json, "Garlic prawns")["id"]}],
    }
    order = (await client.post("/api/orders", json=body, headers=cashier)).json()
    opened = await check_of(client, cashier, order)
    assert opened["covers"] == 4 and opened["service_charge"] > 0
    read = await client.get(f"/api/checks/{opened['id']}", headers=cashier)
    assert read.json() == opened
    assert await check_of(client, cashier, order) == opened


async def test_a_table_check_rolls_in_every_order_and_splits_evenly_to_the_cent(client, cashier):
    floor = (await client.get("/api/tables", headers=cashier)).json()
    table = table_id(floor, "3")
    prawns = item(await menu(client), "Garlic prawns")["id"]
    for _ in range(2):
        body = {"kind": "table", "table_id": table, "lines": [{"item_id": prawns}]}
        assert (await client.post("/api/orders", json=body, headers=cashier)).status_code == 201
    check = (await client.post("/api/checks", json={"table_id": table}, headers=cashier)).json()
    assert len(check["order_ids"]) == 2 and len(check["lines"]) == 2
    assert check["label"] == "Table 3"  # as tickets and paper say it (the POS showed "3")
    split = await client.post(
        f"/api/checks/{check['id']}/split", json={"by": "even", "ways": 3}, headers=cashier
    )
    assert split.status_code == 200, split.text
    parts = split.json()["parts"]
    assert [p["label"] for p in parts] == ["1 of 3", "2 of 3", "3 of 3"]
    assert sum(p["total"] for p in parts) == check["total"]
    assert max(p["total"] for p in parts) - min(p["total"] for p in parts) <= 1
    await open_shift(client, cashier)
    for part in parts:
        paid = await pay(
            client, cashier, part["id"], method="card", amount=part["total"], reference="T-1"
        )
        assert paid.status_code == 201, paid.text
    whole = (await client.get(f"/api/checks/{check['id']}", headers=cashier)).json()
    assert whole["status"] == "paid" and whole["paid"] == whole["total"]


async def test_a_large_discount_needs_a_manager_who_is_recorded(client, cashier):
    order = await walk_in(client, cashier, "Garlic prawns")
    check = await check_of(client, cashier, order)
    path = f"/api/checks/{check['id']}/discounts"
    small = await client.post(
        path, json={"kind": "percent", "value": 500, "reason": "regular"}, headers=cashier
    )
    assert small.status_code == 201, small.text
    assert small.json()["discount_total"] > 0
    big = {"kind": "percent", "value": 5000, "reason": "complaint"}
    refused = await client.post(path, json=big, headers=cashier)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "approval_required"
    approval = {"staff_id": await staff_id(client, "manager"), "pin": PINS["manager"]}
    approved = await client.post(path, json={**big, "approval": approval}, headers=cashier)
    assert approved.status_code == 201, approved.text
    events = (
        await client.get(
            "/api/audit?entity=check_discounts&limit=5", headers=await sign_in(client, "manager")
        )
    ).json()
    assert events["events"][0]["approver"] == approval["staff_id"]


async def test_a_checks_service_charge_is_changed_only_with_a_manager(client, cashier):
    """Taking it off is a discount, putting more on charges the guest more: a cashier alone
    changes nothing; with a manager's PIN it changes, the manager recorded as approver."""
    manager = await sign_in(client, "manager", device="office")
    rule = {"service_bp": 1000, "service_min_covers": 0}
    assert (await client.patch("/api/pos/settings", json=rule, headers=manager)).status_code == 200
    order = await walk_in(client, cashier, "Garlic prawns")
    check = await check_of(client, cashier, order)
    assert check["service_charge"] > 0
    path = f"/api/checks/{check['id']}"
    for bp in (0, 10_000):
        refused = await client.patch(path, json={"service_bp": bp}, headers=cashier)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "approval_required"
    assert (await client.get(path, headers=cashier)).json() == check
    audit = "/api/audit?entity=checks&limit=5"
    assert all(
        e["entity_id"] != check["id"] or e["op"] != "update"
        for e in (await client.get(audit, headers=manager)).json()["events"]
    )
    approval = {"staff_id": await staff_id(client, "manager"), "pin": PINS["manager"]}
    changed = await client.patch(
        path, json={"service_bp": 0, "approval": approval}, headers=cashier
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["service_charge"] == 0
    assert changed.json()["total"] == check["total"] - check["service_charge"]
    [event] = [
        e
        for e in (await client.get(audit, headers=manager)).json()["events"]
        if e["entity_id"] == check["id"] and e["op"] == "update"
    ]
    assert event["approver"] == approval["staff_id"] and event["actor"] != approval["staff_id"]
    own = await client.patch(path, json={"service_bp": None}, headers=manager)
    assert own.status_code == 200 and own.json()["total"] == check["total"]


async def test_a_shift_closes_with_a_blind_count_and_the_z_report_closes_the_day(client, cashier):
    await open_shift(client, cashier, 100_00)
    current = (await client.get("/api/shifts/current", headers=cashier)).json()["shift"]
    assert current["expected"] is None
    order = await walk_in(client, cashier, "Garlic prawns")
    check = await check_of(client, cashier, order)
    await pay(client, cashier, check["id"], method="cash", given=check["total"])
    move = await client.post(
        "/api/shifts/current/moves",
        json={"kind": "pay_out", "amount": 500, "reason": "milk"},
        headers=cashier,
    )
    assert move.status_code == 201, move.text
    # denominations in digits beyond ASCII: "²" was a 500, "١٠" a count kept as 10 cents
    for odd in ("²", "١٠"):
        refused = await client.post(
            "/api/shifts/current/close", json={"counted": {odd: 1}}, headers=cashier
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["field"] == "counted"
    closed = await client.post(
        "/api/shifts/current/close",
        json={"counted": {"10000": 1, str(check["total"]): 1}},
        headers=cashier,
    )
    assert closed.status_code == 200, closed.text
    shift = closed.json()
    assert shift["expected"] == 100_00 + check["total"] - 500
    assert shift["variance"] == 500
    manager = await sign_in(client, "manager", device="office")
    z = await client.post("/api/reports", json={"kind": "z"}, headers=manager)
    assert z.status_code == 201, z.text
    data = z.json()["data"]
    assert data["over_short"] == 500 and data["sales"] == check["total"]
    assert data["takings"] == check["total"]
    again = await client.post("/api/reports", json={"kind": "z"}, headers=manager)
    assert again.status_code == 409 and again.json()["error"]["code"] == "day_closed"


async def test_the_z_report_counts_each_check_as_it_was_paid(client, cashier):
    """Paid, then the tax rates, the prices, tax-inclusive pricing and the service rule all
    change: the Z report shows what the X report showed before."""
    await open_shift(client, cashier)
    check = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    assert (
        await pay(client, cashier, check["id"], method="card", reference="T-1")
    ).status_code == 201
    manager = await sign_in(client, "manager", device="office")
    x = (await client.post("/api/reports", json={"kind": "x"}, headers=manager)).json()["data"]
    assert x["sales"] == check["total"] and x["tax_total"] == check["tax_total"]
    menu_json = await menu(client)
    store = (await client.get("/api/store", headers=manager)).json()
    changes = [
        ("/api/store", {"prices_include_tax": not store["prices_include_tax"]}),
        ("/api/pos/settings", {"service_bp": 1250, "service_min_covers": 0}),
        (f"/api/menu/items/{item(menu_json, 'Garlic prawns')['id']}", {"price": 99_00}),
        *((f"/api/menu/tax-rates/{r['id']}", {"rate_bp": 2500}) for r in menu_json["tax_rates"]),
    ]
    for path, change in changes:
        answer = await client.patch(path, json=change, headers=manager)
        assert answer.status_code == 200, (path, answer.text)
    await client.post("/api/shifts/current/close", json={"counted": {"10000": 1}}, headers=cashier)
    z = await client.post("/api/reports", json={"kind": "z"}, headers=manager)
    assert z.status_code == 201, z.text
    kept = ("checks", "sales", "net_sales", "tax_total", "taxes", "discounts", "service_charge")
    assert {k: z.json()["data"][k] for k in kept} == {k: x[k] for k in kept}


async def test_an_unpaid_order_is_cancelled_a_sent_one_with_a_manager_a_paid_one_refunded(
    client, cashier, settings
):
    approval = {"staff_id": await staff_id(client, "manager"), "pin": PINS["manager"]}
    pending = await walk_in(client, cashier, "Garlic prawns")
    cancelled = await client.post(
        f"/api/orders/{pending['id']}/cancel", json={"reason": "walked out"}, headers=cashier
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["total"] == 0
    assert {line["state"] for line in cancelled.json()["lines"]} == {"voided"}
    listed = (await client.get("/api/checks", headers=cashier)).json()
    assert all(c["line_count"] for c in listed)  # nothing left to pay is not listed

    sent = await walk_in(client, cashier, "Garlic prawns")
    await client.post(f"/api/orders/{sent['id']}/send", headers=cashier)
    path = f"/api/orders/{sent['id']}/cancel"
    refused = await client.post(path, json={"reason": "wrong table"}, headers=cashier)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "approval_required"
    body = {"reason": "wrong table", "approval": approval}
    assert (await client.post(path, json=body, headers=cashier)).status_code == 200
    with sqlite3.connect(settings.database) as conn:
        struck = conn.execute(
            "SELECT i.voided FROM ticket_items i JOIN order_lines l ON l.id = i.line_id"
            " WHERE l.order_id = ?",
            (sent["id"],),
        ).fetchall()
        chits = conn.execute("SELECT COUNT(*) FROM print_jobs WHERE kind = 'void_chit'").fetchone()
    assert struck == [(1,)] and chits[0] >= 1

    await open_shift(client, cashier)
    part_paid = await walk_in(client, cashier, "Garlic prawns", "Garlic prawns")
    check = await check_of(client, cashier, part_paid)
    await pay(client, cashier, check["id"], method="card", amount=100, reference="T-1")
    refused = await client.post(f"/api/orders/{part_paid['id']}/cancel", json=body, headers=cashier)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "order_paid"
    await pay(client, cashier, check["id"], method="card", reference="T-2")
    refused = await client.post(f"/api/orders/{part_paid['id']}/cancel", json=body, headers=cashier)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "order_closed"
    # the log's Refund… opens the paid order's check, with its tenders to refund
    again = await check_of(client, cashier, part_paid)
    assert again["id"] == check["id"] and again["status"] == "paid"


async def test_a_line_on_a_check_paid_on_a_closed_day_is_refunded_not_voided(client):
    """A table's check split in two, one part paid, the day's Z made (the other part still
    open, its order with it); the next day a manager voided a line the paid part shared: the
    paid part's figures, counted by the closed day, were rewritten (the closed day's sales and
    tax fell below what its Z said, an X of that day no longer matched it). A line held by a
    check paid on a closed day is refused a void (409 `day_closed`): a refund gives the money
    back, today."""
    with freeze_time("2026-12-02 12:00:00", tick=True) as clock:
        manager = await sign_in(client, "manager", device="till")
        order = await walk_in(client, manager, "Garlic prawns", "Pastel de nata")
        check = await check_of(client, manager, order)
        split = await client.post(
            f"/api/checks/{check['id']}/split", json={"by": "even", "ways": 2}, headers=manager
        )
        assert split.status_code == 200, split.text
        first = split.json()["parts"][0]
        await open_shift(client, manager)
        paid = await pay(client, manager, first["id"], method="card", reference="T-1")
        assert paid.status_code == 201, paid.text
        close = {"counted": {"10000": 1}}
        assert (
            await client.post("/api/shifts/current/close", json=close, headers=manager)
        ).status_code == 200
        z = await client.post("/api/reports", json={"kind": "z"}, headers=manager)
        assert z.status_code == 201, z.text
        advance(clock, timedelta(days=1))
        manager = await sign_in(client, "manager", device="till")
        line = check["lines"][0]["line_id"]
        void = await client.post(
            f"/api/order-lines/{line}/void", json={"reason": "cold"}, headers=manager
        )
        assert void.status_code == 409, void.text
        assert void.json()["error"]["code"] == "day_closed"
        x = await client.post(
            "/api/reports",
            json={"kind": "x", "business_day": z.json()["business_day"]},
            headers=manager,
        )
        assert x.json()["data"] == z.json()["data"]
        now = (await client.get(f"/api/orders/{order['id']}", headers=manager)).json()
        assert all(line["state"] != "voided" for line in now["lines"])


async def test_a_void_on_one_part_of_a_split_check_keeps_the_paid_parts_as_they_now_read(client):
    """A check with an amount off split by items, one part paid; a line of the other part
    voided: the discount shares out anew over the parts, so the paid part read less than it was
    paid (owed back the difference), but the day's report still counted it at what it was paid:
    the report's sales were not its checks'. Every paid part of the check keeps what it reads
    now, as one holding the voided line does."""
    manager = await sign_in(client, "manager", device="till")
    order = await walk_in(client, manager, "Garlic prawns", "Espresso", "Pastel de nata")
    check = await check_of(client, manager, order)
    off = {"kind": "fixed", "value": 300, "reason": "regular"}
    assert (
        await client.post(f"/api/checks/{check['id']}/discounts", json=off, headers=manager)
    ).status_code == 201
    ids = [line["line_id"] for line in check["lines"]]
    split = await client.post(
        f"/api/checks/{check['id']}/split",
        json={"by": "items", "parts": [ids[:1], ids[1:]]},
        headers=manager,
    )
    assert split.status_code == 200, split.text
    first = split.json()["parts"][0]
    await open_shift(client, manager)
    paid = await pay(client, manager, first["id"], method="card", reference="T-1")
    assert paid.status_code == 201, paid.text
    void = await client.post(
        f"/api/order-lines/{ids[2]}/void", json={"reason": "cold"}, headers=manager
    )
    assert void.status_code == 200, void.text
    now = (await client.get(f"/api/checks/{first['id']}", headers=manager)).json()
    assert now["status"] == "paid" and now["due_back"] == now["paid"] - now["total"]
    x = (await client.post("/api/reports", json={"kind": "x"}, headers=manager)).json()
    assert x["data"]["sales"] == now["total"]


async def test_a_line_voided_after_a_payment_leaves_money_owed_back_until_refunded(client, cashier):
    approval = {"staff_id": await staff_id(client, "manager"), "pin": PINS["manager"]}
    await open_shift(client, cashier)
    order = await walk_in(client, cashier, "Garlic prawns", "Pastel de nata")
    check = await check_of(client, cashier, order)
    prawns = next(line for line in check["lines"] if line["name"] == "Garlic prawns")
    taken = await pay(client, cashier, check["id"], method="cash", amount=prawns["amount"])
    assert taken.json()["check"]["balance"] == check["total"] - prawns["amount"]
    voided = await client.post(
        f"/api/order-lines/{prawns['line_id']}/void",
        json={"reason": "cold", "approval": approval},
        headers=cashier,
    )
    assert voided.status_code == 200, voided.text
    assert voided.json()["status"] == "closed"
    now = (await client.get(f"/api/checks/{check['id']}", headers=cashier)).json()
    assert now["status"] == "paid" and now["balance"] == 0
    assert now["due_back"] == prawns["amount"] - now["total"] > 0
    payment = taken.json()["payment"]["id"]
    refund = {"amount": now["due_back"], "reason": "voided after payment", "approval": approval}
    back = await client.post(f"/api/payments/{payment}/refund", json=refund, headers=cashier)
    assert back.status_code == 201, back.text
    after = (await client.get(f"/api/checks/{check['id']}", headers=cashier)).json()
    assert after["due_back"] == 0 and after["paid"] - back.json()["refunded"] == after["total"]


def _cents(text: str) -> int:
    """The amount a receipt line ends with: "TOTAL   €3.96" -> 396, "-€0.44" -> -44."""
    amount = text.rsplit(" ", 1)[-1]
    value = int(amount.replace("€", "").replace(".", "").replace("-", "").replace("\u2212", ""))
    return -value if amount.startswith(("-", "\u2212")) else value


async def test_a_split_parts_receipt_adds_up_with_its_share_of_the_discount(
    client, cashier, settings
):
    """A check with a 10% discount split three ways: each part's receipt printed its lines'
    thirds rounded down (€4.39 of lines under a €4.40 subtotal), no discount at all and a total
    of €3.96: the paper did not add up, and the three parts' lines came to 3 cents less than
    the check's. Each part now shows its share of every line and of the discount to the cent,
    on the paper and in the digital receipt: lines make the subtotal, the subtotal less the
    discount makes the total, and the parts' lines and discounts make the whole's."""
    manager = await sign_in(client, "manager", device="till")
    check = await check_of(
        client,
        manager,
        await walk_in(client, manager, "Garlic prawns", "Espresso", "Pastel de nata"),
    )
    off = {"kind": "percent", "value": 1000, "reason": "regular"}
    answer = await client.post(f"/api/checks/{check['id']}/discounts", json=off, headers=manager)
    assert answer.status_code == 201, answer.text
    whole = answer.json()
    split = await client.post(
        f"/api/checks/{check['id']}/split", json={"by": "even", "ways": 3}, headers=manager
    )
    assert split.status_code == 200, split.text
    await open_shift(client, manager)
    lines_total = discount_total = 0
    for part in split.json()["parts"]:
        paid = await pay(client, manager, part["id"], method="card", reference="T-1")
        assert paid.status_code == 201, paid.text
        view = paid.json()["check"]
        assert sum(d["amount"] for d in view["discounts"]) == view["discount_total"] > 0
        conn = sqlite3.connect(settings.database)
        (payload,) = conn.execute(
            "SELECT payload FROM print_jobs WHERE id = ?", (paid.json()["receipt_job_id"],)
        ).fetchone()
        (token,) = conn.execute(
            "SELECT receipt_token FROM checks WHERE id = ?", (part["id"],)
        ).fetchone()
        conn.close()
        printed = decode(payload).lines
        items = [_cents(line) for line in printed if line.startswith("1x ")]
        (subtotal,) = [_cents(line) for line in printed if line.startswith("Subtotal")]
        (discount,) = [_cents(line) for line in printed if line.startswith("regular")]
        (total,) = [_cents(line) for line in printed if line.startswith("TOTAL")]
        assert sum(items) == subtotal and subtotal + discount == total == view["total"]
        digital = (await client.get(f"/api/receipts/{token}")).json()
        assert [line["amount"] for line in digital["lines"]] == items
        assert [d["amount"] for d in digital["discounts"]] == [-discount]
        lines_total += sum(items)
        discount_total -= discount
    assert lines_total == sum(line["amount"] for line in whole["lines"])
    assert discount_total == whole["discount_total"]


async def test_a_paid_check_keeps_the_rules_it_was_paid_under(client, cashier, settings):
    """A manager who changed the store's service charge or tax rules after a check was paid
    changed it under that check: read again, its receipt printed again and its digital copy
    came to another total than it was paid (and a service charge lowered showed money owed
    back that no one owed). A paid check keeps the rules it was paid under, as a split one
    keeps those it was split under."""
    manager = await sign_in(client, "manager", device="office")
    rule = {"service_bp": 1000, "service_min_covers": 0}
    assert (await client.patch("/api/pos/settings", json=rule, headers=manager)).status_code == 200
    order = await walk_in(client, cashier, "Garlic prawns")
    check = await check_of(client, cashier, order)
    await open_shift(client, cashier)
    paid = await pay(client, cashier, check["id"], method="card", reference="T-1")
    assert paid.status_code == 201 and paid.json()["check"]["status"] == "paid", paid.text
    was = paid.json()["check"]
    assert was["service_charge"] > 0
    rule = {"service_bp": 0}
    assert (await client.patch("/api/pos/settings", json=rule, headers=manager)).status_code == 200
    store = {"prices_include_tax": False}
    assert (await client.patch("/api/store", json=store, headers=manager)).status_code == 200
    now = (await client.get(f"/api/checks/{check['id']}", headers=cashier)).json()
    assert (now["total"], now["service_charge"], now["due_back"]) == (
        was["total"],
        was["service_charge"],
        0,
    )
    assert now["taxes"] == was["taxes"] and now["prices_include_tax"] == was["prices_include_tax"]
    conn = sqlite3.connect(settings.database)
    (token,) = conn.execute(
        "SELECT receipt_token FROM checks WHERE id = ?", (check["id"],)
    ).fetchone()
    conn.close()
    digital = (await client.get(f"/api/receipts/{token}")).json()
    assert digital["total"] == was["total"] and digital["net_paid"] == was["total"]
    again = await client.post(f"/api/orders/{order['id']}/print-bill", headers=cashier)
    assert again.status_code == 201, again.text
    conn = sqlite3.connect(settings.database)
    (payload,) = conn.execute(
        "SELECT payload FROM print_jobs WHERE id = ?", (again.json()["id"],)
    ).fetchone()
    conn.close()
    (total,) = [_cents(line) for line in decode(payload).lines if line.startswith("TOTAL")]
    assert total == was["total"]


async def test_a_split_check_keeps_the_rules_it_was_split_under_while_its_parts_are_paid(
    client, settings
):
    """A manager changed the service charge (and the tax rules, a tax rate, the cash coin)
    while a split check was partly paid: the paid part then showed another total than it was
    paid, the parts left asked for their share of the new whole, and the whole closed paid with
    its tenders adding up to neither the old total nor the new. The parts keep the rules the
    check was split under; the cash coin is the till's at each tender (kept apart, as ever)."""
    manager = await sign_in(client, "manager", device="till")
    rules = {"service_bp": 1000, "service_min_covers": 0, "cash_rounding": 1}
    assert (await client.patch("/api/pos/settings", json=rules, headers=manager)).status_code == 200
    order = await walk_in(client, manager, "Garlic prawns", "Espresso", "Pastel de nata")
    check = await check_of(client, manager, order)
    split = await client.post(
        f"/api/checks/{check['id']}/split", json={"by": "even", "ways": 3}, headers=manager
    )
    assert split.status_code == 200, split.text
    before = split.json()
    assert before["service_charge"] > 0
    await open_shift(client, manager)
    first = before["parts"][0]
    assert (
        await pay(client, manager, first["id"], method="card", reference="T-1")
    ).status_code == 201

    changes = {"service_bp": 1250, "cash_rounding": 5}
    assert (
        await client.patch("/api/pos/settings", json=changes, headers=manager)
    ).status_code == 200
    store = {"prices_include_tax": False, "tax_rounding": "down"}
    assert (await client.patch("/api/store", json=store, headers=manager)).status_code == 200
    rates = (await client.get("/api/menu/all", headers=manager)).json()["tax_rates"]
    for rate in rates:
        bumped = {"rate_bp": rate["rate_bp"] + 100}
        answer = await client.patch(
            f"/api/menu/tax-rates/{rate['id']}", json=bumped, headers=manager
        )
        assert answer.status_code == 200, answer.text

    now = (await client.get(f"/api/checks/{check['id']}", headers=manager)).json()
    keys = ("total", "subtotal", "tax_total", "taxes", "service_bp", "service_charge")
    assert {k: now[k] for k in keys} == {k: before[k] for k in keys}
    paid_part = {**first, "status": "paid", "paid": first["total"], "balance": 0, "cash_balance": 0}
    assert now["parts"][0] == paid_part
    assert [p["total"] for p in now["parts"]] == [p["total"] for p in before["parts"]]
    for part in now["parts"][1:]:
        paid = await pay(client, manager, part["id"], method="cash")
        assert paid.status_code == 201, paid.text
        assert paid.json()["payment"]["amount"] == part["total"]
        # the coin is the till's now: rounded to 5 cents (half up), kept apart from the amount
        assert paid.json()["payment"]["rounding"] == (part["total"] + 2) // 5 * 5 - part["total"]
    whole = (await client.get(f"/api/checks/{check['id']}", headers=manager)).json()
    assert whole["status"] == "paid" and whole["total"] == before["total"]
    assert sum(p["amount"] for p in whole["payments"]) == whole["total"]
    assert whole["due_back"] == whole["balance"] == 0
    day = (await client.post("/api/reports", json={"kind": "x"}, headers=manager)).json()["data"]
    assert day["sales"] == whole["total"] and day["service_charge"] == whole["service_charge"]
