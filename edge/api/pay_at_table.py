"""Pay at table: a check's pay link (the provider's intent, printed as a QR code on the bill and
drawn by the POS for the guest to scan off the screen), its status (the box asks the provider
when no webhook came), and the provider's webhook."""

from __future__ import annotations

import json
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from edge.api.idempotency import answer
from edge.api.openapi import contract
from edge.domain import pay_at_table, qrsheet
from edge.runtime.auth import actor
from edge.runtime.box import box_of
from edge.runtime.pay_provider import HttpProvider, PaymentProvider, ProviderDown
from service import webhooks
from service.errors import Conflict, GalleyError, Invalid
from service.http import ok, raw_body
from sync.clock import now_ms


def provider(request: Request) -> PaymentProvider:
    """The box's provider (GALLEY_PAY_URL), or a 409 when pay at table is off."""
    state = request.app.state
    if getattr(state, "pay_provider", None) is None:
        url = box_of(request).settings.pay_url
        if not url:
            raise Conflict("pay at table is not set up on this box", code="pay_at_table_off")
        state.pay_provider = HttpProvider(url)
    return state.pay_provider


def then_withdraw(request: Request, response: Response) -> Response:
    """`response` (a tender's, a void's: either may settle a check at the till), after which the
    provider is told of the QR bills so settled first: in the background, so that a provider
    behind a dead line never holds the till's answer up."""
    if box_of(request).settings.pay_url or getattr(request.app.state, "pay_provider", None):
        response.background = BackgroundTask(withdraw, request)
    return response


async def withdraw(request: Request) -> None:
    """Cancel at the provider each link a tender at the till settled first (`cancelling`): its
    page then says the bill is paid. One the guest paid meanwhile (the provider will not cancel
    it) is recorded as late; one the provider cannot be told of now is told after the next
    tender, and a capture for it is late anyway."""
    box = box_of(request)
    for ref in await box.read(pay_at_table.withdrawing):
        try:
            await provider(request).cancel(ref)
        except GalleyError:
            await _paid_meanwhile(request, ref)
            continue
        await box.write(pay_at_table.withdrawn, ref)


async def _paid_meanwhile(request: Request, ref: str) -> dict[str, Any] | None:
    """Ask the provider whether the guest paid the intent `ref` (its webhook lost on the way,
    or the provider would not cancel it): if so it is recorded, and the link as it then is is
    answered; None when not paid, or when the provider cannot be reached."""
    try:
        intent = await provider(request).status(ref)
    except (ProviderDown, Conflict):
        return None
    if intent.status != "succeeded":
        return None
    return await box_of(request).write(pay_at_table.paid, ref)


@contract(
    status=201,
    response=pay_at_table.PAY_LINK_VIEW,
    refuses={403, 409, 503},
    idempotent=True,
)
async def create_pay_link(request: Request):
    """A link for the guest to pay what is left of the check on their phone (print it on the
    bill as a QR code); the one waiting already while it asks for that (one at a time: 409
    `pay_link_pending` while one asks for another amount). 503 `provider_unavailable` when
    the provider cannot be reached: take another tender."""
    who = await actor(request)
    check_id = request.path_params["check_id"]
    box = box_of(request)
    wanted = await box.read(pay_at_table.due, who, check_id)
    if "waiting" in wanted:
        return await answer(request, 201, pay_at_table.again, who, wanted["waiting"])
    intent = await provider(request).create_intent(**wanted)
    made = {"id": intent.id, "amount": intent.amount, "url": intent.url}
    return await answer(request, 201, pay_at_table.record, who, check_id, made)


@contract(response=pay_at_table.PAY_LINK_VIEW, refuses={403})
async def pay_link(request: Request):
    """A pay link and whether it is paid: while it waits, or is being withdrawn (its check paid
    at the till), the box asks the provider (a webhook lost on the way changes nothing then). A
    provider that cannot be reached leaves it as it is."""
    who = await actor(request)
    link = await box_of(request).read(pay_at_table.viewed, who, request.path_params["link_id"])
    if link["status"] in ("pending", "cancelling"):
        link = await _paid_meanwhile(request, link["provider_ref"]) or link
    return ok(link)


@contract(refuses={403})
async def pay_link_qr(request: Request):
    """The pay link as a QR code (SVG), for the POS to show the guest."""
    who = await actor(request)
    link = await box_of(request).read(pay_at_table.viewed, who, request.path_params["link_id"])
    return Response(qrsheet.code_svg(link["url"]), media_type="image/svg+xml")


@contract(response=pay_at_table.RECEIVED, auth="webhook")
async def pay_webhook(request: Request):
    """The provider's signed notice (HMAC-SHA256 over the timestamp and the raw body, within
    5 minutes, any of the box's current and previous secrets): each event acts once."""
    raw = await raw_body(request)  # the box's limit: this route takes anyone's request
    secrets = [
        s.strip().encode()
        for s in box_of(request).settings.pay_webhook_secrets.split(",")
        if s.strip()
    ]
    webhooks.verify(
        secrets,
        request.headers.get(webhooks.TIMESTAMP),
        request.headers.get(webhooks.SIGNATURE),
        raw,
        now_ms() / 1000,  # the box's clock, as every part of it reads it (`sync.clock`)
    )
    try:
        event = json.loads(raw)
    except ValueError:
        raise Invalid("the event is not JSON", code="bad_event") from None
    return ok(await box_of(request).write(pay_at_table.received, event))


routes = [
    Route("/api/checks/{check_id:id}/pay-link", create_pay_link, methods=["POST"]),
    Route("/api/pay-links/{link_id:id}", pay_link, methods=["GET"]),
    Route("/api/pay-links/{link_id:id}/qr.svg", pay_link_qr, methods=["GET"]),
    Route(pay_at_table.WEBHOOK_PATH, pay_webhook, methods=["POST"]),
]
