"""The POS's rules, each refusal that matters, the business day across midnight and a change of
clocks, and no card number anywhere."""

from __future__ import annotations

import logging
import re
import sqlite3

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.domain.payments import looks_like_card
from tests.conftest import BOX, PINS, sign_in, staff_id
from tests.edge.menu_helpers import item, menu, table_id
from tests.edge.test_checks import check_of, open_shift, pay, walk_in


@pytest.fixture
async def cashier(client):
    return await sign_in(client, "cashier", device="till")


async def approval(client):
    return {"staff_id": await staff_id(client, "manager"), "pin": PINS["manager"]}


def refused(answer, status, code):
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code, answer.text


async def test_split_by_items_and_by_seat_and_every_refusal(client, cashier):
    menu_json = await menu(client)
    prawns, nata = item(menu_json, "Garlic prawns")["id"], item(menu_json, "Pastel de nata")["id"]
    lines = [
        {"item_id": prawns, "seat": 1},
        {"item_id": nata, "seat": 2},
        {"item_id": nata},  # shared
    ]
    body = {"kind": "counter", "lines": lines}
    order = (await client.post("/api/orders", json=body, headers=cashier)).json()
    check = await check_of(client, cashier, order)
    path = f"/api/checks/{check['id']}/split"
    ids = [line["line_id"] for line in check["lines"]]
    refused(
        await client.post(
            path, json={"by": "items", "parts": [ids[:1], ids[1:2]]}, headers=cashier
        ),
        422,
        "bad_parts",
    )
    refused(await client.post(path, json={"by": "even"}, headers=cashier), 422, "missing_field")
    by_seat = await client.post(path, json={"by": "seat"}, headers=cashier)
    assert by_seat.status_code == 200, by_seat.text
    parts = by_seat.json()["parts"]
    assert [p["label"] for p in parts] == ["Seat 1", "Seat 2"]
    assert sum(p["total"] for p in parts) == check["total"]
    part = (await client.get(f"/api/checks/{parts[0]['id']}", headers=cashier)).json()
    assert {line["share"] for line in part["lines"]} == {"1", "1/2"}
    refused(await client.post(path, json={"by": "seat"}, headers=cashier), 409, "check_not_open")
    await open_shift(client, cashier)
    whole = await pay(client, cashier, check["id"], method="card", reference="X")
    refused(whole, 409, "check_is_split")
    # by items: each line in one part
    order = (await client.post("/api/orders", json=body, headers=cashier)).json()
    other = await check_of(client, cashier, order)
    ids = [line["line_id"] for line in other["lines"]]
    answer = await client.post(
        f"/api/checks/{other['id']}/split",
        json={"by": "items", "parts": [ids[:1], ids[1:]]},
        headers=cashier,
    )
    assert answer.status_code == 200, answer.text
    first, second = answer.json()["parts"]
    assert first["total"] == item(menu_json, "Garlic prawns")["price"]
    assert first["total"] + second["total"] == other["total"]


