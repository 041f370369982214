"""Pay at table against the sandbox provider on 127.0.0.1: the link, the guest paying, the
signed webhook (bad signature, stale, replayed, a rotated secret, a duplicate delivery: one
payment) and polling when no webhook comes; a provider that is down."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
import threading
import time
from typing import Any

import httpx
import pytest

from edge.api.app import create_app
from galley.pay_sandbox import Sandbox
from printers.decoder import decode
from tests.conftest import count, sign_in
from tests.edge.test_checks import check_of, walk_in
from tests.live import serve

SECRET, OLD_SECRET = b"whsec-new", b"whsec-old"


class RefundGate:
    """In front of the provider: a refund asked of it waits while `open` is clear (it is set
    unless a test clears it); `asked` is set once one has come."""

    def __init__(self) -> None:
        self.open, self.asked = threading.Event(), threading.Event()
        self.open.set()
        self.app: Any = None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/refund"):
            self.asked.set()
            await asyncio.to_thread(self.open.wait, 30)
        await self.app(scope, receive, send)


@pytest.fixture
def refund_gate():
    return RefundGate()


@pytest.fixture
def sandbox(refund_gate):
    provider = Sandbox(secret=SECRET, deliver=False)
    refund_gate.app = provider.app()
    with serve(refund_gate) as url:
        provider.base_url = url
        yield provider


@pytest.fixture
async def edge(settings, sandbox):
    paying = dataclasses.replace(
        settings,
        print_workers=False,
        pay_url=sandbox.base_url,
        pay_webhook_secrets=f"{SECRET.decode()},{OLD_SECRET.decode()}",
    )
    application = create_app(paying)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as http:
            yield http


async def link_for(http, who):
    check = await check_of(http, who, await walk_in(http, who, "Garlic prawns"))
    answer = await http.post(f"/api/checks/{check['id']}/pay-link", headers=who)
    assert answer.status_code == 201, answer.text
    return check, answer.json()


async def paid_at_till(edge, who):
    """A check paid in cash on `who`'s till (a shift opened for it) while its QR bill waited:
    the check and its link."""
    assert (await edge.post("/api/shifts", json={"float": 0}, headers=who)).status_code == 201
    check, link = await link_for(edge, who)
    cash = await edge.post(
        f"/api/checks/{check['id']}/payments", json={"method": "cash"}, headers=who
    )
    assert cash.status_code == 201 and cash.json()["check"]["status"] == "paid"
    return check, link


async def webhook(http, sandbox, body, **signing):
    return await http.post(
        "/api/pay/webhook", content=body, headers=sandbox.headers(body, **signing)
    )


async def test_the_guest_pays_and_the_box_polls_when_no_webhook_comes(edge, sandbox, settings):
    who = await sign_in(edge, "waiter")
    check, link = await link_for(edge, who)
    assert link["amount"] == check["total"] and link["url"].startswith(sandbox.base_url)
    waiting = (await edge.get(f"/api/pay-links/{link['id']}", headers=who)).json()
    assert waiting["status"] == "pending"
    async with httpx.AsyncClient() as phone:  # the guest's phone opens the link and pays
        assert (await phone.get(link["url"])).status_code == 200
        assert (await phone.post(link["url"])).json()["status"] == "succeeded"
    paid = (await edge.get(f"/api/pay-links/{link['id']}", headers=who)).json()
    assert paid["status"] == "paid" and paid["payment_id"]
    view = (await edge.get(f"/api/checks/{check['id']}", headers=who)).json()
    assert view["status"] == "paid" and [p["method"] for p in view["payments"]] == ["online"]
    assert view["payments"][0]["shift_id"] is None
    again = (await edge.get(f"/api/pay-links/{link['id']}", headers=who)).json()
    assert again == paid and count(settings.database, "payments") == 1


async def test_the_webhook_is_signed_fresh_and_acts_once(edge, sandbox, settings):
    who = await sign_in(edge, "waiter")
    check, link = await link_for(edge, who)
    intent = sandbox.intents[link["provider_ref"]]
    intent["status"] = "succeeded"
    body = sandbox.event(intent, "evt_1")
    forged = await edge.post(
        "/api/pay/webhook", content=body, headers=sandbox.headers(body, secret=b"guess")
    )
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_signature"
    stale = await webhook(edge, sandbox, body, timestamp=int(time.time()) - 301)
    assert stale.status_code == 401 and stale.json()["error"]["code"] == "stale_webhook"
    unsigned = await edge.post("/api/pay/webhook", content=body)
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "unsigned_webhook"
    tampered = body.replace(b"succeeded", b"succeeded ")
    headers = sandbox.headers(body)
    refused = await edge.post("/api/pay/webhook", content=tampered, headers=headers)
    assert refused.status_code == 401
    assert count(settings.database, "payments") == 0
    # signed with the secret the rotation replaced: still accepted during the overlap
    first = await webhook(edge, sandbox, body, secret=OLD_SECRET)
    assert first.status_code == 200 and first.json() == {"received": True, "duplicate": False}
    replayed = await webhook(edge, sandbox, body)
    assert replayed.json() == {"received": True, "duplicate": True}
    other_delivery = await webhook(edge, sandbox, sandbox.event(intent, "evt_2"))
    assert other_delivery.json() == {"received": True, "duplicate": False}
    assert count(settings.database, "payments") == 1
    view = (await edge.get(f"/api/checks/{check['id']}", headers=who)).json()
    assert view["status"] == "paid" and view["paid"] == check["total"]
    garbage = await webhook(edge, sandbox, b"not json")
    assert garbage.status_code == 422


async def test_a_provider_that_is_down_is_said_so_and_other_tenders_remain(edge, sandbox, settings):
    who = await sign_in(edge, "cashier", device="till")
    check = await check_of(edge, who, await walk_in(edge, who, "Garlic prawns"))
    sandbox.down = True
    refused = await edge.post(f"/api/checks/{check['id']}/pay-link", headers=who)
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "provider_unavailable"
    assert count(settings.database, "pay_links") == 0
    assert (await edge.post("/api/shifts", json={"float": 0}, headers=who)).status_code == 201
    cash = await edge.post(
        f"/api/checks/{check['id']}/payments", json={"method": "cash"}, headers=who
    )
    assert cash.status_code == 201 and cash.json()["check"]["status"] == "paid"


async def test_pay_at_table_off_without_a_provider(client):
    who = await sign_in(client, "waiter")
    check = await check_of(client, who, await walk_in(client, who, "Garlic prawns"))
    refused = await client.post(f"/api/checks/{check['id']}/pay-link", headers=who)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "pay_at_table_off"
    assert json.loads(refused.text)["error"]["message"]


async def paid_online(edge, sandbox, who):
    """A check paid at the table (the provider's webhook in), a shift open on `who`'s till: the
    provider's intent, the payment, and the path that refunds it."""
    check, link = await link_for(edge, who)
    intent = sandbox.intents[link["provider_ref"]]
    intent["status"] = "succeeded"
    assert (await webhook(edge, sandbox, sandbox.event(intent))).status_code == 200
    payment = (await edge.get(f"/api/checks/{check['id']}", headers=who)).json()["payments"][0]
    assert (await edge.post("/api/shifts", json={"float": 0}, headers=who)).status_code == 201
    return intent, payment, f"/api/payments/{payment['id']}/refund"


async def test_an_online_payment_is_refunded_by_its_provider(edge, sandbox, settings):
    who = await sign_in(edge, "manager", device="till")
    intent, payment, path = await paid_online(edge, sandbox, who)
    sandbox.down = True
    down = await edge.post(path, json={"amount": 200, "reason": "cold"}, headers=who)
    assert down.status_code == 503 and count(settings.database, "refunds") == 0
    sandbox.down = False
    refunded = await edge.post(path, json={"amount": 200, "reason": "cold"}, headers=who)
    assert refunded.status_code == 201 and refunded.json()["refunded"] == 200
    assert intent["refunded"] == 200


async def test_a_webhook_with_a_strange_signature_or_a_huge_body_is_refused_not_read(
    edge, sandbox, settings
):
    """The webhook answers anyone on the network: a signature that is no ASCII is a bad one (not
    a 500), and a body over the box's limit is refused before it is read whole."""
    body = sandbox.event(
        {"id": "pi_1", "amount": 1, "currency": "EUR", "status": "x"} | {"reference": ""}
    )
    headers = sandbox.headers(body) | {"Galley-Pay-Signature": "é".encode("latin-1")}
    strange = await edge.post("/api/pay/webhook", content=body, headers=headers)
    assert strange.status_code == 401 and strange.json()["error"]["code"] == "bad_signature"
    huge = b" " * (1024 * 1024) + body
    refused = await webhook(edge, sandbox, huge)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "too_large"
    assert count(settings.database, "provider_events") == 0


async def test_refunds_side_by_side_ask_the_provider_once_each_that_is_recorded(
    edge, sandbox, settings
):
    """Two taps on Refund, or a till's retry with the same key while the first is still out,
    each asked the provider: it paid back four times what the box recorded."""
    who = await sign_in(edge, "manager", device="till")
    intent, payment, path = await paid_online(edge, sandbox, who)
    keyed = {**who, "Idempotency-Key": "refund-1"}
    retries = await asyncio.gather(
        *(edge.post(path, json={"amount": 100, "reason": "cold"}, headers=keyed) for _ in range(3))
    )
    assert [r.status_code for r in retries] == [201] * 3
    assert len({r.text for r in retries}) == 1
    assert intent["refunded"] == 100
    taps = await asyncio.gather(
        *(edge.post(path, json={"reason": "wrong table"}, headers=who) for _ in range(3))
    )
    assert sorted(r.status_code for r in taps) == [201, 409, 409]
    assert intent["refunded"] == payment["amount"]
    assert count(settings.database, "refunds") == 2


async def test_a_shift_closes_only_once_a_refund_its_provider_is_paying_back_is_recorded(
    edge, sandbox, refund_gate, settings
):
    """The till's shift closed while the provider paid a refund back: the refund's record then
    found no open shift and was refused, the money given back and never recorded. The close
    waits for the refund's record, then closes."""
    who = await sign_in(edge, "manager", device="till")
    intent, _payment, path = await paid_online(edge, sandbox, who)
    refund_gate.open.clear()
    refund = asyncio.ensure_future(
        edge.post(path, json={"amount": 300, "reason": "cold"}, headers=who)
    )
    assert await asyncio.to_thread(refund_gate.asked.wait, 10)
    close = asyncio.ensure_future(
        edge.post("/api/shifts/current/close", json={"counted": {}}, headers=who)
    )
    # the close, which needs nothing of the provider, is not done while the refund is out
    # (without the wait, it was done well within this)
    done, _ = await asyncio.wait({close}, timeout=1.0)
    assert not done
    refund_gate.open.set()
    refunded, closed = await refund, await close
    assert refunded.status_code == 201, refunded.text
    assert closed.status_code == 200, closed.text
    assert intent["refunded"] == 300 and count(settings.database, "refunds") == 1


async def test_a_guest_who_pays_a_check_paid_meanwhile_is_owed_back_and_its_receipt_stands(
    edge, sandbox, settings
):
    """The guest paid on the phone after the cashier took cash: the check was marked paid again,
    with a new receipt key (the printed receipt's QR code led nowhere) and a second receipt. And
    a check split or merged away after its QR bill printed took the guest's payment on a check
    no one paid any more, its parts (or the check its lines went to) still asking for it all."""
    who = await sign_in(edge, "cashier", device="till")
    check, link = await paid_at_till(edge, who)
    conn = sqlite3.connect(settings.database)
    paid_as = conn.execute(
        "SELECT paid_at, receipt_token FROM checks WHERE id = ?", (check["id"],)
    ).fetchone()
    receipts = count(settings.database, "print_jobs")
    intent = sandbox.intents[link["provider_ref"]]
    intent["status"] = "succeeded"
    assert (await webhook(edge, sandbox, sandbox.event(intent))).status_code == 200
    view = (await edge.get(f"/api/checks/{check['id']}", headers=who)).json()
    assert [p["method"] for p in view["payments"]] == ["cash", "online"]
    assert view["status"] == "paid" and view["due_back"] == check["total"]
    assert (
        conn.execute(
            "SELECT paid_at, receipt_token FROM checks WHERE id = ?", (check["id"],)
        ).fetchone()
        == paid_as
    )
    conn.close()
    assert count(settings.database, "print_jobs") == receipts
    assert (await edge.get(f"/api/receipts/{paid_as[1]}")).status_code == 200

    waiting, _ = await link_for(edge, who)
    split = await edge.post(
        f"/api/checks/{waiting['id']}/split", json={"by": "even", "ways": 2}, headers=who
    )
    assert split.status_code == 409 and split.json()["error"]["code"] == "pay_link_pending"
    other = await check_of(edge, who, await walk_in(edge, who, "Garlic prawns"))
    merged = await edge.post(
        f"/api/checks/{other['id']}/merge", json={"check_id": waiting["id"]}, headers=who
    )
    assert merged.status_code == 409 and merged.json()["error"]["code"] == "pay_link_pending"
    # moved away, its lines left the guest paying a check with nothing on it, and the other
    # check asked for them again
    moved = await edge.post(
        f"/api/checks/{waiting['id']}/move",
        json={
            "line_ids": [line["line_id"] for line in waiting["lines"]],
            "to_check_id": other["id"],
        },
        headers=who,
    )
    assert moved.status_code == 409 and moved.json()["error"]["code"] == "pay_link_pending"
    now = (await edge.get(f"/api/checks/{waiting['id']}", headers=who)).json()
    assert now["lines"] == waiting["lines"] and now["total"] == waiting["total"]
    into = await edge.post(
        f"/api/checks/{waiting['id']}/merge", json={"check_id": other["id"]}, headers=who
    )
    assert into.status_code == 200  # its lines join it: the guest's payment still lands


async def test_no_qr_bill_on_a_closed_business_day(edge, sandbox, settings):
    """A tender at the till is refused once the Z report is done; a QR bill let the guest pay
    into a day whose report was already made."""
    who = await sign_in(edge, "manager", device="office")
    check = await check_of(edge, who, await walk_in(edge, who, "Garlic prawns"))
    assert (await edge.post("/api/reports", json={"kind": "z"}, headers=who)).status_code == 201
    refused = await edge.post(f"/api/checks/{check['id']}/pay-link", headers=who)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "day_closed"
    assert count(settings.database, "pay_links") == 0 and not sandbox.intents


async def test_no_z_report_while_a_guest_may_be_paying_at_the_table(edge, sandbox, settings):
    """A QR bill paid after the Z report took its payment into the closed day: the Z said 0,
    an X of that day after it 950, and no Z ever counted it. The Z waits until no open check
    has a link waiting (a tender at the till settles it), and writes nothing meanwhile."""
    who = await sign_in(edge, "cashier", device="till")
    check, link = await link_for(edge, who)
    manager = await sign_in(edge, "manager")
    refused = await edge.post("/api/reports", json={"kind": "z"}, headers=manager)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "pay_link_pending"
    assert count(settings.database, "reports") == 0
    assert (await edge.post("/api/shifts", json={"float": 0}, headers=who)).status_code == 201
    cash = await edge.post(
        f"/api/checks/{check['id']}/payments", json={"method": "cash"}, headers=who
    )
    assert cash.status_code == 201, cash.text
    close = await edge.post("/api/shifts/current/close", json={"counted": {}}, headers=who)
    assert close.status_code == 200, close.text
    z = await edge.post("/api/reports", json={"kind": "z"}, headers=manager)
    assert z.status_code == 201, z.text


async def test_a_check_has_one_qr_bill_waiting_at_a_time(edge, sandbox, settings):
    """A second link for a check, both paid, charged the guest twice. Asked again (a lost
    bill, taps side by side), the link waiting is the answer, its bill printed again; once the
    check owes another amount, no new one is made while it waits."""
    who = await sign_in(edge, "cashier", device="till")
    check = await check_of(edge, who, await walk_in(edge, who, "Garlic prawns"))
    path = f"/api/checks/{check['id']}/pay-link"
    taps = await asyncio.gather(*(edge.post(path, headers=who) for _ in range(3)))
    assert [t.status_code for t in taps] == [201] * 3, [t.text for t in taps]
    assert len({t.json()["id"] for t in taps}) == 1
    lost = await edge.post(path, headers=who)  # the bill lost: the same link
    assert lost.status_code == 201 and lost.json()["id"] == taps[0].json()["id"]
    assert count(settings.database, "pay_links") == 1
    assert (await edge.post("/api/shifts", json={"float": 0}, headers=who)).status_code == 201
    card = {"method": "card", "amount": 100, "reference": "T1"}
    assert (
        await edge.post(f"/api/checks/{check['id']}/payments", json=card, headers=who)
    ).status_code == 201
    refused = await edge.post(path, headers=who)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "pay_link_pending"
    assert count(settings.database, "pay_links") == 1


async def test_a_guest_who_walked_out_from_a_qr_bill_lets_the_day_close_once_voided(
    edge, sandbox, settings
):
    """A QR bill no guest will pay (they left): the manager voids its lines, the check comes
    to nothing and closes, and the Z goes; the refusal says how."""
    who = await sign_in(edge, "cashier", device="till")
    check, _link = await link_for(edge, who)
    manager = await sign_in(edge, "manager")
    refused = await edge.post("/api/reports", json={"kind": "z"}, headers=manager)
    assert refused.status_code == 409 and "void" in refused.json()["error"]["message"]
    for line in check["lines"]:
        void = {"reason": "walked out"}
        answer = await edge.post(
            f"/api/order-lines/{line['line_id']}/void", json=void, headers=manager
        )
        assert answer.status_code == 200, answer.text
    z = await edge.post("/api/reports", json={"kind": "z"}, headers=manager)
    assert z.status_code == 201, z.text


async def test_the_qr_bill_of_a_check_paid_in_part_says_what_its_code_asks_for(
    edge, sandbox, settings
):
    """A check paid in part by card, the rest on the phone: its bill printed the total and the
    card, not what the code asks the guest for, so the paper and the phone disagreed. It says
    the balance due; the code it prints is the link, read back from the bytes."""
    who = await sign_in(edge, "cashier", device="till")
    assert (await edge.post("/api/shifts", json={"float": 0}, headers=who)).status_code == 201
    check = await check_of(edge, who, await walk_in(edge, who, "Garlic prawns", "Espresso"))
    card = {"method": "card", "amount": 500, "reference": "T1"}
    paid = await edge.post(f"/api/checks/{check['id']}/payments", json=card, headers=who)
    assert paid.status_code == 201, paid.text
    answer = await edge.post(f"/api/checks/{check['id']}/pay-link", headers=who)
    assert answer.status_code == 201, answer.text
    link = answer.json()
    assert link["amount"] == check["total"] - 500
    conn = sqlite3.connect(settings.database)
    (payload,) = conn.execute("SELECT payload FROM print_jobs WHERE kind = 'receipt'").fetchone()
    conn.close()
    bill = decode(payload)
    assert bill.qr == [link["url"]] and "BILL" in bill.lines
    (due,) = [line for line in bill.lines if line.startswith("Balance due")]
    assert due.endswith(f" €{link['amount'] // 100}.{link['amount'] % 100:02d}")


async def test_a_tender_at_the_till_cancels_the_qr_bill_and_a_capture_after_it_is_owed_back(
    edge, sandbox, settings
):
    """The cashier took cash while the guest's QR bill waited: the link stayed open, so the
    guest could still pay it (their page said nothing of the till), and their payment landed
    on the paid check with no one told. Now the tender cancels the link, the provider's page
    says the bill is paid and takes no payment; a capture that still comes (the guest paid in
    the same second) is recorded, once however often it is said, owed back, listed on the POS
    and in the audit until a manager refunds it through the provider."""
    who = await sign_in(edge, "manager", device="till")
    check, link = await paid_at_till(edge, who)
    now = (await edge.get(f"/api/pay-links/{link['id']}", headers=who)).json()
    assert now["status"] == "cancelled"
    intent = sandbox.intents[link["provider_ref"]]
    assert intent["status"] == "canceled"
    async with httpx.AsyncClient() as phone:
        page = await phone.get(link["url"])
        assert "paid" in page.text.lower() and "<button" not in page.text
        assert (await phone.post(link["url"])).status_code == 409
    assert count(settings.database, "payments") == 1
    listed = (await edge.get("/api/checks", headers=who)).json()
    assert check["id"] not in [c["id"] for c in listed]

    intent["status"] = "succeeded"  # the guest paid as the cashier took the cash
    for _ in range(2):
        answer = await webhook(edge, sandbox, sandbox.event(intent))
        assert answer.status_code == 200
    assert (await edge.get(f"/api/pay-links/{link['id']}", headers=who)).json()["status"] == "late"
    view = (await edge.get(f"/api/checks/{check['id']}", headers=who)).json()
    assert [p["method"] for p in view["payments"]] == ["cash", "online"]
    assert view["status"] == "paid" and view["due_back"] == link["amount"]
    assert count(settings.database, "payments") == 2
    listed = {c["id"]: c for c in (await edge.get("/api/checks", headers=who)).json()}
    assert listed[check["id"]]["due_back"] == link["amount"]
    audit = (await edge.get("/api/audit?entity=pay_links", headers=who)).json()
    assert any(row["fields"].get("status") == "late" for row in audit["events"])

    online = view["payments"][1]
    back = await edge.post(
        f"/api/payments/{online['id']}/refund", json={"reason": "paid twice"}, headers=who
    )
    assert back.status_code == 201, back.text
    assert intent["refunded"] == link["amount"]
    assert (await edge.get(f"/api/pay-links/{link['id']}", headers=who)).json()[
        "status"
    ] == "returned"
    listed = (await edge.get("/api/checks", headers=who)).json()
    assert check["id"] not in [c["id"] for c in listed]


async def test_a_capture_after_the_z_is_counted_on_the_next_day_not_the_closed_one(
    edge, sandbox, settings
):
    """The guest walked out from a QR bill, the manager voided the lines and made the Z; the
    guest then paid on the phone after all. The payment was dated to the closed day, which no
    Z ever counts again. It is dated to the next day (the first one still open), its check
    shows it owed back, and the closed day's report stands."""
    who = await sign_in(edge, "manager", device="till")
    check, link = await link_for(edge, who)
    for line in check["lines"]:
        void = {"reason": "walked out"}
        answer = await edge.post(f"/api/order-lines/{line['line_id']}/void", json=void, headers=who)
        assert answer.status_code == 200, answer.text
    z = await edge.post("/api/reports", json={"kind": "z"}, headers=who)
    assert z.status_code == 201, z.text
    closed = z.json()["business_day"]
    intent = sandbox.intents[link["provider_ref"]]
    intent["status"] = "succeeded"
    assert (await webhook(edge, sandbox, sandbox.event(intent))).status_code == 200
    conn = sqlite3.connect(settings.database)
    (day,) = conn.execute("SELECT business_day FROM payments").fetchone()
    conn.close()
    assert day > closed
    x = await edge.post("/api/reports", json={"kind": "x", "business_day": closed}, headers=who)
    assert x.json()["data"] == z.json()["data"]
    listed = {c["id"]: c for c in (await edge.get("/api/checks", headers=who)).json()}
    assert listed[check["id"]]["due_back"] == link["amount"]
    assert (await edge.get(f"/api/pay-links/{link['id']}", headers=who)).json()["status"] == "late"


async def test_a_qr_bill_paid_as_the_till_took_the_tender_is_found_and_owed_back(
    edge, sandbox, settings
):
    """The guest paid (no webhook came) just before the cashier's tender: the provider will not
    cancel the intent, so the box asks it and records the late capture there and then; and a
    provider that cannot be reached at the tender is told after the next one."""
    who = await sign_in(edge, "manager", device="till")
    assert (await edge.post("/api/shifts", json={"float": 0}, headers=who)).status_code == 201
    check, link = await link_for(edge, who)
    sandbox.intents[link["provider_ref"]]["status"] = "succeeded"
    cash = await edge.post(
        f"/api/checks/{check['id']}/payments", json={"method": "cash"}, headers=who
    )
    assert cash.status_code == 201
    assert (await edge.get(f"/api/pay-links/{link['id']}", headers=who)).json()["status"] == "late"
    view = (await edge.get(f"/api/checks/{check['id']}", headers=who)).json()
    assert view["due_back"] == link["amount"] and count(settings.database, "payments") == 2

    other, waiting = await link_for(edge, who)
    sandbox.down = True
    cash = await edge.post(
        f"/api/checks/{other['id']}/payments", json={"method": "cash"}, headers=who
    )
    assert cash.status_code == 201 and cash.json()["check"]["status"] == "paid"
    now = (await edge.get(f"/api/pay-links/{waiting['id']}", headers=who)).json()
    assert now["status"] == "cancelling"
    assert sandbox.intents[waiting["provider_ref"]]["status"] == "pending"
    sandbox.down = False
    third = await check_of(edge, who, await walk_in(edge, who, "Garlic prawns"))
    assert (
        await edge.post(f"/api/checks/{third['id']}/payments", json={"method": "cash"}, headers=who)
    ).status_code == 201
    assert sandbox.intents[waiting["provider_ref"]]["status"] == "canceled"
    now = (await edge.get(f"/api/pay-links/{waiting['id']}", headers=who)).json()
    assert now["status"] == "cancelled"
