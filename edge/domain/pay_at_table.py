"""Pay at table: the guest pays a check (or a part) on their phone through a payment provider.
The POS asks for a link (the provider's intent for what is left to pay), prints it as a QR code
on the bill; the provider tells the box by a signed webhook (`service.webhooks`), or the box
asks it (polling, when no webhook came). Either way the check takes one online payment: each
webhook delivery acts once (its event id is kept, `provider_events`), and a link is paid once.
No card data reaches the box.

A tender at the till that settles the check first withdraws its link (`cancelling`, then
`cancelled` once the provider is told: its page says the bill is paid and takes no payment).
A capture that comes all the same (the guest paid in the same second; the provider could not
be told; the guest paid after the day's Z) is never refused nor lost, nor counted as a sale:
the box cannot stop money the provider took, so it records it (`late`) on its check, dated to
the first business day still open, and owes it back; the POS lists the check until a manager
refunds it through the provider (`returned`; a refund needs a person: the guest may have meant
to pay).
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

from edge.core.events import WriteConnection, commit
from edge.core.permissions import SYSTEM, Actor, require
from edge.domain import checks, payments, printouts, shifts
from edge.domain import store as store_settings
from edge.domain.rows import existing
from printers.money import format_amount
from service.errors import Conflict, Invalid
from service.shapes import ID, INSTANT, MONEY, enum, nullable, shape, text
from sync.clock import now_iso
from sync.ids import uuid7

WEBHOOK_PATH = "/api/pay/webhook"

PAY_LINK_VIEW = shape(
    "PayLink",
    {
        "id": ID,
        "check_id": ID,
        "provider_ref": text("the provider's intent"),
        "amount": MONEY,
        "url": text("what the guest opens: the bill's QR code"),
        "status": enum(("pending", "paid", "cancelling", "cancelled", "late", "returned")),
        "payment_id": nullable(ID),
        "created_by": ID,
        "created_at": INSTANT,
        "hub_rev": {"type": "integer", "minimum": 0},
    },
)
RECEIVED = shape(
    "WebhookReceived",
    {"received": {"type": "boolean"}, "duplicate": {"type": "boolean"}},
)


def due(conn: sqlite3.Connection, actor: Actor, check_id: str) -> dict[str, Any]:
    """What a link would ask the guest for: the check's balance (read before the provider is
    called, outside the writer), its currency and the address the webhook comes to; or
    `{"waiting": id}`, the link that asks for it already.

    A check has one link waiting at a time: a second, paid too, charged the guest twice. The
    one waiting is answered again while it asks for what is left; once the check owes more or
    less (an order rolled in, a tender at the till), a new one waits until the guest paid it
    or a tender at the till settled the check (409 `pay_link_pending`)."""
    require(actor, "check.edit")
    check = existing(conn, "checks", check_id, "check")
    if check["status"] != "open":
        raise Conflict(f"the check is {check['status']}", code="check_not_open")
    shifts.require_day_open(conn)  # as a tender at the till is
    view = checks.get(conn, check_id)
    if view["balance"] <= 0:
        raise Conflict("the check is paid", code="check_paid")
    store = store_settings.current(conn)
    if (link := checks.waiting_link(conn, check_id)) is not None:
        if link["amount"] != view["balance"]:
            raise Conflict(
                f"a QR bill for {format_amount(link['amount'], store['currency'])} waits on this"
                " check: the guest pays it first, or take a tender at the till",
                code="pay_link_pending",
            )
        return {"waiting": link["id"]}
    base = store["guest_base_url"].rstrip("/")
    return {
        "amount": view["balance"],
        "currency": store["currency"],
        "reference": f"{view['label']} {check_id}",
        "webhook_url": f"{base}{WEBHOOK_PATH}" if base else "",
    }


def record(
    conn: WriteConnection, actor: Actor, check_id: str, intent: dict[str, Any]
) -> dict[str, Any]:
    """The link the provider made for the check; the bill prints with it as a QR code (on the
    till's receipt printer, when there is one)."""
    require(actor, "check.edit")
    # one made meanwhile (taps side by side, each asked the provider) is the link
    if (link := checks.waiting_link(conn, check_id)) is not None:
        return again(conn, actor, link["id"])
    link_id = uuid7()
    row = {
        "check_id": check_id,
        "provider_ref": intent["id"],
        "amount": intent["amount"],
        "url": intent["url"],
        "status": "pending",
        "payment_id": None,
        "created_by": actor.id,
        "created_at": now_iso(),
    }
    commit(conn, actor.id, "pay_links", link_id, "create", row)
    with contextlib.suppress(Conflict):
        printouts.check_receipt(conn, actor, checks.get(conn, check_id), intent["url"], bill=True)
    return get(conn, link_id)


def again(conn: WriteConnection, actor: Actor, link_id: str) -> dict[str, Any]:
    """The link waiting on its check, its bill printed again with it."""
    require(actor, "check.edit")
    link = get(conn, link_id)
    with contextlib.suppress(Conflict):
        check = checks.get(conn, link["check_id"])
        printouts.check_receipt(conn, actor, check, link["url"], bill=True)
    return link


def get(conn: sqlite3.Connection, link_id: str) -> dict[str, Any]:
    return dict(existing(conn, "pay_links", link_id, "pay link"))


def viewed(conn: sqlite3.Connection, actor: Actor, link_id: str) -> dict[str, Any]:
    require(actor, "check.edit")
    return get(conn, link_id)


def received(conn: WriteConnection, event: Any) -> dict[str, Any]:
    """A webhook delivery whose signature was checked: acts once per event id."""
    if not isinstance(event, dict) or not isinstance(event.get("intent"), dict):
        raise Invalid("the event has no intent", code="bad_event")
    event_id, intent = event.get("id"), event["intent"]
    if not isinstance(event_id, str) or not event_id or not isinstance(intent.get("id"), str):
        raise Invalid("the event has no id", code="bad_event")
    if conn.execute("SELECT 1 FROM provider_events WHERE id = ?", (event_id,)).fetchone():
        return {"received": True, "duplicate": True}
    row = {
        "provider_ref": intent["id"],
        "kind": str(event.get("type", "")),
        "received_at": now_iso(),
    }
    commit(conn, None, "provider_events", event_id, "create", row)
    if intent.get("status") == "succeeded":
        paid(conn, intent["id"])
    return {"received": True, "duplicate": False}


def paid(conn: WriteConnection, provider_ref: str) -> dict[str, Any] | None:
    """The provider says the intent succeeded: its check takes one online payment (once, however
    often it is said), is settled, and its receipt prints; or, late (its link withdrawn, its
    check settled otherwise, or the day closed), the payment is recorded on its check in the
    first open day and owed back, the check as it was."""
    link = conn.execute(
        "SELECT * FROM pay_links WHERE provider_ref = ?", (provider_ref,)
    ).fetchone()
    if link is None:
        return None
    if link["status"] in ("paid", "late", "returned"):
        return get(conn, link["id"])
    day = shifts.open_day(conn)
    check = existing(conn, "checks", link["check_id"], "check")
    late = link["status"] != "pending" or check["status"] != "open" or day != shifts.today(conn)
    payment_id = uuid7()
    row = {
        "check_id": link["check_id"],
        "shift_id": None,
        "business_day": day,
        "method": "online",
        "amount": link["amount"],
        "rounding": 0,
        "tip": 0,
        "given": 0,
        "change": 0,
        "reference": provider_ref,
        "refunded": 0,
        "taken_by": SYSTEM.id,
        "created_at": now_iso(),
    }
    commit(conn, SYSTEM.id, "payments", payment_id, "create", row)
    commit(
        conn,
        SYSTEM.id,
        "pay_links",
        link["id"],
        "update",
        {"status": "late" if late else "paid", "payment_id": payment_id},
    )
    if not late and checks.settle(conn, SYSTEM, link["check_id"]):
        payments.print_receipt(conn, SYSTEM, link["check_id"])
    return get(conn, link["id"])


def withdrawing(conn: sqlite3.Connection) -> list[str]:
    """The intents of links settled at the till that the provider is still to be told of."""
    rows = conn.execute("SELECT provider_ref FROM pay_links WHERE status = 'cancelling'")
    return [row["provider_ref"] for row in rows]


def withdrawn(conn: WriteConnection, provider_ref: str) -> None:
    """The provider cancelled the intent: its page takes no payment any more."""
    link = conn.execute(
        "SELECT id, status FROM pay_links WHERE provider_ref = ?", (provider_ref,)
    ).fetchone()
    if link is not None and link["status"] == "cancelling":
        commit(conn, SYSTEM.id, "pay_links", link["id"], "update", {"status": "cancelled"})