async def test_merge_and_move_between_checks(client, cashier):
    a = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    b = await check_of(client, cashier, await walk_in(client, cashier, "Pastel de nata"))
    merged = await client.post(
        f"/api/checks/{a['id']}/merge", json={"check_id": b["id"]}, headers=cashier
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["total"] == a["total"] + b["total"]
    assert (await client.get(f"/api/checks/{b['id']}", headers=cashier)).json()[
        "status"
    ] == "merged"
    c = await check_of(client, cashier, await walk_in(client, cashier, "Espresso"))
    nata = next(line for line in merged.json()["lines"] if line["name"] == "Pastel de nata")
    moved = await client.post(
        f"/api/checks/{a['id']}/move",
        json={"line_ids": [nata["line_id"]], "to_check_id": c["id"]},
        headers=cashier,
    )
    assert moved.status_code == 200 and moved.json()["total"] == a["total"]
    refused(
        await client.post(
            f"/api/checks/{a['id']}/merge", json={"check_id": b["id"]}, headers=cashier
        ),
        409,
        "check_not_open",
    )
    # the nata's order closes only when the check it moved to is paid
    await open_shift(client, cashier)
    assert (await pay(client, cashier, a["id"], method="card", reference="R1")).status_code == 201
    nata_order = (await client.get(f"/api/orders/{nata['order_id']}", headers=cashier)).json()
    assert nata_order["status"] == "open"
    assert (await pay(client, cashier, c["id"], method="card", reference="R2")).status_code == 201
    nata_order = (await client.get(f"/api/orders/{nata['order_id']}", headers=cashier)).json()
    assert nata_order["status"] == "closed"


async def test_a_check_whose_lines_all_moved_away_is_no_longer_listed(client, cashier):
    """It stayed among the open checks with nothing on it to pay."""
    kept = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    emptied = await check_of(client, cashier, await walk_in(client, cashier, "Espresso"))
    moved = await client.post(
        f"/api/checks/{emptied['id']}/move",
        json={
            "line_ids": [line["line_id"] for line in emptied["lines"]],
            "to_check_id": kept["id"],
        },
        headers=cashier,
    )
    assert moved.status_code == 200 and moved.json()["lines"] == []
    listed = {row["id"] for row in (await client.get("/api/checks", headers=cashier)).json()}
    assert kept["id"] in listed and emptied["id"] not in listed


async def test_several_tenders_cash_rounding_tips_and_no_overpayment(client, cashier):
    manager = await sign_in(client, "manager", device="office")
    rules = await client.patch("/api/pos/settings", json={"cash_rounding": 5}, headers=manager)
    assert rules.status_code == 200 and rules.json()["cash_rounding"] == 5
    check = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    total = check["total"]
    await open_shift(client, cashier)
    too_much = await pay(
        client, cashier, check["id"], method="card", amount=total + 1, reference="Z"
    )
    refused(too_much, 422, "overpaid")
    card = await pay(
        client, cashier, check["id"], method="card", amount=501, tip=200, reference="T9"
    )
    assert card.status_code == 201 and card.json()["check"]["balance"] == total - 501
    short = await pay(client, cashier, check["id"], method="cash", given=1)
    refused(short, 422, "not_enough_cash")
    cash = await pay(client, cashier, check["id"], method="cash", given=10_000)
    assert cash.status_code == 201, cash.text
    payment = cash.json()["payment"]
    assert (payment["amount"] + payment["rounding"]) % 5 == 0 and abs(payment["rounding"]) <= 2
    assert cash.json()["change"] == 10_000 - payment["amount"] - payment["rounding"]
    view = cash.json()["check"]
    assert view["status"] == "paid" and view["tips"] == 200 and view["paid"] == total


async def test_refunds_go_to_the_tender_with_a_manager(client, cashier):
    check = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    await open_shift(client, cashier)
    paid = (await pay(client, cashier, check["id"], method="card", reference="T1")).json()
    path = f"/api/payments/{paid['payment']['id']}/refund"
    refused(
        await client.post(path, json={"reason": "cold"}, headers=cashier), 403, "approval_required"
    )
    body = {"amount": 300, "reason": "cold", "approval": await approval(client)}
    part = await client.post(path, json=body, headers=cashier)
    assert part.status_code == 201 and part.json()["refunded"] == 300
    over = {"amount": check["total"], "reason": "cold", "approval": await approval(client)}
    too_much = await client.post(path, json=over, headers=cashier)
    refused(too_much, 422, "too_much")
    # in the money the POS shows, not in cents: "from 1 to 650" read as 650 euros
    left = check["total"] - 300
    assert too_much.json()["error"]["message"] == (
        f"Amount must be from 0.01 to {left // 100}.{left % 100:02d}, what is left of the tender."
    )
    rest = {"reason": "cold", "approval": await approval(client)}
    assert (await client.post(path, json=rest, headers=cashier)).json()["refunded"] == check[
        "total"
    ]
    refused(
        await client.post(
            path, json={"reason": "x", "approval": await approval(client)}, headers=cashier
        ),
        409,
        "refunded",
    )


async def test_a_tender_refunded_on_an_open_check_is_owed_again(client, cashier):
    """A card tender on an open check refunded (the wrong card) still counted as paid: the
    check took the rest in cash and closed as paid in full with the card's money given back
    (1600 due, 600 kept in the probe). A split check's part is paid the same way."""
    order = await walk_in(client, cashier, "Garlic prawns", "Garlic prawns")
    check = await check_of(client, cashier, order)
    await open_shift(client, cashier)
    card = {"method": "card", "reference": "T1", "amount": 1000}
    taken = (await pay(client, cashier, check["id"], **card)).json()["payment"]
    back = {"reason": "wrong card", "approval": await approval(client)}
    path = f"/api/payments/{taken['id']}/refund"
    assert (await client.post(path, json=back, headers=cashier)).status_code == 201
    view = (await client.get(f"/api/checks/{check['id']}", headers=cashier)).json()
    assert view["status"] == "open" and view["balance"] == check["total"]
    cash = (await pay(client, cashier, check["id"], method="cash")).json()
    assert cash["payment"]["amount"] == check["total"] and cash["check"]["status"] == "paid"
    assert cash["check"]["balance"] == cash["check"]["due_back"] == 0

    split = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    path = f"/api/checks/{split['id']}/split"
    part = (await client.post(path, json={"by": "even", "ways": 2}, headers=cashier)).json()
    part = part["parts"][0]
    half = {"method": "card", "reference": "T2", "amount": part["total"] - 1}
    taken = (await pay(client, cashier, part["id"], **half)).json()["payment"]
    back = {"reason": "wrong card", "approval": await approval(client)}
    path = f"/api/payments/{taken['id']}/refund"
    assert (await client.post(path, json=back, headers=cashier)).status_code == 201
    one_cent = await pay(client, cashier, part["id"], method="card", reference="T3", amount=1)
    assert one_cent.json()["check"]["status"] == "open", one_cent.text
    whole = (await client.get(f"/api/checks/{split['id']}", headers=cashier)).json()
    assert whole["parts"][0]["balance"] == part["total"] - 1
    assert whole["balance"] == split["total"] - 1


async def test_a_line_not_sent_is_not_changed_under_a_payment(client, cashier):
    """A line not yet sent could change after a part of its split check was paid: its quantity
    raised to 999, the paid part kept its old share (800) while the other part paid half the
    new total, and the check closed paid in full at 949,700 with 475,650 taken. Changing or
    taking back such a line is refused and writes nothing; a void (which settles again) stays."""
    menu_json = await menu(client)
    lines = [{"item_id": item(menu_json, "Garlic prawns")["id"]}]
    body = {"kind": "counter", "lines": lines, "send": False}
    order = (await client.post("/api/orders", json=body, headers=cashier)).json()
    check = await check_of(client, cashier, order)
    await open_shift(client, cashier)
    path = f"/api/checks/{check['id']}/split"
    parts = (await client.post(path, json={"by": "even", "ways": 2}, headers=cashier)).json()
    await pay(client, cashier, parts["parts"][0]["id"], method="card", reference="T1")
    line = f"/api/order-lines/{order['lines'][0]['id']}"
    before = await client.get(f"/api/orders/{order['id']}/events", headers=cashier)
    refused(
        await client.patch(line, json={"quantity": 999}, headers=cashier),
        409,
        "check_has_payments",
    )
    refused(await client.delete(line, headers=cashier), 409, "check_has_payments")
    after = await client.get(f"/api/orders/{order['id']}/events", headers=cashier)
    assert after.json() == before.json()
    now = (await client.get(f"/api/checks/{check['id']}", headers=cashier)).json()
    assert now["total"] == check["total"] and now["balance"] == parts["parts"][1]["total"]
    void = {"reason": "wrong dish", "approval": await approval(client)}
    voided = await client.post(f"{line}/void", json=void, headers=cashier)
    assert voided.status_code == 200, voided.text


async def test_a_line_voided_after_a_part_was_paid_leaves_the_report_at_the_new_total(
    client, cashier
):
    """A line voided after one part of an even split was paid: the paid part kept what it
    came to before (800 of 1600), so the day's report counted 1125 of sales (and their tax) for
    a check of 650, and still did once the 475 owed back was refunded (takings 650). The paid
    part now keeps its share of the new total, as a check paid after the void would."""
    order = await walk_in(client, cashier, "Garlic prawns", "Padrón peppers")
    check = await check_of(client, cashier, order)
    await open_shift(client, cashier)
    path = f"/api/checks/{check['id']}/split"
    first, second = (
        await client.post(path, json={"by": "even", "ways": 2}, headers=cashier)
    ).json()["parts"]
    paid = (await pay(client, cashier, first["id"], method="card", reference="T1")).json()
    prawns = next(line for line in check["lines"] if line["name"] == "Garlic prawns")
    void = {"reason": "never served", "approval": await approval(client)}
    voided = await client.post(
        f"/api/order-lines/{prawns['line_id']}/void", json=void, headers=cashier
    )
    assert voided.status_code == 200, voided.text
    rest = (await pay(client, cashier, second["id"], method="card", reference="T2")).json()
    whole = (await client.get(f"/api/checks/{check['id']}", headers=cashier)).json()
    assert whole["status"] == "paid" and whole["total"] == check["total"] - prawns["amount"]
    assert (
        whole["due_back"]
        == paid["payment"]["amount"] + rest["payment"]["amount"] - (whole["total"])
    )
    back = {
        "amount": whole["due_back"],
        "reason": "never served",
        "approval": await approval(client),
    }
    refund = await client.post(
        f"/api/payments/{paid['payment']['id']}/refund", json=back, headers=cashier
    )
    assert refund.status_code == 201, refund.text
    manager = await sign_in(client, "manager")
    day = (await client.post("/api/reports", json={"kind": "x"}, headers=manager)).json()["data"]
    assert day["sales"] == whole["total"] == day["takings"]
    assert day["tax_total"] == whole["tax_total"]


async def test_two_checks_discounts_merged_or_moved_stay_within_the_limit(client, cashier):
    """A cashier gave two checks 10% each (the limit) and merged them: both discounts then
    took 10% off every line, 608 off 3200 (19%) that no manager approved; a line moved with
    its own 10% to a check with 10% took 19% off; a promo code that does not stack ended up
    beside other discounts. A merge or a move that makes the discounts take off more than they
    did apart, above the limit, is a manager's; one that breaks a promo code's rules is
    refused; a refused one writes nothing."""

    async def discounted(*names, line=False):
        check = await check_of(client, cashier, await walk_in(client, cashier, *names))
        ten = {"kind": "percent", "value": 1000, "reason": "regulars"}
        if line:
            ten["line_id"] = check["lines"][0]["line_id"]
        given = await client.post(f"/api/checks/{check['id']}/discounts", json=ten, headers=cashier)
        assert given.status_code == 201, given.text
        return given.json()

    first = await discounted("Garlic prawns", "Padrón peppers")
    second = await discounted("Garlic prawns", "Padrón peppers")
    third = await discounted("Garlic prawns", "Padrón peppers", line=True)
    merge = f"/api/checks/{first['id']}/merge"
    refused(
        await client.post(merge, json={"check_id": second["id"]}, headers=cashier),
        403,
        "approval_required",
    )
    moved = {"line_ids": [third["lines"][0]["line_id"]], "to_check_id": first["id"]}
    refused(
        await client.post(f"/api/checks/{third['id']}/move", json=moved, headers=cashier),
        403,
        "approval_required",
    )
    for check in (first, second, third):
        now = (await client.get(f"/api/checks/{check['id']}", headers=cashier)).json()
        assert now["status"] == "open" and now["total"] == check["total"]
        assert now["lines"] == check["lines"] and now["discounts"] == check["discounts"]
    manager = await sign_in(client, "manager")
    both = await client.post(merge, json={"check_id": second["id"]}, headers=manager)
    assert both.status_code == 200, both.text
    # a check with no discount merges into one with a line's discount: nothing takes more off
    plain = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    joined = await client.post(
        f"/api/checks/{third['id']}/merge", json={"check_id": plain["id"]}, headers=cashier
    )
    assert joined.status_code == 200, joined.text
    # a promo code that does not stack stayed beside the other check's discount, and one code
    # twice, once merged: 1760 off 3200 where the promo alone took half
    half = {"code": "HALF", "kind": "percent", "value": 5000}
    assert (await client.post("/api/promo-codes", json=half, headers=manager)).status_code == 201
    promo = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    path = f"/api/checks/{promo['id']}/discounts"
    coded = await client.post(path, json={"promo_code": "HALF"}, headers=cashier)
    assert coded.status_code == 201, coded.text
    other = await discounted("Garlic prawns")
    refused(
        await client.post(
            f"/api/checks/{promo['id']}/merge", json={"check_id": other["id"]}, headers=manager
        ),
        409,
        "promo_not_stackable",
    )
    again = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    path = f"/api/checks/{again['id']}/discounts"
    assert (
        await client.post(path, json={"promo_code": "HALF"}, headers=cashier)
    ).status_code == 201
    refused(
        await client.post(
            f"/api/checks/{promo['id']}/merge", json={"check_id": again["id"]}, headers=manager
        ),
        409,
        "promo_twice",
    )
    now = (await client.get(f"/api/checks/{promo['id']}", headers=cashier)).json()
    assert now["discounts"] == coded.json()["discounts"] and now["lines"] == promo["lines"]


async def test_a_cash_refund_takes_no_more_than_the_drawer_holds(client, cashier):
    """A cash refund left the drawer's expected cash below nothing (-950 in the probe), where a
    pay-out or a skim beyond the drawer is refused."""
    check = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    await open_shift(client, cashier, 0)
    paid = (await pay(client, cashier, check["id"], method="cash")).json()
    skim = {"kind": "skim", "amount": check["total"] - 100, "reason": "to the safe"}
    moved = await client.post("/api/shifts/current/moves", json=skim, headers=cashier)
    assert moved.status_code == 201, moved.text
    path = f"/api/payments/{paid['payment']['id']}/refund"
    whole = {"reason": "cold", "approval": await approval(client)}
    refused(await client.post(path, json=whole, headers=cashier), 409, "not_enough_cash")
    part = await client.post(path, json={**whole, "amount": 100}, headers=cashier)
    assert part.status_code == 201 and part.json()["refunded"] == 100, part.text


async def test_drawer_moves_and_a_no_sale_need_an_open_shift_and_a_manager(client, cashier):
    move = {"kind": "pay_in", "amount": 1000, "reason": "coins"}
    refused(
        await client.post("/api/shifts/current/moves", json=move, headers=cashier),
        409,
        "no_open_shift",
    )
    await open_shift(client, cashier, 5000)
    refused(await client.post("/api/shifts", json={"float": 1}, headers=cashier), 409, "shift_open")
    no_sale = {"kind": "no_sale", "reason": "change"}
    refused(
        await client.post("/api/shifts/current/moves", json=no_sale, headers=cashier),
        403,
        "approval_required",
    )
    approved = {**no_sale, "approval": await approval(client)}
    with_money = {**approved, "amount": 500}  # was taken, and the amount silently dropped
    refused(
        await client.post("/api/shifts/current/moves", json=with_money, headers=cashier),
        422,
        "invalid",
    )
    shift = (await client.get("/api/shifts/current", headers=cashier)).json()["shift"]
    assert shift["moves"] == []  # nothing recorded
    assert (
        await client.post("/api/shifts/current/moves", json=approved, headers=cashier)
    ).status_code == 201
    skim = {"kind": "skim", "amount": 10_000, "reason": "safe"}
    refused(
        await client.post("/api/shifts/current/moves", json=skim, headers=cashier),
        409,
        "not_enough_cash",
    )
    for kind, amount in (("pay_in", 1000), ("pay_out", 300), ("skim", 2000)):
        body = {"kind": kind, "amount": amount, "reason": "r"}
        assert (
            await client.post("/api/shifts/current/moves", json=body, headers=cashier)
        ).status_code == 201
    closed = await client.post(
        "/api/shifts/current/close", json={"counted": {"500": 7}}, headers=cashier
    )
    shift = closed.json()
    assert shift["expected"] == 5000 + 1000 - 300 - 2000 and shift["variance"] == 3500 - 3700
    assert [m["kind"] for m in shift["moves"]] == ["no_sale", "pay_in", "pay_out", "skim"]


async def test_promo_codes_follow_their_rules(client, cashier):
    manager = await sign_in(client, "manager", device="office")
    promos = {
        "TENOFF": {"kind": "percent", "value": 5000, "usage_limit": 1, "max_discount": 100},
        "OLD": {"kind": "fixed", "value": 100, "valid_until": "2020-01-01T00:00:00Z"},
        "BIG": {"kind": "fixed", "value": 100, "min_spend": 1_000_000},
        "STACK": {"kind": "fixed", "value": 50, "stackable": True},
    }
    for code, promo in promos.items():
        made = await client.post("/api/promo-codes", json={"code": code, **promo}, headers=manager)
        assert made.status_code == 201, made.text
    refused(
        await client.post(
            "/api/promo-codes",
            json={"code": "oldx", "kind": "percent", "value": 20_000},
            headers=manager,
        ),
        422,
        "invalid",
    )
    # a code taken, as a person types it: refused as a table's name taken is (422, the field)
    taken = await client.post(
        "/api/promo-codes", json={"code": " tenoff", "kind": "fixed", "value": 1}, headers=manager
    )
    refused(taken, 422, "duplicate_code")
    assert taken.json()["error"]["field"] == "code"
    check = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    path = f"/api/checks/{check['id']}/discounts"
    refused(
        await client.post(path, json={"promo_code": "old"}, headers=cashier), 409, "promo_expired"
    )
    refused(
        await client.post(path, json={"promo_code": "big"}, headers=cashier), 409, "promo_min_spend"
    )
    refused(
        await client.post(path, json={"promo_code": "nope"}, headers=cashier),
        422,
        "unknown_promo_code",
    )
    ten = await client.post(path, json={"promo_code": "tenoff"}, headers=cashier)
    assert ten.status_code == 201 and ten.json()["discount_total"] == 100  # capped
    refused(
        await client.post(path, json={"promo_code": "stack"}, headers=cashier),
        409,
        "promo_not_stackable",
    )
    other = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    used = await client.post(
        f"/api/checks/{other['id']}/discounts", json={"promo_code": "TENOFF"}, headers=cashier
    )
    refused(used, 409, "promo_used_up")


async def test_the_business_day_follows_the_store_across_midnight_and_the_clock_change(client):
    # Lisbon leaves summer time on 2026-10-25 at 02:00 local (01:00 UTC); the day starts 04:00.
    with freeze_time("2026-10-24 21:30:00", tick=True) as frozen:  # 22:30 local
        cashier = await sign_in(client, "cashier", device="till")
        manager = await sign_in(client, "manager", device="office")
        shift = await open_shift(client, cashier)
        assert shift["business_day"] == "2026-10-24"
        check = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
        frozen.move_to("2026-10-25 02:30:00")  # 02:30 local after the change: still the 24th
        paid = (await pay(client, cashier, check["id"], method="cash", given=check["total"])).json()
        assert paid["payment"]["business_day"] == "2026-10-24"
        await client.post("/api/shifts/current/close", json={"counted": {}}, headers=cashier)
        frozen.move_to("2026-10-25 03:45:00")  # 03:45 local
        z = (await client.post("/api/reports", json={"kind": "z"}, headers=manager)).json()
        assert z["business_day"] == "2026-10-24" and z["data"]["sales"] == check["total"]
        refused(
            await client.post("/api/shifts", json={"float": 0}, headers=cashier), 409, "day_closed"
        )
        frozen.move_to("2026-10-25 04:15:00")  # 04:15 local: the 25th
        assert (await open_shift(client, cashier))["business_day"] == "2026-10-25"
        x = (await client.post("/api/reports", json={"kind": "x"}, headers=manager)).json()
        assert x["business_day"] == "2026-10-25" and x["data"]["sales"] == 0
        refused(
            await client.post(
                "/api/reports", json={"kind": "z", "business_day": "2026-10-24"}, headers=manager
            ),
            409,
            "day_closed",
        )


async def test_a_z_report_for_a_day_still_to_come_is_refused_and_closes_nothing(client):
    """A manager who picks tomorrow by mistake would close it before it starts: no shift would
    open and nothing could be sold on it."""
    with freeze_time("2026-12-07 12:00:00", tick=True):
        manager = await sign_in(client, "manager", device="office")
        tomorrow = {"kind": "z", "business_day": "2026-12-08"}
        refused(
            await client.post("/api/reports", json=tomorrow, headers=manager), 422, "future_day"
        )
        x = await client.post("/api/reports", json={**tomorrow, "kind": "x"}, headers=manager)
        assert x.status_code == 201  # an X report resets nothing
    with freeze_time("2026-12-08 12:00:00", tick=True):
        cashier = await sign_in(client, "cashier", device="till")
        assert (await open_shift(client, cashier))["business_day"] == "2026-12-08"


async def test_a_promo_date_out_of_the_calendar_in_utc_is_refused_not_a_500(client):
    manager = await sign_in(client, "manager", device="office")
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        body = {"code": "EDGE", "kind": "fixed", "value": 100, "valid_from": moment}
        answer = await client.post("/api/promo-codes", json=body, headers=manager)
        refused(answer, 422, "invalid")
        assert answer.json()["error"]["field"] == "valid_from"


async def test_a_check_or_a_part_with_nothing_to_pay_is_settled_by_a_tender_of_nothing(
    client, cashier
):
    """A comped check, and the parts of a one-cent check split three ways, could never be paid:
    their orders stayed open and the checks on the list for good."""
    manager = await sign_in(client, "manager", device="office")
    await open_shift(client, cashier)
    order = await walk_in(client, cashier, "Garlic prawns")
    comped = await check_of(client, cashier, order)
    comp = {"kind": "percent", "value": 10_000, "reason": "birthday"}
    path = f"/api/checks/{comped['id']}/discounts"
    assert (await client.post(path, json=comp, headers=manager)).json()["total"] == 0
    refused(await pay(client, cashier, comped["id"], method="cash", amount=1), 422, "overpaid")
    taken = await pay(client, cashier, comped["id"], method="cash")
    assert taken.status_code == 201, taken.text
    assert taken.json()["payment"]["amount"] == 0 and taken.json()["change"] == 0
    assert taken.json()["check"]["status"] == "paid"
    assert (await client.get(f"/api/orders/{order['id']}", headers=cashier)).json()[
        "status"
    ] == "closed"
    refused(await pay(client, cashier, comped["id"], method="cash"), 409, "check_not_open")

    cent = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    almost = {"kind": "fixed", "value": cent["total"] - 1, "reason": "regular"}
    await client.post(f"/api/checks/{cent['id']}/discounts", json=almost, headers=manager)
    split = await client.post(
        f"/api/checks/{cent['id']}/split", json={"by": "even", "ways": 3}, headers=cashier
    )
    assert [p["total"] for p in split.json()["parts"]] == [1, 0, 0]
    for part in split.json()["parts"]:
        answer = await pay(client, cashier, part["id"], method="card", reference="T-9")
        assert answer.status_code == 201, answer.text
    whole = (await client.get(f"/api/checks/{cent['id']}", headers=cashier)).json()
    assert whole["status"] == "paid" and whole["paid"] == 1


async def test_discounts_within_the_limit_one_by_one_still_need_a_manager_beyond_it(
    client, cashier
):
    """The store's limit (10 %) was judged on each discount alone: a cashier gave nine 10 %
    discounts in a row, 61 % off, and then an amount of 10 % of the first total, with no
    manager."""
    check = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    path = f"/api/checks/{check['id']}/discounts"
    ten = {"kind": "percent", "value": 1000, "reason": "regular"}
    first = await client.post(path, json=ten, headers=cashier)
    assert first.status_code == 201 and first.json()["discount_total"] == 95
    refused(await client.post(path, json=ten, headers=cashier), 403, "approval_required")
    lines = first.json()["lines"]
    a_line = {"kind": "fixed", "value": 50, "line_id": lines[0]["line_id"], "reason": "cold"}
    refused(await client.post(path, json=a_line, headers=cashier), 403, "approval_required")
    approved = await client.post(
        path, json={**ten, "approval": await approval(client)}, headers=cashier
    )
    assert approved.status_code == 201 and approved.json()["discount_total"] == 95 + 86
    refused(
        await client.post(path, json={"kind": "fixed", "value": 1}, headers=cashier),
        403,
        "approval_required",
    )
    view = (await client.get(f"/api/checks/{check['id']}", headers=cashier)).json()
    assert len(view["discounts"]) == 2


async def test_a_managers_comp_covers_what_it_was_approved_for_not_what_joins_it_later(
    client, cashier
):
    """A manager comped a check 100 %; the cashier then merged a bigger check into it and moved
    a line onto it, and all of it was free. An approved percent now takes off at most what it
    came to when approved (a percent within the limit still follows its check)."""
    comped = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    comp = {"kind": "percent", "value": 10_000, "reason": "waited an hour"}
    given = await client.post(
        f"/api/checks/{comped['id']}/discounts",
        json={**comp, "approval": await approval(client)},
        headers=cashier,
    )
    assert given.status_code == 201 and given.json()["total"] == 0, given.text
    other = await check_of(
        client, cashier, await walk_in(client, cashier, "Burrata", "Pastel de nata")
    )
    merged = await client.post(
        f"/api/checks/{comped['id']}/merge", json={"check_id": other["id"]}, headers=cashier
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["discount_total"] == given.json()["discount_total"]
    assert merged.json()["total"] == other["total"]
    espresso = await check_of(client, cashier, await walk_in(client, cashier, "Espresso"))
    moved = await client.post(
        f"/api/checks/{espresso['id']}/move",
        json={"line_ids": [espresso["lines"][0]["line_id"]], "to_check_id": comped["id"]},
        headers=cashier,
    )
    assert moved.status_code == 200, moved.text
    after = (await client.get(f"/api/checks/{comped['id']}", headers=cashier)).json()
    assert after["total"] == other["total"] + espresso["total"]
    assert after["discount_total"] == given.json()["discount_total"]


async def test_a_line_ordered_after_a_walk_in_check_is_split_gets_a_check_of_its_own(
    client, cashier
):
    """It was on no check, and opening the order's check answered the split one: nothing could
    pay for it, and the order stayed open for good."""
    await open_shift(client, cashier)
    order = await walk_in(client, cashier, "Garlic prawns", "Burrata")
    check = await check_of(client, cashier, order)
    split = await client.post(
        f"/api/checks/{check['id']}/split", json={"by": "even", "ways": 2}, headers=cashier
    )
    nata = item(await menu(client), "Pastel de nata")
    added = await client.post(
        f"/api/orders/{order['id']}/lines",
        json={"lines": [{"item_id": nata["id"]}]},
        headers=cashier,
    )
    assert added.status_code == 201, added.text
    later = await check_of(client, cashier, order)
    assert later["id"] != check["id"] and later["status"] == "open"
    assert [line["name"] for line in later["lines"]] == ["Pastel de nata"]
    assert later["total"] == nata["price"]
    for part in split.json()["parts"]:
        assert (await pay(client, cashier, part["id"], method="cash")).status_code == 201
    still = (await client.get(f"/api/orders/{order['id']}", headers=cashier)).json()
    assert still["status"] == "open"
    assert (await pay(client, cashier, later["id"], method="cash")).status_code == 201
    closed = (await client.get(f"/api/orders/{order['id']}", headers=cashier)).json()
    assert closed["status"] == "closed"
    assert (await check_of(client, cashier, order))["id"] == later["id"]  # as it was paid


async def test_no_z_report_while_a_shift_left_open_since_the_day_before_takes_its_cash(client):
    """The till's shift of the 7th, never closed, took cash on the 8th: the Z report of the 8th
    was made without it (no shift open, it said) and the day then closed on a drawer still
    open. The 8th's Z waits for every shift up to it to close, and the 7th's takes none of the
    8th's money."""
    with freeze_time("2026-12-07 20:00:00", tick=True) as frozen:
        cashier = await sign_in(client, "cashier", device="till")
        await open_shift(client, cashier)
        frozen.move_to("2026-12-08 05:00:00")  # the 8th's business day, from 04:00
        cashier = await sign_in(client, "cashier", device="till")
        manager = await sign_in(client, "manager", device="office")
        check = await check_of(client, cashier, await walk_in(client, cashier, "Burrata"))
        # the 7th's shift takes none of the 8th's money (shift_day_over)
        refused(await pay(client, cashier, check["id"], method="cash"), 409, "shift_day_over")
        z = await client.post("/api/reports", json={"kind": "z"}, headers=manager)
        refused(z, 409, "shifts_open")
        counted = {"counted": {"10000": 1}}
        closed = await client.post("/api/shifts/current/close", json=counted, headers=cashier)
        assert closed.status_code == 200 and closed.json()["variance"] == 0
        await open_shift(client, cashier, 0)
        taken = (await pay(client, cashier, check["id"], method="cash")).json()
        assert taken["payment"]["business_day"] == "2026-12-08"
        z = await client.post("/api/reports", json={"kind": "z"}, headers=manager)
        refused(z, 409, "shifts_open")
        counted = {"counted": {"1050": 1}}
        closed = await client.post("/api/shifts/current/close", json=counted, headers=cashier)
        assert closed.status_code == 200 and closed.json()["variance"] == 0
        z = await client.post("/api/reports", json={"kind": "z"}, headers=manager)
        assert z.status_code == 201 and z.json()["data"]["tenders"]["cash"]["amount"] == 1050
        assert z.json()["data"]["expected_cash"] == 1050


# A run of 13 to 19 digits, alone or in groups of four, not inside a hexadecimal id.
_CARD = re.compile(
    r"(?<![0-9A-Fa-f-])(?:\d{13,19}|\d{4}(?:[ -]\d{4}){2,3}(?:[ -]?\d{1,3})?)(?![0-9A-Fa-f])"
)


def card_numbers(text: str) -> list[str]:
    return [m.group() for m in _CARD.finditer(text) if looks_like_card(m.group())]


async def test_no_card_number_is_stored_in_the_database_the_events_or_the_logs(
    client, cashier, caplog
):
    """Every value of every row of every table (the events' fields, print jobs' bytes and the
    idempotency keys' answers among them; not an event's clock reading, whose 13-digit
    milliseconds are no card), and the log, hold no Luhn-valid run of 13 to 19 digits after a
    cashier tried to type card numbers as the terminal's reference."""
    caplog.set_level(logging.DEBUG)
    assert looks_like_card("4111 1111 1111 1111") and not looks_like_card("T-20261206-0042")
    check = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    await open_shift(client, cashier)
    for typed in ("4111111111111111", "ref 5500-0000-0000-0004"):
        refused(
            await pay(client, cashier, check["id"], method="card", reference=typed),
            422,
            "card_number",
        )
    ok = await pay(client, cashier, check["id"], method="card", reference="AUTH 004211 TID 7781")
    assert ok.status_code == 201
    conn = sqlite3.connect(BOX["database"])
    found = []
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        cursor = conn.execute(f"SELECT * FROM {table}")
        columns = [d[0] for d in cursor.description]
        for row in cursor:
            for column, value in zip(columns, row, strict=True):
                if column == "hlc" or value is None:
                    continue
                text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                found += [(table, column, n) for n in card_numbers(text)]
    conn.close()
    found += [("log", "", n) for n in card_numbers(caplog.text)]
    assert found == []


tenders = st.lists(
    st.tuples(st.sampled_from(["cash", "card"]), st.integers(0, 500), st.integers(0, 2)),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tenders)
async def test_the_report_is_the_days_tenders_less_refunds(
    client, cashier, paid_so_far, tender_list
):
    """Each example pays a check in some tenders and refunds some; the X report's takings are
    always every tender of the day (with rounding and tips) less every refund."""
    manager = await sign_in(client, "manager", device="office")
    if (await client.get("/api/shifts/current", headers=cashier)).json()["shift"] is None:
        await open_shift(client, cashier)
    check = await check_of(client, cashier, await walk_in(client, cashier, "Garlic prawns"))
    left = check["total"]
    for n, (method, tip, refunds) in enumerate(tender_list):
        last = n == len(tender_list) - 1
        amount = left if last else max(1, left // 3)
        body = {"method": method, "amount": amount, "tip": tip}
        if method == "card":
            body["reference"] = f"T{n}"
        taken = (await pay(client, cashier, check["id"], **body)).json()
        payment = taken["payment"]
        left -= amount
        paid_so_far.append(payment["amount"] + payment["rounding"] + payment["tip"])
        for _ in range(refunds):
            refund = {"amount": 1, "reason": "r", "approval": await approval(client)}
            path = f"/api/payments/{payment['id']}/refund"
            assert (await client.post(path, json=refund, headers=cashier)).status_code == 201
            paid_so_far.append(-1)
    x = (await client.post("/api/reports", json={"kind": "x"}, headers=manager)).json()
    assert x["data"]["takings"] == sum(paid_so_far)
    tenders_data = x["data"]["tenders"]
    assert x["data"]["takings"] == sum(
        t["amount"] + t["tips"] - t["refunds"] for t in tenders_data.values()
    )


@pytest.fixture
def paid_so_far():
    return []


async def test_a_void_after_the_z_counts_on_the_day_it_was_made_not_the_closed_one(client):
    """A table's order left open over the Z: a line of it voided later that night, and another
    the next day, were counted in the closed day's voids (by the order's day), so an X of that
    day no longer said what its Z did. A void counts on the day it is made; one made after
    today's Z, on the next day (as a late QR payment is), which no Z has closed yet."""
    with freeze_time("2026-12-07 20:00:00", tick=True) as frozen:
        manager = await sign_in(client, "manager", device="till")
        m = await menu(client)
        tables = (await client.get("/api/tables", headers=manager)).json()
        names = ("Garlic prawns", "Espresso", "Burrata")
        body = {
            "kind": "table",
            "table_id": table_id(tables, "3"),
            "lines": [{"item_id": item(m, name)["id"]} for name in names],
        }
        order = (await client.post("/api/orders", json=body, headers=manager)).json()
        first, second, third = (line["id"] for line in order["lines"])
        void = {"reason": "cold"}
        assert (
            await client.post(f"/api/order-lines/{first}/void", json=void, headers=manager)
        ).status_code == 200
        z = await client.post("/api/reports", json={"kind": "z"}, headers=manager)
        assert z.status_code == 201, z.text
        closed = z.json()["data"]
        assert (closed["voids"], closed["voided"]) == (1, order["lines"][0]["amount"])
        frozen.move_to("2026-12-07 22:30:00")  # the same night, after the Z
        assert (
            await client.post(f"/api/order-lines/{second}/void", json=void, headers=manager)
        ).status_code == 200
        frozen.move_to("2026-12-08 12:00:00")  # the next day
        manager = await sign_in(client, "manager", device="till")
        assert (
            await client.post(f"/api/order-lines/{third}/void", json=void, headers=manager)
        ).status_code == 200
        again = {"kind": "x", "business_day": "2026-12-07"}
        x = await client.post("/api/reports", json=again, headers=manager)
        assert x.json()["data"] == closed
        today = (await client.post("/api/reports", json={"kind": "x"}, headers=manager)).json()
        assert today["business_day"] == "2026-12-08"
        voided = order["lines"][1]["amount"] + order["lines"][2]["amount"]
        assert (today["data"]["voids"], today["data"]["voided"]) == (2, voided)


async def test_a_check_a_void_settles_after_the_z_is_paid_on_the_next_day(client):
    """A walk-in's check paid in part, the day's Z made, then the unpaid line voided that night:
    the void settled the check, which was marked paid on the closed day (its sales and tax went
    into a day whose Z was done). It is paid on the next day, which no Z has closed yet."""
    with freeze_time("2026-12-07 20:00:00", tick=True) as frozen:
        manager = await sign_in(client, "manager", device="till")
        check = await check_of(
            client, manager, await walk_in(client, manager, "Garlic prawns", "Espresso")
        )
        prawns, espresso = check["lines"]
        await open_shift(client, manager)
        part = await pay(
            client, manager, check["id"], method="card", amount=prawns["amount"], reference="T"
        )
        assert part.status_code == 201 and part.json()["check"]["status"] == "open", part.text
        closing = await client.post(
            "/api/shifts/current/close", json={"counted": {"10000": 1}}, headers=manager
        )
        assert closing.status_code == 200, closing.text
        z = await client.post("/api/reports", json={"kind": "z"}, headers=manager)
        assert z.status_code == 201, z.text
        frozen.move_to("2026-12-07 22:30:00")
        void = await client.post(
            f"/api/order-lines/{espresso['line_id']}/void", json={"reason": "cold"}, headers=manager
        )
        assert void.status_code == 200, void.text
        paid = (await client.get(f"/api/checks/{check['id']}", headers=manager)).json()
        assert paid["status"] == "paid"
        again = {"kind": "x", "business_day": "2026-12-07"}
        x = await client.post("/api/reports", json=again, headers=manager)
        assert x.json()["data"] == z.json()["data"]
        after = {"kind": "x", "business_day": "2026-12-08"}
        next_day = (await client.post("/api/reports", json=after, headers=manager)).json()["data"]
        assert (next_day["checks"], next_day["sales"]) == (1, paid["total"])


async def test_a_shift_of_a_day_gone_by_takes_no_more_money_and_each_z_counts_its_own_cash(
    client,
):
    """The till's shift of the 7th, left open past the start of the 8th, took the 8th's cash:
    the 7th's Z counted that cash in its drawer (expected cash 10.50 more than its cash
    tenders) and the 8th's Z counted it in its tenders with no drawer holding it, so neither
    day's cash agreed with its tenders. A shift belongs to its day: once the next begins it
    takes no money (409 `shift_day_over`) until it is counted and today's is opened."""
    with freeze_time("2026-12-07 20:00:00", tick=True) as frozen:
        cashier = await sign_in(client, "cashier", device="till")
        manager = await sign_in(client, "manager", device="office")
        await open_shift(client, cashier, 0)
        first = await check_of(client, cashier, await walk_in(client, cashier, "Burrata"))
        assert (await pay(client, cashier, first["id"], method="cash")).status_code == 201
        frozen.move_to("2026-12-08 05:00:00")  # the 8th's business day, from 04:00
        cashier = await sign_in(client, "cashier", device="till")
        manager = await sign_in(client, "manager", device="office")
        second = await check_of(client, cashier, await walk_in(client, cashier, "Burrata"))
        refused(await pay(client, cashier, second["id"], method="cash"), 409, "shift_day_over")
        counted = {"counted": {"1": first["total"]}}
        closed = await client.post("/api/shifts/current/close", json=counted, headers=cashier)
        assert closed.status_code == 200 and closed.json()["variance"] == 0, closed.text
        await open_shift(client, cashier, 0)
        taken = await pay(client, cashier, second["id"], method="cash")
        assert taken.json()["payment"]["business_day"] == "2026-12-08"
        counted = {"counted": {"1": second["total"]}}
        closed = await client.post("/api/shifts/current/close", json=counted, headers=cashier)
        assert closed.json()["variance"] == 0, closed.text
        for day, check in (("2026-12-07", first), ("2026-12-08", second)):
            z = await client.post(
                "/api/reports", json={"kind": "z", "business_day": day}, headers=manager
            )
            assert z.status_code == 201, z.text
            data = z.json()["data"]
            assert data["tenders"]["cash"]["amount"] == check["total"]
            assert data["expected_cash"] == data["declared_cash"] == check["total"]
